import Foundation
import Reporting
import Synchronization
import Testing

@Suite("The history opened by several at once")
struct HistoryConcurrencyTests {
    @Test("eight openers of one new history at once (shards of a job on one host) all open it; none finds its tables half made")
    func concurrentCreation() throws {
        for round in 0..<5 {
            let path = NSTemporaryDirectory() + "rehearse-history-\(UUID().uuidString)/history.sqlite"
            defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
            let failures = Mutex<[String]>([])
            DispatchQueue.concurrentPerform(iterations: 8) { _ in
                do { _ = try HistoryStore(path: path) } catch { failures.withLock { $0.append("\(error)") } }
            }
            let seen = failures.withLock { $0 }
            #expect(seen.isEmpty, "round \(round): \(seen)")
            #expect(try HistoryStore(path: path).runs(limit: 10).isEmpty)
        }
    }
}

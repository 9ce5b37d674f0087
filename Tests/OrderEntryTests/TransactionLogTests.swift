import TestSupport
import Vocabulary
import Capture
import Foundation
import Testing
@testable import OrderEntry

@Suite("JSON Lines transaction log")
struct TransactionLogTests {
    @Test("requests per session in file order; times as ns or ISO-8601; payload as tag=value or an object; bad lines reported with line and byte")
    func parse() throws {
        let text = """
        {"time": 1767575700000000000, "session": "ALPHA", "type": "D", "payload": "11=A1|55=HSIF6|54=1|38=2|44=21500|40=2"}
        {"time": "2026-01-05T01:15:00.000250Z", "session": "BETA", "type": "D", "payload": {"11": "B1", "55": "HSIF6", "54": "2", "38": 1, "44": 21510, "40": "2"}}

        not json
        {"time": "2026-01-05T01:15:00.5Z", "session": "ALPHA", "type": "F", "payload": "11=A2|41=A1|55=HSIF6|54=1"}
        {"time": true, "session": "ALPHA", "type": "F", "payload": "11=A3"}
        {"time": 5, "session": "ALPHA", "type": "D", "payload": "x=1"}
        """
        let path = NSTemporaryDirectory() + "rehearse-log-\(UUID().uuidString).jsonl"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(TransactionLog.looksLikeLog(path))
        let log = try TransactionLog(path: path)
        #expect(log.sessions.map(\.name) == ["ALPHA", "BETA"])
        let alpha = log.sessions[0].messages
        #expect(alpha.map(\.messageType) == ["D", "F"])
        #expect(alpha[0].timestamp == 1_767_575_700_000_000_000)
        #expect(alpha[1].timestamp == 1_767_575_700_500_000_000)
        #expect(log.sessions[1].messages[0].timestamp == 1_767_575_700_000_250_000)
        #expect(log.errorCount == 3)
        #expect(log.errors.map(\.line) == [4, 6, 7])
        #expect(log.errors[0].byteOffset == text.utf8.split(separator: 0x0A, omittingEmptySubsequences: false).prefix(3).reduce(0) { $0 + $1.count + 1 })
        // Each request is a valid FIX message with its fields.
        let beta = log.sessions[1].messages[0].bytes
        beta.withUnsafeBytes { raw in
            let v = Vocabulary.ByteView(unsafeStart: raw.baseAddress, count: raw.count)
            #expect(FIXFramer.frame(v) == .message(length: raw.count))
            let m = FIXMessage(unchecked: v)
            #expect(m.messageType == "D")
            #expect(m.value(44).map(FIXMessage.string) == "21510")
        }
    }
}

import Foundation
import Vocabulary
import Engines
import Measure
import Synchronization

/// Draws "label  42%  1.23 GB/s" on stderr every 200 ms while a long pass runs — only when both
/// stdout and stderr are terminals (nothing when output is piped or redirected).
final class ProgressDisplay: Sendable {
    let counter = ProgressCounter()
    private let stopped = Atomic<Bool>(false)
    private let finished = Atomic<Bool>(false)
    let label: String
    /// What is drawn after the label: (done, total, seconds since the start) → text.
    let describe: @Sendable (Int, Int, Double) -> String

    static var isInteractive: Bool { isatty(1) == 1 && isatty(2) == 1 }

    /// Bytes of a file read: "42%  1.2 GB  400 MB/s".
    static let bytes: @Sendable (Int, Int, Double) -> String = { done, total, seconds in
        let speed = seconds > 0 ? Double(done) / seconds : 0
        return (total > 0 ? "\(Int(Double(done) * 100 / Double(total)))%  " : "") + "\(Text.bytes(UInt64(done)))  \(Text.bytes(UInt64(speed)))/s"
    }

    init(label: String, describe: @escaping @Sendable (Int, Int, Double) -> String = ProgressDisplay.bytes) {
        self.label = label
        self.describe = describe
    }

    func start() {
        let thread = Thread { [self] in
            let started = DispatchTime.now().uptimeNanoseconds
            var drew = false
            while !stopped.load(ordering: .acquiring) {
                usleep(200_000)
                if stopped.load(ordering: .acquiring) { break }
                let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
                writeStandardError("\r\u{1B}[K\(label)  \(describe(counter.completed, counter.expected, seconds))")
                drew = true
            }
            if drew { writeStandardError("\r\u{1B}[K") }
            finished.store(true, ordering: .releasing)
        }
        thread.start()
    }

    func stop() {
        stopped.store(true, ordering: .releasing)
        while !finished.load(ordering: .acquiring) { usleep(1000) }
    }
}

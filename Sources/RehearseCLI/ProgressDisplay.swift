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

    static var isInteractive: Bool { isatty(1) == 1 && isatty(2) == 1 }

    init(label: String) {
        self.label = label
    }

    func start() {
        let thread = Thread { [self] in
            let started = DispatchTime.now().uptimeNanoseconds
            var drew = false
            while !stopped.load(ordering: .acquiring) {
                usleep(200_000)
                if stopped.load(ordering: .acquiring) { break }
                let done = counter.completed, total = counter.expected
                let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
                let speed = seconds > 0 ? Double(done) / seconds : 0
                var line = "\r\(label)  "
                if total > 0 { line += "\(Int(Double(done) * 100 / Double(total)))%  " }
                line += "\(Text.bytes(UInt64(done)))  \(Text.bytes(UInt64(speed)))/s   "
                writeStandardError(line)
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

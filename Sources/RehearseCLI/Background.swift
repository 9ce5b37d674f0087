import Vocabulary
import Foundation
import Orchestration
import Synchronization
import Transport
#if canImport(Glibc)
import Glibc
#endif

/// Runs `work` on its own thread while the calling thread polls every `interval` µs: `tick` (progress),
/// and `onInterrupt` once Ctrl-C or SIGTERM arrived (installs the handlers). Returns `work`'s result.
/// The CLI's only thread plumbing: the work is a library call, the stop is forwarded.
func runInBackground<T: Sendable>(_ work: @escaping @Sendable () -> T, interval: UInt32 = 50_000,
                                  onInterrupt: () -> Void, tick: () -> Void = {}) -> T {
    Interrupts.install()
    let result = Mutex<T?>(nil)
    let thread = PinnedThread.start(name: "rehearse-job") {
        let value = work()
        result.withLock { $0 = value }
    }
    while result.withLock({ $0 == nil }) {
        usleep(interval)
        if Interrupts.isRaised { onInterrupt() }
        tick()
    }
    thread.join()
    return result.withLock { $0! }
}

/// Runs a blocking orchestration job on its own thread while this one watches for Ctrl-C / SIGTERM
/// and forwards it to `stop`; returns the job's result or rethrows its failure.
/// With `progress`, one updating line on standard error shows the leg under way (terminals only).
func runJob<T: Sendable>(_ job: @escaping @Sendable () throws(RehearseError) -> T, stop: () -> Void,
                         progress: (() -> LegProgress?)? = nil, json: Bool = false) throws(RehearseError) -> T {
    var line = ProgressLine(enabled: progress != nil && !json && ProgressDisplay.isInteractive)
    let result: Result<T, RehearseError> = runInBackground({ Result(catching: job) }, interval: 100_000, onInterrupt: stop) {
        guard line.enabled, let p = progress?() else { return }
        line.draw(ProgressLine.text(p))
    }
    line.clear()
    return try result.get()
}

/// One line on standard error, redrawn in place while a long command runs, and erased before the
/// command prints its result. Drawn only on a terminal (both outputs), never with `--json`.
struct ProgressLine {
    let enabled: Bool
    private var drew = false

    init(enabled: Bool) { self.enabled = enabled }

    mutating func draw(_ text: String) {
        guard enabled else { return }
        writeStandardError("\r\u{1B}[K" + text)
        drew = true
    }

    /// Erases the line (when one was drawn).
    mutating func clear() {
        if drew { writeStandardError("\r\u{1B}[K") }
        drew = false
    }

    /// "LABEL  sent 12,345/693,689  139,000 pkt/s  lateness p99 ≤ 1.20 ms  ETA 4 s" for a replay; the
    /// leg and its elapsed time for legs without a replay.
    static func text(_ p: LegProgress) -> String {
        let seconds = Double(max(1, Clock.monotonic() - p.startedAt)) / 1e9
        guard p.total > 0 else { return "\(p.leg)  \(TimeFormat.duration(Int64(seconds * 1e9)))" }
        guard p.sent > 0 else { return "\(p.leg)  starting" }
        if p.unit == "requests" { return requests(label: p.leg, sent: p.sent, total: p.total, seconds: seconds) }
        return replay(label: p.leg, sent: p.sent, total: p.total, seconds: seconds, latenessP99: p.latenessP99)
    }

    static func replay(label: String, sent: UInt64, total: UInt64, seconds: Double, latenessP99: Int64) -> String {
        let rate = Double(sent) / max(seconds, 1e-3)
        let eta = rate > 0 && total > sent ? Double(total - sent) / rate : 0
        return "\(label)  sent \(Text.count(sent))/\(Text.count(total))  \(Text.rate(rate)) pkt/s  lateness p99 ≤ \(TimeFormat.duration(latenessP99))  ETA \(etaText(eta))"
    }

    /// Whole seconds for people (clamped to 30 years; 0 when done).
    static func etaText(_ seconds: Double) -> String {
        TimeFormat.duration(Int64(min(max(seconds, 0), 1e9).rounded()) * 1_000_000_000, trimmed: true)
    }

    /// "gateway  sent 1,200/4,000 requests  400 req/s  ETA 7 s".
    static func requests(label: String, sent: UInt64, total: UInt64, seconds: Double) -> String {
        let rate = Double(sent) / max(seconds, 1e-3)
        let eta = rate > 0 && total > sent ? Double(total - sent) / rate : 0
        return "\(label)  sent \(Text.count(sent))/\(Text.count(total)) requests  \(Text.rate(rate)) req/s  ETA \(etaText(eta))"
    }
}

/// Where progress lines go: standard output, or standard error when standard output carries JSON.
/// `unbuffered`: each line reaches standard output at once (a watch's interval lines).
func progressPrinter(json: Bool, unbuffered: Bool = false) -> @Sendable (String) -> Void {
    if json { return { writeStandardError($0 + "\n") } }
    if unbuffered { return { FileHandle.standardOutput.write(Data(($0 + "\n").utf8)) } }
    // On a terminal a progress line may be on screen (standard error): erase it before the line.
    if ProgressDisplay.isInteractive { return { writeStandardError("\r\u{1B}[K"); print($0) } }
    return { print($0) }
}

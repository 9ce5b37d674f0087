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
func runJob<T: Sendable>(_ job: @escaping @Sendable () throws(RehearseError) -> T, stop: () -> Void) throws(RehearseError) -> T {
    let result: Result<T, RehearseError> = runInBackground({ Result(catching: job) }, interval: 100_000, onInterrupt: stop)
    return try result.get()
}

/// Where progress lines go: standard output, or standard error when standard output carries JSON.
/// `unbuffered`: each line reaches standard output at once (a watch's interval lines).
func progressPrinter(json: Bool, unbuffered: Bool = false) -> @Sendable (String) -> Void {
    if json { return { writeStandardError($0 + "\n") } }
    if unbuffered { return { FileHandle.standardOutput.write(Data(($0 + "\n").utf8)) } }
    return { print($0) }
}

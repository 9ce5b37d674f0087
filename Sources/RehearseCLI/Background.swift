import Vocabulary
import Foundation
import Orchestration
#if canImport(Glibc)
import Glibc
#endif

/// A value produced on another thread, read when it is there.
final class Box<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: T?
    func set(_ v: T) { lock.lock(); stored = v; lock.unlock() }
    var value: T? { lock.lock(); defer { lock.unlock() }; return stored }
}

/// Runs `work` on its own thread while the calling thread polls every `interval` µs: `tick` (progress),
/// and `onInterrupt` once Ctrl-C or SIGTERM arrived (installs the handlers). Returns `work`'s result.
func runInBackground<T: Sendable>(_ work: @escaping @Sendable () -> T, interval: UInt32 = 50_000,
                                  onInterrupt: () -> Void, tick: () -> Void = {}) -> T {
    Interrupts.install()
    let box = Box<T>()
    Thread { box.set(work()) }.start()
    while true {
        if let v = box.value { return v }
        usleep(interval)
        if Interrupts.isRaised { onInterrupt() }
        tick()
    }
}

/// Runs a blocking orchestration job on its own thread while this one watches for Ctrl-C / SIGTERM
/// and forwards it to `stop`; returns the job's result or rethrows its failure.
func runJob<T: Sendable>(_ job: @escaping @Sendable () throws(RehearseError) -> T, stop: () -> Void) throws(RehearseError) -> T {
    let result: Result<T, RehearseError> = runInBackground({ Result(catching: job) }, interval: 100_000, onInterrupt: stop)
    return try result.get()
}

/// Where progress lines go: standard output, or standard error when standard output carries JSON.
func progressPrinter(json: Bool) -> @Sendable (String) -> Void {
    if json { return { writeStandardError($0 + "\n") } }
    return { print($0) }
}

import Vocabulary
import CShims
#if canImport(Glibc)
import Glibc
#endif

/// A dedicated OS thread for a hot loop, optionally pinned to one CPU. `join()` waits for it and makes
/// everything it wrote visible to the joining thread.
/// `@unchecked Sendable`: the pthread handle is written once by `start` before the value is shared, and only read by `join()`.
public final class PinnedThread: @unchecked Sendable {
    // Written once by start() before the thread runs; read by join() after it ends.
    private var thread: pthread_t = 0
    private final class Box {
        let body: () -> Void
        let cpu: Int?
        let name: String
        init(body: @escaping () -> Void, cpu: Int?, name: String) {
            self.body = body
            self.cpu = cpu
            self.name = name
        }
    }

    /// CPUs this process may use.
    public static var availableCPUs: Int { Int(rh_available_cpus()) }

    private init() {}

    /// Starts `body` on a new thread named `name`, pinned to `cpu` when given (and when that CPU exists).
    public static func start(name: String, cpu: Int? = nil, _ body: @escaping @Sendable () -> Void) -> PinnedThread {
        let handle = PinnedThread()
        let box = Unmanaged.passRetained(Box(body: body, cpu: cpu, name: name))
        let rc = pthread_create(&handle.thread, nil, { raw in
            let box = Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue()
            rh_name_current_thread(box.name)
            if let cpu = box.cpu, cpu < Int(rh_available_cpus()) { _ = rh_pin_current_thread(Int32(cpu)) }
            box.body()
            return nil
        }, box.toOpaque())
        precondition(rc == 0, "pthread_create failed: \(rc)")
        return handle
    }

    /// Waits for the thread to finish.
    public func join() {
        pthread_join(thread, nil)
    }

    /// The calling thread's CPU set as it was before ``pinCurrentThread(to:saving:)``; `restore()` gives
    /// it back, so a caller's thread is never left pinned.
    public struct SavedAffinity {
        fileprivate var mask: [UInt8]
        /// Restores the saved CPU set on the calling thread (call it on the thread that pinned).
        public func restore() {
            _ = mask.withUnsafeBytes { rh_restore_affinity($0.baseAddress, Int32($0.count)) }
        }
    }

    /// Pins the calling thread to `cpu` and returns what to restore afterwards (nil when the CPU does
    /// not exist or the current set cannot be read; then nothing was changed).
    public static func pinCurrentThread(to cpu: Int, saving: Void) -> SavedAffinity? {
        var mask = [UInt8](repeating: 0, count: 128)
        guard cpu < availableCPUs,
              mask.withUnsafeMutableBytes({ rh_save_affinity($0.baseAddress, Int32($0.count)) }) == 0,
              pinCurrentThread(to: cpu) else { return nil }
        return SavedAffinity(mask: mask)
    }

    /// CPUs the calling thread may run on now.
    public static var currentThreadCPUCount: Int {
        var mask = [UInt8](repeating: 0, count: 128)
        guard mask.withUnsafeMutableBytes({ rh_save_affinity($0.baseAddress, Int32($0.count)) }) == 0 else { return 0 }
        return mask.reduce(0) { $0 + $1.nonzeroBitCount }
    }

    /// Pins the calling thread to `cpu` (ignored when the CPU does not exist). Returns false on failure.
    @discardableResult
    public static func pinCurrentThread(to cpu: Int) -> Bool {
        guard cpu < availableCPUs else { return false }
        return rh_pin_current_thread(Int32(cpu)) == 0
    }
}

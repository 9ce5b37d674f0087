import CShims
#if canImport(Glibc)
import Glibc
#endif

/// A dedicated OS thread for a hot loop, optionally pinned to one CPU. `join()` waits for it and makes
/// everything it wrote visible to the joining thread.
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

    /// Pins the calling thread to `cpu` (ignored when the CPU does not exist). Returns false on failure.
    @discardableResult
    public static func pinCurrentThread(to cpu: Int) -> Bool {
        guard cpu < availableCPUs else { return false }
        return rh_pin_current_thread(Int32(cpu)) == 0
    }
}

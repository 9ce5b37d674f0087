import Vocabulary
import Measure
import Capture
import MarketData
import Synchronization
import Transport

/// The consumer: OMD accounting (messages by type, framing errors, sequence) on its own pinned thread,
/// in packet order per stream. Its statistics are read by the producer only after `join()`.
/// `@unchecked Sendable`: `result` is written by the worker thread once, as it ends, and read only after `join()`; the queue is an SPSC ring with its own contract.
final class OMDWorker: @unchecked Sendable {
    // Written by the worker thread only, once, as it ends; join() orders that write before any read.
    private var result: [OMDStreamStatistics] = []
    private let queue: OMDWorkQueue
    private let bytes: ByteView
    private let pageRelease: PageRelease?
    private var thread: PinnedThread?

    /// - Parameters:
    ///   - initial: the statistics so far (when OMD was accounted on the reading thread first).
    ///   - pageRelease: when given (handed over by the reading thread), the worker releases the
    ///     capture's pages a step behind the packets it has accounted.
    init(queue: OMDWorkQueue, bytes: ByteView, initial: [OMDStreamStatistics], pageRelease: PageRelease?) {
        self.queue = queue
        self.bytes = bytes
        self.pageRelease = pageRelease
        result = initial
    }

    func start(cpu: Int) {
        thread = PinnedThread.start(name: "rehearse-omd", cpu: cpu) { [self] in run() }
    }

    /// Waits for the worker to drain the ring after the producer called `finish()`; returns the OMD
    /// statistics by OMD stream index.
    func join() -> [OMDStreamStatistics] {
        thread?.join()
        return result
    }

    private func run() {
        result = queue.drain(bytes: bytes, initial: result, pageRelease: pageRelease)
    }
}

/// The OMD worker of one inspection, started and stopped as the pass goes (see ``Inspection``).
final class OMDStage {
    private let bytes: ByteView
    private let pageRelease: PageRelease?
    private var worker: OMDWorker?
    private var queue: OMDWorkQueue?
    private var savedAffinity: PinnedThread.SavedAffinity?

    /// - Parameter pageRelease: the reader's page release; the worker takes it over while it runs,
    ///   so that the kernel's unmapping work leaves the reading thread.
    init(bytes: ByteView, pageRelease: PageRelease? = nil) {
        self.bytes = bytes
        self.pageRelease = pageRelease
    }

    var isRunning: Bool { worker != nil }

    /// Hands OMD accounting to a worker pinned to CPU 1, from the statistics so far; the calling thread
    /// is pinned to CPU 0 until ``stop(_:)``.
    func start(_ inspector: inout CaptureInspector) {
        guard worker == nil else { return }
        let q = OMDWorkQueue()
        pageRelease?.handOver()
        let w = OMDWorker(queue: q, bytes: bytes, initial: inspector.omd, pageRelease: pageRelease)
        w.start(cpu: 1)
        inspector.omdQueue = Unmanaged.passUnretained(q)
        queue = q
        worker = w
        savedAffinity = PinnedThread.pinCurrentThread(to: 0, saving: ())
    }

    /// Waits for the worker to finish what it was given and takes its statistics back.
    func stop(_ inspector: inout CaptureInspector) {
        guard let worker, let queue else { return }
        queue.finish()
        inspector.merge(omdFrom: worker.join())
        pageRelease?.takeBack()
        withExtendedLifetime(queue) {}
        self.worker = nil
        self.queue = nil
        savedAffinity?.restore()
        savedAffinity = nil
    }
}

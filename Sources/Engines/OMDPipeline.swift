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
        // Locals: a class's stored `var` would pay a dynamic exclusivity check per access, and a class
        // reference read from `self` in the loop a retain and a release per packet.
        var statistics = DenseStore(result)
        let analyzer = OMDStreamAnalyzer()
        defer { result = statistics.elements }
        let queue = self.queue, ring = queue.ring, bytes = self.bytes, pageRelease = self.pageRelease
        var backoff = IdleBackoff()
        // Where the next page release is due: a step (32 MiB) past what was released, so that pages
        // leave a step behind the packets accounted (as the reader releases behind itself).
        let step = CaptureReader.releaseStep
        var releaseAt = pageRelease.map { $0.releasedUpTo &+ 2 &* step } ?? .max
        while true {
            guard let item = ring.dequeue() else {
                // `finished` is stored after the last publish: seeing it, then an empty ring, means done.
                if queue.finished.load(ordering: .acquiring) {
                    if let item = ring.dequeue() { Self.account(item, bytes, &statistics, analyzer); continue }
                    return
                }
                backoff.wait()
                continue
            }
            backoff.reset()
            Self.account(item, bytes, &statistics, analyzer)
            if _slowPath(item.payloadOffset >= releaseAt) {
                pageRelease?.release(upTo: item.payloadOffset &- step)
                releaseAt = item.payloadOffset &+ step
            }
        }
    }

    @inline(__always)
    private static func account(_ item: OMDWorkItem, _ bytes: ByteView, _ statistics: inout DenseStore<OMDStreamStatistics>,
                                _ analyzer: OMDStreamAnalyzer) {
        let index = Int(item.omdIndex)
        // Streams are numbered in the order they were detected: a new one is always the next index.
        while _slowPath(index >= statistics.count) { statistics.append(OMDStreamStatistics()) }
        let payload = bytes.getSlice(at: item.payloadOffset, count: Int(item.payloadLength)) ?? .empty
        analyzer.processInline(payload, declaredLength: Int(item.declaredLength), timestamp: item.timestamp,
                               into: &statistics[index])
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

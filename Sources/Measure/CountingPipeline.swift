import Capture
import MarketData
import Synchronization
import Transport

/// The reading thread's end of the inspection pipeline: a ring of ``PacketFacts`` and a "no more
/// work" flag.
final class PacketFactsQueue: Sendable {
    let ring = SPSCRing<PacketFacts>(capacity: 1 << 15)
    let finished = Atomic<Bool>(false)

    /// Reading thread only. Waits (see ``IdleBackoff``) while the counting thread is a full ring behind.
    @inline(__always)
    func push(_ facts: PacketFacts) {
        if _fastPath(ring.enqueue(facts)) { return }
        var backoff = IdleBackoff()
        while !ring.enqueue(facts) { backoff.wait() }
    }

    /// Reading thread only. Publishes the last partial batch and says nothing more will come.
    func finish() {
        ring.publish()
        finished.store(true, ordering: .releasing)
    }
}

/// The counting thread: file-wide totals and peaks, per-stream figures and OMD accounting
/// (``PacketFigures``), on its own pinned thread, in capture order. Its figures are read by the
/// reading thread only after `join()`.
final class CountingWorker: @unchecked Sendable {
    // Written by the worker thread only, once, as it ends; join() orders that write before any read.
    private var result = PacketFigures()
    private let queue: PacketFactsQueue
    private let bytes: ByteView
    private var thread: PinnedThread?

    init(queue: PacketFactsQueue, bytes: ByteView) {
        self.queue = queue
        self.bytes = bytes
    }

    func start(cpu: Int) {
        thread = PinnedThread.start(name: "rehearse-count", cpu: cpu) { [self] in run() }
    }

    /// Waits for the worker to drain the ring after the reading thread called `finish()`.
    func join() -> PacketFigures {
        thread?.join()
        return result
    }

    private func run() {
        // A local: a class's stored `var` would pay a dynamic exclusivity check per access.
        var figures = result
        defer { result = figures }
        var backoff = IdleBackoff()
        while true {
            guard let facts = queue.ring.dequeue() else {
                // `finished` is stored after the last publish: seeing it, then an empty ring, means done.
                if queue.finished.load(ordering: .acquiring) {
                    if let facts = queue.ring.dequeue() { account(facts, &figures); continue }
                    return
                }
                backoff.wait()
                continue
            }
            backoff.reset()
            account(facts, &figures)
        }
    }

    @inline(__always)
    private func account(_ facts: PacketFacts, _ figures: inout PacketFigures) {
        let payload = facts.omdIndex >= 0
            ? bytes.getSlice(at: facts.payloadOffset, count: Int(facts.payloadLength)) ?? .empty : .empty
        figures.account(facts, payload: payload)
    }
}

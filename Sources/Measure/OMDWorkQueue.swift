import Capture
import MarketData
import Synchronization
import Vocabulary

/// One OMD packet to account, as a descriptor into the (stable) capture bytes: which OMD stream, where
/// the payload lies, its declared length and the capture time — 32 bytes, never a copy of the payload.
package struct OMDWorkItem: BitwiseCopyable, Sendable {
    package var timestamp: Int64
    package var payloadOffset: Int
    package var payloadLength: Int32
    package var declaredLength: Int32
    package var omdIndex: Int32
}

/// The producer's end of the pipeline: a ring of work items and a "no more work" flag.
package final class OMDWorkQueue: Sendable {
    package init() {}

    package let ring = SPSCRing<OMDWorkItem>(capacity: 1 << 15)
    package let finished = Atomic<Bool>(false)

    /// Producer only. Stages `item`; full batches go into the ring (see ``SPSCRing/stage(_:)``).
    @inline(__always)
    package func push(_ item: OMDWorkItem) { ring.stage(item) }

    /// Producer only. Sends the last partial batch and tells the worker nothing more will come.
    package func finish() {
        ring.flushStaged()
        finished.store(true, ordering: .releasing)
    }
}

extension OMDWorkQueue {
    /// Consumer only, on the worker's thread: accounts every item the producer publishes (OMD messages
    /// by type, framing errors, sequence, per OMD stream in packet order) until the producer finished
    /// and the ring is empty, releasing the capture's pages a step behind; returns the statistics by
    /// OMD stream index, starting from `initial`. Compiled here, beside ``DenseStore`` and the
    /// analyzer's inline accounting, so the per-packet path is one specialised loop.
    package func drain(bytes: ByteView, initial: [OMDStreamStatistics], pageRelease: PageRelease?) -> [OMDStreamStatistics] {
        // Locals: a class reference read from `self` in the loop costs a retain and a release per packet.
        var statistics = DenseStore(initial)
        let analyzer = OMDStreamAnalyzer()
        let ring = self.ring
        var backoff = IdleBackoff()
        // Where the next page release is due: a step (32 MiB) past what was released, so that pages
        // leave a step behind the packets accounted (as the reader releases behind itself).
        let step = CaptureReader.releaseStep
        var releaseAt = pageRelease.map { $0.releasedUpTo &+ 2 &* step } ?? .max
        while true {
            guard let item = ring.dequeue() else {
                // `finished` is stored after the last publish: seeing it, then an empty ring, means done.
                if finished.load(ordering: .acquiring) {
                    if let item = ring.dequeue() { Self.account(item, bytes, &statistics, analyzer); continue }
                    return statistics.elements
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
    static func account(_ item: OMDWorkItem, _ bytes: ByteView, _ statistics: inout DenseStore<OMDStreamStatistics>,
                        _ analyzer: OMDStreamAnalyzer) {
        let index = Int(item.omdIndex)
        // Streams are numbered in the order they were detected: a new one is always the next index.
        while _slowPath(index >= statistics.count) { statistics.append(OMDStreamStatistics()) }
        let payload = bytes.getSlice(at: item.payloadOffset, count: Int(item.payloadLength)) ?? .empty
        analyzer.processInline(payload, declaredLength: Int(item.declaredLength), timestamp: item.timestamp,
                               into: &statistics[index])
    }
}

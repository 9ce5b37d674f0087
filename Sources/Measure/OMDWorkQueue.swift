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

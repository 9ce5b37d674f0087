import Capture
import MarketData
import Synchronization
import Transport
#if canImport(Glibc)
import Glibc
#endif

/// One packet's per-stream work, as a descriptor into the (stable) capture bytes: flow key, time,
/// lengths and where the payload lies — 72 bytes, never a copy of the payload.
public struct StreamWorkItem: BitwiseCopyable, Sendable {
    // The flow key as five words, copied one word at a time: the decoder writes the addresses as
    // 8-byte halves, and a 16-byte copy of them would stall on store forwarding.
    var sourceHigh, sourceLow, destinationHigh, destinationLow, meta: UInt64
    public var timestamp: Int64
    public var payloadOffset: Int
    public var wireLength: Int32
    public var declaredLength: Int32
    public var payloadLength: Int32

    @inline(__always)
    init(_ packet: CapturedPacket, _ decoded: DecodedPacket) {
        sourceHigh = decoded.flow.source.high
        sourceLow = decoded.flow.source.low
        destinationHigh = decoded.flow.destination.high
        destinationLow = decoded.flow.destination.low
        meta = decoded.flow.meta
        timestamp = packet.timestamp
        payloadOffset = packet.dataOffset &+ decoded.payloadOffset
        wireLength = Int32(truncatingIfNeeded: packet.originalLength)
        declaredLength = Int32(truncatingIfNeeded: decoded.declaredPayloadLength)
        payloadLength = Int32(truncatingIfNeeded: decoded.payload.count)
    }

    /// The flow key the words describe.
    @inline(__always)
    public var flow: FlowKey {
        FlowKey(source: IPAddress(v6High: sourceHigh, low: sourceLow),
                destination: IPAddress(v6High: destinationHigh, low: destinationLow), meta: meta)
    }
}

/// The producer's end of the pipeline: a ring of work items and a "no more work" flag.
final class StreamWorkQueue: Sendable {
    let ring = SPSCRing<StreamWorkItem>(capacity: 1 << 15)
    let finished = Atomic<Bool>(false)

    /// Producer only. Waits (see ``IdleBackoff``) while the worker is a full ring behind.
    @inline(__always)
    func push(_ item: StreamWorkItem) {
        if _fastPath(ring.enqueue(item)) { return }
        var backoff = IdleBackoff()
        while !ring.enqueue(item) { backoff.wait() }
    }

    /// Producer only. Publishes the last partial batch and tells the worker nothing more will come.
    func finish() {
        ring.publish()
        finished.store(true, ordering: .releasing)
    }
}

/// The consumer: per-stream accounting (flow table, counters, peaks, OMD) on its own pinned thread,
/// in packet order. Its inspector is read by the producer only after `join()`.
final class StreamWorker: @unchecked Sendable {
    // Written by the worker thread only, once, as it ends; join() orders that write before any read.
    private var result: CaptureInspector
    private let queue: StreamWorkQueue
    private let bytes: ByteView
    private var thread: PinnedThread?

    init(queue: StreamWorkQueue, bytes: ByteView, options: CaptureInspector.Options) {
        self.queue = queue
        self.bytes = bytes
        result = CaptureInspector(options: options)
    }

    func start(cpu: Int) {
        thread = PinnedThread.start(name: "rehearse-streams", cpu: cpu) { [self] in run() }
    }

    /// Waits for the worker to drain the ring after the producer called `finish()`.
    func join() -> CaptureInspector {
        thread?.join()
        return result
    }

    private func run() {
        // A local inspector: a class's stored `var` would pay a dynamic exclusivity check per access.
        // (Prefetching the payloads of a batch of items ahead was tried and measured slower.)
        var inspector = result
        defer { result = inspector }
        var backoff = IdleBackoff()
        while true {
            guard let item = queue.ring.dequeue() else {
                // `finished` is stored after the last publish: seeing it, then an empty ring, means done.
                if queue.finished.load(ordering: .acquiring) {
                    if let item = queue.ring.dequeue() { account(item, &inspector); continue }
                    return
                }
                backoff.wait()
                continue
            }
            backoff.reset()
            account(item, &inspector)
        }
    }

    @inline(__always)
    private func account(_ item: StreamWorkItem, _ inspector: inout CaptureInspector) {
        let payload = bytes.getSlice(at: item.payloadOffset, count: Int(item.payloadLength)) ?? .empty
        inspector.accountStream(item.flow, timestamp: item.timestamp, wire: Int(item.wireLength),
                                declared: Int(item.declaredLength), payload: payload)
    }
}

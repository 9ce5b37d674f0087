import Capture
import MarketData
import Synchronization
import Transport
#if canImport(Glibc)
import Glibc
#endif

/// One OMD packet to account, as a descriptor into the (stable) capture bytes: 32 bytes, no payload copy.
public struct OMDWorkItem: BitwiseCopyable, Sendable {
    public var payloadOffset: Int
    public var timestamp: Int64
    public var omdIndex: Int32
    public var payloadLength: Int32
    public var declaredLength: Int32

    @inline(__always)
    init(_ packet: CapturedPacket, _ decoded: DecodedPacket, omdIndex: Int) {
        payloadOffset = packet.dataOffset &+ decoded.payloadOffset
        timestamp = packet.timestamp
        self.omdIndex = Int32(truncatingIfNeeded: omdIndex)
        payloadLength = Int32(truncatingIfNeeded: decoded.payload.count)
        declaredLength = Int32(truncatingIfNeeded: decoded.declaredPayloadLength)
    }
}

/// The producer's end of the OMD pipeline: a ring of work items and a "no more work" flag.
final class OMDWorkQueue: Sendable {
    let ring = SPSCRing<OMDWorkItem>(capacity: 1 << 16)
    let finished = Atomic<Bool>(false)

    /// Producer only: waits (spinning, then yielding) while the worker is a full ring behind.
    @inline(__always)
    func push(_ item: OMDWorkItem) {
        if _fastPath(ring.enqueue(item)) { return }
        var spins = 0
        while !ring.enqueue(item) {
            spins += 1
            if spins > 64 { sched_yield() }
        }
    }

    /// Producer only: publishes the last partial batch and tells the worker nothing more will come.
    func finish() {
        ring.publish()
        finished.store(true, ordering: .releasing)
    }
}

/// The consumer: accounts OMD packets per stream, in arrival order, on its own pinned thread.
/// Its statistics are read by the producer only after `join()`.
final class OMDWorker: @unchecked Sendable {
    // Touched by the worker thread only until join(); join() orders those writes before any read.
    private(set) var statistics: [OMDStreamStatistics] = []
    private let queue: OMDWorkQueue
    private let bytes: ByteView
    private let analyzer = OMDStreamAnalyzer()
    private var thread: PinnedThread?

    init(queue: OMDWorkQueue, bytes: ByteView) {
        self.queue = queue
        self.bytes = bytes
    }

    func start(cpu: Int) {
        thread = PinnedThread.start(name: "rehearse-omd", cpu: cpu) { [self] in run() }
    }

    /// Waits for the worker to drain the ring after the producer set `finished`.
    func join() -> [OMDStreamStatistics] {
        thread?.join()
        return statistics
    }

    private func run() {
        // Work on a local copy: a class's stored `var` pays a dynamic exclusivity check per access.
        var statistics: [OMDStreamStatistics] = []
        defer { self.statistics = statistics }
        var idle = 0
        while true {
            guard let item = queue.ring.dequeue() else {
                // `finished` is stored after the last publish: seeing it, then an empty ring, means done.
                if queue.finished.load(ordering: .acquiring) {
                    if let item = queue.ring.dequeue() { account(item, &statistics); continue }
                    return
                }
                idle += 1
                if idle > 64 { sched_yield() }
                continue
            }
            idle = 0
            account(item, &statistics)
        }
    }

    @inline(__always)
    private func account(_ item: OMDWorkItem, _ statistics: inout [OMDStreamStatistics]) {
        let index = Int(item.omdIndex)
        while statistics.count <= index { statistics.append(OMDStreamStatistics()) }
        let payload = bytes.getSlice(at: item.payloadOffset, count: Int(item.payloadLength)) ?? .empty
        analyzer.process(payload, declaredLength: Int(item.declaredLength), timestamp: item.timestamp,
                         into: &statistics[index])
    }
}

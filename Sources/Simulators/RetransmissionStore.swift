import Synchronization
import Vocabulary

/// One piece of a published message on its way from the publishing thread to the retransmission
/// server: a message of `total` bytes travels as ⌈total / 120⌉ records, in order, all or none.
struct RetransmissionRecord: BitwiseCopyable {
    static let chunkSize = 120
    var sequence: UInt32
    var channel: UInt16
    var total: UInt16
    var chunk: InlineArray<120, UInt8>
}

/// What the retransmission server holds for one channel: the last `window` messages published, in
/// sequence order. Appending is amortised O(1) and allocation-free once warm (the evicted prefix is
/// compacted away when it outgrows the live window). A sequence number at or below the last one
/// (a Sequence Reset started the channel again) clears it: the server serves the current session only.
struct ChannelWindow {
    let window: Int
    private var bytes: [UInt8] = []
    private var sequences: [UInt32] = []
    private var offsets: [Int] = []
    private var first = 0

    init(window: Int) { self.window = window }

    var count: Int { sequences.count - first }
    /// Oldest and newest sequence numbers held.
    var oldest: UInt32? { count > 0 ? sequences[first] : nil }
    var newest: UInt32? { count > 0 ? sequences[sequences.count - 1] : nil }

    mutating func append(sequence: UInt32, _ message: UnsafeRawBufferPointer) {
        if let last = newest, sequence <= last { clear() }
        offsets.append(bytes.count)
        sequences.append(sequence)
        bytes.append(contentsOf: message)
        if count > window { first += 1 }
        if first > max(window, 1024) { compact() }
    }

    mutating func clear() {
        bytes.removeAll(keepingCapacity: true)
        sequences.removeAll(keepingCapacity: true)
        offsets.removeAll(keepingCapacity: true)
        first = 0
    }

    private mutating func compact() {
        let cut = offsets[first]
        bytes.removeFirst(cut)
        sequences.removeFirst(first)
        offsets.removeFirst(first)
        for i in offsets.indices { offsets[i] -= cut }
        first = 0
    }

    /// Whether every message `begin...end` is held (consecutive numbers, as a channel publishes them).
    func holds(_ begin: UInt32, _ end: UInt32) -> Bool {
        guard let oldest, let newest, begin <= end else { return false }
        return begin >= oldest && end <= newest && index(of: begin) != nil && index(of: end) != nil
    }

    /// The bytes the ranges of ``forEach(_:_:_:)`` index.
    var storage: [UInt8] { bytes }

    /// Calls `body` with each held message in `begin...end`, in order: its sequence number and where
    /// its bytes are in ``storage``.
    func forEach(_ begin: UInt32, _ end: UInt32, _ body: (UInt32, Range<Int>) -> Void) {
        guard var i = index(of: begin) else { return }
        while i < sequences.count, sequences[i] <= end {
            let start = offsets[i], stop = i + 1 < offsets.count ? offsets[i + 1] : bytes.count
            body(sequences[i], start..<stop)
            i += 1
        }
    }

    private func index(of sequence: UInt32) -> Int? {
        guard let oldest, sequence >= oldest else { return nil }
        // Consecutive numbers: the direct position, checked; otherwise a binary search.
        let direct = first + Int(sequence - oldest)
        if direct < sequences.count, sequences[direct] == sequence { return direct }
        var lo = first, hi = sequences.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if sequences[mid] < sequence { lo = mid + 1 } else { hi = mid }
        }
        return lo < sequences.count && sequences[lo] == sequence ? lo : nil
    }
}

/// The publishing side's handle on a retransmission server: hands each published message to the
/// server's thread over a lock-free SPSC ring, without allocating. One publishing thread only.
/// `@unchecked Sendable`: the ring has its own single-producer/single-consumer contract.
public final class RetransmissionFeed: @unchecked Sendable {
    let ring = SPSCRing<RetransmissionRecord>(capacity: 1 << 16)
    /// Messages the ring had no room for (the server will answer "not available" for them).
    let overflows = Atomic<UInt64>(0)

    init() {}

    /// Records one published message (producer side; the simulator's publishing thread).
    @inline(__always)
    public func record(channel: Int, sequence: UInt32, bytes: UnsafeRawBufferPointer) {
        let total = bytes.count
        guard total > 0, total <= Int(UInt16.max) else { return }
        let parts = (total + RetransmissionRecord.chunkSize - 1) / RetransmissionRecord.chunkSize
        let stored = withUnsafeTemporaryAllocation(of: RetransmissionRecord.self, capacity: parts) { records -> Bool in
            for p in 0..<parts {
                var r = RetransmissionRecord(sequence: sequence, channel: UInt16(truncatingIfNeeded: channel), total: UInt16(total),
                                             chunk: InlineArray(repeating: 0))
                let from = p * RetransmissionRecord.chunkSize, to = min(total, from + RetransmissionRecord.chunkSize)
                for k in from..<to { r.chunk[k - from] = bytes[k] }
                records.initializeElement(at: p, to: r)
            }
            return ring.enqueue(contentsOf: UnsafeBufferPointer(records))
        }
        if !stored { overflows.add(1, ordering: .relaxed) }
    }
}

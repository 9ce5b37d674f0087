import Vocabulary
/// Packets waiting to be written in timestamp order: a binary min-heap of (timestamp, sequence)
/// over slots of a reusable byte pool. No allocation per packet once the pool has grown.
struct PacketHeap {
    struct Entry {
        var timestamp: Int64
        var order: UInt64
        var slot: Int32
        var length: Int32
    }
    static let slotSize = 2048
    private(set) var entries: [Entry] = []
    var pool: [UInt8] = []
    private var free: [Int32] = []
    private var order: UInt64 = 0

    var count: Int { entries.count }
    var minimumTimestamp: Int64? { entries.first?.timestamp }

    init() {
        entries.reserveCapacity(4096)
        grow(1024)
    }

    private mutating func grow(_ slots: Int) {
        let first = pool.count / Self.slotSize
        pool.append(contentsOf: repeatElement(0, count: slots * Self.slotSize))
        free.append(contentsOf: (first..<(first + slots)).reversed().map { Int32($0) })
    }

    /// A free slot; write up to `slotSize` bytes at `slot * slotSize`, then ``push(_:timestamp:length:)``.
    mutating func allocate() -> Int32 {
        if free.isEmpty { grow(max(1024, pool.count / Self.slotSize)) }
        return free.removeLast()
    }

    mutating func push(slot: Int32, timestamp: Int64, length: Int) {
        order &+= 1
        entries.append(Entry(timestamp: timestamp, order: order, slot: slot, length: Int32(length)))
        var i = entries.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            if less(entries[i], entries[parent]) { entries.swapAt(i, parent); i = parent } else { break }
        }
    }

    /// Removes the earliest entry; its slot stays readable until ``release(_:)``.
    mutating func pop() -> Entry? {
        guard let top = entries.first else { return nil }
        let last = entries.removeLast()
        if !entries.isEmpty {
            entries[0] = last
            var i = 0
            while true {
                let l = 2 * i + 1, r = l + 1
                var m = i
                if l < entries.count && less(entries[l], entries[m]) { m = l }
                if r < entries.count && less(entries[r], entries[m]) { m = r }
                if m == i { break }
                entries.swapAt(i, m)
                i = m
            }
        }
        return top
    }

    mutating func release(_ slot: Int32) { free.append(slot) }

    @inline(__always) private func less(_ a: Entry, _ b: Entry) -> Bool {
        a.timestamp < b.timestamp || (a.timestamp == b.timestamp && a.order < b.order)
    }
}

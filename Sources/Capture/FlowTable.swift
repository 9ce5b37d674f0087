
/// An open-addressing hash table from ``FlowKey`` to a dense index, built for the per-packet path:
/// a cheap multiplicative hash, linear probing, power-of-two capacity, no allocation except when
/// growing. (Swift's `Dictionary` hashes with SipHash, several times the cost per lookup.)
public struct FlowTable: Sendable {
    @usableFromInline var keys: [FlowKey]
    @usableFromInline var slots: [Int32]
    @usableFromInline var mask: Int
    @usableFromInline var _count = 0
    /// Number of keys.
    public var count: Int { _count }

    public init(capacity: Int = 256) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        keys = []
        keys.reserveCapacity(capacity)
        slots = [Int32](repeating: -1, count: size)
        mask = size - 1
    }

    /// The index of `key`, inserting it (with index = previous count) when absent.
    /// Returns (index, inserted).
    @inlinable @inline(__always)
    public mutating func findOrInsert(_ key: FlowKey) -> (index: Int, inserted: Bool) {
        var position = Int(truncatingIfNeeded: key.fastHash) & mask
        while true {
            let slot = slots[position]
            if slot < 0 { break }
            if keys[Int(slot)] == key { return (Int(slot), false) }
            position = (position &+ 1) & mask
        }
        let index = _count
        keys.append(key)
        slots[position] = Int32(index)
        _count += 1
        if _count * 2 > slots.count { grow() }
        return (index, true)
    }

    /// The index of `key`, or nil.
    public func find(_ key: FlowKey) -> Int? {
        var position = Int(truncatingIfNeeded: key.fastHash) & mask
        while true {
            let slot = slots[position]
            if slot < 0 { return nil }
            if keys[Int(slot)] == key { return Int(slot) }
            position = (position &+ 1) & mask
        }
    }

    /// Keys in insertion order (index order).
    public var allKeys: [FlowKey] { keys }

    @usableFromInline
    mutating func grow() {
        let size = slots.count * 2
        slots = [Int32](repeating: -1, count: size)
        mask = size - 1
        for (index, key) in keys.enumerated() {
            var position = Int(truncatingIfNeeded: key.fastHash) & mask
            while slots[position] >= 0 { position = (position &+ 1) & mask }
            slots[position] = Int32(index)
        }
    }
}

import Vocabulary

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

/// A small direct-mapped cache in front of a ``FlowTable`` for ``PlainIPv4UDPFrame``s, keyed by the
/// frame's raw address and port bytes: a hit costs a multiply, a load and two compares, with no
/// ``FlowKey`` built, hashed or probed for. A miss (a new stream, or two streams sharing a slot) is
/// looked up in the table and remembered, replacing the slot's previous stream.
public struct IPv4UDPFlowCache: Sendable {
    @usableFromInline
    struct Entry: Sendable {
        @usableFromInline var addresses: UInt64
        @usableFromInline var ports: UInt32
        /// Dense index in the table; -1 when the slot is empty.
        @usableFromInline var index: Int32
        @usableFromInline init(addresses: UInt64, ports: UInt32, index: Int32) {
            self.addresses = addresses
            self.ports = ports
            self.index = index
        }
    }
    @usableFromInline var entries = [Entry](repeating: Entry(addresses: 0, ports: 0, index: -1), count: 256)

    public init() {}

    @inlinable @inline(__always)
    static func slot(_ addresses: UInt64, _ ports: UInt32) -> Int {
        Int(truncatingIfNeeded: ((addresses ^ UInt64(ports) << 17) &* 0x9E37_79B9_7F4A_7C15) >> 56)
    }

    /// The table index remembered for the frame's stream, or nil.
    @inlinable @inline(__always)
    public func find(_ frame: PlainIPv4UDPFrame) -> Int? {
        let addresses = frame.rawAddresses, ports = frame.rawPorts
        let entry = entries[Self.slot(addresses, ports)]
        guard entry.addresses == addresses, entry.ports == ports, entry.index >= 0 else { return nil }
        return Int(entry.index)
    }

    /// Remembers that the frame's stream has table index `index`.
    public mutating func remember(_ frame: PlainIPv4UDPFrame, index: Int) {
        let addresses = frame.rawAddresses, ports = frame.rawPorts
        entries[Self.slot(addresses, ports)] = Entry(addresses: addresses, ports: ports, index: Int32(truncatingIfNeeded: index))
    }
}

/// Messages counted by a 16-bit type code without hashing per message: 64 slots, open addressing on
/// the code's low bits (the few dozen types a feed uses fit), a dictionary only past that. Nothing is
/// allocated until the first message.
public struct MessageTypeCounts: Sendable, Equatable {
    @usableFromInline static let slots = 64
    @usableFromInline var keys: [UInt16] = []
    @usableFromInline var counts: [UInt64] = []
    @usableFromInline var overflow: [UInt16: UInt64] = [:]

    public init() {}

    /// Counts one message of type `type`.
    @inlinable @inline(__always)
    public mutating func add(_ type: UInt16) {
        if _slowPath(counts.isEmpty) { allocate() }
        var i = Int(type) & (Self.slots - 1)
        for _ in 0..<Self.slots {
            if counts[i] == 0 { keys[i] = type }
            if keys[i] == type {
                counts[i] &+= 1
                return
            }
            i = (i + 1) & (Self.slots - 1)
        }
        overflow[type, default: 0] &+= 1
    }

    @usableFromInline mutating func allocate() {
        keys = Array(repeating: 0, count: Self.slots)
        counts = Array(repeating: 0, count: Self.slots)
    }

    /// Every type seen with its count.
    public var all: [UInt16: UInt64] {
        var out = overflow
        for (k, n) in zip(keys, counts) where n > 0 { out[k, default: 0] += n }
        return out
    }
}

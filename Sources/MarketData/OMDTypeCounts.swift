/// An OMD stream's messages by MsgType: the known types (``OMDMessageType/known``) in fixed slots —
/// counting one is an add, with no copy-on-write check — and every other type in a dictionary (the
/// analyzer's second pass counts those: they are rare). 192 bytes inline, where one counter per type
/// below 512 took 4 KB a stream (and 4 KB copied whenever the statistics were).
public struct OMDTypeCounts: Sendable, Equatable {
    /// Slots of the known types, and one more that every other type below 512 also adds to in the
    /// first pass (its exact type is counted in ``others`` by the second).
    @usableFromInline static let capacity = 24
    @usableFromInline var slots = InlineArray<24, UInt64>(repeating: 0)
    /// Messages of types that are not known, by type (below 512 and from 512 on).
    public internal(set) var others: [UInt16: UInt64] = [:]

    public init() {
        precondition(OMDMessageType.slotCount <= Self.capacity, "OMDTypeCounts: more known OMD types than slots")
    }

    /// Counts one message in `slot` (``OMDMessageType/slot(_:)``; the unknown slot for another type).
    @inlinable @inline(__always)
    mutating func add(slot: Int) { slots[unchecked: slot] &+= 1 }

    /// Counts one message of a type that is not known.
    @usableFromInline mutating func addOther(_ type: UInt16) { others[type, default: 0] &+= 1 }

    /// Messages of `type`.
    public subscript(type: Int) -> UInt64 {
        let slot = OMDMessageType.slot(UInt16(truncatingIfNeeded: type))
        return slot < OMDMessageType.known.count ? slots[slot] : others[UInt16(truncatingIfNeeded: type)] ?? 0
    }

    public static func == (a: OMDTypeCounts, b: OMDTypeCounts) -> Bool {
        a.others == b.others && (0..<capacity).allSatisfy { a.slots[$0] == b.slots[$0] }
    }
}

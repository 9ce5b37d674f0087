import Vocabulary

/// The transport 5-tuple a stream is keyed by (five words: aligned, cheap to copy and compare).
@frozen
public struct FlowKey: Hashable, Sendable, Comparable {
    @inlinable @inline(__always)
    public static func == (a: FlowKey, b: FlowKey) -> Bool {
        a.source == b.source && a.destination == b.destination && a.meta == b.meta
    }

    public var source: IPAddress
    public var destination: IPAddress
    /// sourcePort << 32 | destinationPort << 16 | protocol.
    public var meta: UInt64

    /// A key from its parts, `meta` as ``meta`` packs them.
    @inlinable @inline(__always)
    public init(source: IPAddress, destination: IPAddress, meta: UInt64) {
        self.source = source
        self.destination = destination
        self.meta = meta
    }

    public var sourcePort: UInt16 {
        @inlinable get { UInt16(truncatingIfNeeded: meta >> 32) }
        @inlinable set { meta = (meta & 0x0000_0000_FFFF_FFFF) | UInt64(newValue) << 32 }
    }
    public var destinationPort: UInt16 {
        @inlinable get { UInt16(truncatingIfNeeded: meta >> 16) }
        @inlinable set { meta = (meta & 0xFFFF_FFFF_0000_FFFF) | UInt64(newValue) << 16 }
    }
    /// IP protocol number (17 UDP, 6 TCP, …).
    public var ipProtocol: UInt8 {
        @inlinable get { UInt8(truncatingIfNeeded: meta) }
        @inlinable set { meta = (meta & ~0xFF) | UInt64(newValue) }
    }

    @inlinable @inline(__always)
    public init(ipProtocol: UInt8, source: IPAddress, sourcePort: UInt16, destination: IPAddress, destinationPort: UInt16) {
        self.source = source
        self.destination = destination
        meta = UInt64(sourcePort) << 32 | UInt64(destinationPort) << 16 | UInt64(ipProtocol)
    }

    /// A cheap, well-mixed 64-bit hash for open-addressing tables on hot paths (not DoS-resistant;
    /// the tables bound their probe length).
    @inlinable
    public var fastHash: UInt64 {
        var h = (source.low &+ source.high &* 31) &* 0x9E37_79B9_7F4A_7C15
        h ^= destination.low &+ destination.high &* 31 &+ meta
        h &*= 0xBF58_476D_1CE4_E5B9
        return h ^ (h >> 31)
    }

    public var protocolName: String {
        switch ipProtocol {
        case 17: "udp"
        case 6: "tcp"
        case 1: "icmp"
        case 58: "icmpv6"
        default: "ip-\(ipProtocol)"
        }
    }

    public static func < (a: FlowKey, b: FlowKey) -> Bool {
        (a.destination, a.destinationPort, a.source, a.sourcePort, a.ipProtocol) <
            (b.destination, b.destinationPort, b.source, b.sourcePort, b.ipProtocol)
    }
}

extension UInt64 {
    @inlinable func rotateLeft(_ n: UInt64) -> UInt64 { (self << n) | (self >> (64 - n)) }
}

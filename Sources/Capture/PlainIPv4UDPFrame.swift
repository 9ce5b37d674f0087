import Vocabulary
/// The shape of nearly every market-data packet, recognised after one bounds check: untagged
/// Ethernet, IPv4 without options and not a fragment, UDP whose length fits the IP length.
///
/// `init` returns nil for anything else, which ``PacketDecoder/decode(_:linkType:)`` then decodes the
/// general way (and classifies, when it is damaged); for a frame it accepts, ``decoded`` is exactly
/// what the general path gives. The raw address and port words let a per-packet consumer find the
/// frame's stream without building a ``FlowKey`` (see ``IPv4UDPFlowCache``).
@frozen
public struct PlainIPv4UDPFrame {
    @usableFromInline let data: ByteView
    /// UDP length − 8 (more than ``payload``'s count when the capture snapped the packet).
    public let declaredPayloadLength: Int
    /// Offset of the UDP payload in the frame.
    public static var payloadOffset: Int { 42 }

    /// The frame in `data` (starting at the Ethernet header), or nil when it is not of this shape.
    @inlinable @inline(__always)
    public init?(_ data: ByteView) {
        guard data.fits(0, 42) else { return nil }
        let etherType = UInt16(bigEndian: data.load(12, as: UInt16.self))
        let versionIHL = data.load(14, as: UInt8.self)
        let fragmentField = UInt16(bigEndian: data.load(20, as: UInt16.self))
        let proto = data.load(23, as: UInt8.self)
        guard etherType == 0x0800, versionIHL == 0x45, proto == 17, fragmentField & 0x3FFF == 0 else { return nil }
        let totalLength = Int(UInt16(bigEndian: data.load(16, as: UInt16.self)))
        let udpLength = Int(UInt16(bigEndian: data.load(38, as: UInt16.self)))
        guard udpLength >= 8, udpLength <= totalLength &- 20 else { return nil }
        self.data = data
        declaredPayloadLength = udpLength &- 8
    }

    /// The UDP payload, bounded by the UDP length and the captured bytes.
    @inlinable public var payload: ByteView {
        @inline(__always) get {
            let length = Swift.min(data.count &- 42, declaredPayloadLength)
            return ByteView(unsafeStart: length == 0 ? nil : data.base.unsafelyUnwrapped + 42, count: length)
        }
    }

    /// Source and destination address as stored in the frame (8 bytes at offset 26, loaded little-endian).
    @inlinable public var rawAddresses: UInt64 { @inline(__always) get { data.load(26, as: UInt64.self) } }
    /// Source and destination port as stored in the frame (4 bytes at offset 34, loaded little-endian).
    @inlinable public var rawPorts: UInt32 { @inline(__always) get { data.load(34, as: UInt32.self) } }

    /// The frame's UDP 5-tuple.
    @inlinable public var flow: FlowKey {
        @inline(__always) get {
            FlowKey(ipProtocol: 17,
                    source: IPAddress(v4: UInt32(bigEndian: data.load(26, as: UInt32.self))),
                    sourcePort: UInt16(bigEndian: data.load(34, as: UInt16.self)),
                    destination: IPAddress(v4: UInt32(bigEndian: data.load(30, as: UInt32.self))),
                    destinationPort: UInt16(bigEndian: data.load(36, as: UInt16.self)))
        }
    }

    /// The frame decoded, as ``PacketDecoder/decode(_:linkType:)`` gives it.
    @inlinable public var decoded: DecodedPacket {
        @inline(__always) get {
            var decoded = DecodedPacket(status: .transport)
            decoded.networkOffset = 14
            decoded.flow = flow
            decoded.declaredPayloadLength = declaredPayloadLength
            decoded.payloadOffset = Self.payloadOffset
            decoded.payload = payload
            return decoded
        }
    }
}

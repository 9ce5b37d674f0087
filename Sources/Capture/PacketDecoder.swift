import Vocabulary
/// What a packet is, from the link layer to the transport payload, decoded in place.
@frozen
public struct DecodedPacket {
    /// How far decoding got.
    public enum Status: UInt8, Sendable {
        /// IPv4/IPv6 with a UDP or TCP header decoded; `payload` is the transport payload.
        case transport
        /// IP decoded, transport not (other protocol, or a fragment: see `isFragment`).
        case network
        /// Not IP (ARP, LLDP, …), or a link type this decoder does not know.
        case notIP
        /// The captured bytes end inside a header (snapped or cut packet).
        case truncated
        /// A header that contradicts itself (IHL < 5, lengths that do not add up, bad IP version).
        case malformed
    }
    // Word-sized fields first, bytes last: copies stay aligned (no store-forwarding stalls).
    public var flow: FlowKey
    /// The transport payload (UDP datagram data, TCP segment data), bounded by the IP and UDP lengths
    /// (so Ethernet padding is excluded) and by the captured bytes.
    public var payload: ByteView
    /// The payload length the headers declare (UDP length − 8, or IP-derived for TCP); larger than
    /// `payload.count` when the capture snapped the packet.
    public var declaredPayloadLength: Int
    /// Offset of the IP header within the packet data.
    public var networkOffset: Int
    /// Offset of the transport payload within the packet data.
    public var payloadOffset: Int
    /// TCP only: sequence and acknowledgement numbers.
    public var tcpSequence: UInt32
    public var tcpAcknowledgement: UInt32
    /// The outermost 802.1Q / 802.1ad tag's VLAN id.
    public var vlanID: UInt16
    public var status: Status
    /// IPv4 fragment (MF set or offset ≠ 0) or IPv6 Fragment header present.
    public var isFragment: Bool
    /// Number of 802.1Q / 802.1ad tags skipped.
    public var vlanTags: UInt8
    /// TCP only: flags byte.
    public var tcpFlags: UInt8

    @inlinable @inline(__always) init(status: Status) {
        self.status = status
        flow = FlowKey(ipProtocol: 0, source: IPAddress(v4: 0), sourcePort: 0, destination: IPAddress(v4: 0), destinationPort: 0)
        payload = .empty
        declaredPayloadLength = 0
        isFragment = false
        vlanTags = 0
        vlanID = 0
        tcpFlags = 0
        tcpSequence = 0
        tcpAcknowledgement = 0
        networkOffset = 0
        payloadOffset = 0
    }
}

/// Decodes link, network and transport headers of captured packets. Pure, allocation-free, never traps.
///
/// Link types: Ethernet (any number of 802.1Q / 802.1ad / QinQ tags), Linux SLL and SLL2, raw IP
/// (101, 228, 229, and 12/14 as some BSDs wrote DLT_RAW), BSD NULL (0, host byte order) and LOOP
/// (108, network byte order). Network: IPv4 (options; fragments recognised) and IPv6 (hop-by-hop,
/// routing, fragment, destination options, AH and mobility extension headers). Transport: UDP, TCP.
public enum PacketDecoder {
    @inlinable @inline(__always)
    public static func decode(_ data: ByteView, linkType: LinkType) -> DecodedPacket {
        // Raw values, not the `static let`s: those cost a lazy-initialisation check per packet.
        switch linkType.rawValue {
        case 1:
            if let plain = plainEthernetIPv4UDP(data) { return plain }
            return ethernet(data)
        case 113:
            // Linux cooked capture: a tag the kernel did not strip follows the header (protocol 0x8100).
            guard let proto = data.getUInt16BE(at: 14) else { return DecodedPacket(status: .truncated) }
            return tagged(data, etherType: proto, at: 16)
        case 276:
            guard let proto = data.getUInt16BE(at: 0), data.count >= 20 else { return DecodedPacket(status: .truncated) }
            return tagged(data, etherType: proto, at: 20)
        case 101, 12, 14:
            guard let first = data.getUInt8(at: 0) else { return DecodedPacket(status: .truncated) }
            switch first >> 4 {
            case 4: return ipv4(data, at: 0)
            case 6: return ipv6(data, at: 0)
            default: return DecodedPacket(status: .malformed)
            }
        case 228: return ipv4(data, at: 0)
        case 229: return ipv6(data, at: 0)
        case 0, 108:
            guard let le = data.getUInt32LE(at: 0), let be = data.getUInt32BE(at: 0) else {
                return DecodedPacket(status: .truncated)
            }
            // NULL is in the capturing host's byte order, LOOP in network order: accept either.
            let family = linkType.rawValue == 108 ? be : (le < 0x10000 ? le : be)
            switch family {
            case 2: return ipv4(data, at: 4)
            case 10, 24, 28, 30: return ipv6(data, at: 4)  // Linux, NetBSD/OpenBSD, FreeBSD, Darwin
            default: return DecodedPacket(status: .notIP)
            }
        default:
            return DecodedPacket(status: .notIP)
        }
    }

    /// Untagged Ethernet, IPv4 without options and not a fragment, UDP with consistent lengths, decoded
    /// after one bounds check (``PlainIPv4UDPFrame``); nil for anything else. Same result as the general path.
    @inlinable @inline(__always)
    static func plainEthernetIPv4UDP(_ data: ByteView) -> DecodedPacket? {
        PlainIPv4UDPFrame(data)?.decoded
    }

    @inlinable @inline(__always)
    static func ethernet(_ data: ByteView) -> DecodedPacket {
        guard let etherType = data.getUInt16BE(at: 12) else { return DecodedPacket(status: .truncated) }
        return tagged(data, etherType: etherType, at: 14)
    }

    /// The network layer after any 802.1Q / 802.1ad / QinQ tags starting at `offset` (Ethernet, and
    /// Linux SLL/SLL2 whose protocol is a tag), with the outermost tag's VLAN id.
    @inlinable @inline(__always)
    static func tagged(_ data: ByteView, etherType first: UInt16, at start: Int) -> DecodedPacket {
        var etherType = first
        var offset = start
        var tags: UInt8 = 0
        var vlan: UInt16 = 0
        while etherType == 0x8100 || etherType == 0x88A8 || etherType == 0x9100 {
            guard let tci = data.getUInt16BE(at: offset), let inner = data.getUInt16BE(at: offset + 2) else {
                return DecodedPacket(status: .truncated)
            }
            if tags == 0 { vlan = tci & 0x0FFF }
            tags &+= 1
            if tags > 8 { return DecodedPacket(status: .malformed) }
            etherType = inner
            offset += 4
        }
        var decoded = network(data, etherType: etherType, at: offset)
        decoded.vlanTags = tags
        decoded.vlanID = vlan
        return decoded
    }

    @inlinable @inline(__always)
    static func network(_ data: ByteView, etherType: UInt16, at offset: Int) -> DecodedPacket {
        switch etherType {
        case 0x0800: return ipv4(data, at: offset)
        case 0x86DD: return ipv6(data, at: offset)
        default: return DecodedPacket(status: .notIP)
        }
    }

    @inlinable @inline(__always)
    static func ipv4(_ data: ByteView, at offset: Int) -> DecodedPacket {
        guard let versionIHL = data.getUInt8(at: offset),
              let totalLength = data.getUInt16BE(at: offset + 2),
              let fragmentField = data.getUInt16BE(at: offset + 6),
              let proto = data.getUInt8(at: offset + 9),
              let source = data.getUInt32BE(at: offset + 12),
              let destination = data.getUInt32BE(at: offset + 16) else {
            return DecodedPacket(status: .truncated)
        }
        let headerLength = Int(versionIHL & 0x0F) * 4
        guard versionIHL >> 4 == 4, headerLength >= 20, Int(totalLength) >= headerLength else {
            return DecodedPacket(status: .malformed)
        }
        var decoded = DecodedPacket(status: .network)
        decoded.networkOffset = offset
        decoded.flow.ipProtocol = proto
        decoded.flow.source = IPAddress(v4: source)
        decoded.flow.destination = IPAddress(v4: destination)
        // More-fragments flag or a non-zero fragment offset.
        if fragmentField & 0x3FFF != 0 {
            decoded.isFragment = true
            return decoded
        }
        let transportOffset = offset + headerLength
        let transportLength = Int(totalLength) - headerLength
        return transport(data, decoded, at: transportOffset, length: transportLength)
    }

    @inlinable @inline(__always)
    static func ipv6(_ data: ByteView, at offset: Int) -> DecodedPacket {
        guard let first = data.getUInt8(at: offset),
              let payloadLength = data.getUInt16BE(at: offset + 4),
              var next = data.getUInt8(at: offset + 6),
              let sh = data.getUInt64BE(at: offset + 8), let sl = data.getUInt64BE(at: offset + 16),
              let dh = data.getUInt64BE(at: offset + 24), let dl = data.getUInt64BE(at: offset + 32) else {
            return DecodedPacket(status: .truncated)
        }
        guard first >> 4 == 6 else { return DecodedPacket(status: .malformed) }
        var decoded = DecodedPacket(status: .network)
        decoded.networkOffset = offset
        decoded.flow.source = IPAddress(v6High: sh, low: sl)
        decoded.flow.destination = IPAddress(v6High: dh, low: dl)
        var cursor = offset + 40
        var remaining = Int(payloadLength)  // 0 = jumbogram: bounded by the captured bytes below
        if remaining == 0 { remaining = max(0, data.count - cursor) }
        var headers = 0
        while true {
            switch next {
            case 0, 43, 60, 135, 139, 140:  // hop-by-hop, routing, destination options, mobility, HIP, shim6
                guard let nh = data.getUInt8(at: cursor), let len = data.getUInt8(at: cursor + 1) else {
                    return DecodedPacket(status: .truncated)
                }
                let size = (Int(len) + 1) * 8
                next = nh
                cursor += size
                remaining -= size
            case 44:  // fragment
                guard let nh = data.getUInt8(at: cursor), let field = data.getUInt16BE(at: cursor + 2) else {
                    return DecodedPacket(status: .truncated)
                }
                next = nh
                cursor += 8
                remaining -= 8
                if field & 0xFFF9 != 0 {  // offset ≠ 0 or M flag
                    decoded.isFragment = true
                    decoded.flow.ipProtocol = nh
                    return decoded
                }
            case 51:  // AH: length in 4-byte units, minus 2
                guard let nh = data.getUInt8(at: cursor), let len = data.getUInt8(at: cursor + 1) else {
                    return DecodedPacket(status: .truncated)
                }
                let size = (Int(len) + 2) * 4
                next = nh
                cursor += size
                remaining -= size
            default:
                decoded.flow.ipProtocol = next
                guard remaining >= 0 else { return DecodedPacket(status: .malformed) }
                return transport(data, decoded, at: cursor, length: remaining)
            }
            headers += 1
            if headers > 16 || remaining < 0 { return DecodedPacket(status: .malformed) }
        }
    }

    /// Decodes UDP or TCP at `offset`; `length` is what the IP header says the transport occupies.
    @inlinable @inline(__always)
    static func transport(_ data: ByteView, _ ip: DecodedPacket, at offset: Int, length: Int) -> DecodedPacket {
        var decoded = ip
        switch decoded.flow.ipProtocol {
        case 17:
            guard let sport = data.getUInt16BE(at: offset), let dport = data.getUInt16BE(at: offset + 2),
                  let udpLength = data.getUInt16BE(at: offset + 4), data.count >= offset + 8 else {
                return DecodedPacket(status: .truncated)
            }
            guard udpLength >= 8, Int(udpLength) <= length else { return DecodedPacket(status: .malformed) }
            decoded.flow.sourcePort = sport
            decoded.flow.destinationPort = dport
            decoded.declaredPayloadLength = Int(udpLength) - 8
            decoded.payloadOffset = offset + 8
        case 6:
            guard let sport = data.getUInt16BE(at: offset), let dport = data.getUInt16BE(at: offset + 2),
                  let seq = data.getUInt32BE(at: offset + 4), let ack = data.getUInt32BE(at: offset + 8),
                  let dataOffset = data.getUInt8(at: offset + 12), let flags = data.getUInt8(at: offset + 13) else {
                return DecodedPacket(status: .truncated)
            }
            let headerLength = Int(dataOffset >> 4) * 4
            guard headerLength >= 20, headerLength <= length else { return DecodedPacket(status: .malformed) }
            guard data.count >= offset + headerLength else { return DecodedPacket(status: .truncated) }
            decoded.flow.sourcePort = sport
            decoded.flow.destinationPort = dport
            decoded.tcpSequence = seq
            decoded.tcpAcknowledgement = ack
            decoded.tcpFlags = flags
            decoded.declaredPayloadLength = length - headerLength
            decoded.payloadOffset = offset + headerLength
        default:
            return decoded
        }
        let available = max(0, data.count - decoded.payloadOffset)
        decoded.payload = data.getSlice(at: decoded.payloadOffset, count: min(available, decoded.declaredPayloadLength)) ?? .empty
        decoded.status = .transport
        return decoded
    }
}

import Vocabulary
/// Builds the IPv4 + UDP header (28 bytes, LINKTYPE_RAW framing) for a datagram received from a
/// socket, so a receiver can write what it got as a capture other tools read.
public enum DatagramFrame {
    /// The header for `payloadLength` bytes from `source` to `destination` (IPv4 only; the checksum of
    /// the UDP header is left 0, "none", as RFC 768 allows).
    public static func ipv4UDPHeader(source: Endpoint, destination: Endpoint, payloadLength: Int) -> [UInt8] {
        var h = ipv4Header(protocol: 17, source: source, destination: destination, totalLength: 28 + payloadLength, headerBytes: 28)
        h[20] = UInt8(source.port >> 8); h[21] = UInt8(source.port & 0xFF)
        h[22] = UInt8(destination.port >> 8); h[23] = UInt8(destination.port & 0xFF)
        let udpLength = 8 + payloadLength
        h[24] = UInt8(truncatingIfNeeded: udpLength >> 8); h[25] = UInt8(truncatingIfNeeded: udpLength)
        return h
    }

    /// A whole IPv4 + TCP packet (LINKTYPE_RAW framing, 40 header bytes, no options) carrying `payload`.
    public static func ipv4TCPPacket(source: Endpoint, destination: Endpoint, sequence: UInt32, acknowledgement: UInt32,
                                     flags: UInt8, window: UInt16 = 65_535, payload: [UInt8]) -> [UInt8] {
        var h = ipv4Header(protocol: 6, source: source, destination: destination, totalLength: 40 + payload.count, headerBytes: 40)
        h[20] = UInt8(source.port >> 8); h[21] = UInt8(source.port & 0xFF)
        h[22] = UInt8(destination.port >> 8); h[23] = UInt8(destination.port & 0xFF)
        for i in 0..<4 {
            h[24 + i] = UInt8(truncatingIfNeeded: sequence >> (24 - 8 * i))
            h[28 + i] = UInt8(truncatingIfNeeded: acknowledgement >> (24 - 8 * i))
        }
        h[32] = 0x50  // data offset 5 words
        h[33] = flags
        h[34] = UInt8(window >> 8); h[35] = UInt8(window & 0xFF)
        return h + payload
    }

    /// A 20-byte IPv4 header (DF, TTL 64, checksum filled) at the start of `headerBytes` zeroed bytes.
    static func ipv4Header(protocol p: UInt8, source: Endpoint, destination: Endpoint, totalLength: Int, headerBytes: Int) -> [UInt8] {
        var h = [UInt8](repeating: 0, count: headerBytes)
        h[0] = 0x45
        h[2] = UInt8(truncatingIfNeeded: totalLength >> 8); h[3] = UInt8(truncatingIfNeeded: totalLength)
        h[6] = 0x40
        h[8] = 64
        h[9] = p
        let s = source.address.v4, d = destination.address.v4
        for i in 0..<4 {
            h[12 + i] = UInt8(truncatingIfNeeded: s >> (24 - 8 * i))
            h[16 + i] = UInt8(truncatingIfNeeded: d >> (24 - 8 * i))
        }
        var sum: UInt32 = 0
        for i in stride(from: 0, to: 20, by: 2) { sum += UInt32(h[i]) << 8 | UInt32(h[i + 1]) }
        while sum > 0xFFFF { sum = (sum & 0xFFFF) + (sum >> 16) }
        let checksum = ~UInt16(sum)
        h[10] = UInt8(checksum >> 8); h[11] = UInt8(checksum & 0xFF)
        return h
    }
}

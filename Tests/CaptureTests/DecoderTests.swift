import TestSupport
import Vocabulary
import Capture
import Foundation
import Testing

@Suite("Link, network and transport decoding")
struct DecoderTests {
    let payload: [UInt8] = Array(0..<40)

    func view<R>(_ bytes: [UInt8], _ body: (ByteView) -> R) -> R {
        bytes.withUnsafeBytes { body(ByteView(unsafeStart: $0.baseAddress, count: $0.count)) }
    }

    func expectUDP(_ d: DecodedPacket, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(d.status == .transport, sourceLocation: sourceLocation)
        #expect(d.flow.ipProtocol == 17, sourceLocation: sourceLocation)
        #expect(d.flow.sourcePort == 5000, sourceLocation: sourceLocation)
        #expect(d.flow.destinationPort == 51001, sourceLocation: sourceLocation)
        #expect(d.payload.bytes == payload, sourceLocation: sourceLocation)
        #expect(d.declaredPayloadLength == payload.count, sourceLocation: sourceLocation)
    }

    @Test("Ethernet with 0, 1 and 2 VLAN tags (802.1Q, 802.1ad), padding excluded from the payload")
    func ethernet() {
        for tags in [[], [100], [0x8100, 200]] as [[UInt16]] {
            var frame = udpFrame(payload: payload, vlanTags: tags.isEmpty ? [] : [tags.last!], padTo: 0)
            if tags.count == 2 {  // outer 802.1ad tag
                frame.insert(contentsOf: [0x88, 0xA8, 0x00, 0x2A], at: 12)
            }
            frame += [0, 0, 0, 0, 0, 0]  // Ethernet padding / trailer: not payload
            let d = view(frame) { PacketDecoder.decode($0, linkType: .ethernet) }
            expectUDP(d)
            #expect(Int(d.vlanTags) == tags.count)
            #expect(d.flow.destination == IPAddress("239.1.1.1"))
            #expect(d.flow.source == IPAddress("10.0.0.1"))
            if tags.count == 2 { #expect(d.vlanID == 42) }
        }
    }

    @Test("the Ethernet/IPv4/UDP fast path decodes exactly as the general IPv4 path, for every header byte changed and every length")
    func plainUDPFastPath() {
        let frame = udpFrame(payload: payload, padTo: 0) + [0, 0, 0, 0]  // with a trailer the UDP length excludes
        func same(_ bytes: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) {
            let viaEthernet = view(bytes) { PacketDecoder.decode($0, linkType: .ethernet) }
            let viaIPv4 = view(Array(bytes.dropFirst(14))) { PacketDecoder.decode($0, linkType: .ipv4) }
            #expect(viaEthernet.status == viaIPv4.status, sourceLocation: sourceLocation)
            guard viaEthernet.status == viaIPv4.status, viaEthernet.status == .transport || viaEthernet.status == .network else { return }
            #expect(viaEthernet.flow == viaIPv4.flow, sourceLocation: sourceLocation)
            #expect(viaEthernet.isFragment == viaIPv4.isFragment, sourceLocation: sourceLocation)
            #expect(viaEthernet.networkOffset == 14 && viaIPv4.networkOffset == 0, sourceLocation: sourceLocation)
            guard viaEthernet.status == .transport else { return }
            #expect(viaEthernet.payloadOffset == viaIPv4.payloadOffset + 14, sourceLocation: sourceLocation)
            #expect(viaEthernet.declaredPayloadLength == viaIPv4.declaredPayloadLength, sourceLocation: sourceLocation)
            #expect(viaEthernet.payload.bytes == viaIPv4.payload.bytes, sourceLocation: sourceLocation)
        }
        expectUDP(view(frame) { PacketDecoder.decode($0, linkType: .ethernet) })
        for length in 14...frame.count { same(Array(frame.prefix(length))) }
        for offset in 14..<42 {
            for value: UInt8 in [0, 1, 4, 5, 6, 0x11, 0x20, 0x3F, 0x44, 0x45, 0x46, 0x80, 0xFF, frame[offset] &+ 1, frame[offset] &- 1] {
                var mutated = frame
                mutated[offset] = value
                same(mutated)
                same(Array(mutated.prefix(50)))  // snapped inside the payload
            }
        }
    }

    @Test("IPv4 options, fragments, TCP")
    func ipv4() {
        let withOptions = [0x08, 0x00] as [UInt8]
        let ip = ipv4UDP(source: 1, destination: 2, sourcePort: 5000, destinationPort: 51001, payload: payload, options: [1, 1, 1, 1, 1, 1, 1, 0])
        let d = view([UInt8](repeating: 0, count: 12) + withOptions + ip) { PacketDecoder.decode($0, linkType: .ethernet) }
        expectUDP(d)
        #expect(d.payloadOffset == 14 + 28 + 8)
        let fragment = ipv4UDP(source: 1, destination: 2, sourcePort: 5000, destinationPort: 51001, payload: payload, fragment: 0x2000)
        let f = view(fragment) { PacketDecoder.decode($0, linkType: .ipv4) }
        #expect(f.status == .network)
        #expect(f.isFragment)
        let later = ipv4UDP(source: 1, destination: 2, sourcePort: 5000, destinationPort: 51001, payload: payload, fragment: 0x0010)
        #expect(view(later) { PacketDecoder.decode($0, linkType: .raw) }.isFragment)
        // TCP with options, flags and sequence numbers.
        let tcp: [UInt8] = be16(40000) + be16(9876) + be32(1000) + be32(2000) + [0x60, 0x18] + be16(1024) + [0, 0, 0, 0] + [2, 4, 5, 0xb4] + payload
        var header: [UInt8] = [0x45, 0] + be16(UInt16(20 + tcp.count)) + [0, 0, 0x40, 0, 64, 6, 0, 0] + be32(1) + be32(2)
        header += tcp
        let t = view(header) { PacketDecoder.decode($0, linkType: .ipv4) }
        #expect(t.status == .transport)
        #expect(t.flow.ipProtocol == 6)
        #expect(t.tcpSequence == 1000 && t.tcpAcknowledgement == 2000 && t.tcpFlags == 0x18)
        #expect(t.payload.bytes == payload)
    }

    func ipv6Packet(extensions: [(UInt8, [UInt8])]) -> [UInt8] {
        let udp = be16(5000) + be16(51001) + be16(UInt16(8 + payload.count)) + [0, 0] + payload
        var chain: [UInt8] = []
        for (i, ext) in extensions.enumerated() {
            let next: UInt8 = i + 1 < extensions.count ? extensions[i + 1].0 : 17
            chain += [next] + ext.1
        }
        let first: UInt8 = extensions.first?.0 ?? 17
        var p: [UInt8] = [0x60, 0, 0, 0] + be16(UInt16(chain.count + udp.count)) + [first, 64]
        p += [0xff, 0x02] + [UInt8](repeating: 0, count: 13) + [1]  // source ff02::1 (any 16 bytes)
        p += [0x20, 0x01, 0x0d, 0xb8] + [UInt8](repeating: 0, count: 11) + [7]
        return p + chain + udp
    }

    @Test("IPv6 with hop-by-hop, routing, destination options and fragment headers")
    func ipv6() {
        let hop: (UInt8, [UInt8]) = (0, [0, 1, 0, 0, 0, 0, 0])  // length 0 → 8 bytes
        let routing: (UInt8, [UInt8]) = (43, [1] + [UInt8](repeating: 0, count: 14))  // length 1 → 16 bytes
        let dest: (UInt8, [UInt8]) = (60, [0, 1, 0, 0, 0, 0, 0])
        let fragmentFirst: (UInt8, [UInt8]) = (44, [0, 0, 0, 0, 0, 0, 1])  // offset 0, M = 0: atomic fragment
        let d = view(ipv6Packet(extensions: [hop, routing, dest, fragmentFirst])) { PacketDecoder.decode($0, linkType: .ipv6) }
        expectUDP(d)
        #expect(d.flow.destination == IPAddress("2001:db8::7"))
        #expect(d.flow.destination.description == "2001:db8::7")
        let fragmentMore: (UInt8, [UInt8]) = (44, [0, 0, 1, 0, 0, 0, 1])  // M = 1
        #expect(view(ipv6Packet(extensions: [fragmentMore])) { PacketDecoder.decode($0, linkType: .raw) }.isFragment)
    }

    @Test("Linux SLL and SLL2, NULL in both byte orders, LOOP")
    func cookedAndLoopback() {
        let ip = ipv4UDP(source: 1, destination: 2, sourcePort: 5000, destinationPort: 51001, payload: payload)
        let sll: [UInt8] = [0, 0, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0, 0x08, 0x00] + ip
        expectUDP(view(sll) { PacketDecoder.decode($0, linkType: .linuxSLL) })
        let sll2: [UInt8] = [0x08, 0x00, 0, 0, 0, 0, 0, 2, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0] + ip
        expectUDP(view(sll2) { PacketDecoder.decode($0, linkType: .linuxSLL2) })
        expectUDP(view(le32(2) + ip) { PacketDecoder.decode($0, linkType: .null) })
        expectUDP(view(be32(2) + ip) { PacketDecoder.decode($0, linkType: .null) })
        expectUDP(view(be32(2) + ip) { PacketDecoder.decode($0, linkType: .loop) })
        let v6 = ipv6Packet(extensions: [])
        expectUDP(view(le32(30) + v6) { PacketDecoder.decode($0, linkType: .null) })
        expectUDP(view(v6) { PacketDecoder.decode($0, linkType: .raw) })
    }

    @Test("every truncation of a frame is .truncated or decodes, never traps; nonsense is .malformed")
    func truncations() {
        let frame = udpFrame(payload: payload, vlanTags: [7])
        for length in 0..<frame.count {
            let d = view(Array(frame.prefix(length))) { PacketDecoder.decode($0, linkType: .ethernet) }
            if length < 14 + 4 + 20 + 8 { #expect(d.status == .truncated, "length \(length)") }
            else { #expect(d.status == .transport && d.payload.count == length - 46 && d.declaredPayloadLength == 40) }
        }
        var bad = udpFrame(payload: payload)
        bad[14] = 0x43  // IHL 3
        #expect(view(bad) { PacketDecoder.decode($0, linkType: .ethernet) }.status == .malformed)
        bad = udpFrame(payload: payload)
        bad[14 + 20 + 4] = 0xff  // UDP length beyond the IP packet
        #expect(view(bad) { PacketDecoder.decode($0, linkType: .ethernet) }.status == .malformed)
        let arp: [UInt8] = [UInt8](repeating: 0xff, count: 12) + [0x08, 0x06] + [UInt8](repeating: 0, count: 28)
        #expect(view(arp) { PacketDecoder.decode($0, linkType: .ethernet) }.status == .notIP)
        #expect(view(arp) { PacketDecoder.decode($0, linkType: LinkType(rawValue: 147)) }.status == .notIP)
    }

    @Test("IP address text round trips")
    func addresses() {
        for text in ["0.0.0.0", "239.1.1.1", "255.255.255.255", "::", "::1", "2001:db8::7", "fe80::1:2:3:4", "1:2:3:4:5:6:7:8"] {
            #expect(IPAddress(text)?.description == text)
        }
        for bad in ["1.2.3", "1.2.3.256", "a.b.c.d", "1::2::3", "12345::", ""] { #expect(IPAddress(bad) == nil) }
        #expect(Endpoint("239.1.1.1:51001")?.port == 51001)
        #expect(Endpoint("[::1]:80")?.description == "[::1]:80")
        #expect(Endpoint("239.1.1.1") == nil)
        #expect(IPAddress("239.1.1.1")!.isMulticast && !IPAddress("10.0.0.1")!.isMulticast)
    }

    @Test("BPF filters select the same packets tcpdump would, per link type")
    func filters() throws {
        let filter = PacketFilter(expression: "udp and dst port 51001")
        let hit = udpFrame(payload: payload)
        let miss = udpFrame(destinationPort: 51002, payload: payload)
        func matches(_ bytes: [UInt8], _ linkType: LinkType) -> Bool {
            view(bytes) { filter.matches(data: $0, originalLength: bytes.count, linkType: linkType) }
        }
        #expect(matches(hit, .ethernet))
        #expect(!matches(miss, .ethernet))
        let raw = ipv4UDP(source: 1, destination: 2, sourcePort: 1, destinationPort: 51001, payload: [])
        #expect(matches(raw, .raw))
        #expect(throws: PacketFilter.CompileError.self) { try PacketFilter(expression: "udp and and").prepare(for: .ethernet) }
    }
}

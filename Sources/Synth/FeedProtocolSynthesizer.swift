import Vocabulary
import Capture
import MarketData

/// Captures of the feed protocols other than OMD (``FeedProtocol``), for tests and demos: per
/// channel a sequenced stream of datagrams of 1–4 messages each, a heartbeat now and then, and the
/// `gap` faults of the configuration (from its time, the next N datagrams of every channel are lost).
/// Channel i goes to `destination` with its last address byte + i and port + i. Deterministic for a seed.
/// CME MDP 3.0 and EOBI number packets (a heartbeat packet takes a number on CME and none on EOBI); an
/// EOBI channel interleaves two products (MarketSegmentIDs), each numbered on its own.
public enum FeedProtocolSynthesizer {
    public struct Summary: Sendable, Equatable {
        public var packets = 0
        public var messages = 0
        public var droppedPackets = 0
        public var droppedMessages = 0
    }

    /// Writes `packets` datagrams in all (spaced 100 µs per channel) of `feedProtocol` to `path`.
    public static func generate(_ feedProtocol: FeedProtocol, channels: Int, packets: Int, seed: UInt64, faults: [SynthFault],
                                destination: Endpoint, to path: String) throws(CaptureWriteError) -> Summary {
        var rng = SeededRandom(seed: seed)
        let writer = try CaptureWriter(path: path, options: CaptureWriter.Options(format: path.hasSuffix(".pcapng") ? .pcapng : .pcap),
                                       interfaces: [.init(linkType: .ethernet, snapLength: 65_535, name: "synth")])
        var summary = Summary()
        // Per channel (and per product for EOBI: two per channel).
        var sequence = [UInt64](repeating: 1, count: channels * 2)
        var dropUntil = [Int](repeating: 0, count: channels)
        let start: Int64 = 1_767_575_700_000_000_000
        let gaps = faults.filter { $0.kind == .gap }.sorted { $0.at < $1.at }
        var nextGap = 0
        for k in 0..<packets {
            let c = k % channels, round = k / channels
            let time = start + Int64(round) * 100_000 + Int64(c) * 1_000
            while nextGap < gaps.count, gaps[nextGap].at <= time - start {
                for ch in 0..<channels where gaps[nextGap].channel == nil || gaps[nextGap].channel == ch {
                    dropUntil[ch] = round + Int(gaps[nextGap].amount)
                }
                nextGap += 1
            }
            let heartbeat = round > 0 && round % 50 == 0
            let count = heartbeat ? 0 : rng.int(1...4)
            let product = feedProtocol == .eurexEOBI ? c * 2 + round % 2 : c
            let payload = datagram(feedProtocol, channel: product, sequence: sequence[product], messages: count, time: time, rng: &rng)
            if feedProtocol.sequencesPackets {
                if !(heartbeat && feedProtocol == .eurexEOBI) { sequence[product] += 1 }
            } else {
                sequence[product] += UInt64(count)
            }
            if round < dropUntil[c] {
                summary.droppedPackets += 1
                summary.droppedMessages += count
                continue
            }
            let group = IPAddress(v4: destination.address.v4 &+ UInt32(c))
            // Ethernet (multicast MAC of the group) + IPv4 + UDP.
            let ethernet: [UInt8] = [0x01, 0x00, 0x5E, UInt8(group.v4 >> 16 & 0x7F), UInt8(group.v4 >> 8 & 0xFF), UInt8(group.v4 & 0xFF),
                                     0x02, 0, 0, 0, 0, 1, 0x08, 0x00]
            let frame = ethernet + DatagramFrame.ipv4UDPHeader(source: Endpoint(address: IPAddress(v4: 0x0A00_0301), port: 40_000),
                                                               destination: Endpoint(address: group, port: destination.port &+ UInt16(c)),
                                                               payloadLength: payload.count) + payload
            try writer.write(timestamp: time, bytes: frame)
            summary.packets += 1
            summary.messages += count
        }
        try writer.close()
        return summary
    }

    /// One datagram: the protocol's header and `messages` messages of 8–40 bytes.
    static func datagram(_ p: FeedProtocol, channel: Int, sequence: UInt64, messages: Int, time: Int64, rng: inout SeededRandom) -> [UInt8] {
        var bodies: [[UInt8]] = []
        for _ in 0..<messages {
            let size = rng.int(8...40)
            var m = [UInt8](repeating: 0, count: size)
            m[0] = UInt8(ascii: "A") + UInt8(rng.int(0...5))
            for i in 1..<size { m[i] = UInt8(truncatingIfNeeded: rng.next()) }
            bodies.append(m)
        }
        func le16(_ v: Int) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF)] }
        func be16(_ v: Int) -> [UInt8] { [UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }
        func le32(_ v: UInt64) -> [UInt8] { (0..<4).map { UInt8(v >> (8 * $0) & 0xFF) } }
        func le64(_ v: UInt64) -> [UInt8] { (0..<8).map { UInt8(v >> (8 * $0) & 0xFF) } }
        func be64(_ v: UInt64) -> [UInt8] { (0..<8).reversed().map { UInt8(v >> (8 * $0) & 0xFF) } }
        switch p {
        case .moldUDP64:
            let session = Array("SYNTH\(String(channel).count < 2 ? "0" : "")\(channel)".utf8)
            let padded = (session + [UInt8](repeating: 0x20, count: 10)).prefix(10)
            return Array(padded) + be64(sequence) + be16(messages) + bodies.flatMap { be16($0.count) + $0 }
        case .iexTP:
            let blocks = bodies.flatMap { le16($0.count) + $0 }
            return [1, 0] + le16(0x8004) + le32(UInt64(channel + 1)) + le32(1_767_000_000) + le16(blocks.count) + le16(messages)
                + le64(0) + le64(sequence) + le64(UInt64(time)) + blocks
        case .cboePitch:
            let blocks = bodies.flatMap { [UInt8($0.count + 1)] + $0 }
            return le16(8 + blocks.count) + [UInt8(messages), UInt8(channel + 1)] + le32(sequence) + blocks
        case .nyseXDP:
            // MsgSize includes its own 2 bytes and the 2-byte MsgType that the body's first byte stands in for.
            let blocks = bodies.flatMap { le16($0.count + 3) + [$0[0], 0] + $0.dropFirst() }
            let seconds = UInt64(time / 1_000_000_000), nanoseconds = UInt64(time % 1_000_000_000)
            return le16(16 + blocks.count) + [messages == 0 ? 1 : 11, UInt8(messages)] + le32(sequence) + le32(seconds)
                + le32(nanoseconds) + blocks
        case .cmeMDP3:
            // MsgSize + SBE header (BlockLength, TemplateID, SchemaID 1, Version 9) + body; a heartbeat
            // packet carries one AdminHeartbeat12.
            let messages = messages == 0 ? [[UInt8]()] : bodies
            let templates = [46, 47, 48, 49, 30, 37]
            let blocks = messages.flatMap { (body: [UInt8]) -> [UInt8] in
                let template = body.isEmpty ? 12 : templates[Int(body[0] - UInt8(ascii: "A"))]
                let sbe: [UInt8] = le16(body.count) + le16(template) + le16(1) + le16(9)
                return le16(body.count + 10) + sbe + body
            }
            return le32(sequence) + le64(UInt64(time)) + blocks
        case .eurexEOBI:
            // PacketHeader (32 bytes) + messages of BodyLen, TemplateID, MsgSeqNum + body; a heartbeat
            // packet carries one Heartbeat (13001).
            let segment = UInt64(100 + channel)
            let flags: [UInt8] = [0, 1, sequence == 1 ? 1 : 0, 0, 0, 0, 0, 0]
            var header: [UInt8] = le16(32) + le16(13005) + le32(0)
            header += le32(messages == 0 ? 0 : sequence) + le32(segment)
            header += flags + le64(UInt64(time))
            if messages == 0 { return header + le16(16) + le16(13001) + le32(0) + le32(sequence &- 1) + le32(0) }
            return header + bodies.enumerated().flatMap { (i: Int, body: [UInt8]) -> [UInt8] in
                let template = 13100 + Int(body[0] - UInt8(ascii: "A"))
                return le16(body.count + 8) + le16(template) + le32(UInt64(i + 1)) + body
            }
        case .omd:
            var b = OMDPacketBuilder()
            b.start(sequenceNumber: UInt32(truncatingIfNeeded: sequence), sendTime: UInt64(time))
            for _ in 0..<messages { _ = b.message(type: 330, length: 32) }
            b.finish()
            return b.packet
        }
    }
}

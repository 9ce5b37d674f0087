import Vocabulary
import Capture
import Foundation
import OrderEntry

/// What `synth --fix` generates: FIX client sessions to one gateway, as real TCP in a capture.
public struct FIXSynthConfiguration: Sendable {
    public var seed: UInt64 = 1
    public var sessions = 4
    /// Application messages (orders, cancels, replaces) per session.
    public var ordersPerSession = 500
    /// Average application messages per second per session.
    public var rate: Double = 1_000
    public var start: Int64 = 1_767_575_700_000_000_000
    public var gateway = Endpoint(address: IPAddress(v4: 0x0A00_0901), port: 9_001)   // 10.0.9.1:9001
    public var clientBase = IPAddress(v4: 0x0A00_0801)                                  // 10.0.8.1, +1 per session
    public var beginString = "FIX.4.4"
    /// Retransmitted client segments (each a copy of an earlier one, a little later).
    public var retransmissions = 2
    public init() {}
}

/// Counts of what was generated.
public struct FIXSynthSummary: Sendable, Codable {
    public var packets = 0
    public var sessions = 0
    public var clientMessages = 0
    public var gatewayMessages = 0
    public var splitMessages = 0
    public var coalescedSegments = 0
    public var retransmissions = 0
    public var rejects = 0
    public var fills = 0
}

/// Generates FIX client sessions as TCP: handshake, Logon, New Order Single / Cancel / Cancel-Replace
/// at Poisson times, the gateway's Execution Reports (acks, fills, rejects) 50–400 µs later, heartbeats,
/// Logout, FIN. Client messages are sometimes split across two segments and sometimes two or three
/// share a segment; a few client segments are retransmitted. Deterministic for a seed.
public struct FIXSynthesizer {
    struct Packet { var time: Int64; var bytes: [UInt8] }

    public static func generate(_ c: FIXSynthConfiguration, to path: String) throws(CaptureWriteError) -> FIXSynthSummary {
        var rng = SeededRandom(seed: c.seed)
        var summary = FIXSynthSummary()
        var packets: [Packet] = []
        for s in 0..<c.sessions {
            session(s, c, &rng, &packets, &summary)
        }
        packets.sort { $0.time < $1.time }
        var options = CaptureWriter.Options(format: CaptureFileFormat.fromExtension(path))
        options.sectionComment = "rehearse synth --fix seed=\(c.seed) sessions=\(c.sessions)"
        let writer = try CaptureWriter(path: path, options: options,
                                       interfaces: [.init(linkType: LinkType(rawValue: 101), snapLength: 65_535, name: "synth-fix")])
        for p in packets { try writer.write(timestamp: p.time, bytes: p.bytes) }
        try writer.close()
        summary.packets = packets.count
        summary.sessions = c.sessions
        return summary
    }

    static func session(_ s: Int, _ c: FIXSynthConfiguration, _ rng: inout SeededRandom, _ out: inout [Packet], _ summary: inout FIXSynthSummary) {
        let client = Endpoint(address: IPAddress(v4: c.clientBase.v4 &+ UInt32(s)), port: UInt16(40_000 + s))
        let server = c.gateway
        let sender = "CLIENT\(s + 1)", target = "HKATS"
        var clientSeq = UInt32(truncatingIfNeeded: rng.next()) | 1
        var serverSeq = UInt32(truncatingIfNeeded: rng.next()) | 1
        var clientMsgSeq = 1, serverMsgSeq = 1
        var t = c.start + Int64(s) * 3_000_000 + Int64(rng.int(0...1_000_000))
        func segment(_ fromClient: Bool, _ payload: [UInt8], flags: UInt8 = 0x18, at time: Int64) {
            let (src, dst) = fromClient ? (client, server) : (server, client)
            let seq = fromClient ? clientSeq : serverSeq
            let ack = fromClient ? serverSeq : clientSeq
            out.append(Packet(time: time, bytes: DatagramFrame.ipv4TCPPacket(source: src, destination: dst, sequence: seq, acknowledgement: ack,
                                                                            flags: flags, payload: payload)))
            let advance = UInt32(payload.count) &+ (flags & 0x03 != 0 ? 1 : 0)
            if fromClient { clientSeq &+= advance } else { serverSeq &+= advance }
        }
        func message(_ fromClient: Bool, _ type: String, _ fields: [(Int, String)], at time: Int64) -> [UInt8] {
            var w = FIXWriter(beginString: c.beginString)
            w.add(35, type)
            w.add(49, fromClient ? sender : target)
            w.add(56, fromClient ? target : sender)
            w.add(34, fromClient ? clientMsgSeq : serverMsgSeq)
            w.add(52, FIXVersion.sendingTime(time, c.beginString))
            for (tag, value) in fields { w.add(tag, value) }
            if fromClient { clientMsgSeq += 1; summary.clientMessages += 1 } else { serverMsgSeq += 1; summary.gatewayMessages += 1 }
            return w.message()
        }
        // Handshake and logon.
        segment(true, [], flags: 0x02, at: t)
        segment(false, [], flags: 0x12, at: t + 40_000)
        segment(true, [], flags: 0x10, at: t + 45_000)
        t += 100_000
        segment(true, message(true, "A", [(98, "0"), (108, "30"), (553, sender), (554, "secret")], at: t), at: t)
        t += 300_000
        segment(false, message(false, "A", [(98, "0"), (108, "30")], at: t), at: t)
        var open: [String] = []
        var orderID = 0
        var retransmitsLeft = s == 0 ? c.retransmissions : 0
        var lastClientSegment: (time: Int64, bytes: [UInt8], seq: UInt32)?
        var i = 0
        while i < c.ordersPerSession {
            t += max(1_000, Int64(rng.exponential(mean: 1e9 / c.rate)))
            // One to three client messages in this burst.
            let burst = rng.chance(0.1) ? rng.int(2...3) : 1
            var payload: [UInt8] = []
            var requests: [(String, String)] = []  // (type, clOrdID)
            for _ in 0..<burst where i < c.ordersPerSession {
                i += 1
                orderID += 1
                let id = "S\(s + 1)-\(orderID)"
                let roll = rng.unit()
                if roll < 0.15, let victim = open.randomElement(using: &rng) {
                    payload += message(true, "F", [(11, id), (41, victim), (55, "HSIF6"), (54, "1")], at: t)
                    open.removeAll { $0 == victim }
                    requests.append(("F", id))
                } else if roll < 0.25, let victim = open.last {
                    payload += message(true, "G", [(11, id), (41, victim), (55, "HSIF6"), (54, "1"), (38, "3"), (44, "21510"), (40, "2")], at: t)
                    open.removeAll { $0 == victim }
                    open.append(id)
                    requests.append(("G", id))
                } else {
                    // Mostly passive prices (buys below 21,500, sells above); a few cross and trade.
                    let buy = rng.chance(0.5)
                    let price = buy ? 21_500 - rng.int(-3...100) : 21_500 + rng.int(-3...100)
                    payload += message(true, "D", [(11, id), (55, "HSIF6"), (54, buy ? "1" : "2"), (38, "\(rng.int(1...10))"),
                                                   (44, "\(price)"), (40, "2")], at: t)
                    open.append(id)
                    requests.append(("D", id))
                }
            }
            if requests.count > 1 { summary.coalescedSegments += 1 }
            let before = clientSeq
            if payload.count > 80 && rng.chance(0.1) {
                // Split across two segments a few µs apart.
                let cut = rng.int(20...(payload.count - 20))
                segment(true, Array(payload[0..<cut]), at: t)
                segment(true, Array(payload[cut...]), at: t + 7_000)
                summary.splitMessages += 1
            } else {
                segment(true, payload, at: t)
            }
            if retransmitsLeft > 0 && i > 50 && rng.chance(0.05) {
                lastClientSegment = (t + 200_000, payload, before)
                retransmitsLeft -= 1
            }
            if let r = lastClientSegment {
                out.append(Packet(time: r.time, bytes: DatagramFrame.ipv4TCPPacket(source: client, destination: server, sequence: r.seq,
                                                                                  acknowledgement: serverSeq, flags: 0x18, payload: r.bytes)))
                summary.retransmissions += 1
                lastClientSegment = nil
            }
            // The gateway answers each request.
            var answerAt = t + Int64(50_000 + rng.int(0...350_000))
            for (type, id) in requests {
                let reject = rng.chance(0.02)
                let fill = !reject && type == "D" && rng.chance(0.1)
                if reject { summary.rejects += 1 }
                if fill { summary.fills += 1; open.removeAll { $0 == id } }
                let execType = reject ? "8" : fill ? "F" : type == "F" ? "4" : type == "G" ? "5" : "0"
                var fields: [(Int, String)] = [(37, "X\(s + 1)-\(id)"), (11, id), (17, "E\(answerAt)"), (150, execType),
                                               (39, execType == "F" ? "2" : execType), (55, "HSIF6"), (54, "1")]
                if reject { fields.append((58, "price outside limits")) }
                segment(false, message(false, "8", fields, at: answerAt), at: answerAt)
                answerAt += 20_000
            }
            if rng.chance(0.01) {
                segment(true, message(true, "0", [], at: t + 1_000_000), at: t + 1_000_000)
            }
        }
        t += 5_000_000
        segment(true, message(true, "5", [], at: t), at: t)
        segment(false, message(false, "5", [], at: t + 200_000), at: t + 200_000)
        segment(true, [], flags: 0x11, at: t + 300_000)
        segment(false, [], flags: 0x11, at: t + 350_000)
    }
}

import Vocabulary
import Engines
import Capture
import Foundation
import MarketData
import Measure
import Synth
import Testing

@Suite("Synthesized OMD-D captures")
struct SynthTests {
    func temporary(_ name: String) -> String { NSTemporaryDirectory() + "rehearse-\(UUID().uuidString)-\(name)" }

    func config(_ seed: UInt64 = 3) -> SynthConfiguration {
        var c = SynthConfiguration()
        c.seed = seed
        c.channels = 2
        c.duration = 1_000_000_000
        c.rate = 20_000
        return c
    }

    @Test("the same seed gives the same bytes; another seed does not")
    func determinism() throws {
        let a = temporary("a.pcap"), b = temporary("b.pcap"), d = temporary("d.pcap")
        defer { for p in [a, b, d] { try? FileManager.default.removeItem(atPath: p) } }
        _ = try OMDSynthesizer.generate(config(), to: a)
        _ = try OMDSynthesizer.generate(config(), to: b)
        _ = try OMDSynthesizer.generate(config(4), to: d)
        let x = try Data(contentsOf: URL(fileURLWithPath: a)), y = try Data(contentsOf: URL(fileURLWithPath: b))
        let z = try Data(contentsOf: URL(fileURLWithPath: d))
        #expect(x == y)
        #expect(x != z)
    }

    /// (SN, message bytes) of every message on a stream, in capture order.
    func messages(_ path: String, destination: String) throws -> (packets: Int, messages: [(UInt32, [UInt8])]) {
        var reader = try CaptureReader.open(path)
        var out: [(UInt32, [UInt8])] = []
        var packets = 0
        while let p = try reader.next() {
            let d = PacketDecoder.decode(p.data, linkType: p.linkType)
            guard d.flow.destination.description == destination, let packet = OMDPacket(d.payload), !packet.isHeartbeat else { continue }
            packets += 1
            var sn = packet.sequenceNumber
            for m in packet.messages where m.type != 100 {
                out.append((sn, m.bytes.bytes))
                sn += 1
            }
        }
        return (packets, out)
    }

    @Test("lines A and B carry identical messages in identical order, packetised differently")
    func lines() throws {
        let path = temporary("lines.pcap")
        defer { try? FileManager.default.removeItem(atPath: path) }
        _ = try OMDSynthesizer.generate(config(), to: path)
        let a = try messages(path, destination: "239.1.1.1"), b = try messages(path, destination: "239.1.2.1")
        #expect(a.messages.count > 1000)
        #expect(a.messages.count == b.messages.count)
        #expect(zip(a.messages, b.messages).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 })
        #expect(a.packets != b.packets)
        // Sequence numbers are contiguous from 1 after the start-of-day reset.
        #expect(a.messages.first?.0 == 1)
        #expect(zip(a.messages, a.messages.dropFirst()).allSatisfy { $1.0 == $0.0 + 1 })
    }

    @Test("average rate is close to the target", arguments: [5_000.0, 100_000.0])
    func rate(target: Double) throws {
        var c = config()
        c.rate = target
        c.duration = 3_000_000_000
        let path = temporary("rate.pcap")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let summary = try OMDSynthesizer.generate(c, to: path)
        let achieved = Double(summary.packets) / 3.0
        #expect(abs(achieved - target) / target < 0.05, "achieved \(achieved)")
    }

    @Test("--packets gives exactly that many packets")
    func packetLimit() throws {
        var c = config()
        c.duration = nil
        c.packetLimit = 12_345
        let path = temporary("n.pcapng")
        defer { try? FileManager.default.removeItem(atPath: path) }
        c.format = .pcapng
        let summary = try OMDSynthesizer.generate(c, to: path)
        #expect(summary.packets == 12_345)
        #expect(Inspection.inspect(path: path).packets == 12_345)
    }

    @Test("start of day reset, heartbeats on idle channels, auction uncross burst")
    func marketShape() throws {
        var c = config()
        c.rate = 0.4  // nearly idle: heartbeats every 2 s
        c.duration = 9_000_000_000
        c.auctions = [4_000_000_000]
        c.auctionOrders = 300
        let path = temporary("shape.pcap")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let summary = try OMDSynthesizer.generate(c, to: path)
        let report = Inspection.inspect(path: path)
        for stream in report.streams {
            let omd = try #require(stream.omd)
            #expect(omd.sequence.resets == 1)
            #expect(omd.heartbeats >= 2)
            #expect(omd.sequence.gaps == 0)
        }
        let a0 = try #require(summary.line(.a, channel: 0))
        #expect(a0.messagesByType[335] == 1)
        #expect((a0.messagesByType[330] ?? 0) >= 300)
        // The uncross is a microburst: its 10 ms peak dwarfs the average.
        let stream = report.streams.first { $0.destination == "239.1.1.1" }!
        #expect(stream.peaks[2].packets >= 5)
    }

    @Test("fault text form parses and rejects nonsense")
    func faultText() {
        #expect(SynthFault("B:gap@2s:5") == SynthFault(line: .b, kind: .gap, at: 2_000_000_000, amount: 5))
        #expect(SynthFault("a3:pause@1.5s:250ms") == SynthFault(line: .a, channel: 3, kind: .pause, at: 1_500_000_000, amount: 250_000_000))
        #expect(SynthFault("B:dup@40us") == SynthFault(line: .b, kind: .dup, at: 40_000, amount: 1))
        #expect(SynthFault("B:burst@4s:200") == SynthFault(line: .b, kind: .burst, at: 4_000_000_000, amount: 200))
        #expect(SynthEvent("reset@5s") == SynthEvent(kind: .reset, at: 5_000_000_000))
        #expect(SynthEvent("reset1@5s") == SynthEvent(kind: .reset, channel: 1, at: 5_000_000_000))
        #expect(SynthEvent("dr@4s:1s") == SynthEvent(kind: .dr, at: 4_000_000_000, duration: 1_000_000_000))
        for bad in ["reset@", "reset@5s:1s", "dr@4s", "dr@4s:0", "drx@1s:1s", "B:gap@1s", "boom@1s"] {
            #expect(SynthEvent(bad) == nil, "\(bad)")
        }
        for bad in ["C:gap@1s", "B:gap", "B:explode@1s", "B:pause@1s", "B:gap@-1s", "Bx:gap@1s", "B:gap@1s:0", "B:burst@1s:5000"] {
            #expect(SynthFault(bad) == nil, "\(bad)")
        }
        var c = SynthConfiguration()
        c.faults = [SynthFault("B9:gap@1s")!]
        #expect(c.validate() != nil)
    }
}

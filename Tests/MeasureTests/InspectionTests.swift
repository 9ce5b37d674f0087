import Vocabulary
import Capture
import Foundation
import MarketData
@testable import Measure
@testable import Engines
import Synth
import Testing
import Transport

@Suite("Inspection of synthesized captures with injected faults")
struct InspectionTests {
    func configuration(seed: UInt64, channels: Int, duration: Int64, rate: Double, format: CaptureFileFormat,
                       faults: [String]) -> SynthConfiguration {
        var c = SynthConfiguration()
        c.seed = seed
        c.channels = channels
        c.duration = duration
        c.rate = rate
        c.format = format
        c.faults = faults.map { SynthFault($0)! }
        return c
    }

    func temporary(_ name: String) -> String { NSTemporaryDirectory() + "rehearse-\(UUID().uuidString)-\(name)" }

    @Test("gaps, duplicates, reordering and pauses are found exactly where synth put them",
          arguments: [CaptureFileFormat.pcap, .pcapng])
    func faults(format: CaptureFileFormat) throws {
        let c = configuration(seed: 11, channels: 3, duration: 2_000_000_000, rate: 30_000, format: format,
                              faults: ["B0:gap@500ms:4", "A1:dup@700ms:3", "B2:reorder@900ms:2", "A0:pause@1200ms:50ms"])
        let path = temporary("faults.\(format.rawValue)")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let summary = try OMDSynthesizer.generate(c, to: path)
        let report = Inspection.inspect(path: path)
        #expect(report.error == nil)
        #expect(report.packets == UInt64(summary.packets))
        #expect(report.streams.count == 6)
        for line in summary.lines {
            let destination = c.endpoint(line.line, channel: line.channel)
            let stream = try #require(report.streams.first { $0.destination == destination.address.description && $0.destinationPort == destination.port })
            let omd = try #require(stream.omd)
            #expect(stream.packets == UInt64(line.packets))
            #expect(omd.heartbeats == UInt64(line.heartbeats))
            #expect(omd.messages == UInt64(line.messages))
            #expect(omd.sequence.resets == 1)
            #expect(omd.totalErrors == 0)
            // Gaps: every dropped message is missing; nothing else is.
            #expect(omd.sequence.missingMessages == UInt64(line.droppedMessages), "\(line.line.rawValue)\(line.channel)")
            // A reordered packet opens a gap that its late arrival fills: counted as a gap event, not missing.
            #expect(omd.sequence.gaps == UInt64((line.droppedPackets > 0 ? 1 : 0) + line.reorderedPackets), "\(line.line.rawValue)\(line.channel) \(omd.sequence.gapList)")
            #expect(omd.sequence.duplicatePackets == UInt64(line.duplicatedPackets))
            #expect(omd.sequence.reorderedPackets == UInt64(line.reorderedPackets))
            for (type, count) in line.messagesByType {
                #expect(omd.messagesByType.first { $0.type == type }?.count == UInt64(count))
            }
        }
        // Line A and B of a channel carry the same messages (channel 2: reordering loses nothing).
        let a0 = report.streams.first { $0.destination == "239.1.1.3" }!.omd!
        let b0 = report.streams.first { $0.destination == "239.1.2.3" }!.omd!
        #expect(a0.messagesByType == b0.messagesByType)
    }

    @Test("the two-thread pipeline gives exactly the single-threaded figures", arguments: [CaptureFileFormat.pcap, .pcapng])
    func pipelineMatches(format: CaptureFileFormat) throws {
        let c = configuration(seed: 21, channels: 5, duration: 1_500_000_000, rate: 40_000, format: format,
                              faults: ["B:gap@300ms:7", "A2:reorder@500ms:3", "B4:dup@800ms:4"])
        let path = temporary("pipeline.\(format.rawValue)")
        defer { try? FileManager.default.removeItem(atPath: path) }
        _ = try OMDSynthesizer.generate(c, to: path)
        let single = Inspection.inspect(path: path, pipelined: false)
        let cpusBefore = PinnedThread.currentThreadCPUCount
        let pipelined = Inspection.inspect(path: path, pipelined: true)
        // The calling thread was pinned to CPU 0 for the pass and must get its CPU set back.
        #expect(PinnedThread.currentThreadCPUCount == cpusBefore)
        #expect(single.omdTotals?.gaps == 5 + 3)
        #expect(single == pipelined)
        // Adaptive: one thread, then two, then the faster — the same figures whichever it keeps.
        let adaptive = Inspection.inspect(path: path, pipelined: nil, probePackets: 2_000)
        #expect(single == adaptive)

        // The worker started and stopped mid-pass, twice: the OMD statistics move with the work.
        var reader = try CaptureReader.open(path)
        var inspector = CaptureInspector()
        let bytes = reader.stableBytes
        let stage = OMDStage(bytes: try #require(bytes))
        var count = 0
        try reader.forEachPacket { packet in
            inspector.add(packet)
            count += 1
            switch count {
            case 1_000, 9_000: stage.start(&inspector)
            case 5_000: stage.stop(&inspector)
            default: break
            }
            return true
        }
        stage.stop(&inspector)
        #expect(count > 9_000)
        let switched = inspector.report(path: path, reader: reader.summary, failure: nil)
        #expect(switched == single)
    }

    @Test("a capture larger than two release steps: the worker releases pages behind itself and the reader takes the job back; the same figures as one thread, memory released")
    func pageReleaseHandOver() throws {
        var c = configuration(seed: 5, channels: 4, duration: 2_000_000_000, rate: 400_000, format: .pcap, faults: [])
        c.packetLimit = 600_000  // about 95 MB: past two 32 MiB release steps
        let path = temporary("release.pcap")
        defer { try? FileManager.default.removeItem(atPath: path) }
        _ = try OMDSynthesizer.generate(c, to: path)
        let single = Inspection.inspect(path: path, pipelined: false)
        #expect(single.packets == 600_000)
        #expect(single == Inspection.inspect(path: path, pipelined: true))

        // By hand: the worker runs from packet 10,000 to 400,000, then the reader alone again.
        var reader = try CaptureReader.open(path)
        let maybeRelease = reader.pageRelease, maybeBytes = reader.stableBytes
        let release = try #require(maybeRelease)
        let stage = OMDStage(bytes: try #require(maybeBytes), pageRelease: release)
        var inspector = CaptureInspector()
        var count = 0
        var releasedWhileHandedOver = 0
        try reader.forEachPacket { packet in
            inspector.add(packet)
            count += 1
            if count == 10_000 { stage.start(&inspector); #expect(release.isHandedOver) }
            if count == 400_000 {
                stage.stop(&inspector)
                releasedWhileHandedOver = release.releasedUpTo
                #expect(!release.isHandedOver)
            }
            return true
        }
        let byHand = inspector.report(path: path, reader: reader.summary, failure: nil)
        #expect(byHand == single)
        // The worker released behind itself while it had the job (400,000 packets ≈ 63 MB in), and
        // the reader went on from there to within a step of the end.
        #expect(releasedWhileHandedOver >= CaptureReader.releaseStep)
        let maybeSize = reader.fileSize
        let size = try #require(maybeSize)
        #expect(release.releasedUpTo > releasedWhileHandedOver && release.releasedUpTo >= size - 2 * CaptureReader.releaseStep)
    }

    @Test("detection never guesses: a stream whose first packets are not consistently OMD is 'unknown', never OMD with errors; same with one or two threads")
    func consistentDetection() throws {
        let path = temporary("consistent.pcap")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let writer = try CaptureWriter(path: path, format: .pcap, linkType: .raw)
        let omdFlow = (Endpoint("10.0.0.1:5000")!, Endpoint("239.1.1.1:51001")!)
        let chance = (Endpoint("10.0.0.2:5000")!, Endpoint("233.215.179.5:10378")!)
        var time: Int64 = 1_700_000_000_000_000_000
        func write(_ flow: (Endpoint, Endpoint), _ payload: [UInt8]) throws {
            try writer.write(timestamp: time, bytes: DatagramFrame.ipv4UDPHeader(source: flow.0, destination: flow.1,
                                                                                   payloadLength: payload.count) + payload)
            time += 1000
        }
        // The second stream's first packet happens to frame as OMD; the next ones do not.
        for k in 0..<10 {
            try write(omdFlow, omdPacket(UInt32(1 + 2 * k), 2, type: 330, length: 36))
            try write(chance, k == 0 ? omdPacket(1, 1, type: 330, length: 36) : [UInt8](repeating: UInt8(k), count: 40))
        }
        try writer.close()
        for pipelined in [false, true] {
            let r = Inspection.inspect(path: path, pipelined: pipelined)
            let omd = try #require(r.streams.first { $0.destinationPort == 51001 })
            let other = try #require(r.streams.first { $0.destinationPort == 10378 })
            #expect(omd.feedProtocol == "omd" && omd.omd?.messages == 20)
            #expect(other.feedProtocol == "unknown" && other.omd == nil && other.packets == 10)
            #expect(r.omdTotals?.streams == 1 && r.omdTotals?.errors == 0, "\(String(describing: r.omdTotals))")
        }
    }

    @Test("a stream that starts with non-OMD packets: rejected packets counted once the stream turns out OMD, same with one or two threads")
    func lateDetection() throws {
        let path = temporary("late.pcap")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let writer = try CaptureWriter(path: path, format: .pcap, linkType: .raw)
        let late = (Endpoint("10.0.0.1:5000")!, Endpoint("239.1.1.1:51001")!)
        let never = (Endpoint("10.0.0.1:5001")!, Endpoint("239.1.1.2:51002")!)
        func write(_ flow: (Endpoint, Endpoint), _ payload: [UInt8], at time: Int64) throws {
            try writer.write(timestamp: time, bytes: DatagramFrame.ipv4UDPHeader(source: flow.0, destination: flow.1,
                                                                                   payloadLength: payload.count) + payload)
        }
        func omd(_ sequence: UInt32, _ messages: Int) -> [UInt8] { omdPacket(sequence, messages, type: 330, length: 36) }
        var time: Int64 = 1_700_000_000_000_000_000
        for garbage in [[UInt8](repeating: 7, count: 20), [0xde, 0xad]] {
            try write(late, garbage, at: time); time += 1000
            try write(never, garbage, at: time); time += 1000
        }
        try write(never, [1, 2, 3], at: time); time += 1000
        for (sequence, count) in [(1, 3), (4, 2), (9, 1)] as [(UInt32, Int)] {  // 6…8 missing
            try write(late, omd(sequence, count), at: time); time += 1000
            try write(never, omd(sequence, count), at: time); time += 1000  // too late: decided not OMD
        }
        try writer.close()
        let single = Inspection.inspect(path: path, pipelined: false)
        let pipelined = Inspection.inspect(path: path, pipelined: true)
        #expect(single == pipelined)
        #expect(single.streams.count == 2)
        let omd = try #require(single.streams.first { $0.destination == "239.1.1.1" }?.omd)
        #expect(omd.packets == 3)
        #expect(omd.messages == 6)
        #expect(omd.errors.packetSizeMismatch == 2)
        #expect(omd.sequence.gaps == 1 && omd.sequence.missingMessages == 3)
        #expect(single.streams.first { $0.destination == "239.1.1.2" }?.omd == nil)
        #expect(single.omdTotals?.streams == 1)
    }

    @Test("a damaged capture reports what came before the damage, marked partial")
    func partial() throws {
        var c = SynthConfiguration()
        c.duration = 500_000_000
        c.rate = 20_000
        let path = temporary("partial.pcap")
        defer { try? FileManager.default.removeItem(atPath: path) }
        _ = try OMDSynthesizer.generate(c, to: path)
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        // Find the 100th record and corrupt its captured length beyond the snapshot length.
        var offset = 24
        for _ in 0..<100 { offset += 16 + Int(UInt32(bytes[offset + 8]) | UInt32(bytes[offset + 9]) << 8 | UInt32(bytes[offset + 10]) << 16) }
        bytes.replaceSubrange((offset + 8)..<(offset + 12), with: [0xff, 0xff, 0xff, 0x0f])
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let report = Inspection.inspect(path: path)
        #expect(report.partial)
        #expect(report.packets == 100)
        #expect(report.error?.offset == offset)
        #expect(report.error?.kind == "badCapturedLength")
        #expect(!report.streams.isEmpty)
    }

    @Test("a BPF filter narrows every figure to the matching packets")
    func filter() throws {
        var c = SynthConfiguration()
        c.duration = 300_000_000
        c.channels = 2
        let path = temporary("filter.pcap")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let summary = try OMDSynthesizer.generate(c, to: path)
        var options = CaptureInspector.Options()
        options.filter = PacketFilter(expression: "dst host 239.1.2.2")
        let report = Inspection.inspect(path: path, options: options)
        #expect(report.streams.count == 1)
        #expect(report.packets == UInt64(summary.line(.b, channel: 1)!.packets))
        #expect(report.decode.filteredOut == UInt64(summary.packets) - report.packets)
    }

    @Test("plain and VLAN-tagged frames of the same streams, more streams than the flow cache has slots: each stream once, with all its packets")
    func flowCache() throws {
        let path = temporary("flows.pcap")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let writer = try CaptureWriter(path: path, format: .pcap, linkType: .ethernet)
        let macs: [UInt8] = [1, 0, 0x5e, 0, 0, 1, 2, 0, 0, 0, 0, 1]
        let flows = 700
        // Streams 77 apart share their addresses and differ in the source port only; streams with the
        // same source port differ in their addresses only (i mod 7 and i mod 11 give i mod 77).
        func flow(_ i: Int) -> (Endpoint, Endpoint) {
            (Endpoint("10.0.0.\(i % 7):\(5000 + i / 77)")!, Endpoint("239.1.1.\(i % 11):51000")!)
        }
        var time: Int64 = 1_700_000_000_000_000_000
        // Round after round over every flow: plain, tagged, plain, then 5 plain ones for flow i < 10.
        for round in 0..<3 {
            for i in 0..<flows {
                let (source, destination) = flow(i)
                let ip = DatagramFrame.ipv4UDPHeader(source: source, destination: destination, payloadLength: 4) + [1, 2, 3, 4]
                let frame = round == 1 ? macs + [0x81, 0x00, 0x00, 0x07, 0x08, 0x00] + ip : macs + [0x08, 0x00] + ip
                try writer.write(timestamp: time, bytes: frame)
                time += 1_000
            }
        }
        try writer.close()
        let report = Inspection.inspect(path: path, pipelined: false)
        #expect(report.error == nil)
        #expect(report.packets == UInt64(3 * flows))
        #expect(report.streams.count == flows)
        for i in 0..<flows {
            let (source, destination) = flow(i)
            let stream = report.streams.first {
                $0.destination == destination.address.description && $0.destinationPort == destination.port
                    && $0.source == source.address.description && $0.sourcePort == source.port
            }
            #expect(stream?.packets == 3, "flow \(i)")
        }
    }

    @Test("flow table: insert, find, grow")
    func flowTable() {
        var table = FlowTable(capacity: 2)
        for i in 0..<5000 {
            let key = FlowKey(ipProtocol: 17, source: IPAddress(v4: UInt32(i)), sourcePort: 1, destination: IPAddress(v4: 7), destinationPort: UInt16(i & 0xffff))
            #expect(table.findOrInsert(key) == (i, true))
        }
        for i in stride(from: 0, to: 5000, by: 7) {
            let key = FlowKey(ipProtocol: 17, source: IPAddress(v4: UInt32(i)), sourcePort: 1, destination: IPAddress(v4: 7), destinationPort: UInt16(i & 0xffff))
            #expect(table.find(key) == i)
            #expect(table.findOrInsert(key) == (i, false))
        }
        #expect(table.find(FlowKey(ipProtocol: 6, source: .zero, sourcePort: 0, destination: .zero, destinationPort: 0)) == nil)
    }
}

@Suite("Feed listener on loopback")
struct FeedListenerTests {
    @Test("once a stream is OMD (its first 8 datagrams), a damaged datagram is counted and kept out of sequence tracking; a gap is found")
    func garbageAndGaps() throws {
        var options = ListenOptions()
        options.endpoints = [Endpoint("127.0.0.1:0")!]
        options.count = 11
        options.duration = 5_000_000_000
        let listener = try FeedListener(options: options)
        let sender = try UDPSender(target: Endpoint(address: IPAddress(v4: 0x7F00_0001), port: listener.boundPorts[0]))
        func packet(_ sequence: UInt32, _ messages: Int) -> [UInt8] { omdPacket(sequence, messages, type: 9999, length: 8) }
        for n in 1...8 { #expect(sender.send(packet(UInt32(n), 1)) == 1) }
        #expect(sender.send([0xde, 0xad, 0xbe, 0xef]) == 1)
        #expect(sender.send(packet(9, 2)) == 1)
        #expect(sender.send(packet(17, 1)) == 1)  // 11…16 missing
        let (streams, stop, _, _, error) = listener.run()
        #expect(error == nil)
        #expect(stop == .count)
        let s = try #require(streams.first)
        #expect(s.packets == 11 && s.feedProtocol == .omd)
        #expect(s.garbage == 1)
        #expect(s.omd.packets == 10)
        #expect(s.omd.sequence.statistics.gaps == 1)
        #expect(s.omd.sequence.statistics.missingMessages == 6)
        #expect(s.kernelDrops == 0)
    }

    @Test("a damaged datagram among a stream's first 8 leaves it unrecognised: every datagram unsequenced, nothing guessed")
    func unrecognisedEarly() throws {
        var options = ListenOptions()
        options.endpoints = [Endpoint("127.0.0.1:0")!]
        options.count = 4
        options.duration = 5_000_000_000
        let listener = try FeedListener(options: options)
        let sender = try UDPSender(target: Endpoint(address: IPAddress(v4: 0x7F00_0001), port: listener.boundPorts[0]))
        #expect(sender.send(omdPacket(1, 2, type: 9999, length: 8)) == 1)
        #expect(sender.send([0xde, 0xad, 0xbe, 0xef]) == 1)
        #expect(sender.send(omdPacket(3, 1, type: 9999, length: 8)) == 1)
        #expect(sender.send(omdPacket(10, 1, type: 9999, length: 8)) == 1)
        let (streams, _, _, _, _) = listener.run()
        let s = try #require(streams.first)
        #expect(s.unrecognised && s.garbage == 4 && s.omd.packets == 0 && s.feed?.feedProtocol == nil)
    }
}

/// An OMD packet with `messages` messages of one type and size, numbered from `sequence`.
func omdPacket(_ sequence: UInt32, _ messages: Int, type: UInt16, length: Int) -> [UInt8] {
    var b = OMDPacketBuilder(maximumSize: 1400)
    b.start(sequenceNumber: sequence, sendTime: 1)
    for _ in 0..<messages { _ = b.message(type: type, length: length) }
    b.finish()
    return b.packet
}

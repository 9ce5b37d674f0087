import Vocabulary
import Capture
import Foundation
import MarketData
import Measure
@testable import Engines
import Synth
import Testing

@Suite("Feed comparison, line A against line B")
struct ComparatorTests {
    func capture(_ faults: [String], seed: UInt64 = 4, rate: Double = 20_000, duration: Int64 = 3_000_000_000) throws -> (String, SynthSummary) {
        var c = SynthConfiguration()
        c.seed = seed
        c.channels = 2
        c.duration = duration
        c.rate = rate
        c.faults = faults.compactMap { SynthFault($0) }
        c.events = faults.compactMap { SynthEvent($0) }
        #expect(c.faults.count + c.events.count == faults.count)
        let path = NSTemporaryDirectory() + "rehearse-compare-\(UUID().uuidString).pcap"
        return (path, try OMDSynthesizer.generate(c, to: path))
    }

    @Test("lost packets on one line are missing messages on that side only; duplicates stay per line; B trails A")
    func gapsAndLag() throws {
        let (path, summary) = try capture(["B1:gap@1s:5", "B0:dup@2s:3"])
        defer { try? FileManager.default.removeItem(atPath: path) }
        let report = FeedComparator.compare(CompareSource(name: "A", path: path, filter: "dst net 239.1.1.0/24"),
                                            CompareSource(name: "B", path: path, filter: "dst net 239.1.2.0/24"))
        #expect(report.errors.isEmpty)
        #expect(report.channels.count == 2)
        let c0 = report.channels[0], c1 = report.channels[1]
        #expect(c1.missingOnB == UInt64(try #require(summary.line(.b, channel: 1)).droppedMessages))
        #expect(c1.missingOnB > 0)
        #expect(c1.missingOnA == 0 && c0.missingOnA == 0 && c0.missingOnB == 0)
        #expect(c1.longestOneSidedRunSide == "A only" && c1.longestOneSidedRun > 0 && c1.longestOneSidedRun <= c1.missingOnB)
        #expect(c0.mismatches == 0 && c1.mismatches == 0)
        #expect(c0.lineB.duplicateMessages > c0.lineA.duplicateMessages)
        #expect(c1.lineB.gaps >= 1)
        // Synth delays line B behind A (20 µs plus jitter): A wins almost every message.
        #expect(c0.aFirst > c0.bFirst * 10)
        #expect(c0.medianBMinusA > 0)
        // The median of B − A is the lag's median where A almost always wins, at the lag's precision
        // (it once came out as the largest lag: a shifted histogram with 2-second buckets).
        for c in [c0, c1] {
            let p50 = Double(c.lag.p50)
            #expect(abs(Double(c.medianBMinusA) - p50) <= p50 / 20 && c.medianBMinusA < Int64(c.lag.max), "\(c.medianBMinusA) vs \(c.lag)")
        }
        #expect(c0.onBoth + c0.missingOnA + c0.missingOnB > 0)
        #expect(report.messagesCompared == c0.onBoth + c1.onBoth)
    }

    @Test("a changed message is a mismatch; a capture with only one line leaves the other side unpaired; a missing file is an error, not a crash")
    func mismatchAndBadInput() throws {
        let (path, _) = try capture([])
        defer { try? FileManager.default.removeItem(atPath: path) }
        // Flip one byte inside a message body of the first B packet carrying messages.
        var data = try Data(contentsOf: URL(fileURLWithPath: path))
        var reader = try CaptureReader.open(path)
        var flipped = false
        var seen = 0
        while let p = try reader.next(), !flipped {
            let d = PacketDecoder.decode(p.data, linkType: p.linkType)
            guard d.status == .transport, d.flow.destination == IPAddress("239.1.2.1")!, d.payload.count > 40 else { continue }
            seen += 1
            // Past the start, whose SeqNum 1 is used twice (Sequence Reset, then the first message).
            guard seen == 10 else { continue }
            let offset = p.dataOffset + d.payloadOffset + 16 + 6  // inside the first message body, clear of MsgSize and MsgType
            data[offset] ^= 0xFF
            flipped = true
        }
        #expect(flipped)
        let changed = NSTemporaryDirectory() + "rehearse-compare-changed-\(UUID().uuidString).pcap"
        try data.write(to: URL(fileURLWithPath: changed))
        defer { try? FileManager.default.removeItem(atPath: changed) }
        let report = FeedComparator.compare(CompareSource(name: "A", path: path, filter: "dst net 239.1.1.0/24"),
                                            CompareSource(name: "B", path: changed, filter: "dst net 239.1.2.0/24"))
        #expect(report.channels.map(\.mismatches).reduce(0, +) == 1, "\(report.channels.map { ($0.onBoth, $0.missingOnA, $0.missingOnB, $0.messagesA, $0.messagesB) }) \(report.errors)")
        // Described field by field from a second read: the flipped byte sits 6 bytes into the message.
        let examples = report.channels.flatMap(\.mismatchExamples)
        #expect(examples.count == 1 && examples[0].hasPrefix("SeqNum ") && examples[0].contains("≠"), "\(examples)")
        let oneLine = FeedComparator.compare(CompareSource(name: "A", path: path, filter: "dst net 239.1.1.0/24"),
                                             CompareSource(name: "B", path: path, filter: "dst host 239.1.2.1"))
        #expect(oneLine.channels.count == 1 && oneLine.unpairedA.count == 1)
        let missing = FeedComparator.compare(CompareSource(name: "A", path: path), CompareSource(name: "B", path: "/nonexistent.pcap"))
        #expect(missing.errors.count == 1 && missing.channels.isEmpty)
        let badFilter = FeedComparator.compare(CompareSource(name: "A", path: path, filter: "udp and and"),
                                               CompareSource(name: "B", path: path, filter: "udp"))
        #expect(badFilter.filterError?.contains("udp and and") == true)
    }

    func compareLines(_ path: String, stall: Int64 = 4_000_000_000) -> ComparisonReport {
        FeedComparator.compare(CompareSource(name: "A", path: path, filter: "dst net 239.1.1.0/24"),
                               CompareSource(name: "B", path: path, filter: "dst net 239.1.2.0/24"), stallLimit: stall)
    }

    @Test("failover cases: a pause on the standby only, a pause on both lines, a standby falling behind steadily")
    func failoverCases() throws {
        // Standby (B) silent for 1.5 s: stalls on B only, nothing lost (the held packets burst out after).
        let (one, _) = try capture(["B:pause@1s:1500ms"], rate: 4_000)
        defer { try? FileManager.default.removeItem(atPath: one) }
        let r1 = compareLines(one, stall: 1_000_000_000)
        #expect(r1.channels.allSatisfy { $0.lineB.stalls >= 1 && $0.lineA.stalls == 0 })
        #expect(r1.channels.allSatisfy { $0.lineB.longestSilenceNs >= 1_400_000_000 && $0.missingOnA + $0.missingOnB == 0 })
        #expect(r1.channels.allSatisfy { $0.lag.max >= 1_000_000_000 })
        #expect(kinds(r1) == [[.linePause], [.linePause]])
        #expect(r1.findings.allSatisfy { $0.line == "B" && $0.at!.ns >= 1_767_575_700_900_000_000 && $0.at!.ns <= 1_767_575_701_100_000_000 })
        // Both lines silent: stalls on both.
        let (both, _) = try capture(["A:pause@1s:1500ms", "B:pause@1s:1500ms"], rate: 4_000)
        defer { try? FileManager.default.removeItem(atPath: both) }
        let r2 = compareLines(both, stall: 1_000_000_000)
        #expect(r2.channels.allSatisfy { $0.lineA.stalls >= 1 && $0.lineB.stalls >= 1 })
        #expect(kinds(r2) == [[.bothPause], [.bothPause]])
        // B falls behind 2 ms more each second from 1 s: about 4 ms behind by the end of a 3 s capture.
        let (lag, _) = try capture(["B:lag@1s:2ms"], rate: 4_000)
        defer { try? FileManager.default.removeItem(atPath: lag) }
        let r3 = compareLines(lag)
        for c in r3.channels {
            #expect(c.missingOnA + c.missingOnB == 0)
            #expect(c.lag.max >= 3_500_000 && c.lag.max <= 4_500_000, "\(c.lag.max)")
            #expect(c.lag.p50 < c.lag.max / 2)
            #expect(c.bFirst == 0)
        }
        #expect(kinds(r3) == [[.fallingBehind], [.fallingBehind]])
        #expect(r3.findings.allSatisfy { $0.line == "B" })
        // The clean capture has no findings at all.
        let (clean, _) = try capture([], rate: 4_000)
        defer { try? FileManager.default.removeItem(atPath: clean) }
        #expect(compareLines(clean).findings.isEmpty)
    }

    /// The kinds of finding, channel by channel.
    func kinds(_ r: ComparisonReport) -> [[FeedFinding.Kind]] {
        (0..<r.channels.count).map { c in r.findings.filter { $0.channel == c }.map(\.kind) }
    }

    @Test("failover cases: a DR signal sequence, a duplicate burst after a publisher failover, a mid-day sequence reset")
    func siteFailoverBurstAndReset() throws {
        // DR: Signal 1 at 1 s, both lines silent 800 ms, Signal 2. One DR finding per channel, not a pause.
        let (dr, _) = try capture(["dr@1s:800ms"], rate: 4_000)
        defer { try? FileManager.default.removeItem(atPath: dr) }
        let r1 = compareLines(dr, stall: 500_000_000)
        #expect(kinds(r1) == [[.disasterRecovery], [.disasterRecovery]])
        for c in r1.channels {
            #expect(c.lineA.disasterRecoverySignals == [1, 2] && c.lineB.disasterRecoverySignals == [1, 2])
            #expect(c.lineA.stalls >= 1 && c.missingOnA + c.missingOnB == 0 && c.mismatches == 0)
            let signals = c.lineA.events.disasterRecoverySignals
            #expect(signals.count == 2 && abs(signals[1].timeNs - signals[0].timeNs - 800_000_000) < 1_000_000)
        }
        // Line B replays its last 200 packets at 2 s: a duplicate burst on B only, nothing missing or mismatched.
        let (burst, summary) = try capture(["B:burst@2s:200"], rate: 4_000)
        defer { try? FileManager.default.removeItem(atPath: burst) }
        let r2 = compareLines(burst)
        #expect(kinds(r2) == [[.duplicateBurst], [.duplicateBurst]])
        for c in r2.channels {
            #expect(summary.line(.b, channel: c.channel)?.duplicatedPackets == 200)
            #expect(c.lineB.duplicateMessages >= 200 && c.lineA.duplicateMessages == 0)
            #expect(c.lineB.events.duplicateRuns.count == 1 && c.lineB.events.duplicateRuns[0].messages == c.lineB.duplicateMessages)
            #expect(c.missingOnA + c.missingOnB == 0 && c.mismatches == 0)
        }
        // A mid-day reset on every channel: two epochs compared in full, nothing counted twice or missing.
        let (reset, _) = try capture(["reset@1500ms"], rate: 4_000)
        defer { try? FileManager.default.removeItem(atPath: reset) }
        let r3 = compareLines(reset)
        #expect(kinds(r3) == [[.sequenceReset], [.sequenceReset]])
        for c in r3.channels {
            #expect(c.epochs == 2 && c.lineA.resets == 2 && c.lineB.resets == 2)
            #expect(c.onBoth == c.messagesA && c.onBoth == c.messagesB && c.missingOnA + c.missingOnB == 0)
            #expect(c.lineA.duplicateMessages == 0 && c.lineB.duplicateMessages == 0 && c.mismatches == 0)
        }
        // The same reset on line A only (a filter that hides B's second epoch is not possible, so cut B's
        // capture short before the reset): B stops, A resets alone.
        let (oneReset, _) = try capture(["reset@1500ms", "B:gap@1400ms:1000000"], rate: 4_000)
        defer { try? FileManager.default.removeItem(atPath: oneReset) }
        let r4 = compareLines(oneReset, stall: 500_000_000)
        for c in r4.channels {
            let k = r4.findings.filter { $0.channel == c.channel }.map(\.kind)
            #expect(k.contains(.resetOnOneLine) && k.contains(.missing))
        }
    }
}

@Suite("Feed comparison by business key (old against new platform)")
struct KeyedComparisonTests {
    @Test("sequence numbers shifted on B: sequence matching finds nothing in common, business keys match everything; a changed price is a field-level mismatch; lost packets are unmatched")
    func shiftedSequence() throws {
        var c = SynthConfiguration()
        c.seed = 12
        c.channels = 2
        c.duration = 2_000_000_000
        c.rate = 6_000
        c.faults = [SynthFault("B0:gap@1s:3")!]
        let path = NSTemporaryDirectory() + "rehearse-keyed-\(UUID().uuidString).pcap"
        _ = try OMDSynthesizer.generate(c, to: path)
        defer { try? FileManager.default.removeItem(atPath: path) }
        // Line B renumbered (+100000, as another platform would) and one Add Order's price changed.
        var data = try Data(contentsOf: URL(fileURLWithPath: path))
        var reader = try CaptureReader.open(path)
        var addOrdersSeen = 0
        var changed: (book: UInt32, order: UInt64)?
        while let p = try reader.next() {
            let d = PacketDecoder.decode(p.data, linkType: p.linkType)
            guard d.status == .transport, (d.flow.destination.v4 >> 8) & 0xff == 2, let omd = OMDPacket(d.payload) else { continue }
            let base = p.dataOffset + d.payloadOffset
            let sequence = omd.sequenceNumber &+ 100_000
            for k in 0..<4 { data[base + 4 + k] = UInt8((sequence >> (8 * UInt32(k))) & 0xff) }
            guard changed == nil, !omd.isHeartbeat else { continue }
            var offset = 16
            var messages = omd.messages
            while let m = messages.next() {
                if let add = AddOrder(m), (d.flow.destination.v4 & 0xff) == 2 {
                    addOrdersSeen += 1
                    if addOrdersSeen == 40 {
                        data[base + offset + 16] &+= 1  // price, low byte
                        changed = (add.orderbookID, add.orderID)
                        break
                    }
                }
                offset += m.bytes.count
            }
        }
        let edited = path + ".edited.pcap"
        try data.write(to: URL(fileURLWithPath: edited))
        defer { try? FileManager.default.removeItem(atPath: edited) }
        let a = CompareSource(name: "A", path: edited, filter: "dst net 239.1.1.0/24")
        let b = CompareSource(name: "B", path: edited, filter: "dst net 239.1.2.0/24")
        let bySequence = FeedComparator.compare(a, b)
        #expect(bySequence.messagesCompared == 0 && bySequence.keyed == nil)
        let byKey = FeedComparator.compare(a, b, match: .keys)
        let keyed = try #require(byKey.keyed)
        #expect(byKey.match == .keys && keyed.count == 2)
        let (c0, c1) = (keyed[0], keyed[1])
        #expect(c0.keyedA > 1000 && c1.keyedA > 1000)
        #expect(c0.onlyOnA > 0 && c0.onlyOnB == 0 && c0.matched + c0.onlyOnA == c0.keyedA)
        #expect(c1.onlyOnA == 0 && c1.onlyOnB == 0 && c1.matched == c1.keyedA && c1.keyedA == c1.keyedB)
        // A lost modification shifts the later ones of that order only: channel 0 may see a few; channel 1 exactly the one.
        #expect(c0.mismatched <= c0.onlyOnA && c1.mismatched == 1)
        let change = try #require(changed)
        #expect(c1.examples.contains { $0.hasPrefix("Add Order book \(change.book) order \(change.order)") && $0.contains("price") })
        #expect(c1.aFirst > c1.bFirst && c1.lag.p50 > 0)
        #expect(c0.unkeyedA > 0)
    }
}

@Suite("Mismatches described field by field")
struct MismatchDetailTests {
    func message(type: UInt16, size: Int, _ set: (inout [UInt8]) -> Void) -> [UInt8] {
        var b = [UInt8](repeating: 0, count: size)
        b[0] = UInt8(size & 0xff); b[1] = UInt8(size >> 8); b[2] = UInt8(type & 0xff); b[3] = UInt8(type >> 8)
        set(&b)
        return b
    }

    @Test("named fields for known types (signed prices), byte offsets for the rest, a type change said as such")
    func describe() {
        let a = message(type: 330, size: 32) { $0[16] = 0xFF; $0[17] = 0xFF; $0[18] = 0xFF; $0[19] = 0xFF; $0[20] = 100 }
        let b = message(type: 330, size: 32) { $0[16] = 5; $0[20] = 200 }
        #expect(MismatchDetail.describe(a, b) == "AddOrder: Price -1 ≠ 5, Quantity 100 ≠ 200")
        let u1 = message(type: 360, size: 12) { $0[9] = 1 }, u2 = message(type: 360, size: 12) { $0[9] = 2 }
        #expect(MismatchDetail.describe(u1, u2).hasSuffix("bytes at offset 9"))
        #expect(MismatchDetail.describe(a, u1).hasPrefix("MsgType 330"))
    }
}

@Suite("Comparison of damaged or one-sided input")
struct ComparatorInputTests {
    @Test("a truncated last record is a warning and the packets before it are compared; a side whose filter selects no OMD stream is an error naming it")
    func truncatedAndEmpty() throws {
        var c = SynthConfiguration()
        c.seed = 8
        c.channels = 1
        c.duration = 500_000_000
        c.rate = 4_000
        let path = NSTemporaryDirectory() + "rehearse-cmp-trunc-\(UUID().uuidString).pcap"
        _ = try OMDSynthesizer.generate(c, to: path)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let cut = path + ".cut.pcap"
        try data.prefix(data.count - 7).write(to: URL(fileURLWithPath: cut))
        defer { try? FileManager.default.removeItem(atPath: cut) }
        let r = FeedComparator.compare(CompareSource(name: "A", path: cut, filter: "dst net 239.1.1.0/24"),
                                       CompareSource(name: "B", path: cut, filter: "dst net 239.1.2.0/24"))
        #expect(r.errors.isEmpty && r.warnings.count == 1 && r.warnings[0].contains("byte offset"), "\(r.warnings) \(r.errors)")
        #expect(r.messagesCompared > 0)
        let empty = FeedComparator.compare(CompareSource(name: "A", path: path, filter: "dst net 239.1.1.0/24"),
                                           CompareSource(name: "B", path: path, filter: "tcp"))
        #expect(empty.errors == ["B: no feed stream in \(path) matching \"tcp\""])
    }
}

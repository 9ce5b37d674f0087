import Capture
import Foundation
import Engines
import Measure
import Testing
import TestSupport
import Vocabulary

/// A classic pcap (little-endian, µs): header fields as given, then each (seconds, frame) as a record
/// whose captured length is the frame's.
private func pcap(major: UInt16 = 2, minor: UInt16 = 4, snaplen: UInt32 = 65_535, linkWord: UInt32 = 1,
                  records: [(UInt32, [UInt8])]) -> [UInt8] {
    var b = le32(0xA1B2_C3D4) + le16(major) + le16(minor) + le32(0) + le32(0) + le32(snaplen) + le32(linkWord)
    for (seconds, frame) in records { b += le32(seconds) + le32(0) + le32(UInt32(frame.count)) + le32(UInt32(frame.count)) + frame }
    return b
}

/// A pcapng section (version 1.`minor`), one Ethernet interface (µs), then the given blocks.
private func pcapng(minor: UInt16 = 0, blocks: [[UInt8]]) -> [UInt8] {
    func block(_ type: UInt32, _ body: [UInt8]) -> [UInt8] {
        let padded = body + [UInt8](repeating: 0, count: (4 - body.count % 4) % 4)
        return le32(type) + le32(UInt32(12 + padded.count)) + padded + le32(UInt32(12 + padded.count))
    }
    let shb = block(0x0A0D_0D0A, le32(0x1A2B_3C4D) + le16(1) + le16(minor) + [UInt8](repeating: 0xFF, count: 8))
    let idb = block(1, le16(1) + le16(0) + le32(65_535))
    return shb + idb + blocks.joined()
}

/// An Enhanced Packet Block on interface 0 with a 64-bit timestamp in interface units (µs).
private func epb(_ units: UInt64, _ frame: [UInt8]) -> [UInt8] {
    let body = le32(0) + le32(UInt32(units >> 32)) + le32(UInt32(units & 0xFFFF_FFFF)) + le32(UInt32(frame.count)) + le32(UInt32(frame.count)) + frame
    let padded = body + [UInt8](repeating: 0, count: (4 - body.count % 4) % 4)
    return le32(6) + le32(UInt32(12 + padded.count)) + padded + le32(UInt32(12 + padded.count))
}

/// A Simple Packet Block.
private func spb(_ frame: [UInt8]) -> [UInt8] {
    let body = le32(UInt32(frame.count)) + frame
    let padded = body + [UInt8](repeating: 0, count: (4 - body.count % 4) % 4)
    return le32(3) + le32(UInt32(12 + padded.count)) + padded + le32(UInt32(12 + padded.count))
}

/// Every packet of `bytes` (timestamp, whether it had its own, captured length) and the reader's summary.
private func read(_ bytes: [UInt8]) throws(CaptureError) -> (packets: [(Int64, Bool, Int)], summary: CaptureSummary) {
    var out: [(Int64, Bool, Int)] = []
    var summary: CaptureSummary?
    var failure: CaptureError?
    bytes.withUnsafeBytes { raw in
        do {
            var reader = try CaptureReader.open(bytes: raw, name: "policy")
            while let p = try reader.next() { out.append((p.timestamp, p.hasTimestamp, p.capturedLength)) }
            summary = reader.summary
        } catch { failure = error as? CaptureError }
    }
    if let failure { throw failure }
    return (out, summary!)
}

private func refusal(_ bytes: [UInt8]) -> CaptureError? {
    do { _ = try read(bytes); return nil } catch { return error }
}

/// Reader policies checked against what libpcap 1.10 (tcpdump -r) does with the same bytes
/// (docs/formats/capture.md names each).
@Suite("capture reader policies, as libpcap and Wireshark read")
struct ReaderPolicyTests {
    let frame = udpFrame(payload: [UInt8](repeating: 7, count: 100))

    @Test("pcap versions: 2.0 to 2.4 and 543.0 read; 2.5 and 3.0 refused with libpcap's reason")
    func pcapVersions() throws {
        for (major, minor) in [(2, 0), (2, 4), (543, 0)] as [(UInt16, UInt16)] {
            #expect(try read(pcap(major: major, minor: minor, records: [(1, frame)])).packets.count == 1, "\(major).\(minor)")
        }
        for (major, minor) in [(2, 5), (3, 0), (1, 0)] as [(UInt16, UInt16)] {
            let e = refusal(pcap(major: major, minor: minor, records: [(1, frame)]))
            #expect(e?.kind == .unsupportedVersion && e?.description.contains("unsupported pcap savefile version \(major).\(minor)") == true, "\(String(describing: e))")
        }
    }

    @Test("pcap link-type word: reserved bits 16-25 refused; the FCS length bits read")
    func linkTypeWord() throws {
        let e = refusal(pcap(linkWord: 0x0001_0001, records: [(1, frame)]))
        #expect(e?.kind == .unsupportedLinkType && e?.offset == 20, "\(String(describing: e))")
        #expect(try read(pcap(linkWord: 0x4400_0001, records: [(1, frame)])).packets.count == 1)
    }

    @Test("a record longer than the snapshot length is read whole and counted, up to 262,144 bytes; beyond, an error at the record")
    func oversizedRecords() throws {
        let big = udpFrame(payload: [UInt8](repeating: 1, count: 8_200))  // segmentation offload over snaplen 1,500
        let r = try read(pcap(snaplen: 1_500, records: [(1, big), (2, frame), (3, big)]))
        #expect(r.packets.map(\.2) == [big.count, frame.count, big.count])
        let w = r.summary.warnings.first { $0.kind == .oversizedRecords }
        #expect(w?.offset == 24 && w?.detail.hasPrefix("2 record(s) longer than their snapshot length") == true, "\(r.summary.warnings)")
        let maximum = [UInt8](repeating: 0, count: 262_144)
        #expect(try read(pcap(snaplen: 1_500, records: [(1, maximum)])).packets.count == 1)
        let e = refusal(pcap(snaplen: 1_500, records: [(1, frame), (2, maximum + [0])]))
        #expect(e?.kind == .badCapturedLength && e?.offset == 24 + 16 + frame.count, "\(String(describing: e))")
        // pcapng: the interface's snapshot length, the same rule.
        let ng = pcapng(blocks: [epb(1_000_000, big)]).withSnaplen(1_500)
        #expect(try read(ng).summary.warnings.contains { $0.kind == .oversizedRecords })
    }

    @Test("pcapng versions: 1.0 and 1.2 read, 1.1 refused as libpcap does")
    func pcapngVersions() throws {
        #expect(try read(pcapng(minor: 0, blocks: [epb(1_000_000, frame)])).packets.count == 1)
        #expect(try read(pcapng(minor: 2, blocks: [epb(1_000_000, frame)])).packets.count == 1)
        let e = refusal(pcapng(minor: 1, blocks: [epb(1_000_000, frame)]))
        #expect(e?.kind == .unsupportedVersion && e?.description.contains("unsupported pcapng savefile version 1.1") == true)
    }

    @Test("a timestamp beyond 64-bit ns and a Simple Packet Block: kept at the previous packet's time, counted, out of first/last and rates")
    func untimedPackets() throws {
        let bytes = pcapng(blocks: [epb(1_000_000, frame), epb(0xFFFF_FF00_0000_0000, frame), spb(frame), epb(1_000_500, frame)])
        let r = try read(bytes)
        #expect(r.packets.map(\.0) == [1_000_000_000, 1_000_000_000, 1_000_000_000, 1_000_500_000])
        #expect(r.packets.map(\.1) == [true, false, false, true])
        #expect(r.summary.warnings.map(\.kind).contains(.timestampOutOfRange) && r.summary.warnings.map(\.kind).contains(.noTimestamp))
        // inspect: four packets, first/last and rates from the two timed ones.
        let dir = TemporaryDirectory()
        try Data(bytes).write(to: URL(fileURLWithPath: dir.file("untimed.pcapng")))
        let report = Inspection.inspect(path: dir.file("untimed.pcapng"))
        #expect(report.packets == 4 && report.decode.untimed == 2)
        #expect(report.first?.ns == 1_000_000_000 && report.last?.ns == 1_000_500_000)
        #expect(report.peaks.first { $0.windowNs == 1_000_000 }?.packets == 2)
    }

    @Test("one packet decades ahead: the busiest windows stay where the traffic is, with its count")
    func timestampJump() throws {
        var records: [(UInt32, [UInt8])] = [(1_767_225_600, frame)]  // 2026-01-01
        records.append((4_000_000_000, frame))                      // 2096
        for _ in 0..<5 { records.append((1_767_225_600, frame)) }
        let dir = TemporaryDirectory()
        try Data(pcap(records: records)).write(to: URL(fileURLWithPath: dir.file("jump.pcap")))
        let report = Inspection.inspect(path: dir.file("jump.pcap"))
        let ms = try #require(report.peaks.first { $0.windowNs == 1_000_000 })
        #expect(ms.packets == 6 && ms.packetsStart.ns == 1_767_225_600_000_000_000, "\(ms)")
        #expect(report.decode.timestampRegressions == 1)
    }

    @Test("Linux SLL and SLL2 with an 802.1Q tag the kernel left in: the UDP flow inside is decoded")
    func cookedVLAN() {
        let ip = ipv4UDP(source: 0x0A00_0001, destination: 0xEF01_0101, sourcePort: 5000, destinationPort: 51001, payload: [1, 2, 3, 4])
        let sll: [UInt8] = [0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0] + be16(0x8100) + be16(0x0064) + be16(0x0800) + ip
        let sll2: [UInt8] = be16(0x8100) + [0, 0] + le32(2) + [0, 1, 0, 6] + [2, 0, 0, 0, 0, 1, 0, 0] + be16(0x0064) + be16(0x0800) + ip
        for (bytes, link) in [(sll, LinkType(rawValue: 113)), (sll2, LinkType(rawValue: 276))] {
            let d = bytes.withUnsafeBytes { PacketDecoder.decode(ByteView(unsafeStart: $0.baseAddress, count: $0.count), linkType: link) }
            #expect(d.status == .transport && d.flow.destinationPort == 51001 && d.vlanID == 100 && d.vlanTags == 1, "\(link.rawValue): \(d.status)")
        }
    }
}

private extension Array where Element == UInt8 {
    /// This pcapng with its (first) interface's snapshot length set to `snaplen`.
    func withSnaplen(_ snaplen: UInt32) -> [UInt8] {
        var b = self
        let shbLength = Int(UInt32(b[4]) | UInt32(b[5]) << 8 | UInt32(b[6]) << 16 | UInt32(b[7]) << 24)
        b.replaceSubrange((shbLength + 12)..<(shbLength + 16), with: le32(snaplen))
        return b
    }
}

import TestSupport
import Vocabulary
import Capture
import Foundation
import Testing

@Suite("Capture writer → reader round trips")
struct RoundTripTests {
    static let resolutions: [(UInt8, Int64)] = [(9, 0), (6, 0), (0x80 | 30, 0), (0x80 | 32, 0), (9, 3600), (3, -10)]
    static let timestamps: [Int64] = [0, 1, 999_999_999, 1_767_575_700_123_456_789, 4_294_967_295_999_999_999]

    func samplePackets() -> [(Int64, [UInt8])] {
        Self.timestamps.enumerated().map { i, t in (t, udpFrame(payload: Array(repeating: UInt8(i), count: i * 7 + 1))) }
    }

    @Test("pcap, nanosecond and microsecond magic, both byte orders", arguments: [false, true], [false, true])
    func pcap(bigEndian: Bool, microseconds: Bool) throws {
        let dir = TemporaryDirectory()
        let path = dir.file("rt.pcap")
        var options = CaptureWriter.Options(format: .pcap)
        options.bigEndian = bigEndian
        options.pcapMicroseconds = microseconds
        let writer = try CaptureWriter(path: path, options: options, interfaces: [.init(linkType: .ethernet, snapLength: 65535)])
        for (t, data) in samplePackets() { try writer.write(timestamp: t, bytes: data) }
        try writer.close()
        var reader = try CaptureReader.open(path)
        #expect(reader.format == .pcap(nanosecond: !microseconds, bigEndian: bigEndian, modified: false))
        #expect(reader.interfaces.first?.snapLength == 65535)
        var i = 0
        while let p = try reader.next() {
            let (t, data) = samplePackets()[i]
            #expect(p.timestamp == (microseconds ? t / 1000 * 1000 : t))
            #expect(p.data.bytes == data)
            #expect(p.originalLength == data.count)
            #expect(p.linkType == .ethernet)
            i += 1
        }
        #expect(i == Self.timestamps.count)
        #expect(reader.warnings.isEmpty)
    }

    @Test("pcapng with every resolution kind, offsets and both byte orders",
          arguments: RoundTripTests.resolutions, [false, true])
    func pcapng(resolution: (UInt8, Int64), bigEndian: Bool) throws {
        let dir = TemporaryDirectory()
        let path = dir.file("rt.pcapng")
        var options = CaptureWriter.Options(format: .pcapng)
        options.bigEndian = bigEndian
        options.sectionComment = "round trip"
        let interface = CaptureWriter.Interface(linkType: .ethernet, tsresol: resolution.0, tsoffsetSeconds: resolution.1, name: "eth0")
        let writer = try CaptureWriter(path: path, options: options, interfaces: [interface])
        let packets = samplePackets().filter { $0.0 >= 100_000_000_000 }
        for (t, data) in packets { try writer.write(timestamp: t, bytes: data, comment: "c") }
        try writer.close()
        var reader = try CaptureReader.open(path)
        #expect(reader.format == .pcapng)
        #expect(reader.sections.first?.comments == ["round trip"])
        #expect(reader.sections.first?.bigEndian == bigEndian)
        var i = 0
        while let p = try reader.next() {
            let (t, data) = packets[i]
            // Exact when the resolution is a nanosecond or finer; truncated to the resolution otherwise.
            let n = Int(resolution.0 & 0x7f)
            let expected: Int64
            if resolution.0 & 0x80 != 0 { expected = n >= 30 ? t : p.timestamp }
            else { var unit: Int64 = 1; for _ in 0..<max(0, 9 - n) { unit *= 10 }; expected = t / unit * unit }
            #expect(p.timestamp == expected)
            #expect(p.data.bytes == data)
            var opts = PcapngOptions(p.options, bigEndian: p.optionsBigEndian)
            #expect(opts.next()?.text == "c")
            i += 1
        }
        #expect(i == packets.count)
        #expect(reader.interfaces.first?.name == "eth0")
    }

    @Test("pcapng: several sections in different byte orders, interfaces with different link types")
    func sections() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("multi.pcapng")
        let writer = try CaptureWriter(path: path, options: .init(format: .pcapng),
                                       interfaces: [.init(linkType: .ethernet), .init(linkType: .raw, tsresol: 6)])
        let raw = ipv4UDP(source: 1, destination: 2, sourcePort: 3, destinationPort: 4, payload: [9, 9])
        try writer.write(timestamp: 1_000_000_000, bytes: udpFrame(payload: [1]), interface: 0)
        try writer.write(timestamp: 2_000_001_000, bytes: raw, interface: 1)
        try writer.startSection(comment: "second", interfaces: [.init(linkType: .linuxSLL2)], bigEndian: true)
        try writer.writeRawBlock(type: 0x0000_0BAD, body: [1, 2, 3, 4, 5])  // custom block: skipped
        try writer.writeRawBlock(type: 5, body: [UInt8](repeating: 0, count: 20))  // interface statistics: skipped
        try writer.write(timestamp: 3_000_000_000, bytes: [0x08, 0x00] + [UInt8](repeating: 0, count: 18) + raw, interface: 0)
        try writer.close()
        var reader = try CaptureReader.open(path)
        var linkTypes: [LinkType] = []
        var times: [Int64] = []
        while let p = try reader.next() {
            linkTypes.append(p.linkType)
            times.append(p.timestamp)
        }
        #expect(linkTypes == [.ethernet, .raw, .linuxSLL2])
        #expect(times == [1_000_000_000, 2_000_001_000, 3_000_000_000])
        #expect(reader.sections.count == 2)
        #expect(reader.sections[1].bigEndian)
        #expect(reader.sections[1].comments == ["second"])
        #expect(reader.allInterfaces.count == 3)
        #expect(reader.blocksSkipped == 2)
    }

    @Test("the closure walk, the visitor walk and next() give the same packets; a visitor that stops leaves next() at the packet after",
          arguments: ["omd-d-ab.pcap", "omd-d-faults.pcapng", "omd-d-compressed-vlan.pcapng.gz"])
    func walksAgree(golden: String) throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("captures/\(golden)").path
        typealias Seen = [Int64]  // per packet: record offset, timestamp, captured length, link type
        func fields(_ p: CapturedPacket) -> Seen { [Int64(p.recordOffset), p.timestamp, Int64(p.data.count), Int64(p.linkType.rawValue)] }
        var byNext: Seen = [], byClosure: Seen = []
        var reader = try CaptureReader.open(path)
        while let p = try reader.next() { byNext += fields(p) }
        reader = try CaptureReader.open(path)
        try reader.forEachPacket { p in byClosure += fields(p); return true }
        struct Collect: PacketVisitor {
            var seen: Seen = []
            var stopAfter = Int.max
            mutating func visit(_ packet: CapturedPacket) -> Bool {
                seen += [Int64(packet.recordOffset), packet.timestamp, Int64(packet.data.count), Int64(packet.linkType.rawValue)]
                return seen.count / 4 < stopAfter
            }
        }
        var all = Collect()
        reader = try CaptureReader.open(path)
        try reader.forEachPacket(into: &all)
        #expect(byNext.count > 400)
        #expect(byClosure == byNext)
        #expect(all.seen == byNext)
        // Stop after 100 packets, then read on with next().
        var first = Collect(stopAfter: 100)
        reader = try CaptureReader.open(path)
        try reader.forEachPacket(into: &first)
        var rest: Seen = []
        while let p = try reader.next() { rest += fields(p) }
        #expect(first.seen.count == 400)
        #expect(first.seen + rest == byNext)
    }

    @Test("gzip captures read the same as plain ones, including concatenated members")
    func gzip() throws {
        let dir = TemporaryDirectory()
        let plain = dir.file("a.pcap"), zipped = dir.file("a.pcap.gz")
        for path in [plain, zipped] {
            let writer = try CaptureWriter(path: path, format: .pcap)
            for i in 0..<5000 { try writer.write(timestamp: Int64(i) * 1000, bytes: udpFrame(payload: [UInt8](repeating: UInt8(i & 0xff), count: i % 300))) }
            try writer.close()
        }
        let a = try readAll(plain), b = try readAll(zipped)
        #expect(a.packets.count == 5000)
        #expect(b.packets.count == 5000)
        #expect(zip(a.packets, b.packets).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 })
        // Two gzip members back to back (what `cat a.gz b.gz` makes): header+records, then more records.
        let bytes = try Data(contentsOf: URL(fileURLWithPath: plain))
        let split = 24 + (16 + 42 + 0) * 1  // after the first record
        let first = dir.file("part1"), second = dir.file("part2")
        try bytes.prefix(split).write(to: URL(fileURLWithPath: first))
        try bytes.dropFirst(split).write(to: URL(fileURLWithPath: second))
        for f in [first, second] {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/bin/gzip")
            p.arguments = ["-f", f]
            try p.run()
            p.waitUntilExit()
        }
        let joined = dir.file("joined.pcap.gz")
        var data = try Data(contentsOf: URL(fileURLWithPath: first + ".gz"))
        data.append(try Data(contentsOf: URL(fileURLWithPath: second + ".gz")))
        try data.write(to: URL(fileURLWithPath: joined))
        let c = try readAll(joined)
        #expect(c.packets.count == 5000)
        #expect(c.warnings.isEmpty)
    }

    @Test("a gzip capture cut short keeps the packets before the cut and warns")
    func truncatedGzip() throws {
        let dir = TemporaryDirectory()
        let zipped = dir.file("a.pcap.gz")
        let writer = try CaptureWriter(path: zipped, format: .pcap)
        for i in 0..<20000 { try writer.write(timestamp: Int64(i), bytes: udpFrame(payload: [UInt8](repeating: UInt8(i & 0xff), count: 100))) }
        try writer.close()
        let data = try Data(contentsOf: URL(fileURLWithPath: zipped))
        let cut = dir.file("cut.pcap.gz")
        try data.prefix(data.count / 2).write(to: URL(fileURLWithPath: cut))
        let result = try readAll(cut)
        #expect(result.packets.count > 100)
        #expect(result.packets.count < 20000)
        #expect(result.warnings.contains { $0.kind == .truncatedCompression })
    }
}

@Suite("Standard input")
struct StandardInputTests {
    @Test("a gzip capture piped on standard input is detected by content and read whole")
    func pipedGzip() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("p.pcap")
        let writer = try CaptureWriter(path: path, format: .pcap)
        for i in 0..<3000 { try writer.write(timestamp: Int64(i), bytes: udpFrame(payload: [UInt8](repeating: 7, count: i % 200))) }
        try writer.close()
        // A FIFO stands in for standard input: a non-regular file, read through the streaming window.
        let fifo = dir.file("fifo")
        #expect(mkfifo(fifo, 0o600) == 0)
        let feeder = Process()
        feeder.executableURL = URL(fileURLWithPath: "/bin/sh")
        feeder.arguments = ["-c", "gzip -c '\(path)' > '\(fifo)'"]
        try feeder.run()
        let result = try readAll(fifo)
        feeder.waitUntilExit()
        #expect(result.packets.count == 3000)
        #expect(result.warnings.isEmpty)
        let reader = try CaptureReader.open(path)
        let compressed = reader.isCompressed
        #expect(!compressed)
    }
}

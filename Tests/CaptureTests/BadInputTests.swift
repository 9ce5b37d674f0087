import TestSupport
import Vocabulary
import Capture
import Foundation
import MarketData
import Testing

/// Broken captures of every kind: each must end in a clear error naming the file and byte offset, or
/// (a truncated last record) a warning plus the packets before it — never a trap, a hang or a wrong count.
@Suite("Bad input")
struct BadInputTests {
    /// A small valid capture and the end offset of every block/record (header included).
    func validCapture(_ format: CaptureFileFormat, bigEndian: Bool = false) throws -> (bytes: [UInt8], boundaries: [Int], packetEnds: [Int]) {
        let dir = TemporaryDirectory()
        let path = dir.file("valid")
        var options = CaptureWriter.Options(format: format)
        options.bigEndian = bigEndian
        options.application = nil
        let writer = try CaptureWriter(path: path, options: options, interfaces: [.init(linkType: .ethernet, snapLength: 2000)])
        for i in 0..<6 { try writer.write(timestamp: Int64(i) * 1_000_000, bytes: udpFrame(payload: [UInt8](repeating: UInt8(i), count: i * 5))) }
        try writer.close()
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        var reader = try CaptureReader.open(path)
        var starts: [Int] = []
        var pcapEnds: [Int] = []
        while let p = try reader.next() {
            starts.append(p.recordOffset)
            pcapEnds.append(p.dataOffset + p.capturedLength)
        }
        let packetEnds = format == .pcap ? pcapEnds : Array(starts.dropFirst()) + [bytes.count]
        // pcapng: Section Header Block end, Interface Description Block end (both lengths read from the file).
        let shbEnd = Int(bigEndian ? UInt32(bytes[4]) << 24 | UInt32(bytes[5]) << 16 | UInt32(bytes[6]) << 8 | UInt32(bytes[7])
                                   : UInt32(bytes[4]) | UInt32(bytes[5]) << 8 | UInt32(bytes[6]) << 16 | UInt32(bytes[7]) << 24)
        let header = format == .pcap ? [24] : [shbEnd, starts[0]]
        return (bytes, header + packetEnds, packetEnds)
    }

    @Test("truncated at every byte offset: header errors, or packets so far plus a warning",
          arguments: CaptureFileFormat.allCases, [false, true])
    func everyTruncation(format: CaptureFileFormat, bigEndian: Bool) throws {
        let (bytes, boundaries, packetEnds) = try validCapture(format, bigEndian: bigEndian)
        let dir = TemporaryDirectory()
        let minimumHeader = boundaries[0]
        for length in 0..<bytes.count {
            let path = dir.file("cut-\(length)")
            try Data(bytes.prefix(length)).write(to: URL(fileURLWithPath: path))
            if length < minimumHeader {
                #expect(throws: CaptureError.self) { _ = try readAll(path) }
                do { _ = try readAll(path) } catch let error as CaptureError {
                    #expect(error.kind == (length == 0 ? .emptyFile : .truncatedHeader))
                    #expect(error.description.hasPrefix(path))
                }
                continue
            }
            let result = try readAll(path)
            #expect(result.packets.count == packetEnds.filter { $0 <= length }.count, "cut at \(length)")
            if boundaries.contains(length) {
                #expect(result.warnings.isEmpty, "cut at \(length)")
            } else {
                #expect(result.warnings.count == 1, "cut at \(length)")
                #expect(result.warnings.first?.kind == .truncatedLastRecord)
                let lastBoundary = boundaries.filter { $0 <= length }.max()!
                #expect(result.warnings.first?.offset == lastBoundary, "cut at \(length)")
            }
            try FileManager.default.removeItem(atPath: path)
        }
    }

    func expectError(_ bytes: [UInt8], _ kind: CaptureError.Kind, at offset: Int?, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let dir = TemporaryDirectory()
        let path = dir.file("bad")
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        do {
            let result = try readAll(path)
            Issue.record("expected \(kind), read \(result.packets.count) packets", sourceLocation: sourceLocation)
        } catch let error as CaptureError {
            #expect(error.kind == kind, sourceLocation: sourceLocation)
            #expect(error.offset == offset, sourceLocation: sourceLocation)
            #expect(error.path == path, sourceLocation: sourceLocation)
        }
    }

    @Test("wrong magic, unsupported versions")
    func magic() throws {
        try expectError(Array("hello, this is not a capture file".utf8), .unknownFormat, at: 0)
        var pcap = try validCapture(.pcap).bytes
        pcap[4] = 3  // version 3.4
        try expectError(pcap, .unsupportedVersion, at: 4)
        var ng = try validCapture(.pcapng).bytes
        ng[8] = 0x99  // byte-order magic
        try expectError(ng, .badByteOrderMagic, at: 0)
        ng = try validCapture(.pcapng).bytes
        ng[12] = 2  // major version 2
        try expectError(ng, .unsupportedVersion, at: 0)
    }

    @Test("pcap: captured length beyond libpcap's maximum (262,144) and the snapshot length is an error at the record")
    func caplenBeyondSnaplen() throws {
        let (bytes, boundaries, _) = try validCapture(.pcap)
        var b = bytes
        let second = boundaries[1]  // second record's header
        b.replaceSubrange((second + 8)..<(second + 12), with: le32(262_145))
        try expectError(b, .badCapturedLength, at: second)
    }

    @Test("pcap: a captured length beyond the end of the file is a truncated last record")
    func caplenBeyondFile() throws {
        let (bytes, boundaries, _) = try validCapture(.pcap)
        var b = bytes
        let last = boundaries[boundaries.count - 2]
        b.replaceSubrange((last + 8)..<(last + 12), with: le32(1999))
        let dir = TemporaryDirectory()
        try Data(b).write(to: URL(fileURLWithPath: dir.file("f")))
        let result = try readAll(dir.file("f"))
        #expect(result.packets.count == 5)
        #expect(result.warnings.first?.offset == last)
    }

    @Test("pcapng: zero, short, non-multiple-of-4 and huge block lengths; trailer mismatch", arguments: [0, 8, 13, 30, 0x7FFF_FFF0])
    func blockLengths(length: UInt32) throws {
        let (bytes, boundaries, _) = try validCapture(.pcapng)
        var b = bytes
        let epb = boundaries[1]
        b.replaceSubrange((epb + 4)..<(epb + 8), with: le32(length))
        try expectError(b, .badBlockLength, at: epb)
    }

    @Test("pcapng: trailing length differs from the leading one")
    func trailerMismatch() throws {
        let (bytes, boundaries, _) = try validCapture(.pcapng)
        var b = bytes
        let end = boundaries[2]
        b.replaceSubrange((end - 4)..<end, with: le32(12345))
        try expectError(b, .blockLengthMismatch, at: boundaries[1])
    }

    @Test("pcapng: packet on an undeclared interface; EPB captured length beyond its block")
    func undeclaredInterface() throws {
        let (bytes, boundaries, _) = try validCapture(.pcapng)
        var b = bytes
        let epb = boundaries[1]
        b.replaceSubrange((epb + 8)..<(epb + 12), with: le32(3))
        try expectError(b, .undeclaredInterface, at: epb)
        b = bytes
        b.replaceSubrange((epb + 20)..<(epb + 24), with: le32(1000))
        try expectError(b, .badCapturedLength, at: epb)
    }

    @Test("pcapng: a block before any Section Header, bad IDB options, bad if_tsresol")
    func idbProblems() throws {
        let (bytes, boundaries, _) = try validCapture(.pcapng)
        // An IDB whose option claims 200 bytes.
        var idb: [UInt8] = le32(1) + le32(32) + le16(1) + le16(0) + le32(0) + le16(9) + le16(200) + [9, 0, 0, 0] + le32(0) + le32(32)
        var b = Array(bytes.prefix(boundaries[0])) + idb
        try expectError(b, .badOption, at: boundaries[0])
        // if_tsresol 10^-25.
        idb = le32(1) + le32(32) + le16(1) + le16(0) + le32(0) + le16(9) + le16(1) + [25, 0, 0, 0] + le32(0) + le32(32)
        b = Array(bytes.prefix(boundaries[0])) + idb
        try expectError(b, .unsupportedResolution, at: boundaries[0])
    }

    @Test("empty file, directory, missing file")
    func files() throws {
        try expectError([], .emptyFile, at: nil)
        let dir = TemporaryDirectory()
        #expect(throws: CaptureError.self) { _ = try readAll(dir.path) }
        do {
            _ = try readAll(dir.file("missing.pcap"))
            Issue.record("a missing file was read")
        } catch let e as CaptureError {
            #expect(e.kind == .unreadable)
            #expect(e.description.contains("missing.pcap"))
            #expect(e.description.contains("No such file"))
        }
    }

    @Test("seeded random mutations never trap or hang, through reader, decoder and OMD", arguments: CaptureFileFormat.allCases)
    func mutations(format: CaptureFileFormat) throws {
        let (bytes, _, _) = try validCapture(format)
        let dir = TemporaryDirectory()
        let path = dir.file("m")
        var state: UInt64 = 0x1234_5678 &+ UInt64(format == .pcap ? 1 : 2)
        func random() -> UInt64 { state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407; return state >> 33 }
        let analyzer = OMDStreamAnalyzer()
        for _ in 0..<1500 {
            var b = bytes
            for _ in 0..<(1 + Int(random() % 6)) {
                guard !b.isEmpty else { break }
                let at = Int(random() % UInt64(b.count))
                switch random() % 4 {
                case 0: b[at] = UInt8(truncatingIfNeeded: random())
                case 1: b[at] ^= 0x80
                case 2: if at + 4 <= b.count { b.replaceSubrange(at..<(at + 4), with: le32(UInt32(truncatingIfNeeded: random()))) }
                default: b = Array(b.prefix(at))
                }
            }
            try Data(b).write(to: URL(fileURLWithPath: path))
            var count = 0
            var stats = OMDStreamStatistics()
            do {
                var reader = try CaptureReader.open(path)
                while let p = try reader.next() {
                    count += 1
                    let d = PacketDecoder.decode(p.data, linkType: p.linkType)
                    if d.status == .transport { analyzer.process(d.payload, declaredLength: d.declaredPayloadLength, timestamp: p.timestamp, into: &stats) }
                    #expect(count < 10_000)
                    if count >= 10_000 { break }
                }
            } catch {
                #expect(error.description.hasPrefix(path))
            }
        }
    }
}

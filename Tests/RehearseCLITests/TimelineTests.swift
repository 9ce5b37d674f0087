import Capture
import Foundation
import Testing
import TestSupport
import Vocabulary

/// A day split into rotated captures (tcpdump -G) is compared and inspected as one timeline.
@Suite("compare of directories: rotated captures read as one timeline")
struct TimelineTests {
    /// Writes the packets of `capture` that `filter` selects into `count` files by time, named so
    /// that their names run against time (the timeline must follow the packets, not the names).
    func split(_ capture: String, filter: String, into directory: String, count: Int, whole: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var reader = try CaptureReader.open(capture)
        let selected = PacketFilter(expression: filter)
        var packets: [(Int64, [UInt8])] = []
        while let p = try reader.next() {
            _ = try selected.prepare(for: p.linkType)
            if selected.matches(p) { packets.append((p.timestamp, p.data.bytes)) }
        }
        let options = CaptureWriter.Options(format: .pcap)
        let all = try CaptureWriter(path: whole, options: options, interfaces: [.init(linkType: .ethernet)])
        for (t, bytes) in packets { try bytes.withUnsafeBytes { try all.write(timestamp: t, data: $0) } }
        try all.close()
        let per = (packets.count + count - 1) / count
        for part in 0..<count {
            let name = String(UnicodeScalar(UInt8(ascii: "z") - UInt8(part))) + ".pcap"
            let w = try CaptureWriter(path: directory + "/" + name, options: options, interfaces: [.init(linkType: .ethernet)])
            for (t, bytes) in packets.dropFirst(part * per).prefix(per) { try bytes.withUnsafeBytes { try w.write(timestamp: t, data: $0) } }
            try w.close()
        }
    }

    @Test("lines A and B each split into 3 files (names against time) compare exactly as the whole captures do, and inspect as the whole capture does; a file overlapping the previous is said; a directory without captures is refused, named")
    func directories() throws {
        let dir = NSTemporaryDirectory() + "rehearse-timeline-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let capture = dir + "/ab.pcap"
        #expect(try CLI.run(["synth", "-o", capture, "--channels", "3", "--packets", "6000", "--seed", "11",
                             "--fault", "B1:gap@60ms:30", "--fault", "B2:dup@80ms:3"]).status == 0)
        try split(capture, filter: "dst net 239.1.1.0/24", into: dir + "/a", count: 3, whole: dir + "/a.pcap")
        try split(capture, filter: "dst net 239.1.2.0/24", into: dir + "/b", count: 3, whole: dir + "/b.pcap")
        let whole = try CLI.run(["compare", dir + "/a.pcap", dir + "/b.pcap", "--json"])
        let parts = try CLI.run(["compare", dir + "/a", dir + "/b", "--json"])
        #expect(whole.status == 1 && parts.status == whole.status, "\(parts.stderr)")
        #expect(NSDictionary(dictionary: try json(parts.stdout)).isEqual(to: try json(whole.stdout)), "the split day compares differently")
        #expect((try json(parts.stdout)["messagesCompared"] as? Int ?? 0) > 5_000)
        // Shards read the timeline too.
        let shard = try CLI.run(["compare", dir + "/a", dir + "/b", "--json", "--shard", "1/3"])
        #expect((try json(shard.stdout)["channels"] as? [[String: Any]])?.map { $0["channel"] as? Int } == [1])
        // inspect reads a directory as one timeline too: every stream continues across the files.
        let file = try json(try CLI.run(["inspect", dir + "/a.pcap", "--json"]).stdout)["files"] as? [[String: Any]]
        let day = try CLI.run(["inspect", dir + "/a", "--json"])
        let folded = try json(day.stdout)["files"] as? [[String: Any]]
        #expect(day.status == 0 && folded?.count == 1, "\(day.stderr)")
        for key in ["streams", "packets", "omdTotals", "first", "last", "peaks", "decode"] {
            let same = NSArray(array: [folded?[0][key] ?? "absent"]).isEqual(to: [file?[0][key] ?? "absent"])
            #expect(same, "inspect of the directory differs in \(key)")
        }
        #expect((folded?[0]["streams"] as? [Any])?.count == 3)
        // A file starting before the previous one ends is read after it, and said.
        try FileManager.default.createDirectory(atPath: dir + "/overlap", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: dir + "/a.pcap", toPath: dir + "/overlap/a.pcap")
        try FileManager.default.copyItem(atPath: dir + "/a/z.pcap", toPath: dir + "/overlap/z.pcap")
        let overlap = try CLI.run(["inspect", dir + "/overlap", "--json"])
        let warnings = (try json(overlap.stdout)["files"] as? [[String: Any]])?[0]["warnings"] as? [[String: Any]] ?? []
        #expect(warnings.contains { $0["kind"] as? String == "startsBeforePrevious" && ($0["message"] as? String ?? "").contains("z.pcap") }, "\(warnings)")
        try FileManager.default.createDirectory(atPath: dir + "/empty", withIntermediateDirectories: true)
        let empty = try CLI.run(["compare", dir + "/empty", dir + "/b"])
        #expect(empty.status == 3 && empty.stderr.contains("empty: no capture in the directory"), "\(empty.stderr)")
    }
}

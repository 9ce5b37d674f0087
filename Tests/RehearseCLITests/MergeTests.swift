import Foundation
import Testing
import TestSupport
import Vocabulary

/// Shards and their exact merge: COUNT processes, one per shard, together give what one process gives.
@Suite("compare --shard and rehearse merge")
struct MergeTests {
    @Test("three shards of a compare, merged, equal the one-process JSON — channels, findings, warnings, and each line's recoverability judged over every channel's gaps (the day's request budget is shared)")
    func compareShards() throws {
        let dir = NSTemporaryDirectory() + "rehearse-merge-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let capture = dir + "/ab.pcap"
        // Gaps on B in channels 1 (at 200 ms) and 3 (at 300 ms), a duplicate burst on B, a gap on A.
        #expect(try CLI.run(["synth", "-o", capture, "--channels", "5", "--packets", "20000", "--seed", "9", "--fault", "B1:gap@200ms:400",
                             "--fault", "B3:gap@300ms:20", "--fault", "B3:dup@400ms:3", "--fault", "A2:gap@100ms:7"]).status == 0)
        // One request a day: channel 1's gap (first in time, shard 1) takes it, channel 3's (shard 0) is beyond the budget.
        let common = ["compare", capture, "--a", "dst net 239.1.1.0/24", "--b", "dst net 239.1.2.0/24", "--json", "--rts-daily-requests", "1"]
        let one = try CLI.run(common)
        #expect(one.status == 1, "\(one.stderr)")
        var paths: [String] = []
        for i in 0..<3 {
            let r = try CLI.run(common + ["--shard", "\(i)/3"])
            let channels = try #require(try json(r.stdout)["channels"] as? [[String: Any]])
            #expect(channels.allSatisfy { ($0["channel"] as? Int ?? -1) % 3 == i } && !channels.isEmpty, "shard \(i): \(channels.map { $0["channel"] ?? "-" })")
            paths.append(dir + "/shard-\(i).json")
            try r.stdout.write(toFile: paths[i], atomically: true, encoding: .utf8)
        }
        let merged = try CLI.run(["merge", "--json"] + paths.reversed())
        #expect(merged.status == one.status && merged.stderr == one.stderr, "\(merged.stderr)")
        let m = try json(merged.stdout), o = try json(one.stdout)
        #expect(NSDictionary(dictionary: m).isEqual(to: o), "merged differs from one process")
        let lines = try #require(o["channels"] as? [[String: Any]]).map { ($0["lineB"] as? [String: Any])?["recoverability"] as? [String: Any] }
        #expect(lines[1]?["recoverable"] as? Int ?? 0 > 0 && lines[3]?["beyondBudget"] as? Int ?? 0 > 0, "\(lines)")
        // The text of the merge is the comparison's, with the captures named.
        let text = try CLI.run(["merge"] + paths)
        #expect(text.status == 1 && text.stdout.contains("A: \(capture) [dst net 239.1.1.0/24]") && text.stdout.contains("5 channels"), "\(text.stdout)")

        // With business keys too (their examples in a fixed order: a dictionary's once decided it, run to run).
        let keys = common + ["--match", "keys"]
        let keyedOne = try CLI.run(keys)
        var keyedPaths: [String] = []
        for i in 0..<2 {
            keyedPaths.append(dir + "/keyed-\(i).json")
            try CLI.run(keys + ["--shard", "\(i)/2"]).stdout.write(toFile: keyedPaths[i], atomically: true, encoding: .utf8)
        }
        let keyedMerged = try CLI.run(["merge", "--json"] + keyedPaths)
        #expect(NSDictionary(dictionary: try json(keyedMerged.stdout)).isEqual(to: try json(keyedOne.stdout)), "keyed: merged differs from one process")
        #expect((try json(keyedOne.stdout)["keyed"] as? [[String: Any]])?.contains { !($0["examples"] as? [String] ?? []).isEmpty } == true)

        // What does not belong together is refused, naming why (exit 3); a bad --shard is a usage error.
        let missing = try CLI.run(["merge", paths[0], paths[2]])
        #expect(missing.status == 3 && missing.stderr.contains("shard 1/3 missing"), "\(missing.stderr)")
        let twice = try CLI.run(["merge", paths[0], paths[0], paths[1], paths[2]])
        #expect(twice.status == 3 && twice.stderr.contains("shard 0/3 given twice"), "\(twice.stderr)")
        let other = dir + "/other.json"
        try CLI.run(common + ["--shard", "1/3", "--stall", "1s"]).stdout.write(toFile: other, atomically: true, encoding: .utf8)
        let mixed = try CLI.run(["merge", paths[0], other, paths[2]])
        #expect(mixed.status == 3 && mixed.stderr.contains("is of another comparison"), "\(mixed.stderr)")
        let whole = dir + "/whole.json"
        try one.stdout.write(toFile: whole, atomically: true, encoding: .utf8)
        #expect(try CLI.run(["merge", whole]).stderr.contains("not a shard's"))
        // A result cut short (a shard killed while writing) is named as such.
        let cut = dir + "/cut.json"
        try String(one.stdout.prefix(2_000)).write(toFile: cut, atomically: true, encoding: .utf8)
        let truncated = try CLI.run(["merge", paths[0], cut])
        #expect(truncated.status == 3 && truncated.stderr.contains("cut.json: not a whole JSON result (truncated"), "\(truncated.stderr)")
        let bad = try CLI.run(common + ["--shard", "3/3"])
        #expect(bad.status == 2 && bad.stderr.contains("--shard 3/3: expected INDEX/COUNT"), "\(bad.stderr)")
    }

    @Test("inspect shards of two files (a golden OMD capture with faults, a MoldUDP64 feed), merged, equal the one-process JSON: the files' own figures, every stream in order, the OMD totals")
    func inspectShards() throws {
        let dir = NSTemporaryDirectory() + "rehearse-merge-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let mold = dir + "/mold.pcap"
        #expect(try CLI.run(["synth", "--protocol", "moldudp64", "-o", mold, "--channels", "7", "--packets", "3000", "--seed", "2",
                             "--fault", "A:gap@5ms:3"]).status == 0)
        let files = [CLI.packageRoot + "/captures/omd-d-faults.pcapng", mold]
        let one = try CLI.run(["inspect", "--json"] + files)
        #expect(one.status == 0, "\(one.stderr)")
        var paths: [String] = []
        for i in 0..<2 {
            let r = try CLI.run(["inspect", "--json", "--shard", "\(i)/2"] + files)
            let streams = try #require((try json(r.stdout)["files"] as? [[String: Any]])?.map { ($0["streams"] as? [Any])?.count ?? 0 })
            #expect(r.status == 0 && streams.allSatisfy { $0 > 0 }, "\(streams)")
            paths.append(dir + "/inspect-\(i).json")
            try r.stdout.write(toFile: paths[i], atomically: true, encoding: .utf8)
        }
        let merged = try CLI.run(["merge", "--json", paths[1], paths[0]])
        #expect(merged.status == 0, "\(merged.stderr)")
        #expect(NSDictionary(dictionary: try json(merged.stdout)).isEqual(to: try json(one.stdout)), "merged differs from one process")
        let text = try CLI.run(["merge", paths[0], paths[1]])
        #expect(text.status == 0 && text.stdout.contains("omd-d-faults.pcapng") && text.stdout.contains("moldudp64"), "\(text.stdout)")
        // A shard of another split, or one missing, is refused.
        let three = dir + "/three.json"
        try CLI.run(["inspect", "--json", "--shard", "1/3"] + files).stdout.write(toFile: three, atomically: true, encoding: .utf8)
        let mixed = try CLI.run(["merge", paths[0], three])
        #expect(mixed.status == 3 && mixed.stderr.contains("shards of 2 and of 3 given together"), "\(mixed.stderr)")
        let alone = try CLI.run(["merge", paths[1]])
        #expect(alone.status == 3 && alone.stderr.contains("shard 0/2 missing"), "\(alone.stderr)")
        // Results of different commands do not merge.
        let compare = try CLI.run(["compare", files[0], files[0], "--json", "--shard", "0/2"])
        try compare.stdout.write(toFile: dir + "/compare.json", atomically: true, encoding: .utf8)
        let kinds = try CLI.run(["merge", paths[0], dir + "/compare.json"])
        #expect(kinds.status == 3 && kinds.stderr.contains("results of different kinds"), "\(kinds.stderr)")
    }
}

/// `--start-at`: processes on several hosts start their schedules at one agreed instant.
@Suite("replay --start-at")
struct StartAtTests {
    @Test("ISO 8601 UTC instants read exactly (fractions to the ns, +00:00); other forms refused")
    func parse() {
        #expect(UTCInstant.parse("1970-01-01T00:00:00Z") == 0)
        #expect(UTCInstant.parse("2026-12-02T15:30:00.25Z") == 1_796_225_400_250_000_000)
        #expect(UTCInstant.parse("2024-02-29T23:59:59.123456789+00:00") == 1_709_251_199_123_456_789)
        for t: Int64 in [0, 951_782_400_000_000_001, 1_796_225_400_250_000_000, 4_102_444_799_999_999_999] {
            #expect(UTCInstant.parse(TimeFormat.iso8601(t)) == t, "\(TimeFormat.iso8601(t))")
        }
        for bad in ["2026-12-02 15:30:00Z", "2026-12-02T15:30:00", "2026-12-02T15:30:00+01:00", "2023-02-29T00:00:00Z",
                    "2026-13-01T00:00:00Z", "2026-12-02T24:00:00Z", "2026-12-02T15:30:00.1234567890Z", "tomorrow"] {
            #expect(UTCInstant.parse(bad) == nil, "\(bad)")
        }
    }

    @Test("the first packet leaves at the agreed instant, not before: the listener's first arrival is after it, the result records it and the skew")
    func startsTogether() throws {
        let path = NSTemporaryDirectory() + "rehearse-\(UUID().uuidString)-start.pcap"
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(try CLI.run(["synth", "-o", path, "--channels", "1", "--packets", "200", "--seed", "3"]).status == 0)
        let port = freePortBlock(2)
        let listener = try Background(["listen", "--on", "127.0.0.1:\(port)", "--idle", "3s", "--json"])
        usleep(300_000)
        let startAt = Clock.realtime() + 1_500_000_000
        let r = try CLI.run(["replay", path, "--to", "*=127.0.0.1:\(port)", "--drop-unmapped", "--start-at", TimeFormat.iso8601(startAt), "--json"])
        #expect(r.replayed, "\(r.stderr)")
        let result = try json(r.stdout)
        #expect(result["startAtNs"] as? Int64 == startAt && (result["startSkewNs"] as? Int64 ?? -1) >= 0, "\(r.stdout)")
        let (_, output) = listener.wait()
        let first = try #require((try json(output)["streams"] as? [[String: Any]])?.compactMap { ($0["first"] as? [String: Any])?["ns"] as? Int64 }.min())
        #expect(first >= startAt, "a packet arrived \(startAt - first) ns before the agreed instant")
    }

    @Test("where chrony answers, the host's clock offset is recorded with the start (a stand-in chronyc on PATH); where none does, nothing is")
    func clockOffset() throws {
        let dir = NSTemporaryDirectory() + "rehearse-chrony-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let chronyc = dir + "/chronyc"
        try "#!/bin/sh\necho 'A29FC87B,162.159.200.123,3,1796225400.123456789,-0.000012345,0.000001234,0.000023456,-12.345,0.012,0.123,0.000123,0.001234,1024.5,Normal'\n"
            .write(toFile: chronyc, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: chronyc)
        let capture = dir + "/feed.pcap"
        #expect(try CLI.run(["synth", "-o", capture, "--channels", "1", "--packets", "20"]).status == 0)
        let port = freePortBlock(1)
        let arguments = ["replay", capture, "--to", "*=127.0.0.1:\(port)", "--drop-unmapped", "--json"]
        let path = dir + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
        let with = try CLI.run(arguments + ["--start-at", TimeFormat.iso8601(Clock.realtime() + 400_000_000)], environment: ["PATH": path])
        let sync = try #require(try json(with.stdout)["clockSync"] as? [String: Any], "\(with.stdout)")
        #expect(sync["source"] as? String == "chrony" && sync["offsetNs"] as? Int64 == -12_345)
        // Without --start-at nothing is read; a replay never reports a clock offset it did not get.
        #expect(try json(try CLI.run(arguments, environment: ["PATH": path]).stdout)["clockSync"] == nil)
    }
}

import Foundation
import TestSupport
import Testing
import Vocabulary

@Suite("run --shard and its merge: judged, stored and reported as one run")
struct RunShardTests {
    @Test("two shards of a scenario (feed and compare legs) merged: one run in the history with its report, every message count the one-process run's, judged by the limits; a scenario with a gateway leg is refused with --shard; the merge of one shard is refused, named")
    func shardsOfARun() throws {
        let directory = NSTemporaryDirectory() + "rehearse-run-shards-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let port = freePortBlock(24)
        #expect(try CLI.run(["synth", "-o", directory + "/feed.pcap", "--channels", "4", "--duration", "1s", "--rate", "4000",
                             "--seed", "3", "--fault", "B:gap@500ms:3"]).status == 0)
        let sims = try [
            Background(["sim", "feed", "--listen", "127.0.0.1:\(port)-\(port + 3)", "--publish", "127.0.0.1:\(port + 10)", "--profile", "old", "--duration", "60s"]),
            Background(["sim", "feed", "--listen", "127.0.0.1:\(port + 4)-\(port + 7)", "--publish", "127.0.0.1:\(port + 14)", "--duration", "60s"]),
        ]
        defer { sims.forEach { _ = $0.interrupt() } }
        let scenario = directory + "/scenario.yaml"
        let body = """
        name: sharded run
        targets:
          old:
            feed: {send: 127.0.0.1:\(port), receive: 127.0.0.1:\(port + 10)}
          new:
            feed: {send: 127.0.0.1:\(port + 4), receive: 127.0.0.1:\(port + 14)}
        feed: {capture: feed.pcap, filter: dst net 239.1.1.0/24, speed: 2, drain: 1s}
        compare: {a: feed.pcap, filterA: dst net 239.1.1.0/24, filterB: dst net 239.1.2.0/24}
        limits:
          feedLost: 100000
          standbyMissing: 1000
          feedLatencyP99: 10s
        baseline: {tolerance: 1000%}
        validity: {senderLateness: 100%, hiccups: 100%}
        outputs: {directory: runs, history: history.sqlite}
        """
        try body.write(toFile: scenario, atomically: true, encoding: .utf8)
        usleep(400_000)
        func ran(_ r: CLI.Result) -> Bool { r.status == 0 || r.status == 5 }
        var paths: [String] = []
        for k in 0..<2 {
            let r = try CLI.run(["run", scenario, "--shard", "\(k)/2", "--json"])
            #expect(ran(r), "\(r.stderr)")
            let path = directory + "/shard-\(k).json"
            try r.stdout.write(toFile: path, atomically: true, encoding: .utf8)
            paths.append(path)
        }
        // Nothing stored by the shards themselves.
        #expect(!FileManager.default.fileExists(atPath: directory + "/runs/run-1"))
        let merge = try CLI.run(["merge", "--json"] + paths)
        #expect(ran(merge), "\(merge.stderr)")
        let merged = try json(merge.stdout)
        #expect(merged["id"] as? Int == 1 && merged["shard"] == nil && merged["verdict"] != nil)
        #expect(FileManager.default.fileExists(atPath: directory + "/runs/run-1/report.html"))
        // One process, the same scenario: the same messages sent and compared.
        let whole = try CLI.run(["run", scenario, "--json"])
        #expect(ran(whole), "\(whole.stderr)")
        let one = try json(whole.stdout)
        #expect(one["id"] as? Int == 2)
        func sides(_ r: [String: Any]) -> [[String: Any]] { ((r["feed"] as? [String: Any])?["sides"] as? [[String: Any]]) ?? [] }
        #expect(sides(merged).count == 2)
        for (m, o) in zip(sides(merged), sides(one)) {
            #expect(m["messagesSent"] as? Int == o["messagesSent"] as? Int && (m["messagesSent"] as? Int ?? 0) > 1_000)
            #expect(m["messagesReceived"] as? Int == m["messagesSent"] as? Int, "\(m["name"] ?? "")")
        }
        let mc = merged["compare"] as? [String: Any], oc = one["compare"] as? [String: Any]
        #expect(mc?["messagesCompared"] as? Int == oc?["messagesCompared"] as? Int && (mc?["channels"] as? [Any])?.count == 4)
        let limits = (merged["limits"] as? [[String: Any]] ?? []).map { $0["limit"] as? String ?? "" }
        #expect(Set(limits) == ["feedLost", "standbyMissing", "feedLatencyP99"], "\(limits)")
        let history = try CLI.run(["history", "--history", directory + "/history.sqlite"])
        #expect(history.status == 0 && history.stdout.contains("sharded run"), "\(history.stdout)\(history.stderr)")
        // One shard alone is not a run.
        let partial = try CLI.run(["merge", paths[0]])
        #expect(partial.status == 3 && partial.stderr.contains("1/2 missing"), "\(partial.stderr)")
        // A gateway leg is not sharded: refused before anything runs.
        try (body.replacingOccurrences(of: "compare: {", with: "gateway: {capture: feed.pcap, speed: 1}\ncompare: {"))
            .write(toFile: scenario, atomically: true, encoding: .utf8)
        let refused = try CLI.run(["run", scenario, "--shard", "0/2"])
        #expect(refused.status == 2 && refused.stderr.contains("gateway: leg"), "\(refused.stderr)")
    }

    func json(_ text: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] ?? [:]
    }
}

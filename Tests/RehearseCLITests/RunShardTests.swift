import Foundation
import TestSupport
import Testing
import Vocabulary

@Suite("run --shard and its merge: judged, stored and reported as one run")
struct RunShardTests {
    @Test("two shards of a scenario (feed, gateway and compare legs) merged: one run in the history with its report, every message and request count the one-process run's, judged by the limits; the merge of one shard is refused, named")
    func shardsOfARun() throws {
        let directory = NSTemporaryDirectory() + "rehearse-run-shards-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let port = freePortBlock(24)
        #expect(try CLI.run(["synth", "-o", directory + "/feed.pcap", "--channels", "4", "--duration", "1s", "--rate", "4000",
                             "--seed", "3", "--fault", "B:gap@500ms:3"]).status == 0)
        #expect(try CLI.run(["synth", "--fix", "--sessions", "4", "--orders", "60", "--order-rate", "400", "--seed", "3",
                             "-o", directory + "/fix.pcap"]).status == 0)
        let sims = try [
            Background(["sim", "feed", "--listen", "127.0.0.1:\(port)-\(port + 3)", "--publish", "127.0.0.1:\(port + 10)", "--profile", "old", "--duration", "60s"]),
            Background(["sim", "feed", "--listen", "127.0.0.1:\(port + 4)-\(port + 7)", "--publish", "127.0.0.1:\(port + 14)", "--duration", "60s"]),
            Background(["sim", "gateway", "--listen", "127.0.0.1:\(port + 20)", "--profile", "old", "--duration", "60s"]),
            Background(["sim", "gateway", "--listen", "127.0.0.1:\(port + 21)", "--duration", "60s"]),
        ]
        defer { sims.forEach { _ = $0.interrupt() } }
        let scenario = directory + "/scenario.yaml"
        let body = """
        name: sharded run
        targets:
          old:
            feed: {send: 127.0.0.1:\(port), receive: 127.0.0.1:\(port + 10)}
            gateway: {address: 127.0.0.1:\(port + 20), sender: C1, target: OLD}
          new:
            feed: {send: 127.0.0.1:\(port + 4), receive: 127.0.0.1:\(port + 14)}
            gateway: {address: 127.0.0.1:\(port + 21), sender: C1, target: NEW}
        feed: {capture: feed.pcap, filter: dst net 239.1.1.0/24, speed: 2, drain: 1s}
        gateway: {capture: fix.pcap, speed: 4}
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
        for name in ["old", "new"] {
            let mg = (merged["gateway"] as? [String: Any])?[name] as? [String: Any], og = (one["gateway"] as? [String: Any])?[name] as? [String: Any]
            #expect(mg?["sessions"] as? Int == 4 && mg?["requests"] as? Int == og?["requests"] as? Int && (og?["requests"] as? Int ?? 0) >= 240,
                    "\(name): \(mg?["requests"] ?? "-") vs \(og?["requests"] ?? "-")")
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
    }

    @Test("gateway --shard: two shards of 4 FIX sessions, started together, merged: the sessions, requests, answers and per-type counts of one process's replay, latency from the merged histograms; a shard with no session is refused")
    func gatewayShards() throws {
        let directory = NSTemporaryDirectory() + "rehearse-gateway-shards-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let port = freePortBlock(4)
        let capture = directory + "/fix.pcap"
        #expect(try CLI.run(["synth", "--fix", "--sessions", "4", "--orders", "100", "--order-rate", "400", "--seed", "5", "-o", capture]).status == 0)
        let sim = try Background(["sim", "gateway", "--listen", "127.0.0.1:\(port)", "--duration", "60s"])
        defer { _ = sim.interrupt() }
        usleep(400_000)
        let base = ["gateway", capture, "--new", "127.0.0.1:\(port)", "--speed", "4", "--json"]
        func ran(_ r: CLI.Result) -> Bool { r.status == 0 || r.status == 5 }
        let whole = try CLI.run(base)
        #expect(ran(whole), "\(whole.stderr)")
        let startAt = TimeFormat.iso8601(Clock.realtime() + 3_000_000_000)
        // Both shards at once, to one gateway, from one timeline.
        let shards = try (0..<2).map { k in try Background(base + ["--shard", "\(k)/2", "--start-at", startAt]) }
        var paths: [String] = []
        for (k, shard) in shards.enumerated() {
            let (status, out) = shard.wait(limit: 60)
            #expect(status == 0 || status == 5, "shard \(k) exited \(status)")
            let path = directory + "/g\(k).json"
            try out.write(toFile: path, atomically: true, encoding: .utf8)
            paths.append(path)
        }
        let merge = try CLI.run(["merge", "--json"] + paths)
        #expect(ran(merge), "\(merge.stderr)")
        let merged = try json(merge.stdout)["new"] as? [String: Any] ?? [:], one = try json(whole.stdout)["new"] as? [String: Any] ?? [:]
        for key in ["sessions", "sessionsLoggedOn", "requests"] {
            #expect(merged[key] as? Int == one[key] as? Int, "\(key): merged \(merged[key] ?? "-"), one process \(one[key] ?? "-")")
        }
        // The gateway's answers depend on how the sessions' orders meet in its book (two processes
        // interleave them otherwise than one: 458 against 456 seen once); every request is answered.
        for r in [merged, one] {
            #expect((r["responses"] as? Int ?? 0) >= (r["requests"] as? Int ?? .max), "responses \(r["responses"] ?? "-"), requests \(r["requests"] ?? "-")")
        }
        #expect(merged["sessions"] as? Int == 4 && (merged["requests"] as? Int ?? 0) >= 400)
        func types(_ r: [String: Any]) -> [String: Int] {
            Dictionary(uniqueKeysWithValues: (r["byType"] as? [[String: Any]] ?? []).map { ($0["messageType"] as? String ?? "", $0["sent"] as? Int ?? -1) })
        }
        #expect(types(merged) == types(one) && !types(one).isEmpty, "\(types(merged)) vs \(types(one))")
        let answered = (merged["byType"] as? [[String: Any]] ?? []).reduce(0) { $0 + ($1["answered"] as? Int ?? 0) }
        #expect(((merged["lateness"] as? [String: Any])?["count"] as? Int ?? 0) > 0 && merged["histogram"] is String)
        #expect((merged["intervals"] as? [[String: Any]])?.reduce(0) { $0 + ($1["count"] as? Int ?? 0) } == answered)
        #expect(merged["shard"] == nil && merged["startAtNs"] != nil)
        let lone = try CLI.run(base + ["--shard", "5/8"])
        #expect(lone.status == 2 && lone.stderr.contains("no session"), "\(lone.stderr)")
    }

    @Test("capacity --shard: two shards on one host (each receiving only its own channels) run every step at agreed instants; merged, the ramp is judged, stored and reported as one, each step carrying the one-process ramp's messages; without --start-at a shard is refused")
    func capacityShards() throws {
        let directory = NSTemporaryDirectory() + "rehearse-capacity-shards-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let port = freePortBlock(24)
        #expect(try CLI.run(["synth", "-o", directory + "/feed.pcap", "--channels", "4", "--duration", "600ms", "--rate", "4000",
                             "--seed", "4", "--lines", "A"]).status == 0)
        let sims = try [
            Background(["sim", "feed", "--listen", "127.0.0.1:\(port)-\(port + 3)", "--publish", "127.0.0.1:\(port + 10)", "--profile", "old", "--duration", "90s"]),
            Background(["sim", "feed", "--listen", "127.0.0.1:\(port + 4)-\(port + 7)", "--publish", "127.0.0.1:\(port + 14)", "--duration", "90s"]),
        ]
        defer { sims.forEach { _ = $0.interrupt() } }
        let scenario = directory + "/scenario.yaml"
        try """
        name: sharded ramp
        targets:
          old:
            feed: {send: 127.0.0.1:\(port), receive: 127.0.0.1:\(port + 10)}
          new:
            feed: {send: 127.0.0.1:\(port + 4), receive: 127.0.0.1:\(port + 14)}
        feed: {capture: feed.pcap, speed: 1, drain: 500ms}
        limits:
          feedLost: 100000
          feedLatencyP99: 10s
        validity: {senderLateness: 100%, hiccups: 100%}
        capacity: {speeds: [1, 2], senderLatenessP99: 1s}
        outputs: {directory: runs, history: history.sqlite}
        """.write(toFile: scenario, atomically: true, encoding: .utf8)
        usleep(400_000)
        func ran(_ r: CLI.Result) -> Bool { r.status == 0 || r.status == 5 }
        let refused = try CLI.run(["capacity", scenario, "--shard", "0/2"])
        #expect(refused.status == 2 && refused.stderr.contains("needs --start-at"), "\(refused.stderr)")
        let startAt = TimeFormat.iso8601(Clock.realtime() + 2_000_000_000)
        let shards = try (0..<2).map { k in
            try Background(["capacity", scenario, "--shard", "\(k)/2", "--start-at", startAt, "--json"], keepStandardError: true)
        }
        var paths: [String] = []
        for (k, shard) in shards.enumerated() {
            let (status, out) = shard.wait(limit: 60)
            #expect(status == 0 || status == 5, "shard \(k) exited \(status): \(shard.standardError)")
            let path = directory + "/c\(k).json"
            try out.write(toFile: path, atomically: true, encoding: .utf8)
            paths.append(path)
        }
        let merge = try CLI.run(["merge", "--json"] + paths)
        #expect(ran(merge), "\(merge.stderr)")
        let merged = try json(merge.stdout)
        let steps = (merged["capacity"] as? [String: Any])?["steps"] as? [[String: Any]] ?? []
        #expect(merged["id"] as? Int == 1 && steps.map { $0["speed"] as? Double } == [1, 2], "\(merge.stdout.prefix(300))")
        let summary = ((merged["verdict"] as? [String: Any])?["summary"] as? String) ?? ""
        #expect(summary.contains("knee ×2"), "\(summary)")
        let one = try json(try CLI.run(["capacity", scenario, "--json"]).stdout)
        let oneSteps = (one["capacity"] as? [String: Any])?["steps"] as? [[String: Any]] ?? []
        func sent(_ step: [String: Any]) -> [Int] { ((step["bench"] as? [String: Any])?["sides"] as? [[String: Any]] ?? []).map { $0["messagesSent"] as? Int ?? -1 } }
        #expect(oneSteps.count == 2 && steps.map(sent) == oneSteps.map(sent) && (sent(steps[0]).first ?? 0) > 1_000, "\(steps.map(sent)) vs \(oneSteps.map(sent))")
        for step in steps {
            for side in (step["bench"] as? [String: Any])?["sides"] as? [[String: Any]] ?? [] {
                #expect(side["messagesReceived"] as? Int == side["messagesSent"] as? Int, "\(side["name"] ?? ""): nothing lost on loopback")
            }
        }
    }

    @Test("capacity --shard --rendezvous: two shards meet in a directory after each step, judge it merged and bisect towards the knee as one process does; merged, every step they ran is one the ramp would run; a shard whose peer never comes gives up, naming it")
    func capacityRendezvous() throws {
        let directory = NSTemporaryDirectory() + "rehearse-capacity-rendezvous-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let port = freePortBlock(24)
        #expect(try CLI.run(["synth", "-o", directory + "/feed.pcap", "--channels", "4", "--duration", "600ms", "--rate", "2000",
                             "--seed", "6", "--lines", "A"]).status == 0)
        // One platform serving 20,000 messages/s (50 µs each) that queues at most 2,000 and drops the rest:
        // ×1 (8,800/s offered, its bursts queueing about 1,300) delivers every message; ×16 (5,300 messages
        // offered at 140,000/s, or at 40,000/s by a sender slowed by a loaded host) drops a thousand or more.
        let sim = try Background(["sim", "feed", "--listen", "127.0.0.1:\(port)-\(port + 3)", "--publish", "127.0.0.1:\(port + 10)",
                                  "--service-time", "50us", "--queue-limit", "2000", "--duration", "120s"])
        defer { _ = sim.interrupt() }
        let scenario = directory + "/scenario.yaml"
        try """
        name: met ramp
        targets:
          new:
            feed: {send: 127.0.0.1:\(port), receive: 127.0.0.1:\(port + 10)}
        feed: {capture: feed.pcap, speed: 1, drain: 300ms}
        limits:
          feedLost: 0
          feedLatencyP99: 10s
        validity: {senderLateness: 100%, hiccups: 100%}
        capacity: {speeds: [1, 16], senderLatenessP99: 1s, resolution: 200%}
        outputs: {directory: runs, history: history.sqlite}
        """.write(toFile: scenario, atomically: true, encoding: .utf8)
        usleep(400_000)
        let meet = directory + "/meet"
        let startAt = TimeFormat.iso8601(Clock.realtime() + 2_000_000_000)
        let shards = try (0..<2).map { k in
            try Background(["capacity", scenario, "--shard", "\(k)/2", "--start-at", startAt, "--rendezvous", meet, "--json"], keepStandardError: true)
        }
        var paths: [String] = [], speeds: [[Double]] = []
        for (k, shard) in shards.enumerated() {
            let (status, out) = shard.wait(limit: 120)
            #expect(status == 0 || status == 5, "shard \(k) exited \(status): \(shard.standardError)")
            let path = directory + "/c\(k).json"
            try out.write(toFile: path, atomically: true, encoding: .utf8)
            paths.append(path)
            let ran = ((try json(out))["capacity"] as? [String: Any])?["steps"] as? [[String: Any]] ?? []
            speeds.append(ran.map { $0["speed"] as? Double ?? -1 })
        }
        // The shards took the same course: the list, then the bisection's midpoints (×16 broke: ×8.5 next).
        #expect(speeds[0] == speeds[1] && speeds[0].count >= 3 && Array(speeds[0].prefix(3)) == [1, 16, 8.5], "\(speeds)")
        let merge = try CLI.run(["merge", "--json"] + paths)
        #expect(merge.status == 0 || merge.status == 5, "\(merge.stderr)")
        let steps = ((try json(merge.stdout))["capacity"] as? [String: Any])?["steps"] as? [[String: Any]] ?? []
        // Every step the shards ran is one the ramp would have run (the merge keeps no other), each merged from both.
        #expect(steps.map { $0["speed"] as? Double ?? -1 } == speeds[0].sorted(), "\(steps.map { $0["speed"] ?? "-" })")
        #expect(steps.first { $0["speed"] as? Double == 16 }?["passed"] as? Bool == false)
        // Alone, a shard waits for its peer's first step, then gives up naming it.
        let alone = try CLI.run(["capacity", scenario, "--shard", "0/2", "--start-at", TimeFormat.iso8601(Clock.realtime() + 1_000_000_000),
                                 "--rendezvous", meet, "--rendezvous-wait", "2s", "--json"])
        #expect(alone.status == 3 && alone.stderr.contains("step 1 of shard 1/2 not there after 2.00 s"), "\(alone.status) \(alone.stderr)")
        // A shard whose target delivers nothing (channel 1 published where nobody listens) tells the other,
        // which ends the ramp at once with its reason, not after --rendezvous-wait.
        let other = freePortBlock(24)
        let broken = try Background(["sim", "feed", "--listen", "127.0.0.1:\(other)-\(other + 3)", "--publish", "127.0.0.1:\(other + 10)",
                                     "--publish", "127.0.0.1:\(other + 20)", "--duration", "60s"])
        defer { _ = broken.interrupt() }
        let brokenScenario = directory + "/broken.yaml"
        try String(contentsOfFile: scenario, encoding: .utf8).replacingOccurrences(of: "127.0.0.1:\(port + 10)", with: "127.0.0.1:\(other + 10)")
            .replacingOccurrences(of: "send: 127.0.0.1:\(port),", with: "send: 127.0.0.1:\(other),")
            .write(toFile: brokenScenario, atomically: true, encoding: .utf8)
        usleep(300_000)
        let brokenAt = TimeFormat.iso8601(Clock.realtime() + 2_000_000_000)
        let pair = try (0..<2).map { k in
            try Background(["capacity", brokenScenario, "--shard", "\(k)/2", "--start-at", brokenAt, "--rendezvous", meet, "--json"], keepStandardError: true)
        }
        let started = Date()
        let (first, _) = pair[0].wait(limit: 40), (second, _) = pair[1].wait(limit: 40)
        #expect(first == 4 && pair[0].standardError.contains("shard 1/2's step 1 failed: feed: new delivered none"), "\(first) \(pair[0].standardError)")
        #expect(second == 4 && Date().timeIntervalSince(started) < 30, "\(second) \(pair[1].standardError)")
    }

    @Test("load shards refuse what they cannot share, before anything is sent: a shard holding no stream, a rate pacing, --start-at without --shard on run")
    func refusals() throws {
        let directory = NSTemporaryDirectory() + "rehearse-shard-refusals-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let capture = directory + "/feed.pcap"
        #expect(try CLI.run(["synth", "-o", capture, "--channels", "4", "--packets", "400", "--lines", "A"]).status == 0)
        let empty = try CLI.run(["replay", capture, "--to", "each=127.0.0.1:9", "--shard", "5/8"])
        #expect(empty.status == 2 && empty.stderr.contains("--shard 5/8: no stream of the 4 selected"), "\(empty.stderr)")
        let rate = try CLI.run(["replay", capture, "--to", "each=127.0.0.1:9", "--shard", "0/2", "--pps", "1000"])
        #expect(rate.status == 2 && rate.stderr.contains("a rate (--pps, --mbps) is one sender's"), "\(rate.stderr)")
        let bench = try CLI.run(["bench", capture, "--new", "127.0.0.1:9", "--new-from", "127.0.0.1:19", "--shard", "0/2", "--pps", "1000"])
        #expect(bench.status == 2 && bench.stderr.contains("a bench shard keeps the capture's timing"), "\(bench.stderr)")
        let run = try CLI.run(["run", CLI.packageRoot + "/scenarios/demo.yaml", "--start-at", "2030-01-01T00:00:00Z"])
        #expect(run.status == 2 && run.stderr.contains("--start-at is for shards"), "\(run.stderr)")
    }

    @Test("one reference platform for bench shards on two hosts: sim feed with two --publish endpoints sends channel i to the (i mod 2)-th's port + i, so each shard, bound to its own host's address only, receives every message of its channels; a block past port 65535 is refused, named")
    func publishMap() throws {
        let directory = NSTemporaryDirectory() + "rehearse-publish-map-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let capture = directory + "/feed.pcap"
        #expect(try CLI.run(["synth", "-o", capture, "--channels", "4", "--duration", "1s", "--rate", "2000", "--seed", "9", "--lines", "A"]).status == 0)
        let port = freePortBlock(16)
        // The two load hosts: 127.0.0.1 and 127.0.0.2 (both loopback); each shard binds its own host's address only.
        let sim = try Background(["sim", "feed", "--listen", "127.0.0.1:\(port)-\(port + 3)", "--publish", "127.0.0.1:\(port + 8)",
                                  "--publish", "127.0.0.2:\(port + 8)", "--duration", "60s"])
        defer { _ = sim.interrupt() }
        usleep(400_000)
        for k in 0..<2 {
            let r = try CLI.run(["bench", capture, "--new", "127.0.0.1:\(port)", "--new-from", "127.0.0.\(k + 1):\(port + 8)", "--speed", "2",
                                 "--shard", "\(k)/2", "--json"])
            #expect(r.status == 0 || r.status == 5, "shard \(k): \(r.stderr)")
            let sides = (try json(r.stdout))["sides"] as? [[String: Any]] ?? []
            let sent = sides.first?["messagesSent"] as? Int ?? 0, received = sides.first?["messagesReceived"] as? Int ?? -1
            #expect(sent > 500 && received == sent, "shard \(k): sent \(sent), received \(received)")
        }
        let past = try CLI.run(["sim", "feed", "--listen", "127.0.0.1:\(port)-\(port + 3)", "--publish", "127.0.0.1:\(port + 8)",
                                "--publish", "127.0.0.2:65534", "--duration", "1s"])
        #expect(past.status == 2 && past.stderr.contains("--publish 127.0.0.2:65534: channel 3's port is past 65535"), "\(past.stderr)")
    }

    func json(_ text: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] ?? [:]
    }
}

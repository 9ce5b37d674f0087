import Foundation
import Testing
import TestSupport

/// deploy/kubernetes, offline: the manifests against the Kubernetes API's schema, and the Jobs' own
/// scripts run here as their pods would run them.
@Suite("Kubernetes Indexed Jobs of shards (compare, load), then their merges")
struct DeployTests {
    func python(_ arguments: [String], environment: [String: String] = [:]) throws -> CLI.Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", CLI.packageRoot + "/scripts/check-kubernetes.py"] + arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return CLI.Result(status: process.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
    }

    @Test("the manifests pass the API schema (strict); the shards' and the merge's scripts, run as the pods would, give the one-process comparison; a Job whose completions and SHARDS differ is refused")
    func indexedJob() throws {
        let dir = NSTemporaryDirectory() + "rehearse-k8s-\(UUID().uuidString)"
        let captures = dir + "/captures", results = dir + "/results", broken = dir + "/broken"
        for d in [captures, results, broken] { try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true) }
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // Lines A and B of a 40-channel feed, as the Job's volume holds them.
        let gen = Process()
        gen.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        gen.arguments = ["python3", CLI.packageRoot + "/scripts/many-channels.py", "40", captures + "/line-a.pcap", captures + "/line-b.pcap", "3"]
        try gen.run()
        gen.waitUntilExit()
        #expect(gen.terminationStatus == 0)
        let r = try python(["--run", CLI.executable, captures, results])
        #expect(r.status == 0 && r.stdout.contains("valid against the Kubernetes API's schema") && r.stdout.contains("shard 3/4: exit 0"), "\(r.stdout) \(r.stderr)")
        let one = try CLI.run(["compare", captures + "/line-a.pcap", captures + "/line-b.pcap", "--json"])
        let merged = try String(contentsOfFile: results + "/compare-merged.json", encoding: .utf8)
        #expect(NSDictionary(dictionary: try json(merged)).isEqual(to: try json(one.stdout)), "the Job's merge differs from one process")
        // A copy whose completions say 3 while SHARDS says 4 is caught, and so are load shards that may share a node.
        for name in ["compare-shards.yaml", "merge.yaml", "run-shards.yaml", "capacity-shards.yaml", "run-merge.yaml"] {
            var text = try String(contentsOfFile: CLI.packageRoot + "/deploy/kubernetes/" + name, encoding: .utf8)
            if name == "compare-shards.yaml" { text = text.replacingOccurrences(of: "completions: 4", with: "completions: 3") }
            if name == "run-shards.yaml" { text = text.replacingOccurrences(of: "topologyKey: kubernetes.io/hostname", with: "topologyKey: topology.kubernetes.io/zone") }
            try text.write(toFile: broken + "/" + name, atomically: true, encoding: .utf8)
        }
        let bad = try python([], environment: ["REHEARSE_DEPLOY_DIR": broken])
        #expect(bad.status != 0 && bad.stderr.contains("compare-shards.yaml: completions 3, parallelism 4 and SHARDS 4 differ"), "\(bad.stderr)")
        #expect(bad.stderr.contains("run-shards.yaml: load shards may share a node"), "\(bad.stderr)")
    }

    @Test("the load Jobs: the run shards' script, run as 4 pods would (at once, one START_AT), against reference platforms on loopback, then the merge's: one run in the history, with its report, every channel's messages sent and received; a START_AT already past fails the shard, named")
    func loadJob() throws {
        let dir = NSTemporaryDirectory() + "rehearse-k8s-load-\(UUID().uuidString)"
        let scenarios = dir + "/scenarios", results = dir + "/results", late = dir + "/late"
        for d in [scenarios, results, late] { try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true) }
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let port = freePortBlock(24)
        #expect(try CLI.run(["synth", "-o", dir + "/feed.pcap", "--channels", "4", "--duration", "1s", "--rate", "2000", "--seed", "5"]).status == 0)
        let sims = try [
            Background(["sim", "feed", "--listen", "127.0.0.1:\(port)-\(port + 3)", "--publish", "127.0.0.1:\(port + 10)", "--profile", "old", "--duration", "60s"]),
            Background(["sim", "feed", "--listen", "127.0.0.1:\(port + 4)-\(port + 7)", "--publish", "127.0.0.1:\(port + 14)", "--duration", "60s"]),
        ]
        defer { sims.forEach { _ = $0.interrupt() } }
        // The ConfigMap's scenario: the captures by absolute path, as under /captures.
        try """
        name: load shards
        targets:
          old: {feed: {send: 127.0.0.1:\(port), receive: 127.0.0.1:\(port + 10)}}
          new: {feed: {send: 127.0.0.1:\(port + 4), receive: 127.0.0.1:\(port + 14)}}
        feed: {capture: \(dir)/feed.pcap, filter: dst net 239.1.1.0/24, speed: 2, drain: 1s}
        compare: {a: \(dir)/feed.pcap, filterA: dst net 239.1.1.0/24, filterB: dst net 239.1.2.0/24}
        limits: {feedLost: 100000, feedLatencyP99: 10s}
        baseline: {tolerance: 1000%}
        validity: {senderLateness: 100%, hiccups: 100%}
        """.write(toFile: scenarios + "/nightly.yaml", atomically: true, encoding: .utf8)
        // As on a read-only ConfigMap, the scenario's default outputs (out/ beside it) cannot be made (a file
        // is in the way, which stops root too): the shards store nothing, the merge writes to the results volume.
        #expect(FileManager.default.createFile(atPath: scenarios + "/out", contents: Data()))
        usleep(400_000)
        let r = try python(["--run-load", CLI.executable, scenarios, results])
        // The merged run's verdict is the Job's: 0, or 5 where this host was too busy to judge.
        #expect((r.status == 0 || r.status == 5) && r.stdout.contains("load shard 3/4: exit 0"), "\(r.stdout) \(r.stderr)")
        let runs = (try? FileManager.default.contentsOfDirectory(atPath: results + "/runs")) ?? []
        #expect(runs == ["run-1"], "\(runs)")
        #expect(FileManager.default.fileExists(atPath: results + "/runs/run-1/report.html"))
        let stored = try json(String(contentsOfFile: results + "/runs/run-1/result.json", encoding: .utf8))
        let sides = (stored["feed"] as? [String: Any])?["sides"] as? [[String: Any]] ?? []
        #expect(sides.count == 2)
        for side in sides {
            #expect((side["messagesSent"] as? Int ?? 0) > 1_000 && side["messagesReceived"] as? Int == side["messagesSent"] as? Int, "\(side)")
        }
        let history = try CLI.run(["history", "--history", results + "/history.sqlite"])
        #expect(history.status == 0 && history.stdout.contains("load shards"), "\(history.stdout)\(history.stderr)")
        // A pod that starts after START_AT: exit 2, naming it (the Job then fails: no retry can keep the schedule).
        let c = try python(["--run-load", CLI.executable, scenarios, late], environment: ["REHEARSE_LOAD_LEAD": "-5"])
        #expect(c.status != 0 && c.stderr.contains("is already past"), "\(c.stderr)")
    }

    @Test("the capacity Job: 4 pods ramp at once from one START_AT, meeting on the results volume after each step (the same course on every pod), then the merge with KIND=capacity: one ramp stored, every step the pods ran kept")
    func capacityJob() throws {
        let dir = NSTemporaryDirectory() + "rehearse-k8s-capacity-\(UUID().uuidString)"
        let scenarios = dir + "/scenarios", results = dir + "/results"
        for d in [scenarios, results] { try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true) }
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let port = freePortBlock(16)
        #expect(try CLI.run(["synth", "-o", dir + "/feed.pcap", "--channels", "4", "--duration", "600ms", "--rate", "2000", "--seed", "6",
                             "--lines", "A"]).status == 0)
        let sim = try Background(["sim", "feed", "--listen", "127.0.0.1:\(port)-\(port + 3)", "--publish", "127.0.0.1:\(port + 10)",
                                  "--duration", "120s"])
        defer { _ = sim.interrupt() }
        try """
        name: capacity shards
        targets:
          new: {feed: {send: 127.0.0.1:\(port), receive: 127.0.0.1:\(port + 10)}}
        feed: {capture: \(dir)/feed.pcap, speed: 1, drain: 1s}
        limits: {feedLost: 100000, feedLatencyP99: 10s}
        validity: {senderLateness: 100%, hiccups: 100%}
        capacity: {speeds: [1, 2], senderLatenessP99: 1s}
        """.write(toFile: scenarios + "/nightly.yaml", atomically: true, encoding: .utf8)
        #expect(FileManager.default.createFile(atPath: scenarios + "/out", contents: Data()))   // as a read-only ConfigMap
        usleep(400_000)
        let r = try python(["--run-load", CLI.executable, scenarios, results, "capacity-shards.yaml"])
        #expect((r.status == 0 || r.status == 5) && r.stdout.contains("load shard 3/4: exit 0"), "\(r.stdout) \(r.stderr)")
        var courses: [[Double]] = []
        for i in 0..<4 {
            let shard = try json(String(contentsOfFile: results + "/capacity-\(i).json", encoding: .utf8))
            courses.append(((shard["capacity"] as? [String: Any])?["steps"] as? [[String: Any]] ?? []).map { $0["speed"] as? Double ?? -1 })
        }
        #expect(Set(courses).count == 1 && courses.first == [1, 2], "\(courses)")
        let stored = try json(String(contentsOfFile: results + "/runs/run-1/result.json", encoding: .utf8))
        let steps = ((stored["capacity"] as? [String: Any])?["steps"] as? [[String: Any]] ?? []).map { $0["speed"] as? Double ?? -1 }
        #expect(steps == (courses.first ?? []).sorted(), "\(steps) vs \(courses)")
    }
}

import Vocabulary
import Foundation
import TestSupport
import Testing

@Suite("run, capacity, report and history as processes against simulators on loopback", .serialized)
struct RunCommandTests {
    let directory = NSTemporaryDirectory() + "rehearse-run-\(UUID().uuidString)"

    /// Captures, four simulators, and a scenario pointing at them; returns the scenario path and the simulators.
    func setUp(_ port: Int, limits: String) throws -> (String, [Background]) {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        #expect(try CLI.run(["synth", "-o", directory + "/feed.pcap", "--channels", "2", "--duration", "1500ms", "--rate", "4000",
                             "--seed", "3", "--fault", "B:gap@700ms:3", "--fault", "reset@1s"]).status == 0)
        #expect(try CLI.run(["synth", "--fix", "--sessions", "2", "--orders", "100", "--order-rate", "400", "--seed", "3",
                             "-o", directory + "/fix.pcap"]).status == 0)
        let sims = try [
            Background(["sim", "feed", "--listen", "127.0.0.1:\(port)-\(port + 1)", "--publish", "127.0.0.1:\(port + 10)", "--profile", "old", "--duration", "60s"]),
            Background(["sim", "feed", "--listen", "127.0.0.1:\(port + 2)-\(port + 3)", "--publish", "127.0.0.1:\(port + 12)", "--duration", "60s"]),
            Background(["sim", "gateway", "--listen", "127.0.0.1:\(port + 4)", "--profile", "old", "--duration", "60s"]),
            Background(["sim", "gateway", "--listen", "127.0.0.1:\(port + 5)", "--duration", "60s"]),
        ]
        let path = directory + "/scenario.yaml"
        try """
        name: run test
        targets:
          old:
            feed: {send: 127.0.0.1:\(port), receive: 127.0.0.1:\(port + 10)}
            gateway: {address: 127.0.0.1:\(port + 4), sender: C1, target: OLD}
          new:
            feed: {send: 127.0.0.1:\(port + 2), receive: 127.0.0.1:\(port + 12)}
            gateway: {address: 127.0.0.1:\(port + 5), sender: C1, target: NEW}
        feed: {capture: feed.pcap, filter: dst net 239.1.1.0/24, speed: 2, drain: 1s}
        gateway: {capture: fix.pcap, speed: 4}
        compare: {a: feed.pcap, filterA: dst net 239.1.1.0/24, filterB: dst net 239.1.2.0/24}
        limits:
        \(limits)
        baseline: {tolerance: 1000%}
        capacity: {speeds: [1, 4], senderLatenessP99: 1s}
        outputs: {directory: runs, history: history.sqlite}
        """.write(toFile: path, atomically: true, encoding: .utf8)
        usleep(400_000)
        return (path, sims)
    }

    @Test("a run stores its result, writes report.html with every plot, .hgrm and CSV; a second run is judged against the first; report and history read them back; a broken limit exits 1")
    func runReportHistory() throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let port = freePortBlock(24)
        let (path, sims) = try setUp(port, limits: "  feedLost: 100000\n  standbyMissing: 1000\n  feedLatencyP99: 10s\n  gatewayUnanswered: 1000")
        defer { sims.forEach { _ = $0.interrupt() } }
        var r = try CLI.run(["run", path])
        #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)")
        #expect(r.stdout.contains("verdict: PASS") && r.stdout.contains("no baseline yet"))
        // The verdict in one sentence: which platform, its figures beside the other's, the standby's loss.
        let headline = r.stdout.split(separator: "\n").first { $0.hasPrefix("in one line: ") } ?? ""
        #expect(headline.hasPrefix("in one line: new keeps up: feed p99 ") && headline.contains(" on old (")
                && (headline.contains("×), no loss") || headline.contains(" messages lost on new"))
                && headline.contains("; gateway p99 ") && headline.contains("; standby missed "), "\(headline)")
        let run1 = directory + "/runs/run-1"
        let result = try json(String(contentsOfFile: run1 + "/result.json", encoding: .utf8))
        #expect(result["schema"] as? String == "rehearse.run/1" && result["partial"] as? Bool == false)
        let limits = try #require(result["limits"] as? [[String: Any]])
        #expect(limits.first { $0["limit"] as? String == "standbyMissing" }?["threshold"] as? Double == 1000)
        #expect(limits.first { $0["limit"] as? String == "feedLatencyP99" }?["threshold"] as? Double == 10e9)
        let feed = try #require(result["feed"] as? [String: Any])
        #expect((feed["sides"] as? [[String: Any]])?.count == 2)
        let compare = try #require(result["compare"] as? [String: Any])
        #expect(((compare["channels"] as? [[String: Any]]) ?? []).map { $0["missingOnB"] as? Int ?? 0 }.reduce(0, +) > 0)
        // The report: a plot per series kind, each with data.
        let html = try String(contentsOfFile: run1 + "/report.html", encoding: .utf8)
        #expect(html.contains("<p class=\"headline pass\">new keeps up: feed p99 "))
        #expect(html.contains("offered (to "), "throughput is drawn beside the offered load")
        #expect(html.contains("<line class=\"level\"") && html.contains("feedLatencyP99 limit 10.00 s"), "the limit is drawn on the percentile plot")
        #expect(html.components(separatedBy: "<svg class=\"chart\"").count - 1 == 6)
        #expect(html.contains("Findings timeline") && html.contains("data-name=\"sequenceReset\""), "the mid-day reset is on the findings timeline")
        #expect(!html.contains("no data"))
        let drawn = html.components(separatedBy: "data-points=\"").dropFirst().compactMap { Int($0.prefix { $0.isNumber }) }
        #expect(drawn.count >= 12 && drawn.allSatisfy { $0 > 0 }, "\(drawn)")
        #expect(html.contains("data-name=\"sender lateness\""), "the sender's lateness is drawn over the run")
        // Each leg side by side with the ratio; the gateway per message type; nothing unmeasured shown as 0.
        #expect(html.contains("<th>new ÷ old</th>") && html.contains("<h2>Gateway: ") && html.contains("Gateway by message type"))
        #expect(html.contains("<td>NewOrderSingle</td>") || html.contains("<td>D</td>"), "per message type")
        // Laid out by Chromium: every chart there, no text over other text; printed to PDF and readable.
        let layout = try Chromium.layout(of: run1 + "/report.html")
        #expect(layout.charts == 6 && layout.problems.isEmpty, "\(layout)")
        let pdf = try Chromium.pdfText(of: run1 + "/report.html")
        #expect(pdf.contains("new keeps up") && pdf.contains("Gateway by message type") && pdf.contains("Limits"), "\(pdf.prefix(600))")
        let hgrm = try String(contentsOfFile: run1 + "/feed-new.hgrm", encoding: .utf8)
        #expect(hgrm.hasPrefix("       Value     Percentile TotalCount 1/(1-Percentile)") && hgrm.contains("#[Max     ="))
        #expect(try String(contentsOfFile: run1 + "/intervals.csv", encoding: .utf8).hasPrefix("seconds,old_messages_per_second,new_messages_per_second"))
        // The interval log, read by HdrHistogram's Python implementation: every series, every message.
        let decoded = try hdrhRead(run1 + "/latency.hlog")
        for side in feed["sides"] as? [[String: Any]] ?? [] {
            let name = side["name"] as? String ?? "", latency = side["latency"] as? [String: Any] ?? [:]
            let series = try #require(decoded["feed." + name], "\(decoded.keys)")
            let slices = (side["intervals"] as? [[String: Any]] ?? []).filter { ($0["count"] as? Int ?? 0) > 0 }.count
            #expect(series["lines"] == slices && series["count"] == latency["count"] as? Int, "\(series) vs \(latency)")
            #expect(series["max"] == latency["max"] as? Int, "\(series) vs \(latency)")
            // Platform time and sender lateness per slice too: their lines add up to the leg's whole figures.
            let platform = side["platformTime"] as? [String: Any] ?? [:], lateness = side["senderLateness"] as? [String: Any] ?? [:]
            #expect(decoded["feed.\(name).platform"] == ["lines": slices, "count": platform["count"] as? Int ?? -1, "max": platform["max"] as? Int ?? -1,
                                                        "p99": decoded["feed.\(name).platform"]?["p99"] ?? -1], "\(decoded["feed.\(name).platform"] ?? [:]) vs \(platform)")
            #expect(decoded["feed.\(name).lateness"]?["count"] == lateness["count"] as? Int && decoded["feed.\(name).lateness"]?["lines"] == slices)
        }
        #expect(decoded["compare.lag.ch0"]?["count"] ?? 0 > 0 && decoded["gateway.new.platform"]?["count"] ?? 0 > 0, "\(decoded.keys.sorted())")
        #expect(decoded["gateway.old"]?["count"] ?? 0 > 0 && decoded["gateway.new"]?["count"] ?? 0 > 0, "\(decoded)")
        // Run 2 is judged against run 1 (on a loaded machine it may break a limit or regress: that is the
        // verdict's business, not this check's).
        r = try CLI.run(["run", path, "--json"])
        #expect([0, 1, 5].contains(r.status), "\(r.stderr)")
        let second = try json(r.stdout)
        #expect((second["verdict"] as? [String: Any])?["baselineRuns"] as? [Int] == [1])
        // The three clocks and the host's health are in the result.
        let sides = try #require((second["feed"] as? [String: Any])?["sides"] as? [[String: Any]])
        #expect(sides.allSatisfy { $0["platformTime"] != nil && $0["senderLateness"] != nil && ($0["intervals"] as? [Any])?.count == 10 })
        #expect(((second["feed"] as? [String: Any])?["host"] as? [String: Any])?["hiccups"] != nil)
        // history and report read them back.
        r = try CLI.run(["history", "--history", directory + "/history.sqlite"])
        #expect(r.status == 0 && r.stdout.contains("run test") && r.stdout.contains("PASS"))
        r = try CLI.run(["history", "--history", directory + "/history.sqlite", "--metric", "feed.new.latencyP99"])
        #expect(r.status == 0 && r.stdout.split(separator: "\n").count >= 4)
        r = try CLI.run(["report", "2", "--history", directory + "/history.sqlite", "--format", "html", "-o", directory + "/again.html"])
        #expect(r.status == 0)
        #expect(try String(contentsOfFile: directory + "/again.html", encoding: .utf8).contains("<svg class=\"chart\""))
        r = try CLI.run(["report", run1 + "/result.json", "--format", "hgrm", "-o", directory + "/hgrm"])
        #expect(r.status == 0 && r.stdout.contains("gateway-old.hgrm"))
        // A limit no platform can hold (a throughput of 10¹² msg/s): exit 1, FAIL, still stored; the
        // ramp's first step already breaks it on the target.
        try String(contentsOfFile: path, encoding: .utf8).replacingOccurrences(of: "feedLatencyP99: 10s", with: "feedLatencyP99: 10s\n  feedThroughput: 1000000000000")
            .write(toFile: path, atomically: true, encoding: .utf8)
        r = try CLI.run(["run", path])
        #expect(r.status == 1 && r.stdout.contains("FAIL  feedThroughput"), "\(r.stdout) \(r.stderr)")
        r = try CLI.run(["capacity", path, "--speeds", "1,2"])
        #expect(r.status == 1 && r.stdout.contains("knee: none") && r.stdout.contains("limited by target throughput"), "\(r.stdout) \(r.stderr)")
        // The ramp's report says how far each target held, every step in a table.
        let ramp = try String(contentsOfFile: directory + "/runs/run-4/report.html", encoding: .utf8)
        #expect(ramp.contains("old broke feedThroughput at the first step, ×1.00") && ramp.contains("new broke feedThroughput at the first step"),
                "\(ramp.prefix(800))")
        #expect(ramp.contains("<th>offered msg/s</th>") && ramp.contains("broke a limit</td></tr>"))
        #expect(try CLI.run(["history", "--history", directory + "/history.sqlite"]).stdout.contains("run test · capacity"))
    }

    @Test("a corrupt history or an unwritable output stops before running (exit 3); a missing capture is a partial, stored run (exit 3); Ctrl-C keeps and stores partial results (exit 130)")
    func badInput() throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let port = freePortBlock(24)
        let (path, sims) = try setUp(port, limits: "  feedLost: 1000")
        defer { sims.forEach { _ = $0.interrupt() } }
        let garbage = directory + "/garbage.sqlite"
        try Data(repeating: 0x42, count: 4096).write(to: URL(fileURLWithPath: garbage))
        var r = try CLI.run(["run", path, "--history", garbage])
        #expect(r.status == 3 && r.stderr.contains("garbage.sqlite"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: directory + "/runs/run-1"))
        try Data().write(to: URL(fileURLWithPath: directory + "/afile"))
        r = try CLI.run(["run", path, "--output", directory + "/afile/runs"])
        #expect(r.status == 3 && r.stderr.contains("afile/runs"), "\(r.stderr)")
        // The gateway capture is gone: the feed and compare legs run, the result is stored as partial.
        try FileManager.default.removeItem(atPath: directory + "/fix.pcap")
        r = try CLI.run(["run", path, "--json"])
        #expect(r.status == 3, "\(r.stderr)")
        let partial = try json(r.stdout)
        #expect(partial["partial"] as? Bool == true && partial["feed"] != nil && partial["compare"] != nil)
        #expect((partial["errors"] as? [String])?.first?.contains("fix.pcap") == true)
        // Ctrl-C in the feed leg.
        let running = try Background(["run", path, "--json"])
        usleep(900_000)
        let (status, output) = running.interrupt()
        #expect(status == 130)
        let interrupted = try json(output)
        #expect(interrupted["partial"] as? Bool == true && (interrupted["id"] as? Int ?? 0) >= 2)
        r = try CLI.run(["history", "--history", directory + "/history.sqlite"])
        #expect(r.stdout.contains("partial"))
    }
}

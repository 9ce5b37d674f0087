import Foundation
import Vocabulary
import Measure
import Reporting
import Scenario
import Testing

@Suite("Verdicts: limits, baselines, regressions; the history store")
struct JudgementTests {
    func m(_ key: String, _ value: Double, _ samples: UInt64 = 10_000, lower: Bool = true) -> Metric {
        Metric(key: key, value: value, samples: samples, lowerIsBetter: lower)
    }

    @Test("a change beyond the tolerance with enough samples is a regression (or an improvement); too few samples are not judged")
    func regressions() {
        var settings = BaselineSettings()
        settings.tolerance = 0.10
        settings.minimumSamples = 1_000
        let baseline: (id: Int64, metrics: [Metric]) = (7, [m("feed.new.latencyP99", 100_000), m("feed.new.throughput", 50_000, lower: false),
                                                          m("feed.new.latencyP50", 20_000), m("gateway.new.latencyP99", 1_000_000, 500),
                                                          m("feed.new.lost", 0)])
        let now = [m("feed.new.latencyP99", 125_000), m("feed.new.throughput", 40_000, lower: false), m("feed.new.latencyP50", 15_000),
                   m("gateway.new.latencyP99", 9_000_000, 500), m("feed.new.lost", 0)]
        let v = Judge.verdict(limits: [], current: now, baseline: baseline, settings: settings)
        #expect(!v.passed && v.baselineRun == 7)
        #expect(v.regressions.map(\.metric).sorted() == ["feed.new.latencyP99", "feed.new.throughput"])
        #expect(v.improvements.map(\.metric) == ["feed.new.latencyP50"])
        #expect(v.notJudged == ["gateway.new.latencyP99"])
        #expect(abs(v.regressions.first { $0.metric == "feed.new.latencyP99" }!.change - 0.25) < 1e-9)
        // Within the tolerance: a pass; no baseline: a pass on limits alone.
        let steady = Judge.verdict(limits: [], current: [m("feed.new.latencyP99", 105_000)], baseline: baseline, settings: settings)
        #expect(steady.passed && steady.regressions.isEmpty)
        let first = Judge.verdict(limits: [LimitCheck(limit: "feedLost", target: "new", value: 3, threshold: 0, unit: "messages", passed: false)],
                                  current: now, baseline: nil, settings: settings)
        #expect(!first.passed && first.limitsFailed == 1 && first.summary.hasPrefix("FAIL"))
    }

    @Test("the history stores runs in one transaction, finds the last passing run, trends a metric, and reports a corrupt file")
    func history() throws {
        let directory = NSTemporaryDirectory() + "rehearse-history-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/h.sqlite"
        let store = try HistoryStore(path: path)
        let env = RunEnvironment.current(scenarioText: "name: x", inputs: [], toolVersion: "test")
        var ids: [Int64] = []
        for (i, passed) in [true, true, false].enumerated() {
            var r = RunResult(scenario: "nightly", scenarioPath: "s.yaml", started: .init(Int64(i) * 1_000_000_000), environment: env)
            r.verdict = Verdict(passed: passed, limitsFailed: passed ? 0 : 1, baselineRun: nil, regressions: [], improvements: [], notJudged: [],
                                summary: passed ? "PASS" : "FAIL")
            ids.append(try store.record(r, metrics: [m("feed.new.latencyP99", Double(100 + i))]))
        }
        #expect(ids == [1, 2, 3])
        let baseline = try #require(try store.baseline(scenario: "nightly", id: nil))
        #expect(baseline.id == 2 && baseline.metrics.first?.value == 101)
        #expect(try store.baseline(scenario: "nightly", id: 1)?.id == 1)
        #expect(try store.baseline(scenario: "other", id: nil) == nil)
        #expect(try store.trend(metric: "feed.new.latencyP99").map(\.2) == [100, 101, 102])
        #expect(try store.runs().map(\.id) == [3, 2, 1])
        #expect(try store.result(2)?.id == 2)
        let garbage = directory + "/garbage.sqlite"
        try Data(repeating: 0x41, count: 8192).write(to: URL(fileURLWithPath: garbage))
        #expect { try HistoryStore(path: garbage) } throws: { ($0 as? HistoryError)?.description.contains("garbage.sqlite") == true }
    }
}

@Suite("History under contention")
struct HistoryLockTests {
    @Test("a history held by another writer is reported as locked after the busy timeout, and nothing is half-written")
    func locked() throws {
        let directory = NSTemporaryDirectory() + "rehearse-lock-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/h.sqlite"
        _ = try HistoryStore(path: path)
        // Another process holding an exclusive transaction (sqlite3 is what an operator would poke with).
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        holder.arguments = ["python3", "-c", """
            import sqlite3, time
            c = sqlite3.connect('\(path)', isolation_level=None)
            c.execute('BEGIN EXCLUSIVE')
            print('locked', flush=True)
            time.sleep(3)
            c.execute('ROLLBACK')
            """]
        let out = Pipe()
        holder.standardOutput = out
        try holder.run()
        _ = out.fileHandleForReading.readData(ofLength: 7)
        let env = RunEnvironment.current(scenarioText: "", inputs: [], toolVersion: "test")
        var failed: HistoryError?
        do {
            let store = try HistoryStore(path: path, busyTimeout: 0.3)
            _ = try store.record(RunResult(scenario: "x", scenarioPath: "x", started: .init(0), environment: env), metrics: [])
        } catch { failed = error }
        holder.waitUntilExit()
        let message = failed?.description ?? "opened and recorded while locked"
        #expect(message.contains("locked") && message.contains("h.sqlite"), "\(message)")
        #expect(try HistoryStore(path: path).runs().isEmpty)
    }
}

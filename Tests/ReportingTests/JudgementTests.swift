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

    /// A sampled figure: `values` are its per-interval samples (the figure itself is their median).
    func sampled(_ key: String, _ values: [Double], lower: Bool = true) -> Metric {
        Metric(key: key, value: values.sorted()[values.count / 2], samples: 10_000, lowerIsBetter: lower, intervals: values)
    }

    /// Ten samples around `center`, spread ±3 % deterministically.
    func around(_ center: Double) -> [Double] { (0..<10).map { center * (1 + 0.03 * sin(Double($0) * 1.7)) } }

    @Test("paired figures decide: a shift beyond the minimum effect that the rank test calls real is a regression, with its effect and interval")
    func regressions() {
        var settings = BaselineSettings()
        settings.tolerance = 0.10
        let baseline: [(id: Int64, metrics: [Metric])] = (3...7).reversed().map { id in
            (Int64(id), [sampled("feed.new/old.latencyP99", around(0.5)), sampled("feed.new.latencyP99", around(100_000)),
                         sampled("feed.old.latencyP99", around(200_000))])
        }
        // new 30 % slower, old unchanged: the ratio regressed.
        let slower = [sampled("feed.new/old.latencyP99", around(0.65)), sampled("feed.new.latencyP99", around(130_000)),
                      sampled("feed.old.latencyP99", around(200_000))]
        let v = Judge.verdict(limits: [], current: slower, baseline: baseline, settings: settings)
        #expect(v.status == .fail && v.baselineRuns == [7, 6, 5, 4, 3])
        #expect(v.regressions.map(\.metric) == ["feed.new/old.latencyP99"])
        let r = v.regressions[0]
        #expect(abs(r.effect! - 0.30) < 0.02 && r.low! > 0.1 && r.pValue! < 0.001 && r.samples == 10 && r.baselineSamples == 50)
        #expect(v.judgements.first { $0.metric == "feed.new.latencyP99" }?.decides == false, "absolute figures are context unless asked")
        // The same samples: unchanged, a pass.
        let same = Judge.verdict(limits: [], current: baseline[0].metrics, baseline: baseline, settings: settings)
        #expect(same.status == .pass && same.regressions.isEmpty && same.summary.contains("runs 3–7"))
        // A 5 % shift is real to the test but below the minimum effect: unchanged.
        let small = Judge.verdict(limits: [], current: [sampled("feed.new/old.latencyP99", around(0.525))], baseline: baseline, settings: settings)
        #expect(small.status == .pass && small.judgements[0].outcome == .unchanged)
        // Too few samples: inconclusive for that figure, never a regression.
        let few = Judge.verdict(limits: [], current: [sampled("feed.new/old.latencyP99", [0.9, 0.9, 0.9])], baseline: baseline, settings: settings)
        #expect(few.status == .pass && few.judgements[0].outcome == .inconclusive && few.judgements[0].reason?.contains("too few") == true)
    }

    @Test("a change inside the baseline runs' run-to-run band is the host's noise, not a regression; with fewer than 3 runs a change is inconclusive")
    func runToRunNoise() {
        let settings = BaselineSettings()
        // Five baseline runs whose levels differ from run to run (0.42 … 0.61), each tight within itself.
        let levels = [0.42, 0.49, 0.54, 0.61, 0.49]
        let baseline: [(id: Int64, metrics: [Metric])] = levels.enumerated().map { i, level in
            (Int64(i + 1), [sampled("feed.new/old.latencyP50", around(level))])
        }
        // +25 % on the pooled median and significant to the rank test, but inside the band a new run falls in.
        let noisy = Judge.verdict(limits: [], current: [sampled("feed.new/old.latencyP50", around(0.63))], baseline: baseline, settings: settings)
        let j = noisy.judgements[0]
        #expect(noisy.status == .pass && j.outcome == .unchanged, "\(j.line)")
        #expect(j.pValue! < settings.significance && j.effect! > 0.2 && j.bandHigh! > 0.63 && j.line.contains("inside it"))
        // Far outside the band: a regression.
        // The 99 % band of those five runs reaches 0.86 (t 4.604 with 4 degrees of freedom).
        let slower = Judge.verdict(limits: [], current: [sampled("feed.new/old.latencyP50", around(1.0))], baseline: baseline, settings: settings)
        #expect(slower.status == .fail && slower.regressions.map(\.metric) == ["feed.new/old.latencyP50"])
        #expect(!slower.regressions[0].line.contains("inside it"))
        // Two baseline runs: the run-to-run noise is not known yet, so the change is not called.
        let young = Judge.verdict(limits: [], current: [sampled("feed.new/old.latencyP50", around(0.9))], baseline: Array(baseline.prefix(2)),
                                  settings: settings)
        #expect(young.status == .pass && young.judgements[0].outcome == .inconclusive)
        #expect(young.summary.hasSuffix("against runs 1–2 (2 valid runs): changes are judged from 3 baseline runs on"), "\(young.summary)")
        #expect(young.judgements[0].reason?.contains("3 are needed to know the run-to-run noise") == true)
        // An explicit baseline run is the user's choice: judged on the samples alone.
        var pinned = settings
        pinned.run = 1
        let chosen = Judge.verdict(limits: [], current: [sampled("feed.new/old.latencyP50", around(0.9))], baseline: Array(baseline.prefix(1)),
                                   settings: pinned)
        #expect(chosen.status == .fail)
        #expect(SampleStatistics.predictionInterval([1]) == nil)
        let band = SampleStatistics.predictionInterval([1, 2, 3])!
        #expect(abs(band.high - (2 + 4.303 * 1 * (1 + 1.0 / 3).squareRoot())) < 1e-9)
        let wide = SampleStatistics.predictionInterval([1, 2, 3], confidence: 0.99)!
        #expect(abs(wide.low - (2 - 9.925 * 1 * (1 + 1.0 / 3).squareRoot())) < 1e-9)
    }

    @Test("a run whose host got busier than in every baseline run (the sender's lateness p50) is inconclusive, not a regression of new")
    func hostChanged() {
        let settings = BaselineSettings()
        let lateness = [25_000.0, 16_000, 14_000, 51_000, 30_000]
        let baseline: [(id: Int64, metrics: [Metric])] = lateness.enumerated().map { i, late in
            (Int64(i + 1), [sampled("feed.new/old.latencyP50", around(0.5)), m("feed.sender.latenessP50", late)])
        }
        // The ratio moved beyond every band, while the sender ran 200 µs late at the median (one core busy).
        let busy = Judge.verdict(limits: [], current: [sampled("feed.new/old.latencyP50", around(0.9)), m("feed.sender.latenessP50", 203_000)],
                                 baseline: baseline, settings: settings)
        #expect(busy.status == .inconclusive && busy.regressions.isEmpty, "\(busy.summary)")
        #expect(busy.inconclusive.count == 1 && busy.inconclusive[0].contains("feed: the test host changed since the baseline: the sender's lateness p50 203"))
        #expect(busy.inconclusive[0].contains("feed.new/old.latencyP50 regressed is not judged"))
        #expect(busy.judgements[0].outcome == .regressed && !busy.judgements[0].decides, "the change is still shown, as context")
        // The same change with the host as it was: a regression.
        let calm = Judge.verdict(limits: [], current: [sampled("feed.new/old.latencyP50", around(0.9)), m("feed.sender.latenessP50", 40_000)],
                                 baseline: baseline, settings: settings)
        #expect(calm.status == .fail && calm.regressions.count == 1)
        // A busier host with nothing changed is not a reason to withhold a pass.
        let quiet = Judge.verdict(limits: [], current: [sampled("feed.new/old.latencyP50", around(0.5)), m("feed.sender.latenessP50", 203_000)],
                                  baseline: baseline, settings: settings)
        #expect(quiet.status == .pass)
    }

    @Test("old and new moving together is the environment changing, not a regression of new, even when absolute figures are judged")
    func environment() {
        var settings = BaselineSettings()
        settings.absolute = true
        let baseline: [(id: Int64, metrics: [Metric])] = (1...3).map { id in
            (Int64(id), [sampled("feed.new/old.latencyP99", around(0.5)), sampled("feed.new.latencyP99", around(100_000) + around(100_000)),
                         sampled("feed.old.latencyP99", around(200_000) + around(200_000))])
        }
        let both = [sampled("feed.new/old.latencyP99", around(0.5)), sampled("feed.new.latencyP99", around(150_000)),
                    sampled("feed.old.latencyP99", around(300_000))]
        let v = Judge.verdict(limits: [], current: both, baseline: baseline, settings: settings)
        #expect(v.status == .pass && v.regressions.isEmpty)
        #expect(v.environment.count == 1 && v.environment[0].contains("the environment changed, not new"))
    }

    @Test("an invalid leg is neither pass nor fail: its limits and figures are not judged and the verdict is inconclusive unless a valid leg failed")
    func inconclusive() {
        let limits = [LimitCheck(limit: "feedLatencyP99", target: "new", value: 9e7, threshold: 5e7, unit: "ns", passed: false),
                      LimitCheck(limit: "standbyMissing", target: nil, value: 42, threshold: 100, unit: "messages", passed: true)]
        let invalid = ["feed": ["sender lateness p99 48.00 ms is over 5.00 ms"]]
        let v = Judge.verdict(limits: limits, current: [], baseline: [], settings: BaselineSettings(), invalid: invalid)
        #expect(v.status == .inconclusive && v.limitsFailed == 0 && v.summary.hasPrefix("INCONCLUSIVE") && v.summary.contains("48.00 ms"))
        var broken = limits
        broken[1].passed = false
        let f = Judge.verdict(limits: broken, current: [], baseline: [], settings: BaselineSettings(), invalid: invalid)
        #expect(f.status == .fail && f.limitsFailed == 1)
        let first = Judge.verdict(limits: [LimitCheck(limit: "feedLost", target: "new", value: 3, threshold: 0, unit: "messages", passed: false)],
                                  current: [], baseline: [], settings: BaselineSettings())
        #expect(!first.passed && first.limitsFailed == 1 && first.summary.hasPrefix("FAIL"))
    }

    @Test("Mann–Whitney: identical samples give p = 1; fully separated samples of 10 and 50 give p far below 0.001")
    func mannWhitney() {
        #expect(SampleStatistics.mannWhitneyP([1, 2, 3], [1, 2, 3]) > 0.9)
        let p = SampleStatistics.mannWhitneyP((0..<10).map { 10 + Double($0) }, (0..<50).map { Double($0) / 10 })
        #expect(p < 0.0001)
        let interval = SampleStatistics.medianChangeInterval(current: around(130), baseline: around(100))!
        #expect(interval.low > 0.2 && interval.high < 0.4)
    }

    @Test("the history stores runs in one transaction, keeps a window of valid runs, trends a metric, and reports a corrupt file")
    func history() throws {
        let directory = NSTemporaryDirectory() + "rehearse-history-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/h.sqlite"
        let store = try HistoryStore(path: path)
        let env = RunEnvironment.current(scenarioText: "name: x", inputs: [], toolVersion: "test")
        var ids: [Int64] = []
        for (i, passed) in [true, true, false].enumerated() {
            var r = RunResult(scenario: "nightly", scenarioPath: "s.yaml", started: .init(Int64(i) * 1_000_000_000), environment: env)
            r.verdict = Verdict(status: passed ? .pass : .fail, limitsFailed: passed ? 0 : 1, baselineRuns: [], judgements: [], environment: [],
                                inconclusive: [], summary: passed ? "PASS" : "FAIL")
            ids.append(try store.record(r, metrics: [m("feed.new.latencyP99", Double(100 + i))]))
        }
        #expect(ids == [1, 2, 3])
        // The window holds every valid, complete run, passing or not (it cannot ratchet), newest first.
        let window = try store.baseline(scenario: "nightly", id: nil, window: 5)
        #expect(window.map(\.id) == [3, 2, 1] && window.first?.metrics.first?.value == 102)
        #expect(try store.baseline(scenario: "nightly", id: nil, window: 2).map(\.id) == [3, 2])
        #expect(try store.baseline(scenario: "nightly", id: 1).map(\.id) == [1])
        #expect(try store.baseline(scenario: "other", id: nil).isEmpty)
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

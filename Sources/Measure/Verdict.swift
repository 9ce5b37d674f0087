import Scenario
import Vocabulary

/// A figure of a run as stored in the history and judged against a baseline.
public struct Metric: Codable, Sendable, Equatable {
    public var key: String
    public var value: Double
    /// Messages or requests behind the figure.
    public var samples: UInt64
    /// True when lower is better (latency, loss); false for throughput.
    public var lowerIsBetter: Bool
    /// The figure per slice of the run (per-interval percentiles): the samples a baseline verdict
    /// compares; nil for figures that are not sampled (counts, offline comparisons).
    public var intervals: [Double]?

    public init(key: String, value: Double, samples: UInt64, lowerIsBetter: Bool, intervals: [Double]? = nil) {
        self.key = key
        self.value = value
        self.samples = samples
        self.lowerIsBetter = lowerIsBetter
        self.intervals = intervals
    }

    /// The leg a figure or limit belongs to: `feed`, `gateway` or `compare`.
    public static func leg(of key: String) -> String {
        if key.hasPrefix("feed") { return "feed" }
        if key.hasPrefix("gateway") { return "gateway" }
        return "compare"
    }

    /// Whether the key is a paired figure (new ÷ old in the same run), e.g. `feed.new/old.latencyP99`.
    public static func isPaired(_ key: String) -> Bool { key.split(separator: ".").dropFirst().first?.contains("/") == true }
}

/// One limit of the scenario applied to one figure.
public struct LimitCheck: Codable, Sendable, Equatable {
    /// The scenario key, e.g. `feedLatencyP99`.
    public var limit: String
    /// The target (platform) it was applied to, when it applies per target.
    public var target: String?
    public var value: Double
    public var threshold: Double
    /// "ns", "messages", "messages/s".
    public var unit: String
    public var passed: Bool
    /// False when the leg's measurement was invalid (the host, not the platform, was measured): the
    /// limit is then not judged, whatever its value. nil (older results) means judged.
    public var judged: Bool?

    public init(limit: String, target: String?, value: Double, threshold: Double, unit: String, passed: Bool, judged: Bool? = nil) {
        self.limit = limit
        self.target = target
        self.value = value
        self.threshold = threshold
        self.unit = unit
        self.passed = passed
        self.judged = judged
    }
}

/// How one figure compares with the baseline's samples.
public enum ChangeOutcome: String, Codable, Sendable, Equatable {
    /// Worse beyond the minimum effect, and the test says it is not noise.
    case regressed
    /// Better beyond the minimum effect, and the test says it is not noise.
    case improved
    /// No change the test can tell from noise, or a change smaller than the minimum effect.
    case unchanged
    /// Too few samples to judge (the reason says which side).
    case inconclusive
}

/// The judgement of one figure against the baseline window: the effect, its interval, the test and
/// the samples behind it.
public struct MetricJudgement: Codable, Sendable, Equatable {
    public var metric: String
    public var outcome: ChangeOutcome
    /// Whether it decides the verdict (paired figures, or absolute ones when the scenario asks);
    /// figures judged for context only explain, e.g. "the environment changed".
    public var decides: Bool
    /// Median of the run's samples and of the baseline window's.
    public var current: Double?
    public var baseline: Double?
    /// median(current) ÷ median(baseline) − 1, and its 95 % bootstrap interval.
    public var effect: Double?
    public var low: Double?
    public var high: Double?
    /// Mann–Whitney U two-sided p-value.
    public var pValue: Double?
    public var samples: Int
    public var baselineSamples: Int
    public var reason: String?
    /// The run-to-run band: the prediction interval (99 % at a significance of 1 %, else 95 %) of one more run's median from the medians of
    /// the baseline's runs. A change inside it is the host's day-to-day noise, not the platform's.
    public var bandLow: Double?
    public var bandHigh: Double?

    public init(metric: String, outcome: ChangeOutcome, decides: Bool, current: Double?, baseline: Double?, effect: Double?,
                low: Double?, high: Double?, pValue: Double?, samples: Int, baselineSamples: Int, reason: String? = nil) {
        self.metric = metric
        self.outcome = outcome
        self.decides = decides
        self.current = current
        self.baseline = baseline
        self.effect = effect
        self.low = low
        self.high = high
        self.pValue = pValue
        self.samples = samples
        self.baselineSamples = baselineSamples
        self.reason = reason
    }

    /// "feed.new/old.latencyP99 regressed: +28.1 % [+22.0 %, +35.3 %], p 0.0001, 10 vs 50 samples".
    public var line: String {
        func pct(_ v: Double?) -> String { v.map { ($0 >= 0 ? "+" : "") + TimeFormat.format($0 * 100, 1) + " %" } ?? "-" }
        var text = "\(metric) \(outcome.rawValue)"
        if let reason { return text + ": " + reason }
        text += ": \(pct(effect)) [\(pct(low)), \(pct(high))]"
        if let pValue { text += ", p \(pValue < 0.0001 ? "< 0.0001" : TimeFormat.format(pValue, 4))" }
        text += ", \(samples) vs \(baselineSamples) samples"
        if let bandLow, let bandHigh, let current, let baseline, baseline != 0 {
            let inside = current >= bandLow && current <= bandHigh
            text += "; run-to-run band [\(pct(bandLow / baseline - 1)), \(pct(bandHigh / baseline - 1))]" + (inside ? ", inside it" : "")
        }
        return text
    }
}

/// What a verdict says: pass, fail, or inconclusive (the measurement cannot say).
public enum VerdictStatus: String, Codable, Sendable, Equatable {
    case pass, fail, inconclusive
}

/// The verdict: limits, validity, and the comparison with the baseline window.
public struct Verdict: Codable, Sendable, Equatable {
    public var status: VerdictStatus
    /// `status == .pass` (kept for readers of older results).
    public var passed: Bool
    public var limitsFailed: Int
    /// The history ids of the baseline window (empty: no baseline yet).
    public var baselineRuns: [Int64]
    /// Every sampled figure judged against the baseline.
    public var judgements: [MetricJudgement]
    /// Old and new moving together: the environment changed, not the new platform.
    public var environment: [String]
    /// Why the measurement was inconclusive: what the host did, with the figures.
    public var inconclusive: [String]
    /// One sentence for people.
    public var summary: String

    /// Regressions that decide the verdict.
    public var regressions: [MetricJudgement] { judgements.filter { $0.decides && $0.outcome == .regressed } }
    /// Improvements among the deciding figures.
    public var improvements: [MetricJudgement] { judgements.filter { $0.decides && $0.outcome == .improved } }

    public init(status: VerdictStatus, limitsFailed: Int, baselineRuns: [Int64], judgements: [MetricJudgement], environment: [String],
                inconclusive: [String], summary: String) {
        self.status = status
        passed = status == .pass
        self.limitsFailed = limitsFailed
        self.baselineRuns = baselineRuns
        self.judgements = judgements
        self.environment = environment
        self.inconclusive = inconclusive
        self.summary = summary
    }

    enum CodingKeys: String, CodingKey { case status, passed, limitsFailed, baselineRuns, judgements, environment, inconclusive, summary }

    /// Reads results of every version: fields added later default to empty.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        passed = try c.decode(Bool.self, forKey: .passed)
        status = try c.decodeIfPresent(VerdictStatus.self, forKey: .status) ?? (passed ? .pass : .fail)
        limitsFailed = try c.decode(Int.self, forKey: .limitsFailed)
        baselineRuns = try c.decodeIfPresent([Int64].self, forKey: .baselineRuns) ?? []
        judgements = try c.decodeIfPresent([MetricJudgement].self, forKey: .judgements) ?? []
        environment = try c.decodeIfPresent([String].self, forKey: .environment) ?? []
        inconclusive = try c.decodeIfPresent([String].self, forKey: .inconclusive) ?? []
        summary = try c.decode(String.self, forKey: .summary)
    }
}

/// Judges a run: its limits where the measurement was valid, and its sampled figures against the
/// samples of a window of earlier valid runs (``SampleStatistics``).
public enum Judge {
    /// A figure's samples in the run and in the baseline window.
    /// `runs` are the medians of the baseline's runs one by one: a change must also leave their
    /// run-to-run band (``SampleStatistics/predictionInterval(_:)``), because samples within one run
    /// share that run's host and are not independent of it. With fewer than ``minimumRuns`` runs
    /// (and no explicit baseline run) a change is inconclusive: the run-to-run noise is not known yet.
    public static func judge(_ m: Metric, baseline: [Double], runs: [Double] = [], settings: BaselineSettings,
                             decides: Bool) -> MetricJudgement {
        let now = m.intervals ?? []
        let minimum = settings.minimumIntervals
        guard now.count >= minimum, baseline.count >= minimum else {
            let which = now.count < minimum ? "this run has \(now.count)" : "the baseline has \(baseline.count)"
            return MetricJudgement(metric: m.key, outcome: .inconclusive, decides: decides, current: SampleStatistics.median(now),
                                   baseline: SampleStatistics.median(baseline), effect: nil, low: nil, high: nil, pValue: nil,
                                   samples: now.count, baselineSamples: baseline.count,
                                   reason: "too few samples to judge (\(which); \(minimum) needed)")
        }
        let mc = SampleStatistics.median(now)!, mb = SampleStatistics.median(baseline)!
        let effect = mb == 0 ? (mc == 0 ? 0 : Double.infinity) : mc / mb - 1
        let p = SampleStatistics.mannWhitneyP(now, baseline)
        let interval = SampleStatistics.medianChangeInterval(current: now, baseline: baseline)
        var outcome = ChangeOutcome.unchanged
        if p < settings.significance, abs(effect) >= settings.tolerance, let interval {
            let worse = m.lowerIsBetter ? effect > 0 && interval.low > 0 : effect < 0 && interval.high < 0
            let better = m.lowerIsBetter ? effect < 0 && interval.high < 0 : effect > 0 && interval.low > 0
            outcome = worse ? .regressed : better ? .improved : .unchanged
        }
        // The band's level follows the test's: 99 % at a significance of 1 % or below, else 95 %.
        let band = runs.count >= minimumRuns
            ? SampleStatistics.predictionInterval(runs, confidence: settings.significance <= 0.01 ? 0.99 : 0.95) : nil
        var reason: String?
        if outcome != .unchanged {
            if let band, mc >= band.low && mc <= band.high {
                outcome = .unchanged
            } else if band == nil && settings.run == nil {
                outcome = .inconclusive
                reason = "a change of \(TimeFormat.format(effect * 100, 1)) % against \(runs.count) baseline run\(runs.count == 1 ? "" : "s"); "
                    + "\(minimumRuns) are needed to know the run-to-run noise"
            }
        }
        var j = MetricJudgement(metric: m.key, outcome: outcome, decides: decides, current: mc, baseline: mb,
                                effect: effect.isFinite ? effect : nil, low: interval?.low, high: interval?.high, pValue: p,
                                samples: now.count, baselineSamples: baseline.count, reason: reason)
        j.bandLow = band?.low
        j.bandHigh = band?.high
        return j
    }

    /// Legs whose test host changed since the baseline, with why: the sender's lateness p50
    /// (`<leg>.sender.latenessP50`, what a busier host shows first) above both twice the baseline runs'
    /// median and their 99 % prediction band. Needs ``minimumRuns`` baseline runs that carry it.
    public static func hostChanges(current: [Metric], baseline: [(id: Int64, metrics: [Metric])]) -> [(leg: String, why: String)] {
        var out: [(leg: String, why: String)] = []
        for m in current where m.key.hasSuffix(".sender.latenessP50") {
            let before = baseline.compactMap { run in run.metrics.first { $0.key == m.key }?.value }
            guard before.count >= minimumRuns, let median = SampleStatistics.median(before),
                  let band = SampleStatistics.predictionInterval(before, confidence: 0.99), m.value > max(band.high, 2 * median) else { continue }
            func d(_ v: Double) -> String { TimeFormat.duration(Int64(v)) }
            out.append((Metric.leg(of: m.key), "the test host changed since the baseline: the sender's lateness p50 \(d(m.value)) "
                        + "against \(d(before.min()!))–\(d(before.max()!)) in its runs"))
        }
        return out
    }

    /// Baseline runs needed before a change can be told from run-to-run noise.
    public static let minimumRuns = 3

    /// The verdict. `baseline` is the window of earlier valid runs (newest first); `invalid` names,
    /// per leg (`feed`, `gateway`), why its measurement was not the platform's: those legs' limits
    /// and figures are not judged, and the verdict is inconclusive unless a valid leg failed.
    public static func verdict(limits: [LimitCheck], current: [Metric], baseline: [(id: Int64, metrics: [Metric])],
                               settings: BaselineSettings, invalid: [String: [String]] = [:]) -> Verdict {
        var limits = limits
        for i in limits.indices where invalid[Metric.leg(of: limits[i].limit)] != nil { limits[i].judged = false }
        let failed = limits.filter { !$0.passed && $0.judged != false }.count
        // Paired figures decide; absolute ones when asked, or when a leg has no pair to judge.
        let pairedLegs = Set(current.filter { Metric.isPaired($0.key) && $0.intervals != nil }.map { Metric.leg(of: $0.key) })
        var judgements: [MetricJudgement] = []
        if !baseline.isEmpty {
            var pooled: [String: [Double]] = [:], runMedians: [String: [Double]] = [:]
            for run in baseline {
                for m in run.metrics {
                    pooled[m.key, default: []] += m.intervals ?? []
                    if let median = SampleStatistics.median(m.intervals ?? []) { runMedians[m.key, default: []].append(median) }
                }
            }
            for m in current where m.intervals != nil && invalid[Metric.leg(of: m.key)] == nil {
                let decides = Metric.isPaired(m.key) || settings.absolute || !pairedLegs.contains(Metric.leg(of: m.key))
                judgements.append(judge(m, baseline: pooled[m.key] ?? [], runs: runMedians[m.key] ?? [], settings: settings, decides: decides))
            }
        }
        // The host changed under the run: the sender's lateness p50 far above every baseline run's.
        // A change of that leg's figures is then the host's as much as the platform's: not judged.
        var hostChanged: [String] = []
        for (leg, why) in Self.hostChanges(current: current, baseline: baseline) {
            let masked = judgements.indices.filter {
                judgements[$0].decides && Metric.leg(of: judgements[$0].metric) == leg
                    && (judgements[$0].outcome == .regressed || judgements[$0].outcome == .improved)
            }
            guard !masked.isEmpty else { continue }
            for i in masked { judgements[i].decides = false }
            hostChanged.append("\(leg): \(why); " + masked.map { "\(judgements[$0].metric) \(judgements[$0].outcome.rawValue)" }.joined(separator: ", ")
                               + " is not judged")
        }
        // Old and new moving together, their ratio unchanged: the environment, not the new platform.
        var environment: [String] = []
        let byKey = Dictionary(judgements.map { ($0.metric, $0) }, uniquingKeysWith: { a, _ in a })
        for pair in judgements where Metric.isPaired(pair.metric) && pair.outcome == .unchanged {
            let parts = pair.metric.split(separator: ".")
            guard parts.count == 3 else { continue }
            let names = parts[1].split(separator: "/")
            guard names.count == 2, let n = byKey["\(parts[0]).\(names[0]).\(parts[2])"], let o = byKey["\(parts[0]).\(names[1]).\(parts[2])"],
                  n.outcome == o.outcome, n.outcome == .regressed || n.outcome == .improved else { continue }
            func pct(_ v: Double?) -> String { v.map { ($0 >= 0 ? "+" : "") + TimeFormat.format($0 * 100, 0) + " %" } ?? "-" }
            environment.append("\(parts[0]) \(parts[2]): \(names[1]) \(pct(o.effect)) and \(names[0]) \(pct(n.effect)) together, "
                               + "\(names[0])/\(names[1]) unchanged (\(pct(pair.effect))): the environment changed, not \(names[0])")
            for i in judgements.indices where judgements[i].metric == n.metric || judgements[i].metric == o.metric {
                judgements[i].decides = false
            }
        }
        let regressions = judgements.filter { $0.decides && $0.outcome == .regressed }
        let reasons = invalid.keys.sorted().flatMap { leg in invalid[leg]!.map { "\(leg): \($0)" } } + hostChanged
        let status: VerdictStatus = failed > 0 || !regressions.isEmpty ? .fail : reasons.isEmpty ? .pass : .inconclusive
        let judged = limits.filter { $0.judged != false }.count
        let window = baseline.isEmpty ? "" : baseline.count == 1 ? "run \(baseline[0].id)"
            : "runs \(baseline.map(\.id).min()!)–\(baseline.map(\.id).max()!) (\(baseline.count) valid runs)"
        var summary: String
        switch status {
        case .pass:
            summary = "PASS: \(judged) limit\(judged == 1 ? "" : "s") held"
            if baseline.isEmpty {
                summary += "; no baseline yet"
            } else if baseline.count < minimumRuns && settings.run == nil {
                summary += "; against \(window): changes are judged from \(minimumRuns) baseline runs on"
            } else {
                summary += "; no regression against \(window)"
            }
        case .fail:
            var parts: [String] = []
            if failed > 0 { parts.append("\(failed) limit\(failed == 1 ? "" : "s") broken") }
            if !regressions.isEmpty { parts.append("\(regressions.count) regression\(regressions.count == 1 ? "" : "s") against \(window)") }
            summary = "FAIL: " + parts.joined(separator: ", ")
        case .inconclusive:
            summary = "INCONCLUSIVE: the test host, not the platforms, was measured — " + reasons.joined(separator: "; ")
        }
        if !environment.isEmpty { summary += "; the environment changed (old and new moved together)" }
        return Verdict(status: status, limitsFailed: failed, baselineRuns: baseline.map(\.id), judgements: judgements,
                       environment: environment, inconclusive: reasons, summary: summary)
    }
}

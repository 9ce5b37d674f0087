import Scenario
import Vocabulary

/// A figure of a run as stored in the history and judged against a baseline.
public struct Metric: Codable, Sendable, Equatable {
    public var key: String
    public var value: Double
    /// Samples behind it (messages, requests).
    public var samples: UInt64
    /// True when lower is better (latency, loss); false for throughput.
    public var lowerIsBetter: Bool
    public init(key: String, value: Double, samples: UInt64, lowerIsBetter: Bool) {
        self.key = key
        self.value = value
        self.samples = samples
        self.lowerIsBetter = lowerIsBetter
    }
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
    public init(limit: String, target: String?, value: Double, threshold: Double, unit: String, passed: Bool) {
        self.limit = limit
        self.target = target
        self.value = value
        self.threshold = threshold
        self.unit = unit
        self.passed = passed
    }
}

/// A figure that moved beyond the tolerance against the baseline run.
public struct MetricChange: Codable, Sendable, Equatable {
    public var metric: String
    public var baseline: Double
    public var current: Double
    /// (current − baseline) / baseline.
    public var change: Double
    /// Samples behind the figure (the smaller of the two runs').
    public var samples: UInt64

    /// Memberwise.
    public init(metric: String, baseline: Double, current: Double, change: Double, samples: UInt64) {
        self.metric = metric
        self.baseline = baseline
        self.current = current
        self.change = change
        self.samples = samples
    }
}

/// The verdict: limits, and the comparison with the baseline run.
public struct Verdict: Codable, Sendable, Equatable {
    public var passed: Bool
    public var limitsFailed: Int
    /// The history id of the baseline run (nil: none yet).
    public var baselineRun: Int64?
    /// Worse than the baseline beyond the tolerance (higher latency, lower throughput, more loss).
    public var regressions: [MetricChange]
    /// Better than the baseline beyond the tolerance.
    public var improvements: [MetricChange]
    /// Figures with too few samples behind them to judge.
    public var notJudged: [String]
    /// One sentence for people.
    public var summary: String
    public init(passed: Bool, limitsFailed: Int, baselineRun: Int64?, regressions: [MetricChange], improvements: [MetricChange],
                notJudged: [String], summary: String) {
        self.passed = passed
        self.limitsFailed = limitsFailed
        self.baselineRun = baselineRun
        self.regressions = regressions
        self.improvements = improvements
        self.notJudged = notJudged
        self.summary = summary
    }
}

/// Judges a run: its limits, and its figures against a baseline run's.
public enum Judge {
    public static func verdict(limits: [LimitCheck], current: [Metric], baseline: (id: Int64, metrics: [Metric])?,
                               settings: BaselineSettings) -> Verdict {
        var regressions: [MetricChange] = [], improvements: [MetricChange] = [], notJudged: [String] = []
        if let baseline {
            let before = Dictionary(baseline.metrics.map { ($0.key, $0) }, uniquingKeysWith: { a, _ in a })
            for m in current {
                guard let b = before[m.key] else { continue }
                let samples = min(m.samples, b.samples)
                guard samples >= settings.minimumSamples else { notJudged.append(m.key); continue }
                let change = b.value == 0 ? (m.value == 0 ? 0 : .infinity) : (m.value - b.value) / b.value
                let worse = m.lowerIsBetter ? change > settings.tolerance : change < -settings.tolerance
                let better = m.lowerIsBetter ? change < -settings.tolerance : change > settings.tolerance
                // Counts that were zero and stay small are not regressions of a ratio.
                let c = MetricChange(metric: m.key, baseline: b.value, current: m.value, change: change.isFinite ? change : 1e9, samples: samples)
                if worse { regressions.append(c) } else if better && b.value != 0 { improvements.append(c) }
            }
        }
        let failed = limits.filter { !$0.passed }.count
        let passed = failed == 0 && regressions.isEmpty
        var summary: String
        if passed {
            summary = "PASS: \(limits.count) limit\(limits.count == 1 ? "" : "s") held"
            summary += baseline.map { "; no regression against run \($0.id) beyond \(Int(settings.tolerance * 100)) %" } ?? "; no baseline yet"
        } else {
            var reasons: [String] = []
            if failed > 0 { reasons.append("\(failed) limit\(failed == 1 ? "" : "s") broken") }
            if !regressions.isEmpty { reasons.append("\(regressions.count) regression\(regressions.count == 1 ? "" : "s") against run \(baseline!.id)") }
            summary = "FAIL: " + reasons.joined(separator: ", ")
        }
        return Verdict(passed: passed, limitsFailed: failed, baselineRun: baseline?.id, regressions: regressions,
                       improvements: improvements, notJudged: notJudged, summary: summary)
    }
}

import Vocabulary
import Measure
import Results
import Scenario

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

extension RunResult {
    /// The run's figures, flattened: `feed.<target>.latencyP99`, `gateway.<target>.latencyP50`,
    /// `compare.lagP99`, …
    public var metrics: [Metric] {
        var out: [Metric] = []
        func latency(_ prefix: String, _ l: LatencySummary) {
            for (name, v) in [("latencyP50", l.p50), ("latencyP90", l.p90), ("latencyP99", l.p99), ("latencyP999", l.p999), ("latencyMax", l.max)] {
                out.append(Metric(key: "\(prefix).\(name)", value: Double(v), samples: l.count, lowerIsBetter: true))
            }
        }
        for s in feed?.sides ?? [] {
            latency("feed.\(s.name)", s.latency)
            out.append(Metric(key: "feed.\(s.name).lost", value: Double(s.messagesLost), samples: s.messagesSent, lowerIsBetter: true))
            out.append(Metric(key: "feed.\(s.name).throughput", value: s.messagesPerSecond, samples: s.messagesReceived, lowerIsBetter: false))
        }
        for (name, g) in (gateway ?? [:]).sorted(by: { $0.key < $1.key }) {
            if let spectrum = g.spectrum {
                out.append(Metric(key: "gateway.\(name).latencyP50", value: Double(spectrum.value(at: 50)), samples: spectrum.totalCount, lowerIsBetter: true))
                out.append(Metric(key: "gateway.\(name).latencyP99", value: Double(spectrum.value(at: 99)), samples: spectrum.totalCount, lowerIsBetter: true))
            }
            out.append(Metric(key: "gateway.\(name).unanswered", value: Double(g.unanswered), samples: g.requests, lowerIsBetter: true))
            out.append(Metric(key: "gateway.\(name).requestsPerSecond", value: g.requestsPerSecond, samples: g.requests, lowerIsBetter: false))
        }
        if let c = compare {
            let worst = c.channels.map(\.lag.p99).max() ?? 0
            out.append(Metric(key: "compare.lagP99", value: Double(worst), samples: c.messagesCompared, lowerIsBetter: true))
            out.append(Metric(key: "compare.missingOnB", value: Double(c.channels.reduce(0) { $0 + $1.missingOnB }),
                              samples: c.messagesCompared, lowerIsBetter: true))
        }
        return out
    }

    /// Applies the scenario's limits.
    public func checkLimits(_ l: ScenarioLimits) -> [LimitCheck] {
        var out: [LimitCheck] = []
        func check(_ name: String, _ target: String?, _ value: Double, _ threshold: Double?, _ unit: String, atLeast: Bool = false) {
            guard let threshold else { return }
            out.append(LimitCheck(limit: name, target: target, value: value, threshold: threshold, unit: unit,
                                  passed: atLeast ? value >= threshold : value <= threshold))
        }
        for s in feed?.sides ?? [] {
            check("feedLatencyP50", s.name, Double(s.latency.p50), l.feedLatencyP50.map { Double($0) }, "ns")
            check("feedLatencyP99", s.name, Double(s.latency.p99), l.feedLatencyP99.map { Double($0) }, "ns")
            check("feedLatencyP999", s.name, Double(s.latency.p999), l.feedLatencyP999.map { Double($0) }, "ns")
            check("feedLost", s.name, Double(s.messagesLost), l.feedLost.map { Double($0) }, "messages")
            check("feedThroughput", s.name, s.messagesPerSecond, l.feedThroughput, "messages/s", atLeast: true)
        }
        for (name, g) in (gateway ?? [:]).sorted(by: { $0.key < $1.key }) {
            check("gatewayLatencyP99", name, Double(g.spectrum?.value(at: 99) ?? 0), l.gatewayLatencyP99.map { Double($0) }, "ns")
            check("gatewayUnanswered", name, Double(g.unanswered), l.gatewayUnanswered.map { Double($0) }, "requests")
        }
        if let c = compare {
            check("lagP99", nil, Double(c.channels.map(\.lag.p99).max() ?? 0), l.lagP99.map { Double($0) }, "ns")
            check("standbyMissing", nil, Double(c.channels.reduce(0) { $0 + $1.missingOnB }), l.standbyMissing.map { Double($0) }, "messages")
        }
        return out
    }
}

extension SessionReplayResult {
    /// Requests never answered: timed out or lost with a dropped connection.
    public var unanswered: UInt64 { byType.reduce(0) { $0 + $1.timeouts + $1.lostToDisconnects } }
}

extension PercentileSpectrum {
    /// The value at or above `percentile` (0…100), from the ticks.
    public func value(at percentile: Double) -> UInt64 {
        points.first { $0.percentile >= percentile }?.value ?? max
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

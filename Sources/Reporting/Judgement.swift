import Vocabulary
import Measure
import Results
import Scenario

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



import Vocabulary
import Measure
import Results
import Scenario

extension RunResult {
    /// The run's figures, flattened: `feed.<target>.latencyP99`, `gateway.<target>.latencyP50`,
    /// `compare.lagP99`, …
    public var metrics: [Metric] {
        var out: [Metric] = []
        func latency(_ prefix: String, _ l: LatencySummary, intervals: [IntervalSample]?) {
            let p50: [Double]? = intervals.map { list in list.compactMap { $0.p50.map { Double($0) } } }
            let p99: [Double]? = intervals.map { list in list.compactMap { $0.p99.map { Double($0) } } }
            out.append(Metric(key: prefix + ".latencyP50", value: Double(l.p50), samples: l.count, lowerIsBetter: true, intervals: p50))
            out.append(Metric(key: prefix + ".latencyP90", value: Double(l.p90), samples: l.count, lowerIsBetter: true))
            out.append(Metric(key: prefix + ".latencyP99", value: Double(l.p99), samples: l.count, lowerIsBetter: true, intervals: p99))
            out.append(Metric(key: prefix + ".latencyP999", value: Double(l.p999), samples: l.count, lowerIsBetter: true))
            out.append(Metric(key: prefix + ".latencyMax", value: Double(l.max), samples: l.count, lowerIsBetter: true))
        }
        // What the test host's load shows first: the sender's lateness p50 (not judged; the baseline
        // verdict compares it with its runs' to tell a host that changed from a platform that did).
        if let r = feed?.replay, r.lateness.count > 0 {
            out.append(Metric(key: "feed.sender.latenessP50", value: Double(r.lateness.p50), samples: r.lateness.count, lowerIsBetter: true))
        }
        if let late = (gateway ?? [:]).values.filter({ $0.lateness.count > 0 }).map(\.lateness).max(by: { $0.p50 < $1.p50 }) {
            out.append(Metric(key: "gateway.sender.latenessP50", value: Double(late.p50), samples: late.count, lowerIsBetter: true))
        }
        let sides = feed?.sides ?? []
        for s in sides {
            latency("feed.\(s.name)", s.latency, intervals: s.intervals)
            out.append(Metric(key: "feed.\(s.name).lost", value: Double(s.messagesLost), samples: s.messagesSent, lowerIsBetter: true))
            if let rate = s.messagesPerSecond {
                out.append(Metric(key: "feed.\(s.name).throughput", value: rate, samples: s.messagesReceived, lowerIsBetter: false))
            }
        }
        // Paired figures: new ÷ old per slice of the same run (the host's noise is common to both).
        if let (old, new) = Self.pair(sides.map(\.name)), let o = sides.first(where: { $0.name == old }), let n = sides.first(where: { $0.name == new }),
           let oi = o.intervals, let ni = n.intervals, o.latency.count > 0, n.latency.count > 0 {
            let p50: [Double] = Self.ratios(ni, oi, \.p50)
            let p99: [Double] = Self.ratios(ni, oi, \.p99)
            let whole50 = Double(n.latency.p50) / Double(max(1, o.latency.p50))
            let whole99 = Double(n.latency.p99) / Double(max(1, o.latency.p99))
            let count = min(n.latency.count, o.latency.count)
            out.append(Metric(key: "feed.\(new)/\(old).latencyP50", value: whole50, samples: count, lowerIsBetter: true, intervals: p50))
            out.append(Metric(key: "feed.\(new)/\(old).latencyP99", value: whole99, samples: count, lowerIsBetter: true, intervals: p99))
        }
        for (name, g) in (gateway ?? [:]).sorted(by: { $0.key < $1.key }) {
            if let spectrum = g.spectrum {
                let p50: [Double]? = g.intervals.map { list in list.compactMap { $0.p50.map { Double($0) } } }
                let p99: [Double]? = g.intervals.map { list in list.compactMap { $0.p99.map { Double($0) } } }
                let count = spectrum.totalCount
                out.append(Metric(key: "gateway.\(name).latencyP50", value: Double(spectrum.value(at: 50)), samples: count, lowerIsBetter: true, intervals: p50))
                out.append(Metric(key: "gateway.\(name).latencyP99", value: Double(spectrum.value(at: 99)), samples: count, lowerIsBetter: true, intervals: p99))
            }
            out.append(Metric(key: "gateway.\(name).unanswered", value: Double(g.unanswered), samples: g.requests, lowerIsBetter: true))
            out.append(Metric(key: "gateway.\(name).requestsPerSecond", value: g.requestsPerSecond, samples: g.requests, lowerIsBetter: false))
        }
        if let g = gateway, let (old, new) = Self.pair(g.keys.sorted()), let o = g[old], let n = g[new],
           let oi = o.intervals, let ni = n.intervals, let os = o.spectrum, let ns = n.spectrum, os.totalCount > 0, ns.totalCount > 0 {
            let ratios: [Double] = Self.ratios(ni, oi, \.p99)
            out.append(Metric(key: "gateway.\(new)/\(old).latencyP99", value: Double(ns.value(at: 99)) / Double(max(1, os.value(at: 99))),
                              samples: min(os.totalCount, ns.totalCount), lowerIsBetter: true, intervals: ratios))
        }
        if let c = compare {
            let worst = c.channels.map(\.lag.p99).max() ?? 0
            out.append(Metric(key: "compare.lagP99", value: Double(worst), samples: c.messagesCompared, lowerIsBetter: true))
            out.append(Metric(key: "compare.missingOnB", value: Double(c.channels.reduce(0) { $0 + $1.missingOnB }),
                              samples: c.messagesCompared, lowerIsBetter: true))
        }
        return out
    }

    /// new ÷ old of one percentile, slice by slice (slices where either side got nothing are left out).
    static func ratios(_ new: [IntervalSample], _ old: [IntervalSample], _ pick: KeyPath<IntervalSample, UInt64?>) -> [Double] {
        var out: [Double] = []
        for (a, b) in zip(new, old) {
            guard let x = a[keyPath: pick], let y = b[keyPath: pick], y > 0 else { continue }
            out.append(Double(x) / Double(y))
        }
        return out
    }

    /// The (old, new) pair among two target names: `old` and `new` when so named, else the first
    /// (the platform in service) and the second; nil unless there are exactly two.
    public static func pair(_ names: [String]) -> (old: String, new: String)? {
        guard names.count == 2 else { return nil }
        if Set(names) == ["old", "new"] { return ("old", "new") }
        return (names[0], names[1])
    }

    /// Applies the scenario's limits.
    public func checkLimits(_ l: ScenarioLimits) -> [LimitCheck] {
        var out: [LimitCheck] = []
        func check(_ name: String, _ target: String?, _ value: Double, _ threshold: Double?, _ unit: String, atLeast: Bool = false) {
            guard let threshold else { return }
            out.append(LimitCheck(limit: name, target: target, value: value, threshold: threshold, unit: unit,
                                  passed: atLeast ? value >= threshold : value <= threshold))
        }
        // A latency limit is judged only where latency was measured: a side that received nothing
        // is a failure of its own (a target error), never a latency of 0 that passes.
        for s in feed?.sides ?? [] where s.latency.count > 0 {
            check("feedLatencyP50", s.name, Double(s.latency.p50), l.feedLatencyP50.map { Double($0) }, "ns")
            check("feedLatencyP99", s.name, Double(s.latency.p99), l.feedLatencyP99.map { Double($0) }, "ns")
            check("feedLatencyP999", s.name, Double(s.latency.p999), l.feedLatencyP999.map { Double($0) }, "ns")
        }
        // The gap drill: time to recover where gaps were recovered (as latency, never a 0 for nothing);
        // what stayed unrecovered wherever a recovery client ran.
        for s in feed?.sides ?? [] {
            guard let r = s.recovery else { continue }
            if let t = r.timeToRecover { check("recoveryTimeP99", s.name, Double(t.p99), l.recoveryTimeP99.map { Double($0) }, "ns") }
            check("unrecovered", s.name, Double(r.unrecovered), l.unrecovered.map { Double($0) }, "messages")
        }
        for s in feed?.sides ?? [] {
            check("feedLost", s.name, Double(s.messagesLost), l.feedLost.map { Double($0) }, "messages")
            // Judged only where a rate was measured (arrivals spread over time): nothing received fails
            // as lost messages, never as a throughput of 0.
            if let rate = s.messagesPerSecond { check("feedThroughput", s.name, rate, l.feedThroughput, "messages/s", atLeast: true) }
        }
        for (name, g) in (gateway ?? [:]).sorted(by: { $0.key < $1.key }) {
            if let spectrum = g.spectrum, spectrum.totalCount > 0 {
                check("gatewayLatencyP99", name, Double(spectrum.value(at: 99)), l.gatewayLatencyP99.map { Double($0) }, "ns")
            }
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



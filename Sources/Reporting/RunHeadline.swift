import Measure
import Results
import Vocabulary

extension RunResult {
    /// The verdict in one sentence an operations manager can act on, e.g. "new keeps up: feed p99
    /// 3.19 ms vs 11.88 ms on old (0.27×), no loss; gateway p99 1.95 ms vs 3.05 ms (0.64×); standby
    /// missed 42 messages on 1 channel". First in the report and the run's text.
    public var headline: String {
        var parts: [String] = []
        let sides = feed?.sides ?? []
        let pair = Self.pair(sides.map(\.name)) ?? Self.pair((gateway ?? [:]).keys.sorted())
        let newName = pair?.new ?? sides.first?.name ?? "the platform"
        if let (old, new) = Self.pair(sides.map(\.name)), let o = sides.first(where: { $0.name == old }), let n = sides.first(where: { $0.name == new }) {
            // Nothing that arrived is never a latency of 0 ns on either side.
            let silent = [n, o].filter { $0.messagesReceived == 0 }.map(\.name)
            if !silent.isEmpty {
                parts.append("feed: " + silent.joined(separator: " and ") + " delivered nothing")
            } else {
                var text = "feed p99 \(TimeFormat.duration(n.latency.p99)) vs \(TimeFormat.duration(o.latency.p99)) on \(old)"
                if o.latency.p99 > 0 { text += " (\(TimeFormat.format(Double(n.latency.p99) / Double(o.latency.p99), 2))×)" }
                text += n.messagesLost == 0 ? ", no loss" : ", \(n.messagesLost) of \(n.messagesSent) messages lost on \(new)"
                parts.append(text)
            }
        } else if let s = sides.first {
            parts.append("feed p99 \(TimeFormat.duration(s.latency.p99)) on \(s.name)" + (s.messagesLost == 0 ? ", no loss" : ", \(s.messagesLost) messages lost"))
        }
        if let g = gateway, let (old, new) = Self.pair(g.keys.sorted()), let o = g[old], let n = g[new],
           let ns = n.spectrum, let os = o.spectrum, ns.totalCount > 0, os.totalCount > 0 {
            let a = ns.value(at: 99), b = os.value(at: 99)
            parts.append("gateway p99 \(TimeFormat.duration(a)) vs \(TimeFormat.duration(b)) (\(TimeFormat.format(Double(a) / Double(max(1, b)), 2))×)"
                         + (n.unanswered > 0 ? ", \(n.unanswered) requests unanswered on \(new)" : ""))
        }
        if let c = compare {
            let missing = c.channels.reduce(0) { $0 + $1.missingOnB }
            let channels = c.channels.filter { $0.missingOnB > 0 }.count
            parts.append(missing == 0 ? "standby complete" : "standby missed \(missing) messages on \(channels) channel\(channels == 1 ? "" : "s")")
        }
        if let k = capacity {
            // A ramp is meant to break: per target, how far it held — the question is which platform went further.
            parts = [Self.targetKnees(k).joined(separator: "; ")] + (k.steps.isEmpty ? [] : ["the ramp stopped: \(k.limitingFactor)"])
        }
        let lead: String
        switch verdict?.status {
        case .pass?: lead = capacity == nil ? "\(newName) keeps up" : "capacity measured"
        case .inconclusive?: lead = "cannot tell whether \(newName) keeps up: the test host, not the platforms, was measured"
        case .fail?:
            let mentions = (verdict?.regressions.map(\.metric) ?? []) + limits.filter { !$0.passed && $0.judged != false }.map { "\($0.limit) \($0.target ?? "")" }
            lead = mentions.contains { $0.contains(newName) } ? "\(newName) does not keep up" : "the run failed"
        case nil: lead = "no verdict"
        }
        return parts.isEmpty ? lead : lead + ": " + parts.joined(separator: "; ")
    }

    /// Per target of a ramp: "new held every step to ×2.00" or "old held to ×1.50 (feedLatencyP99 broke
    /// at ×1.63)" — its own knee, from the limits judged on it at each step in speed order.
    static func targetKnees(_ c: CapacityResult) -> [String] {
        let steps = c.steps.sorted { $0.speed < $1.speed }
        let names = steps.first?.bench.sides.map(\.name) ?? []
        return names.map { name in
            var held: Double?
            for step in steps {
                let broken = step.limits.filter { $0.target == name && !$0.passed && $0.judged != false }
                if let first = broken.first {
                    let at = "×" + TimeFormat.format(step.speed, 2)
                    return held.map { "\(name) held to ×\(TimeFormat.format($0, 2)) (\(first.limit) broke at \(at))" }
                        ?? "\(name) broke \(first.limit) at the first step, \(at)"
                }
                held = step.speed
            }
            return held.map { "\(name) held every step to ×\(TimeFormat.format($0, 2))" } ?? "\(name): no step measured"
        }
    }
}

import Foundation
import Vocabulary
import Measure
import Results

/// Renders a ``RunResult`` for people (HTML with inline SVG, text) and machines (JSON, `.hgrm`, CSV).
public enum RunReport {
    /// Latency percentile plots on the usual 1/(1−p) axis: one series per spectrum.
    static func percentileChart(_ title: String, _ spectra: [(String, PercentileSpectrum)]) -> SVGChart {
        var chart = SVGChart(title: title, xLabel: "percentile", yLabel: "latency", logX: true, logY: true)
        chart.xTickText = { v in
            // 1/(1−p) = 10^k ↔ p = 90 %, 99 %, 99.9 %, …
            let k = log10(v)
            guard k >= 0.5 else { return "0%" }
            let p = 100 * (1 - 1 / v)
            return TimeFormat.format(p, max(0, Int(k.rounded()) - 2)) + "%"
        }
        chart.yTickText = durationTick
        for (i, (name, s)) in spectra.enumerated() {
            let points = s.points.filter { $0.percentile < 100 }.map { (x: 1 / (1 - $0.percentile / 100), y: Double(max($0.value, 1))) }
            chart.series.append(.init(name: name, points: points, color: SVGChart.palette[i % SVGChart.palette.count]))
        }
        return chart
    }

    /// Messages per second over time for each target, with each one's 1-interval peak marked in the legend.
    static func throughputChart(_ bench: BenchResult) -> SVGChart {
        var chart = SVGChart(title: "Feed throughput over time (messages/s per 100 ms): offered and delivered",
                             xLabel: "seconds from the first deadline", yLabel: "messages/s")
        if let offered = bench.offeredTimeline, !offered.isEmpty, let interval = bench.sides.compactMap(\.timelineIntervalNs).first {
            let scale = 1e9 / Double(interval)
            let end = Double(offered.count) * Double(interval) / 1e9
            chart.series.append(.init(name: "offered (to \(TimeFormat.format(end, 1)) s)",
                                      points: offered.enumerated().map { (x: Double($0.offset) * Double(interval) / 1e9, y: Double($0.element) * scale) },
                                      color: "#9aa0a6"))
        }
        for (i, s) in bench.sides.enumerated() {
            guard let timeline = s.timeline, let interval = s.timelineIntervalNs, !timeline.isEmpty else { continue }
            let scale = 1e9 / Double(interval)
            let peak = (timeline.max() ?? 0)
            chart.series.append(.init(name: "\(s.name) (peak \(chart.number(Double(peak) * scale))/s)",
                                      points: timeline.enumerated().map { (x: Double($0.offset) * Double(interval) / 1e9, y: Double($0.element) * scale) },
                                      color: SVGChart.palette[i % SVGChart.palette.count]))
        }
        return chart
    }

    /// Over the run, per tenth of the schedule: each target's response time p99 and platform time p99,
    /// and the sender's lateness p99 (dashed) — so a slice where the platforms look slow can be told
    /// from one where this host sent late. The host's hiccup p99.9 over the leg is a level.
    static func overTimeChart(_ bench: BenchResult, host: HostHealth?) -> SVGChart {
        var chart = SVGChart(title: "Over the run (p99 per tenth of the schedule): response, platform time, sender lateness",
                             xLabel: "seconds from the first deadline", yLabel: "p99", logY: true)
        chart.yTickText = durationTick
        func mid(_ i: IntervalSample) -> Double { (Double(i.startNs) + Double(i.spanNs) / 2) / 1e9 }
        for (k, s) in bench.sides.enumerated() {
            guard let intervals = s.intervals else { continue }
            let color = SVGChart.palette[k % SVGChart.palette.count]
            chart.series.append(.init(name: "\(s.name) response", points: intervals.compactMap { i in i.p99.map { (mid(i), Double(max($0, 1))) } },
                                      color: color))
            chart.series.append(.init(name: "\(s.name) platform", points: intervals.compactMap { i in i.platformP99.map { (mid(i), Double(max($0, 1))) } },
                                      color: color, dashed: true))
        }
        // One lateness line: the sender sends to every target at the same deadlines; the worst side's.
        let lateness: [(x: Double, y: Double)] = (bench.sides.first?.intervals ?? []).indices.compactMap { i in
            let values = bench.sides.compactMap { s in s.intervals.flatMap { i < $0.count ? $0[i].latenessP99 : nil } }
            guard let worst = values.max(), let slice = bench.sides.first?.intervals?[i] else { return nil }
            return (mid(slice), Double(max(worst, 1)))
        }
        chart.series.append(.init(name: "sender lateness", points: lateness, color: "#9aa0a6", dashed: true))
        if let h = host, h.hiccups.count > 0 {
            chart.levels.append((Double(max(h.hiccups.p999, 1)), "host hiccup p99.9 \(TimeFormat.duration(h.hiccups.p999))"))
        }
        return chart
    }

    /// The A/B lag distribution: messages per log-spaced lag bucket, from the spectrum's ticks.
    static func lagChart(_ c: ComparisonReport) -> SVGChart {
        var chart = SVGChart(title: "A/B lag: how far the later line trailed, per message on both", xLabel: "lag", yLabel: "messages", logX: true)
        chart.xTickText = durationTick
        var buckets: [Int: UInt64] = [:]
        for ch in c.channels {
            guard let s = ch.lagSpectrum else { continue }
            var previous: UInt64 = 0
            for p in s.points {
                let b = Int((log2(Double(max(p.value, 1))) * 2).rounded(.down))
                buckets[b, default: 0] += p.totalCount - min(previous, p.totalCount)
                previous = p.totalCount
            }
        }
        let points = buckets.keys.sorted().map { (x: pow(2, Double($0) / 2), y: Double(buckets[$0]!)) }
        chart.series.append(.init(name: "all channels", points: points, color: SVGChart.palette[0], bars: true))
        return chart
    }

    /// p99 latency per target against the speed at every step (bisection steps included, in speed
    /// order), the steps that broke a limit marked, and the knee with what limited it.
    static func capacityChart(_ c: CapacityResult) -> SVGChart {
        var chart = SVGChart(title: "Capacity: feed latency p99 at every step, by speed (× recorded)", xLabel: "speed (× recorded)",
                             yLabel: "p99 latency", logY: true)
        chart.yTickText = durationTick
        let steps = c.steps.sorted { $0.speed < $1.speed }
        let names = steps.first?.bench.sides.map(\.name) ?? []
        for (i, name) in names.enumerated() {
            let points = steps.compactMap { step in
                step.bench.sides.first { $0.name == name && $0.latency.count > 0 }.map { (x: step.speed, y: Double(max($0.latency.p99, 1))) }
            }
            chart.series.append(.init(name: name, points: points, color: SVGChart.palette[i % SVGChart.palette.count]))
        }
        let broke = steps.filter { !$0.passed }.compactMap { step in
            step.bench.sides.filter { $0.latency.count > 0 }.map(\.latency.p99).max().map { (x: step.speed, y: Double(max($0, 1))) }
        }
        if !broke.isEmpty { chart.series.append(.init(name: "step broke a limit", points: broke, color: "#a50e0e", dots: true)) }
        if let knee = c.knee { chart.markers.append((knee, "knee ×\(chart.number(knee)): limited by \(c.limitingFactor)")) }
        return chart
    }

    /// Findings in time order on one axis, a row per channel, a colour per kind.
    static func findingsChart(_ c: ComparisonReport) -> SVGChart? {
        let timed = c.findings.compactMap { f in f.at.map { (f, $0.ns) } }
        guard let first = timed.map(\.1).min() else { return nil }
        let origin = first - first % 1_000_000_000
        var chart = SVGChart(title: "Findings timeline (compare): each event by channel", xLabel: "seconds after \(TimeFormat.iso8601(origin).prefix(19))Z",
                             yLabel: "channel")
        chart.yTickText = { v in abs(v - v.rounded()) < 0.01 ? "ch \(Int(v.rounded()))" : "" }
        let kinds = FeedFinding.Kind.allCases.filter { k in timed.contains { $0.0.kind == k } }
        for (i, kind) in kinds.enumerated() {
            let points = timed.filter { $0.0.kind == kind }.map { (x: Double($0.1 - origin) / 1e9, y: Double($0.0.channel)) }
            chart.series.append(.init(name: kind.rawValue, points: points, color: SVGChart.palette[i % SVGChart.palette.count], dots: true))
        }
        return chart
    }

    /// The baseline's run-to-run bands of a leg's p50 and p99 per target, at their places on the
    /// percentile axis (x = 1/(1−p)), in each target's colour.
    static func baselineBands(_ r: RunResult, leg: String, targets: [String]) -> [(x: Double, low: Double, high: Double, color: String)] {
        guard let judgements = r.verdict?.judgements else { return [] }
        var out: [(x: Double, low: Double, high: Double, color: String)] = []
        for (i, t) in targets.enumerated() {
            for (figure, x) in [("latencyP50", 2.0), ("latencyP99", 100.0)] {
                guard let j = judgements.first(where: { $0.metric == "\(leg).\(t).\(figure)" }), let low = j.bandLow, let high = j.bandHigh else { continue }
                out.append((x, max(low, 1), max(high, 1), SVGChart.palette[i % SVGChart.palette.count]))
            }
        }
        return out
    }

    /// The latency limits of a leg as reference lines ("feedLatencyP99 limit 50.00 ms"), one per limit.
    static func limitLevels(_ r: RunResult, prefix: String) -> [(y: Double, label: String)] {
        var seen = Set<String>()
        return r.limits.filter { $0.limit.hasPrefix(prefix) && $0.unit == "ns" && seen.insert($0.limit).inserted }
            .map { (y: $0.threshold, label: "\($0.limit) limit \(TimeFormat.duration(Int64($0.threshold)))") }
    }

    /// Every chart of the result, in report order.
    static func charts(_ r: RunResult) -> [SVGChart] {
        var out: [SVGChart] = []
        if let f = r.feed {
            var chart = percentileChart("Feed latency by percentile (receive − scheduled send)",
                                        f.sides.compactMap { s in s.spectrum.map { (s.name, $0) } })
            chart.levels = limitLevels(r, prefix: "feedLatency")
            chart.bands = baselineBands(r, leg: "feed", targets: f.sides.map(\.name))
            if !chart.bands.isEmpty { chart.title += " · bars: baseline band" }
            out.append(chart)
            out.append(throughputChart(f))
            if f.sides.contains(where: { $0.intervals != nil }) { out.append(overTimeChart(f, host: r.host)) }
        }
        if let g = r.gateway, !g.isEmpty {
            // The feed's target order (old, new) when there is one, so each target keeps its colour.
            let order = r.feed?.sides.map(\.name) ?? []
            let names = g.keys.sorted { (order.firstIndex(of: $0) ?? Int.max, $0) < (order.firstIndex(of: $1) ?? Int.max, $1) }
            var chart = percentileChart("Gateway request → first response latency by percentile",
                                        names.compactMap { k in g[k]!.spectrum.map { (k, $0) } })
            chart.levels = limitLevels(r, prefix: "gatewayLatency")
            chart.bands = baselineBands(r, leg: "gateway", targets: names)
            if !chart.bands.isEmpty { chart.title += " · bars: baseline band" }
            out.append(chart)
        }
        if let c = r.compare {
            out.append(lagChart(c))
            if let f = findingsChart(c) { out.append(f) }
        }
        if let c = r.capacity { out.append(capacityChart(c)) }
        return out
    }

    /// One row of the baseline table: outcome, figure, medians, effect with its interval, p, samples.
    static func judgementRow(_ m: MetricJudgement) -> String {
        let cls: String = m.outcome == .regressed && m.decides ? "fail" : (m.outcome == .improved ? "pass" : "")
        func value(_ x: Double?) -> String {
            guard let x else { return "-" }
            if m.metric.contains("/") { return TimeFormat.format(x, 3) }
            return m.metric.contains("latency") ? durationTick(x) : TimeFormat.format(x, 1)
        }
        func pct(_ x: Double?) -> String {
            guard let x else { return "-" }
            return (x >= 0 ? "+" : "") + TimeFormat.format(x * 100, 1) + " %"
        }
        let effect: String = m.reason.map(escape) ?? (pct(m.effect) + " [" + pct(m.low) + ", " + pct(m.high) + "]")
        let p: String = m.pValue.map { TimeFormat.format($0, 4) } ?? "-"
        let outcome: String = m.outcome.rawValue + (m.decides ? "" : " (context)")
        var row = "<tr class=\"" + cls + "\"><td>" + outcome + "</td><td>" + escape(m.metric) + "</td>"
        row += "<td>" + value(m.baseline) + "</td><td>" + value(m.current) + "</td><td>" + effect + "</td>"
        row += "<td>" + p + "</td><td>" + String(m.samples) + " vs " + String(m.baselineSamples) + "</td></tr>"
        return row
    }

    /// A figure for a table cell in human units; "-" when it was not measured (never 0 for nothing).
    static func cell(_ v: Double?, duration: Bool) -> String {
        guard let v else { return "-" }
        return duration ? TimeFormat.duration(Int64(v.rounded())) : NumberText.grouped(v)
    }

    /// "0.46×" (b ÷ a); "-" when either is missing or a is 0.
    static func ratio(_ b: Double?, _ a: Double?) -> String {
        guard let a, let b, a > 0 else { return "-" }
        return TimeFormat.format(b / a, b / a < 10 ? 2 : 1) + "×"
    }

    /// The gateway leg side by side: requests and answers, response time, platform time and lateness per
    /// target with the second ÷ the first; then response time p99 per message type.
    static func gatewayTables(_ g: [String: SessionReplayResult], order: [String]) -> String {
        let names = g.keys.sorted { (order.firstIndex(of: $0) ?? Int.max, $0) < (order.firstIndex(of: $1) ?? Int.max, $1) }
        let sides = names.map { g[$0]! }
        let paired = sides.count == 2
        var out = "<h2>Gateway: \(escape(sides.first?.capture ?? ""))</h2><table><tr><th></th>" + names.map { "<th>\(escape($0))</th>" }.joined()
            + (paired ? "<th>\(escape(names[1])) ÷ \(escape(names[0]))</th>" : "") + "</tr>"
        func at(_ r: SessionReplayResult, _ p: Double) -> Double? {
            r.spectrum.flatMap { $0.totalCount > 0 ? Double($0.value(at: p)) : nil }
        }
        let rows: [(String, (SessionReplayResult) -> Double?, Bool)] = [
            ("sessions logged on", { Double($0.sessionsLoggedOn) }, false), ("requests", { Double($0.requests) }, false),
            ("responses", { Double($0.responses) }, false), ("requests/s", { $0.requestsPerSecond }, false),
            ("unanswered", { Double($0.byType.reduce(0) { $0 + $1.timeouts + $1.lostToDisconnects }) }, false),
            ("rejects", { Double($0.byType.reduce(0) { $0 + $1.rejects }) }, false),
            ("response p50", { at($0, 50) }, true), ("response p99", { at($0, 99) }, true), ("response p99.9", { at($0, 99.9) }, true),
            ("platform time p99", { $0.platformTime.map { Double($0.p99) } }, true),
            ("sender lateness p99", { $0.lateness.count > 0 ? Double($0.lateness.p99) : nil }, true),
        ]
        for (name, value, isDuration) in rows {
            out += "<tr><td>\(name)</td>" + sides.map { "<td>\(cell(value($0), duration: isDuration))</td>" }.joined()
            if paired { out += "<td>\(ratio(value(sides[1]), value(sides[0])))</td>" }
            out += "</tr>"
        }
        out += "</table>"
        let types = Array(Set(sides.flatMap { $0.byType.map(\.messageType) })).sorted()
        guard !types.isEmpty else { return out }
        out += "<h3>Gateway by message type: sent, unanswered, response p99</h3><table><tr><th>type</th>"
            + names.map { "<th>\(escape($0)) sent</th><th>unanswered</th><th>p99</th>" }.joined()
            + (paired ? "<th>p99 \(escape(names[1])) ÷ \(escape(names[0]))</th>" : "") + "</tr>"
        for t in types {
            let per = sides.map { s in s.byType.first { $0.messageType == t } }
            func p99(_ m: MessageTypeResult?) -> Double? { m.flatMap { $0.latency.count > 0 ? Double($0.latency.p99) : nil } }
            out += "<tr><td>\(escape(t))</td>" + per.map { m in
                "<td>\(cell(m.map { Double($0.sent) }, duration: false))</td><td>\(cell(m.map { Double($0.timeouts + $0.lostToDisconnects) }, duration: false))</td>"
                    + "<td>\(cell(p99(m), duration: true))</td>"
            }.joined()
            if paired { out += "<td>\(ratio(p99(per[1]), p99(per[0])))</td>" }
            out += "</tr>"
        }
        return out + "</table>"
    }

    /// A single self-contained HTML page with inline SVG plots.
    public static func html(_ r: RunResult) -> String {
        var body = ""
        let verdict = r.verdict
        let status = verdict?.status.rawValue ?? "fail"
        body += "<h1>\(escape(r.scenario))</h1>"
        body += "<p class=\"headline \(status)\">\(escape(r.headline))</p>"
        body += "<p class=\"verdict \(status)\">\(escape(verdict?.summary ?? "no verdict"))\(r.partial ? " — PARTIAL: a leg did not complete" : "")</p>"
        body += "<p class=\"meta\">run \(r.id.map(String.init) ?? "-") · \(escape(r.started.utc)) → \(escape(r.finished.utc)) · \(escape(r.environment.host)) · Linux \(escape(r.environment.kernel)) · \(escape(r.environment.cpu)) × \(r.environment.cores) · rehearse \(escape(r.environment.toolVersion)) · scenario \(r.environment.scenarioHash)</p>"
        for e in r.errors { body += "<p class=\"error\">\(escape(e))</p>" }
        if !r.limits.isEmpty {
            body += "<h2>Limits</h2><table><tr><th></th><th>limit</th><th>target</th><th>value</th><th>limit value</th></tr>"
            for l in r.limits {
                let v = l.unit == "ns" ? durationTick(l.value) : SVGChart(title: "", xLabel: "", yLabel: "").number(l.value)
                let t = l.unit == "ns" ? durationTick(l.threshold) : SVGChart(title: "", xLabel: "", yLabel: "").number(l.threshold)
                body += "<tr class=\"\(l.passed ? "pass" : "fail")\"><td>\(l.passed ? "PASS" : "FAIL")</td><td>\(l.limit)</td><td>\(escape(l.target ?? "-"))</td><td>\(v) \(l.unit == "ns" ? "" : l.unit)</td><td>\(t)</td></tr>"
            }
            body += "</table>"
        }
        if let h = r.host { body += "<p class=\"meta\">\(escape(h.line))</p>" }
        for (leg, v) in (r.validity ?? [:]).sorted(by: { $0.key < $1.key }) where !v.valid {
            body += "<p class=\"error\">\(escape(leg)): not the platforms' figures — \(escape(v.reasons.joined(separator: "; ")))</p>"
        }
        if let v = verdict {
            for e in v.environment { body += "<p class=\"meta\">\(escape(e))</p>" }
            if !v.judgements.isEmpty {
                let runs = v.baselineRuns.map(String.init).joined(separator: ", ")
                body += "<h2>Against the baseline (runs \(escape(runs)))</h2><table><tr><th>outcome</th><th>figure</th><th>baseline median</th><th>now</th><th>change [95 % interval]</th><th>p</th><th>samples</th></tr>"
                for m in v.judgements { body += judgementRow(m) }
                body += "</table>"
            }
        }
        if let f = r.feed {
            let paired = f.sides.count == 2
            body += "<h2>Feed: \(escape(f.replay.capture))</h2><table><tr><th></th>" + f.sides.map { "<th>\(escape($0.name))</th>" }.joined()
                + (paired ? "<th>\(escape(f.sides[1].name)) ÷ \(escape(f.sides[0].name))</th>" : "") + "</tr>"
            // (row, figure per side, whether the figure is a duration; nil: not measured)
            var rows: [(String, (BenchSideResult) -> Double?, Bool)] = [
                ("messages sent", { Double($0.messagesSent) }, false), ("received", { Double($0.messagesReceived) }, false),
                ("lost", { Double($0.messagesLost) }, false), ("throughput msg/s", { $0.messagesPerSecond }, false),
                ("response p50", { $0.latency.count > 0 ? Double($0.latency.p50) : nil }, true),
                ("response p99", { $0.latency.count > 0 ? Double($0.latency.p99) : nil }, true),
                ("response p99.9", { $0.latency.count > 0 ? Double($0.latency.p999) : nil }, true),
                ("response max", { $0.latency.count > 0 ? Double($0.latency.max) : nil }, true),
                ("platform time p50", { $0.platformTime.map { Double($0.p50) } }, true),
                ("platform time p99", { $0.platformTime.map { Double($0.p99) } }, true),
                ("sender lateness p99", { $0.senderLateness.map { Double($0.p99) } }, true),
            ]
            if f.sides.contains(where: { $0.recovery != nil }) {
                // The gap drill: each platform's gaps recovered from its own retransmission service.
                let gaps: (BenchSideResult) -> Double? = { $0.recovery.map { Double($0.gaps) } }
                let recovered: (BenchSideResult) -> Double? = { $0.recovery.map { Double($0.recovered) } }
                let unrecovered: (BenchSideResult) -> Double? = { $0.recovery.map { Double($0.unrecovered) } }
                let p50: (BenchSideResult) -> Double? = { $0.recovery?.timeToRecover.map { Double($0.p50) } }
                let p99: (BenchSideResult) -> Double? = { $0.recovery?.timeToRecover.map { Double($0.p99) } }
                let refused: (BenchSideResult) -> Double? = { $0.recovery.map { Double($0.refused.values.reduce(0, +)) } }
                rows += [("gaps (recovery)", gaps, false), ("messages recovered", recovered, false), ("unrecovered", unrecovered, false),
                         ("time to recover p50", p50, true), ("time to recover p99", p99, true), ("recovery requests refused", refused, false)]
            }
            for (name, value, isDuration) in rows {
                body += "<tr><td>\(name)</td>" + f.sides.map { "<td>\(cell(value($0), duration: isDuration))</td>" }.joined()
                if paired { body += "<td>\(ratio(value(f.sides[1]), value(f.sides[0])))</td>" }
                body += "</tr>"
            }
            body += "</table>"
        }
        if let g = r.gateway, !g.isEmpty { body += gatewayTables(g, order: r.feed?.sides.map(\.name) ?? []) }
        if let c = r.compare {
            body += "<h2>Compare</h2><p>\(c.messagesCompared) messages on both sides; missing on B \(c.channels.reduce(0) { $0 + $1.missingOnB }), on A \(c.channels.reduce(0) { $0 + $1.missingOnA })</p>"
            if !c.findings.isEmpty {
                body += "<ul>" + c.findings.map { "<li>ch \($0.channel) \(escape($0.line ?? "both")) <b>\($0.kind.rawValue)</b>\($0.at.map { " at " + $0.utc } ?? ""): \(escape($0.detail))</li>" }.joined() + "</ul>"
            }
        }
        if let c = r.capacity {
            body += "<h2>Capacity</h2><p>knee: \(c.knee.map { "×" + TimeFormat.format($0, 1) } ?? "none") · limited by \(escape(c.limitingFactor)): \(escape(c.detail))</p>"
            let names = c.steps.first?.bench.sides.map(\.name) ?? []
            body += "<table><tr><th>speed</th><th>offered msg/s</th>" + names.map { "<th>\(escape($0)) p99</th><th>lost</th>" }.joined()
                + "<th>sender lateness p99</th><th>step</th></tr>"
            for step in c.steps.sorted(by: { $0.speed < $1.speed }) {
                let valid = step.validity?.valid ?? true
                body += "<tr class=\"\(step.passed ? "" : "fail")\"><td>×\(TimeFormat.format(step.speed, 2))</td><td>\(NumberText.grouped(step.offeredPerSecond))</td>"
                body += names.map { n in
                    let side = step.bench.sides.first { $0.name == n }
                    return "<td>\(cell(side.flatMap { $0.latency.count > 0 ? Double($0.latency.p99) : nil }, duration: true))</td><td>\(cell(side.map { Double($0.messagesLost) }, duration: false))</td>"
                }.joined()
                body += "<td>\(TimeFormat.duration(step.sendLatenessP99))</td><td>\(!valid ? "host limit" : (step.passed ? "held" : "broke a limit"))</td></tr>"
            }
            body += "</table>"
        }
        body += "<h2>Plots</h2>" + charts(r).map { "<figure>\($0.svg())</figure>" }.joined()
        return """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>Rehearse — \(escape(r.scenario))</title>
        <style>
        body{font-family:system-ui,sans-serif;margin:24px;max-width:780px;color:#222}
        h1{margin-bottom:4px} .meta{color:#666;font-size:12px}
        .headline{font-size:22px;font-weight:bold;padding:10px 12px;border-radius:4px;margin-bottom:4px}
        .headline.pass{background:#e6f4ea;color:#137333} .headline.fail{background:#fce8e6;color:#a50e0e} .headline.inconclusive{background:#fef7e0;color:#8a5a00}
        .verdict{font-size:15px;padding:6px 12px;border-radius:4px}
        .verdict.pass{background:#e6f4ea;color:#137333} .verdict.fail{background:#fce8e6;color:#a50e0e} .verdict.inconclusive{background:#fef7e0;color:#8a5a00}
        table{border-collapse:collapse;font-size:13px} td,th{padding:3px 10px;border-bottom:1px solid #eee;text-align:right}
        td:first-child,th:first-child{text-align:left} tr.fail td{color:#a50e0e} .error{color:#a50e0e}
        .chart .title{font-weight:bold;font-size:13px} .chart .tick{font-size:10px;fill:#444} .chart .axis{font-size:11px}
        figure{margin:12px 0}
        </style></head><body>
        \(body)
        </body></html>
        """
    }

    /// `.hgrm` files per latency series: name → contents (values in µs).
    public static func hgrm(_ r: RunResult) -> [String: String] {
        var out: [String: String] = [:]
        for s in r.feed?.sides ?? [] { if let sp = s.spectrum { out["feed-\(s.name).hgrm"] = sp.hgrm() } }
        for (name, g) in r.gateway ?? [:] { if let sp = g.spectrum { out["gateway-\(name).hgrm"] = sp.hgrm() } }
        for c in r.compare?.channels ?? [] { if let sp = c.lagSpectrum { out["compare-lag-ch\(c.channel).hgrm"] = sp.hgrm() } }
        for step in r.capacity?.steps ?? [] {
            for s in step.bench.sides { if let sp = s.spectrum { out["capacity-x\(TimeFormat.format(step.speed, 1))-\(s.name).hgrm"] = sp.hgrm() } }
        }
        return out
    }

    /// The run's latency series as an HdrHistogram interval log (format 1.3), readable by HdrHistogram's
    /// own tools: response time (receive − scheduled send) per slice of the schedule, tagged
    /// `feed.<target>` and `gateway.<target>`; platform time, sender lateness and the A/B lag whole, one
    /// line each (`feed.<target>.platform`, `feed.<target>.lateness`, `gateway.<target>.platform`,
    /// `compare.lag.ch<i>`). Nil when no series has a histogram.
    public static func hlog(_ r: RunResult) -> String? {
        var log = HistogramLog(startRealtimeNs: r.started.ns, comment: "[Rehearse \(r.scenario): response time in ns per slice of the schedule]")
        func add(_ tag: String, _ intervals: [IntervalSample]?, _ histogram: (IntervalSample) -> String? = { $0.histogram }) {
            for i in intervals ?? [] {
                guard let text = histogram(i), let interval = HistogramLog.Interval(tag: tag, startNs: i.startNs, lengthNs: i.spanNs, encoded: text)
                else { continue }
                log.intervals.append(interval)
            }
        }
        // Series kept whole only: one line spanning the leg.
        func whole(_ tag: String, _ text: String?, _ length: Int64) {
            guard let text, let interval = HistogramLog.Interval(tag: tag, startNs: 0, lengthNs: max(1, length), encoded: text) else { return }
            log.intervals.append(interval)
        }
        let runLength = max(1, r.finished.ns - r.started.ns)
        for s in r.feed?.sides ?? [] {
            add("feed.\(s.name)", s.intervals)
            // Per slice where the result has them (this version on), else one line for the leg.
            if s.intervals?.contains(where: { $0.platformHistogram != nil }) == true {
                add("feed.\(s.name).platform", s.intervals) { $0.platformHistogram }
                add("feed.\(s.name).lateness", s.intervals) { $0.latenessHistogram }
            } else {
                let length = s.intervals.map { $0.reduce(0) { $0 + $1.spanNs } } ?? runLength
                whole("feed.\(s.name).platform", s.platformHistogram, length)
                whole("feed.\(s.name).lateness", s.latenessHistogram, length)
            }
        }
        for (name, g) in (r.gateway ?? [:]).sorted(by: { $0.key < $1.key }) {
            add("gateway.\(name)", g.intervals)
            whole("gateway.\(name).platform", g.platformHistogram, g.wallNs)
        }
        for c in r.compare?.channels ?? [] { whole("compare.lag.ch\(c.channel)", c.lagHistogram, runLength) }
        return log.intervals.isEmpty ? nil : log.text
    }

    /// The per-interval figures as CSV: seconds from the first deadline, then messages/s per target.
    public static func intervalsCSV(_ r: RunResult) -> String? {
        guard let f = r.feed, f.sides.contains(where: { $0.timeline != nil }) else { return nil }
        let interval = Double(f.sides.compactMap(\.timelineIntervalNs).first ?? 100_000_000)
        let rows = f.sides.map { $0.timeline?.count ?? 0 }.max() ?? 0
        var out = "seconds," + f.sides.map { "\($0.name)_messages_per_second" }.joined(separator: ",") + "\n"
        for i in 0..<rows {
            out += TimeFormat.format(Double(i) * interval / 1e9, 1)
            for s in f.sides {
                let v = i < (s.timeline?.count ?? 0) ? Double(s.timeline![i]) * 1e9 / interval : 0
                out += "," + TimeFormat.format(v, 0)
            }
            out += "\n"
        }
        return out
    }

    /// The capacity curve as CSV.
    public static func capacityCSV(_ c: CapacityResult) -> String {
        var out = "speed,offered_per_second,target,received_per_second,lost,p50_ns,p99_ns,p999_ns,passed\n"
        for s in c.steps {
            for side in s.bench.sides {
                out += "\(s.speed),\(Int(s.offeredPerSecond)),\(side.name),\(side.messagesPerSecond.map { String(Int($0)) } ?? ""),\(side.messagesLost),\(side.latency.p50),\(side.latency.p99),\(side.latency.p999),\(s.passed)\n"
            }
        }
        return out
    }

    /// Writes result.json, report.html, the .hgrm files and the CSVs into `directory`; returns the paths.
    public static func write(_ r: RunResult, to directory: String) throws -> [String] {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var written: [String] = []
        func put(_ name: String, _ text: String) throws {
            let path = directory + "/" + name
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            written.append(path)
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try put("result.json", String(decoding: try encoder.encode(r), as: UTF8.self) + "\n")
        try put("report.html", html(r))
        for (name, text) in hgrm(r).sorted(by: { $0.key < $1.key }) { try put(name, text) }
        if let csv = intervalsCSV(r) { try put("intervals.csv", csv) }
        if let log = hlog(r) { try put("latency.hlog", log) }
        if let c = r.capacity { try put("capacity.csv", capacityCSV(c)) }
        return written
    }
}

import Foundation
import Vocabulary
import Measure

/// A small SVG line/bar chart: axes with ticks, several named series, optional log scales.
struct SVGChart {
    struct Series {
        var name: String
        var points: [(x: Double, y: Double)]
        var color: String
        var bars = false
        /// A dashed line: the test host's figures beside the platforms' solid ones.
        var dashed = false
        /// Points only, no line: events on a time axis.
        var dots = false
    }
    var title: String
    var xLabel: String
    var yLabel: String
    var logX = false
    var logY = false
    var series: [Series] = []
    /// Vertical marker lines (x, label).
    var markers: [(x: Double, label: String)] = []
    /// Horizontal reference lines (y, label): limits, the baseline's level. The y range includes them.
    var levels: [(y: Double, label: String)] = []
    /// Vertical bands (x, low, high, colour): the range a baseline predicts for a figure. The y range
    /// includes them.
    var bands: [(x: Double, low: Double, high: Double, color: String)] = []
    /// Tick labels for the x axis (value → text); default: numbers.
    var xTickText: ((Double) -> String)?
    var yTickText: ((Double) -> String)?
    let width = 720.0, height = 320.0, left = 78.0, right = 20.0, top = 34.0, bottom = 48.0

    static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"]

    /// The chart's SVG; `data-points` on each series path lets a check count what was drawn.
    func svg() -> String {
        let all = series.flatMap(\.points).filter { (!logX || $0.x > 0) && (!logY || $0.y > 0) }
        guard !all.isEmpty else {
            return "<svg class=\"chart\" width=\"\(Int(width))\" height=\"60\" data-series=\"0\"><text x=\"10\" y=\"30\">\(escape(title)): no data</text></svg>"
        }
        // The legend goes in rows above the plot, left to right (never over the curves); the plot starts below it.
        var legend: [(x: Double, row: Int, series: Series)] = []
        var cursor = left, row = 0
        for s in series {
            let w = 32 + Double(s.name.count) * 6.6
            if cursor + w > width - right && cursor > left { row += 1; cursor = left }
            legend.append((cursor, row, s))
            cursor += w
        }
        let legendTop = self.top
        let top = self.top + Double(series.isEmpty ? 0 : row + 1) * 16
        func t(_ v: Double, _ log: Bool) -> Double { log ? log10(v) : v }
        var x0 = all.map { t($0.x, logX) }.min()!, x1 = all.map { t($0.x, logX) }.max()!
        // A band reaching below every plotted value (a wide band's low end can be 0 or less) is drawn
        // open at the lowest plotted value rather than stretching the axis.
        let floorY = all.map(\.y).min()!
        let bands = self.bands.map { (x: $0.x, low: max($0.low, floorY), high: max($0.high, floorY), color: $0.color) }
        let ys = all.map(\.y) + (levels.map(\.y) + bands.flatMap { [$0.low, $0.high] }).filter { !logY || $0 > 0 }
        var y0 = logY ? ys.map { t($0, true) }.min()! : min(0, ys.min()!), y1 = ys.map { t($0, logY) }.max()!
        if x1 == x0 { x0 -= 1; x1 += 1 }
        if series.contains(where: \.bars) { let pad = (x1 - x0) * 0.06; x0 -= pad; x1 += pad }
        if y1 == y0 { y1 = y0 + 1 }
        y1 += (y1 - y0) * 0.05
        if logY { y0 = floor(y0); y1 = ceil(y1) }
        let pw = width - left - right, ph = height - top - bottom
        func px(_ v: Double) -> Double { left + (t(v, logX) - x0) / (x1 - x0) * pw }
        func py(_ v: Double) -> Double { top + ph - (t(v, logY) - y0) / (y1 - y0) * ph }
        var out = "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" data-series=\"\(series.count)\">"
        out += "<text x=\"\(left)\" y=\"20\" class=\"title\">\(escape(title))</text>"
        out += "<rect x=\"\(left)\" y=\"\(top)\" width=\"\(pw)\" height=\"\(ph)\" fill=\"none\" stroke=\"#999\"/>"
        // Ticks: decades on a log axis (when there are at least two), five even steps otherwise.
        func ticks(_ a: Double, _ b: Double, _ log: Bool) -> [Double] {
            if log, b.rounded(.down) - a.rounded(.up) >= 1 {
                return Array(Int(a.rounded(.up))...Int(b.rounded(.down))).map(Double.init)
            }
            return (0...5).map { a + (b - a) * Double($0) / 5 }
        }
        for fx in ticks(x0, x1, logX) {
            let vx = logX ? pow(10, fx) : fx
            let sx = left + (fx - x0) / (x1 - x0) * pw
            out += "<line x1=\"\(f(sx))\" y1=\"\(f(top + ph))\" x2=\"\(f(sx))\" y2=\"\(f(top + ph + 5))\" stroke=\"#999\"/>"
            out += "<text x=\"\(f(sx))\" y=\"\(f(top + ph + 18))\" text-anchor=\"middle\" class=\"tick\">\(escape(xTickText?(vx) ?? number(vx)))</text>"
        }
        for fy in ticks(y0, y1, logY) {
            let vy = logY ? pow(10, fy) : fy
            let sy = top + ph - (fy - y0) / (y1 - y0) * ph
            out += "<line x1=\"\(f(left - 5))\" y1=\"\(f(sy))\" x2=\"\(f(left + pw))\" y2=\"\(f(sy))\" stroke=\"#eee\"/>"
            out += "<text x=\"\(f(left - 8))\" y=\"\(f(sy + 4))\" text-anchor=\"end\" class=\"tick\">\(escape(yTickText?(vy) ?? number(vy)))</text>"
        }
        out += "<text x=\"\(f(left + pw / 2))\" y=\"\(f(height - 8))\" text-anchor=\"middle\" class=\"axis\">\(escape(xLabel))</text>"
        out += "<text x=\"14\" y=\"\(f(top + ph / 2))\" text-anchor=\"middle\" class=\"axis\" transform=\"rotate(-90 14 \(f(top + ph / 2)))\">\(escape(yLabel))</text>"
        for m in markers where (!logX || m.x > 0) {
            let sx = px(m.x)
            out += "<line x1=\"\(f(sx))\" y1=\"\(f(top))\" x2=\"\(f(sx))\" y2=\"\(f(top + ph))\" stroke=\"#555\" stroke-dasharray=\"4 3\"/>"
            out += "<text x=\"\(f(sx + 4))\" y=\"\(f(top + 12))\" class=\"tick\">\(escape(m.label))</text>"
        }
        for l in levels where !logY || l.y > 0 {
            let sy = py(l.y)
            out += "<line class=\"level\" x1=\"\(f(left))\" y1=\"\(f(sy))\" x2=\"\(f(left + pw))\" y2=\"\(f(sy))\" stroke=\"#a50e0e\" stroke-dasharray=\"6 4\"/>"
            // Labelled at the left: latency curves rise to the right.
            out += "<text x=\"\(f(left + 6))\" y=\"\(f(sy - 4))\" class=\"tick\">\(escape(l.label))</text>"
        }
        for b in bands where (!logX || b.x > 0) && (!logY || b.low > 0) {
            let top = py(b.high), bottom = py(b.low)
            out += "<rect class=\"band\" x=\"\(f(px(b.x) - 6))\" y=\"\(f(top))\" width=\"12\" height=\"\(f(max(1, bottom - top)))\" "
                + "fill=\"\(b.color)\" fill-opacity=\"0.25\" stroke=\"\(b.color)\"/>"
        }
        for (i, s) in series.enumerated() {
            let points = s.points.filter { (!logX || $0.x > 0) && (!logY || $0.y > 0) }
            if s.bars {
                let w = max(2, min(pw / Double(max(points.count, 1)) * 0.8, pw / 30))
                out += "<g class=\"series\" data-name=\"\(escape(s.name))\" data-points=\"\(points.count)\">"
                for p in points {
                    let y = py(p.y)
                    out += "<rect x=\"\(f(px(p.x) - w / 2))\" y=\"\(f(y))\" width=\"\(f(w))\" height=\"\(f(max(0, top + ph - y)))\" fill=\"\(s.color)\" opacity=\"0.7\"/>"
                }
                out += "</g>"
            } else if s.dots {
                out += "<g class=\"series\" data-name=\"\(escape(s.name))\" data-points=\"\(points.count)\">"
                for p in points { out += "<circle cx=\"\(f(px(p.x)))\" cy=\"\(f(py(p.y)))\" r=\"5\" fill=\"\(s.color)\" opacity=\"0.85\"/>" }
                out += "</g>"
            } else {
                let d = points.map { "\(f(px($0.x))),\(f(py($0.y)))" }.joined(separator: " ")
                out += "<polyline class=\"series\" data-name=\"\(escape(s.name))\" data-points=\"\(points.count)\" fill=\"none\" stroke=\"\(s.color)\" stroke-width=\"2\"\(s.dashed ? " stroke-dasharray=\"5 3\"" : "") points=\"\(d)\"/>"
            }
            let l = legend[i]
            let baseline = legendTop + Double(l.row) * 16 + 8
            if s.dashed {
                out += "<line class=\"legend\" x1=\"\(f(l.x - 2))\" y1=\"\(f(baseline - 4))\" x2=\"\(f(l.x + 12))\" y2=\"\(f(baseline - 4))\" stroke=\"\(s.color)\" stroke-width=\"2\" stroke-dasharray=\"4 2\"/>"
            } else {
                out += "<rect class=\"legend\" x=\"\(f(l.x))\" y=\"\(f(baseline - 9))\" width=\"10\" height=\"10\" fill=\"\(s.color)\"/>"
            }
            out += "<text x=\"\(f(l.x + 15))\" y=\"\(f(baseline))\" class=\"tick\">\(escape(s.name))</text>"
        }
        return out + "</svg>"
    }

    func f(_ v: Double) -> String { TimeFormat.format(v, 1) }
    func number(_ v: Double) -> String {
        let a = abs(v)
        if a >= 1e6 { return TimeFormat.format(v / 1e6, 1) + "M" }
        if a >= 1e3 { return TimeFormat.format(v / 1e3, 1) + "k" }
        return a >= 10 || v == v.rounded() ? String(Int64(v.rounded())) : TimeFormat.format(v, 2)
    }
}

func escape(_ s: String) -> String {
    s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
        .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
}

/// Durations on axes: 850ns, 12µs, 3.2ms, 1.5s.
func durationTick(_ ns: Double) -> String {
    TimeFormat.duration(Int64(ns.rounded()), trimmed: true)
}

import Vocabulary
import Engines
import Measure

/// Small text helpers for terminal tables (no Foundation formatters: output is the same everywhere).
enum Text {
    /// 1234567 → "1,234,567".
    static func count<T: BinaryInteger>(_ v: T) -> String { NumberText.grouped(v) }

    static func rate(_ v: Double?) -> String {
        guard let v, v.isFinite else { return "-" }
        return count(Int64(v.rounded()))
    }

    static func bytes(_ v: UInt64) -> String {
        let d = Double(v)
        switch v {
        case ..<1_000: return "\(v) B"
        case ..<1_000_000: return TimeFormat.format(d / 1e3, 1) + " kB"
        case ..<1_000_000_000: return TimeFormat.format(d / 1e6, 1) + " MB"
        default: return TimeFormat.format(d / 1e9, 2) + " GB"
        }
    }

    static func bits(_ v: Double?) -> String {
        guard let v, v.isFinite else { return "-" }
        switch v {
        case ..<1e6: return TimeFormat.format(v / 1e3, 1) + " kbit/s"
        case ..<1e9: return TimeFormat.format(v / 1e6, 1) + " Mbit/s"
        default: return TimeFormat.format(v / 1e9, 2) + " Gbit/s"
        }
    }

    /// Pads to `width` (left-aligned text, right-aligned numbers with `right`).
    static func pad(_ s: String, _ width: Int, right: Bool = false) -> String {
        let n = s.count
        guard n < width else { return s }
        let fill = String(repeating: " ", count: width - n)
        return right ? fill + s : s + fill
    }

    /// Renders rows as aligned columns; columns listed in `numeric` are right-aligned.
    static func table(_ header: [String], _ rows: [[String]], numeric: Set<Int>) -> String {
        var widths = header.map(\.count)
        for row in rows { for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.count) } }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { pad($0.element, widths[$0.offset], right: numeric.contains($0.offset)) }
                .joined(separator: "  ")
        }
        return ([line(header)] + rows.map(line)).map { "  " + $0.trimmingTrailingSpaces }.joined(separator: "\n")
    }
}

extension String {
    var trimmingTrailingSpaces: String {
        var s = Substring(self)
        while s.last == " " { s.removeLast() }
        return String(s)
    }
}

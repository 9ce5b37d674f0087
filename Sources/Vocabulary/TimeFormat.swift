/// Formats integer nanoseconds since 1970 as ISO-8601 UTC with all nine fraction digits
/// (`2026-11-25T12:00:00.123456789Z`), exactly, without floating point or Foundation.
public enum TimeFormat {
    public static func iso8601(_ nanoseconds: Int64) -> String {
        var seconds = nanoseconds / 1_000_000_000
        var fraction = nanoseconds % 1_000_000_000
        if fraction < 0 { fraction += 1_000_000_000; seconds -= 1 }
        var days = seconds / 86_400
        var secondOfDay = seconds % 86_400
        if secondOfDay < 0 { secondOfDay += 86_400; days -= 1 }
        // Howard Hinnant's civil_from_days.
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        var year = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        if month <= 2 { year += 1 }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(secondOfDay / 3600, 2)):\(pad(secondOfDay / 60 % 60, 2)):\(pad(secondOfDay % 60, 2)).\(pad(fraction, 9))Z"
    }

    /// A duration in nanoseconds for people — the one duration text of Rehearse, in tables, messages,
    /// progress lines and chart axes alike: 850 ns, 12.4 µs, 3.21 ms, 1.50 s (about three significant
    /// digits), then 2 min 05 s and 1 h 02 min; signed. `trimmed` drops trailing zeros (1 s, 2.5 ms,
    /// 10 µs), for axis ticks and round settings.
    public static func duration<T: BinaryInteger>(_ nanoseconds: T, trimmed: Bool = false) -> String {
        let v = Double(nanoseconds)
        let magnitude = abs(v), sign = v < 0 ? "-" : ""
        func number(_ x: Double, _ digits: Int) -> String {
            var t = format(x, digits)
            if trimmed && t.contains(".") {
                while t.hasSuffix("0") { t.removeLast() }
                if t.hasSuffix(".") { t.removeLast() }
            }
            return t
        }
        // Each unit ends where its rounded figure would read 1000 (999,996 ns is 1.00 ms, not 1000.0 µs).
        switch magnitude {
        case ..<999.5: return sign + number(magnitude, 0) + " ns"
        case ..<999_950: return sign + number(magnitude / 1e3, 1) + " µs"
        case ..<999_995_000: return sign + number(magnitude / 1e6, 2) + " ms"
        case ..<59.995e9: return sign + number(magnitude / 1e9, 2) + " s"
        case ..<3600e9:
            let seconds = Int64((magnitude / 1e9).rounded())
            return sign + "\(seconds / 60) min " + pad(seconds % 60, 2) + " s"
        default:
            let minutes = Int64((magnitude / 60e9).rounded())
            return sign + "\(minutes / 60) h " + pad(minutes % 60, 2) + " min"
        }
    }

    /// `v` in decimal, zero-padded to `width` digits.
    static func pad(_ v: Int64, _ width: Int) -> String {
        let s = String(v)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }

    /// Fixed-point text with `digits` decimals (no Foundation).
    public static func format(_ value: Double, _ digits: Int) -> String {
        guard value.isFinite else { return "-" }
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let scaled = (abs(value) * scale).rounded()
        guard scaled < 9e18 else { return String(value) }
        let whole = Int64(scaled) / Int64(scale)
        let fraction = Int64(scaled) % Int64(scale)
        var text = (value < 0 && scaled > 0 ? "-" : "") + String(whole)
        if digits > 0 {
            let f = String(fraction)
            text += "." + String(repeating: "0", count: digits - f.count) + f
        }
        return text
    }
}

/// Counts for people, the same in every table and message: 1234567 → "1,234,567".
public enum NumberText {
    public static func grouped<T: BinaryInteger>(_ v: T) -> String {
        let digits = String(v.magnitude)
        var out = v < 0 ? "-" : ""
        for (i, ch) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(ch)
        }
        return out
    }

    /// Rounded to a whole number first; "-" when not finite.
    public static func grouped(_ v: Double) -> String {
        guard v.isFinite, abs(v) < 9e18 else { return "-" }
        return grouped(Int64(v.rounded()))
    }
}

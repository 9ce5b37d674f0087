/// Durations written by people: in scenario files, options and fault specifications.
extension Duration {
    /// Parses `10s`, `150ms`, `40us`, `500ns`, `2m`, `1h` or a bare number of seconds into nanoseconds.
    public static func parseNanoseconds(_ text: String) -> Int64? {
        let units: [(String, Double)] = [("ns", 1), ("us", 1e3), ("µs", 1e3), ("ms", 1e6), ("s", 1e9), ("m", 60e9), ("h", 3600e9)]
        for (suffix, scale) in units where text.hasSuffix(suffix) {
            guard let v = Double(text.dropLast(suffix.count)), v.isFinite, v >= 0, v * scale < 9e18 else { return nil }
            return Int64((v * scale).rounded())
        }
        guard let v = Double(text), v.isFinite, v >= 0, v * 1e9 < 9e18 else { return nil }
        return Int64((v * 1e9).rounded())
    }
}

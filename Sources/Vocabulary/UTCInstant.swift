/// An instant written in ISO 8601 UTC — `2026-12-02T15:30:00Z`, with up to nine fraction digits
/// (`…:00.250Z`), `+00:00` for `Z` — read exactly, as ns since 1970 (no calendar library, no
/// local time zone: an agreed start is the same instant on every host).
public enum UTCInstant {
    /// ns since 1970; nil for anything else (another offset, a field out of range).
    public static func parse(_ text: String) -> Int64? {
        var s = Substring(text)
        if s.hasSuffix("Z") || s.hasSuffix("z") { s = s.dropLast() } else if s.hasSuffix("+00:00") { s = s.dropLast(6) } else { return nil }
        let parts = s.split(separator: "T", omittingEmptySubsequences: false)
        guard parts.count == 2 else { return nil }
        let date = parts[0].split(separator: "-", omittingEmptySubsequences: false)
        let time = parts[1].split(separator: ":", omittingEmptySubsequences: false)
        guard date.count == 3, time.count == 3, date[0].count == 4, date[1].count == 2, date[2].count == 2,
              time[0].count == 2, time[1].count == 2,
              let year = Int(date[0]), let month = Int(date[1]), let day = Int(date[2]),
              let hour = Int(time[0]), let minute = Int(time[1]) else { return nil }
        let secondParts = time[2].split(separator: ".", omittingEmptySubsequences: false)
        guard secondParts.count <= 2, secondParts[0].count == 2, let second = Int(secondParts[0]) else { return nil }
        var fraction: Int64 = 0
        if secondParts.count == 2 {
            let digits = secondParts[1]
            guard (1...9).contains(digits.count), digits.allSatisfy(\.isASCIIDigit), let f = Int64(digits) else { return nil }
            fraction = f
            for _ in digits.count..<9 { fraction *= 10 }
        }
        guard (1970...2261).contains(year), (1...12).contains(month), (1...daysIn(month, year)).contains(day),
              (0...23).contains(hour), (0...59).contains(minute), (0...59).contains(second) else { return nil }
        let days = Int64(daysFromCivil(year, month, day))
        return ((days * 24 + Int64(hour)) * 60 + Int64(minute)) * 60_000_000_000 + Int64(second) * 1_000_000_000 + fraction
    }

    static func daysIn(_ month: Int, _ year: Int) -> Int {
        switch month {
        case 2: return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
    static func daysFromCivil(_ y0: Int, _ m: Int, _ d: Int) -> Int {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}

import Vocabulary
/// Converts a raw capture timestamp to integer nanoseconds since 1970-01-01 UTC, exactly.
///
/// pcapng's `if_tsresol` is a power of 10 (`10^-n` s) or, with the top bit set, a power of 2
/// (`2^-n` s). Resolutions of a nanosecond or coarser convert exactly; finer decimal ones truncate
/// toward zero (the only exact integer nanosecond answer there is). Power-of-2 fractions are
/// converted with a 128-bit product, so nothing overflows before the final range check.
/// `if_tsoffset` (whole seconds) is added after conversion.
public struct TimestampScale: Sendable, Equatable {
    @usableFromInline enum Rule: Sendable, Equatable {
        case multiply(Int64)
        case divide(UInt64)
        case binary(shift: Int)
    }
    @usableFromInline let rule: Rule
    @usableFromInline let offsetNanos: Int64

    /// pcapng's default: microseconds.
    public static let microseconds = TimestampScale(rule: .multiply(1000), offsetNanos: 0)
    public static let nanoseconds = TimestampScale(rule: .multiply(1), offsetNanos: 0)

    @usableFromInline init(rule: Rule, offsetNanos: Int64) {
        self.rule = rule
        self.offsetNanos = offsetNanos
    }

    /// Builds the scale for an `if_tsresol` byte and an `if_tsoffset` in seconds.
    /// Returns nil for a resolution that cannot be represented (10^-n with n > 19, 2^-n with n > 63)
    /// or an offset beyond the nanosecond range.
    public init?(tsresol: UInt8, offsetSeconds: Int64 = 0) {
        let n = Int(tsresol & 0x7f)
        let rule: Rule
        if tsresol & 0x80 == 0 {
            guard n <= 19 else { return nil }
            if n <= 9 {
                var m: Int64 = 1
                for _ in 0..<(9 - n) { m *= 10 }
                rule = .multiply(m)
            } else {
                var d: UInt64 = 1
                for _ in 0..<(n - 9) { d *= 10 }
                rule = .divide(d)
            }
        } else {
            guard n <= 63 else { return nil }
            rule = .binary(shift: n)
        }
        let (offset, overflow) = offsetSeconds.multipliedReportingOverflow(by: 1_000_000_000)
        guard !overflow else { return nil }
        self.init(rule: rule, offsetNanos: offset)
    }

    /// The timestamp in nanoseconds since 1970, or nil when it does not fit in Int64.
    @inlinable
    public func nanoseconds(_ raw: UInt64) -> Int64? {
        let base: Int64
        switch rule {
        case .multiply(let m):
            guard raw <= UInt64(Int64.max) else { return nil }
            let (v, o) = Int64(raw).multipliedReportingOverflow(by: m)
            if o { return nil }
            base = v
        case .divide(let d):
            base = Int64(raw / d)  // raw / d ≤ UInt64.max / 10 < Int64.max
        case .binary(let shift):
            let seconds = shift == 0 ? raw : raw >> UInt64(shift)
            let fraction = shift == 0 ? 0 : raw & ((1 << UInt64(shift)) - 1)
            guard seconds <= UInt64(Int64.max) else { return nil }
            let (s, o) = Int64(seconds).multipliedReportingOverflow(by: 1_000_000_000)
            if o { return nil }
            let product = fraction.multipliedFullWidth(by: 1_000_000_000)
            // (high:low) >> shift; the result is < 1e9 because fraction < 2^shift.
            let frac: UInt64 = shift == 0 ? 0 : (product.high << UInt64(64 - shift)) | (product.low >> UInt64(shift))
            let (t, o2) = s.addingReportingOverflow(Int64(frac))
            if o2 { return nil }
            base = t
        }
        let (t, o) = base.addingReportingOverflow(offsetNanos)
        return o ? nil : t
    }
}

import TestSupport
import Vocabulary
import Capture
import Testing

@Suite("Timestamp conversion to integer nanoseconds")
struct TimestampScaleTests {
    @Test("powers of ten: exact at or above a nanosecond, truncated below", arguments: 0...19)
    func decimal(n: Int) throws {
        let scale = try #require(TimestampScale(tsresol: UInt8(n)))
        let raw: UInt64 = 1_234_567
        var expected: Int64
        if n <= 9 {
            var m: Int64 = 1
            for _ in 0..<(9 - n) { m *= 10 }
            expected = Int64(raw) * m
        } else {
            var d: UInt64 = 1
            for _ in 0..<(n - 9) { d *= 10 }
            expected = Int64(raw / d)
        }
        #expect(scale.nanoseconds(raw) == expected)
    }

    @Test("powers of two, checked against 128-bit arithmetic", arguments: [0, 1, 10, 20, 29, 30, 31, 32, 40, 63])
    func binary(n: Int) throws {
        let scale = try #require(TimestampScale(tsresol: 0x80 | UInt8(n)))
        for raw: UInt64 in [0, 1, 12_345, 1 << 40, (1 << 62) + 12_345] {
            let seconds = n == 0 ? raw : raw >> UInt64(n)
            let fraction = n == 0 ? 0 : raw & ((1 << UInt64(n)) - 1)
            let product = fraction.multipliedFullWidth(by: 1_000_000_000)
            let frac = n == 0 ? 0 : (UInt64(1) << UInt64(n)).dividingFullWidth(product).quotient
            let (ns, overflow) = Int64(clamping: seconds).multipliedReportingOverflow(by: 1_000_000_000)
            let expected: Int64? = seconds > UInt64(Int64.max) || overflow ? nil : ns + Int64(frac)
            #expect(scale.nanoseconds(raw) == expected)
        }
    }

    @Test("unrepresentable resolutions and overflow give nil, never a trap")
    func limits() {
        #expect(TimestampScale(tsresol: 20) == nil)
        #expect(TimestampScale(tsresol: 0x80 | 64) == nil)
        #expect(TimestampScale(tsresol: 9, offsetSeconds: .max) == nil)
        #expect(TimestampScale.nanoseconds.nanoseconds(UInt64.max) == nil)
        #expect(TimestampScale(tsresol: 0)!.nanoseconds(UInt64(Int64.max / 1_000_000_000) + 1) == nil)
        #expect(TimestampScale(tsresol: 9, offsetSeconds: 10)!.nanoseconds(5) == 10_000_000_005)
        #expect(TimestampScale(tsresol: 9, offsetSeconds: -1)!.nanoseconds(5) == -999_999_995)
        #expect(TimestampScale(tsresol: 9, offsetSeconds: 9_000_000_000)!.nanoseconds(UInt64(Int64.max)) == nil)
    }
}

import Testing
import TestSupport
import Vocabulary
@testable import Replay

@Suite struct ScheduleTests {
    @Test func speedScalesCaptureTimeExactly() throws {
        let s = try #require(Schedule(.speed(1.5), captureSpan: 3_000_000_000, packets: 4))
        #expect(s.offset(captureOffset: 0, loop: 0, index: 0, bytesBefore: 0) == 0)
        #expect(s.offset(captureOffset: 1_500_000_000, loop: 0, index: 1, bytesBefore: 0) == 1_000_000_000)
        #expect(s.offset(captureOffset: 3, loop: 0, index: 2, bytesBefore: 0) == 2)  // 3 / 1.5
        #expect(s.offset(captureOffset: -5, loop: 0, index: 0, bytesBefore: 0) == 0)
        // Loop 1 starts one period (span + average gap 1 s) later: (4 s + 0) / 1.5.
        #expect(s.offset(captureOffset: 0, loop: 1, index: 4, bytesBefore: 0) == 2_666_666_666)
        #expect(s.scaledSpan(loops: 1, packets: 4, bytes: 0) == 2_000_000_000)
        #expect(s.scaledSpan(loops: 2, packets: 4, bytes: 0) == 4_666_666_666)
    }

    @Test func thirtyDaysOfCaptureAtOddSpeedsDoNotDrift() throws {
        let thirtyDays: Int64 = 30 * 86_400 * 1_000_000_000
        let s = try #require(Schedule(.speed(3), captureSpan: thirtyDays, packets: 1_000))
        // Exact integer division at the very end: no floating-point rounding.
        #expect(s.offset(captureOffset: thirtyDays, loop: 0, index: 0, bytesBefore: 0) == thirtyDays / 3)
        let x1 = try #require(Schedule(.speed(1), captureSpan: thirtyDays))
        #expect(x1.offset(captureOffset: thirtyDays - 1, loop: 0, index: 0, bytesBefore: 0) == thirtyDays - 1)
        // 0.1 is not exact in binary; the schedule is still exactly ten times the capture time.
        let slow = try #require(Schedule(.speed(0.1), captureSpan: thirtyDays))
        #expect(slow.offset(captureOffset: thirtyDays, loop: 0, index: 0, bytesBefore: 0) == thirtyDays * 10)
        // Many loops of a 30-day capture: still exact, and saturation (never a wrap) far beyond.
        #expect(x1.offset(captureOffset: 7, loop: 100, index: 0, bytesBefore: 0) == 100 * x1.loopPeriod.asInt64 + 7)
        #expect(x1.offset(captureOffset: 7, loop: UInt64.max / 2, index: 0, bytesBefore: 0) == .max)
    }

    @Test func tenBillionPacketsAtAFixedRate() throws {
        let s = try #require(Schedule(.packetsPerSecond(200_000)))
        #expect(s.offset(captureOffset: 0, loop: 0, index: 1, bytesBefore: 0) == 5_000)
        // 10^10 packets at 200 k/s = 50 000 s, to the nanosecond.
        #expect(s.offset(captureOffset: 0, loop: 0, index: 10_000_000_000, bytesBefore: 0) == 50_000_000_000_000)
        // A rate that does not divide 1e9: floor of the exact value, each deadline from the start.
        let odd = try #require(Schedule(.packetsPerSecond(3)))
        #expect(odd.offset(captureOffset: 0, loop: 0, index: 1, bytesBefore: 0) == 333_333_333)
        #expect(odd.offset(captureOffset: 0, loop: 0, index: 3_000_000_000, bytesBefore: 0) == 1_000_000_000_000_000_000)
        // Beyond Int64: saturates instead of trapping or wrapping.
        let tiny = try #require(Schedule(.packetsPerSecond(0.001)))
        #expect(tiny.offset(captureOffset: 0, loop: 0, index: UInt64.max, bytesBefore: 0) == .max)
    }

    @Test func bitRate() throws {
        let s = try #require(Schedule(.megabitsPerSecond(8)))  // 1 byte per µs
        #expect(s.offset(captureOffset: 0, loop: 0, index: 0, bytesBefore: 1_000) == 1_000_000)
        #expect(s.offset(captureOffset: 0, loop: 0, index: 0, bytesBefore: 1 << 60) == .max)
        #expect(s.scaledSpan(loops: 2, packets: 10, bytes: 500) == 1_000_000)
    }

    @Test func maximumAndInvalidRates() {
        #expect(Schedule(.maximum)?.offset(captureOffset: 99, loop: 3, index: 5, bytesBefore: 7) == 0)
        #expect(Schedule(.speed(0)) == nil)
        #expect(Schedule(.speed(-1)) == nil)
        #expect(Schedule(.speed(.nan)) == nil)
        #expect(Schedule(.speed(.infinity)) == nil)
        #expect(Schedule(.packetsPerSecond(0)) == nil)
        #expect(Schedule(.megabitsPerSecond(-3)) == nil)
    }
}

extension UInt64 { var asInt64: Int64 { Int64(self) } }

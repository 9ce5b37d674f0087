import Vocabulary
import Measure
@testable import Engines
import Testing

@Suite("Peak rate windows")
struct RateWindowsTests {
    /// Reference: bucket every packet by floor(t / size) and take the busiest bucket.
    func naivePeak(_ events: [(Int64, Int)], size: Int64) -> (UInt64, UInt64) {
        var counts: [Int64: UInt64] = [:], bytes: [Int64: UInt64] = [:]
        for (t, b) in events {
            let k = t >= 0 ? t / size : (t - size + 1) / size
            counts[k, default: 0] += 1
            bytes[k, default: 0] += UInt64(b)
        }
        return (counts.values.max() ?? 0, bytes.values.max() ?? 0)
    }

    @Test("nested windows equal a direct count for every window size", arguments: [1, 2, 3, 4, 5])
    func matchesNaive(seed: UInt64) {
        var state = seed &* 0x9E37_79B9_7F4A_7C15
        func next() -> UInt64 { state ^= state << 13; state ^= state >> 7; state ^= state << 17; return state }
        var t: Int64 = 1_767_575_700_000_000_000 + Int64(next() % 1_000_000_000)
        var events: [(Int64, Int)] = []
        for _ in 0..<20_000 {
            // Bursts (sub-µs gaps) and pauses (up to 1.5 s) so every window size has a distinct peak.
            let r = next() % 100
            t += r < 70 ? Int64(next() % 500) : (r < 99 ? Int64(next() % 2_000_000) : Int64(next() % 1_500_000_000))
            events.append((t, 60 + Int(next() % 1400)))
        }
        var w = RateWindows()
        for (t, b) in events { w.add(t, bytes: b) }
        w.close()
        for window in w.all {
            let (count, bytes) = naivePeak(events, size: window.size)
            #expect(window.peakCount == count, "window \(window.size)")
            #expect(window.peakBytes == bytes, "window \(window.size)")
        }
        #expect(w.second.peakPacketsPerSecond == Double(w.second.peakCount))
        #expect(w.millisecond.peakPacketsPerSecond == Double(w.millisecond.peakCount) * 1000)
    }

    @Test("peak window start is aligned and reported")
    func start() {
        var w = RateWindows()
        for i in 0..<10 { w.add(5_000_000_000 + Int64(i), bytes: 1) }
        w.add(7_500_000_000, bytes: 1)
        w.close()
        #expect(w.second.peakCount == 10 && w.second.peakCountStart == 5_000_000_000)
        #expect(w.millisecond.peakCountStart == 5_000_000_000)
    }
}

@Suite("Time formatting")
struct TimeFormatTests {
    @Test("ISO-8601 with nanoseconds, exact") func iso() {
        #expect(TimeFormat.iso8601(0) == "1970-01-01T00:00:00.000000000Z")
        #expect(TimeFormat.iso8601(1_767_575_700_123_456_789) == "2026-01-05T01:15:00.123456789Z")
        #expect(TimeFormat.iso8601(951_782_400_000_000_001) == "2000-02-29T00:00:00.000000001Z")
        #expect(TimeFormat.iso8601(-1) == "1969-12-31T23:59:59.999999999Z")
        #expect(TimeFormat.iso8601(4_102_444_800_000_000_000) == "2100-01-01T00:00:00.000000000Z")
    }
}

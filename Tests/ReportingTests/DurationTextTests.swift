import Testing
import Vocabulary

@Suite("the one duration text")
struct DurationTextTests {
    @Test("three significant digits in the unit its rounded figure fits, minutes and hours past a minute, signed, trimmed for ticks")
    func units() {
        let cases: [(Int64, String)] = [
            (0, "0 ns"), (850, "850 ns"), (999, "999 ns"), (1_000, "1.0 µs"), (12_400, "12.4 µs"), (999_949, "999.9 µs"),
            (999_950, "1.00 ms"), (3_210_000, "3.21 ms"), (999_994_999, "999.99 ms"), (999_995_000, "1.00 s"),
            (1_500_000_000, "1.50 s"), (59_994_000_000, "59.99 s"), (59_995_000_000, "1 min 00 s"), (65_000_000_000, "1 min 05 s"),
            (3_725_000_000_000, "1 h 02 min"), (-1_500, "-1.5 µs"), (-65_000_000_000, "-1 min 05 s"),
        ]
        for (ns, text) in cases { #expect(TimeFormat.duration(ns) == text, "\(ns)") }
        #expect(TimeFormat.duration(10_000_000_000, trimmed: true) == "10 s")
        #expect(TimeFormat.duration(2_500_000, trimmed: true) == "2.5 ms")
        #expect(TimeFormat.duration(10_000, trimmed: true) == "10 µs")
        #expect(TimeFormat.duration(500, trimmed: true) == "500 ns")
    }
}

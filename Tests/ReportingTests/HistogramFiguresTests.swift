import Histogram
import Testing
import Vocabulary

@Suite("Histogram figures computed here equal HdrHistogram's own, to the bit")
struct HistogramFiguresTests {
    /// The V2 payload as the library's layout gives it, bucket by bucket (`countForValue` at every
    /// index up to the highest recorded): the reference the iterator-walking encoder must match.
    func referenceEncoding(_ h: LatencyHistogram) -> [UInt8] {
        var counts: [UInt64] = []
        var value: UInt64 = 0
        if h.totalCount > 0 {
            while true {
                counts.append(h.countForValue(value))
                if h.valuesAreEquivalent(value, h.maxRecorded) { break }
                value = h.nextNonEquivalentForValue(value)
            }
        }
        var payload: [UInt8] = []
        func zigzag(_ n: Int64) {
            var z = UInt64(bitPattern: (n << 1) ^ (n >> 63))
            while z >= 0x80 { payload.append(UInt8(z & 0x7F) | 0x80); z >>= 7 }
            payload.append(UInt8(z))
        }
        var i = 0
        while i < counts.count {
            if counts[i] == 0 {
                var run = 0
                while i < counts.count && counts[i] == 0 { run += 1; i += 1 }
                zigzag(run > 1 ? -Int64(run) : 0)
            } else {
                zigzag(Int64(counts[i]))
                i += 1
            }
        }
        return payload
    }

    /// Histograms of many shapes: empty, one value, zeros, narrow and wide spreads, the ceiling, huge counts.
    func histograms() -> [LatencyHistogram] {
        var out: [LatencyHistogram] = [LatencyHistogram.latency()]
        var x: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> UInt64 { x = x &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407; return x >> 33 }
        for shape in 0..<60 {
            var h = LatencyHistogram.latency()
            let n = shape % 5 == 0 ? 1 : Int(next() % 3_000) + 1
            let scale: UInt64 = [1, 100, 20_000, 5_000_000, 3_000_000_000, 3_600_000_000_000][shape % 6]
            for _ in 0..<n {
                let v = shape % 7 == 0 ? UInt64(0) : next() % scale
                _ = h.record(v, count: shape % 11 == 0 ? next() % 1_000_000 + 1 : 1)
            }
            if shape % 13 == 0 { _ = h.record(LatencyHistogram.latencyCeiling) }
            out.append(h)
        }
        return out
    }

    @Test("value at every percentile, mean, standard deviation and the V2 encoding, over 61 histograms")
    func sameFigures() throws {
        let percentiles = [0.0, 0.1, 1, 10, 25, 33.3, 50, 75, 90, 99, 99.9, 99.99, 99.999, 100]
        for (k, h) in histograms().enumerated() {
            for p in percentiles {
                #expect(h.value(atPercentile: p) == h.valueAtPercentile(p), "histogram \(k), p\(p)")
            }
            #expect(h.meanValue == (h.totalCount == 0 ? 0 : h.mean), "histogram \(k)")
            #expect(h.standardDeviation == (h.totalCount == 0 ? 0 : h.stdDeviation), "histogram \(k)")
            #expect(Array(h.encodedV2().dropFirst(40)) == referenceEncoding(h), "histogram \(k)")
            let summary = LatencySummary(h)
            #expect(summary.p99 == h.valueAtPercentile(99) && summary.mean == (h.totalCount == 0 ? 0 : h.mean))
        }
    }

    @Test("figures from the sorted values equal the histogram's: summary, spectrum (every point), V2 encoding, the value at every rank")
    func fromValues() {
        var x: UInt64 = 0x2545_F491_4F6C_DD1D
        func next() -> UInt64 { x = x &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407; return x >> 33 }
        for shape in 0..<300 {
            let n = shape % 17 == 0 ? 0 : (shape % 5 == 0 ? 1 : Int(next() % 2_000) + 1)
            let scale: UInt64 = [2, 100, 2_048, 20_000, 5_000_000, 3_000_000_000, 3_600_000_000_001][shape % 7]
            var values: [UInt64] = (0..<n).map { _ in min(shape % 9 == 0 ? next() % 3 : next() % scale, LatencyHistogram.latencyCeiling) }
            if shape % 4 == 0 { values += Array(repeating: values.first ?? 7, count: Int(next() % 50)) }
            values.sort()
            var h = LatencyHistogram.latency()
            for v in values { h.recordLatency(v) }
            let fromHistogram = LatencyFigures(h), fromValues = LatencyFigures(sortedValues: values)
            #expect(fromValues.summary == fromHistogram.summary, "shape \(shape)")
            #expect(fromValues.spectrum == fromHistogram.spectrum, "shape \(shape)")
            #expect(fromValues.base64V2Compressed == fromHistogram.base64V2Compressed, "shape \(shape)")
            for rank in [1, 2, values.count / 2, values.count - 1, values.count, values.count + 1] where rank >= 1 {
                #expect(LatencyFigures.value(atRank: rank, sortedValues: values[...]) == h.value(atRank: UInt64(rank)), "shape \(shape) rank \(rank)")
            }
        }
    }

    @Test("a day of messages an hour late is summarised (the library's iterators keep value × count in 64 bits and trap past 1.8 × 10¹⁹)")
    func noOverflow() {
        var h = LatencyHistogram.latency()
        _ = h.record(LatencyHistogram.latencyCeiling, count: 100_000_000)
        _ = h.record(1_000, count: 100_000_000)
        let s = LatencySummary(h), spectrum = PercentileSpectrum(h)
        #expect(s.count == 200_000_000 && s.p50 < 1_002 && h.valuesAreEquivalent(s.p99, LatencyHistogram.latencyCeiling))
        #expect(abs(s.mean - Double(LatencyHistogram.latencyCeiling) / 2) < 1e9 && spectrum.points.last?.percentile == 100)
        #expect(h.value(atRank: 100_000_001) == s.p99 && !h.encodedV2().isEmpty)
    }

    @Test("the value at a rank is the rank-th smallest recorded value at the histogram's precision")
    func rank() {
        var h = LatencyHistogram.latency()
        for v: UInt64 in [5, 7, 7, 1_000_003, 20] { h.recordLatency(v) }
        #expect(h.value(atRank: 1) == 5 && h.value(atRank: 2) == 7 && h.value(atRank: 3) == 7 && h.value(atRank: 4) == 20)
        #expect(h.valuesAreEquivalent(h.value(atRank: 5), 1_000_003) && h.value(atRank: 6) == 0)
    }
}

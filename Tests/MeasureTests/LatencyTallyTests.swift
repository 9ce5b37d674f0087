import Foundation
import Histogram
import Testing
import Vocabulary

@Suite("LatencyTally: a latency histogram's buckets counted without its bookkeeping")
struct LatencyTallyTests {
    @Test("values of every magnitude (0, bucket edges, powers of two ± 1, the ceiling and past it, random) give the histogram that recording each would: counts, total, minimum, maximum, percentiles and encoding")
    func sameHistogram() {
        var values: [UInt64] = [0, 1, 2, 1023, 1024, 2047, 2048, 2049, 4095, 4096, 4097, 1_000_003, LatencyHistogram.latencyCeiling,
                                LatencyHistogram.latencyCeiling + 1, .max]
        for shift in 0..<63 { values += [UInt64(1) << shift, (UInt64(1) << shift) &- 1, (UInt64(1) << shift) + 1] }
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for _ in 0..<20_000 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            values.append(state >> (state % 40 + 20))
        }
        for set in [values, Array(values.prefix(3)), [7], [0, 0], Array(values.suffix(100))] {
            var direct = LatencyHistogram.latency()
            let tally = LatencyTally()
            for v in set {
                direct.recordLatency(v)
                tally.record(v)
            }
            var made = LatencyHistogram.latency()
            tally.add(to: &made)
            #expect(made.totalCount == direct.totalCount && tally.total == UInt64(set.count))
            #expect(made.min == direct.min && made.max == direct.max && made.maxRecorded == direct.maxRecorded, "\(set.prefix(4))")
            for p in [0.0, 1, 25, 50, 90, 99, 99.9, 99.99, 100] {
                #expect(made.valueAtPercentile(p) == direct.valueAtPercentile(p), "p\(p)")
            }
            #expect(made.base64V2Compressed == direct.base64V2Compressed)
        }
    }
}

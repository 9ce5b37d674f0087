@testable import Measure
import Testing
import Vocabulary

@Suite("A channel's lag figures: kept values and histograms agree")
struct PairWalkTests {
    /// Lines A and B of one channel: `count` messages, B's arrival `differences(i)` ns after A's,
    /// paired through a window whose horizon covers every difference.
    func walk(_ count: Int, rawLimit: Int, _ difference: (Int) -> Int64) -> PairWalk {
        var limits = PairingLimits()
        limits.horizon = .max / 4
        var pairing = ChannelPairing(tenthStart: 0, tenthSpan: Int64(count) * 100_000 + 1, limits: limits)
        pairing.walk.rawLimit = rawLimit
        for i in 0..<count {
            let t = Int64(i) * 1_000_000
            _ = pairing.record(side: 0, epoch: 0, UInt32(i + 1), time: t, hash: UInt64(i))
            _ = pairing.record(side: 1, epoch: 0, UInt32(i + 1), time: t + difference(i), hash: UInt64(i))
        }
        _ = pairing.finish()
        return pairing.walk
    }

    @Test("the same summary, spectrum, histogram and median difference whether a channel's lags stay values or spill into histograms",
          arguments: [0, 1, 2, 7, 500])
    func sameEitherWay(seed: Int) {
        var x = UInt64(seed) &+ 0x9E37_79B9
        func next() -> UInt64 { x = x &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407; return x >> 33 }
        let count = seed == 0 ? 1 : 300 + seed
        // Mostly B behind by 5–60 µs; every few messages B ahead; now and then a lag beyond the hour.
        let differences: [Int64] = (0..<count).map { i in
            let v = Int64(next() % 55_000) + 5_000
            return i % (seed + 3) == 0 ? -v : (i % 97 == 96 ? 4_000_000_000_000 : v)
        }
        var kept = walk(count, rawLimit: 1_000_000) { differences[$0] }
        // Spilled at once (one difference per batch), or in batches of 100 with a part-batch left at the end.
        var spilled = walk(count, rawLimit: seed % 2 == 0 ? 0 : 100) { differences[$0] }
        #expect(kept.bLater == nil && spilled.bLater != nil)
        let k = kept.figures(), s = spilled.figures()
        #expect(k.lag.summary == s.lag.summary && k.lag.spectrum == s.lag.spectrum && k.lag.base64V2Compressed == s.lag.base64V2Compressed)
        #expect(k.medianBMinusA == s.medianBMinusA, "\(k.medianBMinusA) vs \(s.medianBMinusA)")
        // The median difference is a value of the middle difference's bucket, signed.
        let middle = differences.sorted()[max(0, (count + 1) / 2 - 1)]
        #expect(abs(Double(k.medianBMinusA - middle)) <= Double(middle.magnitude) / 500 + 1, "\(k.medianBMinusA) vs \(middle)")
    }
}

#if canImport(Glibc)
import Glibc
#endif

/// The statistics behind a baseline verdict: a rank test that does not assume normality and a
/// bootstrap interval of the change in medians (docs/measurement.md, "Verdicts are statistics").
public enum SampleStatistics {
    /// The median of `values` (nil when empty).
    public static func median(_ values: [Double]) -> Double? {
        guard !values.isEmpty else { return nil }
        let s = values.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }

    /// Two-sided p-value of the Mann–Whitney U test that `a` and `b` come from the same distribution
    /// (normal approximation with the tie correction and a continuity correction; fine from about 5
    /// samples a side). 1 when either side is empty or every value is tied.
    public static func mannWhitneyP(_ a: [Double], _ b: [Double]) -> Double {
        let n1 = Double(a.count), n2 = Double(b.count)
        guard n1 > 0, n2 > 0 else { return 1 }
        var all = a.map { ($0, 0) } + b.map { ($0, 1) }
        all.sort { $0.0 < $1.0 }
        var rankSumA = 0.0, tieTerm = 0.0
        var i = 0
        while i < all.count {
            var j = i
            while j + 1 < all.count && all[j + 1].0 == all[i].0 { j += 1 }
            let rank = Double(i + j) / 2 + 1
            let t = Double(j - i + 1)
            if t > 1 { tieTerm += t * t * t - t }
            for k in i...j where all[k].1 == 0 { rankSumA += rank }
            i = j + 1
        }
        let u = rankSumA - n1 * (n1 + 1) / 2
        let mean = n1 * n2 / 2
        let n = n1 + n2
        let variance = n1 * n2 / 12 * ((n + 1) - tieTerm / (n * (n - 1)))
        guard variance > 0 else { return 1 }
        let z = max(0, abs(u - mean) - 0.5) / variance.squareRoot()
        return min(1, erfc(z / 2.0.squareRoot()))
    }

    /// The prediction interval of one more value drawn like `values` (Student's t: mean ±
    /// t(1 − α/2, n − 1) · sd · √(1 + 1/n)) — the band a new run's figure falls in when nothing but
    /// run-to-run noise changed — at 99 % when `confidence` ≥ 0.99, else 95 %. Nil with fewer than 2 values.
    public static func predictionInterval(_ values: [Double], confidence: Double = 0.95) -> (low: Double, high: Double)? {
        let n = values.count
        guard n >= 2 else { return nil }
        let mean = values.reduce(0, +) / Double(n)
        let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(n - 1)
        let t = studentT(degreesOfFreedom: n - 1, twoSided99: confidence >= 0.99)
        let half = t * variance.squareRoot() * (1 + 1 / Double(n)).squareRoot()
        return (mean - half, mean + half)
    }

    /// The 0.975 (two-sided 95 %) or 0.995 (two-sided 99 %) quantile of Student's t distribution.
    static func studentT(degreesOfFreedom df: Int, twoSided99: Bool) -> Double {
        let t975: [Double] = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131,
                              2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042]
        let t995: [Double] = [63.657, 9.925, 5.841, 4.604, 4.032, 3.707, 3.499, 3.355, 3.250, 3.169, 3.106, 3.055, 3.012, 2.977, 2.947,
                              2.921, 2.898, 2.878, 2.861, 2.845, 2.831, 2.819, 2.807, 2.797, 2.787, 2.779, 2.771, 2.763, 2.756, 2.750]
        let table = twoSided99 ? t995 : t975
        return df >= 1 && df <= table.count ? table[df - 1] : df < 1 ? .infinity : twoSided99 ? 2.576 : 1.960
    }

    /// A 95 % bootstrap interval (percentile method, `resamples` draws, deterministic seed) of the
    /// relative change of the median, median(current) ÷ median(baseline) − 1.
    public static func medianChangeInterval(current: [Double], baseline: [Double], resamples: Int = 2_000,
                                            seed: UInt64 = 0x5EED) -> (low: Double, high: Double)? {
        guard !current.isEmpty, !baseline.isEmpty else { return nil }
        var state = seed | 1
        func next(_ bound: Int) -> Int {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return Int(state % UInt64(bound))
        }
        var a = current, b = baseline
        var changes: [Double] = []
        changes.reserveCapacity(resamples)
        for _ in 0..<resamples {
            for i in a.indices { a[i] = current[next(current.count)] }
            for i in b.indices { b[i] = baseline[next(baseline.count)] }
            guard let ma = median(a), let mb = median(b), mb != 0 else { continue }
            changes.append(ma / mb - 1)
        }
        guard changes.count >= resamples / 2 else { return nil }
        changes.sort()
        let low = changes[Int(Double(changes.count - 1) * 0.025)]
        let high = changes[Int(Double(changes.count - 1) * 0.975)]
        return (low, high)
    }
}

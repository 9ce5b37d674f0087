import Histogram

/// HdrHistogram's figures — value at a percentile, mean, standard deviation — with the library's
/// arithmetic, step for step, so the figures are the same to the bit, but compiled here for
/// `Histogram<UInt64>`. The library's own are not inlinable: every bucket they step through pays
/// generic metadata look-ups, which made a channel's summary cost milliseconds (`compare` of 2,000
/// one-message channels spent two thirds of its time there). These walk the library's inlinable
/// iterators, specialised.
extension Histogram where Count == UInt64 {
    /// The library's `valueAtPercentile(_:)`: the highest value equivalent to the entry at that
    /// percentile, kept within the recorded min and max; 0 for an empty histogram.
    public func value(atPercentile percentile: Double) -> UInt64 {
        guard percentile != 0.0 else { return min }
        guard percentile < 100.0 else { return maxRecorded }
        return value(atRank: Self.rank(atPercentile: percentile, of: totalCount))
    }

    /// HdrHistogram's rank for a percentile below 100 of `total` values: the count that percentile
    /// (less one ulp) of them reaches, rounded up, at least 1.
    public static func rank(atPercentile percentile: Double, of total: UInt64) -> UInt64 {
        let requested = Swift.min(Swift.max(percentile.nextDown, 0.0), 100.0)
        return Swift.max(1, UInt64(((requested * Double(total)) / 100.0).rounded(.up)))
    }

    /// The `rank`-th smallest recorded value (from 1) at the histogram's precision: its bucket's
    /// highest equivalent value, kept within the recorded min and max (HdrHistogram's rule for a
    /// percentile); 0 when fewer values were recorded.
    public func value(atRank rank: UInt64) -> UInt64 {
        var total: UInt64 = 0
        for recorded in recordedValues() {
            total += recorded.count
            if total >= rank { return Swift.max(Swift.min(recorded.value, maxRecorded), min) }
        }
        return 0
    }

    /// The library's `mean`: each bucket's median equivalent value weighted by its count.
    public var meanValue: Double {
        guard totalCount > 0 else { return 0 }
        var total = 0.0
        for recorded in recordedValues() { total += Double(medianEquivalent(recorded.value)) * Double(recorded.count) }
        return total / Double(totalCount)
    }

    /// The library's `stdDeviation`, about ``meanValue``.
    public var standardDeviation: Double {
        guard totalCount > 0 else { return 0 }
        let mean = meanValue
        var total = 0.0
        for recorded in recordedValues() {
            let deviation = Double(medianEquivalent(recorded.value)) - mean
            total += (deviation * deviation) * Double(recorded.count)
        }
        return (total / Double(totalCount)).squareRoot()
    }

    /// The library's `medianEquivalentForValue(_:)`: the middle (rounded up) of the values equivalent to `value`.
    @inline(__always)
    func medianEquivalent(_ value: UInt64) -> UInt64 {
        let lowest = lowestEquivalentForValue(value)
        return lowest + ((nextNonEquivalentForValue(value) - lowest) >> 1)
    }
}

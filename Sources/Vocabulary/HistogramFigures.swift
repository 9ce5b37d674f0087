import Histogram

/// HdrHistogram's figures — value at a percentile or a rank, mean, standard deviation — with the
/// library's arithmetic, so the figures are the same to the bit, from one walk of the counts
/// (``SortedBuckets``). Two reasons not to call the library's own: they are not inlinable, so every
/// bucket they step through pays generic metadata look-ups (a channel's summary cost milliseconds:
/// `compare` of 2,000 one-message channels spent two thirds of its time there); and its iterators
/// keep a running sum of value × count in 64 bits, which traps past 1.8 × 10¹⁹ (100 M messages an
/// hour late), where these add in floating point.
extension Histogram where Count == UInt64 {
    /// The library's `valueAtPercentile(_:)`: the highest value equivalent to the entry at that
    /// percentile, kept within the recorded min and max; 0 for an empty histogram.
    public func value(atPercentile percentile: Double) -> UInt64 { SortedBuckets(self).value(atPercentile: percentile) }

    /// The `rank`-th smallest recorded value (from 1) at the histogram's precision: its bucket's
    /// highest equivalent value, kept within the recorded min and max (HdrHistogram's rule for a
    /// percentile); 0 when fewer values were recorded.
    public func value(atRank rank: UInt64) -> UInt64 { SortedBuckets(self).value(atRank: rank) }

    /// The library's `mean`: each bucket's median equivalent value weighted by its count.
    public var meanValue: Double { SortedBuckets(self).mean }

    /// The library's `stdDeviation`, about ``meanValue``.
    public var standardDeviation: Double { SortedBuckets(self).standardDeviation }

    /// HdrHistogram's rank for a percentile below 100 of `total` values: the count that percentile
    /// (less one ulp) of them reaches, rounded up, at least 1.
    public static func rank(atPercentile percentile: Double, of total: UInt64) -> UInt64 {
        let requested = Swift.min(Swift.max(percentile.nextDown, 0.0), 100.0)
        return Swift.max(1, UInt64(((requested * Double(total)) / 100.0).rounded(.up)))
    }
}

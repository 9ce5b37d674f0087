import Histogram

/// The one HdrHistogram configuration for every latency, lateness and lag Rehearse records: 1 ns to one
/// hour at three significant digits (0.1 % resolution), about 200 KB each. Histograms made here have
/// the same bucket layout, so they add and merge exactly.
public typealias LatencyHistogram = Histogram<UInt64>

extension Histogram where Count == UInt64 {
    /// Highest value a latency histogram tracks, ns (one hour); larger values are recorded as this.
    public static var latencyCeiling: UInt64 { 3_600_000_000_000 }

    /// An empty latency histogram (1 ns … 1 h, three significant digits).
    @inlinable
    public static func latency(ceiling: UInt64 = latencyCeiling) -> Histogram<UInt64> {
        Histogram<UInt64>(lowestDiscernibleValue: 1, highestTrackableValue: ceiling, numberOfSignificantValueDigits: .three)
    }

    /// Records `nanoseconds` clamped into [0, ``latencyCeiling``]: a negative reading (clock offsets)
    /// counts as 0, one beyond the ceiling as the ceiling, so nothing is silently dropped. For
    /// histograms made by ``latency(ceiling:)`` with the default ceiling.
    @inlinable @inline(__always)
    public mutating func recordLatency(_ nanoseconds: Int64) {
        _ = record(UInt64(Swift.min(Swift.max(nanoseconds, 0), 3_600_000_000_000)))
    }

    /// Records a magnitude (a lag either way, a lateness) clamped to ``latencyCeiling``.
    @inlinable @inline(__always)
    public mutating func recordLatency(_ nanoseconds: UInt64) {
        _ = record(Swift.min(nanoseconds, 3_600_000_000_000))
    }
}

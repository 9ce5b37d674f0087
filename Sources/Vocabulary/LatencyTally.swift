import Histogram

/// Latency values counted in the buckets of ``LatencyHistogram/latency(ceiling:)``'s layout (1 ns to one
/// hour, three significant digits) with none of a histogram's bookkeeping per value: a loop of millions
/// records here (a shift, a count and two compares each), and ``add(to:)`` hands the counts to a
/// histogram once. The histogram then holds exactly what recording every value itself
/// (`recordLatency`) would have left: the same counts, total, minimum and maximum.
public final class LatencyTally {
    /// The layout's constants (lowest discernible 1, three digits: 2,048 sub-buckets, half 1,024),
    /// checked against the histogram library when a tally is made.
    @usableFromInline static let leadingZeroCountBase = 53
    @usableFromInline static let subBucketMask: UInt64 = 2047
    @usableFromInline static let halfCountMagnitude = 10
    @usableFromInline static let halfCount = 1024
    /// Buckets up to the ceiling's (`index(latencyCeiling) + 1`, checked when a tally is made; a
    /// constant, where a computed static would be a lazy global checked on every use).
    @usableFromInline static var size: Int { 33_421 }

    /// The buckets' counts, then the values recorded, the largest and the smallest non-zero one: all in
    /// one allocation, changed through the pointer (a class's stored `var`s would be checked for
    /// exclusive access at run time on every change, from another module's inlined code).
    @usableFromInline let counts: UnsafeMutablePointer<UInt64>
    @usableFromInline static var recordedSlot: Int { size }
    @usableFromInline static var maximumSlot: Int { size + 1 }
    @usableFromInline static var minimumSlot: Int { size + 2 }
    /// Values recorded.
    public var total: UInt64 { counts[Self.recordedSlot] }
    var maximum: UInt64 { counts[Self.maximumSlot] }
    var minimum: UInt64 { counts[Self.minimumSlot] }

    public init() {
        counts = .allocate(capacity: Self.size + 3)
        counts.initialize(repeating: 0, count: Self.size + 3)
        counts[Self.minimumSlot] = .max
        precondition(Self.size == Self.index(LatencyHistogram.latencyCeiling) + 1, "LatencyTally: the ceiling's bucket moved")
        let h = LatencyHistogram.latency()
        for v: UInt64 in [0, 1, 2047, 2048, 4097, 1_000_003, LatencyHistogram.latencyCeiling] {
            precondition(h.lowestEquivalentForValue(v) == Self.value(at: Self.index(v)), "LatencyTally: the histogram library's layout changed")
        }
    }

    deinit { counts.deallocate() }

    /// The bucket of `value` (at most the ceiling).
    @inlinable @inline(__always)
    static func index(_ value: UInt64) -> Int {
        let bucket = leadingZeroCountBase - (value | subBucketMask).leadingZeroBitCount
        return ((bucket + 1) << halfCountMagnitude) + Int(value >> UInt64(bucket)) - halfCount
    }

    /// The lowest value of bucket `index`.
    static func value(at index: Int) -> UInt64 {
        var bucket = (index >> halfCountMagnitude) - 1
        var sub = (index & (halfCount - 1)) + halfCount
        if bucket < 0 {
            sub -= halfCount
            bucket = 0
        }
        return UInt64(sub) << UInt64(bucket)
    }

    /// Records `nanoseconds` clamped to the ceiling, as `recordLatency(_: UInt64)` does.
    @inlinable @inline(__always)
    public func record(_ nanoseconds: UInt64) {
        let value = Swift.min(nanoseconds, LatencyHistogram.latencyCeiling)
        counts[Self.index(value)] &+= 1
        counts[Self.recordedSlot] &+= 1
        if value > counts[Self.maximumSlot] { counts[Self.maximumSlot] = value }
        if value < counts[Self.minimumSlot] && value != 0 { counts[Self.minimumSlot] = value }
    }

    /// Adds the counts to `histogram` (of the latency layout): each bucket recorded with its count at
    /// its lowest value — or at the exact minimum or maximum, in their buckets — so that the histogram's
    /// minimum and maximum are the values recorded.
    public func add(to histogram: inout LatencyHistogram) {
        guard total > 0 else { return }
        let low = minimum == .max ? -1 : Self.index(minimum), high = Self.index(maximum)
        for i in 0..<Self.size where counts[i] > 0 {
            let value = i == high ? maximum : i == low ? minimum : Self.value(at: i)
            histogram.record(value, count: counts[i])
        }
    }
}

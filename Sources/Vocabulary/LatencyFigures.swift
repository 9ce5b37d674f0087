import Foundation
import Histogram

/// A latency distribution's figures — ``LatencySummary``, ``PercentileSpectrum`` and the V2 encoding
/// — from a ``LatencyHistogram``, or from the values themselves when there are few: the same
/// figures to the bit (HdrHistogram's bucket arithmetic and iteration rules, replayed over the
/// sorted values' buckets), without a histogram's 46,000 buckets to allocate and walk. A channel
/// with a handful of messages then costs microseconds instead of a millisecond.
public struct LatencyFigures: Sendable {
    public var summary: LatencySummary
    /// nil when empty.
    public var spectrum: PercentileSpectrum?
    /// HdrHistogram V2 compressed in base64; nil when empty.
    public var base64V2Compressed: String?

    /// A latency histogram's figures (one walk of its counts).
    public init(_ h: LatencyHistogram) {
        let buckets = SortedBuckets(h)
        summary = buckets.summary
        spectrum = h.totalCount > 0 ? buckets.spectrum : nil
        base64V2Compressed = h.totalCount > 0 ? Data(buckets.encodedV2Compressed(h.header)).base64EncodedString() : nil
    }

    /// The figures a latency histogram (``LatencyHistogram/latency(ceiling:)``, default ceiling)
    /// holding `values` would give; `values` sorted ascending, each at most the ceiling.
    public init(sortedValues values: [UInt64]) {
        let buckets = SortedBuckets(values)
        summary = buckets.summary
        spectrum = values.isEmpty ? nil : buckets.spectrum
        base64V2Compressed = values.isEmpty ? nil : Data(buckets.encodedV2Compressed(.latency)).base64EncodedString()
    }

    /// What `value(atRank:)` of a latency histogram holding `values` (sorted ascending) gives: the
    /// bucket of the `rank`-th smallest (from 1), as its highest equivalent value kept within the
    /// values' min and max; 0 when there are fewer.
    public static func value(atRank rank: Int, sortedValues values: ArraySlice<UInt64>) -> UInt64 {
        guard rank >= 1, rank <= values.count, let low = values.first, let high = values.last else { return 0 }
        let layout = LatencyHistogram.Layout(lowest: 1, digits: 3)
        let v = values[values.startIndex + rank - 1]
        return max(min(layout.value(layout.index(v) + 1) - 1, high), low)
    }
}

/// A distribution by HdrHistogram bucket: the recorded buckets' (index, count) ascending, with the
/// raw min and max — from sorted values, or from a histogram's counts in one walk.
struct SortedBuckets {
    let layout: LatencyHistogram.Layout
    var buckets: [(index: Int, count: UInt64)] = []
    let total: UInt64
    let minValue: UInt64
    let maxRecorded: UInt64

    /// A histogram's recorded buckets: its counts from the first index to the highest recorded's
    /// (`countForValue` at each), empty ones left out.
    init(_ h: LatencyHistogram) {
        layout = h.layout
        total = h.totalCount
        minValue = h.totalCount == 0 ? 0 : h.min
        maxRecorded = h.totalCount == 0 ? 0 : h.maxRecorded
        guard total > 0 else { return }
        for index in 0...layout.index(maxRecorded) {
            let n = h.countForValue(layout.value(index))
            if n > 0 { buckets.append((index, n)) }
        }
    }

    /// Sorted values (ascending), as a latency histogram (1 ns … 1 h, three digits) holds them.
    init(_ values: [UInt64]) {
        layout = LatencyHistogram.Layout(lowest: 1, digits: 3)
        total = UInt64(values.count)
        minValue = values.first ?? 0
        maxRecorded = values.last ?? 0
        for v in values {
            let i = layout.index(v)
            if let last = buckets.last, last.index == i { buckets[buckets.count - 1].count += 1 } else { buckets.append((i, 1)) }
        }
    }

    func highestEquivalent(_ index: Int) -> UInt64 { layout.value(index + 1) - 1 }
    func medianEquivalent(_ index: Int) -> UInt64 {
        let low = layout.value(index)
        return low + ((layout.value(index + 1) - low) >> 1)
    }

    /// HdrHistogram's `max`: the highest value equivalent to the largest recorded (0 stays 0).
    var max: UInt64 { maxRecorded == 0 ? 0 : highestEquivalent(layout.index(maxRecorded)) }

    func value(atPercentile percentile: Double) -> UInt64 {
        guard percentile != 0.0 else { return minValue }
        guard percentile < 100.0 else { return maxRecorded }
        return value(atRank: LatencyHistogram.rank(atPercentile: percentile, of: total))
    }

    func value(atRank rank: UInt64) -> UInt64 {
        var cumulative: UInt64 = 0
        for b in buckets {
            cumulative += b.count
            if cumulative >= rank { return Swift.max(Swift.min(highestEquivalent(b.index), maxRecorded), minValue) }
        }
        return 0
    }

    var mean: Double {
        guard total > 0 else { return 0 }
        var sum = 0.0
        for b in buckets { sum += Double(medianEquivalent(b.index)) * Double(b.count) }
        return sum / Double(total)
    }

    var standardDeviation: Double {
        guard total > 0 else { return 0 }
        let m = mean
        var sum = 0.0
        for b in buckets {
            let deviation = Double(medianEquivalent(b.index)) - m
            sum += (deviation * deviation) * Double(b.count)
        }
        return (sum / Double(total)).squareRoot()
    }

    var summary: LatencySummary {
        var s = LatencySummary(count: total, min: 0, p50: 0, p90: 0, p99: 0, p999: 0, p9999: 0, max: 0, mean: 0)
        guard total > 0 else { return s }
        s.min = minValue
        s.p50 = value(atPercentile: 50)
        s.p90 = value(atPercentile: 90)
        s.p99 = value(atPercentile: 99)
        s.p999 = value(atPercentile: 99.9)
        s.p9999 = value(atPercentile: 99.99)
        s.max = max
        s.mean = mean
        return s
    }

    /// HdrHistogram's percentile iteration (5 ticks per half distance to 100 %), step for step: a
    /// bucket is reported at each level its cumulative percentile reaches, and once every value is
    /// counted one last step reports 100 % at the last bucket.
    var spectrum: PercentileSpectrum {
        var points: [PercentileSpectrum.Point] = []
        var level = 0.0, reachedLast = false
        var k = 0, cumulative: UInt64 = 0, fresh = true
        calls: while true {
            if cumulative >= total {
                if reachedLast { break }
                level = 100.0
                reachedLast = true
            }
            while k < buckets.count {
                if fresh {
                    cumulative += buckets[k].count
                    fresh = false
                }
                if (100.0 * Double(cumulative)) / Double(total) >= level {
                    points.append(.init(value: highestEquivalent(buckets[k].index), percentile: level, totalCount: cumulative))
                    if level != 100.0 {
                        let ticks = UInt64(5) * UInt64(Foundation.pow(2.0, Double(Int(Foundation.log2(100.0 / (100.0 - level))) + 1)))
                        level += 100.0 / Double(ticks)
                    }
                    continue calls
                }
                k += 1
                fresh = true
            }
            break
        }
        return PercentileSpectrum(points: points, mean: mean, stdDeviation: standardDeviation, max: max, totalCount: total)
    }

    func encodedV2Compressed(_ header: LatencyHistogram.Header) -> [UInt8] {
        LatencyHistogram.compressV2(payload: payload, digits: header.digits, lowest: header.lowest, highest: header.highest)
    }

    /// The V2 payload: counts by index, zero runs as negative counts.
    var payload: [UInt8] {
        var payload: [UInt8] = []
        var next = 0
        for b in buckets {
            let zeros = b.index - next
            if zeros == 1 { LatencyHistogram.putZigZag(0, into: &payload) } else if zeros > 1 { LatencyHistogram.putZigZag(-Int64(zeros), into: &payload) }
            LatencyHistogram.putZigZag(Int64(clamping: b.count), into: &payload)
            next = b.index + 1
        }
        return payload
    }
}

import Histogram

/// Latency or lateness percentiles, ns.
public struct LatencySummary: Codable, Sendable, Equatable {
    public var count: UInt64
    public var min: UInt64
    public var p50: UInt64
    public var p90: UInt64
    public var p99: UInt64
    public var p999: UInt64
    public var p9999: UInt64
    public var max: UInt64
    public var mean: Double

    init(count: UInt64, min: UInt64, p50: UInt64, p90: UInt64, p99: UInt64, p999: UInt64, p9999: UInt64, max: UInt64, mean: Double) {
        (self.count, self.min, self.p50, self.p90, self.p99, self.p999, self.p9999, self.max, self.mean) = (count, min, p50, p90, p99, p999, p9999, max, mean)
    }

    /// The histogram's figures (HdrHistogram's, to the bit; one walk of its counts).
    public init(_ h: Histogram<UInt64>) {
        self = SortedBuckets(h).summary
    }
}


/// A latency distribution as HdrHistogram reports it: values at percentile ticks (5 per halving of the
/// distance to 100 %), plus mean, standard deviation, max and count. Enough to redraw the percentile
/// plot and to write a `.hgrm` file long after the histogram is gone.
public struct PercentileSpectrum: Codable, Sendable, Equatable {
    public struct Point: Codable, Sendable, Equatable {
        /// ns
        public var value: UInt64
        /// 0…100
        public var percentile: Double
        public var totalCount: UInt64
    }
    public var points: [Point]
    public var mean: Double
    public var stdDeviation: Double
    public var max: UInt64
    public var totalCount: UInt64

    init(points: [Point], mean: Double, stdDeviation: Double, max: UInt64, totalCount: UInt64) {
        (self.points, self.mean, self.stdDeviation, self.max, self.totalCount) = (points, mean, stdDeviation, max, totalCount)
    }

    /// The histogram's spectrum (HdrHistogram's percentile iteration, to the bit; one walk of its counts).
    public init(_ h: Histogram<UInt64>) {
        self = SortedBuckets(h).spectrum
    }

    /// The distribution in HdrHistogram's `.hgrm` text form (values scaled by `unit`, e.g. 1000 for µs),
    /// readable by the standard HdrHistogram plotter.
    public func hgrm(unit: Double = 1_000) -> String {
        func pad(_ s: String, _ width: Int) -> String { String(repeating: " ", count: Swift.max(0, width - s.count)) + s }
        func fixed(_ v: Double, _ digits: Int) -> String { TimeFormat.format(v, digits) }
        var out = "\(pad("Value", 12)) \(pad("Percentile", 14)) \(pad("TotalCount", 10)) \(pad("1/(1-Percentile)", 14))\n\n"
        for p in points {
            let q = p.percentile / 100
            out += pad(fixed(Double(p.value) / unit, 3), 12) + " " + fixed(q, 12) + " " + pad(String(p.totalCount), 10)
            out += q < 1 ? " " + pad(fixed(1 / (1 - q), 2), 14) + "\n" : "\n"
        }
        out += "#[Mean    = \(pad(fixed(mean / unit, 3), 12)), StdDeviation   = \(pad(fixed(stdDeviation / unit, 3), 12))]\n"
        out += "#[Max     = \(pad(fixed(Double(max) / unit, 3), 12)), Total count    = \(pad(String(totalCount), 12))]\n"
        out += "#[Buckets = \(pad("0", 12)), SubBuckets     = \(pad("0", 12))]\n"
        return out
    }
}

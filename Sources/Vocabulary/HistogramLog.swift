import Histogram

/// An HdrHistogram interval log (log format 1.3, as HdrHistogram's `HistogramLogWriter` writes and its
/// `HistogramLogReader`, `HistogramLogProcessor` and the Python and C readers read): a header, then one
/// line per interval and series, `Tag=NAME,START,LENGTH,MAX,HISTOGRAM` — start and length in seconds
/// from the log's base time, the interval's max in milliseconds, the histogram V2-compressed in base64.
public struct HistogramLog: Sendable {
    /// One interval of one series.
    public struct Interval: Sendable {
        public var tag: String
        /// From the log's start, ns.
        public var startNs: Int64
        public var lengthNs: Int64
        /// The interval's histogram, V2-compressed in base64 (``Histogram/base64V2Compressed``).
        public var histogram: String
        /// The highest value recorded in it, ns.
        public var maxNs: UInt64

        public init(tag: String, startNs: Int64, lengthNs: Int64, histogram: String, maxNs: UInt64) {
            self.tag = tag
            self.startNs = startNs
            self.lengthNs = lengthNs
            self.histogram = histogram
            self.maxNs = maxNs
        }

        /// An interval from its encoded histogram (its max read from it); nil when it does not decode.
        public init?(tag: String, startNs: Int64, lengthNs: Int64, encoded: String) {
            guard let h = try? LatencyHistogram.decodeBase64V2Compressed(encoded) else { return nil }
            self.init(tag: tag, startNs: startNs, lengthNs: lengthNs, histogram: encoded, maxNs: h.maxRecorded)
        }
    }

    /// When the log starts (realtime ns since 1970): its StartTime and BaseTime.
    public var startRealtimeNs: Int64
    public var intervals: [Interval] = []
    public var comment: String?

    public init(startRealtimeNs: Int64, comment: String? = nil) {
        self.startRealtimeNs = startRealtimeNs
        self.comment = comment
    }

    /// The log's text. Tags may not contain commas, spaces or line breaks (replaced by `_`).
    public var text: String {
        let start = TimeFormat.format(Double(startRealtimeNs) / 1e9, 3)
        var out = "#[Histogram log format version 1.3]\n"
        if let comment { out += "#" + String(comment.map { $0.isNewline ? " " : $0 }) + "\n" }
        out += "#[StartTime: \(start) (seconds since epoch), \(TimeFormat.iso8601(startRealtimeNs))]\n"
        out += "#[BaseTime: \(start) (seconds since epoch)]\n"
        out += "\"StartTimestamp\",\"Interval_Length\",\"Interval_Max\",\"Interval_Compressed_Histogram\"\n"
        for i in intervals.sorted(by: { ($0.startNs, $0.tag) < ($1.startNs, $1.tag) }) {
            let tag = String(i.tag.map { $0 == "," || $0 == " " || $0.isNewline ? "_" : $0 })
            out += "Tag=\(tag),\(TimeFormat.format(Double(i.startNs) / 1e9, 3)),\(TimeFormat.format(Double(i.lengthNs) / 1e9, 3)),"
                + "\(TimeFormat.format(Double(i.maxNs) / 1e6, 3)),\(i.histogram)\n"
        }
        return out
    }
}

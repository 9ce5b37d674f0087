import Vocabulary
import Measure

/// What one platform delivered, matched message by message to what was sent.
public struct BenchSideResult: Codable, Sendable {
    public var name: String
    public var sendTo: String
    public var receiveOn: String
    public var messagesSent: UInt64
    /// Distinct sent messages that came back.
    public var messagesReceived: UInt64
    public var messagesLost: UInt64
    public var duplicateMessages: UInt64
    /// Messages whose (channel, SeqNum) was never sent (a platform's own messages, or a mismatch).
    public var unexpectedMessages: UInt64
    public var packetsReceived: UInt64
    public var heartbeats: UInt64
    /// Datagrams that are not OMD.
    public var garbage: UInt64
    public var kernelDrops: UInt64
    /// Messages per second over the span of arrivals; nil when it cannot be measured (fewer than two
    /// distinct arrival instants: nothing, or everything at once), never a 0 for "nothing arrived".
    public var messagesPerSecond: Double?
    /// The first and last packet of the side's output received (receive clock, ns since 1970; nil:
    /// none): what `messagesPerSecond` divides by, kept so that shards' throughput merges.
    public var firstArrivalNs: Int64?
    public var lastArrivalNs: Int64?
    /// Response time: receive time (kernel) − scheduled send time, per message (coordinated-omission
    /// correct: a stall is charged to every message that waited).
    public var latency: LatencySummary
    /// Platform time: receive time − the actual send time of the message's packet (what the platform
    /// itself took); nil when send times were not recorded.
    public var platformTime: LatencySummary?
    /// Sender lateness of the messages received: actual − scheduled send (what the test host added).
    public var senderLateness: LatencySummary?
    /// Response time per equal slice of the schedule: the samples a baseline verdict judges.
    public var intervals: [IntervalSample]?
    /// The same distribution at HdrHistogram's percentile ticks (plots, `.hgrm`).
    public var spectrum: PercentileSpectrum?
    /// The whole response-time histogram, HdrHistogram V2-compressed in base64: merges exactly and
    /// opens in HdrHistogram's own tools (docs/formats/histograms.md).
    public var histogram: String?
    /// Platform time and sender lateness, whole, encoded the same way.
    public var platformHistogram: String?
    public var latenessHistogram: String?
    /// Messages received per `timelineIntervalNs` from the run's first deadline (throughput over time).
    public var timeline: [UInt32]?
    public var timelineIntervalNs: Int64?
    /// With a recovery client on this side (`bench --old-recover/--new-recover`): what it recovered of
    /// the gaps in this platform's output from the platform's retransmission service.
    public var recovery: RecoveryReport?

    /// Memberwise.
    public init(
        name: String, sendTo: String, receiveOn: String, messagesSent: UInt64, messagesReceived: UInt64,
        messagesLost: UInt64, duplicateMessages: UInt64, unexpectedMessages: UInt64, packetsReceived: UInt64,
        heartbeats: UInt64, garbage: UInt64, kernelDrops: UInt64, messagesPerSecond: Double?,
        firstArrivalNs: Int64? = nil, lastArrivalNs: Int64? = nil, latency: LatencySummary, platformTime: LatencySummary? = nil, senderLateness: LatencySummary? = nil,
        intervals: [IntervalSample]? = nil, spectrum: PercentileSpectrum? = nil, timeline: [UInt32]? = nil,
        timelineIntervalNs: Int64? = nil, histogram: String? = nil, platformHistogram: String? = nil, latenessHistogram: String? = nil,
        recovery: RecoveryReport? = nil
    ) {
        self.recovery = recovery
        self.histogram = histogram
        self.platformHistogram = platformHistogram
        self.latenessHistogram = latenessHistogram
        self.platformTime = platformTime
        self.senderLateness = senderLateness
        self.intervals = intervals
        self.name = name
        self.sendTo = sendTo
        self.receiveOn = receiveOn
        self.messagesSent = messagesSent
        self.messagesReceived = messagesReceived
        self.messagesLost = messagesLost
        self.duplicateMessages = duplicateMessages
        self.unexpectedMessages = unexpectedMessages
        self.packetsReceived = packetsReceived
        self.heartbeats = heartbeats
        self.garbage = garbage
        self.kernelDrops = kernelDrops
        self.messagesPerSecond = messagesPerSecond
        self.firstArrivalNs = firstArrivalNs
        self.lastArrivalNs = lastArrivalNs
        self.latency = latency
        self.spectrum = spectrum
        self.timeline = timeline
        self.timelineIntervalNs = timelineIntervalNs
    }
}

/// The outcome of `rehearse bench` (schema `rehearse.bench/1`, docs/json/bench.md).
public struct BenchResult: Codable, Sendable {
    public static let schemaVersion = "rehearse.bench/1"
    public var schema = BenchResult.schemaVersion
    public var replay: ReplayResult
    public var sides: [BenchSideResult]
    /// The test host while it measured (hiccups, steal, kernel drops).
    public var host: HostHealth?
    /// Whether the sender held its schedule and the host was healthy enough for the figures to be
    /// the platforms' (nil: not judged).
    public var validity: Validity?
    /// new ÷ old for p50, p90, p99, p99.9, max (below 1: the new platform is faster); nil without both.
    public var latencyRatios: LatencyRatios?

    /// Memberwise.
    /// Messages the schedule offered per `timelineIntervalNs` of the sides (the offered load).
    public var offeredTimeline: [UInt32]?

    public init(replay: ReplayResult, sides: [BenchSideResult], latencyRatios: LatencyRatios? = nil) {
        self.replay = replay
        self.sides = sides
        self.latencyRatios = latencyRatios
    }
}

/// new ÷ old latency at each percentile (below 1: the new platform is faster). Made only when both
/// sides received messages (``init?(old:new:)``): "nothing arrived" is never a ratio of 0.
/// Encoded with the keys `p50`, `p90`, `p99`, `p99.9`, `max`.
public struct LatencyRatios: Codable, Sendable, Equatable {
    public var p50: Double
    public var p90: Double
    public var p99: Double
    public var p999: Double
    public var max: Double

    enum CodingKeys: String, CodingKey { case p50, p90, p99, p999 = "p99.9", max }

    /// nil when either side has no latency samples.
    public init?(old o: LatencySummary, new n: LatencySummary) {
        guard o.count > 0, n.count > 0 else { return nil }
        func ratio(_ a: UInt64, _ b: UInt64) -> Double { Double(Swift.max(b, 1)) / Double(Swift.max(a, 1)) }
        p50 = ratio(o.p50, n.p50)
        p90 = ratio(o.p90, n.p90)
        p99 = ratio(o.p99, n.p99)
        p999 = ratio(o.p999, n.p999)
        max = ratio(o.max, n.max)
    }
}

/// One slice of a run's schedule: how many messages were scheduled in it and came back, and their
/// response-time percentiles (nil when none came back).
public struct IntervalSample: Codable, Sendable, Equatable {
    /// Offset of the slice from the run's first deadline, ns.
    public var startNs: Int64
    public var spanNs: Int64
    public var count: UInt64
    public var p50: UInt64?
    public var p99: UInt64?
    /// Platform time p99 in the slice.
    public var platformP99: UInt64?
    /// The slice's whole response-time histogram, HdrHistogram V2-compressed in base64 (what
    /// `latency.hlog` carries; docs/formats/histograms.md).
    public var histogram: String?
    /// The sender's lateness p99 in the slice (actual − scheduled send): the test host's share.
    public var latenessP99: UInt64?
    /// The slice's whole platform-time and sender-lateness histograms (feed; encoded as `histogram`).
    public var platformHistogram: String?
    public var latenessHistogram: String?

    /// Memberwise.
    public init(startNs: Int64, spanNs: Int64, count: UInt64, p50: UInt64?, p99: UInt64?, platformP99: UInt64?, histogram: String? = nil,
                latenessP99: UInt64? = nil) {
        self.histogram = histogram
        self.latenessP99 = latenessP99
        self.startNs = startNs
        self.spanNs = spanNs
        self.count = count
        self.p50 = p50
        self.p99 = p99
        self.platformP99 = platformP99
    }
}

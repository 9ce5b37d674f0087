import Vocabulary

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
    /// Messages per second over the span of arrivals.
    public var messagesPerSecond: Double
    /// Receive time (kernel) − scheduled send time, per message.
    public var latency: LatencySummary
    /// The same distribution at HdrHistogram's percentile ticks (plots, `.hgrm`).
    public var spectrum: PercentileSpectrum?
    /// Messages received per `timelineIntervalNs` from the run's first deadline (throughput over time).
    public var timeline: [UInt32]?
    public var timelineIntervalNs: Int64?

    /// Memberwise.
    public init(
        name: String, sendTo: String, receiveOn: String, messagesSent: UInt64, messagesReceived: UInt64,
        messagesLost: UInt64, duplicateMessages: UInt64, unexpectedMessages: UInt64, packetsReceived: UInt64,
        heartbeats: UInt64, garbage: UInt64, kernelDrops: UInt64, messagesPerSecond: Double,
        latency: LatencySummary, spectrum: PercentileSpectrum? = nil, timeline: [UInt32]? = nil,
        timelineIntervalNs: Int64? = nil
    ) {
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
        self.latency = latency
        self.spectrum = spectrum
        self.timeline = timeline
        self.timelineIntervalNs = timelineIntervalNs
    }
}

/// The outcome of `rehearse bench` (schema `rehearse.bench/1`, docs/json/bench.md).
public struct BenchResult: Codable, Sendable {
    public var schema = "rehearse.bench/1"
    public var replay: ReplayResult
    public var sides: [BenchSideResult]
    /// new ÷ old for p50, p90, p99, p99.9, max (below 1: the new platform is faster); nil without both.
    public var latencyRatios: LatencyRatios?

    /// Memberwise.
    public init(replay: ReplayResult, sides: [BenchSideResult], latencyRatios: LatencyRatios? = nil) {
        self.replay = replay
        self.sides = sides
        self.latencyRatios = latencyRatios
    }
}

/// new ÷ old latency at each percentile (below 1: the new platform is faster); 0 where old is 0.
/// Encoded with the keys `p50`, `p90`, `p99`, `p99.9`, `max`.
public struct LatencyRatios: Codable, Sendable, Equatable {
    public var p50: Double
    public var p90: Double
    public var p99: Double
    public var p999: Double
    public var max: Double

    enum CodingKeys: String, CodingKey { case p50, p90, p99, p999 = "p99.9", max }

    public init(old o: LatencySummary, new n: LatencySummary) {
        func ratio(_ a: UInt64, _ b: UInt64) -> Double { a == 0 ? 0 : Double(b) / Double(a) }
        p50 = ratio(o.p50, n.p50)
        p90 = ratio(o.p90, n.p90)
        p99 = ratio(o.p99, n.p99)
        p999 = ratio(o.p999, n.p999)
        max = ratio(o.max, n.max)
    }
}

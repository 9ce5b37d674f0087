import Vocabulary

/// What one target was sent.
public struct TargetResult: Codable, Sendable, Equatable {
    public var target: String
    public var packets: UInt64 = 0
    public var bytes: UInt64 = 0
    /// Sends refused because the target reported port unreachable (ICMP), each retried once.
    public var refused: UInt64 = 0
    /// Datagrams that could not be sent (after retries).
    public var failed: UInt64 = 0
    public var lastError: String?

    /// Memberwise.
    public init(
        target: String, packets: UInt64 = 0, bytes: UInt64 = 0, refused: UInt64 = 0, failed: UInt64 = 0,
        lastError: String? = nil
    ) {
        self.target = target
        self.packets = packets
        self.bytes = bytes
        self.refused = refused
        self.failed = failed
        self.lastError = lastError
    }
}

/// The outcome of a replay (schema `rehearse.replay/1`, docs/json/replay.md).
public struct ReplayResult: Codable, Sendable {
    public static let schemaVersion = "rehearse.replay/1"
    public var schema = ReplayResult.schemaVersion
    public var capture: String
    public var pacing: String
    public var loopsRequested: UInt64
    public var loopsCompleted: UInt64
    /// Packets handed to the sender (each goes to every target of its stream).
    public var packets: UInt64
    public var bytes: UInt64
    public var targets: [TargetResult]
    /// Wall time from the first deadline to the end of the last send, ns.
    public var wallNs: Int64
    /// Wall time the schedule asked for (last deadline), ns; 0 for --max.
    public var scheduledNs: Int64
    public var packetsPerSecond: Double
    /// Actual send time − scheduled time, per packet.
    public var lateness: LatencySummary
    public var interrupted: Bool
    public var stoppedOnError: Bool
    public var unmappedPacketsDropped: UInt64
    public var streams: Int
    /// The capture fault that ended the run early, if any (the figures cover what was sent before it).
    public var error: String?
    /// `--start-at`: the agreed instant (ns since 1970, UTC), and how long after it the first packet
    /// left (ns, this host's clock; nil when nothing was sent). Hosts started together compare their skews
    /// after correcting each by its clock's offset from the reference (chrony, ptp4l).
    public var startAtNs: Int64?
    public var startSkewNs: Int64?
    /// `--start-at`: this host's clock against its reference (chrony or ptp4l), where one answered.
    public var clockSync: ClockSyncReading?
    /// The lateness, whole: HdrHistogram V2 compressed in base64 (docs/formats/histograms.md); nil
    /// when nothing was sent. Shards' lateness merges exactly from it.
    public var latenessHistogram: String?
    /// Set by `replay --shard`: what `rehearse merge` needs besides the figures.
    public var shard: ReplayShardPart?
    /// A merged replay: each shard's (host's) start against the agreed instant and its clock.
    public var hosts: [ReplayHostStart]?

    /// Memberwise.
    public init(
        capture: String, pacing: String, loopsRequested: UInt64, loopsCompleted: UInt64, packets: UInt64,
        bytes: UInt64, targets: [TargetResult], wallNs: Int64, scheduledNs: Int64, packetsPerSecond: Double,
        lateness: LatencySummary, interrupted: Bool, stoppedOnError: Bool, unmappedPacketsDropped: UInt64,
        streams: Int, error: String? = nil
    ) {
        self.capture = capture
        self.pacing = pacing
        self.loopsRequested = loopsRequested
        self.loopsCompleted = loopsCompleted
        self.packets = packets
        self.bytes = bytes
        self.targets = targets
        self.wallNs = wallNs
        self.scheduledNs = scheduledNs
        self.packetsPerSecond = packetsPerSecond
        self.lateness = lateness
        self.interrupted = interrupted
        self.stoppedOnError = stoppedOnError
        self.unmappedPacketsDropped = unmappedPacketsDropped
        self.streams = streams
        self.error = error
    }
}


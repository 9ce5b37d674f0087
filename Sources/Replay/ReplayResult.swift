import Histogram
import Measure

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
}

/// The outcome of a replay (schema `rehearse.replay/1`, docs/json/replay.md).
public struct ReplayResult: Codable, Sendable {
    public var schema = "rehearse.replay/1"
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
}

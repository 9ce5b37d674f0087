import Vocabulary
import Histogram
import Measure

/// A shard's part of a replay (`replay --shard INDEX/COUNT`): the streams it sent are those whose
/// number (captured-destination order) modulo COUNT is INDEX.
public struct ReplayShardPart: Codable, Sendable, Equatable {
    public var shard: Shard
    /// Streams of the whole replay (every shard's).
    public var streamsTotal: Int
    /// For each of this shard's targets, its first stream's number: the merge orders the targets as
    /// one process lists them.
    public var targetFirstStreams: [Int]
    public init(shard: Shard, streamsTotal: Int, targetFirstStreams: [Int]) {
        self.shard = shard
        self.streamsTotal = streamsTotal
        self.targetFirstStreams = targetFirstStreams
    }
}

/// One shard's (host's) start in a merged replay.
public struct ReplayHostStart: Codable, Sendable, Equatable {
    public var shard: Shard
    /// Its first send against the agreed instant (its own clock), ns.
    public var startSkewNs: Int64?
    public var clockSync: ClockSyncReading?
}

extension ReplayResult {
    /// The replays of every shard of one replay put together: what one process sending every stream
    /// would report — packets, bytes and each target's counts summed, the lateness merged from the
    /// shards' whole histograms, the wall time the longest shard's, each host's start listed.
    public static func merge(_ parts: [ReplayResult]) throws(MergeError) -> ReplayResult {
        try MergeError.checkComplete(parts.map { $0.shard?.shard }, what: "a replay")
        let first = parts[0]
        for p in parts where p.capture != first.capture || p.pacing != first.pacing || p.loopsRequested != first.loopsRequested
            || p.startAtNs != first.startAtNs || p.shard!.streamsTotal != first.shard!.streamsTotal {
            throw MergeError("shard \(p.shard!.shard) is of another replay (capture, pacing, loops, --start-at or streams differ from shard \(first.shard!.shard)'s)")
        }
        for p in parts where p.latenessHistogram == nil && p.packets > 0 {
            throw MergeError("shard \(p.shard!.shard) sent packets but carries no lateness histogram")
        }
        let lateness = try LatencyHistogram.merged(parts.map(\.latenessHistogram), what: "lateness")
        // Targets in the order one process lists them (by first stream), a target shared by shards summed.
        var targets: [(first: Int, result: TargetResult)] = []
        for p in parts {
            for (k, t) in p.targets.enumerated() {
                let firstStream = k < p.shard!.targetFirstStreams.count ? p.shard!.targetFirstStreams[k] : Int.max
                if let i = targets.firstIndex(where: { $0.result.target == t.target }) {
                    targets[i].first = min(targets[i].first, firstStream)
                    targets[i].result.packets &+= t.packets
                    targets[i].result.bytes &+= t.bytes
                    targets[i].result.refused &+= t.refused
                    targets[i].result.failed &+= t.failed
                    targets[i].result.lastError = targets[i].result.lastError ?? t.lastError
                } else {
                    targets.append((firstStream, t))
                }
            }
        }
        let packets = parts.reduce(UInt64(0)) { $0 &+ $1.packets }
        let wall = parts.map(\.wallNs).max() ?? 0
        var merged = ReplayResult(
            capture: first.capture, pacing: first.pacing, loopsRequested: first.loopsRequested,
            loopsCompleted: parts.map(\.loopsCompleted).min() ?? 0, packets: packets,
            bytes: parts.reduce(0) { $0 &+ $1.bytes }, targets: targets.sorted { $0.first < $1.first }.map(\.result),
            wallNs: wall, scheduledNs: parts.map(\.scheduledNs).max() ?? 0,
            packetsPerSecond: wall > 0 ? Double(packets) * 1e9 / Double(wall) : 0,
            lateness: LatencySummary(lateness), interrupted: parts.contains(where: \.interrupted),
            stoppedOnError: parts.contains(where: \.stoppedOnError),
            unmappedPacketsDropped: parts.reduce(0) { $0 &+ $1.unmappedPacketsDropped }, streams: first.streams,
            error: parts.compactMap(\.error).first)
        merged.latenessHistogram = lateness.totalCount > 0 ? lateness.base64V2Compressed : nil
        merged.startAtNs = first.startAtNs
        // The latest host's start: how far behind the agreed instant the replay as a whole began.
        merged.startSkewNs = parts.compactMap(\.startSkewNs).max()
        merged.hosts = parts.sorted { $0.shard!.shard.index < $1.shard!.shard.index }
            .map { ReplayHostStart(shard: $0.shard!.shard, startSkewNs: $0.startSkewNs, clockSync: $0.clockSync) }
        return merged
    }
}

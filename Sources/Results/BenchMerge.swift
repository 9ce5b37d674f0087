import Vocabulary
import Histogram
import Measure

extension BenchResult {
    /// The benches of every shard of one bench put together (`bench --shard INDEX/COUNT`, one host
    /// each, started together with `--start-at`): what one process benching every channel reports —
    /// the replay merged (``ReplayResult/merge(_:)``), each side's counts summed, its latency,
    /// platform-time and lateness figures from the shards' whole histograms merged, its intervals
    /// slice by slice (every shard slices the whole replay's schedule), its throughput over the
    /// first to the last arrival of any shard, and the least healthy host's health. The verdict is
    /// judged on these figures by the caller, as for one process.
    public static func merge(_ parts: [BenchResult]) throws(MergeError) -> BenchResult {
        let replay = try ReplayResult.merge(parts.map(\.replay))
        let names = parts[0].sides.map(\.name)
        for p in parts where p.sides.map(\.name) != names || zip(p.sides, parts[0].sides).contains(where: { $0.sendTo != $1.sendTo || $0.receiveOn != $1.receiveOn }) {
            throw MergeError("shard \(p.replay.shard!.shard) benched other platforms (sides, targets or outputs differ from shard \(parts[0].replay.shard!.shard)'s)")
        }
        if parts.contains(where: { $0.sides.contains { $0.recovery != nil } }) {
            throw MergeError("gap drills (--old-recover, --new-recover) are not merged: run them on one host")
        }
        var sides: [BenchSideResult] = []
        for k in names.indices {
            sides.append(try mergeSide(parts.map { $0.sides[k] }))
        }
        var merged = BenchResult(replay: replay, sides: sides,
                                 latencyRatios: sides.count == 2 ? LatencyRatios(old: sides[0].latency, new: sides[1].latency) : nil)
        // Each host measured itself: the least healthy one speaks for the run (its hiccups decide validity).
        merged.host = parts.compactMap(\.host).max { $0.hiccups.p999 < $1.hiccups.p999 }
        merged.offeredTimeline = sum(parts.map(\.offeredTimeline))
        return merged
    }

    /// Timelines added slot by slot (nil when none has one), trailing empty slots cut as a run cuts them.
    static func sum(_ timelines: [[UInt32]?]) -> [UInt32]? {
        let present = timelines.compactMap { $0 }
        guard !present.isEmpty else { return nil }
        var out = [UInt32](repeating: 0, count: present.map(\.count).max() ?? 0)
        for t in present { for (i, v) in t.enumerated() { out[i] &+= v } }
        return Array(out[..<(out.lastIndex { $0 != 0 }.map { $0 + 1 } ?? 0)])
    }

    static func mergeSide(_ shards: [BenchSideResult]) throws(MergeError) -> BenchSideResult {
        let first = shards[0]
        func total(_ f: (BenchSideResult) -> UInt64) -> UInt64 { shards.reduce(0) { $0 &+ f($1) } }
        let latency = try LatencyHistogram.merged(shards.map(\.histogram), what: "latency")
        let platform = try LatencyHistogram.merged(shards.map(\.platformHistogram), what: "platform-time")
        let lateness = try LatencyHistogram.merged(shards.map(\.latenessHistogram), what: "sender-lateness")
        let received = total(\.messagesReceived), sent = total(\.messagesSent)
        let firstArrival = shards.compactMap(\.firstArrivalNs).min(), lastArrival = shards.compactMap(\.lastArrivalNs).max()
        let span = firstArrival.flatMap { f in lastArrival.map { $0 - f } } ?? 0
        var side = BenchSideResult(
            name: first.name, sendTo: first.sendTo, receiveOn: first.receiveOn, messagesSent: sent, messagesReceived: received,
            messagesLost: sent > received ? sent - received : 0, duplicateMessages: total(\.duplicateMessages),
            unexpectedMessages: total(\.unexpectedMessages), packetsReceived: total(\.packetsReceived), heartbeats: total(\.heartbeats),
            garbage: total(\.garbage), kernelDrops: total(\.kernelDrops),
            messagesPerSecond: span > 0 ? Double(received) * 1e9 / Double(span) : nil,
            firstArrivalNs: firstArrival, lastArrivalNs: lastArrival, latency: LatencySummary(latency),
            platformTime: platform.totalCount == 0 ? nil : LatencySummary(platform),
            senderLateness: lateness.totalCount == 0 ? nil : LatencySummary(lateness),
            intervals: received == 0 ? nil : try IntervalSample.merge(shards.map(\.intervals)), spectrum: PercentileSpectrum(latency),
            timeline: sum(shards.map(\.timeline)), timelineIntervalNs: first.timelineIntervalNs,
            histogram: latency.totalCount == 0 ? nil : latency.base64V2Compressed,
            platformHistogram: platform.totalCount == 0 ? nil : platform.base64V2Compressed,
            latenessHistogram: lateness.totalCount == 0 ? nil : lateness.base64V2Compressed)
        side.recovery = nil
        return side
    }
}

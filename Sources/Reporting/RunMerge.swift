import Vocabulary
import Measure
import Results

/// A shard's part of a scenario run (`run --shard INDEX/COUNT`).
public struct RunShardPart: Codable, Sendable, Equatable {
    public var shard: Shard
    /// How its legs ended, before any judgement (an exit status: 0 none failed).
    public var status: Int32
    public init(shard: Shard, status: Int32) {
        self.shard = shard
        self.status = status
    }
}

extension RunResult {
    /// The runs of every shard of one scenario run put together, unjudged: the feed legs merged as one
    /// bench (``BenchResult/merge(_:)``), the gateway legs gateway by gateway, the compare legs as one
    /// comparison, errors in shard order,
    /// partial when any shard was; judged, stored and reported afterwards as one run.
    public static func merge(_ parts: [RunResult]) throws(MergeError) -> RunResult {
        try MergeError.checkComplete(parts.map { $0.shard?.shard }, what: "a run")
        let first = parts[0]
        for p in parts where p.scenario != first.scenario || p.environment.scenarioHash != first.environment.scenarioHash
            || p.environment.inputHashes != first.environment.inputHashes {
            throw MergeError("shard \(p.shard!.shard) ran another scenario or other captures than shard \(first.shard!.shard) (\(p.scenario))")
        }
        for p in parts where (p.feed == nil) != (first.feed == nil) || (p.compare == nil) != (first.compare == nil)
            || p.gateway?.keys.sorted() != first.gateway?.keys.sorted() {
            throw MergeError("shard \(p.shard!.shard) ran other legs than shard \(first.shard!.shard)")
        }
        var merged = RunResult(scenario: first.scenario, scenarioPath: first.scenarioPath,
                               started: parts.map(\.started).min { $0.ns < $1.ns }!, environment: first.environment)
        merged.finished = parts.map(\.finished).max { $0.ns < $1.ns }!
        if first.feed != nil { merged.feed = try BenchResult.merge(parts.compactMap(\.feed)) }
        if first.compare != nil { merged.compare = try ComparisonReport.merge(parts.compactMap(\.compare)) }
        if let names = first.gateway?.keys {
            var gateway: [String: SessionReplayResult] = [:]
            for name in names { gateway[name] = try SessionReplayResult.merge(parts.compactMap { $0.gateway?[name] }) }
            merged.gateway = gateway
        }
        var errors: [String] = []
        for p in parts.sorted(by: { $0.shard!.shard.index < $1.shard!.shard.index }) {
            for e in p.errors { errors.append("shard \(p.shard!.shard): \(e)") }
        }
        merged.errors = errors
        merged.partial = parts.contains(where: \.partial)
        return merged
    }
}

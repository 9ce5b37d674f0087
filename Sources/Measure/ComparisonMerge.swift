import Vocabulary

/// Why shard results could not be merged.
public struct MergeError: Error, CustomStringConvertible, Equatable {
    public var description: String
    public init(_ description: String) { self.description = description }

    /// Checks the shards of one job are all there, once each: every one of COUNT, no other count,
    /// none twice (`what`: the results, for the message when one is not a shard's).
    public static func checkComplete(_ shards: [Shard?], what: String) throws(MergeError) {
        guard !shards.isEmpty else { throw MergeError("nothing to merge") }
        var seen = Set<Int>()
        var count: Int?
        for s in shards {
            guard let s else { throw MergeError("\(what) that is not a shard's (--shard writes them)") }
            if let count, s.count != count { throw MergeError("shards of \(count) and of \(s.count) given together") }
            count = s.count
            guard seen.insert(s.index).inserted else { throw MergeError("shard \(s) given twice") }
        }
        let n = count ?? 0
        let missing = (0..<n).filter { !seen.contains($0) }
        guard missing.isEmpty else {
            throw MergeError("shard\(missing.count == 1 ? "" : "s") \(missing.map { "\($0)/\(n)" }.joined(separator: ", ")) missing: every shard's result is needed")
        }
    }
}

extension ComparisonReport {
    /// The comparisons of every shard of one comparison (`compare --shard INDEX/COUNT`, one file
    /// each) put together: the comparison one process makes of the same captures — channels,
    /// counts, findings and warnings in channel order, each line's recoverability judged over all
    /// its channels (the day's request budget is the line's).
    public static func merge(_ parts: [ComparisonReport]) throws(MergeError) -> ComparisonReport {
        try MergeError.checkComplete(parts.map { $0.shard?.shard }, what: "a comparison")
        let first = parts[0], head = first.shard!
        for p in parts {
            let s = p.shard!
            let same = p.a == first.a && p.b == first.b && p.stallLimitNs == first.stallLimitNs && p.match == first.match
                && p.unpairedA == first.unpairedA && p.unpairedB == first.unpairedB && p.errors == first.errors
                && p.filterError == first.filterError && s.captures == head.captures && s.channelsTotal == head.channelsTotal && s.recoveryLimits == head.recoveryLimits
                && p.warnings.prefix(s.readWarnings) == first.warnings.prefix(head.readWarnings) && (p.keyed == nil) == (first.keyed == nil)
            guard same else {
                throw MergeError("shard \(s.shard) is of another comparison than shard \(head.shard) (its captures, options or what they read differ)")
            }
        }
        var merged = first
        merged.shard = nil
        merged.channels = parts.flatMap(\.channels).sorted { $0.channel < $1.channel }
        guard merged.channels.map(\.channel) == Array(0..<head.channelsTotal) else {
            throw MergeError("the shards hold channels \(merged.channels.count) of \(head.channelsTotal): a shard's result is incomplete")
        }
        merged.messagesCompared = parts.reduce(0) { $0 &+ $1.messagesCompared }
        merged.findings = inChannelOrder(parts.map(\.findings), channel: \.channel)
        merged.keyed = first.keyed == nil ? nil : parts.flatMap { $0.keyed ?? [] }.sorted { $0.channel < $1.channel }
        let notes = inChannelOrder(parts.map { $0.shard?.channelWarnings ?? [] }, channel: \.channel)
        merged.warnings = Array(first.warnings.prefix(head.readWarnings)) + notes.map(\.text)
        let gaps = parts.flatMap { $0.shard?.gaps ?? [] }
        let bySide = ["A", "B"].map { side in gaps.filter { $0.side == side }.sorted { $0.channel < $1.channel } }
        FeedComparator.judgeRecoverability(&merged, gaps: bySide, limits: head.recoveryLimits.limits)
        return merged
    }

    /// Items of several lists in channel order, each channel's in the order its list had them.
    static func inChannelOrder<T>(_ lists: [[T]], channel: (T) -> Int) -> [T] {
        var byChannel: [Int: [T]] = [:]
        for list in lists { for item in list { byChannel[channel(item), default: []].append(item) } }
        return byChannel.keys.sorted().flatMap { byChannel[$0]! }
    }
}

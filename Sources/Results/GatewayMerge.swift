import Vocabulary
import Histogram
import Measure

/// A shard's part of a gateway replay (`gateway --shard INDEX/COUNT`): session k (capture order) is
/// shard k mod COUNT's.
public struct GatewayShardPart: Codable, Sendable, Equatable {
    public var shard: Shard
    /// Sessions of the whole replay (every shard's).
    public var sessionsTotal: Int
    /// The capture fault that ended the plan's reading early (the same in every shard), if any.
    public var captureError: String?
    public init(shard: Shard, sessionsTotal: Int, captureError: String?) {
        self.shard = shard
        self.sessionsTotal = sessionsTotal
        self.captureError = captureError
    }
}

extension SessionReplayResult {
    /// The replays of every shard of one gateway replay to one gateway put together: what one process
    /// replaying every session reports — sessions, requests and answers summed, latency per message
    /// type and over all from the shards' whole histograms, intervals slice by slice (every shard
    /// slices the whole timeline), the longest wall time, the least healthy host.
    public static func merge(_ parts: [SessionReplayResult]) throws(MergeError) -> SessionReplayResult {
        try MergeError.checkComplete(parts.map { $0.shard?.shard }, what: "a gateway replay")
        let first = parts[0]
        for p in parts where p.capture != first.capture || p.target != first.target || p.startAtNs != first.startAtNs
            || p.shard!.sessionsTotal != first.shard!.sessionsTotal || (p.intervals == nil) != (first.intervals == nil) {
            throw MergeError("shard \(p.shard!.shard) replayed another capture, to another gateway or with other options than shard \(first.shard!.shard)")
        }
        // Message types in the order one process lists them (every shard lists them in that order).
        var types: [String] = []
        for p in parts {
            var after: Int?
            for t in p.byType.map(\.messageType) {
                if let i = types.firstIndex(of: t) { after = i } else {
                    let at = after.map { $0 + 1 } ?? 0
                    types.insert(t, at: at)
                    after = at
                }
            }
        }
        let byType = try types.map { (type: String) throws(MergeError) -> MessageTypeResult in
            let same = parts.flatMap { $0.byType.filter { $0.messageType == type } }
            func total(_ f: (MessageTypeResult) -> UInt64) -> UInt64 { same.reduce(0) { $0 &+ f($1) } }
            let h = try LatencyHistogram.merged(same.map(\.histogram), what: "\(type) latency")
            var r = MessageTypeResult(messageType: type, sent: total(\.sent), answered: total(\.answered), acks: total(\.acks), fills: total(\.fills),
                                      rejects: total(\.rejects), cancelRejects: total(\.cancelRejects), timeouts: total(\.timeouts),
                                      lostToDisconnects: total(\.lostToDisconnects), latency: LatencySummary(h))
            r.histogram = h.totalCount == 0 ? nil : h.base64V2Compressed
            return r
        }
        let all = try LatencyHistogram.merged(parts.map(\.histogram), what: "latency")
        let platform = try LatencyHistogram.merged(parts.map(\.platformHistogram), what: "platform-time")
        let lateness = try LatencyHistogram.merged(parts.map(\.latenessHistogram), what: "sender-lateness")
        func sum(_ dictionaries: [[String: UInt64]]) -> [String: UInt64] { dictionaries.reduce(into: [:]) { $0.merge($1, uniquingKeysWith: +) } }
        let ordered = parts.sorted { $0.shard!.shard.index < $1.shard!.shard.index }
        let requests = parts.reduce(UInt64(0)) { $0 &+ $1.requests }, wall = max(1, parts.map(\.wallNs).max() ?? 1)
        var merged = SessionReplayResult(
            capture: first.capture, target: first.target, sessions: parts.reduce(0) { $0 + $1.sessions },
            sessionsLoggedOn: parts.reduce(0) { $0 + $1.sessionsLoggedOn }, halfCapturedSessions: parts.reduce(0) { $0 + $1.halfCapturedSessions },
            logonRejections: ordered.flatMap(\.logonRejections), logonTimeouts: ordered.flatMap(\.logonTimeouts),
            connectFailures: ordered.flatMap(\.connectFailures), disconnects: parts.reduce(0) { $0 + $1.disconnects },
            reconnects: parts.reduce(0) { $0 + $1.reconnects }, requests: requests, responses: parts.reduce(0) { $0 &+ $1.responses },
            wallNs: wall, requestsPerSecond: Double(requests) * 1e9 / Double(wall), lateness: LatencySummary(lateness), byType: byType,
            spectrum: parts.allSatisfy({ $0.spectrum == nil }) ? nil : PercentileSpectrum(all),
            platformTime: platform.totalCount == 0 ? nil : LatencySummary(platform),
            intervals: try IntervalSample.merge(parts.map(\.intervals)), rejectReasons: sum(parts.map(\.rejectReasons)),
            sessionEvents: sum(parts.map(\.sessionEvents)), captureFramingErrors: first.captureFramingErrors,
            interrupted: parts.contains(where: \.interrupted), histogram: all.totalCount == 0 ? nil : all.base64V2Compressed,
            platformHistogram: platform.totalCount == 0 ? nil : platform.base64V2Compressed)
        merged.latenessHistogram = lateness.totalCount == 0 ? nil : lateness.base64V2Compressed
        merged.host = parts.compactMap(\.host).max { $0.hiccups.p999 < $1.hiccups.p999 }
        merged.startAtNs = first.startAtNs
        merged.startSkewNs = parts.compactMap(\.startSkewNs).max()
        return merged
    }
}

extension LatencyHistogram {
    /// Histograms given as base64 V2 (nil: empty), merged: shards' figures put together exactly.
    static func merged(_ texts: [String?], what: String) throws(MergeError) -> Histogram<UInt64> {
        var h = LatencyHistogram.latency()
        for case let text? in texts {
            do { h.add(try Histogram.decodeBase64V2Compressed(text)) } catch {
                throw MergeError("a shard's \(what) histogram cannot be read (\(error))")
            }
        }
        return h
    }
}

extension IntervalSample {
    /// Shards' intervals slice by slice (the same slices of the whole schedule in every shard):
    /// counts and histograms merged, percentiles taken from the merged histograms.
    static func merge(_ lists: [[IntervalSample]?]) throws(MergeError) -> [IntervalSample]? {
        let present = lists.compactMap { $0 }
        guard let model = present.first else { return nil }
        for l in present where l.map({ [$0.startNs, $0.spanNs] }) != model.map({ [$0.startNs, $0.spanNs] }) {
            throw MergeError("the shards sliced their schedules differently (intervals \(l.map(\.startNs)) against \(model.map(\.startNs))): not shards of one job")
        }
        return try model.indices.map { (i: Int) throws(MergeError) -> IntervalSample in
            let slice = present.map { $0[i] }
            let response = try LatencyHistogram.merged(slice.map(\.histogram), what: "interval")
            let platform = try LatencyHistogram.merged(slice.map(\.platformHistogram), what: "interval platform-time")
            let lateness = try LatencyHistogram.merged(slice.map(\.latenessHistogram), what: "interval lateness")
            func p(_ h: Histogram<UInt64>, _ q: Double) -> UInt64? { h.totalCount == 0 ? nil : h.valueAtPercentile(q) }
            var sample = IntervalSample(startNs: model[i].startNs, spanNs: model[i].spanNs, count: response.totalCount,
                                        p50: p(response, 50), p99: p(response, 99), platformP99: p(platform, 99),
                                        histogram: response.totalCount == 0 ? nil : response.base64V2Compressed, latenessP99: p(lateness, 99))
            sample.platformHistogram = platform.totalCount == 0 ? nil : platform.base64V2Compressed
            sample.latenessHistogram = lateness.totalCount == 0 ? nil : lateness.base64V2Compressed
            return sample
        }
    }
}

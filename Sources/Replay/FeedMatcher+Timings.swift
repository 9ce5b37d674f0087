import Histogram
import Results
import Vocabulary

/// The three clocks of every matched message (docs/measurement.md), computed after the run from the
/// receive times the matcher kept and the send times the player recorded.
public struct MessageTimings: Sendable {
    /// Receive − actual send: what the platform itself took.
    public var platform = LatencyHistogram.latency()
    /// Actual send − scheduled send of the messages received: what the test host added.
    public var lateness = LatencyHistogram.latency()
    /// Response time (receive − scheduled send) per equal slice of the schedule, in schedule order:
    /// the samples a baseline verdict judges.
    public var intervals: [IntervalSample] = []
}

extension FeedMatcher {
    /// Slices of the schedule the run's figures are sampled in (per-interval percentiles).
    public static let intervalCount = 10

    /// Splits each received message's latency into platform time and sender lateness, and samples the
    /// response time per slice of the schedule. `sendTimes` are the player's (monotonic ns);
    /// `anchorMonotonic` is the run's first deadline on the same clock (``anchorRealtime`` is the same
    /// instant on the receive clock). Messages whose packet has no recorded send time are left out of the
    /// platform and lateness figures (they still count in the response-time figures).
    public func timings(sendTimes: SendTimes?, anchorMonotonic: Int64?) -> MessageTimings {
        var out = MessageTimings()
        guard let anchorRealtime, let anchorMonotonic else { return out }
        var span: Int64 = max(1, expected.sliceSpan)
        for c in 0..<expected.channelCount {
            for o in expected.offsets[c] where o != .min { span = max(span, o &+ 1) }
        }
        let width = max(1, (span + Int64(Self.intervalCount) - 1) / Int64(Self.intervalCount))
        var slices = (0..<Self.intervalCount).map { _ in (response: LatencyHistogram.latency(), platform: LatencyHistogram.latency(),
                                                            lateness: LatencyHistogram.latency()) }
        for c in 0..<expected.channelCount {
            let arrived = arrivals[c], offsets = expected.offsets[c], packets = expected.packetIndices[c]
            for k in arrived.indices where arrived[k] != 0 && offsets[k] != .min {
                let scheduled = offsets[k]
                let slice = Int(min(max(scheduled / width, 0), Int64(Self.intervalCount - 1)))
                slices[slice].response.recordLatency(arrived[k] &- (anchorRealtime &+ scheduled))
                guard let actual = sendTimes?[Int(packets[k])] else { continue }
                let sent = actual &- anchorMonotonic   // after the anchor, on the schedule's axis
                let platform = arrived[k] &- (anchorRealtime &+ sent)
                out.platform.recordLatency(platform)
                slices[slice].platform.recordLatency(platform)
                out.lateness.recordLatency(sent &- scheduled)
                slices[slice].lateness.recordLatency(sent &- scheduled)
            }
        }
        out.intervals = slices.enumerated().map { i, s in
            var sample = IntervalSample(startNs: Int64(i) * width, spanNs: width, count: s.response.totalCount,
                           p50: s.response.totalCount == 0 ? nil : s.response.valueAtPercentile(50),
                           p99: s.response.totalCount == 0 ? nil : s.response.valueAtPercentile(99),
                           platformP99: s.platform.totalCount == 0 ? nil : s.platform.valueAtPercentile(99),
                           histogram: s.response.totalCount == 0 ? nil : s.response.base64V2Compressed,
                           latenessP99: s.lateness.totalCount == 0 ? nil : s.lateness.valueAtPercentile(99))
            sample.platformHistogram = s.platform.totalCount == 0 ? nil : s.platform.base64V2Compressed
            sample.latenessHistogram = s.lateness.totalCount == 0 ? nil : s.lateness.base64V2Compressed
            return sample
        }
        return out
    }
}

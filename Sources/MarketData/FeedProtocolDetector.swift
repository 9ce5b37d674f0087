import Vocabulary

/// Decides a stream's feed protocol from its first datagrams, for the commands that see a stream
/// packet by packet (compare, bench, watch): OMD when every one of its first
/// ``FeedStream/probePackets`` datagrams frames as OMD, else the one other protocol they all pass
/// (``FeedStream``), else none — detection never guesses. `inspect` and `listen` apply the same rule.
public struct FeedProtocolDetector: Sendable {
    var stream = FeedStream()
    var omd = true
    /// Datagrams seen so far (until decided).
    public private(set) var seen = 0
    public private(set) var decided = false
    /// The protocol once decided; nil while deciding, and for good when none fits.
    public private(set) var feedProtocol: FeedProtocol?

    /// With `forced`, decided from the start: the user named the protocol (`--protocol NAME`).
    public init(forced: FeedProtocol? = nil) {
        if let forced {
            decided = true
            feedProtocol = forced
        }
    }

    /// Offers one datagram; decides after ``FeedStream/probePackets`` of them.
    public mutating func add(_ payload: ByteView) {
        guard !decided else { return }
        if omd && !OMDStreamAnalyzer.looksLikeOMD(payload, declaredLength: payload.count) { omd = false }
        stream.add(payload, timestamp: 0)
        seen += 1
        if seen >= FeedStream.probePackets { finish() }
    }

    /// Decides on what was seen (a stream shorter than the probe window).
    public mutating func finish() {
        guard !decided else { return }
        decided = true
        guard seen > 0 else { return }
        stream.finish()
        feedProtocol = omd ? .omd : stream.feedProtocol
    }
}

/// Whether a measurement's figures are the platform's: the sender held its schedule and the host was
/// healthy, each within a share of the latency being judged. An invalid measurement is never a pass
/// and never a platform failure: its verdict is inconclusive, for the reasons given.
public struct Validity: Codable, Sendable, Equatable {
    public var valid: Bool
    /// What the test host did wrong, with the figures (empty when valid).
    public var reasons: [String]
    /// The latency the shares are taken of (ns), and what it is.
    public var referenceNs: UInt64
    public var reference: String
    public var senderLatenessP99: UInt64?
    public var hiccupP999: UInt64?
    /// The shares allowed (0.10 = 10 %).
    public var senderLatenessShare: Double
    public var hiccupShare: Double

    /// Judges the sender's lateness p99 and the hiccup meter's p99.9 against `share`s of `reference`
    /// (ns), described by `referenceName` (e.g. "feedLatencyP99 limit 50.0 ms").
    public init(senderLatenessP99: UInt64?, hiccupP999: UInt64?, referenceNs: UInt64, reference referenceName: String,
                senderLatenessShare: Double, hiccupShare: Double) {
        self.referenceNs = referenceNs
        self.reference = referenceName
        self.senderLatenessP99 = senderLatenessP99
        self.hiccupP999 = hiccupP999
        self.senderLatenessShare = senderLatenessShare
        self.hiccupShare = hiccupShare
        var reasons: [String] = []
        func check(_ what: String, _ value: UInt64?, _ share: Double) {
            guard let value else { return }
            let allowed = UInt64(Double(referenceNs) * share)
            if value > allowed {
                reasons.append("\(what) \(TimeFormat.duration(value)) is over \(TimeFormat.duration(allowed)) "
                               + "(\(TimeFormat.format(share * 100, 0)) % of \(referenceName))")
            }
        }
        check("sender lateness p99", senderLatenessP99, senderLatenessShare)
        check("host hiccups p99.9", hiccupP999, hiccupShare)
        self.reasons = reasons
        valid = reasons.isEmpty
    }
}

import Vocabulary

/// A UDP stream's feed protocol, recognised from its first packets, and its sequence accounting.
///
/// Detection never guesses: each of the stream's first ``probePackets`` packets is checked against
/// every protocol in ``FeedProtocol/headerProtocols``; a protocol whose checks one of them fails is
/// struck off. The stream gets a protocol only when exactly one is left; otherwise (none, or several
/// that the packets cannot tell apart) it stays unrecognised. The probes' headers are kept, so once
/// decided the accounting covers the stream from its first packet.
public struct FeedStream: Sendable {
    /// Packets that must all pass a protocol's checks before the stream is given it.
    public static let probePackets = 8

    /// The protocol, once decided (nil while probing, and for good when unrecognised).
    public private(set) var feedProtocol: FeedProtocol?
    /// True once probing ended without a protocol.
    public private(set) var unrecognised = false
    public private(set) var sessionText: String?
    public private(set) var firstSequence: UInt64?
    public private(set) var lastSequence: UInt64?
    public private(set) var endOfSession = false
    /// Session changes after the first (a new sequence each).
    public private(set) var sessionChanges: UInt64 = 0
    /// Sequence accounting of the current session, folded into ``statistics`` at each change.
    var tracker = SequenceTracker()
    var earlier = SequenceStatistics()
    var session: UInt64?
    var candidates: UInt8
    var probes: [[FeedPacketHeader]]
    var probeTimes: [Int64] = []
    var probeSessions: [String?]

    /// A stream to recognise; with `forced`, one read as that protocol from its first packet (the
    /// user said so: no probing; datagrams failing its checks count as ``malformed``).
    public init(forced: FeedProtocol? = nil) {
        candidates = FeedProtocol.headerProtocols.reduce(0) { $0 | $1.bit }
        probes = Array(repeating: [], count: FeedProtocol.headerProtocols.count)
        probeSessions = Array(repeating: nil, count: FeedProtocol.headerProtocols.count)
        if let forced, forced != .omd {
            feedProtocol = forced
            probes = []
        }
    }

    /// Sequence accounting over every session.
    public var statistics: SequenceStatistics {
        var s = earlier
        s.add(tracker.statistics)
        return s
    }

    /// Accounts one datagram's payload.
    public mutating func add(_ payload: ByteView, timestamp: Int64) {
        if let p = feedProtocol {
            if let h = p.header(payload) {
                if sessionText == nil && session == nil { sessionText = p.sessionText(payload, h) }
                account(h, timestamp: timestamp)
            } else {
                malformed &+= 1
            }
            return
        }
        guard !unrecognised else { return }
        for (i, p) in FeedProtocol.headerProtocols.enumerated() where candidates & p.bit != 0 {
            if let h = p.header(payload) {
                if probes[i].isEmpty { probeSessions[i] = p.sessionText(payload, h) }
                probes[i].append(h)
            } else {
                candidates &= ~p.bit
            }
        }
        probeTimes.append(timestamp)
        if probeTimes.count >= Self.probePackets || candidates == 0 { decide() }
    }

    /// Datagrams of a recognised stream that failed its protocol's checks after detection.
    public private(set) var malformed: UInt64 = 0

    /// Ends probing with what was seen (a stream shorter than ``probePackets``); call at the end.
    public mutating func finish() {
        if feedProtocol == nil && !unrecognised && !probeTimes.isEmpty { decide() }
    }

    mutating func decide() {
        let left = FeedProtocol.headerProtocols.enumerated().filter { candidates & $0.element.bit != 0 }
        guard left.count == 1, let (i, p) = left.first else {
            unrecognised = true
            probes = []
            return
        }
        feedProtocol = p
        sessionText = probeSessions[i]
        for (h, t) in zip(probes[i], probeTimes) { account(h, timestamp: t) }
        probes = []
        probeTimes = []
    }

    mutating func account(_ h: FeedPacketHeader, timestamp: Int64) {
        if session != h.session || (h.kind == .sequenceReset && session != nil) {
            if session != nil {
                sessionChanges &+= 1
                earlier.add(tracker.statistics)
                tracker = SequenceTracker()
            }
            session = h.session
        }
        if h.kind == .endOfSession { endOfSession = true }
        // Sequence accounting on the low 32 bits (a day of any of these feeds stays below 2^32). These
        // protocols' heartbeats carry the next expected SN; the tracker follows OMD, whose heartbeat
        // carries the last one sent.
        let sequence = h.messageCount == 0 ? h.firstSequence &- 1 : h.firstSequence
        _ = tracker.observe(sequenceNumber: UInt32(truncatingIfNeeded: sequence), messageCount: h.messageCount, timestamp: timestamp)
        guard h.messageCount > 0 else { return }
        let last = h.firstSequence &+ UInt64(h.messageCount) &- 1
        firstSequence = min(firstSequence ?? h.firstSequence, h.firstSequence)
        lastSequence = max(lastSequence ?? last, last)
    }
}

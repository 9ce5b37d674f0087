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
    /// Sequence accounting per session: one (the current session's, earlier ones folded into
    /// `earlier` at each change), or one per session for protocols whose sessions interleave
    /// (``FeedProtocol/sessionsInterleave``), found by a scan from the last one used.
    var trackers: [SequenceTracker] = [SequenceTracker()]
    var sessionKeys: [UInt64] = []
    var current = 0
    var earlier = SequenceStatistics()
    var session: UInt64?
    /// Distinct sessions seen (interleaving protocols; 1 otherwise once a packet was accounted).
    public var sessions: Int { sessionKeys.count }
    /// Messages received in data packets, duplicates included (for packet-sequenced protocols the
    /// tracker counts packets).
    public private(set) var messages: UInt64 = 0
    /// Packets accounted, heartbeats included.
    public private(set) var packets: UInt64 = 0
    /// Heartbeat packets (for packet-sequenced protocols numbered like any packet, except EOBI's,
    /// which carry no number).
    public private(set) var heartbeats: UInt64 = 0
    var candidates: UInt8
    var probes: [[FeedPacketHeader]]
    var probeTimes: [Int64] = []
    var probeSessions: [String?]
    var probeTypes: [MessageTypeCounts]
    var typeCounts = MessageTypeCounts()
    /// Messages by type (``FeedProtocol/forEachMessageType(_:_:)``), heartbeat packets excluded.
    public var messageTypes: [UInt16: UInt64] { typeCounts.all }

    /// A stream to recognise; with `forced`, one read as that protocol from its first packet (the
    /// user said so: no probing; datagrams failing its checks count as ``malformed``).
    public init(forced: FeedProtocol? = nil) {
        candidates = FeedProtocol.headerProtocols.reduce(0) { $0 | $1.bit }
        probes = Array(repeating: [], count: FeedProtocol.headerProtocols.count)
        probeSessions = Array(repeating: nil, count: FeedProtocol.headerProtocols.count)
        probeTypes = Array(repeating: MessageTypeCounts(), count: FeedProtocol.headerProtocols.count)
        if let forced, forced != .omd {
            feedProtocol = forced
            probes = []
            probeTypes = []
        }
    }

    /// Sequence accounting over every session (for packet-sequenced protocols, in packets).
    public var statistics: SequenceStatistics {
        var s = earlier
        for t in trackers { s.add(t.statistics) }
        return s
    }

    /// Accounts one datagram's payload.
    public mutating func add(_ payload: ByteView, timestamp: Int64) {
        if let p = feedProtocol {
            if let h = p.header(payload) {
                if sessionText == nil && session == nil { sessionText = p.sessionText(payload, h) }
                if h.kind != .heartbeat { p.forEachMessageType(payload) { typeCounts.add($0) } }
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
                if h.kind != .heartbeat { p.forEachMessageType(payload) { probeTypes[i].add($0) } }
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
            probeTypes = []
            return
        }
        feedProtocol = p
        sessionText = probeSessions[i]
        typeCounts = probeTypes[i]
        probeTypes = []
        for (h, t) in zip(probes[i], probeTimes) { account(h, timestamp: t) }
        probes = []
        probeTimes = []
    }

    /// A new sequence for the current session (a session change or a reset): counted in
    /// ``sessionChanges``, the old accounting folded into `earlier`.
    mutating func restart() {
        sessionChanges &+= 1
        earlier.add(trackers[current].statistics)
        trackers[current] = SequenceTracker()
    }

    /// Makes `key`'s tracker current (interleaving protocols), adding one for a new session.
    mutating func select(_ key: UInt64) {
        var i = current
        for _ in 0..<sessionKeys.count {
            if sessionKeys[i] == key {
                current = i
                return
            }
            i = i + 1 == sessionKeys.count ? 0 : i + 1
        }
        if !sessionKeys.isEmpty { trackers.append(SequenceTracker()) }
        sessionKeys.append(key)
        current = sessionKeys.count - 1
    }

    mutating func account(_ h: FeedPacketHeader, timestamp: Int64) {
        if session != h.session {
            if feedProtocol?.sessionsInterleave == true {
                // Another product of the same stream: its own sequence, not a reset.
                select(h.session)
            } else {
                if session != nil { restart() } else { sessionKeys = [h.session] }
                sessionKeys[0] = h.session
            }
            session = h.session
        } else if h.kind == .sequenceReset {
            restart()
        }
        if h.kind == .endOfSession { endOfSession = true }
        packets &+= 1
        if h.kind == .heartbeat { heartbeats &+= 1 }
        messages &+= UInt64(h.messageCount)
        if h.kind == .heartbeat && h.firstSequence == 0 { return }
        // Packet-sequenced protocols: every numbered packet, heartbeats included, takes one number.
        let units = feedProtocol?.sequencesPackets == true ? 1 : h.messageCount
        // Sequence accounting on the low 32 bits (a day of any of these feeds stays below 2^32). These
        // protocols' heartbeats carry the next expected SN; the tracker follows OMD, whose heartbeat
        // carries the last one sent.
        let sequence = units == 0 ? h.firstSequence &- 1 : h.firstSequence
        _ = trackers[current].observe(sequenceNumber: UInt32(truncatingIfNeeded: sequence), messageCount: units, timestamp: timestamp)
        guard units > 0 else { return }
        let last = h.firstSequence &+ UInt64(units) &- 1
        firstSequence = min(firstSequence ?? h.firstSequence, h.firstSequence)
        lastSequence = max(lastSequence ?? last, last)
    }
}

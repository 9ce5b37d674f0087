import Vocabulary

/// Where a gap's messages came back from.
public enum RecoverySource: String, Codable, Sendable {
    /// The retransmission service (RTS), message by message.
    case rts
    /// A refresh snapshot synchronised past the gap (its messages themselves never came back).
    case refresh
    /// Not recovered.
    case none
}

/// One gap a recovery client worked on: what was missing, when it was seen, asked for and recovered.
public struct RecoveryGap: Codable, Sendable, Equatable {
    /// ChannelID asked for (by default the listened endpoint's index, from 0).
    public var channel: Int
    /// The endpoint the gap was seen on, by index (`listen`: the --on order; `watch`: primaries, then
    /// standbys).
    public var stream: Int
    public var first: UInt32
    public var last: UInt32
    /// When the gap was detected (ns since 1970).
    public var detected: TimePoint
    /// Detection to the first request for it (ns); nil when never requested.
    public var requestedAfterNs: Int64?
    /// Detection to its last missing message received back (ns): the time to recover; nil unless
    /// every message came back.
    public var timeToRecoverNs: Int64?
    public var source: RecoverySource
    /// Messages of the gap received back (each counted once).
    public var recovered: UInt64
    /// Requests that covered (part of) it.
    public var requests: Int
    /// Why it is not (wholly) recovered: a RetransStatus, a fault, or the run's end; nil when recovered.
    public var reason: String?
    public var size: UInt64 { UInt64(last) - UInt64(first) + 1 }
}

/// A retransmission request the ledger wants sent.
public struct RecoveryRequest: Sendable, Equatable {
    public var channel: UInt16
    public var begin: UInt32
    public var end: UInt32
    /// Indices of the gaps it covers (into ``RecoveryLedger/gaps``).
    public var gaps: [Int]
    /// The endpoint whose gaps it covers.
    public var stream: Int
    /// The sequence number the answer must carry next: an accepted answer is `begin…end` in order,
    /// every message, so anything else is a wrong answer (never a message credited under a number
    /// that is not its own).
    public internal(set) var next: UInt32
    public var count: Int { Int(end - begin) + 1 }
}

/// What a retransmitted message did.
public enum RecoveredMessageOutcome: Equatable, Sendable {
    /// The next missing message of one of the request's gaps.
    case recovered
    /// Inside the request but between its gaps (merged requests ask for a few extra), or again.
    case extra
    /// Outside the range asked for, or a message of a gap skipped: the answer is wrong.
    case wrongSequence
}

/// The bookkeeping of a recovery client, without I/O: gaps in, requests out within the server's
/// limits (small gaps of one channel merged into one request, big ones split), each answer's
/// messages credited to the gaps they fill, failures retried on the next server up to a limit, and
/// the figures (``RecoveryReport``). Nothing is counted as recovered unless its message came back
/// with the sequence number asked for.
public struct RecoveryLedger: Sendable {
    /// Messages one request may ask for (the server's limit, halved when it answers "range too big").
    public private(set) var maximumPerRequest: Int
    /// How many servers a gap may be tried on before it is given up.
    public let attemptsPerGap: Int
    public private(set) var gaps: [RecoveryGap] = []
    /// Per gap: the first SN not asked for yet, the next SN expected back, the detection time
    /// (monotonic ns) and the attempts so far.
    private var nextToRequest: [UInt32] = []
    private var nextExpected: [UInt32] = []
    private var detectedMonotonic: [Int64] = []
    private var attempts: [Int] = []
    private var closed: [Bool] = []
    private var queue: [Int] = []
    /// Per gap: when waiting for a refresh snapshot gives up (.max: not waiting).
    private var refreshDeadline: [Int64] = []
    /// Gaps waiting for a refresh snapshot.
    public private(set) var awaitingRefresh = 0

    public init(maximumPerRequest: Int, attemptsPerGap: Int) {
        self.maximumPerRequest = max(1, maximumPerRequest)
        self.attemptsPerGap = max(1, attemptsPerGap)
    }

    /// Gaps waiting for a request.
    public var waiting: Int { queue.count }
    /// Gaps still open (waiting or in flight).
    public var open: Int { closed.lazy.filter { !$0 }.count }

    /// A gap detected at `monotonic` ns (``Clock/monotonic()``), `realtime` ns since 1970.
    public mutating func add(channel: Int, stream: Int? = nil, first: UInt32, last: UInt32, monotonic: Int64, realtime: Int64) {
        guard last >= first else { return }
        gaps.append(RecoveryGap(channel: channel, stream: stream ?? channel, first: first, last: last, detected: TimePoint(realtime), source: .none,
                                recovered: 0, requests: 0))
        nextToRequest.append(first)
        nextExpected.append(first)
        detectedMonotonic.append(monotonic)
        attempts.append(0)
        closed.append(false)
        refreshDeadline.append(.max)
        queue.append(gaps.count - 1)
    }

    /// The next request: the oldest waiting gap from its first SN not yet asked for, at most
    /// ``maximumPerRequest`` messages, with the following waiting gaps of the same channel that fit.
    public mutating func nextRequest(now: Int64) -> RecoveryRequest? {
        guard let head = queue.first else { return nil }
        let begin = nextToRequest[head]
        var end = UInt32(min(UInt64(gaps[head].last), UInt64(begin) + UInt64(maximumPerRequest) - 1))
        var covered = [head]
        nextToRequest[head] = end &+ 1
        if end == gaps[head].last { queue.removeFirst() }
        // Merged only while the messages asked for in between (received already) are no more than
        // the missing ones: one request saved from the daily budget never costs more than twice the bytes.
        var missing = UInt64(end - begin) + 1
        while let g = queue.first, end == gaps[covered.last!].last, gaps[g].channel == gaps[head].channel, gaps[g].stream == gaps[head].stream,
              gaps[g].first > end, UInt64(gaps[g].last) - UInt64(begin) + 1 <= UInt64(maximumPerRequest), nextToRequest[g] == gaps[g].first,
              UInt64(gaps[g].first - end - 1) <= missing + gaps[g].size {
            missing += gaps[g].size
            end = gaps[g].last
            nextToRequest[g] = end &+ 1
            covered.append(g)
            queue.removeFirst()
        }
        for g in covered {
            gaps[g].requests += 1
            if gaps[g].requestedAfterNs == nil { gaps[g].requestedAfterNs = now - detectedMonotonic[g] }
        }
        return RecoveryRequest(channel: UInt16(truncatingIfNeeded: gaps[head].channel), begin: begin, end: end, gaps: covered,
                               stream: gaps[head].stream, next: begin)
    }

    /// A retransmitted message of `request`, received at `now` (monotonic ns). It must be the next of
    /// the answer (``RecoveryRequest/next``), which it then advances.
    public mutating func received(_ sequence: UInt32, for request: inout RecoveryRequest, now: Int64) -> RecoveredMessageOutcome {
        guard sequence == request.next, sequence <= request.end else { return .wrongSequence }
        request.next &+= 1
        for g in request.gaps where sequence >= gaps[g].first && sequence <= gaps[g].last {
            if sequence < nextExpected[g] { return .extra }
            if sequence > nextExpected[g] { return .wrongSequence }
            nextExpected[g] &+= 1
            gaps[g].recovered &+= 1
            if sequence == gaps[g].last {
                gaps[g].timeToRecoverNs = now - detectedMonotonic[g]
                gaps[g].source = .rts
                gaps[g].reason = nil
                closed[g] = true
            }
            return .recovered
        }
        return .extra
    }

    /// Whether every message `request` asked for that its gaps miss has come back.
    public func isComplete(_ request: RecoveryRequest) -> Bool {
        request.gaps.allSatisfy { g in nextExpected[g] > min(gaps[g].last, request.end) }
    }

    /// The server refused `request` with a status that no other server would change
    /// ("not available", "unknown channel", …): its gaps end unrecovered, for `reason`.
    public mutating func refuse(_ request: RecoveryRequest, reason: String) {
        for g in request.gaps { close(g, reason: reason) }
    }

    /// "Range too big": the server's limit is lower than ours; halve it and ask again.
    public mutating func shrink(_ request: RecoveryRequest) {
        maximumPerRequest = max(1, min(maximumPerRequest, request.count) / 2)
        requeue(request, countAttempt: false)
    }

    /// The answer failed (timeout, disconnect, garbage, wrong range or numbers): what is still missing
    /// goes back to the front of the queue for the next server, unless the gap has had its attempts.
    public mutating func fail(_ request: RecoveryRequest, reason: String) {
        requeue(request, countAttempt: true, reason: reason)
    }

    private mutating func requeue(_ request: RecoveryRequest, countAttempt: Bool, reason: String? = nil) {
        var back: [Int] = []
        for g in request.gaps where !closed[g] {
            if countAttempt { attempts[g] += 1 }
            if attempts[g] >= attemptsPerGap {
                close(g, reason: reason ?? "failed")
                continue
            }
            if let reason { gaps[g].reason = reason }
            nextToRequest[g] = nextExpected[g]
            if !queue.contains(g) { back.append(g) }
        }
        queue.insert(contentsOf: back, at: 0)
    }

    /// The gaps of `request` (the RTS cannot serve them: beyond its window, its budget, or no server
    /// answers) wait for a refresh snapshot until `deadline`, with `reason` kept should none come.
    public mutating func awaitRefresh(_ request: RecoveryRequest, deadline: Int64, reason: String) {
        for g in request.gaps { awaitRefresh(g, deadline: deadline, reason: reason) }
    }

    /// Every gap waiting for a request waits for a refresh snapshot instead.
    public mutating func awaitRefreshForWaiting(deadline: Int64, reason: String) {
        for g in queue { awaitRefresh(g, deadline: deadline, reason: reason, dequeue: false) }
        queue.removeAll()
    }

    private mutating func awaitRefresh(_ g: Int, deadline: Int64, reason: String, dequeue: Bool = true) {
        guard !closed[g], refreshDeadline[g] == .max else { return }
        refreshDeadline[g] = deadline
        gaps[g].reason = reason
        awaitingRefresh += 1
        if dequeue { queue.removeAll { $0 == g } }
    }

    /// The earliest refresh deadline (.max when no gap waits).
    public var nextRefreshDeadline: Int64 { awaitingRefresh == 0 ? .max : refreshDeadline.min() ?? .max }

    /// A Refresh Complete on ChannelID `channel`: the snapshot is synchronised to `lastSequence`, so
    /// every gap of the channel waiting for it and ending at or before it is resolved. Returns how many.
    @discardableResult
    public mutating func refreshComplete(channel: Int, lastSequence: UInt32, now: Int64) -> Int {
        guard awaitingRefresh > 0 else { return 0 }
        var resolved = 0
        for g in gaps.indices where refreshDeadline[g] != .max && gaps[g].channel == channel && gaps[g].last <= lastSequence {
            refreshDeadline[g] = .max
            awaitingRefresh -= 1
            closed[g] = true
            gaps[g].source = .refresh
            gaps[g].timeToRecoverNs = now - detectedMonotonic[g]
            gaps[g].reason = nil
            resolved += 1
        }
        return resolved
    }

    /// Gaps whose refresh did not come in time end unrecovered.
    public mutating func expireRefresh(now: Int64) {
        guard awaitingRefresh > 0 else { return }
        for g in gaps.indices where refreshDeadline[g] <= now {
            refreshDeadline[g] = .max
            awaitingRefresh -= 1
            close(g, reason: "no refresh snapshot covered it in time (after: \(gaps[g].reason ?? "-"))")
        }
    }

    /// Every gap not recovered yet ends, for `reason` (the daily budget is spent, no server answers,
    /// the run ended).
    public mutating func abandonAll(reason: String) {
        for g in gaps.indices where !closed[g] { close(g, reason: gaps[g].reason.map { "\(reason) (last: \($0))" } ?? reason) }
        queue.removeAll()
    }

    private mutating func close(_ g: Int, reason: String) {
        guard !closed[g] else { return }
        if refreshDeadline[g] != .max {
            refreshDeadline[g] = .max
            awaitingRefresh -= 1
        }
        closed[g] = true
        gaps[g].reason = reason
        queue.removeAll { $0 == g }
    }
}

/// What a recovery client counted besides its gaps.
public struct RecoveryCounters: Sendable, Equatable {
    public var requests: UInt64 = 0
    /// Messages asked for.
    public var requested: UInt64 = 0
    public var refused: [String: UInt64] = [:]
    public var timeouts: UInt64 = 0
    public var disconnects: UInt64 = 0
    public var garbage: UInt64 = 0
    public var wrongSequence: UInt64 = 0
    public var wrongRange: UInt64 = 0
    public var failovers: UInt64 = 0
    public var logons: UInt64 = 0
    public var refusedLogons: UInt64 = 0
    public var heartbeatsEchoed: UInt64 = 0
    /// Refresh Completes received, and refresh datagrams that were not OMD packets.
    public var refreshCompletes: UInt64 = 0
    public var refreshGarbage: UInt64 = 0
    public var notHandedOver: UInt64 = 0
    /// Recovered messages the receiving thread had no room for (not compared with the other line).
    public var notReturned: UInt64 = 0
    public init() {}
}

/// A recovery client's report (the `recovery` object of `listen --json`, docs/json/listen.md).
public struct RecoveryReport: Codable, Sendable, Equatable {
    /// The retransmission servers, in the order tried.
    public var servers: [String]
    public var gaps: Int
    /// Gaps resolved: every message came back, or a refresh snapshot covered them (`gapsRefreshed` of them).
    public var gapsRecovered: Int
    public var gapsRefreshed: Int
    /// Messages missing in the gaps (all of them were asked for unless a limit or fault said otherwise).
    public var missing: UInt64
    /// Messages asked for (requests' ranges, merged requests' extras included).
    public var requested: UInt64
    /// Gap messages received back with the sequence number asked for.
    public var recovered: UInt64
    /// Messages of gaps a refresh snapshot resolved instead (state resynchronised; the messages
    /// themselves never came back, so never counted as recovered).
    public var refreshed: UInt64
    /// Gap messages neither received back nor covered by a refresh.
    public var unrecovered: UInt64
    /// Detection to recovery of each wholly recovered gap; nil when none was.
    public var timeToRecover: LatencySummary?
    public var requests: UInt64
    /// Answers other than "accepted", by RetransStatus name.
    public var refused: [String: UInt64]
    public var timeouts: UInt64
    public var disconnects: UInt64
    /// Bytes from a server that were not OMD packets.
    public var garbage: UInt64
    /// Messages outside the range asked for, or out of order within it.
    public var wrongSequence: UInt64
    /// Answers for a range other than the one asked.
    public var wrongRange: UInt64
    /// Server changes after a failure (a refused connection or logon, a timeout, a disconnect, a bad answer).
    public var failovers: UInt64
    public var logons: UInt64
    public var refusedLogons: UInt64
    public var heartbeatsEchoed: UInt64
    /// Refresh Completes received, and refresh datagrams that were not OMD packets (with a refresh service).
    public var refreshCompletes: UInt64
    public var refreshGarbage: UInt64
    /// Gaps detected but never handed to the client (its intake was full).
    public var notHandedOver: UInt64
    /// Recovered messages not compared with the other line (`watch`: its intake was full).
    public var notReturned: UInt64
    /// The gaps, in order of detection (the first 1,000).
    public var gapList: [RecoveryGap]
    public static let gapListLimit = 1_000

    public init(servers: [String], ledger: RecoveryLedger, counters c: RecoveryCounters) {
        var histogram = LatencyHistogram.latency()
        var recoveredGaps = 0
        var missing: UInt64 = 0, recovered: UInt64 = 0, refreshed: UInt64 = 0
        for g in ledger.gaps {
            missing &+= g.size
            recovered &+= g.recovered
            if g.source == .refresh { refreshed &+= g.size - g.recovered }
            if let t = g.timeToRecoverNs {
                recoveredGaps += 1
                histogram.recordLatency(t)
            }
        }
        self.servers = servers
        gaps = ledger.gaps.count
        gapsRecovered = recoveredGaps
        gapsRefreshed = ledger.gaps.filter { $0.source == .refresh }.count
        self.missing = missing
        requested = c.requested
        self.recovered = recovered
        self.refreshed = refreshed
        unrecovered = missing - recovered - refreshed
        timeToRecover = recoveredGaps > 0 ? LatencySummary(histogram) : nil
        requests = c.requests
        refused = c.refused
        timeouts = c.timeouts
        disconnects = c.disconnects
        garbage = c.garbage
        wrongSequence = c.wrongSequence
        wrongRange = c.wrongRange
        failovers = c.failovers
        logons = c.logons
        refusedLogons = c.refusedLogons
        heartbeatsEchoed = c.heartbeatsEchoed
        refreshCompletes = c.refreshCompletes
        refreshGarbage = c.refreshGarbage
        notHandedOver = c.notHandedOver
        notReturned = c.notReturned
        gapList = Array(ledger.gaps.prefix(Self.gapListLimit))
    }
}

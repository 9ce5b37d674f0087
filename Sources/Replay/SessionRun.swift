#if canImport(Glibc)
import Glibc
#endif
import Capture
import CShims
import Histogram
import OrderEntry
import Results
import Transport
import Vocabulary
import Synchronization

/// One gateway replay while it runs, on one thread: a connection and FIX session per captured client
/// session, the requests in flight, the histograms and counters. ``execute()`` runs the phases in
/// turn — log every session on, replay the timeline, drain the answers and log out — and returns the
/// result. The connection work is in `SessionRun+Connections.swift`, the messages in
/// `SessionRun+Messages.swift`.
struct SessionRun {
    let player: SessionPlayer
    var plan: SessionPlan { player.plan }
    var options: SessionReplayOptions { player.options }
    var target: Endpoint { player.target }
    var stopRequested: Bool { player.stopFlag.load(ordering: .relaxed) }

    /// Message types results are kept for (others count as "other").
    static let types = ["D", "F", "G", "other"]
    var results: [MessageTypeResult]
    var histograms: [LatencyHistogram]
    var lateness = LatencyHistogram.latency()
    /// First response − actual send, over every type.
    var platform = LatencyHistogram.latency()
    /// Response time per equal slice of the schedule (``sliceWidth`` each).
    var slices: [LatencyHistogram]
    let sliceWidth: Int64
    static let sliceCount = 10
    var outstanding: [String: Outstanding] = [:]
    var rejectReasons: [String: UInt64] = [:]
    var sessionEvents: [String: UInt64] = [:]
    var logonRejections: [String] = []
    var logonTimeouts: [String] = []
    var connectFailures: [String] = []
    var disconnects = 0, reconnects = 0, responses: UInt64 = 0, requests: UInt64 = 0
    var live: [Live]
    var buffer = [UInt8](repeating: 0, count: 65_536)
    /// Requests rewritten before the run, per session.
    let prepared: [[PreparedRequest]]
    let beginFields: [[UInt8]]
    /// Whether each session's version writes SendingTime with milliseconds (``FIXVersion``).
    let sendingTimeMilliseconds: [Bool]
    let compIDFields: [[UInt8]]
    var clock = SendingTimeClock()
    /// Deadlines of requests written but not yet handed to the kernel (lateness is taken at the send).
    var unsentDeadlines: [Int64] = []
    /// ClOrdIDs of requests written but not yet handed to the kernel (their actual send time is taken at the send).
    var unsentIDs: [String] = []
    /// The timeline's anchor: one for all sessions, set when the logon phase ends (or at `--start-at`).
    var anchor: Int64 = 0
    /// How far after the agreed `--start-at` instant the timeline began (the logons took past it), ns.
    var startSkew: Int64 = 0
    var interrupted = false

    struct Outstanding { var scheduled: Int64; var type: Int; var session: Int; var answered: Bool; var sent: Int64 = 0 }

    /// A captured session's connection and FIX session.
    struct Live {
        var socket: TCPConnectionSocket?
        var parser = FIXStreamParser()
        var output: [UInt8] = []
        /// The FIX session layer: header, MsgSeqNum, Logon/Logout and the answers it owes.
        var session: FIXSession
        var loggedOn = false
        var loggedOut = false
        var next = 0               // next message index to send
        var inFlight = 0
        var attempts = 0
        var reconnectAt: Int64 = 0
        /// When the pending Logon counts as unanswered (set at each connect).
        var logonDeadline: Int64 = .max
        var lastSent: Int64 = 0
        /// MsgSeqNum → ClOrdID of requests sent (a session-level Reject names the MsgSeqNum).
        var clOrdIDBySequence: [Int: String] = [:]

        /// A session message into the output buffer.
        mutating func write(_ type: String, _ fields: [(Int, String)] = []) { session.write(type, fields, into: &output) }
        mutating func logon(reset: Bool, username: String?, password: String?) {
            session.logon(heartbeatSeconds: 30, resetSequence: reset, username: username, password: password, into: &output)
        }
        mutating func logout() { session.logout(into: &output) }
        /// An incoming message through the session layer (its answers go to the output buffer).
        mutating func receive(_ m: FIXMessage) -> FIXSession.Event { session.receive(m, into: &output) }
    }

    static func typeIndex(_ t: String) -> Int { types.firstIndex(of: t) ?? 3 }

    init(player: SessionPlayer) {
        self.player = player
        let options = player.options
        results = Self.types.map { MessageTypeResult(messageType: $0, latency: LatencySummary(Histogram<UInt64>(highestTrackableValue: 2))) }
        histograms = Self.types.map { _ in LatencyHistogram.latency() }
        slices = (0..<Self.sliceCount).map { _ in LatencyHistogram.latency() }
        let last = player.plan.lastTime
        let span = Int64(Double(max(1, last - player.plan.firstTime + 1)) / (options.speed ?? 1))
        sliceWidth = max(1, (span + Int64(Self.sliceCount) - 1) / Int64(Self.sliceCount))
        live = player.plan.sessions.map { s in
            Live(session: FIXSession(role: .initiator, beginString: s.beginString, senderCompID: options.senderCompID ?? s.senderCompID ?? "REHEARSE",
                                     targetCompID: options.targetCompID ?? s.targetCompID ?? "GATEWAY"))
        }
        prepared = player.plan.sessions.map { session in
            session.messages.map { SessionPlayer.prepare($0, runID: player.runID, typeIndex: Self.typeIndex) }
        }
        beginFields = live.map { Array("8=\($0.session.beginString)\u{01}".utf8) }
        sendingTimeMilliseconds = live.map { FIXVersion.sendingTimeHasMilliseconds($0.session.beginString) }
        compIDFields = live.map { Array("49=\($0.session.senderCompID)\u{01}56=\($0.session.targetCompID)\u{01}".utf8) }
        unsentDeadlines.reserveCapacity(256)
    }

    /// Runs every phase and returns the result.
    mutating func execute() -> SessionReplayResult {
        // Wake from waits on time (the default 50 µs timer slack is half a gap at 10 k messages/s).
        _ = rh_set_timer_slack(1)
        let loggedOn = logOn()
        replayTimeline()
        let end = drainAndLogOut()
        return result(loggedOn: loggedOn, end: end)
    }

    /// Connects and logs on every session; an unanswered or failed attempt is retried here, so the
    /// timeline starts once every session is logged on or has given up. Returns how many logged on.
    mutating func logOn() -> Int {
        for i in live.indices { _ = connect(i) }
        while !stopRequested {
            let now = Clock.monotonic()
            expireLogons(now)
            for i in live.indices where live[i].socket == nil && !finished(i) && now >= live[i].reconnectAt { if connect(i) { reconnects += 1 } }
            for i in live.indices { flush(i) }
            if live.indices.allSatisfy({ live[$0].loggedOn || finished($0) }) { break }
            poll(1_000_000)
        }
        return live.filter(\.loggedOn).count
    }

    /// Sends every session's requests at their deadlines (or within the in-flight window), reconnecting
    /// dropped sessions while attempts remain, until every request is sent or given up, or a stop.
    mutating func replayTimeline() {
        anchor = Clock.monotonic() + 2_000_000
        if let startAt = options.startAt {
            // The agreed instant on this clock; when the logons took past it, as soon as possible (said as the skew).
            let agreed = Clock.monotonic() &+ (startAt &- Clock.realtime())
            startSkew = max(0, anchor - agreed)
            anchor = max(anchor, agreed)
        }
        let speed = options.speed
        while true {
            if stopRequested { interrupted = true; break }
            let now = Clock.monotonic()
            expireLogons(now)
            var nextDue = Int64.max
            var remaining = false
            for i in live.indices {
                if live[i].socket == nil && !live[i].loggedOut && live[i].next < plan.sessions[i].messages.count
                    && live[i].attempts < options.connectAttempts && now >= live[i].reconnectAt {
                    if connect(i) { reconnects += 1 }
                }
                // Keep a quiet session alive: a Heartbeat after HeartBtInt (30 s) without sending.
                if live[i].loggedOn && now - live[i].lastSent > 30_000_000_000 {
                    live[i].write(FIXMessageType.heartbeat)
                    flush(i)
                }
                guard live[i].loggedOn, live[i].socket != nil else {
                    if !live[i].loggedOut && live[i].next < plan.sessions[i].messages.count && live[i].attempts < options.connectAttempts { remaining = true }
                    continue
                }
                while live[i].next < plan.sessions[i].messages.count {
                    remaining = true
                    if speed == nil {
                        guard live[i].inFlight < options.maximumInFlight else { break }
                        sendApplication(i, scheduled: Clock.monotonic())
                    } else {
                        let due = deadline(i)
                        if due > Clock.monotonic() { nextDue = min(nextDue, due); break }
                        sendApplication(i, scheduled: due)
                    }
                }
                flush(i)
                if live[i].next < plan.sessions[i].messages.count { remaining = true }
            }
            if !remaining { break }
            let wait = nextDue == .max ? 1_000_000 : max(0, nextDue - Clock.monotonic())
            // Sleep in poll until shortly before the next deadline, then spin (polling for answers).
            if wait > 300_000 { poll(min(wait - 250_000, 5_000_000)) } else { poll(0) }
        }
    }

    /// Waits for the answers still due (up to the response timeout), then logs every session out.
    /// Returns when the answers phase ended (the end of the measured wall time).
    mutating func drainAndLogOut() -> Int64 {
        let drainEnd = Clock.monotonic() + options.responseTimeout
        while !interrupted && Clock.monotonic() < drainEnd && outstanding.values.contains(where: { !$0.answered }) {
            if stopRequested { interrupted = true; break }
            poll(1_000_000)
        }
        let end = Clock.monotonic()
        for i in live.indices where live[i].socket != nil && live[i].loggedOn {
            live[i].logout()
            flush(i)
        }
        let logoutEnd = Clock.monotonic() + 1_000_000_000
        while Clock.monotonic() < logoutEnd && live.contains(where: { $0.socket != nil && !$0.loggedOut }) { poll(10_000_000) }
        for i in live.indices { live[i].socket?.close() }
        return end
    }

    /// The result: unanswered requests are timeouts; latency per type and over all types.
    mutating func result(loggedOn: Int, end: Int64) -> SessionReplayResult {
        for o in outstanding.values where !o.answered { results[o.type].timeouts += 1 }
        for t in results.indices {
            results[t].latency = LatencySummary(histograms[t])
            results[t].histogram = histograms[t].totalCount == 0 ? nil : histograms[t].base64V2Compressed
        }
        var all = histograms.first ?? Histogram<UInt64>(highestTrackableValue: 2)
        for h in histograms.dropFirst() { all.add(h) }
        let intervals = slices.enumerated().map { i, h in
            IntervalSample(startNs: Int64(i) * sliceWidth, spanNs: sliceWidth, count: h.totalCount,
                           p50: h.totalCount == 0 ? nil : h.valueAtPercentile(50), p99: h.totalCount == 0 ? nil : h.valueAtPercentile(99),
                           platformP99: nil, histogram: h.totalCount == 0 ? nil : h.base64V2Compressed)
        }
        let wall = max(1, end - anchor)
        var result = SessionReplayResult(
            capture: plan.path, target: target.description, sessions: plan.sessions.count, sessionsLoggedOn: loggedOn,
            halfCapturedSessions: plan.sessions.filter(\.halfCaptured).count, logonRejections: logonRejections,
            logonTimeouts: logonTimeouts, connectFailures: connectFailures, disconnects: disconnects, reconnects: reconnects, requests: requests,
            responses: responses, wallNs: wall, requestsPerSecond: Double(requests) * 1e9 / Double(wall),
            lateness: LatencySummary(lateness), byType: results.filter { $0.sent > 0 },
            spectrum: histograms.isEmpty ? nil : PercentileSpectrum(all),
            platformTime: platform.totalCount == 0 ? nil : LatencySummary(platform),
            intervals: options.speed == nil ? nil : intervals, rejectReasons: rejectReasons,
            sessionEvents: sessionEvents,
            captureFramingErrors: plan.framingErrors, interrupted: interrupted,
            histogram: all.totalCount == 0 ? nil : all.base64V2Compressed,
            platformHistogram: platform.totalCount == 0 ? nil : platform.base64V2Compressed)
        result.latenessHistogram = lateness.totalCount == 0 ? nil : lateness.base64V2Compressed
        if let startAt = options.startAt {
            result.startAtNs = startAt
            result.startSkewNs = startSkew
        }
        if let shard = plan.shard {
            result.shard = GatewayShardPart(shard: shard, sessionsTotal: plan.sessionsTotal, captureError: plan.captureError?.description)
        }
        return result
    }
}

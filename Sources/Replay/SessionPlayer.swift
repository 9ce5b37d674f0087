#if canImport(Glibc)
import Glibc
#endif
import Vocabulary
import Capture
import CShims
import Histogram
import Measure
import Results
import OrderEntry
import Synchronization
import Transport

/// How a gateway replay runs.
public struct SessionReplayOptions: Sendable {
    /// Original timing scaled by this (2 = twice as fast); nil with `maximumInFlight` = as fast as the window allows.
    public var speed: Double? = 1
    /// With `speed` nil: requests outstanding per session at most.
    public var maximumInFlight = 16
    /// CompIDs to log on with (default: the captured logon's).
    public var senderCompID: String?
    public var targetCompID: String?
    /// Username (553) and password (554) for the logon.
    public var username: String?
    public var password: String?
    /// A request without any answer after this long is a timeout (ns).
    public var responseTimeout: Int64 = 5_000_000_000
    /// Connection attempts per session (first connect and after a drop).
    public var connectAttempts = 3
    public var reconnectDelay: Int64 = 200_000_000
    /// How long a session waits for the answer to its Logon before the attempt counts as failed (ns).
    /// A failed attempt is retried, after `reconnectDelay`, while `connectAttempts` allow; so a gateway
    /// that accepts connections and never answers ends the replay within about
    /// `connectAttempts × (logonTimeout + reconnectDelay)`.
    public var logonTimeout: Int64 = 5_000_000_000
    public init() {}
}

/// Replays captured FIX client sessions against a gateway: per session a TCP connection, a Logon with
/// the configured CompIDs, the application messages at their deadlines (original timing × speed, on one
/// timeline across sessions) or as fast as a max-in-flight window allows, with MsgSeqNum, SendingTime,
/// CompIDs and ClOrdID (unique per run; OrigClOrdID follows) rewritten; TestRequests answered; a clean
/// Logout. Every answer is matched by ClOrdID to its request: latency from the scheduled send time.
/// `@unchecked Sendable`: all mutable run state lives in `run()`'s locals on one thread; other threads only call `stop()`, an atomic flag.
public final class SessionPlayer: @unchecked Sendable {
    public let plan: SessionPlan
    public let target: Endpoint
    public let options: SessionReplayOptions
    let stopFlag = Atomic<Bool>(false)
    let runID: String

    public init(plan: SessionPlan, target: Endpoint, options: SessionReplayOptions, runID: String? = nil) {
        self.plan = plan
        self.target = target
        self.options = options
        self.runID = runID ?? String(UInt64(Clock.realtime()) % 100_000_000, radix: 36).uppercased()
    }

    public func stop() { stopFlag.store(true, ordering: .relaxed) }

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

    struct Outstanding { var scheduled: Int64; var type: Int; var session: Int; var answered: Bool }

    public func run() -> SessionReplayResult {
        // Wake from waits on time (the default 50 µs timer slack is half a gap at 10 k messages/s).
        _ = rh_set_timer_slack(1)
        let types = ["D", "F", "G", "other"]
        func typeIndex(_ t: String) -> Int { types.firstIndex(of: t) ?? 3 }
        var results = types.map { MessageTypeResult(messageType: $0, latency: LatencySummary(Histogram<UInt64>(highestTrackableValue: 2))) }
        var histograms = types.map { _ in LatencyHistogram.latency() }
        var lateness = LatencyHistogram.latency()
        var outstanding: [String: Outstanding] = [:]
        var rejectReasons: [String: UInt64] = [:]
        var sessionEvents: [String: UInt64] = [:]
        var logonRejections: [String] = []
        var logonTimeouts: [String] = []
        var connectFailures: [String] = []
        var disconnects = 0, reconnects = 0, responses: UInt64 = 0, requests: UInt64 = 0
        var live = plan.sessions.map { s in
            Live(session: FIXSession(role: .initiator, beginString: s.beginString, senderCompID: options.senderCompID ?? s.senderCompID ?? "REHEARSE",
                                     targetCompID: options.targetCompID ?? s.targetCompID ?? "GATEWAY"))
        }
        var buffer = [UInt8](repeating: 0, count: 65_536)
        let prepared = plan.sessions.map { session in session.messages.map { Self.prepare($0, runID: runID, typeIndex: typeIndex) } }
        let beginFields = live.map { Array("8=\($0.session.beginString)\u{01}".utf8) }
        let compIDFields = live.map { Array("49=\($0.session.senderCompID)\u{01}56=\($0.session.targetCompID)\u{01}".utf8) }
        var clock = SendingTimeClock()


        func connect(_ i: Int) -> Bool {
            live[i].attempts += 1
            do {
                live[i].socket = try TCPConnectionSocket.connect(to: target)
                live[i].parser = FIXStreamParser()
                live[i].output = []
                live[i].loggedOn = false
                live[i].logonDeadline = Clock.monotonic() + options.logonTimeout
                live[i].logon(reset: live[i].attempts > 1, username: options.username, password: options.password)
                return true
            } catch {
                if live[i].attempts >= options.connectAttempts { connectFailures.append("session \(i + 1): \(error.description)") }
                live[i].reconnectAt = Clock.monotonic() + options.reconnectDelay
                return false
            }
        }

        /// Deadlines of requests written but not yet handed to the kernel (lateness is taken at the send).
        var unsentDeadlines: [Int64] = []
        unsentDeadlines.reserveCapacity(256)

        func flush(_ i: Int) {
            guard let socket = live[i].socket, !live[i].output.isEmpty else { return }
            let n = live[i].output.withUnsafeBytes { socket.send($0) }
            if n > 0 { live[i].output.removeFirst(n); live[i].lastSent = Clock.monotonic() } else if n != -Int(EAGAIN) { drop(i) }
            if !unsentDeadlines.isEmpty {
                let now = Clock.monotonic()
                for d in unsentDeadlines { lateness.recordLatency(now - d) }
                unsentDeadlines.removeAll(keepingCapacity: true)
            }
        }

        func drop(_ i: Int) {
            live[i].socket?.close()
            live[i].socket = nil
            if !live[i].loggedOut { disconnects += 1 }
            live[i].loggedOn = false
            live[i].inFlight = 0
            for (id, o) in outstanding where o.session == i && !o.answered {
                results[o.type].lostToDisconnects += 1
                outstanding[id] = nil
            }
            live[i].reconnectAt = Clock.monotonic() + options.reconnectDelay
        }

        /// Sends the session's next request: the body was rewritten before the run; only the header's
        /// MsgSeqNum and SendingTime, BodyLength and CheckSum are made now, straight into the output buffer.
        func sendApplication(_ i: Int, scheduled: Int64) {
            let p = prepared[i][live[i].next]
            live[i].next += 1
            let sequence = live[i].session.claimSequenceNumber()
            appendMessage(&live[i].output, begin: beginFields[i], type: p.type, compIDs: compIDFields[i],
                          sequence: sequence, time: &clock, body: p.body)
            unsentDeadlines.append(scheduled)
            results[p.typeIndex].sent += 1
            requests += 1
            if let id = p.clOrdID {
                outstanding[id] = Outstanding(scheduled: scheduled, type: p.typeIndex, session: i, answered: false)
                live[i].inFlight += 1
                live[i].clOrdIDBySequence[sequence] = id
            }
        }

        func received(_ i: Int, _ m: FIXMessage, at time: Int64) {
            func text(_ tag: Int) -> String? { m.value(tag).map(FIXMessage.string) }
            switch live[i].receive(m) {
            case .loggedOn: live[i].loggedOn = true
            case .logonRefused(let reason):
                logonRejections.append("session \(i + 1): \(reason ?? "logout without a reason")")
                live[i].next = plan.sessions[i].messages.count
                live[i].loggedOut = true
                live[i].socket?.close(); live[i].socket = nil
            case .loggedOut:
                live[i].loggedOut = true
                flush(i)   // the Logout the session owes when the gateway started it
                live[i].socket?.close(); live[i].socket = nil
            case .resendRequest:
                // Requests are not resent (they would arrive late and distort latency); the session
                // answered with a SequenceReset-GapFill that tells the gateway to move on.
                sessionEvents["resend requests answered with a gap fill", default: 0] += 1
            case .sessionReject(let refSeqNum, let reason):
                // Session-level Reject of one of our messages: the request it names is answered (rejected).
                responses += 1
                sessionEvents["session-level rejects", default: 0] += 1
                guard let seq = refSeqNum, let id = live[i].clOrdIDBySequence[seq], var o = outstanding[id], !o.answered else { return }
                o.answered = true
                outstanding[id] = o
                live[i].inFlight -= 1
                results[o.type].answered += 1
                results[o.type].rejects += 1
                rejectReasons["session reject: " + (reason ?? "no reason"), default: 0] += 1
                histograms[o.type].recordLatency(time - o.scheduled)
            case .application(let type):
                answered(type, m, at: time)
            case .heartbeat, .testRequest, .sequenceReset, .logonRequested, .beforeLogon, .malformed:
                break  // answered by the session where owed; incoming MsgSeqNums are not enforced
            }
        }

        /// An Execution Report, Order Cancel Reject or Business Message Reject: matched by ClOrdID.
        func answered(_ type: String, _ m: FIXMessage, at time: Int64) {
            func text(_ tag: Int) -> String? { m.value(tag).map(FIXMessage.string) }
            switch type {
            case FIXMessageType.executionReport, FIXMessageType.orderCancelReject, FIXMessageType.businessMessageReject:
                responses += 1
                guard let id = text(FIXTag.clOrdID), var o = outstanding[id] else { return }
                let execType = text(FIXTag.execType) ?? ""
                if type == FIXMessageType.executionReport && execType == "F" { results[o.type].fills += 1 }
                if o.answered { return }
                o.answered = true
                outstanding[id] = o
                live[o.session].inFlight -= 1
                results[o.type].answered += 1
                histograms[o.type].recordLatency(time - o.scheduled)
                if type == FIXMessageType.orderCancelReject {
                    results[o.type].cancelRejects += 1
                    rejectReasons[text(FIXTag.text) ?? "cancel rejected", default: 0] += 1
                } else if type == FIXMessageType.businessMessageReject || execType == "8" {
                    results[o.type].rejects += 1
                    rejectReasons[text(FIXTag.text) ?? "rejected", default: 0] += 1
                }
                else if execType != "F" { results[o.type].acks += 1 }
            default: break
            }
        }

        func poll(_ timeout: Int64) {
            var descriptors: [Int32] = [], writable: [Bool] = [], owners: [Int] = []
            for i in live.indices { if let s = live[i].socket { descriptors.append(s.descriptor); writable.append(!live[i].output.isEmpty); owners.append(i) } }
            guard !descriptors.isEmpty else { usleep(UInt32(min(max(timeout / 1_000, 0), 10_000))); return }
            let ready = waitForSockets(descriptors, writable: writable, timeoutNanoseconds: timeout)
            let now = Clock.monotonic()
            for (k, flags) in ready.enumerated() where flags != 0 {
                let i = owners[k]
                if flags & 2 != 0 { flush(i) }
                guard flags & 1 != 0, let socket = live[i].socket else { continue }
                let n = buffer.withUnsafeMutableBytes { socket.receive(into: $0) }
                if n == 0 || (n < 0 && n != -Int(EAGAIN)) { drop(i); continue }
                guard n > 0 else { continue }
                var messages: [[UInt8]] = []
                buffer.withUnsafeBytes { raw in
                    live[i].parser.append(ByteView(unsafeStart: raw.baseAddress, count: n), timestamp: now) { m in
                        messages.append(m.message.bytes.withUnsafeBytes { Array($0) })
                    }
                }
                for bytes in messages {
                    bytes.withUnsafeBytes { raw in received(i, FIXMessage(unchecked: ByteView(unsafeStart: raw.baseAddress, count: raw.count)), at: now) }
                }
                flush(i)
            }
        }

        /// Whether session `i` will never send again: logged out, or out of connection attempts.
        func finished(_ i: Int) -> Bool {
            live[i].loggedOut || live[i].next >= plan.sessions[i].messages.count
                || (live[i].socket == nil && live[i].attempts >= options.connectAttempts)
        }

        /// A Logon without an answer by its deadline fails that attempt: the connection is closed and,
        /// while attempts remain, made again after `reconnectDelay`; the last one gives the session up.
        func expireLogons(_ now: Int64) {
            for i in live.indices where live[i].socket != nil && !live[i].loggedOn && !live[i].loggedOut && now >= live[i].logonDeadline {
                live[i].socket?.close()
                live[i].socket = nil
                live[i].output = []
                live[i].reconnectAt = now + options.reconnectDelay
                sessionEvents["logons unanswered", default: 0] += 1
                if live[i].attempts >= options.connectAttempts {
                    logonTimeouts.append("session \(i + 1): \(target) accepted the connection and did not answer the Logon within "
                                         + "\(TimeFormat.duration(options.logonTimeout)) (\(live[i].attempts) attempt\(live[i].attempts == 1 ? "" : "s"))")
                    live[i].next = plan.sessions[i].messages.count
                }
            }
        }

        // Connect and log on every session; an unanswered or failed attempt is retried here, so the
        // timeline starts once every session is logged on or has given up.
        for i in live.indices { _ = connect(i) }
        while !stopFlag.load(ordering: .relaxed) {
            let now = Clock.monotonic()
            expireLogons(now)
            for i in live.indices where live[i].socket == nil && !finished(i) && now >= live[i].reconnectAt { if connect(i) { reconnects += 1 } }
            for i in live.indices { flush(i) }
            if live.indices.allSatisfy({ live[$0].loggedOn || finished($0) }) { break }
            poll(1_000_000)
        }
        let loggedOn = live.filter(\.loggedOn).count
        // The timeline: one anchor for all sessions.
        let anchor = Clock.monotonic() + 2_000_000
        let speed = options.speed
        func deadline(_ i: Int) -> Int64 {
            guard let speed else { return 0 }
            let t = plan.sessions[i].messages[live[i].next].timestamp - plan.firstTime
            return anchor + Int64(Double(t) / speed)
        }
        var interrupted = false
        while true {
            if stopFlag.load(ordering: .relaxed) { interrupted = true; break }
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
        // Drain answers, then log out.
        let drainEnd = Clock.monotonic() + options.responseTimeout
        while !interrupted && Clock.monotonic() < drainEnd && outstanding.values.contains(where: { !$0.answered }) {
            if stopFlag.load(ordering: .relaxed) { interrupted = true; break }
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
        for o in outstanding.values where !o.answered { results[o.type].timeouts += 1 }
        for t in results.indices { results[t].latency = LatencySummary(histograms[t]) }
        var all = histograms.first ?? Histogram<UInt64>(highestTrackableValue: 2)
        for h in histograms.dropFirst() { all.add(h) }
        let wall = max(1, end - anchor)
        return SessionReplayResult(
            capture: plan.path, target: target.description, sessions: plan.sessions.count, sessionsLoggedOn: loggedOn,
            halfCapturedSessions: plan.sessions.filter(\.halfCaptured).count, logonRejections: logonRejections,
            logonTimeouts: logonTimeouts, connectFailures: connectFailures, disconnects: disconnects, reconnects: reconnects, requests: requests,
            responses: responses, wallNs: wall, requestsPerSecond: Double(requests) * 1e9 / Double(wall),
            lateness: LatencySummary(lateness), byType: results.filter { $0.sent > 0 },
            spectrum: histograms.isEmpty ? nil : PercentileSpectrum(all), rejectReasons: rejectReasons,
            sessionEvents: sessionEvents,
            captureFramingErrors: plan.framingErrors, interrupted: interrupted)
    }
}

/// A request rewritten before the run: MsgType field, the body after the standard header (ClOrdID and
/// OrigClOrdID mapped to this run), and the run's ClOrdID.
struct PreparedRequest {
    var type: [UInt8]
    var typeIndex: Int
    var body: [UInt8]
    var clOrdID: String?
}

extension SessionPlayer {
    static func prepare(_ m: CapturedFIXMessage, runID: String, typeIndex: (String) -> Int) -> PreparedRequest {
        var body: [UInt8] = []
        var clOrdID: String?
        m.bytes.withUnsafeBytes { raw in
            var it = FIXMessage(unchecked: ByteView(unsafeStart: raw.baseAddress, count: raw.count)).fields
            while let f = it.next() {
                switch f.tag {
                case _ where FIXTag.sessionHeader.contains(f.tag): continue
                case FIXTag.clOrdID, FIXTag.origClOrdID:
                    let mapped = "\(runID)-\(FIXMessage.string(f.value))"
                    if f.tag == FIXTag.clOrdID { clOrdID = mapped }
                    body += Array("\(f.tag)=\(mapped)\u{01}".utf8)
                default:
                    body += Array("\(f.tag)=".utf8)
                    f.value.withUnsafeBytes { body += $0 }
                    body.append(0x01)
                }
            }
        }
        return PreparedRequest(type: Array("35=\(m.messageType)\u{01}".utf8), typeIndex: typeIndex(m.messageType), body: body, clOrdID: clOrdID)
    }
}

/// SendingTime (52) text for the realtime clock, "YYYYMMDD-HH:MM:SS.sss": the date and time of day are
/// formatted once per second, the milliseconds per call.
struct SendingTimeClock {
    private var second: Int64 = -1
    private var prefix: [UInt8] = []

    /// Appends `52=…<SOH>` for now.
    mutating func append(to out: inout [UInt8]) {
        let ns = Clock.realtime()
        let s = ns / 1_000_000_000
        if s != second {
            second = s
            let text = FIXTime.format(ns)
            prefix = Array("52=\(text.prefix(18))".utf8)
        }
        out += prefix
        let ms = Int(ns / 1_000_000 % 1000)
        out.append(UInt8(0x30 + ms / 100)); out.append(UInt8(0x30 + ms / 10 % 10)); out.append(UInt8(0x30 + ms % 10))
        out.append(0x01)
    }
}

/// Appends a whole FIX message: BeginString, BodyLength, MsgType, CompIDs, MsgSeqNum, SendingTime, the
/// prepared body and the CheckSum — no intermediate strings.
func appendMessage(_ out: inout [UInt8], begin: [UInt8], type: [UInt8], compIDs: [UInt8], sequence: Int,
                   time: inout SendingTimeClock, body: [UInt8]) {
    // BodyLength: everything after "9=…<SOH>" up to the checksum; SendingTime is always 25 bytes.
    var digits = 1
    var v = sequence
    while v >= 10 { v /= 10; digits += 1 }
    let bodyLength = type.count + compIDs.count + 3 + digits + 1 + 25 + body.count
    let start = out.count
    out += begin
    out += [0x39, 0x3D]  // 9=
    appendDecimal(bodyLength, to: &out)
    out.append(0x01)
    out += type
    out += compIDs
    out += [0x33, 0x34, 0x3D]  // 34=
    appendDecimal(sequence, to: &out)
    out.append(0x01)
    time.append(to: &out)
    out += body
    var sum = 0
    for k in start..<out.count { sum &+= Int(out[k]) }
    let c = sum & 0xFF
    out += [0x31, 0x30, 0x3D, UInt8(0x30 + c / 100), UInt8(0x30 + c / 10 % 10), UInt8(0x30 + c % 10), 0x01]
}

@inline(__always)
func appendDecimal(_ value: Int, to out: inout [UInt8]) {
    if value >= 10 { appendDecimal(value / 10, to: &out) }
    out.append(UInt8(0x30 + value % 10))
}


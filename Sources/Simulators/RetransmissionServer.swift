#if canImport(Glibc)
import Glibc
#endif
import Vocabulary
import MarketData
import Synchronization
import Transport

/// The retransmission service's limits (OMD-D/OMD-C "Retransmission Server"; docs/formats/omd.md),
/// the specification's figures by default.
public struct RetransmissionLimits: Sendable, Equatable {
    /// The window, the request size and the daily budget.
    public var service = RecoveryLimits()
    public var window: Int { get { service.window } set { service.window = newValue } }
    public var maximumPerRequest: Int { get { service.maximumPerRequest } set { service.maximumPerRequest = newValue } }
    public var dailyRequests: Int { get { service.dailyRequests } set { service.dailyRequests = newValue } }
    /// A connection that has not logged on within this long is closed (ns).
    public var logonTimeout: Int64 = 5_000_000_000
    /// A heartbeat goes to each logged-on client this often (ns) ...
    public var heartbeatInterval: Int64 = 30_000_000_000
    /// ... and a client that has not echoed it within this long is disconnected (ns).
    public var heartbeatTimeout: Int64 = 5_000_000_000
    /// Largest retransmission packet (the real-time line's framing need not be kept, and is not).
    public var maximumPayload = 1_400
    public init() {}
}

/// A misbehaviour of one retransmission server, to rehearse a client's recovery from it.
public enum RetransmissionFault: Sendable, Equatable, CustomStringConvertible {
    /// Not listening at all (connections refused): the client must use the next server.
    case down
    /// Every logon refused (SessionStatus 5, invalid user), the connection then closed.
    case refuseLogon
    /// Every request answered "not available" (RetransStatus 2).
    case notAvailable
    /// Every answer this long after its request (ns).
    case slow(Int64)
    /// The connection closed half-way through each answer's messages.
    case disconnectMidAnswer
    /// Each answer followed by bytes that are not an OMD packet (PktSize below the header).
    case garbage
    /// Each retransmitted packet numbered one past its first message's true sequence number.
    case wrongSequence
    /// Each answer for the range one past the one asked (response and messages alike).
    case wrongRange
    /// Logons answered, requests never.
    case silent
    /// Every retransmitted message with its last byte changed (numbers right, content wrong).
    case corrupt

    /// `down`, `refuse-logon`, `not-available`, `slow:50ms`, `disconnect-mid-answer`, `garbage`,
    /// `wrong-sequence`, `wrong-range`, `silent`.
    public init?(_ text: String, parseDuration: (String) -> Int64?) {
        switch text {
        case "down": self = .down
        case "refuse-logon": self = .refuseLogon
        case "not-available": self = .notAvailable
        case "disconnect-mid-answer": self = .disconnectMidAnswer
        case "garbage": self = .garbage
        case "wrong-sequence": self = .wrongSequence
        case "wrong-range": self = .wrongRange
        case "silent": self = .silent
        case "corrupt": self = .corrupt
        default:
            guard text.hasPrefix("slow:"), let d = parseDuration(String(text.dropFirst(5))), d >= 0 else { return nil }
            self = .slow(d)
        }
    }

    public var description: String {
        switch self {
        case .down: "down"
        case .refuseLogon: "refuse-logon"
        case .notAvailable: "not-available"
        case .slow(let d): "slow:\(TimeFormat.duration(d))"
        case .disconnectMidAnswer: "disconnect-mid-answer"
        case .garbage: "garbage"
        case .wrongSequence: "wrong-sequence"
        case .wrongRange: "wrong-range"
        case .silent: "silent"
        case .corrupt: "corrupt"
        }
    }
}

/// The simulator's Refresh Service: per channel, snapshot cycles on its own endpoint, each ending with
/// Refresh Complete (203) carrying the real-time SN the snapshot is synchronised to.
public struct RefreshSettings: Sendable {
    /// Channel i's refresh is published to `endpoints[i]`.
    public var endpoints: [Endpoint]
    /// One cycle per channel this often (ns).
    public var cycle: Int64 = 1_000_000_000
    public var sender = SenderOptions()
    /// Cycles that never end (no Refresh Complete): a fault for the client's refresh timeout.
    public var neverComplete = false
    public init(endpoints: [Endpoint]) { self.endpoints = endpoints }
}

/// Counters of a retransmission server run (all its endpoints).
public struct RetransmissionServerStatistics: Sendable, Codable, Equatable {
    public var connections: UInt64 = 0
    public var logons: UInt64 = 0
    /// Logons answered "invalid user" (status 5).
    public var refusedLogons: UInt64 = 0
    /// Logons answered "already connected" (status 100): the user had a session.
    public var duplicateSessions: UInt64 = 0
    public var logonTimeouts: UInt64 = 0
    public var heartbeatsSent: UInt64 = 0
    public var heartbeatTimeouts: UInt64 = 0
    public var requests: UInt64 = 0
    public var accepted: UInt64 = 0
    public var unknownChannel: UInt64 = 0
    public var notAvailable: UInt64 = 0
    public var rangeTooBig: UInt64 = 0
    public var tooManyRequests: UInt64 = 0
    /// Requests left unanswered (the `silent` fault).
    public var unanswered: UInt64 = 0
    public var messagesSent: UInt64 = 0
    public var packetsSent: UInt64 = 0
    /// Client bytes that were not a logon, request or heartbeat (the connection is closed).
    public var badRequests: UInt64 = 0
    /// Connections that ended other than by the server's own decision.
    public var disconnects: UInt64 = 0
    /// Published messages the server never received (its intake ring was full).
    public var storeOverflows: UInt64 = 0
    /// Refresh cycles published (all channels), and their packets.
    public var refreshCycles: UInt64 = 0
    public var refreshPackets: UInt64 = 0
    public init() {}
}

/// A reference OMD Retransmission Server (RTS): TCP, Logon (101) and Logon Response (102),
/// Retransmission Request (201) answered by Retransmission Response (202) and, when accepted, the
/// messages with their original sequence numbers in packets of its own framing; heartbeats both ways;
/// the specification's limits (``RetransmissionLimits``), one session per user, requests served one
/// after another across every connection; faults per endpoint (``RetransmissionFault``).
///
/// It serves what a publisher hands it through ``feed`` (``RetransmissionFeed/record(channel:sequence:bytes:)``,
/// lock-free), on its own thread: ``run()``.
/// `@unchecked Sendable`: sessions and windows are touched only by the thread in `run()`; other threads call `stop()` (an atomic) and the feed (an SPSC ring).
public final class RetransmissionServer: @unchecked Sendable {
    public let endpoints: [Endpoint]
    public let channels: Int
    public let limits: RetransmissionLimits
    /// Faults per endpoint (same order as `endpoints`).
    public let faults: [[RetransmissionFault]]
    /// The publishing side's handle.
    public let feed = RetransmissionFeed()
    let listeners: [TCPListener?]
    let stopFlag = Atomic<Bool>(false)
    public let refresh: RefreshSettings?
    let refreshSenders: [UDPSender]

    final class Session {
        let socket: TCPConnectionSocket
        let server: Int
        let framer = OMDStreamFramer()
        var outbox = TCPOutbox()
        var username: String?
        let acceptedAt: Int64
        var nextHeartbeat: Int64 = .max
        var echoDeadline: Int64 = .max
        /// Close once the outbox is sent (a refused logon, a fault).
        var closing = false
        var closed = false
        init(socket: TCPConnectionSocket, server: Int, acceptedAt: Int64) {
            self.socket = socket
            self.server = server
            self.acceptedAt = acceptedAt
        }
    }

    struct Request {
        let session: Session
        let channel: UInt16
        let begin: UInt32
        let end: UInt32
        let due: Int64
    }

    /// - Parameters:
    ///   - endpoints: where each server listens (port 0: any free port, see ``ports``).
    ///   - channels: channels 0..<channels are served (ChannelID = the publisher's channel index).
    ///   - faults: per endpoint; missing entries mean none.
    ///   - refresh: also publish refresh cycles (`sim feed --refresh`).
    public init(endpoints: [Endpoint], channels: Int, limits: RetransmissionLimits = RetransmissionLimits(),
                faults: [[RetransmissionFault]] = [], refresh: RefreshSettings? = nil) throws(TransportError) {
        self.refresh = refresh
        var senders: [UDPSender] = []
        for e in refresh?.endpoints.prefix(channels) ?? [] { senders.append(try UDPSender(target: e, options: refresh!.sender)) }
        refreshSenders = senders
        self.endpoints = endpoints
        self.channels = channels
        self.limits = limits
        self.faults = endpoints.indices.map { $0 < faults.count ? faults[$0] : [] }
        var listeners: [TCPListener?] = []
        for (i, e) in endpoints.enumerated() {
            listeners.append(self.faults[i].contains(.down) ? nil : try TCPListener(endpoint: e))
        }
        self.listeners = listeners
    }

    /// Ports listened on, per endpoint (0 for a server that is `down`).
    public var ports: [UInt16] { listeners.map { $0?.port ?? 0 } }
    public func stop() { stopFlag.store(true, ordering: .relaxed) }

    /// Serves until ``stop()``; returns the counters.
    public func run() -> RetransmissionServerStatistics {
        var state = ServerState(channels: channels, window: limits.window)
        while !stopFlag.load(ordering: .relaxed) {
            step(&state)
        }
        for s in state.sessions { s.socket.close() }
        state.statistics.storeOverflows = feed.overflows.load(ordering: .relaxed)
        finished.withLock { $0 = state.statistics }
        return state.statistics
    }

    /// The counters of the last ``run()``, once it returned (nil before).
    public var finalStatistics: RetransmissionServerStatistics? { finished.withLock { $0 } }
    private let finished = Mutex<RetransmissionServerStatistics?>(nil)

    struct ServerState {
        var windows: [ChannelWindow]
        var sessions: [Session] = []
        var queue: [Request] = []
        var requestsToday: [String: Int] = [:]
        var statistics = RetransmissionServerStatistics()
        var scratch: [UInt8] = []
        var images: [RefreshImage]
        var refreshSequence: [UInt32]
        var nextCycle: Int64 = .max
        init(channels: Int, window: Int) {
            windows = (0..<channels).map { _ in ChannelWindow(window: window) }
            images = Array(repeating: RefreshImage(), count: channels)
            refreshSequence = Array(repeating: 1, count: channels)
            scratch.reserveCapacity(1 << 16)
        }
    }

    /// One turn of the loop: take in what was published, serve what is due, wait for the sockets.
    func step(_ state: inout ServerState) {
        drain(&state)
        var now = Clock.monotonic()
        serveQueue(&state, now)
        keepAlive(&state, now)
        flushAndReap(&state)
        // Wake for the next deadline, or in 10 ms to take in what was published meanwhile.
        if let refresh {
            if state.nextCycle == .max { state.nextCycle = now + refresh.cycle }
            if now >= state.nextCycle {
                publishRefresh(&state)
                state.nextCycle = now + refresh.cycle
            }
        }
        var wake = min(now + 10_000_000, state.nextCycle)
        if let head = state.queue.first { wake = min(wake, head.due) }
        for s in state.sessions {
            wake = min(wake, s.username == nil ? s.acceptedAt + limits.logonTimeout : min(s.nextHeartbeat, s.echoDeadline))
        }
        let open = listeners.compactMap { $0 }
        let fds = open.map(\.descriptor) + state.sessions.map(\.socket.descriptor)
        let writable = open.map { _ in false } + state.sessions.map { !$0.outbox.isEmpty }
        let ready = waitForSockets(fds, writable: writable, timeoutNanoseconds: max(0, wake - now))
        now = Clock.monotonic()
        for (i, listener) in open.enumerated() where ready[i] & 1 != 0 {
            let server = listeners.firstIndex { $0 === listener }!
            while let socket = listener.accept() {
                state.statistics.connections &+= 1
                state.sessions.append(Session(socket: socket, server: server, acceptedAt: now))
            }
        }
        for (k, session) in state.sessions.enumerated() where k + open.count < ready.count && ready[k + open.count] & 1 != 0 {
            read(session, &state, now)
        }
    }

    /// Moves published messages from the intake ring into the channel windows.
    func drain(_ state: inout ServerState) {
        while let r = feed.ring.dequeue() {
            if state.scratch.isEmpty { state.scratch.reserveCapacity(Int(r.total)) }
            let take = min(RetransmissionRecord.chunkSize, Int(r.total) - state.scratch.count)
            for k in 0..<take { state.scratch.append(r.chunk[k]) }
            guard state.scratch.count == Int(r.total) else { continue }
            if Int(r.channel) < state.windows.count {
                state.scratch.withUnsafeBytes { state.windows[Int(r.channel)].append(sequence: r.sequence, $0) }
                if refresh != nil { state.images[Int(r.channel)].take(sequence: r.sequence, state.scratch) }
            }
            state.scratch.removeAll(keepingCapacity: true)
        }
    }

    func read(_ s: Session, _ state: inout ServerState, _ now: Int64) {
        let n = s.framer.fill { s.socket.receive(into: $0) }
        if n == 0 || (n < 0 && n != -Int(EAGAIN)) {
            if !s.closing { state.statistics.disconnects &+= 1 }
            close(s)
            return
        }
        while !s.closed {
            switch s.framer.next() {
            case .needMore: return
            case .invalid:
                state.statistics.badRequests &+= 1
                close(s)
                return
            case .packet(let bytes):
                handle(bytes, s, &state, now)
            }
        }
    }

    func handle(_ bytes: ByteView, _ s: Session, _ state: inout ServerState, _ now: Int64) {
        guard let packet = OMDPacket(bytes), packet.packetSize == bytes.count else {
            state.statistics.badRequests &+= 1
            return close(s)
        }
        if packet.isHeartbeat {
            s.echoDeadline = .max
            return
        }
        var messages = packet.messages
        while let m = messages.next() {
            switch OMDRecoveryMessage(m) {
            case .logon(let username)? where s.username == nil:
                logon(username, s, &state, now)
            case .retransmissionRequest(let channel, let begin, let end)? where s.username != nil:
                var delay: Int64 = 0
                for case .slow(let d) in faults[s.server] { delay = d }
                state.queue.append(Request(session: s, channel: channel, begin: begin, end: end, due: now + delay))
            default:
                state.statistics.badRequests &+= 1
                return close(s)
            }
        }
        if messages.error != nil {
            state.statistics.badRequests &+= 1
            close(s)
        }
    }

    func logon(_ username: String, _ s: Session, _ state: inout ServerState, _ now: Int64) {
        let status: OMDRecoveryMessage.SessionStatus
        if username.isEmpty || faults[s.server].contains(.refuseLogon) {
            status = .invalidUser
            state.statistics.refusedLogons &+= 1
        } else if state.sessions.contains(where: { $0 !== s && !$0.closed && $0.username == username }) {
            status = .alreadyConnected
            state.statistics.duplicateSessions &+= 1
        } else {
            status = .active
            state.statistics.logons &+= 1
            s.username = username
            s.nextHeartbeat = now + limits.heartbeatInterval
        }
        s.outbox.append(OMDRecoveryMessage.logonResponse(status).packet(sendTime: UInt64(Clock.realtime())))
        if status != .active { s.closing = true }
    }

    /// Answers the oldest request once it is due and the previous answer has gone out.
    func serveQueue(_ state: inout ServerState, _ now: Int64) {
        while let head = state.queue.first, head.due <= now {
            if head.session.closed { state.queue.removeFirst(); continue }
            if state.sessions.contains(where: { !$0.outbox.isEmpty && $0 !== head.session }) || !head.session.outbox.isEmpty { return }
            state.queue.removeFirst()
            answer(head, &state)
        }
    }

    func answer(_ r: Request, _ state: inout ServerState) {
        let s = r.session, faults = self.faults[s.server]
        state.statistics.requests &+= 1
        if faults.contains(.silent) {
            state.statistics.unanswered &+= 1
            return
        }
        let user = s.username ?? ""
        let used = state.requestsToday[user, default: 0]
        state.requestsToday[user] = used + 1
        let shift: UInt32 = faults.contains(.wrongRange) ? 1 : 0
        let begin = r.begin &+ shift, end = r.end &+ shift
        let channel = Int(r.channel)
        let status: OMDRecoveryMessage.RetransmissionStatus
        if used >= limits.dailyRequests { status = .tooManyRequests; state.statistics.tooManyRequests &+= 1 }
        else if channel >= state.windows.count { status = .unknownChannel; state.statistics.unknownChannel &+= 1 }
        else if r.end < r.begin || Int(r.end - r.begin) + 1 > limits.maximumPerRequest { status = .rangeTooBig; state.statistics.rangeTooBig &+= 1 }
        else if faults.contains(.notAvailable) || !state.windows[channel].holds(begin, end) { status = .notAvailable; state.statistics.notAvailable &+= 1 }
        else { status = .accepted; state.statistics.accepted &+= 1 }
        let now = UInt64(Clock.realtime())
        s.outbox.append(OMDRecoveryMessage.retransmissionResponse(channel: r.channel, status: status, begin: begin, end: end).packet(sendTime: now))
        guard status == .accepted else { return }
        let window = state.windows[channel]
        let storage = window.storage
        let cut = faults.contains(.disconnectMidAnswer) ? begin + (end - begin + 1) / 2 : UInt32.max
        let renumber: UInt32 = faults.contains(.wrongSequence) ? 1 : 0
        let corrupt = faults.contains(.corrupt)
        var builder = OMDPacketBuilder(maximumSize: max(64, limits.maximumPayload))
        var building = false
        func ship() {
            builder.finish()
            s.outbox.append(builder.packet)
            state.statistics.packetsSent &+= 1
            state.statistics.messagesSent &+= UInt64(builder.messageCount)
            building = false
        }
        window.forEach(begin, end) { sequence, range in
            guard sequence < cut else { return }
            if building && !builder.canAppend(range.count, limit: limits.maximumPayload) { ship() }
            if !building {
                builder.start(sequenceNumber: sequence &+ renumber, sendTime: now)
                building = true
            }
            if corrupt {
                var copy = Array(storage[range])
                copy[copy.count - 1] ^= 0xFF
                builder.appendEncoded(copy, range: 0..<copy.count)
            } else {
                builder.appendEncoded(storage, range: range)
            }
        }
        if building { ship() }
        if faults.contains(.garbage) { s.outbox.append([3, 0, 1, 0] + [UInt8](repeating: 0xEE, count: 12)) }
        if cut != .max { s.closing = true }
    }

    /// One snapshot cycle per channel: its image in packets on the refresh endpoint, then Refresh
    /// Complete with the last real-time SN taken in (none before the channel published anything).
    func publishRefresh(_ state: inout ServerState) {
        guard let refresh else { return }
        for (c, sender) in refreshSenders.enumerated() {
            guard let last = state.images[c].lastSequence else { continue }
            var builder = OMDPacketBuilder(maximumSize: max(64, limits.maximumPayload))
            var building = false
            func ship() {
                builder.finish()
                _ = sender.send(builder.packet)
                state.refreshSequence[c] &+= UInt32(builder.messageCount)
                state.statistics.refreshPackets &+= 1
                building = false
            }
            func begin() {
                builder.start(sequenceNumber: state.refreshSequence[c], sendTime: UInt64(Clock.realtime()))
                building = true
            }
            for m in state.images[c].messages {
                if building && !builder.canAppend(m.count, limit: limits.maximumPayload) { ship() }
                if !building { begin() }
                builder.appendEncoded(m, range: 0..<m.count)
            }
            if !refresh.neverComplete {
                if building && !builder.canAppend(8, limit: limits.maximumPayload) { ship() }
                if !building { begin() }
                OMDRecoveryMessage.refreshComplete(lastSequence: last).append(to: &builder)
            }
            if building { ship() }
            state.statistics.refreshCycles &+= 1
        }
    }

    /// Heartbeats to logged-on clients; closes connections that missed their logon or echo.
    func keepAlive(_ state: inout ServerState, _ now: Int64) {
        for s in state.sessions where !s.closed && !s.closing {
            if s.username == nil {
                if now >= s.acceptedAt + limits.logonTimeout { state.statistics.logonTimeouts &+= 1; close(s) }
                continue
            }
            if now >= s.echoDeadline { state.statistics.heartbeatTimeouts &+= 1; close(s); continue }
            if now >= s.nextHeartbeat {
                var b = OMDPacketBuilder(maximumSize: 16)
                b.start(sequenceNumber: 0, sendTime: UInt64(Clock.realtime()))
                b.finish()
                s.outbox.append(b.packet)
                state.statistics.heartbeatsSent &+= 1
                s.nextHeartbeat = now + limits.heartbeatInterval
                if s.echoDeadline == .max { s.echoDeadline = now + limits.heartbeatTimeout }
            }
        }
    }

    func flushAndReap(_ state: inout ServerState) {
        for s in state.sessions where !s.closed {
            if !s.outbox.flush(s.socket) { state.statistics.disconnects &+= 1; close(s); continue }
            if s.closing && s.outbox.isEmpty { close(s) }
        }
        state.sessions.removeAll { $0.closed }
    }

    func close(_ s: Session) {
        s.closed = true
        s.outbox.discard()
        s.socket.close()
    }
}

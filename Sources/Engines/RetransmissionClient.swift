#if canImport(Glibc)
import Glibc
#endif
import Vocabulary
import Measure
import MarketData
import Synchronization
import Transport

/// How a recovery client talks to the retransmission service.
public struct RecoveryOptions: Sendable {
    /// Retransmission servers, tried in this order (primary first); a failure moves to the next.
    public var servers: [Endpoint]
    /// Logon Username (at most 12 characters).
    public var username = "rehearse"
    /// Messages per request (the specification's 10,000); lowered by itself when a server answers
    /// "range too big".
    public var maximumPerRequest = RecoveryLimits().maximumPerRequest
    /// Requests this client may send in the run (the specification's 1,000 per day).
    public var dailyRequests = RecoveryLimits().dailyRequests
    /// An answer, or its next packet, must come within this long (ns) or the server is given up.
    public var responseTimeout: Int64 = 2_000_000_000
    /// Connecting and logging on must take no longer (ns).
    public var connectTimeout: Int64 = 2_000_000_000
    /// After the run ends, requests under way may finish for this long (ns).
    public var drainTimeout: Int64 = 2_000_000_000
    /// ChannelID per listened endpoint (by index); the endpoint's index when absent.
    public var channelIDs: [UInt16] = []
    /// The Refresh Service, by ChannelID (`refresh[i]` carries channel i's snapshots): a gap the
    /// retransmission service cannot serve (beyond its window or budget, or no server answers) waits
    /// for a snapshot synchronised past it, up to `refreshTimeout`. Empty: no refresh.
    public var refresh: [Endpoint] = []
    public var refreshReceiver = ReceiverOptions()
    public var refreshTimeout: Int64 = 5_000_000_000
    public init(servers: [Endpoint]) { self.servers = servers }
}

/// A message the retransmission service gave back, handed to the receiving thread to compare with
/// what the other line carried (`watch --recover`).
public struct RecoveredMessage: BitwiseCopyable, Sendable {
    /// The endpoint whose gap it fills (the gap's ``RecoveryGap/stream``).
    public var stream: Int
    public var sequence: UInt32
    /// ``FeedComparator/hash(_:)`` of its bytes.
    public var hash: UInt64
}

/// A gap handed from the receiving thread to the recovery thread.
struct GapNotice: BitwiseCopyable {
    var channel: Int
    var first: UInt32
    var last: UInt32
    var monotonic: Int64
    var realtime: Int64
}

/// An OMD recovery client on its own thread: the receiving thread hands it each gap as it is detected
/// (``gapDetected(channel:first:last:monotonic:realtime:)``: one ring push and one wake-up per gap, no
/// cost while no gap occurs); it logs on to the retransmission service, asks for the missing ranges
/// within its limits, credits what comes back (``RecoveryLedger``), echoes heartbeats, and moves to
/// the next server on a refused connection or logon, a timeout, a disconnect or a wrong answer.
/// ``finish()`` lets requests under way complete (up to ``RecoveryOptions/drainTimeout``) and returns
/// the report.
/// `@unchecked Sendable`: the connection and ledger live on the client's thread; other threads use the
/// SPSC ring (one producer: the receiving thread), the wake-up pipe and atomics.
public final class RetransmissionClient: @unchecked Sendable {
    public let options: RecoveryOptions
    let ring = SPSCRing<GapNotice>(capacity: 1 << 14)
    /// With `returnMessages`: each recovered message, for the receiving thread (``takeRecovered(_:)``).
    let recovered: SPSCRing<RecoveredMessage>?

    let notHandedOver = Atomic<UInt64>(0)
    let stopFlag = Atomic<Bool>(false)
    private let wakeRead: Int32
    private let wakeWrite: Int32
    private var thread: PinnedThread?
    private let result = Mutex<RecoveryReport?>(nil)

    /// Refresh channels' sockets (with ``RecoveryOptions/refresh``).
    let refreshReceiver: UDPReceiver?

    /// - Parameter returnMessages: hand each recovered message back (``takeRecovered(_:)``).
    /// - Throws: when a refresh endpoint cannot be bound or joined.
    public init(options: RecoveryOptions, returnMessages: Bool = false) throws(TransportError) {
        self.options = options
        refreshReceiver = options.refresh.isEmpty ? nil : try UDPReceiver(endpoints: options.refresh, options: options.refreshReceiver)
        recovered = returnMessages ? SPSCRing<RecoveredMessage>(capacity: 1 << 16) : nil
        var fds: [Int32] = [0, 0]
        if pipe(&fds) == 0 {
            for fd in fds { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK); _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        } else {
            fds = [-1, -1]
        }
        wakeRead = fds[0]
        wakeWrite = fds[1]
    }

    deinit {
        if wakeRead >= 0 { Glibc.close(wakeRead); Glibc.close(wakeWrite) }
    }

    /// Starts the client's thread (it connects and logs on at once, so the first gap does not wait
    /// for a logon).
    public func start() {
        thread = PinnedThread.start(name: "rehearse-recover") { [self] in
            let report = run()
            result.withLock { $0 = report }
        }
    }

    /// A gap the receiving thread detected: `first...last` on the endpoint `channel` (by index).
    /// Producer side of the ring: call from one thread only.
    @inline(__always)
    public func gapDetected(channel: Int, first: UInt32, last: UInt32, monotonic: Int64, realtime: Int64) {
        if ring.push(GapNotice(channel: channel, first: first, last: last, monotonic: monotonic, realtime: realtime)) {
            var b: UInt8 = 1
            _ = write(wakeWrite, &b, 1)
        } else {
            notHandedOver.add(1, ordering: .relaxed)
        }
    }

    /// Consumer side (the receiving thread): calls `body` with each message recovered since the last call.
    public func takeRecovered(_ body: (RecoveredMessage) -> Void) {
        guard let recovered else { return }
        while let m = recovered.pop() { body(m) }
    }

    /// Ends the run: requests under way get up to the drain timeout; returns the report.
    public func finish() -> RecoveryReport {
        stopFlag.store(true, ordering: .relaxed)
        var b: UInt8 = 1
        _ = write(wakeWrite, &b, 1)
        thread?.join()
        thread = nil
        return result.withLock { $0 } ?? RecoverySession(options: options).report(notHandedOver: notHandedOver.load(ordering: .relaxed))
    }

    func run() -> RecoveryReport {
        var session = RecoverySession(options: options)
        session.returned = recovered
        var stopAt: Int64?
        while true {
            while let g = ring.pop() {
                let channel = g.channel < options.channelIDs.count ? Int(options.channelIDs[g.channel]) : g.channel
                session.ledger.add(channel: channel, stream: g.channel, first: g.first, last: g.last, monotonic: g.monotonic, realtime: g.realtime)
            }
            var now = Clock.monotonic()
            if stopAt == nil, stopFlag.load(ordering: .relaxed) { stopAt = now + options.drainTimeout }
            if let stopAt, now >= stopAt || (session.ledger.waiting == 0 && session.inflight == nil && session.ledger.awaitingRefresh == 0) { break }
            session.advance(now)
            let wait = min(session.nextDeadline, stopAt ?? .max, now + 100_000_000) - now
            var fds = [wakeRead]
            var writable = [false]
            if let refreshReceiver {
                fds += refreshReceiver.socketDescriptors
                writable += refreshReceiver.socketDescriptors.map { _ in false }
            }
            let socketIndex = fds.count
            if let c = session.connection { fds.append(c.socket.descriptor); writable.append(!c.outbox.isEmpty) }
            let ready = waitForSockets(fds, writable: writable, timeoutNanoseconds: max(0, wait))
            if ready[0] & 1 != 0 {
                var buffer = [UInt8](repeating: 0, count: 64)
                while read(wakeRead, &buffer, 64) > 0 {}
            }
            now = Clock.monotonic()
            if let refreshReceiver, ready[1..<socketIndex].contains(where: { $0 & 1 != 0 }) { session.readRefresh(refreshReceiver, now) }
            if fds.count > socketIndex, ready[socketIndex] & 1 != 0 { session.receive(now) }
            session.checkTimeouts(Clock.monotonic())
        }
        session.connection?.socket.close()
        session.ledger.abandonAll(reason: "run ended")
        return session.report(notHandedOver: notHandedOver.load(ordering: .relaxed))
    }
}

/// The recovery client's state on its thread: the connection to the current server and the request
/// under way.
struct RecoverySession {
    let options: RecoveryOptions
    var ledger: RecoveryLedger
    var server = 0
    var connection: Connection?
    var inflight: (request: RecoveryRequest, deadline: Int64, accepted: Bool)?
    var counters = RecoveryCounters()
    /// Consecutive servers that failed to connect or log on: after a whole round, waiting gaps end.
    var failedInARow = 0
    var triedAtStart = false
    /// Set once a server answered "too many requests": nothing more is asked today.
    var refusedForTheDay: String?
    /// Where recovered messages go back to the receiving thread, if anywhere.
    var returned: SPSCRing<RecoveredMessage>?

    final class Connection {
        let socket: TCPConnectionSocket
        let framer = OMDStreamFramer()
        var outbox = TCPOutbox()
        var loggedOn = false
        let logonDeadline: Int64
        init(socket: TCPConnectionSocket, logonDeadline: Int64) {
            self.socket = socket
            self.logonDeadline = logonDeadline
        }
    }

    init(options: RecoveryOptions) {
        self.options = options
        ledger = RecoveryLedger(maximumPerRequest: options.maximumPerRequest, attemptsPerGap: max(1, options.servers.count))
    }

    var nextDeadline: Int64 {
        var d = Int64.max
        if let c = connection, !c.loggedOn { d = c.logonDeadline }
        if let f = inflight { d = min(d, f.deadline) }
        return min(d, ledger.nextRefreshDeadline)
    }

    var hasRefresh: Bool { !options.refresh.isEmpty }

    /// A refresh datagram: each Refresh Complete resolves the channel's waiting gaps it covers.
    mutating func readRefresh(_ receiver: UDPReceiver, _ now: Int64) {
        guard let n = try? receiver.receive(timeoutNanoseconds: 0) else { return }
        for i in 0..<n {
            guard let d = receiver.datagram(at: i), !d.truncated, let packet = OMDPacket(d.payload), packet.packetSize == d.length else {
                counters.refreshGarbage &+= 1
                continue
            }
            var messages = packet.messages
            while let m = messages.next() {
                guard m.type == OMDMessageType.refreshComplete, case .refreshComplete(let last)? = OMDRecoveryMessage(m) else { continue }
                counters.refreshCompletes &+= 1
                ledger.refreshComplete(channel: d.endpointIndex, lastSequence: last, now: now)
            }
            if messages.error != nil { counters.refreshGarbage &+= 1 }
        }
    }

    /// Connects when there is work, sends the next request when none is under way.
    mutating func advance(_ now: Int64) {
        ledger.expireRefresh(now: now)
        if options.servers.isEmpty && hasRefresh && ledger.waiting > 0 {
            ledger.awaitRefreshForWaiting(deadline: now + options.refreshTimeout, reason: "no retransmission service given")
        }
        // Connected at once (a gap must not wait for a logon), and again whenever work waits.
        if connection == nil, !options.servers.isEmpty, ledger.waiting > 0 || !triedAtStart {
            triedAtStart = true
            connect(now)
        }
        guard let c = connection, c.loggedOn, inflight == nil else {
            flush()
            return
        }
        if ledger.waiting > 0 && counters.requests >= UInt64(options.dailyRequests) {
            ledger.abandonAll(reason: "the daily request budget (\(options.dailyRequests)) is spent")
        }
        if ledger.waiting > 0, let refusedForTheDay {
            if hasRefresh {
                ledger.awaitRefreshForWaiting(deadline: now + options.refreshTimeout, reason: refusedForTheDay)
            } else {
                ledger.abandonAll(reason: refusedForTheDay)
            }
        }
        if let r = ledger.nextRequest(now: now) {
            c.outbox.append(OMDRecoveryMessage.retransmissionRequest(channel: r.channel, begin: r.begin, end: r.end).packet())
            counters.requests &+= 1
            counters.requested &+= UInt64(r.count)
            inflight = (r, now + options.responseTimeout, false)
        }
        flush()
    }

    mutating func connect(_ now: Int64) {
        let endpoint = options.servers[server]
        do {
            let socket = try TCPConnectionSocket.connect(to: endpoint, timeoutMilliseconds: Int(options.connectTimeout / 1_000_000))
            let c = Connection(socket: socket, logonDeadline: Clock.monotonic() + options.connectTimeout)
            c.outbox.append(OMDRecoveryMessage.logon(username: options.username).packet())
            connection = c
        } catch {
            failover(reason: "\(endpoint): \(error.description)")
        }
    }

    mutating func flush() {
        guard let c = connection else { return }
        if !c.outbox.flush(c.socket) {
            counters.disconnects &+= 1
            failover(reason: "disconnected")
        }
    }

    /// Drops the connection, gives the request under way back to the ledger for the next server.
    mutating func failover(reason: String) {
        connection?.socket.close()
        let wasLoggedOn = connection?.loggedOn ?? false
        connection = nil
        if let f = inflight {
            ledger.fail(f.request, reason: reason)
            inflight = nil
        }
        counters.failovers &+= 1
        server = (server + 1) % max(1, options.servers.count)
        failedInARow = wasLoggedOn ? 1 : failedInARow + 1
        if failedInARow >= options.servers.count {
            failedInARow = 0
            let why = "no retransmission server answered (last: \(reason))"
            if hasRefresh {
                ledger.awaitRefreshForWaiting(deadline: Clock.monotonic() + options.refreshTimeout, reason: why)
            } else {
                ledger.abandonAll(reason: why)
            }
        }
    }

    mutating func checkTimeouts(_ now: Int64) {
        if let c = connection, !c.loggedOn, now >= c.logonDeadline {
            counters.timeouts &+= 1
            failover(reason: "no logon response")
        } else if let f = inflight, now >= f.deadline {
            counters.timeouts &+= 1
            failover(reason: f.accepted ? "answer stopped (timed out)" : "no answer (timed out)")
        }
    }

    mutating func receive(_ now: Int64) {
        guard let c = connection else { return }
        let n = c.framer.fill { c.socket.receive(into: $0) }
        if n == 0 || (n < 0 && n != -Int(EAGAIN)) {
            counters.disconnects &+= 1
            return failover(reason: "disconnected")
        }
        while connection === c {
            switch c.framer.next() {
            case .needMore:
                return
            case .invalid(let size, let offset):
                counters.garbage &+= 1
                return failover(reason: "garbage (PktSize \(size) at byte \(offset) of the stream)")
            case .packet(let bytes):
                handle(bytes, c, now)
            }
        }
    }

    mutating func handle(_ bytes: ByteView, _ c: Connection, _ now: Int64) {
        guard let packet = OMDPacket(bytes), packet.packetSize == bytes.count else {
            counters.garbage &+= 1
            return failover(reason: "garbage (not an OMD packet)")
        }
        if packet.isHeartbeat {
            var b = OMDPacketBuilder(maximumSize: 16)
            b.start(sequenceNumber: 0, sendTime: 0)
            b.finish()
            c.outbox.append(b.packet)
            counters.heartbeatsEchoed &+= 1
            return flush()
        }
        var messages = packet.messages
        var sequence = packet.sequenceNumber
        var data = false
        while let m = messages.next() {
            if let r = OMDRecoveryMessage(m) {
                control(r, c, now)
                if connection !== c { return }
                continue
            }
            data = true
            guard var f = inflight, f.accepted else {
                counters.wrongSequence &+= 1
                return failover(reason: "messages nobody asked for")
            }
            let outcome = ledger.received(sequence, for: &f.request, now: now)
            inflight = f
            switch outcome {
            case .wrongSequence:
                counters.wrongSequence &+= 1
                return failover(reason: "wrong sequence numbers (SN \(sequence) where \(f.request.next) was due, for \(f.request.begin)–\(f.request.end))")
            case .recovered:
                if let returned, !returned.push(RecoveredMessage(stream: f.request.stream, sequence: sequence, hash: FeedComparator.hash(m.bytes))) {
                    counters.notReturned &+= 1
                }
            case .extra:
                break
            }
            sequence &+= 1
        }
        if messages.error != nil {
            counters.garbage &+= 1
            return failover(reason: "garbage (a packet's messages do not frame)")
        }
        if data, let f = inflight {
            inflight = ledger.isComplete(f.request) ? nil : (f.request, now + options.responseTimeout, true)
        }
    }

    mutating func control(_ r: OMDRecoveryMessage, _ c: Connection, _ now: Int64) {
        switch r {
        case .logonResponse(let status):
            if status == .active {
                c.loggedOn = true
                counters.logons &+= 1
                failedInARow = 0
            } else {
                counters.refusedLogons &+= 1
                failover(reason: "logon refused (SessionStatus \(status.code))")
            }
        case .retransmissionResponse(let channel, let status, let begin, let end):
            guard let f = inflight, !f.accepted else { counters.wrongRange &+= 1; return failover(reason: "an answer nobody asked for") }
            guard channel == f.request.channel, begin == f.request.begin, end == f.request.end else {
                counters.wrongRange &+= 1
                return failover(reason: "answer for channel \(channel) \(begin)–\(end), asked \(f.request.channel) \(f.request.begin)–\(f.request.end)")
            }
            switch status {
            case .accepted:
                inflight = (f.request, now + options.responseTimeout, true)
            case .rangeTooBig:
                counters.refused["rangeTooBig", default: 0] &+= 1
                ledger.shrink(f.request)
                inflight = nil
            case .tooManyRequests:
                counters.refused["tooManyRequests", default: 0] &+= 1
                let reason = "too many requests (RetransStatus 101: the server's daily limit)"
                refusedForTheDay = reason
                if hasRefresh {
                    ledger.awaitRefresh(f.request, deadline: now + options.refreshTimeout, reason: reason)
                    ledger.awaitRefreshForWaiting(deadline: now + options.refreshTimeout, reason: reason)
                } else {
                    ledger.refuse(f.request, reason: reason)
                    ledger.abandonAll(reason: reason)
                }
                inflight = nil
            case .notAvailable:
                counters.refused["notAvailable", default: 0] &+= 1
                let reason = "not available (RetransStatus 2: beyond the server's window)"
                if hasRefresh {
                    ledger.awaitRefresh(f.request, deadline: now + options.refreshTimeout, reason: reason)
                } else {
                    ledger.refuse(f.request, reason: reason)
                }
                inflight = nil
            case .unknownChannel:
                counters.refused["unknownChannel", default: 0] &+= 1
                ledger.refuse(f.request, reason: "unknown channel (RetransStatus 1)")
                inflight = nil
            case .other(let code):
                counters.refused["status\(code)", default: 0] &+= 1
                ledger.refuse(f.request, reason: "RetransStatus \(code)")
                inflight = nil
            }
        default:
            break
        }
    }

    func report(notHandedOver: UInt64) -> RecoveryReport {
        var c = counters
        c.notHandedOver = notHandedOver
        return RecoveryReport(servers: options.servers.map(\.description), ledger: ledger, counters: c)
    }
}

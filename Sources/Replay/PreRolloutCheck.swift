#if canImport(Glibc)
import Glibc
#endif
import Vocabulary
import Capture
import MarketData
import Measure
import Results
import OrderEntry
import Synchronization
import Transport

/// A gateway to log on to and off again.
public struct GatewayProbe: Sendable {
    public var target: String
    public var address: Endpoint
    public var senderCompID: String
    public var targetCompID: String
    public var beginString = "FIX.4.4"
    public var heartbeatSeconds = 30
    public var username: String?
    public var password: String?
    /// Per step: connect, Logon answer, Logout answer (ns).
    public var timeout: Int64 = 5_000_000_000

    public init(target: String, address: Endpoint, senderCompID: String, targetCompID: String) {
        self.target = target
        self.address = address
        self.senderCompID = senderCompID
        self.targetCompID = targetCompID
    }

    /// The checklist items of one gateway, in order.
    public static let steps = ["TCP connect", "FIX logon", "FIX logout"]

    /// TCP connect, FIX Logon and Logout: three checklist items (later steps are skipped, "not tried",
    /// when an earlier one failed).
    public func run() -> [CheckItem] {
        let name = "gateway \(address)"
        var items: [CheckItem] = []
        func item(_ what: String, _ passed: Bool, _ detail: String, _ since: Int64, skipped: Bool = false) {
            items.append(CheckItem(target: target, item: "\(name) \(what)", passed: passed, detail: detail, elapsedNs: Clock.monotonic() - since,
                                   skipped: skipped))
        }
        func notTried(_ from: Int) {
            for s in Self.steps[from...] { item(s, false, "not tried: the step before failed", Clock.monotonic(), skipped: true) }
        }
        var start = Clock.monotonic()
        let socket: TCPConnectionSocket
        do {
            socket = try TCPConnectionSocket.connect(to: address, timeoutMilliseconds: Int(timeout / 1_000_000))
        } catch {
            item("TCP connect", false, error.description, start)
            notTried(1)
            return items
        }
        defer { socket.close() }
        item("TCP connect", true, "connected in \(TimeFormat.duration(Clock.monotonic() - start))", start)
        var session = ProbeSession(socket: socket, probe: self)
        start = Clock.monotonic()
        guard session.logon(heartbeatSeconds: heartbeatSeconds, username: username, password: password) else {
            item("FIX logon", false, "the connection failed while sending the Logon", start)
            notTried(2)
            return items
        }
        let answer = session.await(within: timeout) { event in
            switch event {
            case .loggedOn, .logonRefused, .sessionReject: true
            default: false
            }
        }
        switch answer {
        case .event(.loggedOn):
            item("FIX logon", true, "\(senderCompID) → \(targetCompID) logged on in \(TimeFormat.duration(Clock.monotonic() - start))", start)
        case .event(let event):
            var reason: String?
            if case .logonRefused(let text) = event { reason = text }
            if case .sessionReject(_, let text) = event { reason = text }
            let refused: Bool = if case .logonRefused = event { true } else { false }
            item("FIX logon", false, (refused ? "logon refused with a Logout" : "logon rejected") + (reason.map { ": \($0)" } ?? " (no reason given)"), start)
            notTried(2)
            return items
        case .closed:
            item("FIX logon", false, "the gateway closed the connection before answering the Logon", start)
            notTried(2)
            return items
        case .timedOut:
            item("FIX logon", false, "no Logon answer within \(TimeFormat.duration(timeout))", start)
            notTried(2)
            return items
        }
        start = Clock.monotonic()
        guard session.logout() else {
            item("FIX logout", false, "the connection failed while sending the Logout", start)
            return items
        }
        switch session.await(within: timeout, { if case .loggedOut = $0 { true } else { false } }) {
        case .event:
            item("FIX logout", true, "Logout answered in \(TimeFormat.duration(Clock.monotonic() - start))", start)
        case .closed:
            item("FIX logout", false, "the gateway closed the connection without answering the Logout", start)
        case .timedOut:
            item("FIX logout", false, "no Logout answer within \(TimeFormat.duration(timeout))", start)
        }
        return items
    }
}

/// The FIX conversation of one probe over its socket: the session layer (``FIXSession``) writes and
/// reads; this sends what it writes and waits for the events the probe asks for, answering Test
/// Requests on the way.
struct ProbeSession {
    enum Outcome { case event(FIXSession.Event), closed, timedOut }
    let socket: TCPConnectionSocket
    let timeout: Int64
    var session: FIXSession
    var parser = FIXStreamParser()
    var output: [UInt8] = []
    var pending: [FIXSession.Event] = []

    init(socket: TCPConnectionSocket, probe: GatewayProbe) {
        self.socket = socket
        timeout = probe.timeout
        session = FIXSession(role: .initiator, beginString: probe.beginString, senderCompID: probe.senderCompID, targetCompID: probe.targetCompID)
    }

    /// The Logon (ResetSeqNumFlag set: a probe always starts the day's numbering afresh), sent.
    mutating func logon(heartbeatSeconds: Int, username: String?, password: String?) -> Bool {
        session.logon(heartbeatSeconds: heartbeatSeconds, resetSequence: true, username: username, password: password, into: &output)
        return flush()
    }

    mutating func logout() -> Bool {
        session.logout(into: &output)
        return flush()
    }

    /// Sends what the session wrote; false when the connection failed or stayed full for the timeout.
    mutating func flush() -> Bool {
        var sent = 0
        let deadline = Clock.monotonic() + timeout
        while sent < output.count {
            let n = output.withUnsafeBytes { socket.send(UnsafeRawBufferPointer(rebasing: $0[sent...])) }
            if n > 0 { sent += n; continue }
            guard n == -Int(EAGAIN), Clock.monotonic() < deadline else { return false }
            _ = waitForSockets([socket.descriptor], writable: [true], timeoutNanoseconds: 10_000_000)
        }
        output.removeAll(keepingCapacity: true)
        return true
    }

    /// Waits up to `timeout` for an incoming message whose event `wanted` accepts.
    mutating func await(within timeout: Int64, _ wanted: (FIXSession.Event) -> Bool) -> Outcome {
        let deadline = Clock.monotonic() + timeout
        var buffer = [UInt8](repeating: 0, count: 8192)
        while true {
            while !pending.isEmpty {
                let event = pending.removeFirst()
                if wanted(event) { return .event(event) }
            }
            let left = deadline - Clock.monotonic()
            guard left > 0 else { return .timedOut }
            _ = waitForSockets([socket.descriptor], writable: [false], timeoutNanoseconds: min(left, 50_000_000))
            let n = buffer.withUnsafeMutableBytes { socket.receive(into: $0) }
            if n == 0 || (n < 0 && n != -Int(EAGAIN)) { return .closed }
            guard n > 0 else { continue }
            var session = self.session, output = self.output, events: [FIXSession.Event] = []
            buffer.withUnsafeBytes { raw in
                parser.append(ByteView(unsafeStart: raw.baseAddress, count: n), timestamp: 0) { m in
                    events.append(session.receive(m.message, into: &output))
                }
            }
            self.session = session
            self.output = output
            _ = flush()   // a Heartbeat owed for a TestRequest
            pending += events
        }
    }
}

/// A feed line to hear from: valid packets of its feed protocol (OMD unless the scenario says) with
/// advancing sequence numbers on every endpoint.
public struct FeedLineProbe: Sendable {
    public var target: String
    public var line: String
    public var endpoints: [Endpoint]
    public var receiver = ReceiverOptions()
    /// Valid packets each endpoint must deliver.
    public var packets = 3
    public var timeout: Int64 = 5_000_000_000
    /// The protocol the line publishes (``FeedLineTarget/feedProtocol``): its packets are checked and
    /// numbered by its header, no detection.
    public var feedProtocol: FeedProtocol = .omd

    public init(target: String, line: String, endpoints: [Endpoint]) {
        self.target = target
        self.line = line
        self.endpoints = endpoints
    }

    /// One checklist item per endpoint.
    public func run() -> [CheckItem] {
        let start = Clock.monotonic()
        func item(_ e: Endpoint, _ passed: Bool, _ detail: String) -> CheckItem {
            CheckItem(target: target, item: "line \(line) \(e)", passed: passed, detail: detail, elapsedNs: Clock.monotonic() - start)
        }
        let receiver: UDPReceiver
        do { receiver = try UDPReceiver(endpoints: endpoints, options: self.receiver) } catch {
            return endpoints.map { item($0, false, "cannot receive: \(error.description)") }
        }
        var state = [LineProbeState](repeating: LineProbeState(), count: endpoints.count)
        let deadline = start + timeout
        var failure: String?
        while Clock.monotonic() < deadline && !state.allSatisfy({ $0.passed(packets) || $0.backwards != nil }) {
            let n: Int
            do { n = try receiver.receive(timeoutMilliseconds: 20) } catch {
                failure = error.description
                break
            }
            for i in 0..<n {
                guard let d = receiver.datagram(at: i) else { continue }
                state[d.endpointIndex].observe(d.payload, length: d.length, feedProtocol: feedProtocol)
            }
        }
        return endpoints.indices.map { i in
            let s = state[i]
            if let f = failure { return item(endpoints[i], false, "receive failed: \(f)") }
            return item(endpoints[i], s.passed(packets), s.detail(packets, timeout: timeout, elapsed: Clock.monotonic() - start,
                                                                  name: feedProtocol == .omd ? "OMD" : feedProtocol.rawValue))
        }
    }
}

/// What one endpoint delivered during a probe.
struct LineProbeState {
    var datagrams = 0
    var valid = 0
    var garbage = 0
    var heartbeats = 0
    var firstSequence: UInt32?
    var nextExpected: UInt32?
    var advanced = false
    var backwards: (from: UInt32, to: UInt32)?

    func passed(_ needed: Int) -> Bool { valid >= needed && advanced && backwards == nil }

    mutating func observe(_ payload: ByteView, length: Int, feedProtocol: FeedProtocol = .omd) {
        datagrams += 1
        if feedProtocol != .omd {
            guard length == payload.count, let h = feedProtocol.header(payload) else { garbage += 1; return }
            valid += 1
            if h.kind == .heartbeat { heartbeats += 1; return }
            // Products interleave within an EOBI stream, each numbered apart: a second data packet advances.
            if feedProtocol.sessionsInterleave { advanced = advanced || valid - heartbeats > 1; return }
            let units = feedProtocol.sequencesPackets ? 1 : h.messageCount
            advance(UInt32(truncatingIfNeeded: h.firstSequence), count: units, reset: h.kind == .sequenceReset)
            return
        }
        guard OMDStreamAnalyzer.looksLikeOMD(payload, declaredLength: length), let p = OMDPacket(payload) else {
            garbage += 1
            return
        }
        valid += 1
        if p.isHeartbeat { heartbeats += 1; return }
        advance(p.sequenceNumber, count: p.messageCount, reset: p.messages.contains { $0.type == OMDMessageType.sequenceReset })
    }

    /// A data packet numbered `first` carrying `count` sequenced units.
    mutating func advance(_ first: UInt32, count: Int, reset isReset: Bool) {
        if let expected = nextExpected, !isReset {
            // Far behind without a reset: the publisher restarted its numbering (a little behind is a duplicate).
            if backwards == nil && Int32(bitPattern: expected &- first) > 1 << 20 { backwards = (expected, first) }
            if first &+ UInt32(count) > expected { advanced = true }
        }
        if firstSequence == nil { firstSequence = first }
        let next = first &+ UInt32(count)
        if nextExpected == nil || isReset || Int32(bitPattern: next &- nextExpected!) > 0 { nextExpected = next }
    }

    func detail(_ needed: Int, timeout: Int64, elapsed: Int64, name: String = "OMD") -> String {
        if datagrams == 0 { return "no packet within \(TimeFormat.duration(timeout))" }
        if let b = backwards { return "sequence numbers went back from \(b.from) to \(b.to) without a Sequence Reset" }
        if valid == 0 { return "\(datagrams) datagrams, none of them valid \(name)" }
        let noise = garbage > 0 ? "; \(garbage) datagrams not valid \(name)" : ""
        if !advanced {
            return heartbeats == valid ? "only heartbeats (\(heartbeats)): SeqNum did not advance within \(TimeFormat.duration(timeout))\(noise)"
                : "\(valid) valid packets but SeqNum did not advance\(noise)"
        }
        if valid < needed { return "only \(valid) of \(needed) valid packets within \(TimeFormat.duration(timeout))\(noise)" }
        return "\(valid) valid packets, SeqNum \(firstSequence ?? 0) → \(nextExpected.map { $0 &- 1 } ?? 0) in \(TimeFormat.duration(elapsed))\(noise)"
    }
}

/// Runs checks concurrently, one thread each, and returns their items in the order given.
public enum PreRolloutCheck {
    public static func run(_ checks: [@Sendable () -> [CheckItem]]) -> [CheckItem] {
        let results = Mutex<[Int: [CheckItem]]>([:])
        let threads = checks.enumerated().map { i, check in
            PinnedThread.start(name: "rehearse-verify") {
                let items = check()
                results.withLock { $0[i] = items }
            }
        }
        for t in threads { t.join() }
        return results.withLock { r in (0..<checks.count).flatMap { r[$0] ?? [] } }
    }
}

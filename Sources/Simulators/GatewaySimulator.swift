#if canImport(Glibc)
import Glibc
#endif
import Vocabulary
import Capture
import OrderEntry
import Synchronization
import Transport

/// How a reference FIX gateway behaves.
public struct GatewayProfile: Sendable, Equatable {
    public var name: String
    /// Per-message latency after service.
    public var delay: DelayDistribution
    /// Time the gateway spends on each application message (its capacity), ns.
    public var serviceTime: Int64
    /// Application messages a session may send per second before they are rejected (0: no limit).
    public var throttle: Int

    public static let old = GatewayProfile(name: "old", delay: .lognormal(median: 250_000, sigma: 0.4), serviceTime: 20_000, throttle: 2_000)
    public static let new = GatewayProfile(name: "new", delay: .lognormal(median: 80_000, sigma: 0.3), serviceTime: 5_000, throttle: 5_000)
    public static let builtIn: [String: GatewayProfile] = ["old": old, "new": new]
}

/// Faults a gateway simulator injects.
public struct GatewayFaults: Sendable, Equatable {
    /// Drop every connection this long after the first logon (ns).
    public var disconnectAt: Int64?
    /// Stop answering at `stallAt` (after the first logon) for `stallFor`; requests queue meanwhile.
    public var stallAt: Int64?
    public var stallFor: Int64 = 0
    /// Refuse every logon with this reason (Logout 58=reason).
    public var rejectLogon: String?
    /// Leave the first N Logons without any answer, the connection open (a gateway that accepts and
    /// hangs); `Int.max` never answers one.
    public var ignoreFirstLogons = 0
    /// Right after each logon, ask the client to resend everything (ResendRequest 7=1, 16=0); a client
    /// that does not resend answers with a SequenceReset-GapFill.
    public var resendRequestAfterLogon = false
    /// Answer every Cancel/Replace with a session-level Reject (35=3, 45=its MsgSeqNum).
    public var rejectReplacesAtSessionLevel = false
    public init() {}
}

/// Counters of a gateway simulator run.
public struct GatewayStatistics: Sendable, Codable, Equatable {
    public var connections = 0
    public var logons = 0
    public var rejectedLogons = 0
    /// Logons left unanswered (`ignoreFirstLogons`).
    public var ignoredLogons = 0
    public var applicationMessages: UInt64 = 0
    public var acks: UInt64 = 0
    public var fills: UInt64 = 0
    public var rejects: UInt64 = 0
    public var throttled: UInt64 = 0
    public var cancelRejects: UInt64 = 0
    public var heartbeats: UInt64 = 0
    public var framingErrors: UInt64 = 0
    public var disconnects = 0
    public var gapFillsReceived = 0
    public var sessionRejectsSent: UInt64 = 0
}

/// A reference FIX gateway for demos and tests: Logon, Logout, Heartbeat and TestRequest; New Order
/// Single, Cancel and Cancel/Replace answered with Execution Reports (acks; fills from a price-time book
/// per symbol; rejects), a per-session throttle, and answers released after a profiled delay behind a
/// service-time queue. One thread, non-blocking sockets, `ppoll` with nanosecond timeouts.
/// `@unchecked Sendable`: its mutable state (random state, listener) is touched only by the thread in `run()`; other threads only call `stop()`, an atomic flag.
public final class GatewaySimulator: @unchecked Sendable {
    public let profile: GatewayProfile
    public let faults: GatewayFaults
    let listener: TCPListener
    let stopFlag = Atomic<Bool>(false)
    var random: UInt64

    struct Session {
        var socket: TCPConnectionSocket
        var parser = FIXStreamParser()
        var output: [UInt8] = []
        /// The acceptor side of the FIX session layer (CompIDs and BeginString taken from the Logon).
        var fix = FIXSession(role: .acceptor, beginString: "FIX.4.4", senderCompID: "HKATS", targetCompID: "CLIENT")
        var closing = false
        var windowStart: Int64 = 0
        var windowCount = 0

        init(socket: TCPConnectionSocket) {
            self.socket = socket
            // A fixed SendingTime: the reference gateway's answers are compared by content, not by clock.
            fix.sendingTime = { "20260105-01:15:00.000" }
        }

        mutating func write(_ type: String, _ fields: [(Int, String)]) { fix.write(type, fields, into: &output) }
        mutating func receive(_ m: FIXMessage) -> FIXSession.Event { fix.receive(m, into: &output) }
        mutating func accept(heartbeatSeconds: Int?) { fix.acceptLogon(heartbeatSeconds: heartbeatSeconds, into: &output) }
        mutating func refuse(_ reason: String) { fix.refuseLogon(reason: reason, into: &output) }
    }

    struct Resting { var price: Int; var quantity: Int; var clOrdID: String; var session: Int; var side: String }

    /// One symbol's resting orders: price levels per side (FIFO within a level) and an index by order.
    struct Book {
        var bids: [Int: [Resting]] = [:]
        var asks: [Int: [Resting]] = [:]
        var index: [String: (side: String, price: Int)] = [:]   // "session|ClOrdID"

        static func key(_ session: Int, _ id: String) -> String { "\(session)|\(id)" }

        mutating func add(_ r: Resting) {
            if r.side == "1" { bids[r.price, default: []].append(r) } else { asks[r.price, default: []].append(r) }
            index[Self.key(r.session, r.clOrdID)] = (r.side, r.price)
        }

        mutating func remove(session: Int, id: String) -> Bool {
            guard let (side, price) = index.removeValue(forKey: Self.key(session, id)) else { return false }
            if side == "1" {
                bids[price]?.removeAll { $0.session == session && $0.clOrdID == id }
                if bids[price]?.isEmpty == true { bids[price] = nil }
            } else {
                asks[price]?.removeAll { $0.session == session && $0.clOrdID == id }
                if asks[price]?.isEmpty == true { asks[price] = nil }
            }
            return true
        }

        /// Cancel on disconnect: every resting order of `session` goes.
        mutating func removeAll(session: Int) {
            for (price, level) in bids { let kept = level.filter { $0.session != session }; bids[price] = kept.isEmpty ? nil : kept }
            for (price, level) in asks { let kept = level.filter { $0.session != session }; asks[price] = kept.isEmpty ? nil : kept }
            index = index.filter { !$0.key.hasPrefix("\(session)|") }
        }

        /// The oldest order at the best opposite price that an order on `side` at `price` crosses, removed.
        mutating func match(side: String, price: Int) -> Resting? {
            if side == "1" {
                guard let best = asks.keys.min(), best <= price, var level = asks[best], !level.isEmpty else { return nil }
                let r = level.removeFirst()
                asks[best] = level.isEmpty ? nil : level
                index[Self.key(r.session, r.clOrdID)] = nil
                return r
            }
            guard let best = bids.keys.max(), best >= price, var level = bids[best], !level.isEmpty else { return nil }
            let r = level.removeFirst()
            bids[best] = level.isEmpty ? nil : level
            index[Self.key(r.session, r.clOrdID)] = nil
            return r
        }
    }
    struct Pending { var release: Int64; var session: Int; var type: String; var fields: [(Int, String)] }

    public init(listen: Endpoint, profile: GatewayProfile, faults: GatewayFaults = GatewayFaults(), seed: UInt64 = 1) throws(TransportError) {
        self.profile = profile
        self.faults = faults
        listener = try TCPListener(endpoint: listen)
        random = seed | 1
    }

    /// The port it listens on.
    public var port: UInt16 { listener.port }
    public func stop() { stopFlag.store(true, ordering: .relaxed) }

    func unit() -> Double {
        random ^= random << 13; random ^= random >> 7; random ^= random << 17
        return Double(random >> 11) * 0x1.0p-53
    }

    /// Serves until `stop()` or `duration` ns.
    public func run(duration: Int64? = nil) -> GatewayStatistics {
        var stats = GatewayStatistics()
        var sessions: [Session?] = []
        var queue: [Pending] = []
        var books: [String: Book] = [:]
        var serverFree: Int64 = 0
        var lastRelease: Int64 = 0
        var firstLogon: Int64?
        var disconnected = false
        let start = Clock.monotonic()
        var buffer = [UInt8](repeating: 0, count: 65_536)
        var execID = 0

        /// Closes a session; its resting orders are cancelled (cancel on disconnect), as gateways do.
        func closeSession(_ i: Int) {
            sessions[i]?.socket.close()
            sessions[i] = nil
            for symbol in books.keys { books[symbol]!.removeAll(session: i) }
        }

        func send(_ s: Int, _ type: String, _ fields: [(Int, String)]) {
            sessions[s]?.write(type, fields)
        }

        func handle(_ s: Int, _ m: FIXMessage, now: Int64) {
            func text(_ tag: Int) -> String { m.value(tag).map(FIXMessage.string) ?? "" }
            if m.messageType == FIXMessageType.logon && stats.ignoredLogons < faults.ignoreFirstLogons {
                stats.ignoredLogons += 1
                return
            }
            let event = sessions[s]!.receive(m)
            switch event {
            case .logonRequested(let heartbeat):
                if sessions[s]!.fix.senderCompID.isEmpty { sessions[s]!.fix.senderCompID = "HKATS" }
                if let reason = faults.rejectLogon {
                    stats.rejectedLogons += 1
                    sessions[s]!.refuse(reason)
                    sessions[s]!.closing = true
                    return
                }
                stats.logons += 1
                if firstLogon == nil { firstLogon = now }
                sessions[s]!.accept(heartbeatSeconds: heartbeat)
                if faults.resendRequestAfterLogon { send(s, FIXMessageType.resendRequest, [(FIXTag.beginSeqNo, "1"), (FIXTag.endSeqNo, "0")]) }
                return
            case .beforeLogon, .malformed:
                sessions[s]!.closing = true
                return
            case .loggedOut:
                // The session wrote the Logout answering theirs.
                sessions[s]!.closing = true
                return
            case .heartbeat:
                stats.heartbeats += 1
                return
            case .sequenceReset(let gapFill):
                if gapFill { stats.gapFillsReceived += 1 }
                return
            case .testRequest, .resendRequest, .sessionReject, .loggedOn, .logonRefused:
                return   // answered by the session where owed
            case .application:
                break
            }
            let type = m.messageType ?? ""
            switch type {
            case FIXMessageType.orderCancelReplaceRequest where faults.rejectReplacesAtSessionLevel:
                stats.sessionRejectsSent += 1
                send(s, FIXMessageType.reject, [(FIXTag.refSeqNum, text(FIXTag.msgSeqNum)), (FIXTag.refMsgType, "G"), (FIXTag.sessionRejectReason, "99"),
                                                (FIXTag.text, "replace not supported")])
            case FIXMessageType.newOrderSingle, FIXMessageType.orderCancelRequest, FIXMessageType.orderCancelReplaceRequest:
                stats.applicationMessages += 1
                let id = text(FIXTag.clOrdID)
                // Throttle: messages per aligned second per session.
                let second = now / 1_000_000_000
                if sessions[s]!.windowStart != second { sessions[s]!.windowStart = second; sessions[s]!.windowCount = 0 }
                sessions[s]!.windowCount += 1
                if profile.throttle > 0 && sessions[s]!.windowCount > profile.throttle {
                    stats.throttled += 1
                    stats.rejects += 1
                    queue.append(Pending(release: now, session: s, type: FIXMessageType.executionReport,
                                         fields: [(FIXTag.orderID, "NONE"), (FIXTag.clOrdID, id), (FIXTag.execType, "8"), (FIXTag.ordStatus, "8"), (FIXTag.ordRejReason, "99"), (FIXTag.text, "throttle exceeded")]))
                    return
                }
                serverFree = max(serverFree, now) + profile.serviceTime
                let release = max(lastRelease, serverFree + profile.delay.draw(unit(), unit()))
                lastRelease = release
                execID += 1
                let symbol = text(FIXTag.symbol), side = text(FIXTag.side)
                if type == FIXMessageType.orderCancelRequest {
                    let original = text(FIXTag.origClOrdID)
                    let found = books[symbol]?.remove(session: s, id: original) ?? false
                    if found {
                        stats.acks += 1
                        queue.append(Pending(release: release, session: s, type: FIXMessageType.executionReport, fields: [(FIXTag.orderID, "O\(execID)"), (FIXTag.clOrdID, id), (FIXTag.origClOrdID, original), (FIXTag.execID, "E\(execID)"), (FIXTag.execType, "4"), (FIXTag.ordStatus, "4")]))
                    } else {
                        stats.cancelRejects += 1
                        queue.append(Pending(release: release, session: s, type: FIXMessageType.orderCancelReject, fields: [(FIXTag.orderID, "NONE"), (FIXTag.clOrdID, id), (FIXTag.origClOrdID, original), (FIXTag.ordStatus, "8"), (FIXTag.cxlRejResponseTo, "1"), (FIXTag.cxlRejReason, "1"), (FIXTag.text, "unknown order")]))
                    }
                    return
                }
                let price = Int(text(FIXTag.price)) ?? 0, quantity = Int(text(FIXTag.orderQty)) ?? 0
                if type == FIXMessageType.newOrderSingle && (price <= 0 || quantity <= 0 || symbol.isEmpty) {
                    stats.rejects += 1
                    queue.append(Pending(release: release, session: s, type: FIXMessageType.executionReport, fields: [(FIXTag.orderID, "NONE"), (FIXTag.clOrdID, id), (FIXTag.execID, "E\(execID)"), (FIXTag.execType, "8"), (FIXTag.ordStatus, "8"), (FIXTag.text, "invalid order")]))
                    return
                }
                if type == FIXMessageType.orderCancelReplaceRequest { _ = books[symbol]?.remove(session: s, id: text(FIXTag.origClOrdID)) }
                stats.acks += 1
                queue.append(Pending(release: release, session: s, type: FIXMessageType.executionReport, fields: [(FIXTag.orderID, "O\(execID)"), (FIXTag.clOrdID, id), (FIXTag.execID, "E\(execID)"), (FIXTag.execType, type == FIXMessageType.orderCancelReplaceRequest ? "5" : "0"), (FIXTag.ordStatus, "0"), (FIXTag.symbol, symbol), (FIXTag.side, side)]))
                // Price-time matching against the opposite side.
                if let resting = books[symbol, default: Book()].match(side: side, price: price) {
                    stats.fills += 2
                    queue.append(Pending(release: release + 1_000, session: s, type: FIXMessageType.executionReport, fields: [(FIXTag.orderID, "O\(execID)"), (FIXTag.clOrdID, id), (FIXTag.execID, "F\(execID)"), (FIXTag.execType, "F"), (FIXTag.ordStatus, "2"), (FIXTag.lastPx, "\(resting.price)"), (FIXTag.lastQty, "\(min(quantity, resting.quantity))")]))
                    queue.append(Pending(release: release + 1_000, session: resting.session, type: FIXMessageType.executionReport, fields: [(FIXTag.orderID, "R\(execID)"), (FIXTag.clOrdID, resting.clOrdID), (FIXTag.execID, "G\(execID)"), (FIXTag.execType, "F"), (FIXTag.ordStatus, "2"), (FIXTag.lastPx, "\(resting.price)"), (FIXTag.lastQty, "\(min(quantity, resting.quantity))")]))
                } else {
                    books[symbol, default: Book()].add(Resting(price: price, quantity: quantity, clOrdID: id, session: s, side: side))
                }
            default:
                break
            }
        }

        while !stopFlag.load(ordering: .relaxed) {
            let now = Clock.monotonic()
            if let duration, now - start >= duration { break }
            if let at = faults.disconnectAt, let first = firstLogon, !disconnected, now >= first + at {
                disconnected = true
                for i in sessions.indices where sessions[i] != nil { closeSession(i); stats.disconnects += 1 }
                queue.removeAll()
            }
            let stalled: Bool = {
                guard let at = faults.stallAt, let first = firstLogon else { return false }
                return now >= first + at && now < first + at + faults.stallFor
            }()
            // Release due answers (queue is in release order except throttle rejects, which are due now).
            if !stalled {
                queue.sort { $0.release < $1.release }
                var released = 0
                for p in queue where p.release <= now {
                    released += 1
                    if sessions[p.session] != nil { send(p.session, p.type, p.fields) }
                }
                queue.removeFirst(released)
            }
            // Write what is pending; close sessions that asked to.
            for i in sessions.indices {
                guard var session = sessions[i] else { continue }
                if !session.output.isEmpty {
                    let n = session.output.withUnsafeBytes { session.socket.send($0) }
                    if n > 0 { session.output.removeFirst(n) } else if n != -Int(EAGAIN) { sessions[i] = session; closeSession(i); continue }
                }
                if session.closing && session.output.isEmpty { sessions[i] = session; closeSession(i); continue }
                sessions[i] = session
            }
            // Wait for input, a connection, or the next release.
            let nextRelease = stalled ? 1_000_000 : (queue.first.map { max(0, $0.release - now) } ?? 10_000_000)
            var descriptors: [Int32] = [listener.descriptor]
            var writable: [Bool] = [false]
            var owners: [Int] = [-1]
            for (i, s) in sessions.enumerated() where s != nil {
                descriptors.append(s!.socket.descriptor); writable.append(!s!.output.isEmpty); owners.append(i)
            }
            let ready = waitForSockets(descriptors, writable: writable, timeoutNanoseconds: min(nextRelease, 10_000_000))
            if ready[0] & 1 != 0 {
                while let socket = listener.accept() {
                    stats.connections += 1
                    sessions.append(Session(socket: socket))
                }
            }
            let arrival = Clock.monotonic()
            for k in 1..<ready.count where ready[k] & 1 != 0 {
                let i = owners[k]
                guard sessions[i] != nil else { continue }
                let n = buffer.withUnsafeMutableBytes { sessions[i]!.socket.receive(into: $0) }
                if n == 0 || (n < 0 && n != -Int(EAGAIN)) { closeSession(i); continue }
                guard n > 0 else { continue }
                var messages: [[UInt8]] = []
                buffer.withUnsafeBytes { raw in
                    sessions[i]!.parser.append(ByteView(unsafeStart: raw.baseAddress, count: n), timestamp: arrival) { m in
                        messages.append(m.message.bytes.withUnsafeBytes { Array($0) })
                    }
                }
                stats.framingErrors = sessions.compactMap { $0?.parser.errorCount }.reduce(0, +)
                for bytes in messages {
                    bytes.withUnsafeBytes { raw in handle(i, FIXMessage(unchecked: ByteView(unsafeStart: raw.baseAddress, count: raw.count)), now: arrival) }
                }
            }
        }
        for i in sessions.indices { sessions[i]?.socket.close() }
        return stats
    }
}

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

/// Connections: connect and log on, send, drop, wait for sockets, and give up unanswered Logons.
extension SessionRun {
    mutating func connect(_ i: Int) -> Bool {
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

    mutating func flush(_ i: Int) {
        guard let socket = live[i].socket, !live[i].output.isEmpty else { return }
        let n = live[i].output.withUnsafeBytes { socket.send($0) }
        if n > 0 { live[i].output.removeFirst(n); live[i].lastSent = Clock.monotonic() } else if n != -Int(EAGAIN) { drop(i) }
        if !unsentDeadlines.isEmpty {
            let now = Clock.monotonic()
            for d in unsentDeadlines { lateness.recordLatency(now - d) }
            unsentDeadlines.removeAll(keepingCapacity: true)
            for id in unsentIDs { outstanding[id]?.sent = now }
            unsentIDs.removeAll(keepingCapacity: true)
        }
    }

    mutating func drop(_ i: Int) {
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

    mutating func poll(_ timeout: Int64) {
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
    mutating func expireLogons(_ now: Int64) {
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
}

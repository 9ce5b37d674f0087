#if canImport(Glibc)
import Glibc
#endif
import Vocabulary
import MarketData
import Testing
import Transport
@testable import Simulators

/// A raw RTS client for the tests: whole packets in, recovery messages and sequence numbers out.
private final class RawClient {
    let socket: TCPConnectionSocket
    let framer = OMDStreamFramer()
    init(_ port: UInt16) throws {
        socket = try TCPConnectionSocket.connect(to: Endpoint(address: IPAddress(v4: 0x7F00_0001), port: port))
    }
    func send(_ bytes: [UInt8]) {
        var outbox = TCPOutbox()
        outbox.append(bytes)
        while !outbox.isEmpty { guard outbox.flush(socket) else { return }; usleep(1_000) }
    }
    /// The next packet within `seconds`: its SeqNum and messages (recovery ones decoded), or nil at a
    /// timeout or the end of the stream (`closed` then says which).
    var closed = false
    func next(within seconds: Double = 2) -> (sequence: UInt32, heartbeat: Bool, recovery: [OMDRecoveryMessage], types: [UInt16])? {
        let deadline = Clock.monotonic() + Int64(seconds * 1e9)
        while Clock.monotonic() < deadline {
            if case .packet(let p) = framer.next(), let packet = OMDPacket(p) {
                var recovery: [OMDRecoveryMessage] = [], types: [UInt16] = []
                for m in packet.messages {
                    types.append(m.type)
                    if let r = OMDRecoveryMessage(m) { recovery.append(r) }
                }
                return (packet.sequenceNumber, packet.isHeartbeat, recovery, types)
            }
            _ = waitForSockets([socket.descriptor], writable: [false], timeoutNanoseconds: 20_000_000)
            let n = framer.fill { socket.receive(into: $0) }
            if n == 0 { closed = true; return nil }
        }
        return nil
    }
}

@Suite("The retransmission server (RTS) of sim feed")
struct RetransmissionServerTests {
    /// A server on a free port holding `count` messages (SN 1…count) of channel 0, run on its own thread.
    func running(_ limits: RetransmissionLimits, count: UInt32 = 100, faults: [[RetransmissionFault]] = []) throws -> (RetransmissionServer, PinnedThread) {
        let server = try RetransmissionServer(endpoints: [Endpoint(address: IPAddress(v4: 0x7F00_0001), port: 0)], channels: 1, limits: limits, faults: faults)
        for sn in 1...count {
            // A Delete Order (18 bytes) whose OrderID is its SN, so every message differs.
            var b = OMDPacketBuilder()
            b.start(sequenceNumber: sn, sendTime: 0)
            _ = b.message(type: OMDMessageType.deleteOrder, length: 18) { $0.put64(at: 8, UInt64(sn)) }
            b.finish()
            let message = Array(b.packet[16...])
            message.withUnsafeBytes { server.feed.record(channel: 0, sequence: sn, bytes: $0) }
        }
        let thread = PinnedThread.start(name: "test-rts") { _ = server.run() }
        return (server, thread)
    }

    @Test("logon, one session per user, every status code, the original sequence numbers, the window and the daily limit")
    func protocolAndLimits() throws {
        var limits = RetransmissionLimits()
        limits.window = 60
        limits.maximumPerRequest = 30
        limits.dailyRequests = 5
        let (server, thread) = try running(limits)
        defer { server.stop(); thread.join() }
        let port = server.ports[0]
        let a = try RawClient(port)
        a.send(OMDRecoveryMessage.logon(username: "alice").packet())
        #expect(a.next()?.recovery == [.logonResponse(.active)])
        // The same user again: already connected (100), and the connection closed.
        let b = try RawClient(port)
        b.send(OMDRecoveryMessage.logon(username: "alice").packet())
        #expect(b.next()?.recovery == [.logonResponse(.alreadyConnected)])
        #expect(b.next() == nil && b.closed)
        // Accepted: the response, then messages 50…70 with their own SNs (one packet: 21 × 18 bytes).
        a.send(OMDRecoveryMessage.retransmissionRequest(channel: 0, begin: 50, end: 70).packet())
        #expect(a.next()?.recovery == [.retransmissionResponse(channel: 0, status: .accepted, begin: 50, end: 70)])
        let data = try #require(a.next())
        #expect(data.sequence == 50 && data.types.count == 21 && data.types.allSatisfy { $0 == OMDMessageType.deleteOrder })
        // The window holds SN 41…100: 40 is not available; 31 messages are too many; channel 7 is unknown.
        for (channel, begin, end, status) in [(UInt16(0), UInt32(40), UInt32(45), OMDRecoveryMessage.RetransmissionStatus.notAvailable),
                                              (0, 60, 90, .rangeTooBig), (7, 50, 51, .unknownChannel), (0, 99, 101, .notAvailable)] {
            a.send(OMDRecoveryMessage.retransmissionRequest(channel: channel, begin: begin, end: end).packet())
            #expect(a.next()?.recovery == [.retransmissionResponse(channel: channel, status: status, begin: begin, end: end)])
        }
        // Five requests so far: the sixth is one too many for the day.
        a.send(OMDRecoveryMessage.retransmissionRequest(channel: 0, begin: 90, end: 91).packet())
        #expect(a.next()?.recovery == [.retransmissionResponse(channel: 0, status: .tooManyRequests, begin: 90, end: 91)])
    }

    @Test("a connection that never logs on, and a client that never echoes a heartbeat, are closed; one that echoes stays")
    func timeouts() throws {
        var limits = RetransmissionLimits()
        limits.logonTimeout = 200_000_000
        limits.heartbeatInterval = 100_000_000
        limits.heartbeatTimeout = 150_000_000
        let (server, thread) = try running(limits)
        let port = server.ports[0]
        let silent = try RawClient(port)
        let deaf = try RawClient(port)
        let echo = try RawClient(port)
        deaf.send(OMDRecoveryMessage.logon(username: "deaf").packet())
        echo.send(OMDRecoveryMessage.logon(username: "echo").packet())
        #expect(deaf.next()?.recovery == [.logonResponse(.active)])
        #expect(echo.next()?.recovery == [.logonResponse(.active)])
        var heartbeat = OMDPacketBuilder(maximumSize: 16)
        heartbeat.start(sequenceNumber: 0, sendTime: 0)
        heartbeat.finish()
        var echoed = 0
        while echoed < 5, let p = echo.next(within: 1), p.heartbeat {
            echo.send(heartbeat.packet)
            echoed += 1
        }
        #expect(echoed == 5)
        #expect(silent.next(within: 1) == nil && silent.closed)
        while deaf.next(within: 1)?.heartbeat == true {}
        #expect(deaf.closed)
        echo.send(OMDRecoveryMessage.retransmissionRequest(channel: 0, begin: 1, end: 2).packet())
        #expect(echo.next()?.recovery.first == .retransmissionResponse(channel: 0, status: .accepted, begin: 1, end: 2))
        server.stop()
        thread.join()
        let s = try #require(server.finalStatistics)
        #expect(s.logonTimeouts == 1 && s.heartbeatTimeouts == 1 && s.logons == 2 && s.heartbeatsSent >= 6, "\(s)")
    }

    @Test("the window keeps the last N messages per channel, in any size, and a restarted sequence clears it")
    func window() {
        var w = ChannelWindow(window: 3)
        for sn in UInt32(1)...2_000 {
            let bytes = [UInt8](repeating: UInt8(truncatingIfNeeded: sn), count: Int(sn % 300) + 4)
            bytes.withUnsafeBytes { w.append(sequence: sn, $0) }
        }
        #expect(w.oldest == 1_998 && w.newest == 2_000 && w.holds(1_998, 2_000) && !w.holds(1_997, 1_999))
        var seen: [(UInt32, Int)] = []
        w.forEach(1_999, 2_000) { sn, range in seen.append((sn, range.count)) }
        #expect(seen.map(\.0) == [1_999, 2_000] && seen.map(\.1) == [Int(1_999 % 300) + 4, Int(2_000 % 300) + 4])
        let storage = w.storage
        w.forEach(2_000, 2_000) { _, range in #expect(storage[range].allSatisfy { $0 == UInt8(truncatingIfNeeded: 2_000) }) }
        [UInt8](repeating: 1, count: 8).withUnsafeBytes { w.append(sequence: 1, $0) }
        #expect(w.oldest == 1 && w.newest == 1 && !w.holds(1_999, 2_000))
    }
}

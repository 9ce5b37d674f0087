import Vocabulary
import Capture
import Foundation
import OrderEntry
import Synth
import TestSupport
import Testing
import Transport
@testable import Replay
@testable import Simulators
import Results



@Suite("Gateway replay against the reference gateway", .serialized)
struct GatewayTests {
    @Test("every request is answered and matched by ClOrdID; sent = answered + timeouts + lost")
    func replayAllAnswered() throws {
        let path = try fixCapture(sessions: 3, orders: 200)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let plan = try SessionPlan(path: path)
        #expect(plan.sessions.count == 3)
        #expect(plan.messageCount == 600)
        let gateway = try RunningGateway()
        var options = SessionReplayOptions()
        options.speed = 20
        let result = SessionPlayer(plan: plan, target: gateway.endpoint, options: options).run()
        let stats = gateway.stop()
        #expect(result.sessionsLoggedOn == 3)
        #expect(stats.logons == 3)
        #expect(result.requests == 600)
        #expect(stats.applicationMessages == 600)
        for t in result.byType {
            #expect(t.sent == t.answered + t.timeouts + t.lostToDisconnects, "\(t.messageType)")
            #expect(t.timeouts == 0)
            #expect(t.latency.count == t.answered)
        }
        #expect(result.byType.map(\.answered).reduce(0, +) == 600)
        #expect(Set(result.byType.map(\.messageType)).isSuperset(of: ["D", "F", "G"]))
        // The profile's service time is a floor under every latency.
        #expect(result.byType.allSatisfy { $0.latency.min >= 5_000 })
    }

    @Test("a refused logon is reported with the gateway's reason; a dropped connection is counted and its requests lost, not timed out")
    func faults() throws {
        let path = try fixCapture(sessions: 1, orders: 50)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let plan = try SessionPlan(path: path)
        var reject = GatewayFaults()
        reject.rejectLogon = "market closed"
        let refusing = try RunningGateway(faults: reject)
        let refused = SessionPlayer(plan: plan, target: refusing.endpoint, options: SessionReplayOptions()).run()
        _ = refusing.stop()
        #expect(refused.sessionsLoggedOn == 0)
        #expect(refused.logonRejections.first?.contains("market closed") == true)
        #expect(refused.requests == 0)

        var drop = GatewayFaults()
        drop.disconnectAt = 5_000_000
        let dropping = try RunningGateway(faults: drop)
        var options = SessionReplayOptions()
        options.speed = 1
        options.connectAttempts = 1
        let dropped = SessionPlayer(plan: plan, target: dropping.endpoint, options: options).run()
        _ = dropping.stop()
        #expect(dropped.disconnects == 1)
        let lost = dropped.byType.map(\.lostToDisconnects).reduce(0, +)
        for t in dropped.byType { #expect(t.sent == t.answered + t.timeouts + t.lostToDisconnects) }
        #expect(dropped.requests < 50 || lost > 0)

        // Nothing listening: the connect failure names the endpoint.
        let nowhere = try TCPListenerPort.free()
        var once = SessionReplayOptions()
        once.connectAttempts = 1
        let unreachable = SessionPlayer(plan: plan, target: nowhere, options: once).run()
        #expect(unreachable.connectFailures.first?.contains(nowhere.description) == true)
    }
}

@Suite("A gateway that accepts and never answers the Logon", .serialized)
struct SilentGatewayTests {
    @Test("every session fails with the reason after its attempts; the replay ends, sends nothing and names the gateway",
          .timeLimit(.minutes(1)), arguments: [1, 4])
    func unansweredLogon(sessions: Int) throws {
        let path = try fixCapture(sessions: sessions, orders: 20)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let plan = try SessionPlan(path: path)
        #expect(plan.sessions.count == sessions)
        // The kernel completes the handshake for a listener nobody accepts from: the Logon is delivered
        // into a socket buffer that is never read.
        let silent = try Transport.TCPListener(endpoint: Endpoint("127.0.0.1:0")!)
        let target = Endpoint(address: IPAddress(v4: 0x7F00_0001), port: silent.port)
        var options = SessionReplayOptions()
        options.logonTimeout = 300_000_000
        options.connectAttempts = 2
        let result = SessionPlayer(plan: plan, target: target, options: options).run()
        #expect(result.sessionsLoggedOn == 0)
        #expect(result.requests == 0)
        #expect(result.logonTimeouts.count == sessions)
        #expect(result.logonTimeouts.allSatisfy { $0.contains(target.description) && $0.contains("did not answer the Logon") && $0.contains("2 attempts") })
        #expect(result.sessionEvents["logons unanswered"] == UInt64(2 * sessions))
        #expect(result.sessionFailures.count == sessions)
        #expect(result.connectFailures.isEmpty && result.logonRejections.isEmpty)
        #expect(!result.interrupted)
    }

    @Test("a Logon answered on the second attempt is not a failure", .timeLimit(.minutes(1)))
    func answeredOnRetry() throws {
        let path = try fixCapture(sessions: 1, orders: 20)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let plan = try SessionPlan(path: path)
        var faults = GatewayFaults()
        faults.ignoreFirstLogons = 1
        let gateway = try RunningGateway(faults: faults)
        var options = SessionReplayOptions()
        options.logonTimeout = 300_000_000
        options.speed = nil
        let result = SessionPlayer(plan: plan, target: gateway.endpoint, options: options).run()
        _ = gateway.stop()
        #expect(result.sessionsLoggedOn == 1)
        #expect(result.sessionEvents["logons unanswered"] == 1)
        #expect(result.sessionFailures.isEmpty)
        #expect(result.requests == 20)
        #expect(result.byType.map(\.answered).reduce(0, +) == 20)
    }
}

@Suite("Gateway replay from a transaction log", .serialized)
struct TransactionLogReplayTests {
    @Test("each log session logs on and its requests are answered and matched")
    func replayLog() throws {
        var lines: [String] = []
        for i in 0..<40 {
            let session = i % 2 == 0 ? "ALPHA" : "BETA"
            lines.append("{\"time\": \(1_767_575_700_000_000_000 + i * 100_000), \"session\": \"\(session)\", \"type\": \"D\", \"payload\": \"11=O\(i)|55=HSIF6|54=1|38=1|44=\(21_400 + i)|40=2\"}")
        }
        let path = NSTemporaryDirectory() + "rehearse-log-\(UUID().uuidString).jsonl"
        try lines.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let plan = SessionPlan(log: try TransactionLog(path: path))
        #expect(plan.sessions.count == 2 && plan.messageCount == 40)
        let gateway = try RunningGateway()
        let result = SessionPlayer(plan: plan, target: gateway.endpoint, options: SessionReplayOptions()).run()
        let stats = gateway.stop()
        #expect(result.sessionsLoggedOn == 2)
        #expect(stats.applicationMessages == 40)
        #expect(result.byType.first?.answered == 40)
        #expect(result.byType.first?.acks == 40)
    }
}

enum TCPListenerPort {
    /// A loopback endpoint where nothing listens.
    static func free() throws -> Endpoint {
        let l = try Transport.TCPListener(endpoint: Endpoint("127.0.0.1:0")!)
        return Endpoint(address: IPAddress(v4: 0x7F00_0001), port: l.port)
    }
}

@Suite("Half-captured sessions")
struct HalfCapturedTests {
    @Test("a session whose start (SYN, Logon) was not captured is replayed from its first application message")
    func noLogon() throws {
        let full = try fixCapture(sessions: 1, orders: 60)
        defer { try? FileManager.default.removeItem(atPath: full) }
        let cut = NSTemporaryDirectory() + "rehearse-half-\(UUID().uuidString).pcap"
        defer { try? FileManager.default.removeItem(atPath: cut) }
        // Drop the handshake and both Logons (the first five packets).
        var reader = try CaptureReader.open(full)
        let writer = try CaptureWriter(path: cut, options: .init(format: .pcap), interfaces: [.init(linkType: LinkType(rawValue: 101))])
        var index = 0
        while let p = try reader.next() {
            index += 1
            if index > 5 { try p.data.withUnsafeBytes { try writer.write(timestamp: p.timestamp, data: $0) } }
        }
        try writer.close()
        let plan = try SessionPlan(path: cut)
        #expect(plan.sessions.count == 1)
        #expect(plan.sessions[0].halfCaptured)
        #expect(plan.sessions[0].messages.count == 60)
        #expect(plan.sessions[0].senderCompID == nil)
        let gateway = try RunningGateway()
        var options = SessionReplayOptions()
        options.speed = 10
        options.senderCompID = "CLIENT1"
        let result = SessionPlayer(plan: plan, target: gateway.endpoint, options: options).run()
        _ = gateway.stop()
        #expect(result.halfCapturedSessions == 1)
        #expect(result.sessionsLoggedOn == 1)
        #expect(result.byType.map(\.answered).reduce(0, +) == 60)
    }
}

@Suite("Session layer against the reference gateway", .serialized)
struct SessionLayerTests {
    @Test("a ResendRequest is answered with a SequenceReset-GapFill; a session-level Reject answers the request it names")
    func resendAndReject() throws {
        let path = try fixCapture(sessions: 1, orders: 120)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let plan = try SessionPlan(path: path)
        var faults = GatewayFaults()
        faults.resendRequestAfterLogon = true
        faults.rejectReplacesAtSessionLevel = true
        let gateway = try RunningGateway(faults: faults)
        var options = SessionReplayOptions()
        options.speed = 20
        let result = SessionPlayer(plan: plan, target: gateway.endpoint, options: options).run()
        let stats = gateway.stop()
        #expect(stats.gapFillsReceived == 1)
        #expect(result.sessionEvents["resend requests answered with a gap fill"] == 1)
        let replaces = try #require(result.byType.first { $0.messageType == "G" })
        #expect(replaces.sent > 0)
        #expect(replaces.rejects == replaces.sent)
        #expect(replaces.answered == replaces.sent)
        #expect(stats.sessionRejectsSent == replaces.sent)
        for t in result.byType { #expect(t.sent == t.answered + t.timeouts + t.lostToDisconnects) }
    }
}

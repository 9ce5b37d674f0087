import TestSupport
import Vocabulary
import Capture
import OrderEntry
import Testing

/// Feeds `bytes` (one or more messages) to `session`, returning the events and what it wrote.
private func deliver(_ bytes: [UInt8], to session: inout FIXSession) -> (events: [FIXSession.Event], written: [UInt8]) {
    var parser = FIXStreamParser()
    var events: [FIXSession.Event] = []
    var out: [UInt8] = []
    var s = session
    bytes.withUnsafeBytes { raw in
        parser.append(ByteView(unsafeStart: raw.baseAddress, count: raw.count), timestamp: 0) { m in
            events.append(s.receive(m.message, into: &out))
        }
    }
    session = s
    return (events, out)
}

/// The fields of every message in `bytes`, in order.
private func messages(_ bytes: [UInt8]) -> [[Int: String]] {
    var parser = FIXStreamParser()
    var out: [[Int: String]] = []
    bytes.withUnsafeBytes { raw in
        parser.append(ByteView(unsafeStart: raw.baseAddress, count: raw.count), timestamp: 0) { m in
            var fields: [Int: String] = [:]
            var it = m.message.fields
            while let f = it.next() { fields[f.tag] = FIXMessage.string(f.value) }
            out.append(fields)
        }
    }
    return out
}

@Suite("FIX session layer: one state machine for initiators and acceptors")
struct FIXSessionTests {
    func pair() -> (FIXSession, FIXSession) {
        var client = FIXSession(role: .initiator, beginString: "FIX.4.4", senderCompID: "CLIENT01", targetCompID: "HKATS")
        var gateway = FIXSession(role: .acceptor, beginString: "FIX.4.2", senderCompID: "DEFAULT", targetCompID: "NOBODY")
        client.sendingTime = { "20260105-01:15:00.000" }
        gateway.sendingTime = { "20260105-01:15:00.000" }
        return (client, gateway)
    }

    @Test("logon, a TestRequest, a ResendRequest, application traffic and a logout, both sides")
    func conversation() {
        var (client, gateway) = pair()
        var wire: [UInt8] = []
        client.logon(heartbeatSeconds: 30, username: "u", password: "p", into: &wire)
        #expect(client.state == .logonSent)
        let logon = messages(wire)[0]
        #expect(logon[FIXTag.msgType] == "A" && logon[FIXTag.msgSeqNum] == "1" && logon[FIXTag.heartBtInt] == "30")
        #expect(logon[FIXTag.username] == "u" && logon[FIXTag.password] == "p" && logon[FIXTag.resetSeqNumFlag] == nil)

        var (events, answer) = deliver(wire, to: &gateway)
        #expect(events == [.logonRequested(heartbeatSeconds: 30)])
        #expect(gateway.targetCompID == "CLIENT01" && gateway.senderCompID == "HKATS" && gateway.beginString == "FIX.4.4")
        #expect(answer.isEmpty, "the acceptor decides: accept or refuse")
        gateway.acceptLogon(heartbeatSeconds: 30, into: &answer)
        (events, wire) = deliver(answer, to: &client)
        #expect(events == [.loggedOn] && client.isLoggedOn && wire.isEmpty)
        let accepted = messages(answer)[0]
        #expect(accepted[FIXTag.senderCompID] == "HKATS" && accepted[FIXTag.targetCompID] == "CLIENT01")

        // A TestRequest is answered with a Heartbeat carrying its id.
        answer = []
        gateway.write(FIXMessageType.testRequest, [(FIXTag.testReqID, "T1")], into: &answer)
        (events, wire) = deliver(answer, to: &client)
        #expect(events == [.testRequest])
        let heartbeat = messages(wire)[0]
        #expect(heartbeat[FIXTag.msgType] == "0" && heartbeat[FIXTag.testReqID] == "T1" && heartbeat[FIXTag.msgSeqNum] == "2")

        // Application messages take the next numbers; a ResendRequest gets a gap fill to the next one.
        #expect(client.claimSequenceNumber() == 3)
        answer = []
        gateway.write(FIXMessageType.resendRequest, [(FIXTag.beginSeqNo, "3"), (FIXTag.endSeqNo, "0")], into: &answer)
        (events, wire) = deliver(answer, to: &client)
        #expect(events == [.resendRequest(from: 3)])
        let gapFill = messages(wire)[0]
        #expect(gapFill[FIXTag.msgType] == "4" && gapFill[FIXTag.gapFillFlag] == "Y" && gapFill[FIXTag.possDupFlag] == "Y")
        #expect(gapFill[FIXTag.msgSeqNum] == "3" && gapFill[FIXTag.newSeqNo] == "4")
        (events, _) = deliver(wire, to: &gateway)
        #expect(events == [.sequenceReset(gapFill: true)])

        answer = []
        gateway.write(FIXMessageType.executionReport, [(FIXTag.clOrdID, "X")], into: &answer)
        (events, _) = deliver(answer, to: &client)
        #expect(events == [.application(type: "8")])

        // The client logs out; the gateway answers; the client sees the answer.
        wire = []
        client.logout(into: &wire)
        (events, answer) = deliver(wire, to: &gateway)
        #expect(events == [.loggedOut(reason: nil)] && gateway.state == .loggedOut)
        #expect(messages(answer).first?[FIXTag.msgType] == "5")
        (events, wire) = deliver(answer, to: &client)
        #expect(events == [.loggedOut(reason: nil)] && wire.isEmpty && client.state == .loggedOut)
    }

    @Test("a refused logon is a Logout with the reason; messages before logon are not served")
    func refusals() {
        var (client, gateway) = pair()
        var wire: [UInt8] = []
        client.logon(heartbeatSeconds: 30, resetSequence: true, into: &wire)
        #expect(messages(wire)[0][FIXTag.resetSeqNumFlag] == "Y")
        var answer: [UInt8] = []
        _ = deliver(wire, to: &gateway)
        gateway.refuseLogon(reason: "market closed", into: &answer)
        let (events, _) = deliver(answer, to: &client)
        #expect(events == [.logonRefused(reason: "market closed")])
        #expect(client.state == .loggedOut)

        var fresh = FIXSession(role: .acceptor, beginString: "FIX.4.4", senderCompID: "GW", targetCompID: "C")
        var order = FIXSession(role: .initiator, beginString: "FIX.4.4", senderCompID: "C", targetCompID: "GW")
        wire = []
        order.write(FIXMessageType.newOrderSingle, [(FIXTag.clOrdID, "1")], into: &wire)
        let (early, written) = deliver(wire, to: &fresh)
        #expect(early == [.beforeLogon(type: "D")] && written.isEmpty)
    }

    @Test("per version: SendingTime to the second on FIX 4.0/4.1 and to the millisecond after; DefaultApplVerID on FIXT.1.1 only; ResetSeqNumFlag from 4.1; Username/Password from 4.3",
          arguments: ["FIX.4.0", "FIX.4.1", "FIX.4.2", "FIX.4.3", "FIX.4.4", "FIXT.1.1"])
    func perVersion(version: String) {
        var client = FIXSession(role: .initiator, beginString: version, senderCompID: "C", targetCompID: "G")
        client.sendingTime = { "20260105-01:15:00.123" }
        var out: [UInt8] = []
        client.logon(heartbeatSeconds: 30, resetSequence: true, username: "u", password: "p", into: &out)
        var server = FIXSession(role: .acceptor, beginString: version, senderCompID: "G", targetCompID: "C")
        server.sendingTime = { "20260105-01:15:00.456" }
        _ = deliver(out, to: &server)
        var accept: [UInt8] = []
        server.acceptLogon(into: &accept)
        for (fields, time) in [(messages(out).first ?? [:], "20260105-01:15:00.123"), (messages(accept).first ?? [:], "20260105-01:15:00.456")] {
            #expect(fields[8] == version)
            let milliseconds = version != "FIX.4.0" && version != "FIX.4.1"
            #expect(fields[52] == (milliseconds ? time : String(time.prefix(17))), "\(version): \(fields[52] ?? "none")")
            #expect((fields[1137] != nil) == (version == "FIXT.1.1"), "\(version) DefaultApplVerID \(fields[1137] ?? "none")")
            if version == "FIXT.1.1" { #expect(fields[1137] == "9") }
        }
        let logon = messages(out).first ?? [:]
        #expect((logon[141] != nil) == (version != "FIX.4.0"))
        #expect((logon[553] != nil) == !["FIX.4.0", "FIX.4.1", "FIX.4.2"].contains(version))
    }
}


#if canImport(Glibc)
import Glibc
#endif
import Capture
import CShims
import Histogram
import OrderEntry
import Results
import Synchronization
import Transport
import Vocabulary

/// Messages: requests out at their deadlines, answers in through the session layer, matched by ClOrdID.
extension SessionRun {
    /// When session `i`'s next request is due: its capture time from the first, ÷ speed, after the anchor.
    func deadline(_ i: Int) -> Int64 {
        guard let speed = options.speed else { return 0 }
        let t = plan.sessions[i].messages[live[i].next].timestamp - plan.firstTime
        return anchor + Int64(Double(t) / speed)
    }

    /// Sends the session's next request: the body was rewritten before the run; only the header's
    /// MsgSeqNum and SendingTime, BodyLength and CheckSum are made now, straight into the output buffer.
    mutating func sendApplication(_ i: Int, scheduled: Int64) {
        let p = prepared[i][live[i].next]
        live[i].next += 1
        let sequence = live[i].session.claimSequenceNumber()
        appendMessage(&live[i].output, begin: beginFields[i], type: p.type, compIDs: compIDFields[i],
                      sequence: sequence, time: &clock, milliseconds: sendingTimeMilliseconds[i], body: p.body)
        unsentDeadlines.append(scheduled)
        if let id = p.clOrdID { unsentIDs.append(id) }
        results[p.typeIndex].sent += 1
        requests += 1
        player.sentRequests.store(UInt64(requests), ordering: .relaxed)
        if let id = p.clOrdID {
            outstanding[id] = Outstanding(scheduled: scheduled, type: p.typeIndex, session: i, answered: false)
            live[i].inFlight += 1
            live[i].clOrdIDBySequence[sequence] = id
        }
    }

    /// The first answer to a request: its response time (by type and by slice of the schedule) and
    /// the gateway's own time from the request's actual send.
    mutating func recordAnswer(_ o: Outstanding, at time: Int64) {
        histograms[o.type].recordLatency(time - o.scheduled)
        let slice = Int(min(max((o.scheduled - anchor) / sliceWidth, 0), Int64(Self.sliceCount - 1)))
        slices[slice].recordLatency(time - o.scheduled)
        if o.sent != 0 { platform.recordLatency(time - o.sent) }
    }

    mutating func received(_ i: Int, _ m: FIXMessage, at time: Int64) {
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
            recordAnswer(o, at: time)
        case .application(let type):
            answered(type, m, at: time)
        case .heartbeat, .testRequest, .sequenceReset, .logonRequested, .beforeLogon, .malformed:
            break  // answered by the session where owed; incoming MsgSeqNums are not enforced
        }
    }

    /// An Execution Report, Order Cancel Reject or Business Message Reject: matched by ClOrdID.
    mutating func answered(_ type: String, _ m: FIXMessage, at time: Int64) {
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
            recordAnswer(o, at: time)
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
}

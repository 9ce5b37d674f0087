import Vocabulary

/// One FIX session's conversation, for either side — the session player and the pre-rollout probe
/// (initiators) and the simulated gateway (acceptor) all speak through it: the header of every message
/// (BeginString, CompIDs, MsgSeqNum, SendingTime), Logon and Logout, and the answers the session layer
/// owes (a Heartbeat for a TestRequest, a SequenceReset-GapFill for a ResendRequest, a Logout for a
/// Logout). Incoming messages become ``Event``s; application messages pass through untouched.
///
/// No I/O: messages are appended to a caller's output buffer, which the caller sends.
public struct FIXSession: Sendable {
    public enum Role: Sendable { case initiator, acceptor }

    public enum State: Sendable, Equatable {
        /// Connected, no Logon yet.
        case connected
        /// Initiator: our Logon is out, no answer yet.
        case logonSent
        /// Acceptor: their Logon came; ``acceptLogon(into:)`` or ``refuseLogon(reason:into:)`` answers it.
        case logonReceived
        case loggedOn
        /// Our Logout is out, no answer yet.
        case logoutSent
        /// Logged out (either side), or the Logon was refused: the connection is to be closed.
        case loggedOut
    }

    /// What an incoming message meant.
    public enum Event: Sendable, Equatable {
        /// Initiator: the gateway answered our Logon with a Logon.
        case loggedOn
        /// Acceptor: the counterparty asks to log on (CompIDs taken from it); answer with
        /// ``acceptLogon(into:)`` or ``refuseLogon(reason:into:)``.
        case logonRequested(heartbeatSeconds: Int?)
        /// A Logout answering our Logon: the logon was refused, with the gateway's reason.
        case logonRefused(reason: String?)
        /// A Logout after logon; when they started it, ours has been written in answer.
        case loggedOut(reason: String?)
        case heartbeat
        /// A TestRequest, answered with a Heartbeat carrying its TestReqID.
        case testRequest
        /// A ResendRequest from `from`: answered with a SequenceReset-GapFill to our next MsgSeqNum (nothing is
        /// resent: a replayed request sent late would distort its latency).
        case resendRequest(from: Int)
        /// A session-level Reject of our message `refSeqNum`.
        case sessionReject(refSeqNum: Int?, reason: String?)
        /// A SequenceReset (`gapFill` or a reset); incoming MsgSeqNums are not enforced.
        case sequenceReset(gapFill: Bool)
        /// An application message (Execution Report, New Order Single, …) for the caller.
        case application(type: String)
        /// A message before logon that is not a Logon (an acceptor closes such a connection).
        case beforeLogon(type: String)
        /// No MsgType: not a FIX message.
        case malformed
    }

    public let role: Role
    public var beginString: String
    /// Ours (49 on what we send).
    public var senderCompID: String
    /// Theirs (56 on what we send).
    public var targetCompID: String
    /// The MsgSeqNum our next message gets.
    public private(set) var nextOutgoing = 1
    public private(set) var state: State = .connected
    /// SendingTime (52) for each message written; the realtime clock unless a test fixes it. Cut to
    /// the second for FIX 4.0 and 4.1 (``FIXVersion``).
    public var sendingTime: @Sendable () -> String = FIXTime.now
    /// DefaultApplVerID (1137) on a FIXT.1.1 Logon: "9" FIX 5.0 SP2 (7 FIX 5.0, 8 FIX 5.0 SP1).
    public var defaultApplVerID = "9"

    public init(role: Role, beginString: String, senderCompID: String, targetCompID: String) {
        self.role = role
        self.beginString = beginString
        self.senderCompID = senderCompID
        self.targetCompID = targetCompID
    }

    public var isLoggedOn: Bool { state == .loggedOn }

    /// Takes the next outgoing MsgSeqNum for a message the caller writes itself (a fast path that
    /// assembles the header without ``write(_:_:into:)``).
    public mutating func claimSequenceNumber() -> Int {
        defer { nextOutgoing += 1 }
        return nextOutgoing
    }

    /// Writes a message of `type` with the standard header and `fields` as the body.
    public mutating func write(_ type: String, _ fields: [(Int, String)], into out: inout [UInt8]) {
        var w = FIXWriter(beginString: beginString)
        w.add(FIXTag.msgType, type)
        w.add(FIXTag.senderCompID, senderCompID)
        w.add(FIXTag.targetCompID, targetCompID)
        w.add(FIXTag.msgSeqNum, claimSequenceNumber())
        let time = sendingTime()
        w.add(FIXTag.sendingTime, FIXVersion.sendingTimeHasMilliseconds(beginString) ? time : String(time.prefix(17)))
        for (tag, value) in fields { w.add(tag, value) }
        out += w.message()
    }

    /// The Logon body this version allows: EncryptMethod, HeartBtInt, DefaultApplVerID on FIXT.1.1,
    /// ResetSeqNumFlag from FIX 4.1, Username and Password from FIX 4.3.
    func logonFields(heartbeatSeconds: Int, resetSequence: Bool, username: String?, password: String?) -> [(Int, String)] {
        var fields: [(Int, String)] = [(FIXTag.encryptMethod, "0"), (FIXTag.heartBtInt, String(heartbeatSeconds))]
        if resetSequence && FIXVersion.hasResetSeqNumFlag(beginString) { fields.append((FIXTag.resetSeqNumFlag, "Y")) }
        if FIXVersion.hasUsernamePassword(beginString) {
            if let username { fields.append((FIXTag.username, username)) }
            if let password { fields.append((FIXTag.password, password)) }
        }
        if FIXVersion.isFIXT(beginString) { fields.append((FIXTag.defaultApplVerID, defaultApplVerID)) }
        return fields
    }

    /// Initiator: the Logon (EncryptMethod 0, HeartBtInt; ResetSeqNumFlag on a reconnect; Username and
    /// Password when given). Starts the session's numbering at 1.
    public mutating func logon(heartbeatSeconds: Int, resetSequence: Bool = false, username: String? = nil, password: String? = nil,
                               into out: inout [UInt8]) {
        nextOutgoing = 1
        write(FIXMessageType.logon, logonFields(heartbeatSeconds: heartbeatSeconds, resetSequence: resetSequence, username: username,
                                                password: password), into: &out)
        state = .logonSent
    }

    /// Acceptor: answers the pending Logon with a Logon (HeartBtInt as asked, or 30 s).
    public mutating func acceptLogon(heartbeatSeconds: Int? = nil, into out: inout [UInt8]) {
        write(FIXMessageType.logon, logonFields(heartbeatSeconds: heartbeatSeconds ?? 30, resetSequence: false, username: nil, password: nil),
              into: &out)
        state = .loggedOn
    }

    /// Acceptor: refuses the pending Logon with a Logout carrying `reason`.
    public mutating func refuseLogon(reason: String, into out: inout [UInt8]) {
        write(FIXMessageType.logout, [(FIXTag.text, reason)], into: &out)
        state = .loggedOut
    }

    /// Our Logout; the session waits for theirs.
    public mutating func logout(text: String? = nil, into out: inout [UInt8]) {
        write(FIXMessageType.logout, text.map { [(FIXTag.text, $0)] } ?? [], into: &out)
        state = .logoutSent
    }

    /// Handles one incoming message: updates the state, writes what the session layer owes into `out`,
    /// and says what it meant.
    public mutating func receive(_ m: FIXMessage, into out: inout [UInt8]) -> Event {
        guard let type = m.messageType else { return .malformed }
        func text(_ tag: Int) -> String? { m.value(tag).map(FIXMessage.string) }
        switch type {
        case FIXMessageType.logon:
            switch role {
            case .initiator:
                state = .loggedOn
                return .loggedOn
            case .acceptor:
                // Their CompIDs, swapped, are ours from now on; their BeginString too.
                if let theirs = text(FIXTag.senderCompID) { targetCompID = theirs }
                if let ours = text(FIXTag.targetCompID), !ours.isEmpty { senderCompID = ours }
                if let begin = m.beginString { beginString = begin }
                nextOutgoing = 1
                state = .logonReceived
                return .logonRequested(heartbeatSeconds: text(FIXTag.heartBtInt).flatMap(Int.init))
            }
        case FIXMessageType.logout:
            let reason = text(FIXTag.text)
            defer { state = .loggedOut }
            if role == .initiator && state == .logonSent { return .logonRefused(reason: reason) }
            if state == .loggedOn { write(FIXMessageType.logout, [], into: &out) }
            return .loggedOut(reason: reason)
        default:
            break
        }
        if role == .acceptor && state != .loggedOn { return .beforeLogon(type: type) }
        switch type {
        case FIXMessageType.heartbeat:
            return .heartbeat
        case FIXMessageType.testRequest:
            write(FIXMessageType.heartbeat, [(FIXTag.testReqID, text(FIXTag.testReqID) ?? "")], into: &out)
            return .testRequest
        case FIXMessageType.resendRequest:
            let from = text(FIXTag.beginSeqNo).flatMap(Int.init) ?? 1
            writeGapFill(from: from, into: &out)
            return .resendRequest(from: from)
        case FIXMessageType.reject:
            return .sessionReject(refSeqNum: text(FIXTag.refSeqNum).flatMap(Int.init), reason: text(FIXTag.text))
        case FIXMessageType.sequenceReset:
            return .sequenceReset(gapFill: text(FIXTag.gapFillFlag) == "Y")
        default:
            return .application(type: type)
        }
    }

    /// A SequenceReset-GapFill (PossDupFlag Y) numbered `from`, moving the counterparty to our next MsgSeqNum.
    mutating func writeGapFill(from: Int, into out: inout [UInt8]) {
        var w = FIXWriter(beginString: beginString)
        w.add(FIXTag.msgType, FIXMessageType.sequenceReset)
        w.add(FIXTag.senderCompID, senderCompID)
        w.add(FIXTag.targetCompID, targetCompID)
        w.add(FIXTag.msgSeqNum, from)
        w.add(FIXTag.possDupFlag, "Y")
        w.add(FIXTag.sendingTime, sendingTime())
        w.add(FIXTag.gapFillFlag, "Y")
        w.add(FIXTag.newSeqNo, nextOutgoing)
        out += w.message()
    }
}

import Vocabulary

/// The FIX tags Rehearse reads and writes, by name (FIX 4.2–4.4 and FIXT 1.1 numbering).
public enum FIXTag {
    public static let beginSeqNo = 7
    public static let beginString = 8
    public static let bodyLength = 9
    public static let checkSum = 10
    public static let clOrdID = 11
    public static let endSeqNo = 16
    public static let execID = 17
    public static let lastPx = 31
    public static let lastQty = 32
    public static let msgSeqNum = 34
    public static let msgType = 35
    public static let newSeqNo = 36
    public static let orderID = 37
    public static let orderQty = 38
    public static let ordStatus = 39
    public static let origClOrdID = 41
    public static let possDupFlag = 43
    public static let price = 44
    public static let refSeqNum = 45
    public static let senderCompID = 49
    public static let sendingTime = 52
    public static let side = 54
    public static let symbol = 55
    public static let targetCompID = 56
    public static let text = 58
    public static let possResend = 97
    public static let encryptMethod = 98
    public static let cxlRejReason = 102
    public static let ordRejReason = 103
    public static let heartBtInt = 108
    public static let testReqID = 112
    public static let origSendingTime = 122
    public static let gapFillFlag = 123
    public static let resetSeqNumFlag = 141
    public static let execType = 150
    public static let refMsgType = 372
    public static let sessionRejectReason = 373
    public static let cxlRejResponseTo = 434
    public static let username = 553
    public static let password = 554
    public static let defaultApplVerID = 1137

    /// Header fields a replay rewrites or drops from a captured request (the session sets its own).
    public static let sessionHeader: Set<Int> = [beginString, bodyLength, checkSum, msgType, msgSeqNum, senderCompID, targetCompID,
                                                 sendingTime, origSendingTime, possDupFlag, possResend]
}

/// FIX message types (tag 35) Rehearse handles.
public enum FIXMessageType {
    // Session level.
    public static let heartbeat = "0"
    public static let testRequest = "1"
    public static let resendRequest = "2"
    public static let reject = "3"
    public static let sequenceReset = "4"
    public static let logout = "5"
    public static let logon = "A"
    // Application level.
    public static let executionReport = "8"
    public static let orderCancelReject = "9"
    public static let businessMessageReject = "j"
    public static let newOrderSingle = "D"
    public static let orderCancelRequest = "F"
    public static let orderCancelReplaceRequest = "G"

    /// The session-level types (answered by ``FIXSession``, never passed to the application).
    public static let session: Set<String> = [heartbeat, testRequest, resendRequest, reject, sequenceReset, logout, logon]
}

/// FIX UTCTimestamp text, `YYYYMMDD-HH:MM:SS.sss`.
public enum FIXTime {
    /// Now, on the realtime clock.
    public static func now() -> String { format(Clock.realtime()) }

    /// `ns` since 1970 as a UTCTimestamp with milliseconds.
    public static func format(_ ns: Int64) -> String {
        let iso = TimeFormat.iso8601(ns)   // 2026-01-05T01:15:00.123456789Z
        let c = Array(iso)
        return String(c[0..<4]) + String(c[5..<7]) + String(c[8..<10]) + "-" + String(c[11..<23])
    }
}

/// What each FIX version's standard header and Logon require and allow (FIX 4.0 to 4.4 and FIXT.1.1
/// specifications): the rules Rehearse writes by, whatever version a captured session speaks.
public enum FIXVersion {
    /// UTCTimestamp with milliseconds from FIX 4.2 on; FIX 4.0 and 4.1 define it to the second
    /// ("YYYYMMDD-HH:MM:SS"), so a fraction there is malformed.
    public static func sendingTimeHasMilliseconds(_ beginString: String) -> Bool {
        beginString != "FIX.4.0" && beginString != "FIX.4.1"
    }

    /// FIXT.1.1 (the FIX 5.0 transport): its Logon must carry DefaultApplVerID (1137).
    public static func isFIXT(_ beginString: String) -> Bool { beginString.hasPrefix("FIXT.") }

    /// ResetSeqNumFlag (141) exists from FIX 4.1 on.
    public static func hasResetSeqNumFlag(_ beginString: String) -> Bool { beginString != "FIX.4.0" }

    /// Username (553) and Password (554) exist from FIX 4.3 on (and in FIXT.1.1).
    public static func hasUsernamePassword(_ beginString: String) -> Bool {
        !["FIX.4.0", "FIX.4.1", "FIX.4.2"].contains(beginString)
    }

    /// SendingTime text for `ns` in this version's precision.
    public static func sendingTime(_ ns: Int64, _ beginString: String) -> String {
        let t = FIXTime.format(ns)
        return sendingTimeHasMilliseconds(beginString) ? t : String(t.prefix(17))
    }
}


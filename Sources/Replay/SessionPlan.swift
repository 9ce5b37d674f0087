import Vocabulary
import Capture
import OrderEntry

/// One captured client session to replay: its application messages in order, with capture times.
public struct PlannedSession: Sendable {
    public let client: Endpoint
    public let server: Endpoint
    /// CompIDs of the captured logon (49 and 56 of the client's first Logon), if captured.
    public let senderCompID: String?
    public let targetCompID: String?
    public let beginString: String
    /// Application messages (everything but Logon, Heartbeat, TestRequest, ResendRequest, Reject,
    /// SequenceReset and Logout), in stream order.
    public let messages: [CapturedFIXMessage]
    /// True when the capture does not hold the session's Logon (replayed from its first application message).
    public let halfCaptured: Bool
}

/// The client sessions of a gateway capture, found by TCP reassembly and FIX framing.
public struct SessionPlan: Sendable {
    public let path: String
    public private(set) var sessions: [PlannedSession]
    /// Capture time of the first application message of any session (the timeline's origin).
    public let firstTime: Int64
    /// Capture time of the last application message of any session (the timeline's end).
    public var lastTime: Int64 { wholeLastTime ?? (sessions.compactMap { $0.messages.last?.timestamp }.max() ?? firstTime) }
    private var wholeLastTime: Int64?
    /// Set by ``shard(_:)``: this plan holds that shard's sessions of `sessionsTotal`.
    public private(set) var shard: Shard?
    public private(set) var sessionsTotal = 0
    public let framingErrors: UInt64
    public let errors: [(connection: Int, direction: TCPDirection, error: FIXStreamError)]
    public let gapBytes: UInt64

    static let sessionTypes: Set<String> = ["A", "0", "1", "2", "3", "4", "5"]

    public init(path: String, filter: String? = nil) throws(CaptureError) {
        let scan = try FIXCaptureScan(path: path, filter: filter)
        var sessions: [PlannedSession] = []
        for (c, connection) in scan.connections.enumerated() {
            let client = scan.messages.filter { $0.connection == c && $0.direction == .clientToServer }
            guard !client.isEmpty else { continue }
            let logon = client.first { $0.messageType == "A" }
            let fields = logon.map { m in
                m.bytes.withUnsafeBytes { raw -> (String?, String?, String?) in
                    let f = FIXMessage(unchecked: ByteView(unsafeStart: raw.baseAddress, count: raw.count))
                    return (f.value(49).map(FIXMessage.string), f.value(56).map(FIXMessage.string), f.beginString)
                }
            }
            let application = client.filter { !Self.sessionTypes.contains($0.messageType) }
            guard !application.isEmpty else { continue }
            let begin = fields?.2 ?? application[0].bytes.withUnsafeBytes { raw in
                FIXMessage(unchecked: ByteView(unsafeStart: raw.baseAddress, count: raw.count)).beginString ?? "FIX.4.4"
            }
            sessions.append(PlannedSession(client: connection.client, server: connection.server, senderCompID: fields?.0,
                                           targetCompID: fields?.1, beginString: begin, messages: application,
                                           halfCaptured: logon == nil))
        }
        self.path = path
        self.sessions = sessions
        firstTime = sessions.compactMap { $0.messages.first?.timestamp }.min() ?? 0
        framingErrors = scan.errorCount
        errors = scan.errors
        gapBytes = scan.bytesLostToGaps
        captureError = scan.captureError
    }

    /// The capture fault that ended reading early, if any: the sessions hold what came before it.
    public private(set) var captureError: CaptureError?

    public var messageCount: Int { sessions.reduce(0) { $0 + $1.messages.count } }

    /// The sessions of shard `s` (session k, in capture order, is shard k mod COUNT's), on the whole
    /// plan's timeline (its first and last message): COUNT hosts started together replay what one would.
    public func shard(_ s: Shard) -> SessionPlan {
        var p = self
        p.wholeLastTime = lastTime
        p.sessionsTotal = sessions.count
        p.sessions = sessions.enumerated().filter { s.owns($0.offset) }.map(\.element)
        p.shard = s
        return p
    }

    /// Sessions from a JSON Lines transaction log (`docs/formats/transaction-log.md`). Its malformed lines
    /// are in `logErrors`.
    public init(log: TransactionLog) {
        path = log.path
        sessions = log.sessions.map { name, messages in
            PlannedSession(client: Endpoint(address: .zero, port: 0), server: Endpoint(address: .zero, port: 0),
                           senderCompID: name, targetCompID: nil, beginString: "FIX.4.4",
                           messages: messages.sorted { $0.timestamp < $1.timestamp }, halfCaptured: false)
        }
        firstTime = sessions.compactMap { $0.messages.first?.timestamp }.min() ?? 0
        framingErrors = UInt64(log.errorCount)
        errors = []
        gapBytes = 0
        logErrors = log.errors
    }

    /// Malformed lines of a transaction log (empty for captures).
    public private(set) var logErrors: [TransactionLogError] = []
}

import Vocabulary

/// Results for one message type.
public struct MessageTypeResult: Codable, Sendable {
    public var messageType: String
    public var sent: UInt64 = 0
    /// Requests with at least one answer (sent = answered + timeouts + lostToDisconnects).
    public var answered: UInt64 = 0
    public var acks: UInt64 = 0
    public var fills: UInt64 = 0
    public var rejects: UInt64 = 0
    public var cancelRejects: UInt64 = 0
    public var timeouts: UInt64 = 0
    /// Requests lost with a dropped connection (never answered).
    public var lostToDisconnects: UInt64 = 0
    /// First response's receive time − the request's scheduled send time.
    public var latency: LatencySummary
    /// The same, whole: HdrHistogram V2 compressed in base64 (nil: none answered); merged exactly
    /// across shards.
    public var histogram: String?

    /// Memberwise.
    public init(
        messageType: String, sent: UInt64 = 0, answered: UInt64 = 0, acks: UInt64 = 0, fills: UInt64 = 0,
        rejects: UInt64 = 0, cancelRejects: UInt64 = 0, timeouts: UInt64 = 0, lostToDisconnects: UInt64 = 0,
        latency: LatencySummary
    ) {
        self.messageType = messageType
        self.sent = sent
        self.answered = answered
        self.acks = acks
        self.fills = fills
        self.rejects = rejects
        self.cancelRejects = cancelRejects
        self.timeouts = timeouts
        self.lostToDisconnects = lostToDisconnects
        self.latency = latency
    }
}

/// The outcome of a gateway replay (schema `rehearse.gateway/1`).
public struct SessionReplayResult: Codable, Sendable {
    public static let schemaVersion = "rehearse.gateway/1"
    public var schema = SessionReplayResult.schemaVersion
    public var capture: String
    public var target: String
    public var sessions: Int
    public var sessionsLoggedOn: Int
    public var halfCapturedSessions: Int
    public var logonRejections: [String]
    /// Sessions whose every Logon went unanswered within the logon timeout ("session N: …").
    public var logonTimeouts: [String]
    public var connectFailures: [String]
    public var disconnects: Int
    public var reconnects: Int
    public var requests: UInt64
    public var responses: UInt64
    public var wallNs: Int64
    public var requestsPerSecond: Double
    /// Actual send − scheduled send, per request.
    public var lateness: LatencySummary
    public var byType: [MessageTypeResult]
    /// First response − scheduled send over every request type, at HdrHistogram's percentile ticks.
    public var spectrum: PercentileSpectrum?
    /// The same, whole: HdrHistogram V2-compressed in base64 (docs/formats/histograms.md).
    public var histogram: String?
    /// Platform time over every type, whole, encoded the same way.
    public var platformHistogram: String?
    /// First response − the request's actual send (what the gateway itself took), over every type.
    public var platformTime: LatencySummary?
    /// Response time per equal slice of the schedule: the samples a baseline verdict judges.
    public var intervals: [IntervalSample]?
    /// The test host while the gateways were driven (hiccups, steal, kernel drops).
    public var host: HostHealth?
    public var rejectReasons: [String: UInt64]
    /// Session-layer events: ResendRequests answered with a gap fill, session-level Rejects.
    public var sessionEvents: [String: UInt64]
    public var captureFramingErrors: UInt64
    public var interrupted: Bool
    /// The sender's lateness, whole (HdrHistogram V2 compressed, base64; nil: nothing sent).
    public var latenessHistogram: String?
    /// `--start-at`: the agreed instant (ns since 1970) and how long after it the timeline began.
    public var startAtNs: Int64?
    public var startSkewNs: Int64?
    /// Set by `gateway --shard`: the shard and what the merge needs; absent from a whole or merged replay.
    public var shard: GatewayShardPart?

    /// Why sessions failed to start (refused, unanswered or unreachable), one line each: the
    /// gateway's fault, reported as a target error.
    public var sessionFailures: [String] { logonRejections + logonTimeouts + connectFailures }

    /// Memberwise.
    public init(
        capture: String, target: String, sessions: Int, sessionsLoggedOn: Int, halfCapturedSessions: Int,
        logonRejections: [String], logonTimeouts: [String], connectFailures: [String], disconnects: Int,
        reconnects: Int, requests: UInt64, responses: UInt64, wallNs: Int64, requestsPerSecond: Double,
        lateness: LatencySummary, byType: [MessageTypeResult], spectrum: PercentileSpectrum? = nil,
        platformTime: LatencySummary? = nil, intervals: [IntervalSample]? = nil, rejectReasons: [String: UInt64], sessionEvents: [String: UInt64], captureFramingErrors: UInt64,
        interrupted: Bool, histogram: String? = nil, platformHistogram: String? = nil
    ) {
        self.histogram = histogram
        self.platformHistogram = platformHistogram
        self.capture = capture
        self.target = target
        self.sessions = sessions
        self.sessionsLoggedOn = sessionsLoggedOn
        self.halfCapturedSessions = halfCapturedSessions
        self.logonRejections = logonRejections
        self.logonTimeouts = logonTimeouts
        self.connectFailures = connectFailures
        self.disconnects = disconnects
        self.reconnects = reconnects
        self.requests = requests
        self.responses = responses
        self.wallNs = wallNs
        self.requestsPerSecond = requestsPerSecond
        self.lateness = lateness
        self.byType = byType
        self.spectrum = spectrum
        self.platformTime = platformTime
        self.intervals = intervals
        self.rejectReasons = rejectReasons
        self.sessionEvents = sessionEvents
        self.captureFramingErrors = captureFramingErrors
        self.interrupted = interrupted
    }
}

#if canImport(Glibc)
import Glibc
#endif
import Vocabulary
import Capture
import CShims
import Histogram
import Measure
import Results
import OrderEntry
import Synchronization
import Transport

/// How a gateway replay runs.
public struct SessionReplayOptions: Sendable {
    /// Original timing scaled by this (2 = twice as fast); nil with `maximumInFlight` = as fast as the window allows.
    public var speed: Double? = 1
    /// Start the timeline at this instant (realtime ns, `--start-at`) instead of once the sessions
    /// are logged on, so that shards on several hosts start together.
    public var startAt: Int64?
    /// With `speed` nil: requests outstanding per session at most.
    public var maximumInFlight = 16
    /// CompIDs to log on with (default: the captured logon's).
    public var senderCompID: String?
    public var targetCompID: String?
    /// Username (553) and password (554) for the logon.
    public var username: String?
    public var password: String?
    /// A request without any answer after this long is a timeout (ns).
    public var responseTimeout: Int64 = 5_000_000_000
    /// Connection attempts per session (first connect and after a drop).
    public var connectAttempts = 3
    public var reconnectDelay: Int64 = 200_000_000
    /// How long a session waits for the answer to its Logon before the attempt counts as failed (ns).
    /// A failed attempt is retried, after `reconnectDelay`, while `connectAttempts` allow; so a gateway
    /// that accepts connections and never answers ends the replay within about
    /// `connectAttempts × (logonTimeout + reconnectDelay)`.
    public var logonTimeout: Int64 = 5_000_000_000
    public init() {}
}

/// Replays captured FIX client sessions against a gateway: per session a TCP connection, a Logon with
/// the configured CompIDs, the application messages at their deadlines (original timing × speed, on one
/// timeline across sessions) or as fast as a max-in-flight window allows, with MsgSeqNum, SendingTime,
/// CompIDs and ClOrdID (unique per run; OrigClOrdID follows) rewritten; TestRequests answered; a clean
/// Logout. Every answer is matched by ClOrdID to its request: latency from the scheduled send time.
/// `@unchecked Sendable`: all mutable run state lives in `run()`'s locals on one thread; other threads only call `stop()`, an atomic flag.
public final class SessionPlayer: @unchecked Sendable {
    public let plan: SessionPlan
    public let target: Endpoint
    public let options: SessionReplayOptions
    let stopFlag = Atomic<Bool>(false)
    /// Requests handed to the gateway so far (relaxed: for progress lines).
    let sentRequests = Atomic<UInt64>(0)

    /// Requests sent so far (any thread).
    public var requestsSent: UInt64 { sentRequests.load(ordering: .relaxed) }
    let runID: String

    public init(plan: SessionPlan, target: Endpoint, options: SessionReplayOptions, runID: String? = nil) {
        self.plan = plan
        self.target = target
        self.options = options
        self.runID = runID ?? String(UInt64(Clock.realtime()) % 100_000_000, radix: 36).uppercased()
    }

    public func stop() { stopFlag.store(true, ordering: .relaxed) }

    /// Replays every session (blocks the calling thread until done or stopped).
    public func run() -> SessionReplayResult {
        var run = SessionRun(player: self)
        return run.execute()
    }
}

import Engines
import Foundation
import Measure
import Scenario
import Synchronization
import Transport
import Vocabulary

/// How a watch ended: the final snapshot, the alerts it raised, and its exit status.
public struct WatchOutcome: Sendable {
    public var final: WatchSnapshot
    /// Alerts raised by the final snapshot (conditions still open at the end).
    public var finalAlerts: [WatchAlert]
    /// Error-level alerts over the whole watch.
    public var errorAlerts: Int
    public var status: ExitStatus
    /// Why the watch is inconclusive (intervals this host was too unhealthy to judge), when it is.
    public var inconclusive: String?
}

/// A standby-feed watch for days: the live comparison (``FeedWatcher``) on its own thread, interval
/// snapshots with their alerts handed to the caller, Prometheus text served when asked, and the
/// verdict at the end. Blocks its caller; ``stop()`` (any thread) ends it with the final report.
public final class WatchSession: Sendable {
    public let options: WatchOptions
    let watcher: FeedWatcher
    let server: MetricsHTTPServer?
    let lagLimit: Int64?
    let measureHost: Bool
    let hiccupShare: Double
    /// The latest interval snapshot with the host's figures, as served to Prometheus.
    let published = Published()

    /// The latest snapshot, shared with the metrics endpoint's thread.
    final class Published: Sendable {
        let snapshot = Mutex<WatchSnapshot?>(nil)
    }

    /// Opens the sockets or the capture and, with `metrics`, the metrics endpoint. Failures name the
    /// endpoint or interface (configuration errors unless the far end is at fault). With `measureHost`
    /// a ``HiccupMeter`` runs for the whole watch and every interval carries the host's health; with a
    /// `lagLimit` too, an interval whose hiccup p99.9 exceeds `hiccupShare` of it is not judged.
    public init(options: WatchOptions, metrics: Endpoint? = nil, lagLimit: Int64? = nil, measureHost: Bool = true,
                hiccupShare: Double = ValiditySettings().hiccups) throws(RehearseError) {
        self.options = options
        self.lagLimit = lagLimit
        self.measureHost = measureHost
        self.hiccupShare = hiccupShare
        let watcher: FeedWatcher
        do { watcher = try FeedWatcher(options: options) } catch { throw RehearseError(error) }
        self.watcher = watcher
        if let metrics {
            do {
                server = try MetricsHTTPServer(endpoint: metrics) { [published, watcher] path in
                    guard path == "/metrics" || path == "/" else { return nil }
                    // The counters as of the last second; the host's health as of the last interval.
                    guard var now = watcher.live else { return WatchSnapshot.notStarted }
                    if let last = published.snapshot.withLock({ $0 }) { now.interval = last.interval }
                    return now.prometheus()
                }
            } catch { throw RehearseError(.usage, "metrics endpoint \(metrics): \(error.description)") }
        } else {
            server = nil
        }
    }

    /// The port the metrics are served on, when asked for.
    public var metricsPort: UInt16? { server?.port }

    public func stop() { watcher.stop() }

    /// Watches until the duration ends or ``stop()``. `interval` gets every interval snapshot with the
    /// alerts it raised, on the calling thread.
    public func execute(interval: (WatchSnapshot, [WatchAlert]) -> Void = { _, _ in }) -> WatchOutcome {
        defer { server?.stop() }
        let meter = measureHost ? HiccupMeter() : nil
        let finished = Mutex<WatchSnapshot?>(nil)
        let thread = PinnedThread.start(name: "rehearse-watch") { [watcher] in
            let s = watcher.run()
            finished.withLock { $0 = s }
        }
        var alerts = WatchAlerts(lagLimit: lagLimit)
        var seen = 0
        var errorAlerts = 0
        var judged = 0, inconclusive = 0
        while finished.withLock({ $0 == nil }) {
            Clock.sleep(untilMonotonic: Clock.monotonic() + 100_000_000)
            let (count, latest) = watcher.latest
            guard count != seen, var snapshot = latest, snapshot.stoppedBy == nil else { continue }
            seen = count
            if let meter {
                let host = meter.sample()
                snapshot.interval.host = host
                if let lagLimit {
                    let v = Validity(senderLatenessP99: nil, hiccupP999: host.hiccups.count > 0 ? host.hiccups.p999 : nil,
                                     referenceNs: UInt64(max(0, lagLimit)), reference: "--max-lag \(TimeFormat.duration(lagLimit))",
                                     senderLatenessShare: 0, hiccupShare: hiccupShare)
                    snapshot.interval.validity = v
                    if v.valid { judged += 1 } else { inconclusive += 1 }
                }
            }
            published.snapshot.withLock { $0 = snapshot }
            let raised = alerts.evaluate(snapshot)
            errorAlerts += raised.filter { $0.level == .error }.count
            interval(snapshot, raised)
        }
        thread.join()
        var final = finished.withLock { $0! }
        final.host = meter?.stop()
        if meter != nil && lagLimit != nil {
            final.intervalsJudged = judged
            final.intervalsInconclusive = inconclusive
        }
        let open = alerts.evaluate(final).filter { !$0.cleared && $0.kind != .hostUnhealthy }
        errorAlerts += open.filter { $0.level == .error }.count
        let why = inconclusive == 0 ? nil
            : "\(inconclusive) of \(judged + inconclusive) intervals were not judged: this host stalled for more than "
              + "\(TimeFormat.format(hiccupShare * 100, 0)) % of --max-lag (hiccup p99.9); their lag is neither a pass nor a standby failure"
        return WatchOutcome(final: final, finalAlerts: open, errorAlerts: errorAlerts,
                            status: Self.status(final, errorAlerts: errorAlerts, inconclusiveIntervals: inconclusive), inconclusive: why)
    }

    /// A receive error during the watch is a target error (what was gathered is reported); a standby
    /// that missed or garbled messages, stopped or never started, or any error alert, fails; intervals
    /// this host was too unhealthy to judge make an otherwise clean watch inconclusive; else success.
    public static func status(_ final: WatchSnapshot, errorAlerts: Int, inconclusiveIntervals: Int = 0) -> ExitStatus {
        if final.error != nil { return .target }
        let bad = final.channels.contains { $0.missingOnStandby > 0 || $0.mismatches > 0 || $0.standby.stalled || !$0.standby.started }
        if bad || errorAlerts > 0 { return .limitFailed }
        return inconclusiveIntervals > 0 ? .inconclusive : .success
    }
}

/// What a watch does with an alert: a log line for standard error, and the user's `--alert-command`
/// run through `/bin/sh` with REHEARSE_ALERT_LEVEL, _KIND, _CHANNEL and _MESSAGE in its environment
/// (not for a cleared condition, which is only logged).
public struct AlertDelivery: Sendable {
    public let command: String?

    public init(command: String?) { self.command = command }

    /// The log line: time, level, `rehearse.watch`, kind and message.
    public static func logLine(_ a: WatchAlert, at time: Int64 = Clock.realtime()) -> String {
        "\(TimeFormat.iso8601(time)) \(a.level.rawValue) rehearse.watch \(a.kind.rawValue): \(a.message)"
    }

    /// Runs the command for `a` (without waiting for it); returns why it could not start, if it could not.
    public func run(_ a: WatchAlert) -> String? {
        guard let command, !a.cleared else { return nil }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", command]
        var environment = ProcessInfo.processInfo.environment
        environment["REHEARSE_ALERT_LEVEL"] = a.level.rawValue
        environment["REHEARSE_ALERT_KIND"] = a.kind.rawValue
        environment["REHEARSE_ALERT_CHANNEL"] = a.channel.map(String.init) ?? ""
        environment["REHEARSE_ALERT_MESSAGE"] = a.message
        p.environment = environment
        do { try p.run() } catch { return "the alert command could not run: \(error)" }
        return nil
    }
}

import Vocabulary
/// An alert raised (or cleared) by ``WatchAlerts``.
public struct WatchAlert: Sendable, Equatable {
    public enum Level: String, Sendable { case warning, error, info }
    public enum Kind: String, Sendable {
        /// The standby's lag p99 over the interval is beyond the limit.
        case standbyLag
        /// The standby missed messages the primary delivered.
        case standbyMissing
        /// The standby sent nothing for longer than the stall limit (or never started).
        case standbyStopped
        /// The primary sent nothing for longer than the stall limit.
        case primaryStopped
        /// Datagrams were dropped inside this host before Rehearse read them.
        case receiveDrops
        /// This host stalled for too large a share of the lag limit: the interval's lag is not judged.
        case hostUnhealthy
    }
    public var level: Level
    public var kind: Kind
    public var channel: Int?
    public var message: String
    /// True when the condition ended (an info line, no command run).
    public var cleared: Bool
}

/// Raises alerts from successive watch snapshots: a standby lagging beyond a limit, missing messages,
/// stopping; a primary stopping; drops inside the host; an interval this host was too unhealthy to
/// judge (its lag is then not held against the standby). Conditions that last (lag, stops) alert once
/// when they start and once when they clear; missing messages and drops alert every interval they grow.
public struct WatchAlerts: Sendable {
    /// Interval lag p99 above this (ns) is a `standbyLag` warning; nil = no lag alerts.
    public var lagLimit: Int64?
    private var active: Set<String> = []

    public init(lagLimit: Int64?) { self.lagLimit = lagLimit }

    public mutating func evaluate(_ s: WatchSnapshot) -> [WatchAlert] {
        var out: [WatchAlert] = []
        func state(_ kind: WatchAlert.Kind, _ channel: Int?, _ on: Bool, _ level: WatchAlert.Level, _ message: @autoclosure () -> String,
                   cleared: @autoclosure () -> String) {
            let key = "\(kind.rawValue)/\(channel ?? -1)"
            if on && !active.contains(key) {
                active.insert(key)
                out.append(WatchAlert(level: level, kind: kind, channel: channel, message: message(), cleared: false))
            } else if !on && active.contains(key) {
                active.remove(key)
                out.append(WatchAlert(level: .info, kind: kind, channel: channel, message: cleared(), cleared: true))
            }
        }
        for c in s.channels {
            let standbyLabel = "channel \(c.channel) standby \(c.standby.endpoint)"
            state(.standbyStopped, c.channel, c.standby.stalled, .error,
                  c.standby.started ? "\(standbyLabel) stopped: nothing for \(TimeFormat.duration(c.standby.silentForNs))"
                                    : "\(standbyLabel) has not started after \(TimeFormat.duration(c.standby.silentForNs))",
                  cleared: "\(standbyLabel) is sending again")
            state(.primaryStopped, c.channel, c.primary.stalled, .warning,
                  "channel \(c.channel) primary \(c.primary.endpoint) " + (c.primary.started ? "stopped: nothing for " : "has not started after ")
                      + TimeFormat.duration(c.primary.silentForNs),
                  cleared: "channel \(c.channel) primary \(c.primary.endpoint) is sending again")
        }
        if s.interval.missingOnStandby > 0 {
            let per = s.channels.filter { $0.missingOnStandby > 0 }.map { "channel \($0.channel): \($0.missingOnStandby)" }
            out.append(WatchAlert(level: .error, kind: .standbyMissing, channel: nil,
                                  message: "standby missed \(s.interval.missingOnStandby) messages in the last \(TimeFormat.duration(s.interval.lengthNs)) (total \(per.joined(separator: ", ")))",
                                  cleared: false))
        }
        let unhealthy = s.interval.validity.map { !$0.valid } ?? false
        state(.hostUnhealthy, nil, unhealthy, .warning,
              "this host stalled: " + (s.interval.validity?.reasons.joined(separator: "; ") ?? "")
                  + " — the standby's lag over the last \(TimeFormat.duration(s.interval.lengthNs)) is not judged (inconclusive)",
              cleared: "this host is healthy again: the standby's lag is judged again")
        if let limit = lagLimit, !unhealthy {
            let lag = s.interval.lag
            let over = lag.count > 0 && lag.p99 > UInt64(limit)
            state(.standbyLag, nil, over, .warning,
                  "standby lag p99 \(TimeFormat.duration(Int64(lag.p99))) over the last \(TimeFormat.duration(s.interval.lengthNs)) is beyond \(TimeFormat.duration(limit)) (max \(TimeFormat.duration(Int64(lag.max))))",
                  cleared: "standby lag p99 back under \(TimeFormat.duration(limit)) (\(TimeFormat.duration(Int64(lag.p99))))")
        }
        if s.interval.receiveDrops > 0 {
            out.append(WatchAlert(level: .warning, kind: .receiveDrops, channel: nil,
                                  message: "\(s.interval.receiveDrops) datagrams dropped inside this host before Rehearse read them (receive buffer full): not feed gaps, but figures are incomplete",
                                  cleared: false))
        }
        return out
    }
}

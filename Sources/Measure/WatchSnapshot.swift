import Vocabulary
import Capture
import MarketData

/// One line of one channel in a ``WatchSnapshot``.
public struct WatchLine: Codable, Sendable, Equatable {
    public var endpoint: String
    public var packets: UInt64
    public var messages: UInt64
    /// Datagrams not compared: not valid packets of the line's feed protocol, or every datagram of a
    /// line whose protocol was not recognised (or cannot be compared: EOBI).
    public var garbage: UInt64
    public var gaps: UInt64
    public var missingMessages: UInt64
    public var duplicateMessages: UInt64
    public var resets: UInt64
    public var heartbeats: UInt64
    /// False until the line delivered its first packet.
    public var started: Bool
    /// Time since the line's last packet (since the start when it never started), ns.
    public var silentForNs: Int64
    /// Silent for longer than the stall limit.
    public var stalled: Bool
    public var events: LineEvents
    /// The line's feed protocol (`omd`, `moldudp64`, …; `unknown` when none was recognised over its
    /// first datagrams); absent while still deciding.
    public var feedProtocol: String?
    /// With `--recover`: what the retransmission service gave back of this line's gaps.
    public var recovery: WatchLineRecovery?
}

/// What the retransmission service gave back of one line's gaps (`watch --recover`): the line's
/// missing messages split into recovered (compared with the other line) and lost.
public struct WatchLineRecovery: Codable, Sendable, Equatable {
    public var recovered: UInt64
    /// Recovered and equal to the other line's message.
    public var equal: UInt64
    /// Recovered and different from the other line's message.
    public var differs: UInt64
    /// Recovered, with nothing on the other line to compare it to.
    public var notCompared: UInt64
    /// Covered by a refresh snapshot instead (resynchronised, not recovered; final snapshot only).
    public var refreshed: UInt64
    /// Missing on the line (its sequence gaps) and not recovered: lost to a feed handler on this line.
    public var lost: UInt64
}

/// One channel, primary against standby, in a ``WatchSnapshot``.
public struct WatchChannel: Codable, Sendable, Equatable {
    public var channel: Int
    public var onBoth: UInt64
    /// Declared missing: seen on the other line only for longer than the horizon.
    public var missingOnPrimary: UInt64
    public var missingOnStandby: UInt64
    /// Arrived after being declared missing.
    public var lateOnPrimary: UInt64
    public var lateOnStandby: UInt64
    public var mismatches: UInt64
    public var primaryFirst: UInt64
    public var standbyFirst: UInt64
    public var ties: UInt64
    public var longestOneSidedRun: UInt64
    /// |standby − primary| summed over the messages on both lines since the start, ns.
    public var lagSumNs: UInt64
    /// Messages on both lines per lag bucket since the start (bounds in ``WatchSnapshot/lagBucketsNs``;
    /// not cumulative; the last count is above every bound).
    public var lagBuckets: [UInt64]
    public var primary: WatchLine
    public var standby: WatchLine
}

/// Changes since the previous snapshot.
public struct WatchInterval: Codable, Sendable, Equatable {
    public var lengthNs: Int64
    public var onBoth: UInt64
    public var missingOnPrimary: UInt64
    public var missingOnStandby: UInt64
    public var mismatches: UInt64
    public var packets: UInt64
    public var receiveDrops: UInt64
    /// |standby − primary| per message matched in the interval.
    public var lag: LatencySummary
    /// The test host over the interval (hiccup meter, steal, kernel drops), when measured.
    public var host: HostHealth?
    /// Whether the interval's lag could be judged: the host's hiccups within a share of the lag limit
    /// (only with a lag limit). An invalid interval's lag is not held against the standby.
    public var validity: Validity?
}

/// Cumulative counters of the previous snapshot, for the interval figures.
public struct WatchCounters: Sendable {
    var onBoth: UInt64 = 0, missingOnPrimary: UInt64 = 0, missingOnStandby: UInt64 = 0, mismatches: UInt64 = 0
    var packets: UInt64 = 0, drops: UInt64 = 0, elapsed: Int64 = 0
    public init() {}
    init(onBoth: UInt64, missingOnPrimary: UInt64, missingOnStandby: UInt64, mismatches: UInt64, packets: UInt64, drops: UInt64,
         elapsed: Int64) {
        self.onBoth = onBoth
        self.missingOnPrimary = missingOnPrimary
        self.missingOnStandby = missingOnStandby
        self.mismatches = mismatches
        self.packets = packets
        self.drops = drops
        self.elapsed = elapsed
    }
}

/// The state of a watch (schema `rehearse.watch/1`): published every interval and at the end.
public struct WatchSnapshot: Codable, Sendable {
    public var schema = "rehearse.watch/1"
    public var time: TimePoint
    public var elapsedNs: Int64
    public var horizonNs: Int64
    public var window: Int
    public var stallLimitNs: Int64
    /// Upper bounds of the per-channel lag buckets (``WatchChannel/lagBuckets``), ns.
    public var lagBucketsNs = LagBuckets.boundsNs
    public var channels: [WatchChannel]
    /// |standby − primary| per message on both lines since the start (ns).
    public var lag: LatencySummary
    public var interval: WatchInterval
    /// Datagrams lost inside this host before Rehearse read them (socket or capture buffer full):
    /// Rehearse's own drops, never counted as feed gaps.
    public var receiveDrops: UInt64
    public var findings: [FeedFinding]
    /// Set on the final snapshot.
    public var stoppedBy: WatchStop?
    public var error: String?
    /// Messages not settled at the end (on one line only and younger than the horizon).
    public var outstanding: UInt64?
    /// The test host over the whole watch (final snapshot), when measured.
    public var host: HostHealth?
    /// Intervals whose lag was judged and intervals that were not (the host was unhealthy), when a lag
    /// limit was set.
    public var intervalsJudged: Int?
    public var intervalsInconclusive: Int?
    /// With `--recover`, on the final snapshot: each recovery client's report (one per service).
    public var recovery: [RecoveryReport]?

    /// The comparator's state now; channel i is `primary[i]` against `standby[i]`.
    package init(_ c: LiveComparator, primary: [Endpoint], standby: [Endpoint], elapsed: Int64, drops: [UInt64], previous: inout WatchCounters) {
        let now = Clock.realtime()
        let settings = c.settings
        func line(_ l: LiveLine, _ endpoint: Endpoint) -> WatchLine {
            var w = lineFigures(l, endpoint)
            if c.collectGaps {
                let r = l.recovery
                let resolved = r.recovered + r.refreshed
                w.recovery = WatchLineRecovery(recovered: r.recovered, equal: r.equal, differs: r.differs, notCompared: r.notCompared,
                                               refreshed: r.refreshed, lost: w.missingMessages > resolved ? w.missingMessages - resolved : 0)
            }
            return w
        }
        func lineFigures(_ l: LiveLine, _ endpoint: Endpoint) -> WatchLine {
            let started = l.lastTime != .min
            let silent = started ? max(0, now - l.lastTime) : elapsed
            let decided = l.mode != 0
            let name = decided ? (l.feedProtocol?.rawValue ?? "unknown") : nil
            if let f = l.feed {
                let q = f.statistics
                return WatchLine(endpoint: endpoint.description, packets: l.packets, messages: f.messages, garbage: l.garbage, gaps: q.gaps,
                                 missingMessages: q.missingMessages, duplicateMessages: q.duplicateMessages, resets: f.sessionChanges,
                                 heartbeats: f.heartbeats, started: started, silentForNs: silent, stalled: silent > settings.stallLimit,
                                 events: l.events, feedProtocol: name)
            }
            let q = l.statistics.sequence.statistics
            return WatchLine(endpoint: endpoint.description, packets: l.packets, messages: q.messages, garbage: l.garbage, gaps: q.gaps,
                             missingMessages: q.missingMessages, duplicateMessages: q.duplicateMessages, resets: q.resets,
                             heartbeats: q.heartbeats, started: started, silentForNs: silent, stalled: silent > settings.stallLimit,
                             events: l.events, feedProtocol: name)
        }
        var channels: [WatchChannel] = []
        var findings: [FeedFinding] = []
        for (i, ch) in c.channels.enumerated() {
            let p = line(c.line(i, 0), primary[i]), s = line(c.line(i, 1), standby[i])
            channels.append(WatchChannel(channel: i, onBoth: ch.onBoth, missingOnPrimary: ch.missing.primary, missingOnStandby: ch.missing.standby,
                                         lateOnPrimary: ch.late.primary, lateOnStandby: ch.late.standby, mismatches: ch.mismatches,
                                         primaryFirst: ch.primaryFirst, standbyFirst: ch.standbyFirst, ties: ch.ties,
                                         longestOneSidedRun: ch.longestOneSidedRun, lagSumNs: ch.lagSumNs,
                                         lagBuckets: c.lagBuckets(channel: i), primary: p, standby: s))
            // A line silent now is an open silence for the findings.
            var ea = p.events, eb = s.events
            if p.stalled { ea.silence(endingAt: now, length: p.silentForNs, open: true) }
            if s.stalled { eb.silence(endingAt: now, length: s.silentForNs, open: true) }
            findings += FeedFindings.classify(channel: i, a: ea, b: eb, missingOnA: ch.missing.primary, missingOnB: ch.missing.standby,
                                              mismatches: ch.mismatches, firstMismatch: nil, lagByTenth: [], names: ("primary", "standby"))
            // With recovery: missed on the line but recovered from the retransmission service, or lost.
            for (name, l, other) in [("primary", p, "standby"), ("standby", s, "primary")] {
                guard let r = l.recovery, let k = findings.lastIndex(where: { $0.kind == .missing && $0.channel == i && $0.line == name }) else { continue }
                findings[k].detail += "; of the line's \(l.missingMessages) missing, \(r.recovered) recovered from the retransmission service "
                    + "(\(r.equal) equal to \(other), \(r.differs) different, \(r.notCompared) not compared)"
                    + (r.refreshed > 0 ? ", \(r.refreshed) covered by a refresh snapshot" : "") + " and \(r.lost) lost"
            }
        }
        let totalDrops = drops.reduce(0, +)
        let totals = WatchCounters(onBoth: channels.reduce(0) { $0 + $1.onBoth }, missingOnPrimary: channels.reduce(0) { $0 + $1.missingOnPrimary },
                                   missingOnStandby: channels.reduce(0) { $0 + $1.missingOnStandby },
                                   mismatches: channels.reduce(0) { $0 + $1.mismatches },
                                   packets: channels.reduce(0) { $0 + $1.primary.packets + $1.standby.packets }, drops: totalDrops, elapsed: elapsed)
        interval = WatchInterval(lengthNs: elapsed - previous.elapsed, onBoth: totals.onBoth &- previous.onBoth,
                                 missingOnPrimary: totals.missingOnPrimary &- previous.missingOnPrimary,
                                 missingOnStandby: totals.missingOnStandby &- previous.missingOnStandby,
                                 mismatches: totals.mismatches &- previous.mismatches, packets: totals.packets &- previous.packets,
                                 receiveDrops: totalDrops &- previous.drops, lag: LatencySummary(c.intervalLag))
        previous = totals
        time = TimePoint(now)
        elapsedNs = elapsed
        horizonNs = settings.horizon
        window = settings.window
        stallLimitNs = settings.stallLimit
        self.channels = channels
        lag = LatencySummary(c.lag)
        receiveDrops = totalDrops
        self.findings = findings
    }

    /// The figures as Prometheus text exposition (version 0.0.4): counters since the start per channel
    /// and line, the lag per channel as a histogram in seconds (`_bucket`, `_sum`, `_count`; take
    /// `histogram_quantile` of its `rate` for the lag over any window), and the host's health over the
    /// last interval.
    public func prometheus() -> String {
        var out = ""
        func metric(_ name: String, _ type: String, _ help: String, _ samples: [(String, String)]) {
            out += "# HELP rehearse_watch_\(name) \(help)\n# TYPE rehearse_watch_\(name) \(type)\n"
            for (labels, value) in samples { out += "rehearse_watch_\(name)\(labels.isEmpty ? "" : "{\(labels)}") \(value)\n" }
        }
        func perChannel(_ f: (WatchChannel) -> UInt64) -> [(String, String)] { channels.map { ("channel=\"\($0.channel)\"", "\(f($0))") } }
        func perLine(_ f: (WatchLine) -> String) -> [(String, String)] {
            channels.flatMap { c in
                [("channel=\"\(c.channel)\",line=\"primary\"", f(c.primary)), ("channel=\"\(c.channel)\",line=\"standby\"", f(c.standby))]
            }
        }
        func bothLines(_ primary: (WatchChannel) -> UInt64, _ standby: (WatchChannel) -> UInt64) -> [(String, String)] {
            channels.flatMap { c in [("channel=\"\(c.channel)\",line=\"primary\"", "\(primary(c))"),
                                     ("channel=\"\(c.channel)\",line=\"standby\"", "\(standby(c))")] }
        }
        metric("uptime_seconds", "gauge", "Seconds since the watch started.", [("", seconds(elapsedNs))])
        metric("messages_on_both_total", "counter", "Messages delivered by both lines.", perChannel(\.onBoth))
        metric("missing_total", "counter", "Messages one line delivered and the other did not within the horizon.",
               bothLines(\.missingOnPrimary, \.missingOnStandby))
        metric("late_total", "counter", "Messages that arrived after being declared missing.", bothLines(\.lateOnPrimary, \.lateOnStandby))
        metric("mismatches_total", "counter", "Messages whose bytes differ between the lines.", perChannel(\.mismatches))
        metric("first_total", "counter", "Messages each line delivered first.", bothLines(\.primaryFirst, \.standbyFirst))
        metric("line_packets_total", "counter", "Datagrams received per line.", perLine { "\($0.packets)" })
        metric("line_garbage_total", "counter", "Datagrams not compared: not valid packets of the line's feed protocol, or of a line whose protocol was not recognised.", perLine { "\($0.garbage)" })
        metric("line_gaps_total", "counter", "Sequence gaps per line.", perLine { "\($0.gaps)" })
        metric("line_missing_messages_total", "counter", "Messages skipped in gaps and never received.", perLine { "\($0.missingMessages)" })
        metric("line_duplicate_messages_total", "counter", "Messages received again.", perLine { "\($0.duplicateMessages)" })
        metric("line_resets_total", "counter", "Sequence Resets.", perLine { "\($0.resets)" })
        metric("line_started", "gauge", "1 once the line has delivered a packet.", perLine { $0.started ? "1" : "0" })
        metric("line_silent_seconds", "gauge", "Seconds since the line's last packet (since the start when it never started).",
               perLine { seconds($0.silentForNs) })
        metric("line_stalled", "gauge", "1 when the line has been silent longer than the stall limit.", perLine { $0.stalled ? "1" : "0" })
        var lag: [(String, String)] = []
        let bounds = lagBucketsNs.map { TimeFormat.format(Double($0) / 1e9, 9) }
        for c in channels {
            var cumulative: UInt64 = 0
            for (b, bound) in bounds.enumerated() {
                cumulative += b < c.lagBuckets.count ? c.lagBuckets[b] : 0
                lag.append(("channel=\"\(c.channel)\",le=\"\(bound)\"", "\(cumulative)"))
            }
            lag.append(("channel=\"\(c.channel)\",le=\"+Inf\"", "\(c.onBoth)"))
        }
        out += "# HELP rehearse_watch_lag_seconds How far the later line trailed the earlier, per message on both lines.\n"
        out += "# TYPE rehearse_watch_lag_seconds histogram\n"
        for (labels, value) in lag { out += "rehearse_watch_lag_seconds_bucket{\(labels)} \(value)\n" }
        for c in channels {
            out += "rehearse_watch_lag_seconds_sum{channel=\"\(c.channel)\"} \(seconds(Int64(clamping: c.lagSumNs)))\n"
            out += "rehearse_watch_lag_seconds_count{channel=\"\(c.channel)\"} \(c.onBoth)\n"
        }
        if let h = interval.host, h.hiccups.count > 0 {
            metric("host_hiccup_p999_seconds", "gauge", "How late this host's threads woke over the last interval, 99.9th percentile (hiccup meter).",
                   [("", seconds(Int64(h.hiccups.p999)))])
            metric("host_hiccup_max_seconds", "gauge", "How late this host's threads woke over the last interval, at most (hiccup meter).",
                   [("", seconds(Int64(h.hiccups.max)))])
        }
        if let v = interval.validity {
            metric("interval_valid", "gauge", "1 when the last interval's lag could be judged (the host was healthy enough), else 0.",
                   [("", v.valid ? "1" : "0")])
        }
        metric("receive_drops_total", "counter", "Datagrams dropped inside this host before Rehearse read them (not feed gaps).",
               [("", "\(receiveDrops)")])
        return out
    }

    /// Served in the instant between opening the metrics endpoint and the watch's first figures.
    public static let notStarted = "# HELP rehearse_watch_uptime_seconds Seconds since the watch started.\n"
        + "# TYPE rehearse_watch_uptime_seconds gauge\nrehearse_watch_uptime_seconds 0\n"

    private func seconds(_ ns: Int64) -> String { TimeFormat.format(Double(ns) / 1e9, 9) }
}

/// Why a watch ended.
public enum WatchStop: String, Codable, Sendable {
    case duration, interrupted, error
}

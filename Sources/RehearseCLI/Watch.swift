import ArgumentParser
import Orchestration
import Vocabulary
import Capture
import Foundation
import MarketData
import Engines
import Measure
import Transport

/// `rehearse watch --primary … --standby …`: primary against standby, live, for days.
struct Watch: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compare a primary and a standby feed live, message by message: missing messages, lag, stops, failovers; Prometheus metrics and alerts.",
        discussion: """
        Channel i is the i-th --primary endpoint against the i-th --standby endpoint. Reads with UDP sockets \
        (multicast groups joined on --interface), or with --capture a libpcap live capture on --interface \
        (the filter selects the endpoints; --filter narrows it further). Memory stays flat: per channel a \
        window of --window outstanding sequence numbers; a message seen on one line only for longer than \
        --horizon is declared missing on the other. Prints a line every --interval and the full report on \
        Ctrl-C/SIGTERM or at the end of --duration. Alerts (a log line on standard error, and --alert-command \
        run with REHEARSE_ALERT_LEVEL, _KIND, _CHANNEL and _MESSAGE in its environment): the standby lags \
        beyond --max-lag, misses messages, or stops; the primary stops; datagrams dropped inside this host; \
        this host stalls. A hiccup meter (a thread per CPU waking every 1 ms) measures this host every \
        interval; with --max-lag, an interval whose hiccup p99.9 is over 10 % of it is not judged. \
        Exit codes: 0 watched, nothing wrong · 1 the standby missed or garbled messages or stopped · 2 bad \
        options, an address that cannot be bound or joined, a capture interface that does not exist or \
        cannot be opened · 4 a receive error during the watch (what was gathered is reported) · 5 \
        inconclusive: nothing wrong was seen, but this host was too unhealthy to judge some intervals' lag.
        """)

    @Option(help: "Primary feed endpoints, one per channel: HOST:PORT[,…], HOST:FIRST-LAST (ports step) or A.B.C.D-E:FIRST-LAST (group and port step together, as synth numbers channels: 239.1.1.1-4:51001-51004).")
    var primary: String
    @Option(help: "Standby feed endpoints, as many as --primary.")
    var standby: String
    @Option(help: "Interface to read on: IPv4 address or name (multicast groups are joined on it; with --capture, its name).")
    var interface: String?
    @Option(help: "Source address for source-specific multicast joins.")
    var source: String?
    @Flag(help: "Read with a libpcap live capture on --interface instead of sockets (e.g. --interface eth0 --capture).")
    var capture = false
    /// The old spelling of `--interface NAME --capture`, kept for scripts written against it.
    @Option(help: .hidden)
    var captureInterface: String?
    @Option(help: "Extra BPF expression ANDed with the endpoint filter (--capture only).")
    var filter: String?
    @Option(help: "Print a line this often.")
    var interval = "10s"
    @Option(help: "A message seen on one line only for this long is missing on the other.")
    var horizon = "2s"
    @Option(help: "Outstanding sequence numbers kept per channel (rounded up to a power of two).")
    var window = 131_072
    @Option(help: "A line silent this long is stalled (twice the 2 s OMD heartbeat interval).")
    var stall = "4s"
    @Option(help: "Stop after this long (default: until Ctrl-C or SIGTERM).")
    var duration: String?
    @Option(help: "Warn when the standby's lag p99 over an interval exceeds this (e.g. 5ms).")
    var maxLag: String?
    @Option(help: "Run this shell command on each alert.")
    var alertCommand: String?
    @Option(help: "Serve the current figures as Prometheus text on HOST:PORT (GET /metrics).")
    var metrics: String?
    @Option(name: .customLong("protocol"), help: "Read every line as this feed protocol instead of recognising it on its first datagrams: omd, moldudp64, iex-tp, cboe-pitch, nyse-xdp, cme-mdp3 or eurex-eobi.")
    var feedProtocol: String?
    @Option(help: "Recover every OMD gap of either line from the retransmission service: ADDRESS:PORT[,ADDRESS:PORT…] (primary first; failover in order). ChannelID = the channel's index, from 0. Each line's missing messages are then recovered (compared with the other line's) or lost.")
    var recover: String?
    @Option(help: "The standby's own retransmission service (another platform's), as --recover; without it, --recover serves both lines.")
    var recoverStandby: String?
    @OptionGroup var recovery: RecoverySettings
    @Option(help: "The Refresh Service of the primary's platform (of both lines without --recover-standby): channel i's snapshot cycles on ADDRESS:PORT+i. A gap the retransmission service cannot serve (or every gap without --recover) waits for a Refresh Complete synchronised past it.")
    var refresh: String?
    @Option(help: "The standby platform's own Refresh Service, as --refresh (with --recover-standby).")
    var refreshStandby: String?
    @Option(help: "Time a gap waits for a refresh snapshot covering it.")
    var refreshTimeout = "5s"
    @Flag(help: "Print the final report as JSON (schema rehearse.watch/1); interval lines go to standard error.")
    var json = false

    func run() throws {
        var options = WatchOptions()
        options.primary = try parseEndpoints(primary, option: "--primary")
        options.standby = try parseEndpoints(standby, option: "--standby")
        guard !options.primary.isEmpty, options.primary.count == options.standby.count else {
            throw RehearseError(.usage, "--primary and --standby need the same number of endpoints (\(options.primary.count) and \(options.standby.count))")
        }
        guard options.primary.count <= 32 else { throw RehearseError(.usage, "at most 32 channels") }
        let all = options.primary + options.standby
        if Set(all.map(\.description)).count != all.count { throw RehearseError(.usage, "an endpoint is given twice") }
        guard let intervalNs = try parseDurationOption(interval, "--interval"), intervalNs >= 100_000_000 else {
            throw RehearseError(.usage, "--interval must be at least 100ms")
        }
        guard let horizonNs = try parseDurationOption(horizon, "--horizon"), horizonNs > 0 else { throw RehearseError(.usage, "--horizon must be above 0") }
        guard let stallNs = try parseDurationOption(stall, "--stall"), stallNs > 0 else { throw RehearseError(.usage, "--stall must be above 0") }
        guard window >= 1024 && window <= 1 << 24 else { throw RehearseError(.usage, "--window must be 1024…16777216") }
        options.interval = intervalNs
        options.duration = try parseDurationOption(duration, "--duration")
        options.settings.feedProtocol = try feedProtocol.map { try parseFeedProtocol($0) }
        options.settings.horizon = horizonNs
        options.settings.stallLimit = stallNs
        var w = 1024
        while w < window { w <<= 1 }
        options.settings.window = w
        let lagLimit = try parseDurationOption(maxLag, "--max-lag")
        if recoverStandby != nil && recover == nil { throw RehearseError(.usage, "--recover-standby needs --recover (the primary's service)") }
        options.recovery = try recovery.options(recover, option: "--recover")
        options.standbyRecovery = try recovery.options(recoverStandby, option: "--recover-standby")
        if captureInterface != nil && interface != nil { throw RehearseError(.usage, "give --interface NAME --capture (--capture-interface is its old spelling), not both") }
        if capture || captureInterface != nil {
            guard let name = captureInterface ?? interface else { throw RehearseError(.usage, "--capture needs --interface NAME (e.g. eth0, lo)") }
            if source != nil { throw RehearseError(.usage, "--source is for socket joins, not --capture") }
            options.input = .capture(interface: name, filter: filter)
        } else {
            if filter != nil { throw RehearseError(.usage, "--filter needs --capture") }
            var r = ReceiverOptions()
            if let interface {
                let resolved = try resolveInterface(interface)
                r.multicastInterface = resolved.address
                r.multicastInterfaceIndex = resolved.index
            }
            if let source {
                guard let s = IPAddress(source) else { throw RehearseError(.usage, "--source \(source): not an address") }
                r.multicastSource = s
            }
            options.input = .sockets(r)
        }
        var joinOn = ReceiverOptions()
        if case .sockets(let r) = options.input { joinOn = r }
        options.recovery = try recovery.withRefresh(refresh, timeout: refreshTimeout, channels: options.primary.count, receiver: joinOn, options.recovery)
        if refreshStandby != nil && recoverStandby == nil { throw RehearseError(.usage, "--refresh-standby needs --recover-standby (the standby's own service)") }
        options.standbyRecovery = try recovery.withRefresh(refreshStandby, timeout: refreshTimeout, channels: options.primary.count, receiver: joinOn,
                                                           options.standbyRecovery)
        var metricsEndpoint: Endpoint?
        if let metrics {
            guard let e = Endpoint(metrics) else { throw RehearseError(.usage, "--metrics \(metrics): expected HOST:PORT") }
            metricsEndpoint = e
        }
        let session = try WatchSession(options: options, metrics: metricsEndpoint, lagLimit: lagLimit)
        let out = progressPrinter(json: json, unbuffered: true)
        let source = (capture || captureInterface != nil) ? "capture on \(captureInterface ?? interface ?? "")" : "sockets"
        out("watching \(options.primary.count) channel\(options.primary.count == 1 ? "" : "s"), primary " + options.primary.map(\.description).joined(separator: ",")
            + " against standby " + options.standby.map(\.description).joined(separator: ",") + " (\(source)"
            + (session.metricsPort.map { ", metrics on http://\(metricsEndpoint!.address):\($0)/metrics" } ?? "") + "; Ctrl-C for the report)")
        let delivery = AlertDelivery(command: alertCommand)
        let outcome = runInBackground({
            session.execute { snapshot, alerts in
                out(WatchText.intervalLine(snapshot))
                for a in alerts { Self.raise(a, delivery: delivery) }
            }
        }, interval: 100_000, onInterrupt: session.stop)
        for a in outcome.finalAlerts { Self.raise(a, delivery: delivery) }
        let final = outcome.final
        if json { print(try jsonText(final)) } else { print(WatchText.render(final)) }
        if let why = outcome.inconclusive, outcome.status == .inconclusive { printError("rehearse: inconclusive: \(why)") }
        if let e = final.error { throw RehearseError(.target, e) }
        if outcome.status != .success { throw ExitCode(outcome.status.rawValue) }
    }

    /// Logs an alert on standard error and runs the alert command (cleared conditions are logged only).
    static func raise(_ a: WatchAlert, delivery: AlertDelivery) {
        writeStandardError(AlertDelivery.logLine(a) + "\n")
        if let problem = delivery.run(a) { writeStandardError("rehearse: \(problem)\n") }
    }
}

enum WatchText {
    /// One line per interval: totals across channels.
    static func intervalLine(_ s: WatchSnapshot) -> String {
        let i = s.interval
        let stalled = s.channels.filter { $0.standby.stalled }.map { "\($0.channel)" }
        return "\(s.time.utc.prefix(19))Z  +\(Text.count(i.onBoth)) on both  missing standby +\(i.missingOnStandby) primary +\(i.missingOnPrimary)"
            + "  mismatched +\(i.mismatches)  lag p50 \(TimeFormat.duration(i.lag.p50)) p99 \(TimeFormat.duration(i.lag.p99)) max \(TimeFormat.duration(i.lag.max))"
            + (i.receiveDrops > 0 ? "  host drops +\(i.receiveDrops)" : "")
            + (stalled.isEmpty ? "" : "  standby stalled: ch " + stalled.joined(separator: ","))
            + (i.host.map { $0.hiccups.count > 0 ? "  host hiccups p99.9 \(TimeFormat.duration($0.hiccups.p999))" : "" } ?? "")
            + (i.validity.map { $0.valid ? "" : "  INCONCLUSIVE (lag not judged: this host stalled)" } ?? "")
    }

    static func render(_ s: WatchSnapshot) -> String {
        var out = "watched \(TimeFormat.duration(s.elapsedNs)) (stopped by \(s.stoppedBy?.rawValue ?? "-"))"
            + "; horizon \(TimeFormat.duration(s.horizonNs)), window \(s.window) per channel"
        var rows: [[String]] = []
        for c in s.channels {
            rows.append(["\(c.channel)", "\(c.primary.endpoint) / \(c.standby.endpoint)", Text.count(c.onBoth), Text.count(c.missingOnPrimary),
                         Text.count(c.missingOnStandby), Text.count(c.lateOnPrimary + c.lateOnStandby), Text.count(c.mismatches),
                         "\(c.primaryFirst) / \(c.standbyFirst)", c.longestOneSidedRun == 0 ? "-" : "\(c.longestOneSidedRun)"])
        }
        out += "\n" + Text.table(["ch", "primary / standby", "on both", "missing primary", "missing standby", "late", "mismatched",
                                  "primary first / standby first", "longest one-sided run"], rows, numeric: [2, 3, 4, 5, 6, 8])
        var lines: [[String]] = []
        for c in s.channels {
            for (name, l) in [("primary", c.primary), ("standby", c.standby)] {
                lines.append(["\(c.channel) \(name)", l.feedProtocol ?? "-", Text.count(l.packets), Text.count(l.messages), Text.count(l.gaps), Text.count(l.missingMessages),
                              Text.count(l.duplicateMessages), Text.count(l.resets), Text.count(l.garbage),
                              l.started ? TimeFormat.duration(l.silentForNs) + (l.stalled ? " STALLED" : "") : "never started"])
            }
        }
        out += "\n\nper line\n" + Text.table(["line", "protocol", "packets", "messages", "gaps", "missing", "dup msgs", "resets", "not compared", "silent for"],
                                            lines, numeric: Set(2...8))
        let all = s.channels.flatMap { [$0.primary, $0.standby] }
        let byPackets = Set(all.compactMap { $0.feedProtocol.flatMap(FeedProtocol.init(rawValue:)) }.filter(\.sequencesPackets).map(\.rawValue)).sorted()
        if !byPackets.isEmpty {
            out += "\n  (\(byPackets.joined(separator: ", ")) number packets: on both, missing and SeqNums count packets)"
        }
        if all.contains(where: { $0.feedProtocol == "unknown" }) {
            out += "\n  unknown: no feed protocol recognised consistently over the line's first datagrams — its datagrams are not compared"
        }
        if all.contains(where: { $0.feedProtocol == FeedProtocol.eurexEOBI.rawValue }) {
            out += "\n  eurex-eobi lines are not compared: each product is numbered apart within one stream, so (channel, SeqNum) names no message"
        }
        out += "\n\nlag (standby vs primary, per message on both): " + (s.lag.count == 0 ? "no common messages"
            : "p50 \(TimeFormat.duration(s.lag.p50)) p90 \(TimeFormat.duration(s.lag.p90)) p99 \(TimeFormat.duration(s.lag.p99)) p99.9 \(TimeFormat.duration(s.lag.p999)) max \(TimeFormat.duration(s.lag.max))")
        out += "\ndropped inside this host before Rehearse read them: \(Text.count(s.receiveDrops)) (not feed gaps)"
        if let o = s.outstanding { out += "\nstill open at the end (younger than the horizon, one line only): \(Text.count(o))" }
        if let h = s.host { out += "\n" + h.line }
        if let judged = s.intervalsJudged, let not = s.intervalsInconclusive {
            out += "\nintervals: \(judged) judged against --max-lag, \(not) not judged (this host stalled)"
        }
        if s.channels.contains(where: { $0.primary.recovery != nil }) {
            var rows: [[String]] = []
            for c in s.channels {
                for (name, l) in [("primary", c.primary), ("standby", c.standby)] {
                    guard let r = l.recovery else { continue }
                    rows.append(["\(c.channel) \(name)", Text.count(l.missingMessages), Text.count(r.recovered), Text.count(r.equal),
                                 Text.count(r.differs), Text.count(r.notCompared), Text.count(r.refreshed), Text.count(r.lost)])
                }
            }
            out += "\n\nrecovery per line (missing on the line: recovered from the retransmission service, or lost)\n"
                + Text.table(["line", "missing", "recovered", "equal to other line", "differs", "not compared", "covered by refresh", "lost"],
                             rows, numeric: Set(1...7))
            for report in s.recovery ?? [] { out += "\n" + RecoveryText.render(report) }
        }
        out += "\n\n" + CompareText.findings(s.findings)
        if let e = s.error { out += "\nerror: \(e)" }
        return out
    }
}

import ArgumentParser
import Orchestration
import Foundation
import MarketData
import Vocabulary
import Engines
import Measure

/// `rehearse compare A [B]`: two feeds message by message, offline.
struct Compare: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compare two feeds message by message by (channel, SeqNum): lines A and B, primary and standby, old and new platform.",
        discussion: """
        Two captures, or one capture with both lines picked by --a and --b (BPF expressions, e.g. \
        'dst net 239.1.1.0/24'). Channel i is the i-th OMD stream of each side in destination order. Per \
        channel: messages on both sides, missing on each side, payload mismatches, which side was first and \
        by how much (lag percentiles), the longest one-sided run; per line: gaps, duplicates, resets, \
        heartbeats, stalls (silences longer than --stall), Disaster Recovery signals. \
        Exit codes: 0 compared, B has everything A has · 1 B missed more of A's messages than --max-missing, \
        or a message's bytes differ (as watch fails for the same standby) · 2 bad options · 3 a capture could \
        not be read, or a side holds no OMD stream (what was read is reported). A truncated last record is a \
        warning; the packets before it are compared.
        """)

    @Argument(help: "Side A capture (and side B when one file holds both lines), or a directory of captures read as one timeline in the order of their first packets (a day rotated hourly).")
    var first: String
    @Argument(help: "Side B capture or directory (omit with --a/--b on one capture).")
    var second: String?
    @Option(name: .customLong("a"), help: "BPF expression selecting side A's packets.")
    var filterA: String?
    @Option(name: .customLong("b"), help: "BPF expression selecting side B's packets.")
    var filterB: String?
    @Option(help: "A silence longer than this on a line is a stall (default 4s: twice the 2 s heartbeat interval).")
    var stall = "4s"
    @Option(help: "Pair messages by 'sequence' (channel, SeqNum) or also by business 'keys' (orders by OrderbookID + OrderID + Side, trades by TradeID) for platforms whose sequence numbers do not align.")
    var match = "sequence"
    @Option(help: "Messages of A that B may miss before the compare fails (exit 1).")
    var maxMissing: UInt64 = 0
    @Option(name: .customLong("protocol"), help: "Read streams as a feed protocol instead of recognising it on their first datagrams: NAME for every stream, or 'BPF=NAME' (repeatable) for the streams whose first packet matches the expression, the first match winning; NAME is omd, moldudp64, iex-tp, cboe-pitch, nyse-xdp, cme-mdp3 or eurex-eobi.")
    var feedProtocols: [String] = []
    @Option(help: "Each OMD line's gaps are judged against the retransmission service's limits (recoverable from the RTS, or lost to it): messages it holds per channel.")
    var rtsWindow = RecoveryLimits().window
    @Option(help: "… messages one request may ask for.")
    var rtsMaxRequest = RecoveryLimits().maximumPerRequest
    @Option(help: "… requests per day (shared by all channels of a line).")
    var rtsDailyRequests = RecoveryLimits().dailyRequests
    @Option(help: "Compare only this shard's channels, INDEX/COUNT (INDEX from 0, as Kubernetes' JOB_COMPLETION_INDEX): those whose number modulo COUNT is INDEX. COUNT processes together compare every channel; `rehearse merge` puts their --json results together, exactly as one process would have compared them.")
    var shard: String?
    @Option(help: "How far apart the two lines may deliver one message and still be paired (default 10s; widened by the distance between the sides' first packets). Both captures are read together in time order through a window this deep, so memory does not grow with their length; a copy arriving later is counted late and said.")
    var horizon = "10s"
    @Flag(help: "Print the comparison as JSON (schema rehearse.compare/1).")
    var json = false

    func run() throws {
        if second == nil && (filterA == nil || filterB == nil) {
            throw RehearseError(.usage, "give two captures, or one capture with --a and --b selecting the two lines")
        }
        guard let stallNs = try parseDurationOption(stall, "--stall"), stallNs > 0 else { throw RehearseError(.usage, "--stall must be above 0") }
        let a = CompareSource(name: "A", path: first, filter: filterA)
        let b = CompareSource(name: "B", path: second ?? first, filter: filterB)
        guard let mode = CompareMatch(rawValue: match) else { throw RehearseError(.usage, "--match \(match): use sequence or keys") }
        let part = try shard.map(parseShard)
        let display = !json && ProgressDisplay.isInteractive ? ProgressDisplay(label: "compare") : nil
        display?.start()
        let (forced, rules) = try parseProtocolOptions(feedProtocols)
        guard rtsWindow >= 1, rtsMaxRequest >= 1, rtsDailyRequests >= 1 else {
            throw RehearseError(.usage, "--rts-window, --rts-max-request and --rts-daily-requests: 1 or more")
        }
        var limits = RecoveryLimits()
        limits.window = rtsWindow
        limits.maximumPerRequest = rtsMaxRequest
        limits.dailyRequests = rtsDailyRequests
        guard let horizonNs = try parseDurationOption(horizon, "--horizon"), horizonNs > 0 else { throw RehearseError(.usage, "--horizon must be above 0") }
        var pairing = PairingLimits()
        pairing.horizon = horizonNs
        pairing.reorder = min(pairing.reorder, horizonNs)
        let report = FeedComparator.compare(a, b, stallLimit: stallNs, match: mode, progress: display?.counter, feedProtocol: forced, protocolRules: rules,
                                            recoveryLimits: limits, shard: part, pairing: pairing)
        display?.stop()
        if let e = report.filterError { throw RehearseError(.usage, e) }
        if json { print(try jsonText(report)) } else { print(CompareText.render(report, a: a, b: b)) }
        if let s = report.shard, !json {
            print("shard \(s.shard): \(report.channels.count) of \(s.channelsTotal) channels; recoverability is judged when the shards are merged (`rehearse merge`)")
        }
        try CompareText.judge(report, maximumMissing: maxMissing)
    }
}

enum CompareText {
    /// A comparison's warnings and verdict, as `compare` and a merged compare end: exit 3 when a
    /// capture could not be read, 1 when B missed more than `maximumMissing` or a message differs.
    static func judge(_ report: ComparisonReport, maximumMissing: UInt64) throws {
        for w in report.warnings { printError("rehearse: warning: \(w)") }
        if !report.errors.isEmpty {
            for e in report.errors { printError("rehearse: \(e)") }
            throw ExitCode(ExitStatus.input.rawValue)
        }
        if let failure = CompareOutcome.failure(report, maximumMissing: maximumMissing) {
            printError("rehearse: \(failure)")
            throw ExitCode(ExitStatus.limitFailed.rawValue)
        }
    }

    /// The classified findings, one line each, or that there were none.
    static func findings(_ list: [FeedFinding]) -> String {
        guard !list.isEmpty else { return "findings: none (no loss, mismatch, pause, failover, burst, reset or growing lag)" }
        var out = "findings"
        for f in list {
            let when = f.at.map { " at " + $0.utc } ?? ""
            out += "\n  ch \(f.channel) \(f.line.map { "line " + $0 } ?? "both lines")  \(f.kind.rawValue)\(when): \(f.detail)"
        }
        return out
    }

    static func render(_ r: ComparisonReport, a: CompareSource, b: CompareSource) -> String {
        func side(_ s: CompareSource) -> String { s.path + (s.filter.map { " [\($0)]" } ?? "") }
        var out = "A: \(side(a))\nB: \(side(b))\n\(Text.count(r.messagesCompared)) messages on both sides in \(r.channels.count) channel\(r.channels.count == 1 ? "" : "s")"
        var rows: [[String]] = []
        for c in r.channels {
            rows.append(["\(c.channel)", "\(c.a) / \(c.b)", Text.count(c.onBoth), Text.count(c.missingOnA), Text.count(c.missingOnB),
                         Text.count(c.mismatches), "\(c.aFirst) / \(c.bFirst)",
                         // No message on both lines: no lag to show (never a 0 for nothing).
                         c.onBoth == 0 ? "-" : TimeFormat.duration(c.lag.p50), c.onBoth == 0 ? "-" : TimeFormat.duration(c.lag.p99),
                         c.onBoth == 0 ? "-" : TimeFormat.duration(c.lag.max),
                         c.longestOneSidedRun == 0 ? "-" : "\(c.longestOneSidedRun) (\(c.longestOneSidedRunSide!) from \(c.longestOneSidedRunFirst!))"])
        }
        out += "\n" + Text.table(["ch", "A / B", "on both", "missing A", "missing B", "mismatched", "A first / B first", "lag p50", "p99", "max", "longest one-sided run"],
                                 rows, numeric: [2, 3, 4, 5, 7, 8, 9])
        var lines: [[String]] = []
        for c in r.channels {
            for (name, l) in [("A", c.lineA), ("B", c.lineB)] {
                lines.append(["\(c.channel) \(name)", Text.count(l.packets), Text.count(l.messages), Text.count(l.gaps), Text.count(l.missingMessages),
                              Text.count(l.duplicateMessages), Text.count(l.resets), Text.count(l.heartbeats), Text.count(l.stalls),
                              TimeFormat.duration(l.longestSilenceNs), l.disasterRecoverySignals.isEmpty ? "-" : l.disasterRecoverySignals.map(String.init).joined(separator: ",")])
            }
        }
        out += "\n\nper line\n" + Text.table(["line", "packets", "messages", "gaps", "missing", "dup msgs", "resets", "heartbeats", "stalls", "longest silence", "DR signals"],
                                            lines, numeric: Set(1...9))
        let judged = r.channels.flatMap { c in [("\(c.channel) A", c.lineA), ("\(c.channel) B", c.lineB)] }
            .compactMap { name, l in l.recoverability.map { (name, l, $0) } }.filter { $0.1.gaps > 0 }
        if !judged.isEmpty {
            var rows: [[String]] = []
            for (name, l, j) in judged {
                rows.append([name, Text.count(l.gaps), Text.count(j.recoverable), Text.count(j.beyondWindow), Text.count(j.beyondBudget),
                             Text.count(j.unclassified), "\(j.requests)"])
            }
            out += "\n\nline gaps against the retransmission service's limits (messages missed but recoverable from the RTS, or lost to it: only a refresh resynchronises)\n"
                + Text.table(["line", "gaps", "recoverable", "beyond window", "beyond daily budget", "not classified", "requests"], rows, numeric: Set(1...6))
        }
        for c in r.channels where !c.mismatchExamples.isEmpty {
            out += "\n  ch \(c.channel) mismatches: " + c.mismatchExamples.joined(separator: "\n                  ")
        }
        if let keyed = r.keyed {
            var rows: [[String]] = []
            for k in keyed {
                rows.append(["\(k.channel)", Text.count(k.keyedA), Text.count(k.keyedB), Text.count(k.matched), Text.count(k.onlyOnA),
                             Text.count(k.onlyOnB), Text.count(k.mismatched), "\(k.aFirst) / \(k.bFirst)", TimeFormat.duration(k.lag.p50),
                             TimeFormat.duration(k.lag.p99), Text.count(k.unkeyedA + k.unkeyedB)])
            }
            out += "\n\nby business key (orders: OrderbookID + OrderID + Side; trades: TradeID)\n"
                + Text.table(["ch", "keyed A", "keyed B", "matched", "only on A", "only on B", "mismatched", "A first / B first", "lag p50", "p99", "not keyed"],
                             rows, numeric: [1, 2, 3, 4, 5, 6, 8, 9, 10])
            for k in keyed where !k.examples.isEmpty {
                out += "\n  ch \(k.channel): " + k.examples.joined(separator: "\n        ")
            }
        }
        out += "\n\n" + findings(r.findings)
        if !r.unpairedA.isEmpty { out += "\n  only on A (no channel to pair with): " + r.unpairedA.joined(separator: ", ") }
        if !r.unpairedB.isEmpty { out += "\n  only on B (no channel to pair with): " + r.unpairedB.joined(separator: ", ") }
        out += "\n  lag = how far the later side trailed, per message on both sides (capture timestamps)"
        let protocols = Set(r.channels.compactMap(\.protocolA)).sorted()
        if protocols != ["omd"] && !protocols.isEmpty {
            out += "\n  feed protocol: " + protocols.joined(separator: ", ")
            let byPacket = protocols.filter { FeedProtocol(rawValue: $0)?.sequencesPackets == true }
            if !byPacket.isEmpty {
                out += "\n  (\(byPacket.joined(separator: ", ")) number packets: on both, missing, mismatched and SeqNums count packets, "
                    + "each packet's messages compared as one, its header's send time left out)"
            }
        }
        return out
    }
}

import ArgumentParser
import Orchestration
import Vocabulary
import Measure
import Capture
import Foundation
import Replay
import Reporting
import Scenario
import Results
import Transport

/// `rehearse bench CAPTURE --old … --new …`: replay to both platforms at once and compare what comes back.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Replay a feed capture to the old and the new platform at the same deadlines, receive both outputs, and compare loss and latency message by message.",
        discussion: """
        Channel i (the i-th selected stream in captured-destination order) is sent to the --old port + i \
        and its output is expected on the --old-from port + i; likewise for --new. Every output message \
        is matched by (channel, SeqNum) to its scheduled send time: latency is measured from the schedule \
        (coordinated-omission correct), and the sender's own lateness is reported beside it. \
        With --old/--new alone (no --old-from/--new-from) the capture (or a JSON Lines transaction log) \
        holds FIX sessions, and bench replays them to the two gateways as `rehearse gateway` does. \
        Beside each latency: the platform's own time (receive − actual send) and the sender's lateness \
        (actual − scheduled send), and the host's hiccups while it measured. When the sender's \
        lateness p99 or the hiccup p99.9 reaches half the fastest platform's p99, the test host, not \
        the platforms, was measured: the bench is inconclusive (exit 5). \
        Exit codes: 0 ok · 2 bad options, or a receive address this host cannot bind · 3 bad capture · 4 a target refused, a send failed, a platform delivered nothing, or a gateway refused, dropped, left the logon unanswered or answered nothing · 5 inconclusive (the test host was measured) · 130 interrupted.
        """)

    @Argument(help: "Feed capture (.pcap, .pcapng, optionally .gz).")
    var capture: String
    @Option(name: .customLong("protocol"), help: "Read every stream as this feed protocol instead of recognising it on its first datagrams: omd, moldudp64, iex-tp, cboe-pitch, nyse-xdp, cme-mdp3 or eurex-eobi.")
    var feedProtocol: String?
    @Option(help: "HOST:PORT the old platform receives channel 0 on (channel i on PORT+i).")
    var old: String?
    @Option(help: "HOST:PORT the old platform's output for channel 0 arrives on (channel i on PORT+i).")
    var oldFrom: String?
    @Option(help: "HOST:PORT the new platform receives channel 0 on.")
    var new: String?
    @Option(help: "HOST:PORT the new platform's output for channel 0 arrives on.")
    var newFrom: String?
    @OptionGroup var pacing: PacingOptions
    @OptionGroup var select: SelectionArguments
    @Option(help: "After the last send, wait this long without an arrival before counting losses.")
    var drain = "1s"
    /// The old spelling of `--interface` for the receiving side, kept for scripts written against it.
    @Option(help: .hidden)
    var receiveInterface: String?
    @OptionGroup var sender: SenderArguments
    @Option(help: "Gap drill: recover the gaps of the old platform's output from its retransmission service, ADDRESS:PORT[,ADDRESS:PORT…] (ChannelID = the channel's index, from 0); side by side with --new-recover.")
    var oldRecover: String?
    @Option(help: "… the new platform's retransmission service.")
    var newRecover: String?
    @OptionGroup var recovery: RecoverySettings
    @Option(help: "Bench only this shard's channels, INDEX/COUNT (INDEX from 0, as Kubernetes' JOB_COMPLETION_INDEX): the channels whose number modulo COUNT is INDEX, on the whole bench's ports and schedule (--speed pacing). COUNT load hosts started together (--start-at) bench what one would; `rehearse merge` puts their --json results together and judges them as one bench.")
    var shard: String?
    @Flag(help: "Print the result as JSON (schema rehearse.bench/1).")
    var json = false

    func run() throws {
        // Gateways: --old/--new without --old-from/--new-from replay FIX sessions (a capture or a
        // transaction log) exactly as `rehearse gateway` does.
        if oldFrom == nil && newFrom == nil && (old != nil || new != nil) {
            guard pacing.pps == nil, pacing.mbps == nil, !pacing.max else {
                throw RehearseError(.usage, "gateway bench paces by --speed (original timing); use `rehearse gateway --max-in-flight N` for top speed")
            }
            var options = SessionReplayOptions()
            options.speed = pacing.speed ?? 1
            var gateways: [Orchestration.GatewayTarget] = []
            for (name, text) in [("old", old), ("new", new)] {
                guard let text else { continue }
                guard let e = Endpoint(text), e.port > 0 else { throw RehearseError(.usage, "--\(name) \(text): not HOST:PORT") }
                gateways.append(Orchestration.GatewayTarget(name: name, endpoint: e, options: options))
            }
            guard shard == nil else { throw RehearseError(.usage, "--shard: gateway sessions are not sharded yet; feed benches are") }
            try Gateway.replay(capture: capture, filter: select.filter, targets: gateways, json: json)
            return
        }
        var targets: [BenchTarget] = []
        for (name, send, receive, rts) in [("old", old, oldFrom, oldRecover), ("new", new, newFrom, newRecover)] {
            guard send != nil || receive != nil else {
                if rts != nil { throw RehearseError(.usage, "--\(name)-recover needs --\(name) and --\(name)-from") }
                continue
            }
            guard let s = send.flatMap(Endpoint.init), let r = receive.flatMap(Endpoint.init), s.port > 0, r.port > 0 else {
                throw RehearseError(.usage, "--\(name) and --\(name)-from each need HOST:PORT")
            }
            targets.append(BenchTarget(name: name, send: s, receive: r, recovery: try recovery.options(rts, option: "--\(name)-recover")))
        }
        guard !targets.isEmpty else { throw RehearseError(.usage, "give --old/--old-from, --new/--new-from, or both") }
        guard pacing.loop == 1 else { throw RehearseError(.usage, "bench replays one pass (--loop is for replay)") }
        var selection = try select.selection()
        selection.shard = try shard.map(parseShard)
        if selection.shard != nil && (oldRecover != nil || newRecover != nil) {
            throw RehearseError(.usage, "--shard: gap drills (--old-recover, --new-recover) run on one host")
        }
        var options = ReplayOptions()
        options.pacing = try pacing.pacing()
        options.startAt = try pacing.startInstant()
        try sender.apply(to: &options)
        var receive = ReceiverOptions()
        // One interface for the bench: multicast is sent and the outputs' groups are joined on --interface.
        if let name = receiveInterface ?? sender.interface {
            let resolved = try resolveInterface(name)
            receive.multicastInterface = resolved.address
            receive.multicastInterfaceIndex = resolved.index
        }
        guard let drainNs = try parseDurationOption(drain, "--drain") else { throw RehearseError(.usage, "--drain") }
        let bench: FeedBench
        guard !pacing.max else {
            throw RehearseError(.usage, "bench measures latency from each packet's scheduled send time; use --speed, --pps or --mbps (not --max)")
        }
        let forced = try feedProtocol.map { try parseFeedProtocol($0) }
        do { bench = try FeedBench(path: capture, selection: selection, targets: targets, options: options,
                                   receiverOptions: receive, drain: drainNs, feedProtocol: forced) } catch {
            if case .plan(let p) = error { throw planError(p) }
            throw RehearseError(error)
        }
        if !json { print(ReplayText.plan(bench.plan, options)) }
        let control = ReplayControl()
        var line = ProgressLine(enabled: !json && ProgressDisplay.isInteractive)
        let started = Clock.monotonic(), total = bench.plan.packets
        var (result, failure) = runInBackground({ bench.run(control: control) }, interval: 100_000, onInterrupt: control.stop) {
            guard line.enabled, let anchor = control.anchor else { return }
            line.draw(ProgressLine.replay(label: "bench", sent: control.sent, total: total,
                                          seconds: Double(max(1, Clock.monotonic() - max(anchor, started))) / 1e9, latenessP99: control.latenessP99))
        }
        line.clear()
        result.replay.error = failure?.description
        result.validity = LegValidity.feed(result, limits: ScenarioLimits(), ownFigures: true)
        let (status, reasons) = BenchOutcome.status(result, failure: failure)
        if json { print(try jsonText(result)) } else { print(BenchText.render(result)) }
        for r in reasons { printError("rehearse: \(r)") }
        if status != .success { throw ExitCode(status.rawValue) }
    }
}

enum BenchText {
    static func render(_ r: BenchResult) -> String {
        var out = ReplayText.result(r.replay)
        let names = r.sides.map(\.name)
        func row(_ label: String, _ f: (BenchSideResult) -> String) -> [String] { [label] + r.sides.map(f) }
        func d(_ v: UInt64) -> String { TimeFormat.duration(v) }
        var rows: [[String]] = [
            row("sent to") { $0.sendTo }, row("received on") { $0.receiveOn },
            row("messages sent") { Text.count($0.messagesSent) }, row("received") { Text.count($0.messagesReceived) },
            row("lost") { Text.count($0.messagesLost) }, row("duplicates") { Text.count($0.duplicateMessages) },
            row("unexpected") { Text.count($0.unexpectedMessages) }, row("garbage") { Text.count($0.garbage) },
            row("kernel drops") { Text.count($0.kernelDrops) }, row("throughput msg/s") { Text.rate($0.messagesPerSecond) },
        ]
        // Nothing is zero by accident: a side that received nothing has no latency figures.
        func l(_ pick: @escaping (LatencySummary) -> UInt64) -> (BenchSideResult) -> String {
            { $0.latency.count == 0 ? "nothing arrived" : d(pick($0.latency)) }
        }
        func o(_ s: LatencySummary?, _ pick: (LatencySummary) -> UInt64) -> String { s.map { d(pick($0)) } ?? "-" }
        rows += [
            row("response p50", l(\.p50)), row("p90", l(\.p90)), row("p99", l(\.p99)),
            row("p99.9", l(\.p999)), row("p99.99", l(\.p9999)), row("max", l(\.max)),
            row("platform time p50") { o($0.platformTime, \.p50) }, row("p99") { o($0.platformTime, \.p99) },
            row("p99.9") { o($0.platformTime, \.p999) },
            row("sender lateness p50") { o($0.senderLateness, \.p50) }, row("p99") { o($0.senderLateness, \.p99) },
            row("p99.9") { o($0.senderLateness, \.p999) },
        ]
        if let ratios = r.latencyRatios {
            rows.append(["new/old p50 · p99 · p99.9 · max",
                         [ratios.p50, ratios.p99, ratios.p999, ratios.max].map { String(format: "%.2f", $0) }.joined(separator: " · ")])
        }
        if r.sides.contains(where: { $0.recovery != nil }) {
            // The gap drill side by side: a side without recovery shows "-", one with no gap says so (never 0 for nothing).
            func rec(_ f: @escaping (RecoveryReport) -> String) -> (BenchSideResult) -> String { { $0.recovery.map(f) ?? "-" } }
            func ttr(_ pick: @escaping (LatencySummary) -> UInt64) -> (BenchSideResult) -> String {
                rec { $0.timeToRecover.map { d(pick($0)) } ?? ($0.gaps == 0 ? "no gap" : "none recovered") }
            }
            rows += [
                row("gaps (recovery)", rec { Text.count(UInt64($0.gaps)) }), row("gaps recovered", rec { Text.count(UInt64($0.gapsRecovered)) }),
                row("messages recovered", rec { Text.count($0.recovered) }), row("unrecovered", rec { Text.count($0.unrecovered) }),
                row("time to recover p50", ttr(\.p50)), row("p99", ttr(\.p99)), row("max", ttr(\.max)),
                row("requests (refused)", rec { "\($0.requests) (\($0.refused.values.reduce(0, +)))" }),
                row("timeouts · failovers", rec { "\($0.timeouts) · \($0.failovers)" }),
            ]
        }
        out += "\n\n" + Text.table([""] + names, rows, numeric: Set(1...max(1, names.count)))
        out += "\n  response = kernel receive − scheduled send (coordinated-omission correct) · platform time = receive − actual send · sender lateness = actual − scheduled send"
        if let h = r.host { out += "\n  " + h.line }
        if let v = r.validity {
            out += v.valid ? "\n  valid: sender lateness and hiccups within \(TimeFormat.format(v.senderLatenessShare * 100, 0)) % of \(v.reference)"
                : "\n  INCONCLUSIVE: the test host, not the platforms, was measured — " + v.reasons.joined(separator: "; ")
        }
        return out
    }
}

import ArgumentParser
import Orchestration
import Vocabulary
import Capture
import Foundation
import OrderEntry
import Replay
import Results
import Scenario
import Reporting
import Transport

/// `rehearse gateway CAPTURE --old HOST:PORT --new HOST:PORT`: replay captured FIX sessions to gateways.
struct Gateway: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Replay the FIX client sessions of a capture to the old and/or new order gateway and compare request → response latency per message type.",
        discussion: """
        Each captured client session gets its own connection and Logon (CompIDs from the capture or \
        --sender-comp-id/--target-comp-id); MsgSeqNum, SendingTime, CompIDs and ClOrdID (unique per run, \
        OrigClOrdID mapped alike) are rewritten. Requests go at their original times × --speed on one \
        timeline across sessions, or as fast as --max-in-flight allows. Latency = first answer's receive \
        time − the request's scheduled send time. Both gateways run at once, each from its own thread. \
        Exit codes: 0 ok · 2 bad options · 3 bad capture · 4 a gateway refused or did not answer the logon, or could not be reached · 5 inconclusive: the sender's lateness p99 or this host's hiccup p99.9 reached half the fastest gateway's p99 (the test host was measured) · 130 interrupted.
        """)

    @Argument(help: "Capture with FIX sessions over TCP (.pcap, .pcapng, optionally .gz), or a JSON Lines transaction log (.jsonl).")
    var capture: String
    @Option(help: "HOST:PORT of the old gateway.")
    var old: String?
    @Option(help: "HOST:PORT of the new gateway.")
    var new: String?
    @Option(help: "Original timing × this (default 1).")
    var speed: Double?
    @Option(help: "Instead of original timing: as fast as N outstanding requests per session allow.")
    var maxInFlight: Int?
    @Option(help: "SenderCompID (49) to log on with (default: the captured one).")
    var senderCompId: String?
    @Option(help: "TargetCompID (56) to log on with (default: the captured one).")
    var targetCompId: String?
    @Option(help: "Username (553) for the logon.")
    var username: String?
    @Option(help: "Password (554) for the logon.")
    var password: String?
    @Option(help: "A request with no answer after this long is a timeout.")
    var timeout = "5s"
    @Option(help: "Connection attempts per session (first connect, after a drop, after an unanswered Logon).")
    var connectAttempts = 3
    @Option(help: "A Logon with no answer after this long fails that attempt (retried while --connect-attempts allow).")
    var logonTimeout = "5s"
    @Option(help: "Only packets matching this BPF expression (e.g. 'tcp port 9001').")
    var filter: String?
    @Option(help: "Replay only this shard's sessions, INDEX/COUNT (INDEX from 0, as Kubernetes' JOB_COMPLETION_INDEX): session k in capture order is shard k mod COUNT's, on the whole replay's timeline. COUNT hosts started together (--start-at) replay what one would; `rehearse merge` puts their --json results together.")
    var shard: String?
    @Option(help: "Start the timeline at this instant, UTC (ISO 8601, e.g. 2026-12-02T15:30:00Z), once the sessions are logged on, so that shards on several hosts start together.")
    var startAt: String?
    @Flag(help: "Print the results as JSON (schema rehearse.gateway/1 per gateway).")
    var json = false

    func run() throws {
        var targets: [(String, Endpoint)] = []  // name, gateway
        for (name, text) in [("old", old), ("new", new)] {
            guard let text else { continue }
            guard let e = Endpoint(text), e.port > 0 else { throw RehearseError(.usage, "--\(name) \(text): not HOST:PORT") }
            targets.append((name, e))
        }
        guard !targets.isEmpty else { throw RehearseError(.usage, "give --old HOST:PORT, --new HOST:PORT, or both") }
        var options = SessionReplayOptions()
        if let maxInFlight {
            guard maxInFlight >= 1, speed == nil else { throw RehearseError(.usage, "--max-in-flight (≥ 1) replaces --speed; give one of them") }
            options.speed = nil
            options.maximumInFlight = maxInFlight
        } else {
            let s = speed ?? 1
            guard s > 0, s.isFinite else { throw RehearseError(.usage, "--speed must be a finite number above 0") }
            options.speed = s
        }
        options.senderCompID = senderCompId
        options.targetCompID = targetCompId
        options.username = username
        options.password = password
        guard let t = try parseDurationOption(timeout, "--timeout"), t > 0 else { throw RehearseError(.usage, "--timeout") }
        options.responseTimeout = t
        guard let l = try parseDurationOption(logonTimeout, "--logon-timeout"), l > 0 else { throw RehearseError(.usage, "--logon-timeout: a duration above 0, e.g. 5s") }
        options.logonTimeout = l
        guard connectAttempts >= 1 else { throw RehearseError(.usage, "--connect-attempts: at least 1") }
        options.connectAttempts = connectAttempts
        options.startAt = try parseStartAt(startAt)
        try Self.replay(capture: capture, filter: filter, targets: targets.map { Orchestration.GatewayTarget(name: $0.0, endpoint: $0.1, options: options) },
                        json: json, shard: try shard.map(parseShard))
    }

    /// Loads the plan, runs the gateway bench with Ctrl-C forwarded, renders, and ends with the bench's
    /// status (`gateway` and `bench` with gateways).
    static func replay(capture: String, filter: String?, targets: [Orchestration.GatewayTarget], json: Bool, shard: Shard? = nil) throws {
        let (whole, warnings) = try GatewayBench.loadPlan(capture, filter: filter)
        let plan = shard.map { whole.shard($0) } ?? whole
        if let shard, plan.sessions.isEmpty {
            throw RehearseError(.usage, "--shard \(shard): no session of the capture's \(whole.sessions.count) is this shard's")
        }
        for w in warnings { printError("rehearse: warning: \(w)") }
        if !json, let options = targets.first?.options {
            print("gateway replay \(capture): \(plan.sessions.count) sessions, \(Text.count(plan.messageCount)) requests"
                  + (options.speed.map { ", original timing ×\($0)" } ?? ", max \(options.maximumInFlight) in flight per session"))
        }
        let bench = GatewayBench(plan: plan, targets: targets)
        var line = ProgressLine(enabled: !json && ProgressDisplay.isInteractive)
        let started = Clock.monotonic()
        let results = runInBackground({ bench.run() }, interval: 100_000, onInterrupt: bench.stop) {
            guard line.enabled else { return }
            let (sent, total) = bench.progress
            line.draw(sent == 0 ? "gateway  starting"
                      : ProgressLine.requests(label: "gateway", sent: sent, total: total, seconds: Double(Clock.monotonic() - started) / 1e9))
        }
        line.clear()
        let names = targets.map(\.name)
        let byName = Dictionary(uniqueKeysWithValues: zip(names, results))
        // No limits here: the gateways' own figures are judged, so the sender and the host may add at
        // most half of the fastest gateway's p99 (as bench).
        let validity = LegValidity.gateway(byName, limits: ScenarioLimits(), ownFigures: true)
        if json {
            print(try jsonText(byName))
        } else {
            print(GatewayText.render(names: names, results, validity: validity))
        }
        if let failure = GatewayBench.failure(names: names, results) { throw failure }
        let status = GatewayBench.status(names: names, results, plan: plan)
        if status != .success { throw ExitCode(status.rawValue) }
        if let validity, !validity.valid {
            printError("rehearse: inconclusive: the test host, not the gateways, was measured — " + validity.reasons.joined(separator: "; "))
            throw ExitCode(ExitStatus.inconclusive.rawValue)
        }
    }
}

enum GatewayText {
    static func render(names: [String], _ results: [SessionReplayResult], validity: Validity? = nil) -> String {
        func d(_ v: UInt64) -> String { TimeFormat.duration(v) }
        var rows: [[String]] = []
        func row(_ label: String, _ f: (SessionReplayResult) -> String) { rows.append([label] + results.map(f)) }
        row("gateway") { $0.target }
        row("sessions logged on") { "\($0.sessionsLoggedOn)/\($0.sessions)" }
        row("requests sent") { Text.count($0.requests) }
        // Nothing sent is not a rate of 0 nor a lateness of 0 ns.
        row("requests/s") { $0.requests == 0 ? "-" : Text.rate($0.requestsPerSecond) }
        row("send lateness p50 · p99") { $0.requests == 0 ? "- (nothing sent)" : "\(d($0.lateness.p50)) · \(d($0.lateness.p99))" }
        row("platform time p50 · p99") { r in r.platformTime.map { $0.count == 0 ? "-" : "\(d($0.p50)) · \(d($0.p99))" } ?? "-" }
        row("disconnects · reconnects") { "\($0.disconnects) · \($0.reconnects)" }
        let types = Array(Set(results.flatMap { $0.byType.map(\.messageType) })).sorted()
        for t in types {
            func pick(_ r: SessionReplayResult) -> MessageTypeResult? { r.byType.first { $0.messageType == t } }
            let label = ["D": "New Order Single", "F": "Cancel", "G": "Cancel/Replace"][t] ?? t
            row("\(label) (\(t)) sent · answered") { pick($0).map { "\(Text.count($0.sent)) · \(Text.count($0.answered))" } ?? "-" }
            row("  acks · fills · rejects") { pick($0).map { "\($0.acks) · \($0.fills) · \($0.rejects + $0.cancelRejects)" } ?? "-" }
            row("  timeouts · lost to drops") { pick($0).map { "\($0.timeouts) · \($0.lostToDisconnects)" } ?? "-" }
            row("  latency p50 · p99 · p99.9") { pick($0).map { "\(d($0.latency.p50)) · \(d($0.latency.p99)) · \(d($0.latency.p999))" } ?? "-" }
            row("  max") { pick($0).map { d($0.latency.max) } ?? "-" }
        }
        var out = Text.table([""] + names, rows, numeric: [])
        for (name, r) in zip(names, results) where !r.rejectReasons.isEmpty {
            out += "\n  reject reasons (\(name)): " + r.rejectReasons.sorted { $0.key < $1.key }.map { "\($0.key) × \($0.value)" }.joined(separator: ", ")
        }
        for r in results where !r.logonRejections.isEmpty { out += "\n  logon refused by \(r.target): " + r.logonRejections.joined(separator: "; ") }
        for r in results where !r.logonTimeouts.isEmpty { out += "\n  logon unanswered by \(r.target): " + r.logonTimeouts.joined(separator: "; ") }
        for r in results where !r.connectFailures.isEmpty { out += "\n  could not connect: " + r.connectFailures.joined(separator: "; ") }
        out += "\n  latency = first answer's receive time − the request's scheduled send time; platform time = answer − the request's actual send"
        if let host = results.compactMap(\.host).first { out += "\n  " + host.line }
        if let v = validity, !v.valid {
            out += "\n  INCONCLUSIVE: the test host, not the gateways, was measured — " + v.reasons.joined(separator: "; ")
        }
        return out
    }
}

import ArgumentParser
import Orchestration
import Foundation
import Vocabulary
import Engines
import Measure
import Replay
import Results
import Reporting
import Scenario

/// `rehearse capacity SCENARIO`: ramp the feed speed until a limit breaks.
struct Capacity: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Ramp the feed leg's speed (capacity.speeds, default 1× 2× 3× 5× 8× 13× 21× recorded) until a limit breaks; report the knee, the curve and the limiting factor.",
        discussion: """
        Each step is a full feed bench at that speed into every target. A step fails when a feed limit \
        breaks (latency, loss, throughput). A step is valid only when the sender held its schedule and \
        the host was healthy (validity:, and capacity.senderLatenessP99, default 10ms): a step that was \
        not ends the ramp as limited by the test host, never by the target. Between the last step that \
        held and the first that broke on the target, the ramp bisects until the two are within \
        capacity.resolution (default 10 %), so the knee is a number. The result is stored in the \
        history and written like `run`'s (capacity.csv, the curve in report.html). Exit codes: 0 the \
        knee was found (or every step held) · 1 not even the first step held · 2 scenario errors · \
        3 history or output unusable · 4 a target refused or delivered nothing · 5 inconclusive: the \
        test host limited the ramp · 130 interrupted.
        """)

    @OptionGroup var scenarioFile: ScenarioRunArguments
    @Option(help: "Speeds to ramp through, comma-separated (overrides capacity.speeds).")
    var speeds: String?
    @Option(help: "Ramp only this shard's channels, INDEX/COUNT (INDEX from 0, as Kubernetes' JOB_COMPLETION_INDEX), at every speed of the list, each step at an instant every shard computes from --start-at; nothing is judged or stored: `rehearse merge` of every shard's --json result judges the steps as one ramp (bisecting towards the knee only with --rendezvous).")
    var shard: String?
    @Option(help: "With --shard: the first step's instant, UTC (ISO 8601).")
    var startAt: String?
    @Option(help: "With --shard: a directory every shard reaches (a shared volume): the shards meet there after each step, judge it merged, and follow the ramp one process would — the bisection towards the knee included.")
    var rendezvous: String?
    @Option(help: "With --rendezvous: how long a shard waits for the others' step before giving up (exit 3, naming the missing shards).")
    var rendezvousWait = "60s"

    func run() throws {
        var s = try scenarioFile.load()
        let json = scenarioFile.json
        if let speeds {
            let list = speeds.split(separator: ",").compactMap { Double($0.trimmingCharacters(in: .whitespaces)) }
            guard !list.isEmpty, list.allSatisfy({ $0 > 0 && $0.isFinite }) else { throw RehearseError(.usage, "--speeds \(speeds): e.g. 1,2,3,5") }
            s.capacity.speeds = list
        }
        let part = try shard.map(parseShard)
        guard startAt == nil || part != nil else { throw RehearseError(.usage, "--start-at is for shards (--shard)") }
        let instant = try parseStartAt(startAt)
        guard let wait = try parseDurationOption(rendezvousWait, "--rendezvous-wait"), wait > 0 else {
            throw RehearseError(.usage, "--rendezvous-wait \(rendezvousWait): a duration such as 60s")
        }
        let ramp = try CapacityRamp(scenario: s, shard: part, startAt: instant, rendezvous: rendezvous, rendezvousWait: wait)
        let say = progressPrinter(json: json)
        let outcome = try runJob({ () throws(RehearseError) -> RunOutcome in try ramp.execute(step: { say(CapacityText.line($0)) }) }, stop: ramp.stop,
                                 progress: { ramp.progress }, json: json)
        let final = outcome.result
        if let p = final.shard {
            if json { print(try jsonText(final)) } else {
                print("shard \(p.shard): \(final.capacity?.steps.count ?? 0) steps run, not judged or stored; `rehearse merge` of every shard's --json result judges the ramp")
            }
            for e in final.errors { printError("rehearse: \(e)") }
            if outcome.status != .success { throw ExitCode(outcome.status.rawValue) }
            return
        }
        if json { print(try jsonText(final)) } else {
            print(CapacityText.render(final.capacity!))
            if let v = final.verdict { print("verdict: \(v.summary)") }
        }
        say("report: \(outcome.directory)/report.html · curve: \(outcome.directory)/capacity.csv · history run \(final.id.map(String.init) ?? "-")")
        if outcome.status != .interrupted { for e in final.errors { printError("rehearse: \(e)") } }
        if outcome.status != .success { throw ExitCode(outcome.status.rawValue) }
    }
}

enum CapacityText {
    /// One step as it ends.
    static func line(_ step: CapacityStep) -> String {
        "  ×\(TimeFormat.format(step.speed, 1)): " + step.bench.sides.map { "\($0.name) p99 \(TimeFormat.duration($0.latency.p99)), lost \($0.messagesLost), \(Text.rate($0.messagesPerSecond)) msg/s" }.joined(separator: " · ")
            + " · sender lateness p99 \(TimeFormat.duration(step.bench.replay.lateness.p99))"
            + (step.host.map { " · hiccups p99.9 \(TimeFormat.duration($0.hiccups.p999))" } ?? "")
            + " → \(step.passed ? "ok" : step.validity?.valid == false ? "HOST" : "LIMIT")"
    }

    static func render(_ c: CapacityResult) -> String {
        var rows: [[String]] = []
        for s in c.steps {
            for side in s.bench.sides {
                rows.append(["×\(TimeFormat.format(s.speed, 1))", side.name, Text.rate(s.offeredPerSecond), Text.rate(side.messagesPerSecond),
                             Text.count(side.messagesLost), TimeFormat.duration(side.latency.p50), TimeFormat.duration(side.latency.p99),
                             TimeFormat.duration(s.sendLatenessP99), s.passed ? "ok" : s.validity?.valid == false ? "HOST" : "LIMIT"])
            }
        }
        return "capacity\n" + Text.table(["speed", "target", "offered msg/s", "received msg/s", "lost", "p50", "p99", "sender p99", ""], rows,
                                         numeric: [2, 3, 4, 5, 6, 7])
            + "\nknee: \(c.knee.map { "×" + TimeFormat.format($0, 2) } ?? "none (the first step did not hold)") · limited by \(c.limitingFactor): \(c.detail)"
    }
}

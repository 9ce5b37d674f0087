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
        breaks (latency, loss, throughput) or when the sender itself could not keep the schedule. Latency \
        is measured from the schedule, so a late sender inflates it: when the sender's lateness p99 is \
        above capacity.senderLatenessP99 (default 10ms) and at least half the worst broken latency, the \
        limiting factor is the sender itself, not the target. The ramp stops at \
        the first failing step. The result is stored in the history and written like `run`'s (capacity.csv, \
        the curve in report.html). Exit codes: 0 every step passed · 1 a limit broke (the knee is below \
        the top speed) · 2 scenario errors · 3 history or output unusable · 4 a target refused · 130 interrupted.
        """)

    @OptionGroup var scenarioFile: ScenarioRunArguments
    @Option(help: "Speeds to ramp through, comma-separated (overrides capacity.speeds).")
    var speeds: String?

    func run() throws {
        var s = try scenarioFile.load()
        let json = scenarioFile.json
        if let speeds {
            let list = speeds.split(separator: ",").compactMap { Double($0.trimmingCharacters(in: .whitespaces)) }
            guard !list.isEmpty, list.allSatisfy({ $0 > 0 && $0.isFinite }) else { throw RehearseError(.usage, "--speeds \(speeds): e.g. 1,2,3,5") }
            s.capacity.speeds = list
        }
        let ramp = try CapacityRamp(scenario: s)
        let say = progressPrinter(json: json)
        let outcome = try runJob({ () throws(RehearseError) -> RunOutcome in try ramp.execute(step: { say(CapacityText.line($0)) }) }, stop: ramp.stop)
        let final = outcome.result
        if json { print(try jsonText(final)) } else { print(CapacityText.render(final.capacity!)) }
        say("report: \(outcome.directory)/report.html · curve: \(outcome.directory)/capacity.csv · history run \(final.id.map(String.init) ?? "-")")
        if outcome.status != .interrupted { for e in final.errors { printError("rehearse: \(e)") } }
        if outcome.status != .success { throw ExitCode(outcome.status.rawValue) }
    }
}

enum CapacityText {
    /// One step as it ends.
    static func line(_ step: CapacityStep) -> String {
        "  ×\(TimeFormat.format(step.speed, 1)): " + step.bench.sides.map { "\($0.name) p99 \(TimeFormat.duration($0.latency.p99)), lost \($0.messagesLost), \(Text.rate($0.messagesPerSecond)) msg/s" }.joined(separator: " · ")
            + " · sender lateness p99 \(TimeFormat.duration(step.bench.replay.lateness.p99)) → \(step.passed ? "ok" : "LIMIT")"
    }

    static func render(_ c: CapacityResult) -> String {
        var rows: [[String]] = []
        for s in c.steps {
            for side in s.bench.sides {
                rows.append(["×\(TimeFormat.format(s.speed, 1))", side.name, Text.rate(s.offeredPerSecond), Text.rate(side.messagesPerSecond),
                             Text.count(side.messagesLost), TimeFormat.duration(side.latency.p50), TimeFormat.duration(side.latency.p99),
                             TimeFormat.duration(s.sendLatenessP99), s.passed ? "ok" : "LIMIT"])
            }
        }
        return "capacity\n" + Text.table(["speed", "target", "offered msg/s", "received msg/s", "lost", "p50", "p99", "sender p99", ""], rows,
                                         numeric: [2, 3, 4, 5, 6, 7])
            + "\nknee: \(c.knee.map { "×" + TimeFormat.format($0, 1) } ?? "none (the first step already broke a limit)") · limited by \(c.limitingFactor): \(c.detail)"
    }
}

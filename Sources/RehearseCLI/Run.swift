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
import Transport

/// `rehearse run SCENARIO`: the nightly job end to end.
struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a scenario end to end: the feed bench, the gateway replay and the compare legs it describes; record the result in the history; judge it by its limits and against the baseline.",
        discussion: """
        Writes <outputs.directory>/run-<id>/: result.json (rehearse.run/1), report.html (inline SVG plots), \
        one .hgrm per latency series, intervals.csv. Stores the run in the SQLite history (one transaction). \
        Verdicts (docs/measurement.md): the feed and gateway legs are valid only when the sender's \
        lateness p99 and the host's hiccup p99.9 each stay within a share (validity:, default 10 %) of \
        the smallest latency limit judged; a leg that was not is judged neither pass nor fail. Figures \
        are sampled per slice of the run and compared with the samples of the last valid runs \
        (baseline.window, default 5) by a Mann–Whitney test and a minimum effect (baseline.tolerance); \
        paired figures (new ÷ old) decide, and old and new moving together is reported as the \
        environment changing. \
        Exit codes: 0 every limit held and no regression · 1 a limit broke or a figure regressed · 2 the scenario is missing or wrong (file, line and key named), or names a receive \
        address this host cannot bind (the other legs run; stored, marked partial) · 3 the history or \
        the output directory cannot be used (nothing is run), or a capture cannot be read (the other legs \
        run; the result is stored, marked partial) · 4 a target refused or dropped (partial results are \
        kept, marked and stored), or a platform delivered nothing or answered nothing · 5 inconclusive: \
        the test host, not the platforms, was measured (what it did is named) · 130 interrupted \
        (partial results kept and stored). A history that cannot be written at the end still leaves \
        result.json and report.html (in run-unsaved-<time>) and exits 3.
        """)

    @OptionGroup var scenarioFile: ScenarioRunArguments
    @Option(help: "Run only this shard, INDEX/COUNT (INDEX from 0, as Kubernetes' JOB_COMPLETION_INDEX): the feed and compare legs' channels and the gateway leg's sessions whose number modulo COUNT is INDEX. Nothing is judged or stored: the shard's result (--json) goes to `rehearse merge`, which judges, stores and reports the whole run.")
    var shard: String?
    @Option(help: "With --shard: start the first live leg's timeline (feed, else gateway) at this instant, UTC (ISO 8601), on every shard's host alike.")
    var startAt: String?

    func run() throws {
        let scenario = try scenarioFile.load()
        let json = scenarioFile.json
        let part = try shard.map(parseShard)
        guard startAt == nil || part != nil else { throw RehearseError(.usage, "--start-at is for shards (--shard); a whole run starts when it starts") }
        let instant = try parseStartAt(startAt)
        let run = try ScenarioRun(scenario: scenario, shard: part, startAt: instant)
        let say = progressPrinter(json: json)
        say("run \(scenario.path): \(scenario.name)")
        let outcome = try runJob({ () throws(RehearseError) -> RunOutcome in try run.execute(progress: say) }, stop: run.stop,
                                 progress: { run.progress }, json: json)
        let final = outcome.result
        if let s = final.shard {
            // A shard's part: for `rehearse merge`, as JSON (its tables said nothing judged).
            if json { print(try jsonText(final)) } else { print(RunText.render(final) + "\nshard \(s.shard): not judged or stored; `rehearse merge --scenario \(scenario.path) …` of every shard's --json result judges the run") }
            for e in final.errors { printError("rehearse: \(e)") }
            if outcome.status != .success { throw ExitCode(outcome.status.rawValue) }
            return
        }
        if json { print(try jsonText(final)) } else { print(RunText.render(final)) }
        say("report: \(outcome.directory)/report.html · result: \(outcome.directory)/result.json · history: \(scenario.outputs.history) (run \(final.id.map(String.init) ?? "-"))")
        for e in final.errors { printError("rehearse: \(e)") }
        if outcome.status != .success { throw ExitCode(outcome.status.rawValue) }
    }
}

/// The scenario file and the output overrides `run` and `capacity` share.
struct ScenarioRunArguments: ParsableArguments {
    @Argument(help: "Scenario file (YAML, docs/scenario.md).")
    var scenario: String
    @Option(help: "Override the scenario's outputs.history.")
    var history: String?
    @Option(help: "Override the scenario's outputs.directory.")
    var output: String?
    @Flag(help: "Print the result as JSON (schema rehearse.run/1) instead of tables.")
    var json = false

    /// The scenario with the overrides applied (exit 2 naming file, line and key when it is wrong).
    func load() throws -> Scenario {
        var s: Scenario
        do { s = try Scenario.load(scenario) } catch { throw RehearseError(error) }
        if let history { s.outputs.history = history }
        if let output { s.outputs.directory = output }
        return s
    }
}

enum RunText {
    static func render(_ r: RunResult) -> String {
        var out = ""
        if let f = r.feed { out += BenchText.render(f) + "\n\n" }
        if let g = r.gateway, !g.isEmpty {
            let names = g.keys.sorted()
            out += GatewayText.render(names: names, names.map { g[$0]! }) + "\n\n"
        }
        if let c = r.compare {
            out += "compare: \(Text.count(c.messagesCompared)) messages on both sides, missing on B \(c.channels.reduce(0) { $0 + $1.missingOnB }), on A \(c.channels.reduce(0) { $0 + $1.missingOnA })\n"
            out += CompareText.findings(c.findings) + "\n\n"
        }
        if let c = r.capacity { out += CapacityText.render(c) + "\n\n" }
        if !r.limits.isEmpty {
            let rows = r.limits.map { l -> [String] in
                let v = l.unit == "ns" ? TimeFormat.duration(Int64(l.value)) : Text.rate(l.value)
                let t = l.unit == "ns" ? TimeFormat.duration(Int64(l.threshold)) : Text.rate(l.threshold)
                return [l.passed ? "PASS" : "FAIL", l.limit, l.target ?? "-", v, (l.unit == "messages/s" ? "≥ " : "≤ ") + t]
            }
            out += "limits\n" + Text.table(["", "limit", "target", "value", "limit value"], rows, numeric: [3]) + "\n"
        }
        if let v = r.verdict {
            for (leg, validity) in (r.validity ?? [:]).sorted(by: { $0.key < $1.key }) where !validity.valid {
                out += "  \(leg): not judged, the test host was measured: " + validity.reasons.joined(separator: "; ") + "\n"
            }
            if !v.judgements.isEmpty {
                out += "against the baseline (runs " + v.baselineRuns.map(String.init).joined(separator: ", ") + "; median of per-interval samples):\n"
                for m in v.judgements where m.decides || m.outcome != .unchanged { out += "  " + m.line + (m.decides ? "" : " (context)") + "\n" }
            }
            for e in v.environment { out += "  " + e + "\n" }
            out += "verdict: \(v.summary)\n"
            out += "in one line: \(r.headline)"
        }
        for e in r.errors { out += "\n  error: \(e)" }
        return out
    }
}

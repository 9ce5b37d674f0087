import ArgumentParser
import Foundation
import Measure
import Replay
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
        Exit codes: 0 every limit held and no regression · 1 a limit broke or a figure regressed beyond \
        the tolerance · 2 the scenario is missing or wrong (file, line and key named) · 3 the history or \
        the output directory cannot be used (nothing is run), or a capture cannot be read (the other legs \
        run; the result is stored, marked partial) · 4 a target refused or dropped (partial results are \
        kept, marked and stored) · 130 interrupted (partial results kept and stored).
        """)

    @OptionGroup var scenarioFile: ScenarioRunArguments

    func run() throws {
        let s = try scenarioFile.load()
        let json = scenarioFile.json
        guard s.feed != nil || s.gateway != nil || s.compare != nil else {
            throw RehearseError(.usage, "\(s.path): nothing to run: give a feed:, gateway: or compare: section")
        }
        let finisher = try RunFinisher(scenario: s)
        let legs = ScenarioLegs(s)
        let say: (String) -> Void = json ? { writeStandardError($0 + "\n") } : { print($0) }
        say("run \(s.path): \(s.name)")
        var result = finisher.start()
        var targetFault = false, inputFault = false
        if let feed = s.feed {
            say("== feed: \(feed.capture) at ×\(TimeFormat.format(feed.speed, 2)) into " + legs.feedTargets.map(\.name).joined(separator: ", "))
            let speed = feed.speed
            let r = runInBackground({ legs.feed(speed: speed) }, interval: 100_000, onInterrupt: legs.interrupt)
            switch r {
            case .success(let b): result.feed = b
            case .failure(let e):
                result.feed = e.partial
                result.errors.append(e.description)
                result.partial = true
                if e.input { inputFault = true } else { targetFault = true }
            }
            if result.feed?.replay.interrupted == true { result.partial = true }
        }
        if s.gateway != nil && !legs.interrupted {
            say("== gateway: \(s.gateway!.capture) at ×\(TimeFormat.format(s.gateway!.speed, 2))")
            switch runInBackground({ legs.gateway() }, interval: 100_000, onInterrupt: legs.interrupt) {
            case .success(let g): result.gateway = g
            case .failure(let e):
                result.gateway = e.partialGateway
                result.errors.append(e.description)
                result.partial = true
                if e.input { inputFault = true } else { targetFault = true }
            }
            if result.gateway?.values.contains(where: \.interrupted) == true { result.partial = true }
        }
        if s.compare != nil && !legs.interrupted {
            say("== compare: \(s.compare!.a)" + (s.compare!.b.map { " against \($0)" } ?? ""))
            switch legs.compare() {
            case .success(let c): result.compare = c
            case .failure(let e):
                result.compare = e.partialCompare
                result.errors.append(e.description)
                result.partial = true
                inputFault = true
            }
        }
        if legs.interrupted {
            result.partial = true
            result.errors.append("interrupted: the figures cover what was done before Ctrl-C/SIGTERM")
        }
        let (final, directory) = try finisher.finish(result)
        if json { print(try jsonText(final)) } else { print(RunText.render(final)) }
        say("report: \(directory)/report.html · result: \(directory)/result.json · history: \(s.outputs.history) (run \(final.id.map(String.init) ?? "-"))")
        for e in final.errors { printError("rehearse: \(e)") }
        if legs.interrupted { throw ExitCode(ExitStatus.interrupted.rawValue) }
        if inputFault { throw ExitCode(ExitStatus.input.rawValue) }
        if targetFault { throw ExitCode(ExitStatus.target.rawValue) }
        if final.verdict?.passed != true { throw ExitCode(ExitStatus.limitFailed.rawValue) }
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
        do { s = try Scenario.load(scenario) } catch { throw RehearseError(.usage, error.description) }
        if let history { s.outputs.history = history }
        if let output { s.outputs.directory = output }
        return s
    }
}

/// What every run does around its legs: checks the history and output directory first, then applies
/// the limits, finds the baseline, judges, stores the run and writes its files.
struct RunFinisher {
    let scenario: Scenario
    let store: HistoryStore
    let startedAt: Int64

    /// Opens the history and checks the output directory can be written (exit 3 otherwise).
    init(scenario: Scenario) throws {
        self.scenario = scenario
        do { store = try HistoryStore(path: scenario.outputs.history) } catch { throw RehearseError(.input, error.description) }
        let directory = scenario.outputs.directory
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let probe = directory + "/.rehearse-write-check"
            try Data().write(to: URL(fileURLWithPath: probe))
            try FileManager.default.removeItem(atPath: probe)
        } catch {
            throw RehearseError(.input, "output directory \(directory): cannot be written (\(error.localizedDescription))")
        }
        startedAt = Clock.realtime()
    }

    func start() -> RunResult {
        var inputs = [scenario.feed?.capture, scenario.gateway?.capture, scenario.compare?.a, scenario.compare?.b].compactMap { $0 }
        inputs = Array(Set(inputs)).sorted()
        let environment = RunEnvironment.current(scenarioText: scenario.text, inputs: inputs, toolVersion: Rehearse.version)
        return RunResult(scenario: scenario.name, scenarioPath: scenario.path, started: TimePoint(startedAt), environment: environment)
    }

    /// Judges, stores (one transaction) and writes the run; returns it with its id and its directory.
    func finish(_ run: RunResult) throws -> (RunResult, String) {
        var r = run
        r.finished = TimePoint(Clock.realtime())
        r.limits = r.checkLimits(scenario.limits)
        let metrics = r.metrics
        let baseline: (id: Int64, metrics: [Metric])?
        do { baseline = try store.baseline(scenario: r.scenario, id: scenario.baseline.run) } catch {
            throw RehearseError(.input, error.description)
        }
        r.verdict = Judge.verdict(limits: r.limits, current: metrics, baseline: baseline, settings: scenario.baseline)
        if r.partial, var v = r.verdict {
            v.passed = false
            v.summary = "PARTIAL: " + v.summary
            r.verdict = v
        }
        do { r.id = try store.record(r, metrics: metrics) } catch { throw RehearseError(.input, error.description) }
        let directory = scenario.outputs.directory + "/run-\(r.id!)"
        do { _ = try RunReport.write(r, to: directory) } catch {
            throw RehearseError(.input, "output directory \(directory): \(error.localizedDescription) (the run is in the history as \(r.id!))")
        }
        return (r, directory)
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
                let v = l.unit == "ns" ? TimeText.duration(Int64(l.value)) : Text.rate(l.value)
                let t = l.unit == "ns" ? TimeText.duration(Int64(l.threshold)) : Text.rate(l.threshold)
                return [l.passed ? "PASS" : "FAIL", l.limit, l.target ?? "-", v, (l.unit == "messages/s" ? "≥ " : "≤ ") + t]
            }
            out += "limits\n" + Text.table(["", "limit", "target", "value", "limit value"], rows, numeric: [3]) + "\n"
        }
        if let v = r.verdict {
            for m in v.regressions {
                out += "  regression: \(m.metric) \(TimeFormat.format(m.baseline, 1)) → \(TimeFormat.format(m.current, 1)) (\(TimeFormat.format(m.change * 100, 1)) %, \(m.samples) samples) against run \(v.baselineRun ?? 0)\n"
            }
            for m in v.improvements {
                out += "  improvement: \(m.metric) \(TimeFormat.format(m.baseline, 1)) → \(TimeFormat.format(m.current, 1)) (\(TimeFormat.format(m.change * 100, 1)) %)\n"
            }
            out += "verdict: \(v.summary)"
        }
        for e in r.errors { out += "\n  error: \(e)" }
        return out
    }
}

import Foundation
import Measure
import Reporting
import Results
import Scenario
import Vocabulary

/// What every scenario run does around its legs: checks the history and output directory first (so
/// nothing is run that could not be stored), then applies the limits, finds the baseline, judges,
/// stores the run and writes its files.
public struct RunFinisher: Sendable {
    public let scenario: Scenario
    /// The history (nil for a shard, which stores nothing: ``init(shardOf:)``).
    let store: HistoryStore?
    public let startedAt: Int64

    /// Opens the history and checks the output directory can be written (input errors otherwise).
    public init(scenario: Scenario) throws(RehearseError) {
        self.scenario = scenario
        do { store = try HistoryStore(path: scenario.outputs.history) } catch { throw RehearseError(error) }
        let directory = scenario.outputs.directory
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            // Named for this process: shards started together on one host check the same directory.
            let probe = directory + "/.rehearse-write-check-\(getpid())"
            try Data().write(to: URL(fileURLWithPath: probe))
            try FileManager.default.removeItem(atPath: probe)
        } catch {
            throw RehearseError(.input, "output directory \(directory): cannot be written (\(error.localizedDescription))")
        }
        startedAt = Clock.realtime()
    }

    /// For one shard of a run or ramp (`--shard`): it judges and stores nothing (the merge does, with
    /// the scenario's history and output directory), so neither is opened or checked here — on
    /// Kubernetes the scenario comes from a read-only ConfigMap. Only ``start()`` is for a shard.
    public init(shardOf scenario: Scenario) {
        self.scenario = scenario
        store = nil
        startedAt = Clock.realtime()
    }

    /// An empty result for this run: scenario, start time and environment.
    public func start() -> RunResult {
        var inputs = [scenario.feed?.capture, scenario.gateway?.capture, scenario.compare?.a, scenario.compare?.b].compactMap { $0 }
        inputs = Array(Set(inputs)).sorted()
        let environment = RunEnvironment.current(scenarioText: scenario.text, inputs: inputs, toolVersion: ToolVersion.current)
        return RunResult(scenario: scenario.name, scenarioPath: scenario.path, started: TimePoint(startedAt), environment: environment)
    }

    /// Judges the run: its limits, each live leg's validity (the test host's share of what is judged)
    /// and its sampled figures against the baseline window. A history that cannot be read leaves the
    /// run unjudged against a baseline (said in `errors`), never unjudged altogether.
    public func judge(_ run: RunResult) -> RunResult {
        var r = run
        r.finished = TimePoint(Clock.realtime())
        r.limits = r.checkLimits(scenario.limits)
        var validity: [String: Validity] = [:]
        if let f = r.feed, let v = LegValidity.feed(f, limits: scenario.limits, settings: scenario.validity) {
            validity["feed"] = v
            r.feed?.validity = v
        }
        if let g = r.gateway, let v = LegValidity.gateway(g, limits: scenario.limits, settings: scenario.validity) { validity["gateway"] = v }
        r.validity = validity.isEmpty ? nil : validity
        r.host = r.feed?.host ?? r.gateway?.values.compactMap(\.host).first
        if let c = r.capacity {
            // A ramp is judged by its knee, not by the limits of one step or a baseline.
            r.verdict = CapacityRamp.verdict(c)
            return r
        }
        let invalid = validity.filter { !$0.value.valid }.mapValues(\.reasons)
        var baseline: [(id: Int64, metrics: [Metric])] = []
        do { baseline = try store?.baseline(scenario: r.scenario, id: scenario.baseline.run, window: scenario.baseline.window) ?? [] } catch {
            r.errors.append("baseline not read: \(error.description)")
        }
        r.verdict = Judge.verdict(limits: r.limits, current: r.metrics, baseline: baseline, settings: scenario.baseline, invalid: invalid)
        r.limits = r.limits.map { l in
            var l = l
            if invalid[Metric.leg(of: l.limit)] != nil { l.judged = false }
            return l
        }
        if r.partial, var v = r.verdict {
            v.status = v.status == .pass ? .fail : v.status
            v.passed = false
            v.summary = "PARTIAL: " + v.summary
            r.verdict = v
        }
        return r
    }

    /// Judges, stores (one transaction) and writes the run (result.json, report.html, …). Nothing is
    /// lost: when the history cannot be written the files are still written (to `run-unsaved-<time>`)
    /// and the failure comes back as `historyError` beside them.
    public func finish(_ run: RunResult) throws(RehearseError) -> FinishedRun {
        var r = judge(run)
        var historyError: RehearseError?
        if let store {
            do { r.id = try store.record(r, metrics: r.metrics) } catch {
                historyError = RehearseError(error)
                r.errors.append("not stored in the history: \(error.description)")
            }
        } else {
            historyError = RehearseError(.usage, "a shard stores nothing: the merge stores the run")
        }
        let name = r.id.map { "run-\($0)" } ?? "run-unsaved-" + r.started.utc.filter { $0.isNumber }
        let directory = scenario.outputs.directory + "/" + name
        do { _ = try RunReport.write(r, to: directory) } catch {
            throw RehearseError(.input, "output directory \(directory): \(error.localizedDescription)"
                                + (r.id.map { " (the run is in the history as \($0))" } ?? " (and the history failed: \(historyError?.message ?? "-"))"))
        }
        return FinishedRun(result: r, directory: directory, historyError: historyError)
    }
}

/// A judged run, its files' directory, and the history's failure if it could not be stored.
public struct FinishedRun: Sendable {
    public var result: RunResult
    public var directory: String
    public var historyError: RehearseError?
}

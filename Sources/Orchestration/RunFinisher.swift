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
    let store: HistoryStore
    public let startedAt: Int64

    /// Opens the history and checks the output directory can be written (input errors otherwise).
    public init(scenario: Scenario) throws(RehearseError) {
        self.scenario = scenario
        do { store = try HistoryStore(path: scenario.outputs.history) } catch { throw RehearseError(error) }
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

    /// An empty result for this run: scenario, start time and environment.
    public func start() -> RunResult {
        var inputs = [scenario.feed?.capture, scenario.gateway?.capture, scenario.compare?.a, scenario.compare?.b].compactMap { $0 }
        inputs = Array(Set(inputs)).sorted()
        let environment = RunEnvironment.current(scenarioText: scenario.text, inputs: inputs, toolVersion: ToolVersion.current)
        return RunResult(scenario: scenario.name, scenarioPath: scenario.path, started: TimePoint(startedAt), environment: environment)
    }

    /// Judges, stores (one transaction) and writes the run; returns it with its id and its directory.
    public func finish(_ run: RunResult) throws(RehearseError) -> (RunResult, String) {
        var r = run
        r.finished = TimePoint(Clock.realtime())
        r.limits = r.checkLimits(scenario.limits)
        let metrics = r.metrics
        let baseline: (id: Int64, metrics: [Metric])?
        do { baseline = try store.baseline(scenario: r.scenario, id: scenario.baseline.run) } catch { throw RehearseError(error) }
        r.verdict = Judge.verdict(limits: r.limits, current: metrics, baseline: baseline, settings: scenario.baseline)
        if r.partial, var v = r.verdict {
            v.passed = false
            v.summary = "PARTIAL: " + v.summary
            r.verdict = v
        }
        do { r.id = try store.record(r, metrics: metrics) } catch { throw RehearseError(error) }
        let directory = scenario.outputs.directory + "/run-\(r.id!)"
        do { _ = try RunReport.write(r, to: directory) } catch {
            throw RehearseError(.input, "output directory \(directory): \(error.localizedDescription) (the run is in the history as \(r.id!))")
        }
        return (r, directory)
    }
}

import ArgumentParser
import Orchestration
import Foundation
import Vocabulary
import Engines
import Measure
import Reporting

/// `rehearse history`: the runs, and the trend of a metric.
struct History: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "List the stored runs (newest first) with their verdicts, or the trend of one metric across runs.",
        discussion: """
        Metrics are named as in the result: feed.<target>.latencyP50 / latencyP99 / latencyP999 / \
        latencyMax / lost / throughput, gateway.<target>.latencyP50 / latencyP99 / unanswered / \
        requestsPerSecond, the paired feed.<new>/<old>.latencyP50 / latencyP99 and \
        gateway.<new>/<old>.latencyP99, compare.lagP99, compare.missingOnB, feed.sender.latenessP50 and \
        gateway.sender.latenessP50 (the test host's load). With --metric, the noise band of the figure's \
        per-interval samples over the last valid runs and their run-to-run band are shown under the trend \
        (give --scenario to choose the runs). Exit codes: 0 listed · 2 an unknown metric (the known \
        ones are listed) · 3 the history cannot be read (locked, corrupt, missing).
        """)

    @Option(help: "The history file.")
    var history = "out/history.sqlite"
    @Option(help: "Only runs of this scenario (its name).")
    var scenario: String?
    @Option(help: "Show this metric across runs instead of the run list.")
    var metric: String?
    @Option(help: "How many runs.")
    var limit = 30

    func run() throws {
        guard FileManager.default.fileExists(atPath: history) else { throw RehearseError(.input, "history \(history): no such file (run a scenario first)") }
        let store: HistoryStore
        do { store = try HistoryStore(path: history) } catch { throw RehearseError(error) }
        do {
            if let metric {
                let points = try store.trend(metric: metric, scenario: scenario, limit: limit)
                guard !points.isEmpty else {
                    let names = try store.metricNames(scenario: scenario)
                    throw RehearseError(.usage, "--metric \(metric): no stored run has it"
                                        + (names.isEmpty ? " (the history has no figures yet)" : "; known metrics: " + names.joined(separator: ", ")))
                }
                let values = points.map(\.2)
                let low = values.min()!, high = values.max()!
                let rows = points.map { p -> [String] in
                    let bar = high > low ? String(repeating: "█", count: Int(((p.2 - low) / (high - low) * 30).rounded()) + 1) : "█"
                    let text = metric.contains("latency") || metric.contains("lag") ? TimeFormat.duration(Int64(p.2)) : Text.rate(p.2)
                    return ["\(p.0)", String(p.1.prefix(19)), text, "\(p.3)", bar]
                }
                print("\(metric)\n" + Text.table(["run", "started", "value", "samples", ""], rows, numeric: [2, 3]))
                if let scenario {
                    let window = try store.baseline(scenario: scenario, id: nil, window: 5)
                    let samples = window.flatMap { run in run.metrics.first { $0.key == metric }?.intervals ?? [] }.sorted()
                    if samples.count >= 5 {
                        func at(_ q: Double) -> Double { samples[Int((Double(samples.count - 1) * q).rounded())] }
                        let show: (Double) -> String = { v in
                            metric.contains("/") ? TimeFormat.format(v, 3) : metric.contains("latency") || metric.contains("lag") ? TimeFormat.duration(Int64(v)) : Text.rate(v)
                        }
                        print("noise band over the last \(window.count) valid runs without a regression (\(samples.count) per-interval samples): "
                              + "median \(show(at(0.5))), 5–95 % \(show(at(0.05)))–\(show(at(0.95)))")
                        let medians = window.compactMap { run in SampleStatistics.median(run.metrics.first { $0.key == metric }?.intervals ?? []) }
                        if medians.count >= Judge.minimumRuns, let band = SampleStatistics.predictionInterval(medians, confidence: 0.99) {
                            print("run-to-run band (99 %: where one more run's median falls when only the host's noise changed): "
                                  + "\(show(max(0, band.low)))–\(show(band.high)) from \(medians.count) runs' medians")
                        }
                    }
                }
            } else {
                let runs = try store.runs(scenario: scenario, limit: limit)
                let rows = runs.map { ["\($0.id)", String($0.started.prefix(19)), $0.scenario, $0.passed ? "PASS" : $0.summary.hasPrefix("INCONCLUSIVE") ? "INCONCLUSIVE" : "FAIL", $0.partial ? "partial" : "", $0.summary] }
                print(Text.table(["run", "started", "scenario", "", "", "verdict"], rows, numeric: []))
            }
        } catch let e as HistoryError { throw RehearseError(.input, e.description) }
    }
}

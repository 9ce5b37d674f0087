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
        requestsPerSecond, compare.lagP99, compare.missingOnB. Exit codes: 0 listed · 3 the history \
        cannot be read (locked, corrupt, missing).
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
                guard !points.isEmpty else { print("no run has \(metric)"); return }
                let values = points.map(\.2)
                let low = values.min()!, high = values.max()!
                let rows = points.map { p -> [String] in
                    let bar = high > low ? String(repeating: "█", count: Int(((p.2 - low) / (high - low) * 30).rounded()) + 1) : "█"
                    let text = metric.contains("latency") || metric.contains("lag") ? TimeFormat.duration(Int64(p.2)) : Text.rate(p.2)
                    return ["\(p.0)", String(p.1.prefix(19)), text, "\(p.3)", bar]
                }
                print("\(metric)\n" + Text.table(["run", "started", "value", "samples", ""], rows, numeric: [2, 3]))
            } else {
                let runs = try store.runs(scenario: scenario, limit: limit)
                let rows = runs.map { ["\($0.id)", String($0.started.prefix(19)), $0.scenario, $0.passed ? "PASS" : "FAIL", $0.partial ? "partial" : "", $0.summary] }
                print(Text.table(["run", "started", "scenario", "", "", "verdict"], rows, numeric: []))
            }
        } catch { throw RehearseError(.input, error.description) }
    }
}

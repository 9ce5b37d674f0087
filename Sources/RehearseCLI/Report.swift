import ArgumentParser
import Orchestration
import Foundation
import Vocabulary
import Reporting

/// `rehearse report RESULT`: render a stored result again.
struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Render a stored run again: from a result.json or a history run id, as text, json, html, hgrm, hlog or csv.",
        discussion: """
        RESULT is a result.json written by run or capacity, or a run id in the history (--history). html \
        writes one self-contained page; hgrm writes one .hgrm file per latency series (HdrHistogram's \
        plotter reads them); hlog the HdrHistogram interval log of every latency series (format 1.3, \
        docs/formats/histograms.md); csv the per-interval throughput (and the capacity curve). Exit codes: 0 \
        rendered · 2 bad options · 3 the result or history cannot be read, or the output cannot be written.
        """)

    @Argument(help: "A result.json, or a run id in the history.")
    var result: String
    @Option(help: "text, json, html, hgrm, hlog or csv.")
    var format = "text"
    @Option(name: .shortAndLong, help: "Output file (html, json, hlog, csv) or directory (hgrm); default: standard output (a directory named after the run for hgrm).")
    var output: String?
    @Option(help: "History to read run ids from.")
    var history = "out/history.sqlite"

    func run() throws {
        guard ["text", "json", "html", "hgrm", "hlog", "csv"].contains(format) else {
            throw RehearseError(.usage, "--format \(format): use text, json, html, hgrm, hlog or csv")
        }
        let r: RunResult
        if let id = Int64(result) {
            let store: HistoryStore
            do { store = try HistoryStore(path: history) } catch { throw RehearseError(error) }
            do {
                guard let found = try store.result(id) else { throw RehearseError(.input, "history \(history): no run \(id)") }
                r = found
            } catch let e as RehearseError { throw e } catch { throw RehearseError(.input, "\(error)") }
        } else {
            do { r = try JSONDecoder().decode(RunResult.self, from: Data(contentsOf: URL(fileURLWithPath: result))) } catch {
                throw RehearseError(.input, "\(result): not a rehearse.run/1 result (\(error.localizedDescription))")
            }
        }
        func emit(_ text: String) throws {
            guard let output else { print(text, terminator: text.hasSuffix("\n") ? "" : "\n"); return }
            do { try text.write(toFile: output, atomically: true, encoding: .utf8) } catch {
                throw RehearseError(.input, "\(output): cannot be written (\(error.localizedDescription))")
            }
        }
        switch format {
        case "json": try emit(try jsonText(r))
        case "html": try emit(RunReport.html(r))
        case "hlog":
            guard let log = RunReport.hlog(r) else {
                throw RehearseError(.input, "\(result): no interval histograms (results written before Rehearse kept whole histograms)")
            }
            try emit(log)
        case "csv":
            var text = RunReport.intervalsCSV(r) ?? ""
            if let c = r.capacity { text += (text.isEmpty ? "" : "\n") + RunReport.capacityCSV(c) }
            try emit(text)
        case "hgrm":
            let directory = output ?? "run-\(r.id.map(String.init) ?? "result")-hgrm"
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
                for (name, text) in RunReport.hgrm(r).sorted(by: { $0.key < $1.key }) {
                    try text.write(toFile: directory + "/" + name, atomically: true, encoding: .utf8)
                    print(directory + "/" + name)
                }
            } catch { throw RehearseError(.input, "\(directory): cannot be written (\(error.localizedDescription))") }
        default: try emit(RunText.render(r))
        }
    }
}

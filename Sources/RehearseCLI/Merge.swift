import ArgumentParser
import Foundation
import Measure
import Orchestration
import Reporting
import Results
import Scenario
import Synchronization
import Vocabulary

/// `rehearse merge RESULT…`: shard results put together.
struct Merge: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Put the results of every shard of one job together (compare, inspect, replay, bench, gateway and run --shard): exactly what one process would have reported; a run's merge is judged, stored and reported as one run.",
        discussion: """
        Each RESULT is one shard's --json output (INDEX/COUNT from --shard); every shard of the job must be \
        given, once. The merged result is printed as the command itself prints it (text, or --json), and \
        judged the same way. Exit codes: as the merged command's (compare: 0, 1 when B missed more than \
        --max-missing or a message differs, 3 when a capture could not be read) · 2 bad options · 3 a result \
        that cannot be read, is not a shard's, or does not belong with the others (named).
        """)

    @Argument(help: "The shards' results (--json files).")
    var results: [String]
    @Option(help: "compare: messages of A that B may miss before the merged compare fails (exit 1).")
    var maxMissing: UInt64 = 0
    @Option(help: "run: the scenario file the shards ran (default: the path the shards recorded); its history and output directory take the merged run.")
    var scenario: String?
    @Option(help: "run: override the scenario's outputs.history for the merged run (a scenario mounted read-only, as on Kubernetes).")
    var history: String?
    @Option(help: "run: override the scenario's outputs.directory for the merged run.")
    var output: String?
    @Flag(help: "Print the merged result as JSON.")
    var json = false

    func run() throws {
        guard !results.isEmpty else { throw RehearseError(.usage, "give the shards' results") }
        var schemas: [(path: String, schema: String, data: Data)] = []
        for path in results {
            let data: Data
            do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
                throw RehearseError(.input, "\(path): cannot be read (\(error.localizedDescription))")
            }
            guard let schema = Self.schema(of: data) else {
                let ends = data.last(where: { ![0x20, 0x0A, 0x0D, 0x09].contains($0) }) == UInt8(ascii: "}")
                throw RehearseError(.input, "\(path): " + (ends ? "not a Rehearse JSON result (no \"schema\")"
                                                                : "not a whole JSON result (truncated, or not JSON: it does not end its object)"))
            }
            schemas.append((path, schema, data))
        }
        let kinds = Set(schemas.map(\.schema))
        guard kinds.count == 1, let schema = kinds.first else {
            throw RehearseError(.input, "results of different kinds given together: \(schemas.map { "\($0.path) is \($0.schema)" }.joined(separator: ", "))")
        }
        switch schema {
        case ComparisonReport.schemaVersion:
            try mergeComparisons(schemas.map { ($0.path, $0.data) })
        case InspectReport.schemaVersion:
            try mergeInspections(schemas.map { ($0.path, $0.data) })
        case ReplayResult.schemaVersion:
            try mergeReplays(schemas.map { ($0.path, $0.data) })
        case BenchResult.schemaVersion:
            try mergeBenches(schemas.map { ($0.path, $0.data) })
        case RunResult.schemaVersion:
            try mergeRuns(schemas.map { ($0.path, $0.data) })
        case SessionReplayResult.schemaVersion:
            try mergeGateways(schemas.map { ($0.path, $0.data) })
        default:
            throw RehearseError(.input, "\(schemas[0].path): \(schema) results are not merged (compare, inspect, replay, bench, gateway and run shards are)")
        }
    }

    /// The result's `"schema": "…"`, found in its text (a whole parse of each result, only to read
    /// this, took a quarter of a merge); the decode that follows checks the rest.
    static func schema(of data: Data) -> String? {
        // A plain scan of the bytes for the top-level key (a bench result nests its replay's schema):
        // strings skipped with their escapes, depth counted. Foundation's generic `firstRange(of:)` on
        // Data took half a merge.
        let bytes = [UInt8](data)
        let key = Array("\"schema\"".utf8)
        let quote = UInt8(ascii: "\""), space: Set<UInt8> = [0x20, 0x0A, 0x0D, 0x09]
        var depth = 0, i = 0, inString = false, escaped = false
        var nested: String?  // the first schema one level down (`gateway --json`: a result per gateway)
        guard bytes.first(where: { !space.contains($0) }) == UInt8(ascii: "{") else { return nil }
        while i < bytes.count {
            let b = bytes[i]
            if inString {
                if escaped { escaped = false } else if b == UInt8(ascii: "\\") { escaped = true } else if b == quote { inString = false }
                i += 1
                continue
            }
            switch b {
            case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"): depth -= 1
            case quote:
                if depth <= 2 && i + key.count <= bytes.count && bytes[i..<(i + key.count)].elementsEqual(key) {
                    var j = i + key.count
                    while j < bytes.count && space.contains(bytes[j]) { j += 1 }
                    if j < bytes.count && bytes[j] == UInt8(ascii: ":") {
                        j += 1
                        while j < bytes.count && space.contains(bytes[j]) { j += 1 }
                        guard j < bytes.count, bytes[j] == quote, let end = bytes[(j + 1)...].firstIndex(of: quote) else { return nil }
                        let value = String(decoding: bytes[(j + 1)..<end], as: UTF8.self)
                        if depth == 1 { return value }
                        nested = nested ?? value
                    }
                }
                inString = true
            default: break
            }
            i += 1
        }
        return nested
    }

    /// Every result decoded, on every CPU (decoding is most of a merge); the first that cannot be
    /// decoded is named.
    static func decode<Result: Decodable & Sendable>(_ type: Result.Type, _ files: [(path: String, data: Data)], what: String) throws -> [Result] {
        let decoded = Mutex<[Swift.Result<Result, RehearseError>?]>(Array(repeating: nil, count: files.count))
        DispatchQueue.concurrentPerform(iterations: files.count) { i in
            let outcome: Swift.Result<Result, RehearseError>
            do { outcome = .success(try JSONDecoder().decode(Result.self, from: files[i].data)) } catch {
                outcome = .failure(RehearseError(.input, "\(files[i].path): not \(what) result this version reads (\(error))"))
            }
            decoded.withLock { $0[i] = outcome }
        }
        return try decoded.withLock { $0 }.map { try $0!.get() }
    }

    /// Replay shards: the merged replay printed as `replay` prints it, judged the same way (a shard's
    /// capture fault is the merged replay's, exit 3).
    func mergeReplays(_ files: [(path: String, data: Data)]) throws {
        let parts = try Self.decode(ReplayResult.self, files, what: "a replay")
        let merged: ReplayResult
        do { merged = try ReplayResult.merge(parts) } catch { throw RehearseError(.input, "merge: \(error.description)") }
        print(json ? try jsonText(merged) : ReplayText.result(merged))
        if let error = merged.error { throw RehearseError(.input, "\(error) (results above are up to that point)") }
        let (status, inconclusive) = ReplayOutcome.verdict(merged, failure: nil)
        if let inconclusive { printError("rehearse: inconclusive: \(inconclusive)") }
        if status != .success { throw ExitCode(status.rawValue) }
    }

    /// Bench shards: the merged bench judged as one (validity on the merged figures and the least
    /// healthy host, the same exit codes), printed as `bench` prints it.
    func mergeBenches(_ files: [(path: String, data: Data)]) throws {
        let parts = try Self.decode(BenchResult.self, files, what: "a bench")
        var merged: BenchResult
        do { merged = try BenchResult.merge(parts) } catch { throw RehearseError(.input, "merge: \(error.description)") }
        merged.validity = LegValidity.feed(merged, limits: ScenarioLimits(), ownFigures: true)
        let (status, reasons) = BenchOutcome.status(merged, failure: nil)
        print(json ? try jsonText(merged) : BenchText.render(merged))
        if let error = merged.replay.error { printError("rehearse: \(error) (results above are up to that point)") }
        for r in reasons { printError("rehearse: \(r)") }
        if merged.replay.error != nil { throw ExitCode(ExitStatus.input.rawValue) }
        if status != .success { throw ExitCode(status.rawValue) }
    }

    /// Run shards: merged, then judged, stored in the history and reported as one run of the scenario.
    func mergeRuns(_ files: [(path: String, data: Data)]) throws {
        let parts = try Self.decode(RunResult.self, files, what: "a run")
        let path = scenario ?? parts[0].scenarioPath
        var loaded: Scenario
        do { loaded = try Scenario.load(path) } catch { throw RehearseError(error) }
        if let history { loaded.outputs.history = history }
        if let output { loaded.outputs.directory = output }
        // A ramp's shards (capacity --shard) carry their steps; a run's, its legs.
        let outcome = parts[0].capacity != nil ? try CapacityRamp.merge(parts, scenario: loaded) : try ScenarioRun.merge(parts, scenario: loaded)
        if json { print(try jsonText(outcome.result)) } else if let c = outcome.result.capacity {
            print(CapacityText.render(c) + (outcome.result.verdict.map { "\nverdict: \($0.summary)" } ?? ""))
        } else {
            print(RunText.render(outcome.result))
        }
        printError("rehearse: report: \(outcome.directory)/report.html · history: \(loaded.outputs.history) (run \(outcome.result.id.map(String.init) ?? "-"))")
        for e in outcome.result.errors { printError("rehearse: \(e)") }
        if outcome.status != .success { throw ExitCode(outcome.status.rawValue) }
    }

    /// Gateway shards (`gateway --shard`, one `{gateway name: result}` object each): each gateway's
    /// replays merged, printed and judged as `gateway` does.
    func mergeGateways(_ files: [(path: String, data: Data)]) throws {
        let parts = try Self.decode([String: SessionReplayResult].self, files, what: "a gateway")
        let names = parts[0].keys.sorted()
        for (k, p) in parts.enumerated() where p.keys.sorted() != names {
            throw RehearseError(.input, "merge: \(files[k].path) replayed to gateways \(p.keys.sorted()), not \(names)")
        }
        var results: [SessionReplayResult] = []
        for name in names {
            do { results.append(try SessionReplayResult.merge(parts.map { $0[name]! })) } catch {
                throw RehearseError(.input, "merge: \(name): \(error.description)")
            }
        }
        let byName = Dictionary(uniqueKeysWithValues: zip(names, results))
        let validity = LegValidity.gateway(byName, limits: ScenarioLimits(), ownFigures: true)
        print(json ? try jsonText(byName) : GatewayText.render(names: names, results, validity: validity))
        if let failure = GatewayBench.failure(names: names, results) { throw failure }
        if let fault = parts.first?.values.first?.shard?.captureError { throw RehearseError(.input, "\(fault) (results above are up to that point)") }
        if results.contains(where: \.interrupted) { throw ExitCode(ExitStatus.interrupted.rawValue) }
        if let validity, !validity.valid {
            printError("rehearse: inconclusive: the test host, not the gateways, was measured — " + validity.reasons.joined(separator: "; "))
            throw ExitCode(ExitStatus.inconclusive.rawValue)
        }
    }

    func mergeInspections(_ files: [(path: String, data: Data)]) throws {
        let parts = try Self.decode(InspectReport.self, files, what: "an inspect")
        let merged: InspectReport
        do { merged = try InspectReport.merge(parts) } catch { throw RehearseError(.input, "merge: \(error.description)") }
        if !json { for file in merged.files { print(InspectText.render(file, maximumStreams: 20)) } }
        try Inspect.finish(merged.files, json: json)
    }

    func mergeComparisons(_ files: [(path: String, data: Data)]) throws {
        let parts = try Self.decode(ComparisonReport.self, files, what: "a compare")
        let merged: ComparisonReport
        do { merged = try ComparisonReport.merge(parts) } catch { throw RehearseError(.input, "merge: \(error.description)") }
        let captures = parts[0].shard?.captures ?? []
        let a = CompareSource(name: merged.a, path: captures.first ?? merged.a, filter: nil)
        let b = CompareSource(name: merged.b, path: captures.last ?? merged.b, filter: nil)
        if json { print(try jsonText(merged)) } else { print(CompareText.render(merged, a: a, b: b)) }
        try CompareText.judge(merged, maximumMissing: maxMissing)
    }
}

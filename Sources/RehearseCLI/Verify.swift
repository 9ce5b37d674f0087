import ArgumentParser
import Orchestration
import Vocabulary
import Capture
import Foundation
import Engines
import Measure
import Replay
import Results
import Scenario
import Transport

/// `rehearse verify SCENARIO`: the pre-rollout verification checklist.
struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The pre-rollout checklist: every gateway accepts a TCP connection, a FIX logon and logout; every feed line delivers valid OMD with advancing sequence numbers.",
        discussion: """
        Targets, gateways (address, CompIDs, FIX version) and feed lines (endpoints, interface) come from the \
        scenario file (docs/scenario.md). All checks run at once, each within the scenario's verify.timeout \
        (default 5s). Prints PASS/FAIL per item with the reason. Exit codes: 0 every item passed · 1 an item \
        failed · 2 the scenario file is missing, not YAML, or has an unknown key or a bad value (file, line \
        and key are named).
        """)

    @Argument(help: "Scenario file (YAML).")
    var scenario: String
    @Option(help: "Per-check timeout, overriding the scenario's verify.timeout (e.g. 10s).")
    var timeout: String?
    @Flag(help: "Print the checklist as JSON (schema rehearse.verify/1).")
    var json = false

    func run() throws {
        var s: Scenario
        do { s = try Scenario.load(scenario) } catch { throw RehearseError(error) }
        if let t = try parseDurationOption(timeout, "--timeout") {
            guard t > 0 else { throw RehearseError(.usage, "--timeout must be above 0") }
            s.verify.timeout = t
        }
        let verification = try Verification(scenario: s)
        if !json {
            let n = verification.itemCount, p = verification.probeCount
            print("verify \(s.path): \(s.name) — \(n) item\(n == 1 ? "" : "s") from \(p) probe\(p == 1 ? "" : "s") run at once, "
                  + "timeout \(TimeFormat.duration(s.verify.timeout)) each")
        }
        let report = verification.run()
        if json { print(try jsonText(report)) } else { print(VerifyText.render(report)) }
        let status = Verification.status(report)
        if status != .success { throw ExitCode(status.rawValue) }
    }
}

enum VerifyText {
    static func render(_ r: VerifyReport) -> String {
        let rows = r.items.map { [$0.passed ? "PASS" : $0.skipped ? "SKIPPED" : "FAIL", $0.target, $0.item, $0.detail] }
        var out = Text.table(["", "target", "item", "detail"], rows, numeric: [])
        if r.passed {
            out += "\nall \(r.items.count) items passed"
        } else {
            out += "\n\(r.failed) of \(r.items.count) items FAILED"
                + (r.skipped > 0 ? ", \(r.skipped) SKIPPED (not tried: a step before them failed)" : "")
        }
        return out
    }
}

import ArgumentParser
import Capture
import Foundation
import Measure
import Replay
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
        do { s = try Scenario.load(scenario) } catch { throw RehearseError(.usage, error.description) }
        if let t = try parseDurationOption(timeout, "--timeout") {
            guard t > 0 else { throw RehearseError(.usage, "--timeout must be above 0") }
            s.verify.timeout = t
        }
        var checks: [@Sendable () -> [CheckItem]] = []
        for target in s.targets {
            if let g = target.gateway {
                var probe = GatewayProbe(target: target.name, address: g.address, senderCompID: g.senderCompID, targetCompID: g.targetCompID)
                probe.beginString = g.fixVersion
                probe.heartbeatSeconds = Int(max(1, g.heartbeat / 1_000_000_000))
                probe.username = g.username
                probe.password = g.password
                probe.timeout = s.verify.timeout
                let ready = probe
                checks.append { ready.run() }
            }
            for line in target.lines {
                var probe = FeedLineProbe(target: target.name, line: line.name, endpoints: line.endpoints)
                probe.packets = s.verify.packets
                probe.timeout = s.verify.timeout
                if let interface = line.interface {
                    let resolved: (address: IPAddress?, index: Int)
                    do { resolved = try resolveInterface(interface) } catch {
                        throw RehearseError(.usage, "\(s.path): targets.\(target.name) line \(line.name): interface \(interface): no such interface")
                    }
                    probe.receiver.multicastInterface = resolved.address
                    probe.receiver.multicastInterfaceIndex = resolved.index
                }
                probe.receiver.multicastSource = line.source
                let ready = probe
                checks.append { ready.run() }
            }
        }
        if !json { print("verify \(s.path): \(s.name) — \(checks.count) check\(checks.count == 1 ? "" : "s"), timeout \(TimeText.duration(s.verify.timeout)) each") }
        let items = PreRolloutCheck.run(checks)
        let report = VerifyReport(scenario: s.path, name: s.name, items: items)
        if json { print(try jsonText(report)) } else { print(VerifyText.render(report)) }
        if !report.passed { throw ExitCode(ExitStatus.limitFailed.rawValue) }
    }
}

/// The checklist (schema `rehearse.verify/1`).
struct VerifyReport: Codable {
    var schema = "rehearse.verify/1"
    var scenario: String
    var name: String
    var passed: Bool
    var failed: Int
    var items: [CheckItem]

    init(scenario: String, name: String, items: [CheckItem]) {
        self.scenario = scenario
        self.name = name
        self.items = items
        failed = items.filter { !$0.passed }.count
        passed = failed == 0 && !items.isEmpty
    }
}

enum VerifyText {
    static func render(_ r: VerifyReport) -> String {
        let rows = r.items.map { [$0.passed ? "PASS" : "FAIL", $0.target, $0.item, $0.detail] }
        var out = Text.table(["", "target", "item", "detail"], rows, numeric: [])
        out += "\n" + (r.passed ? "all \(r.items.count) items passed" : "\(r.failed) of \(r.items.count) items FAILED")
        return out
    }
}

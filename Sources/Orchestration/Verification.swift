import Replay
import Results
import Scenario
import Transport
import Vocabulary
import Measure

/// The pre-rollout checklist of a scenario: for every target, its gateway accepts a TCP connection,
/// a FIX Logon and a Logout; every feed line delivers valid OMD with advancing sequence numbers. All
/// checks run at once, each within `verify.timeout`.
public struct Verification: Sendable {
    public let scenario: Scenario
    let checks: [@Sendable () -> [CheckItem]]

    /// Builds the probes; a line's interface that does not exist is a configuration error naming it.
    public init(scenario: Scenario) throws(RehearseError) {
        self.scenario = scenario
        var checks: [@Sendable () -> [CheckItem]] = []
        var items = 0
        for target in scenario.targets {
            if let g = target.gateway {
                items += GatewayProbe.steps.count
                var probe = GatewayProbe(target: target.name, address: g.address, senderCompID: g.senderCompID, targetCompID: g.targetCompID)
                probe.beginString = g.fixVersion
                probe.heartbeatSeconds = Int(max(1, g.heartbeat / 1_000_000_000))
                probe.username = g.username
                probe.password = g.password
                probe.timeout = scenario.verify.timeout
                let ready = probe
                checks.append { ready.run() }
            }
            for line in target.lines {
                items += line.endpoints.count
                var probe = FeedLineProbe(target: target.name, line: line.name, endpoints: line.endpoints)
                probe.packets = scenario.verify.packets
                probe.feedProtocol = line.feedProtocol
                probe.timeout = scenario.verify.timeout
                if let interface = line.interface {
                    let resolved: (address: IPAddress?, index: Int)
                    do { resolved = try NetworkInterface.resolve(interface) } catch {
                        throw RehearseError(.usage, "\(scenario.path): targets.\(target.name) line \(line.name): interface \(interface): no such interface")
                    }
                    probe.receiver.multicastInterface = resolved.address
                    probe.receiver.multicastInterfaceIndex = resolved.index
                }
                probe.receiver.multicastSource = line.source
                let ready = probe
                checks.append { ready.run() }
            }
        }
        self.checks = checks
        itemCount = items
    }

    /// Checklist items the probes report: three per gateway (connect, logon, logout), one per feed endpoint.
    public let itemCount: Int

    /// Probes to run (a gateway probe or a feed line probe each; one probe may report several items).
    public var probeCount: Int { checks.count }

    /// Runs every probe at once and returns the checklist (blocks up to about one timeout).
    public func run() -> VerifyReport {
        VerifyReport(scenario: scenario.path, name: scenario.name, items: PreRolloutCheck.run(checks))
    }

    /// A checklist with a failed item fails its limit; an empty checklist too.
    public static func status(_ report: VerifyReport) -> ExitStatus { report.passed ? .success : .limitFailed }
}

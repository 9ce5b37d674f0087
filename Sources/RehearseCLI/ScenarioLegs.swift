import Capture
import Foundation
import Measure
import OrderEntry
import Replay
import Reporting
import Scenario
import Transport

/// Runs the legs a scenario describes (feed bench, gateway replay, compare) through the library,
/// as the `bench`, `gateway` and `compare` commands do; an interrupt stops the leg under way.
final class ScenarioLegs: @unchecked Sendable {
    let scenario: Scenario
    private let lock = NSLock()
    private var stopCurrent: (@Sendable () -> Void)?
    private(set) var interrupted = false

    init(_ scenario: Scenario) { self.scenario = scenario }

    /// Stops the leg under way and every later one (Ctrl-C, SIGTERM).
    func interrupt() {
        lock.lock()
        interrupted = true
        let stop = stopCurrent
        lock.unlock()
        stop?()
    }

    private func running(_ stop: @escaping @Sendable () -> Void) {
        lock.lock()
        stopCurrent = stop
        let already = interrupted
        lock.unlock()
        if already { stop() }
    }

    /// The feed targets: every scenario target with `feed.send`/`feed.receive`.
    var feedTargets: [BenchTarget] {
        scenario.targets.compactMap { t in t.feed.map { BenchTarget(name: t.name, send: $0.send, receive: $0.receive) } }
    }

    /// The feed leg at `speed` × recorded: the bench result, or why it could not run.
    func feed(speed: Double) -> Result<BenchResult, LegError> {
        guard let leg = scenario.feed else { return .failure(LegError("no feed: section")) }
        let targets = feedTargets
        guard !targets.isEmpty else { return .failure(LegError("feed: no target has feed.send and feed.receive")) }
        var selection = Selection()
        selection.filter = leg.filter
        selection.to = leg.until
        var options = ReplayOptions()
        options.pacing = .speed(speed)
        let bench: FeedBench
        do {
            bench = try FeedBench(path: leg.capture, selection: selection, targets: targets, options: options, drain: leg.drain)
        } catch {
            // The capture (or the plan over it) is an input problem; sockets are the targets'.
            var input = true
            if case .player(.target) = error { input = false }
            if case .receiver = error { input = false }
            return .failure(LegError("feed: \(error.description)", input: input))
        }
        let control = ReplayControl()
        running { control.stop() }
        var (result, failure) = bench.run(control: control)
        result.replay.error = failure?.description
        if let failure { return .failure(LegError("feed: \(failure.description)", input: true, partial: result)) }
        let refused = result.replay.targets.filter { $0.refused > 0 || $0.failed > 0 }
        if !refused.isEmpty {
            return .failure(LegError("feed: " + refused.map { "\($0.target) refused \($0.refused), failed \($0.failed)" }.joined(separator: "; "), partial: result))
        }
        return .success(result)
    }

    /// The gateway leg: every target with a gateway, driven at the same instants.
    func gateway() -> Result<[String: SessionReplayResult], LegError> {
        guard let leg = scenario.gateway else { return .failure(LegError("no gateway: section")) }
        let targets = scenario.targets.compactMap { t in t.gateway.map { (t.name, $0) } }
        guard !targets.isEmpty else { return .failure(LegError("gateway: no target has a gateway")) }
        let plan: SessionPlan
        if TransactionLog.looksLikeLog(leg.capture) {
            do { plan = SessionPlan(log: try TransactionLog(path: leg.capture)) } catch {
                return .failure(LegError("gateway: \(error.description)", input: true))
            }
        } else {
            do { plan = try SessionPlan(path: leg.capture) } catch { return .failure(LegError("gateway: \(error.description)", input: true)) }
        }
        guard !plan.sessions.isEmpty else { return .failure(LegError("gateway: \(leg.capture): no FIX client sessions", input: true)) }
        let players = targets.map { name, g -> SessionPlayer in
            var options = SessionReplayOptions()
            options.speed = leg.speed
            options.senderCompID = g.senderCompID
            options.targetCompID = g.targetCompID
            options.username = g.username
            options.password = g.password
            options.responseTimeout = leg.timeout
            return SessionPlayer(plan: plan, target: g.address, options: options)
        }
        running { players.forEach { $0.stop() } }
        let boxes = players.map { _ in Box<SessionReplayResult>() }
        let threads = zip(players, boxes).map { player, box in PinnedThread.start(name: "rehearse-fix") { box.set(player.run()) } }
        threads.forEach { $0.join() }
        let results = Dictionary(uniqueKeysWithValues: zip(targets.map(\.0), boxes.map { $0.value! }))
        let refused = results.values.flatMap(\.sessionFailures)
        if !refused.isEmpty { return .failure(LegError("gateway: " + refused.prefix(4).joined(separator: "; "), partialGateway: results)) }
        return .success(results)
    }

    /// The compare leg.
    func compare() -> Result<ComparisonReport, LegError> {
        guard let leg = scenario.compare else { return .failure(LegError("no compare: section")) }
        let report = FeedComparator.compare(CompareSource(name: "A", path: leg.a, filter: leg.filterA),
                                            CompareSource(name: "B", path: leg.b ?? leg.a, filter: leg.filterB), stallLimit: leg.stall)
        if let e = report.filterError { return .failure(LegError("compare: \(e)", input: true)) }
        if !report.errors.isEmpty {
            return .failure(LegError("compare: " + report.errors.joined(separator: "; "), input: true, partialCompare: report))
        }
        return .success(report)
    }
}

/// Why a leg failed, with what it measured before the fault.
struct LegError: Error, CustomStringConvertible {
    let description: String
    /// A capture or log that cannot be read (exit 3) rather than a target that refused (exit 4).
    var input = false
    var partial: BenchResult?
    var partialGateway: [String: SessionReplayResult]?
    var partialCompare: ComparisonReport?
    init(_ description: String, input: Bool = false, partial: BenchResult? = nil, partialGateway: [String: SessionReplayResult]? = nil,
         partialCompare: ComparisonReport? = nil) {
        self.description = description
        self.input = input
        self.partial = partial
        self.partialGateway = partialGateway
        self.partialCompare = partialCompare
    }
}

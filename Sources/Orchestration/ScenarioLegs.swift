import Vocabulary
import Capture
import Foundation
import Results
import Synchronization
import Engines
import Measure
import OrderEntry
import Replay
import Results
import Reporting
import Scenario
import Transport

/// Where the leg under way stands, for a progress line: which leg, how far its replay got and how late
/// its sender runs (feed legs), since when.
public struct LegProgress: Sendable, Equatable {
    /// "feed ×2.00", "gateway", "compare".
    public var leg: String
    /// Packets (feed legs) or requests (gateway legs) sent so far and in all; 0 of 0 for the others.
    public var sent: UInt64
    public var total: UInt64
    /// The sender's lateness p99 over the last progress interval (feed legs; 0 for the others), ns.
    public var latenessP99: Int64
    /// Monotonic ns when the leg began (feed legs: the replay's first deadline, once it is set).
    public var startedAt: Int64
    /// What `sent` counts: "packets" or "requests".
    public var unit: String = "packets"
}

/// Runs the legs a scenario describes (feed bench, gateway replay, compare) through the library,
/// as the `bench`, `gateway` and `compare` commands do; ``interrupt()`` stops the leg under way.
/// Each leg blocks its caller; ``interrupt()`` may come from any thread.
public final class ScenarioLegs: Sendable {
    public let scenario: Scenario
    /// The stop of the leg under way, and whether an interrupt came.
    private let state = Mutex<(stop: (@Sendable () -> Void)?, interrupted: Bool)>((nil, false))
    /// The leg under way: its name, its replay's control (feed legs), packets in all, start.
    private let current = Mutex<(leg: String, control: ReplayControl?, gateway: GatewayBench?, total: UInt64, started: Int64)?>(nil)

    /// Where the leg under way stands (any thread; nil between legs).
    public var progress: LegProgress? {
        current.withLock { c in
            c.map { c in
                let gateway = c.gateway?.progress
                return LegProgress(leg: c.leg, sent: c.control?.sent ?? gateway?.sent ?? 0, total: gateway?.total ?? c.total,
                                   latenessP99: c.control?.latenessP99 ?? 0, startedAt: c.control?.anchor ?? c.started,
                                   unit: gateway == nil ? "packets" : "requests")
            }
        }
    }

    private func begin(_ leg: String, control: ReplayControl? = nil, gateway: GatewayBench? = nil, total: UInt64 = 0) {
        current.withLock { $0 = (leg, control, gateway, total, Clock.monotonic()) }
    }

    private func end() { current.withLock { $0 = nil } }

    /// A shard of the run (`run --shard`): the feed leg benches and the compare leg compares this
    /// shard's channels only; `startAt` anchors the feed leg's schedule on every shard's host alike.
    public let shard: Shard?
    public let startAt: Int64?

    public init(_ scenario: Scenario, shard: Shard? = nil, startAt: Int64? = nil) {
        self.scenario = scenario
        self.shard = shard
        self.startAt = startAt
    }

    /// Whether ``interrupt()`` was called.
    public var interrupted: Bool { state.withLock { $0.interrupted } }

    /// Stops the leg under way and every later one (Ctrl-C, SIGTERM).
    public func interrupt() {
        let stop = state.withLock { s -> (@Sendable () -> Void)? in
            s.interrupted = true
            return s.stop
        }
        stop?()
    }

    private func running(_ stop: @escaping @Sendable () -> Void) {
        let already = state.withLock { s -> Bool in
            s.stop = stop
            return s.interrupted
        }
        if already { stop() }
    }

    /// The feed targets: every scenario target with `feed.send`/`feed.receive`.
    public var feedTargets: [BenchTarget] {
        scenario.targets.compactMap { t in
            t.feed.map { BenchTarget(name: t.name, send: $0.send, receive: $0.receive, recovery: $0.recover.isEmpty ? nil : RecoveryOptions(servers: $0.recover)) }
        }
    }

    /// The feed leg at `speed` × recorded: the bench result, or why it could not run. `startAt`
    /// (realtime ns) anchors its schedule, instead of the legs' own `startAt` (a sharded ramp's step).
    public func feed(speed: Double, startAt stepStart: Int64? = nil) -> Result<BenchResult, LegError> {
        guard let leg = scenario.feed else { return .failure(LegError("no feed: section")) }
        let targets = feedTargets
        guard !targets.isEmpty else { return .failure(LegError("feed: no target has feed.send and feed.receive")) }
        var selection = Selection()
        selection.filter = leg.filter
        selection.to = leg.until
        selection.shard = shard
        var options = ReplayOptions()
        options.pacing = .speed(speed)
        options.startAt = stepStart ?? startAt
        let bench: FeedBench
        do {
            bench = try FeedBench(path: leg.capture, selection: selection, targets: targets, options: options, drain: leg.drain)
        } catch {
            return .failure(LegError("feed", RehearseError(error)))
        }
        let control = ReplayControl()
        running { control.stop() }
        begin("feed ×\(TimeFormat.format(speed, 2))", control: control, total: bench.plan.packets)
        defer { end() }
        var (result, failure) = bench.run(control: control)
        result.replay.error = failure?.description
        if let failure { return .failure(LegError("feed", RehearseError(failure), partial: result)) }
        let refused = result.replay.targets.filter { $0.refused > 0 || $0.failed > 0 }
        if !refused.isEmpty {
            return .failure(LegError("feed", RehearseError(.target, refused.map { "\($0.target) refused \($0.refused), failed \($0.failed)" }.joined(separator: "; ")),
                                     partial: result))
        }
        if let silent = BenchOutcome.silence(result) { return .failure(LegError("feed", silent, partial: result)) }
        return .success(result)
    }

    /// The gateway leg: every target with a gateway, driven at the same instants.
    public func gateway() -> Result<[String: SessionReplayResult], LegError> {
        guard let leg = scenario.gateway else { return .failure(LegError("no gateway: section")) }
        let targets = scenario.targets.compactMap { t in t.gateway.map { (t.name, $0) } }
        guard !targets.isEmpty else { return .failure(LegError("gateway: no target has a gateway")) }
        var plan: SessionPlan
        do { plan = try GatewayBench.loadPlan(leg.capture).plan } catch { return .failure(LegError("gateway", error)) }
        if let shard {
            plan = plan.shard(shard)
            if plan.sessions.isEmpty { return .failure(LegError("gateway: shard \(shard) holds no session of the capture's \(plan.sessionsTotal)")) }
        }
        let bench = GatewayBench(plan: plan, targets: targets.map { name, g in
            var options = SessionReplayOptions()
            options.speed = leg.speed
            options.senderCompID = g.senderCompID
            options.targetCompID = g.targetCompID
            options.username = g.username
            options.password = g.password
            options.responseTimeout = leg.timeout
            // The agreed instant anchors the first leg; a gateway leg after a feed leg starts when it is reached.
            options.startAt = scenario.feed == nil ? startAt : nil
            return GatewayTarget(name: name, endpoint: g.address, options: options)
        })
        running { bench.stop() }
        begin("gateway", gateway: bench)
        defer { end() }
        let list = bench.run()
        let results = Dictionary(uniqueKeysWithValues: zip(targets.map(\.0), list))
        if let failure = GatewayBench.failure(names: targets.map(\.0), list) {
            return .failure(LegError("gateway", failure, partialGateway: results))
        }
        return .success(results)
    }

    /// The compare leg.
    public func compare() -> Result<ComparisonReport, LegError> {
        guard let leg = scenario.compare else { return .failure(LegError("no compare: section")) }
        begin("compare")
        defer { end() }
        let report = FeedComparator.compare(CompareSource(name: "A", path: leg.a, filter: leg.filterA),
                                            CompareSource(name: "B", path: leg.b ?? leg.a, filter: leg.filterB), stallLimit: leg.stall,
                                            shard: shard)
        if let e = report.filterError { return .failure(LegError("compare", RehearseError(.usage, e))) }
        if !report.errors.isEmpty {
            return .failure(LegError("compare", RehearseError(.input, report.errors.joined(separator: "; ")), partialCompare: report))
        }
        return .success(report)
    }
}

/// Why a leg failed — its kind in the failure taxonomy and the message — with what it measured
/// before the fault.
public struct LegError: Error, CustomStringConvertible, Sendable {
    public let failure: RehearseError
    public var partial: BenchResult?
    public var partialGateway: [String: SessionReplayResult]?
    public var partialCompare: ComparisonReport?

    /// A leg that failed with `failure`, its message prefixed by the leg's name.
    public init(_ leg: String, _ failure: RehearseError, partial: BenchResult? = nil,
                partialGateway: [String: SessionReplayResult]? = nil, partialCompare: ComparisonReport? = nil) {
        self.failure = RehearseError(failure.status, "\(leg): \(failure.message)")
        self.partial = partial
        self.partialGateway = partialGateway
        self.partialCompare = partialCompare
    }

    /// A leg the scenario does not describe well enough to run (a configuration error).
    public init(_ message: String) { failure = RehearseError(.usage, message) }

    public var status: ExitStatus { failure.status }
    public var description: String { failure.message }
}

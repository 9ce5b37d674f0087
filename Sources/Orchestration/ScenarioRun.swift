import Measure
import Replay
import Reporting
import Results
import Scenario
import Vocabulary

/// The outcome of a scenario run or a capacity ramp: the stored result, where its files are, and how
/// the job ends in the failure taxonomy (the process exit code).
public struct RunOutcome: Sendable {
    public var result: RunResult
    /// `outputs.directory/run-<id>`: result.json, report.html, .hgrm, CSV.
    public var directory: String
    public var status: ExitStatus
    /// The faults met on the way, one line each (also in `result.errors`).
    public var errors: [String] { result.errors }
}

/// The nightly job: the legs a scenario describes (feed bench, gateway replay, compare), then the
/// limits, the baseline verdict, the history and the report. A fault in one leg is recorded and the
/// other legs still run; the result is stored marked partial. Blocks its caller; ``stop()`` (any
/// thread) ends the leg under way and skips the rest, and what was measured is still stored.
public final class ScenarioRun: Sendable {
    public let scenario: Scenario
    let finisher: RunFinisher
    let legs: ScenarioLegs

    /// Checks the scenario has something to run and that its history and output directory can be used
    /// (nothing runs otherwise).
    /// With `shard` (`run --shard INDEX/COUNT`): the feed and compare legs run that shard's channels
    /// and the gateway leg its sessions (the feed and gateway timelines anchored at `startAt`),
    /// nothing is judged or stored, and ``execute(progress:)``
    /// returns the shard's part for `rehearse merge`, which judges, stores and reports the whole run.
    public init(scenario: Scenario, shard: Shard? = nil, startAt: Int64? = nil) throws(RehearseError) {
        guard scenario.feed != nil || scenario.gateway != nil || scenario.compare != nil else {
            throw RehearseError(.usage, "\(scenario.path): nothing to run: give a feed:, gateway: or compare: section")
        }
        self.scenario = scenario
        finisher = shard == nil ? try RunFinisher(scenario: scenario) : RunFinisher(shardOf: scenario)
        legs = ScenarioLegs(scenario, shard: shard, startAt: startAt)
    }

    /// Stops the run (Ctrl-C, SIGTERM): the leg under way ends early, later legs are skipped.
    public func stop() { legs.interrupt() }

    /// Where the leg under way stands (any thread): for a progress line.
    public var progress: LegProgress? { legs.progress }

    /// Runs every leg, judges and stores the run. `progress` gets one line as each leg starts.
    public func execute(progress: @Sendable (String) -> Void = { _ in }) throws(RehearseError) -> RunOutcome {
        let s = scenario
        var result = finisher.start()
        var status = ExitStatus.success
        func failed(_ e: LegError) {
            result.errors.append(e.description)
            result.partial = true
            status = status.worst(e.status)
        }
        if let feed = s.feed {
            progress("== feed: \(feed.capture) at ×\(TimeFormat.format(feed.speed, 2)) into " + legs.feedTargets.map(\.name).joined(separator: ", "))
            switch legs.feed(speed: feed.speed) {
            case .success(let b): result.feed = b
            case .failure(let e):
                result.feed = e.partial
                failed(e)
            }
            if result.feed?.replay.interrupted == true { result.partial = true }
        }
        if let gateway = s.gateway, !legs.interrupted {
            progress("== gateway: \(gateway.capture) at ×\(TimeFormat.format(gateway.speed, 2))")
            switch legs.gateway() {
            case .success(let g): result.gateway = g
            case .failure(let e):
                result.gateway = e.partialGateway
                failed(e)
            }
            if result.gateway?.values.contains(where: \.interrupted) == true { result.partial = true }
        }
        if let compare = s.compare, !legs.interrupted {
            progress("== compare: \(compare.a)" + (compare.b.map { " against \($0)" } ?? ""))
            switch legs.compare() {
            case .success(let c): result.compare = c
            case .failure(let e):
                result.compare = e.partialCompare
                failed(e)
            }
        }
        if legs.interrupted {
            result.partial = true
            result.errors.append("interrupted: the figures cover what was done before Ctrl-C/SIGTERM")
            status = .interrupted
        }
        if let shard = legs.shard {
            // A shard's part: merged, judged, stored and reported by `rehearse merge`.
            result.finished = TimePoint(Clock.realtime())
            result.shard = RunShardPart(shard: shard, status: status.rawValue)
            return RunOutcome(result: result, directory: "", status: status)
        }
        let finished = try finisher.finish(result)
        if let e = finished.historyError { status = status.worst(e.status) }
        status = status.worst(Self.status(of: finished.result.verdict))
        return RunOutcome(result: finished.result, directory: finished.directory, status: status)
    }

    /// The shards of one run (`run --shard`, each shard's result) put together, then judged, stored
    /// and reported as one run of `scenario`: the same result, history entry and report as one
    /// process, and the worst of the shards' leg faults and the verdict as its exit status.
    public static func merge(_ parts: [RunResult], scenario: Scenario) throws(RehearseError) -> RunOutcome {
        let merged: RunResult
        do { merged = try RunResult.merge(parts) } catch { throw RehearseError(.input, "merge: \(error.description)") }
        guard merged.scenario == scenario.name else {
            throw RehearseError(.input, "merge: the shards ran scenario \"\(merged.scenario)\", not \(scenario.path)'s \"\(scenario.name)\"")
        }
        let finisher = try RunFinisher(scenario: scenario)
        var status = parts.compactMap { $0.shard.flatMap { ExitStatus(rawValue: $0.status) } }.reduce(ExitStatus.success) { $0.worst($1) }
        let finished = try finisher.finish(merged)
        if let e = finished.historyError { status = status.worst(e.status) }
        status = status.worst(Self.status(of: finished.result.verdict))
        return RunOutcome(result: finished.result, directory: finished.directory, status: status)
    }

    /// The exit status a verdict asks for: a failed limit or a regression, inconclusive, or success.
    static func status(of verdict: Verdict?) -> ExitStatus {
        switch verdict?.status {
        case .pass: .success
        case .inconclusive: .inconclusive
        case .fail, nil: .limitFailed
        }
    }
}

import Measure
import Reporting
import Results
import Scenario
import Vocabulary

/// The capacity ramp: the scenario's feed leg at each of `capacity.speeds` in turn, until a step
/// breaks a feed limit or the sender itself cannot keep the schedule; then the knee, the curve and the
/// limiting factor, stored in the history apart from the scenario's nightly runs. Blocks its caller;
/// ``stop()`` (any thread) ends the step under way and the ramp.
public final class CapacityRamp: Sendable {
    public let scenario: Scenario
    let finisher: RunFinisher
    let legs: ScenarioLegs

    /// With `shard` (`capacity --shard INDEX/COUNT --start-at TIME`): this shard's channels at every
    /// speed of `capacity.speeds`, step k starting at an instant every shard computes alike (TIME, then
    /// each step's schedule + the drain + ``stepGuard`` after the one before); nothing is judged or
    /// stored — ``merge(_:scenario:)`` judges the merged steps as one ramp. With a `rendezvous` too,
    /// the shards meet after each step and follow the ramp one process would, bisection included.
    public let shard: Shard?
    let startAt: Int64?
    let rendezvous: RampRendezvous?
    /// Time left between a sharded ramp's steps beyond the schedule and the drain, ns.
    public static let stepGuard: Int64 = 2_000_000_000

    /// Checks the scenario has a feed leg and that its history and output directory can be used.
    /// `rendezvous`: a directory every shard reaches, to meet in after each step (``RampRendezvous``),
    /// waiting at most `rendezvousWait` (ns) for the others' step.
    public init(scenario: Scenario, shard: Shard? = nil, startAt: Int64? = nil, rendezvous: String? = nil,
                rendezvousWait: Int64 = 60_000_000_000) throws(RehearseError) {
        guard scenario.feed != nil else { throw RehearseError(.usage, "\(scenario.path): capacity needs a feed: section") }
        if shard != nil && startAt == nil {
            throw RehearseError(.usage, "capacity --shard needs --start-at: every shard runs each step at an agreed instant")
        }
        if rendezvous != nil && shard == nil { throw RehearseError(.usage, "--rendezvous is where shards meet: it needs --shard") }
        self.scenario = scenario
        self.shard = shard
        self.startAt = startAt
        if let rendezvous, let shard, let startAt {
            self.rendezvous = try RampRendezvous(directory: rendezvous, shard: shard, startAt: startAt, patience: rendezvousWait)
        } else {
            self.rendezvous = nil
        }
        finisher = shard == nil ? try RunFinisher(scenario: scenario) : RunFinisher(shardOf: scenario)
        legs = ScenarioLegs(scenario, shard: shard)
    }

    public func stop() { legs.interrupt() }

    /// Where the step under way stands (any thread): for a progress line.
    public var progress: LegProgress? { legs.progress }

    /// Runs the ramp: each speed until a step breaks, then a bisection between the last step that held
    /// and the first that broke on the target, until they are within `capacity.resolution`. A step
    /// the test host could not measure (the sender missed its schedule or the host stalled beyond the
    /// scenario's `validity:` shares) ends the ramp as the test host's limit. `step` gets each step as
    /// it ends (for progress lines).
    public func execute(step progress: @Sendable (CapacityStep) -> Void = { _ in }) throws(RehearseError) -> RunOutcome {
        let s = scenario
        var result = finisher.start()
        // Stored apart from the scenario's runs: a ramp's last step is no baseline for a nightly run.
        result.scenario = s.name + " · capacity"
        var steps: [CapacityStep] = []
        var failure: LegError?
        func measure(_ speed: Double, at: Int64? = nil) -> CapacityStep? {
            let outcome = legs.feed(speed: speed, startAt: at)
            guard case .success(let bench) = outcome else {
                if case .failure(let e) = outcome { failure = e }
                return nil
            }
            let step = Self.step(speed: speed, bench: bench, scenario: s, started: result.started, environment: result.environment)
            steps.append(step)
            progress(step)
            return step
        }
        let plan = CapacityPlan(s.capacity)
        if let shard, let startAt {
            var at = startAt
            if let rendezvous {
                // The shards meet after each step: every one judges the merged step alike, and so
                // takes the ramp's next speed as one process would.
                var judged: [CapacityStep] = []
                while !legs.interrupted, let speed = plan.next(after: judged) {
                    guard let own = measure(speed, at: at) else {
                        // The others end the ramp too, told why, rather than wait for this step.
                        if let failure { try? rendezvous.publish(step: judged.count, nil, failure: failure.failure, finished: Clock.realtime()) }
                        break
                    }
                    do throws(RehearseError) {
                        try rendezvous.publish(step: judged.count, own, finished: Clock.realtime())
                        let all = try rendezvous.gather(step: judged.count) { legs.interrupted }
                        let bench: BenchResult
                        do { bench = try BenchResult.merge(all.map(\.step.bench)) } catch {
                            throw RehearseError(.input, "--rendezvous: step \(judged.count + 1): \(error.description)")
                        }
                        judged.append(Self.step(speed: speed, bench: bench, scenario: s, started: result.started, environment: result.environment))
                        at = all.map(\.finished).max()! &+ Self.stepGuard
                    } catch {
                        failure = LegError("capacity", error)
                        break
                    }
                }
            } else {
                // Every step at an agreed instant, none skipped: whether a step broke is the merge's to say.
                for speed in s.capacity.speeds where !legs.interrupted {
                    guard let step = measure(speed, at: at) else { break }
                    at = at &+ step.bench.replay.scheduledNs &+ (s.feed?.drain ?? 0) &+ Self.stepGuard
                }
            }
            result.capacity = CapacityResult(steps: steps, knee: nil, limitingFactor: "not judged (a shard)",
                                             detail: "shard \(shard): merged with every shard's steps by `rehearse merge`")
            if let failure { result.errors.append(failure.description); result.partial = true }
            if legs.interrupted { result.partial = true; result.errors.append("interrupted during the ramp") }
            result.finished = TimePoint(Clock.realtime())
            let status: ExitStatus = legs.interrupted ? .interrupted : failure?.status ?? .success
            result.shard = RunShardPart(shard: shard, status: status.rawValue)
            return RunOutcome(result: result, directory: "", status: status)
        }
        // The speeds in turn while they hold, then the bisection towards the knee (CapacityPlan).
        while !legs.interrupted, let speed = plan.next(after: steps) {
            guard measure(speed) != nil else { break }
        }
        result.capacity = Self.summarize(steps)
        result.feed = Self.kneeStep(steps)?.bench ?? steps.first?.bench
        if let failure { result.errors.append(failure.description); result.partial = true }
        if legs.interrupted { result.partial = true; result.errors.append("interrupted during the ramp") }
        let finished = try finisher.finish(result)
        var status: ExitStatus
        if legs.interrupted { status = .interrupted }
        else if let failure { status = failure.status }
        else { status = ScenarioRun.status(of: finished.result.verdict) }
        if let e = finished.historyError { status = status.worst(e.status) }
        return RunOutcome(result: finished.result, directory: finished.directory, status: status)
    }

    /// The steps of every shard of one ramp (`capacity --shard`, each shard's result) put together
    /// speed by speed (``BenchResult/merge(_:)``), judged as one ramp's steps — those one process
    /// would have run (``CapacityPlan``): up to the first that broke for shards that ran
    /// the list, the bisection too for shards that met after each step (`--rendezvous`) — then stored
    /// and reported as one ramp.
    public static func merge(_ parts: [RunResult], scenario s: Scenario) throws(RehearseError) -> RunOutcome {
        do { try MergeError.checkComplete(parts.map { $0.shard?.shard }, what: "a ramp") } catch {
            throw RehearseError(.input, "merge: \(error.description)")
        }
        let first = parts[0]
        guard first.scenario == s.name + " · capacity" else {
            throw RehearseError(.input, "merge: the shards ran \"\(first.scenario)\", not \(s.path)'s capacity ramp")
        }
        let counts = Set(parts.map { $0.capacity?.steps.count ?? 0 })
        var result = first
        result.shard = nil
        result.started = parts.map(\.started).min { $0.ns < $1.ns }!
        result.errors = parts.sorted { $0.shard!.shard.index < $1.shard!.shard.index }.flatMap { p in p.errors.map { "shard \(p.shard!.shard): \($0)" } }
        result.partial = parts.contains(where: \.partial)
        if counts.count > 1 {
            result.errors.append("the shards ran \(counts.sorted().map(String.init).joined(separator: ", ")) steps: the steps all ran are merged")
            result.partial = true
        }
        var steps: [CapacityStep] = []
        let plan = CapacityPlan(s.capacity)
        for k in 0..<(counts.min() ?? 0) {
            let shardsSteps = parts.map { $0.capacity!.steps[k] }
            guard Set(shardsSteps.map(\.speed)).count == 1 else {
                throw RehearseError(.input, "merge: the shards' step \(k + 1) ran at different speeds (\(shardsSteps.map(\.speed)))")
            }
            // Only the steps one process would have run: the list's speeds after a break are not.
            guard plan.next(after: steps) == shardsSteps[0].speed else { break }
            let bench: BenchResult
            do { bench = try BenchResult.merge(shardsSteps.map(\.bench)) } catch {
                throw RehearseError(.input, "merge: step ×\(TimeFormat.format(shardsSteps[0].speed, 2)): \(error.description)")
            }
            steps.append(Self.step(speed: shardsSteps[0].speed, bench: bench, scenario: s, started: result.started, environment: result.environment))
        }
        result.capacity = summarize(steps)
        result.feed = kneeStep(steps)?.bench ?? steps.first?.bench
        let finished = try RunFinisher(scenario: s).finish(result)
        var status = parts.compactMap { $0.shard.flatMap { ExitStatus(rawValue: $0.status) } }.reduce(ExitStatus.success) { $0.worst($1) }
        if status == .success { status = ScenarioRun.status(of: finished.result.verdict) }
        if let e = finished.historyError { status = status.worst(e.status) }
        return RunOutcome(result: finished.result, directory: finished.directory, status: status)
    }

    /// One step judged: the scenario's feed limits and the step's validity.
    static func step(speed: Double, bench: BenchResult, scenario s: Scenario, started: TimePoint, environment: RunEnvironment) -> CapacityStep {
        var probe = RunResult(scenario: s.name, scenarioPath: s.path, started: started, environment: environment)
        probe.feed = bench
        let limits = probe.checkLimits(s.limits)
        var validity = LegValidity.feed(bench, limits: s.limits, settings: s.validity)
        if bench.replay.lateness.p99 > UInt64(s.capacity.senderLatenessP99), var v = validity, v.valid {
            v.valid = false
            v.reasons.append("sender lateness p99 \(TimeFormat.duration(bench.replay.lateness.p99)) is over capacity.senderLatenessP99 "
                             + TimeFormat.duration(s.capacity.senderLatenessP99))
            validity = v
        }
        var b = bench
        b.validity = validity
        let span = Double(max(bench.replay.wallNs, 1)) / 1e9
        return CapacityStep(speed: speed, offeredPerSecond: Double(bench.sides.first?.messagesSent ?? 0) / span, bench: b,
                            sendLatenessP99: bench.replay.lateness.p99, limits: limits,
                            passed: limits.allSatisfy(\.passed) && validity?.valid != false && !bench.replay.interrupted,
                            validity: validity, host: bench.host)
    }

    /// The highest step that held below the first that broke.
    static func kneeStep(_ steps: [CapacityStep]) -> CapacityStep? {
        let sorted = steps.sorted { $0.speed < $1.speed }
        let broken = sorted.first { !$0.passed }
        return sorted.last { $0.passed && $0.speed < (broken?.speed ?? .infinity) }
    }

    /// The knee (the highest speed that held below the first that broke), and what broke there, in words.
    public static func summarize(_ steps: [CapacityStep]) -> CapacityResult {
        let sorted = steps.sorted { $0.speed < $1.speed }
        let knee = kneeStep(steps)
        let held = knee.map { " (it carried \(NumberText.grouped($0.offeredPerSecond)) msg/s)" } ?? ""
        guard let broken = sorted.first(where: { !$0.passed }) else {
            return CapacityResult(steps: sorted, knee: knee?.speed, limitingFactor: "none (every step passed)",
                                  detail: steps.isEmpty ? "no step ran" : "the highest speed tried held every limit\(held); try higher speeds")
        }
        let at = "×" + TimeFormat.format(broken.speed, 2)
        if let v = broken.validity, !v.valid {
            return CapacityResult(steps: sorted, knee: knee?.speed, limitingFactor: "the test host",
                                  detail: "limited by the test host at \(at), not by the target: " + v.reasons.joined(separator: "; ")
                                    + (knee.map { "; the last valid step ×\(TimeFormat.format($0.speed, 2))\(held)" } ?? ""))
        }
        if broken.bench.replay.interrupted {
            return CapacityResult(steps: sorted, knee: knee?.speed, limitingFactor: "interrupted", detail: "stopped at \(at)")
        }
        let failed = broken.limits.filter { !$0.passed }
        let factor: String
        if failed.contains(where: { $0.limit == "feedLost" }) { factor = "target loss" }
        else if failed.contains(where: { $0.limit.hasPrefix("feedLatency") }) { factor = "target latency" }
        else { factor = "target throughput" }
        let what = failed.map { l in
            let value = l.unit == "ns" ? TimeFormat.duration(Int64(l.value)) : TimeFormat.format(l.value, 0) + " " + l.unit
            let limit = l.unit == "ns" ? TimeFormat.duration(Int64(l.threshold)) : TimeFormat.format(l.threshold, 0)
            let target: String = l.target.map { " " + $0 } ?? ""
            return l.limit + target + " \(value) over \(limit)"
        }.joined(separator: ", ")
        return CapacityResult(steps: sorted, knee: knee?.speed, limitingFactor: factor,
                              detail: "knee ×\(knee.map { TimeFormat.format($0.speed, 2) } ?? "none")\(held); at \(at): \(what)")
    }

    /// The ramp's verdict: a knee the target set is the answer the ramp exists for (pass, unless not
    /// even the first step held); a ramp the test host ended is inconclusive.
    public static func verdict(_ c: CapacityResult) -> Verdict {
        let status: VerdictStatus
        switch c.limitingFactor {
        case "the test host": status = .inconclusive
        case "interrupted": status = .fail
        default: status = c.knee == nil && !c.steps.isEmpty ? .fail : .pass
        }
        let knee = c.knee.map { "knee ×" + TimeFormat.format($0, 2) } ?? "no step held"
        let label = status == .inconclusive ? "INCONCLUSIVE" : status == .pass ? "CAPACITY" : "FAIL"
        return Verdict(status: status, limitsFailed: 0, baselineRuns: [], judgements: [], environment: [],
                       inconclusive: status == .inconclusive ? [c.detail] : [],
                       summary: "\(label): \(knee) · limited by \(c.limitingFactor): \(c.detail)")
    }
}

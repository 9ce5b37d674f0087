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

    /// Checks the scenario has a feed leg and that its history and output directory can be used.
    public init(scenario: Scenario) throws(RehearseError) {
        guard scenario.feed != nil else { throw RehearseError(.usage, "\(scenario.path): capacity needs a feed: section") }
        self.scenario = scenario
        finisher = try RunFinisher(scenario: scenario)
        legs = ScenarioLegs(scenario)
    }

    public func stop() { legs.interrupt() }

    /// Runs the ramp. `step` gets each step as it ends (for progress lines).
    public func execute(step progress: @Sendable (CapacityStep) -> Void = { _ in }) throws(RehearseError) -> RunOutcome {
        let s = scenario
        var result = finisher.start()
        // Stored apart from the scenario's runs: a ramp's last step is no baseline for a nightly run.
        result.scenario = s.name + " · capacity"
        let senderLimit = UInt64(s.capacity.senderLatenessP99)
        var steps: [CapacityStep] = []
        var failure: LegError?
        for speed in s.capacity.speeds where !legs.interrupted {
            let outcome = legs.feed(speed: speed)
            guard case .success(let bench) = outcome else {
                if case .failure(let e) = outcome { failure = e }
                break
            }
            var probe = RunResult(scenario: s.name, scenarioPath: s.path, started: result.started, environment: result.environment)
            probe.feed = bench
            let limits = probe.checkLimits(s.limits)
            let senderOK = bench.replay.lateness.p99 <= senderLimit
            let span = Double(max(bench.replay.wallNs, 1)) / 1e9
            let step = CapacityStep(speed: speed, offeredPerSecond: Double(bench.sides.first?.messagesSent ?? 0) / span, bench: bench,
                                    sendLatenessP99: bench.replay.lateness.p99, limits: limits,
                                    passed: limits.allSatisfy(\.passed) && senderOK && !bench.replay.interrupted)
            steps.append(step)
            progress(step)
            if !step.passed { break }
        }
        result.capacity = Self.summarize(steps, senderLimit: senderLimit)
        result.feed = steps.last?.bench
        if let failure { result.errors.append(failure.description); result.partial = true }
        if legs.interrupted { result.partial = true; result.errors.append("interrupted during the ramp") }
        let (final, directory) = try finisher.finish(result)
        let status: ExitStatus
        if legs.interrupted { status = .interrupted }
        else if let failure { status = failure.status }
        else if final.capacity?.steps.last?.passed != true { status = .limitFailed }
        else { status = .success }
        return RunOutcome(result: final, directory: directory, status: status)
    }

    /// The knee (the highest speed that held), and what broke at the first step that did not.
    public static func summarize(_ steps: [CapacityStep], senderLimit: UInt64) -> CapacityResult {
        let knee = steps.last(where: \.passed)?.speed
        guard let broken = steps.first(where: { !$0.passed }) else {
            return CapacityResult(steps: steps, knee: knee, limitingFactor: "none (every step passed)",
                                  detail: steps.isEmpty ? "no step ran" : "the highest speed tried held every limit; try higher speeds")
        }
        let failed = broken.limits.filter { !$0.passed }
        // Latency is measured from the schedule, so a late sender inflates it: when the sender's own
        // lateness is over its limit and at least half the worst broken latency, the limit is Rehearse's.
        let worstLatency = failed.filter { $0.limit.hasPrefix("feedLatency") }.map(\.value).max() ?? 0
        let senderLate = broken.sendLatenessP99 > senderLimit
        let factor: String
        if senderLate && (failed.isEmpty || Double(broken.sendLatenessP99) >= worstLatency / 2) {
            factor = "the sender itself"
        } else if failed.contains(where: { $0.limit == "feedLost" }) {
            factor = "loss"
        } else if failed.contains(where: { $0.limit.hasPrefix("feedLatency") }) {
            factor = "target latency"
        } else if failed.contains(where: { $0.limit == "feedThroughput" }) {
            factor = "throughput"
        } else {
            factor = "the sender itself"
        }
        let detail = failed.map { "\($0.limit) \($0.target ?? "")" }.joined(separator: ", ")
            + (senderLate ? (failed.isEmpty ? "" : "; ") + "sender lateness p99 \(TimeFormat.duration(broken.sendLatenessP99))" : "")
        return CapacityResult(steps: steps, knee: knee, limitingFactor: factor,
                              detail: "at ×\(TimeFormat.format(broken.speed, 1)): " + detail)
    }
}

import ArgumentParser
import Foundation
import Measure
import Replay
import Reporting
import Scenario

/// `rehearse capacity SCENARIO`: ramp the feed speed until a limit breaks.
struct Capacity: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Ramp the feed leg's speed (capacity.speeds, default 1× 2× 3× 5× 8× 13× 21× recorded) until a limit breaks; report the knee, the curve and the limiting factor.",
        discussion: """
        Each step is a full feed bench at that speed into every target. A step fails when a feed limit \
        breaks (latency, loss, throughput) or when the sender itself could not keep the schedule. Latency \
        is measured from the schedule, so a late sender inflates it: when the sender's lateness p99 is \
        above capacity.senderLatenessP99 (default 10ms) and at least half the worst broken latency, the \
        limiting factor is the sender itself, not the target. The ramp stops at \
        the first failing step. The result is stored in the history and written like `run`'s (capacity.csv, \
        the curve in report.html). Exit codes: 0 every step passed · 1 a limit broke (the knee is below \
        the top speed) · 2 scenario errors · 3 history or output unusable · 4 a target refused · 130 interrupted.
        """)

    @OptionGroup var scenarioFile: ScenarioRunArguments
    @Option(help: "Speeds to ramp through, comma-separated (overrides capacity.speeds).")
    var speeds: String?

    func run() throws {
        var s = try scenarioFile.load()
        let json = scenarioFile.json
        if let speeds {
            let list = speeds.split(separator: ",").compactMap { Double($0.trimmingCharacters(in: .whitespaces)) }
            guard !list.isEmpty, list.allSatisfy({ $0 > 0 && $0.isFinite }) else { throw RehearseError(.usage, "--speeds \(speeds): e.g. 1,2,3,5") }
            s.capacity.speeds = list
        }
        guard s.feed != nil else { throw RehearseError(.usage, "\(s.path): capacity needs a feed: section") }
        let finisher = try RunFinisher(scenario: s)
        let legs = ScenarioLegs(s)
        var result = finisher.start()
        // Stored apart from the scenario's runs: a ramp's last step is no baseline for a nightly run.
        result.scenario = s.name + " · capacity"
        let senderLimit = UInt64(s.capacity.senderLatenessP99)
        var steps: [CapacityStep] = []
        var failure: LegError?
        let say: (String) -> Void = json ? { writeStandardError($0 + "\n") } : { print($0) }
        for speed in s.capacity.speeds where !legs.interrupted {
            let r = runInBackground({ legs.feed(speed: speed) }, interval: 100_000, onInterrupt: legs.interrupt)
            guard case .success(let bench) = r else {
                if case .failure(let e) = r { failure = e }
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
            say("  ×\(TimeFormat.format(speed, 1)): " + bench.sides.map { "\($0.name) p99 \(TimeText.duration($0.latency.p99)), lost \($0.messagesLost), \(Text.rate($0.messagesPerSecond)) msg/s" }.joined(separator: " · ")
                + " · sender lateness p99 \(TimeText.duration(bench.replay.lateness.p99)) → \(step.passed ? "ok" : "LIMIT")")
            if !step.passed { break }
        }
        result.capacity = Self.summarize(steps, senderLimit: senderLimit)
        result.feed = steps.last?.bench
        if let failure { result.errors.append(failure.description); result.partial = true }
        if legs.interrupted { result.partial = true; result.errors.append("interrupted during the ramp") }
        let (final, directory) = try finisher.finish(result)
        if json { print(try jsonText(final)) } else { print(CapacityText.render(final.capacity!)) }
        say("report: \(directory)/report.html · curve: \(directory)/capacity.csv · history run \(final.id.map(String.init) ?? "-")")
        if legs.interrupted { throw ExitCode(ExitStatus.interrupted.rawValue) }
        for e in final.errors { printError("rehearse: \(e)") }
        if let failure { throw ExitCode((failure.input ? ExitStatus.input : ExitStatus.target).rawValue) }
        if final.capacity?.steps.last?.passed != true { throw ExitCode(ExitStatus.limitFailed.rawValue) }
    }

    static func summarize(_ steps: [CapacityStep], senderLimit: UInt64) -> CapacityResult {
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
            + (senderLate ? (failed.isEmpty ? "" : "; ") + "sender lateness p99 \(TimeText.duration(broken.sendLatenessP99))" : "")
        return CapacityResult(steps: steps, knee: knee, limitingFactor: factor,
                              detail: "at ×\(TimeFormat.format(broken.speed, 1)): " + detail)
    }
}

enum CapacityText {
    static func render(_ c: CapacityResult) -> String {
        var rows: [[String]] = []
        for s in c.steps {
            for side in s.bench.sides {
                rows.append(["×\(TimeFormat.format(s.speed, 1))", side.name, Text.rate(s.offeredPerSecond), Text.rate(side.messagesPerSecond),
                             Text.count(side.messagesLost), TimeText.duration(side.latency.p50), TimeText.duration(side.latency.p99),
                             TimeText.duration(s.sendLatenessP99), s.passed ? "ok" : "LIMIT"])
            }
        }
        return "capacity\n" + Text.table(["speed", "target", "offered msg/s", "received msg/s", "lost", "p50", "p99", "sender p99", ""], rows,
                                         numeric: [2, 3, 4, 5, 6, 7])
            + "\nknee: \(c.knee.map { "×" + TimeFormat.format($0, 1) } ?? "none (the first step already broke a limit)") · limited by \(c.limitingFactor): \(c.detail)"
    }
}

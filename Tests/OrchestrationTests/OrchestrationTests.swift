import Foundation
@testable import Orchestration
import Replay
import Results
import Scenario
import Synth
import Testing
import TestSupport
import Simulators
import Measure
import Reporting
import Transport
import Vocabulary
#if canImport(Glibc)
import Glibc
#endif

@Suite("the failure taxonomy: one classification of library errors")
struct FailureClassificationTests {
    @Test("a socket error is the target's when it describes the far end, a configuration error otherwise", arguments: [
        (TransportError.Operation.connect, ECONNREFUSED, Orchestration.ExitStatus.target),
        (.connect, ETIMEDOUT, .target),
        (.send, EHOSTUNREACH, .target),
        (.receive, ECONNRESET, .target),
        (.bind, EADDRNOTAVAIL, .usage),
        (.bind, EADDRINUSE, .usage),
        (.join, ENODEV, .usage),
        (.interface, ENODEV, .usage),
        (.send, EMSGSIZE, .usage),
    ])
    func transport(operation: TransportError.Operation, code: Int32, status: Orchestration.ExitStatus) {
        let e = RehearseError(TransportError(operation, "192.0.2.1:5000", code: code))
        #expect(e.status == status)
        #expect(e.message.contains("192.0.2.1:5000"))
    }

    @Test("every code is distinct, documented, and ranked for jobs of several steps")
    func codes() {
        #expect(Set(Orchestration.ExitStatus.allCases.map(\.rawValue)) == [0, 1, 2, 3, 4, 5, 130])
        #expect(Orchestration.ExitStatus.allCases.allSatisfy { !$0.meaning.isEmpty })
        #expect(Orchestration.ExitStatus.limitFailed.worst(.target) == .target)
        #expect(Orchestration.ExitStatus.target.worst(.input) == .input)
        #expect(Orchestration.ExitStatus.input.worst(.interrupted) == .interrupted)
        #expect(Orchestration.ExitStatus.usage.worst(.limitFailed) == .usage)
        #expect(Orchestration.ExitStatus.success.worst(.success) == .success)
        #expect(Orchestration.ExitStatus.inconclusive.worst(.limitFailed) == .limitFailed, "a valid leg's failure outranks an invalid leg")
        #expect(Orchestration.ExitStatus.success.worst(.inconclusive) == .inconclusive)
    }
}

@Suite("orchestration as a library", .serialized)
struct ScenarioRunTests {
    func scenario(_ body: String, in directory: String) throws -> Scenario {
        let path = directory + "/scenario.yaml"
        try body.write(toFile: path, atomically: true, encoding: .utf8)
        return try Scenario.load(path)
    }

    @Test("a scenario run whose feed receiver cannot bind ends as a configuration error, stored partial, not blamed on the target")
    func unbindableReceiver() throws {
        let directory = NSTemporaryDirectory() + "rehearse-orch-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var c = SynthConfiguration()
        (c.channels, c.packetLimit, c.rate, c.lines) = (1, 50, 10_000, [.a])
        _ = try OMDSynthesizer.generate(c, to: directory + "/feed.pcap")
        let s = try scenario("""
            name: unbindable
            targets:
              new:
                feed: {send: 127.0.0.1:9, receive: 192.0.2.1:5999}
            feed:
              capture: feed.pcap
            outputs:
              directory: runs
              history: history.sqlite
            """, in: directory)
        let run = try ScenarioRun(scenario: s)
        let outcome = try run.execute()
        #expect(outcome.status == .usage)
        #expect(outcome.result.partial)
        #expect(outcome.errors.contains { $0.contains("192.0.2.1:5999") })
        #expect(outcome.result.id != nil, "stored in the history even so")
        #expect(FileManager.default.fileExists(atPath: outcome.directory + "/result.json"))
    }

    @Test("a scenario with nothing to run, or an unusable history, fails before running anything")
    func refusedBeforeRunning() throws {
        let directory = NSTemporaryDirectory() + "rehearse-orch-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let empty = try scenario("""
            name: empty
            targets:
              new:
                feed: {send: 127.0.0.1:9, receive: 127.0.0.1:5999}
            outputs:
              directory: runs
              history: history.sqlite
            """, in: directory)
        #expect(throws: RehearseError.self) { try ScenarioRun(scenario: empty) }
        do { _ = try ScenarioRun(scenario: empty) } catch { #expect(error.status == .usage) }
        let badHistory = try scenario("""
            name: bad history
            targets:
              new:
                feed: {send: 127.0.0.1:9, receive: 127.0.0.1:5999}
            compare:
              a: feed.pcap
              filterA: udp
              filterB: udp
            outputs:
              directory: runs
              history: not-a-directory/history.sqlite
            """, in: directory)
        // A plain file where the history's directory should be: it can be neither made nor opened.
        try Data("x".utf8).write(to: URL(fileURLWithPath: directory + "/not-a-directory"))
        do { _ = try ScenarioRun(scenario: badHistory); Issue.record("a history that cannot be opened must refuse the run") } catch {
            #expect(error.status == .input)
            #expect(error.message.contains("not-a-directory/history.sqlite"))
        }
    }

    @Test("nothing is zero by accident: a platform that delivered nothing is a target error naming where it listened, with no ratio")
    func silentPlatform() throws {
        let path = try synthCapture(channels: 2, packets: 200, rate: 20_000, seed: 3).0
        defer { try? FileManager.default.removeItem(atPath: path) }
        let base = portBlock()
        let sim = try RunningSimulator(listen: base, publish: base + 4, channels: 2, profile: .new)
        let other = try RunningSimulator(listen: base + 12, publish: base + 14, channels: 2, profile: .new)
        defer { _ = sim.stop(); _ = other.stop() }
        let local = IPAddress(v4: 0x7F00_0001)
        // "new" publishes on base + 14…, but its output is expected on base + 8…, where nobody publishes.
        let targets = [BenchTarget(name: "old", send: Endpoint(address: local, port: base), receive: Endpoint(address: local, port: base + 4)),
                       BenchTarget(name: "new", send: Endpoint(address: local, port: base + 12), receive: Endpoint(address: local, port: base + 8))]
        var options = ReplayOptions()
        options.pacing = .speed(4)
        let bench = try FeedBench(path: path, selection: Selection(), targets: targets, options: options, drain: 300_000_000)
        let (result, failure) = bench.run()
        #expect(failure == nil && result.sides[1].messagesReceived == 0 && result.sides[0].messagesReceived > 0)
        #expect(result.latencyRatios == nil, "no ratio of 0.00 when one side got nothing")
        let (status, lines) = BenchOutcome.status(result, failure: nil)
        #expect(status == .target)
        #expect(lines.joined().contains("new delivered none of") && lines.joined().contains(":\(base + 8)"), "\(lines)")
        // The one-sentence verdict says so too, whichever side was silent, and never prints 0 ns for it.
        let env = RunEnvironment.current(scenarioText: "", inputs: [], toolVersion: "test")
        var run = RunResult(scenario: "s", scenarioPath: "s.yaml", started: TimePoint(0), environment: env)
        run.feed = result
        #expect(run.headline.contains("feed: new delivered nothing") && !run.headline.contains("0 ns"), "\(run.headline)")
        run.feed?.sides[0].name = "new"   // the side that received
        run.feed?.sides[1].name = "old"   // the silent one
        #expect(run.headline.contains("feed: old delivered nothing") && !run.headline.contains("0 ns"), "\(run.headline)")
    }

    @Test("a run whose history cannot be written at the end still writes result.json and report.html, says so, and exits 3")
    func historyFailsAtTheEnd() throws {
        let directory = NSTemporaryDirectory() + "rehearse-orch-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var c = SynthConfiguration()
        (c.channels, c.packetLimit, c.rate, c.lines) = (1, 200, 10_000, [.a, .b])
        _ = try OMDSynthesizer.generate(c, to: directory + "/feed.pcap")
        let s = try scenario("""
            name: compare only
            targets:
              new:
                feed: {send: 127.0.0.1:9, receive: 127.0.0.1:5999}
            compare:
              a: feed.pcap
              filterA: dst net 239.1.1.0/24
              filterB: dst net 239.1.2.0/24
            outputs:
              directory: runs
              history: history.sqlite
            """, in: directory)
        let run = try ScenarioRun(scenario: s)
        // The history was opened and checked; now it is replaced by something that is not a database.
        let history = directory + "/history.sqlite"
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: history + suffix) }
        try FileManager.default.createDirectory(atPath: history, withIntermediateDirectories: true)
        let outcome = try run.execute()
        #expect(outcome.status == .input, "\(outcome.errors)")
        #expect(outcome.result.id == nil && outcome.directory.contains("run-unsaved-"))
        #expect(FileManager.default.fileExists(atPath: outcome.directory + "/result.json"))
        #expect(FileManager.default.fileExists(atPath: outcome.directory + "/report.html"))
        #expect(outcome.errors.contains { $0.contains("not stored in the history") })
    }

    /// One capacity step judged against a feedLatencyP99 limit: the platform's p99 and the sender's lateness p99.
    static func step(_ speed: Double, p99: UInt64, lateness: UInt64, limit: Int64 = 50_000_000) -> CapacityStep {
        var summary = LatencySummary(LatencyHistogram.latency())
        summary.count = 1_000
        summary.p99 = p99
        var late = summary
        late.p99 = lateness
        let replay = ReplayResult(capture: "c", pacing: "×\(speed)", loopsRequested: 1, loopsCompleted: 1, packets: 10, bytes: 10, targets: [],
                                  wallNs: 1_000_000_000, scheduledNs: 1_000_000_000, packetsPerSecond: 10, lateness: late, interrupted: false,
                                  stoppedOnError: false, unmappedPacketsDropped: 0, streams: 1)
        let side = BenchSideResult(name: "new", sendTo: "a", receiveOn: "b", messagesSent: 1_000, messagesReceived: 1_000, messagesLost: 0,
                                   duplicateMessages: 0, unexpectedMessages: 0, packetsReceived: 10, heartbeats: 0, garbage: 0, kernelDrops: 0,
                                   messagesPerSecond: 1_000, latency: summary)
        var s = try! Scenario.parse("name: s\ntargets:\n  new:\n    feed: {send: 127.0.0.1:9, receive: 127.0.0.1:9}\n", file: "s.yaml")
        s.limits.feedLatencyP99 = limit
        let env = RunEnvironment.current(scenarioText: "", inputs: [], toolVersion: "test")
        return CapacityRamp.step(speed: speed, bench: BenchResult(replay: replay, sides: [side]), scenario: s, started: TimePoint(0), environment: env)
    }

    @Test("the capacity plan: the listed speeds while they hold, then a bisection between the last that held and the first that broke on the target, to the resolution; a break the test host caused, or no step that held, ends the ramp")
    func capacityPlan() {
        var settings = CapacitySettings()
        settings.speeds = [1, 2, 4, 8]
        settings.resolution = 0.10
        let plan = CapacityPlan(settings)
        func held(_ speed: Double) -> CapacityStep { Self.step(speed, p99: 1_000_000, lateness: 100_000) }
        func broke(_ speed: Double) -> CapacityStep { Self.step(speed, p99: 90_000_000, lateness: 100_000) }
        func host(_ speed: Double) -> CapacityStep { Self.step(speed, p99: 169_000_000, lateness: 166_000_000) }
        #expect(plan.next(after: []) == 1)
        #expect(plan.next(after: [held(1), held(2)]) == 4)
        #expect(plan.next(after: [held(1), held(2), held(4), held(8)]) == nil)
        // ×4 broke on the target: 3, then 3.5 (3 held), then 3.25 (3.5 broke); 3.5 ÷ 3.25 is within 10 %.
        #expect(plan.next(after: [held(1), held(2), broke(4)]) == 3)
        #expect(plan.next(after: [held(1), held(2), broke(4), held(3)]) == 3.5)
        #expect(plan.next(after: [held(1), held(2), broke(4), held(3), broke(3.5)]) == 3.25)
        #expect(plan.next(after: [held(1), held(2), broke(4), held(3), broke(3.5), held(3.25)]) == nil)
        // The test host's limit, or nothing that held: no bisection.
        #expect(plan.next(after: [held(1), host(2)]) == nil)
        #expect(plan.next(after: [broke(1)]) == nil)
        #expect(plan.next(after: [held(1), held(2), broke(4), host(3)]) == nil)
    }

    @Test("a capacity step the sender could not hold ends the ramp as the test host's limit, never the target's; a target's break is named as such")
    func capacityAttribution() {
        func step(_ speed: Double, p99: UInt64, lateness: UInt64) -> CapacityStep { Self.step(speed, p99: p99, lateness: lateness) }
        // ×2 breaks with the sender as late as the platform is slow: the test host, not the target.
        let host = CapacityRamp.summarize([step(1, p99: 1_000_000, lateness: 100_000), step(2, p99: 169_000_000, lateness: 166_000_000)])
        #expect(host.limitingFactor == "the test host" && host.knee == 1 && host.detail.contains("166.00 ms"), "\(host.detail)")
        #expect(CapacityRamp.verdict(host).status == .inconclusive)
        // ×2 breaks while the sender held its schedule: the target's latency.
        let target = CapacityRamp.summarize([step(1, p99: 1_000_000, lateness: 100_000), step(2, p99: 90_000_000, lateness: 200_000)])
        #expect(target.limitingFactor == "target latency" && target.knee == 1)
        // Named in words and figures (GRDB's SQL `??` once leaked into this text as "SQL(elements: …)").
        #expect(target.detail.hasSuffix("at ×2.00: feedLatencyP99 new 90.00 ms over 50.00 ms"), "\(target.detail)")
        #expect(CapacityRamp.verdict(target).status == .pass && CapacityRamp.verdict(target).summary.contains("knee ×1"))
    }

    @Test("validity: the sender's lateness and the host's hiccups are judged against their shares of the smallest latency limit")
    func validity() {
        let ok = Validity(senderLatenessP99: 400_000, hiccupP999: 2_000_000, referenceNs: 50_000_000, reference: "the feedLatencyP99 limit 50.00 ms",
                          senderLatenessShare: 0.1, hiccupShare: 0.1)
        #expect(ok.valid && ok.reasons.isEmpty)
        let late = Validity(senderLatenessP99: 48_000_000, hiccupP999: 7_000_000, referenceNs: 50_000_000, reference: "the feedLatencyP99 limit 50.00 ms",
                            senderLatenessShare: 0.1, hiccupShare: 0.1)
        #expect(!late.valid && late.reasons.count == 2 && late.reasons[0].contains("48.00 ms is over 5.00 ms"))
    }
}

import Foundation
import Measure
import Reporting
import Results
import Scenario
import Testing
import Vocabulary

@Suite("Gap drills in a scenario: targets.X.feed.recover, limits.recoveryTimeP99 and limits.unrecovered")
struct RecoveryDrillTests {
    /// A bench side whose recovery client worked on one gap per `(size, recovered, ns)`: `recovered` of
    /// its `size` messages came back, the last of them `ns` after detection.
    func side(_ name: String, _ gaps: [(size: UInt32, recovered: UInt32, ns: Int64)]) -> BenchSideResult {
        var ledger = RecoveryLedger(maximumPerRequest: 10_000, attemptsPerGap: 1)
        var first: UInt32 = 1
        for (i, g) in gaps.enumerated() {
            ledger.add(channel: i, first: first, last: first + g.size - 1, monotonic: 0, realtime: 0)
            first += g.size
        }
        for g in gaps {
            guard var r = ledger.nextRequest(now: 0) else { break }
            for sn in r.begin..<(r.begin + g.recovered) { _ = ledger.received(sn, for: &r, now: g.ns) }
        }
        ledger.abandonAll(reason: "run ended")
        let missing = gaps.reduce(UInt64(0)) { $0 + UInt64($1.size) }
        var summary = LatencySummary(LatencyHistogram.latency())
        summary.count = 100
        summary.p99 = 1_000_000
        var s = BenchSideResult(name: name, sendTo: "a", receiveOn: "b", messagesSent: 1_000, messagesReceived: 1_000 - missing,
                                messagesLost: missing, duplicateMessages: 0, unexpectedMessages: 0, packetsReceived: 10, heartbeats: 0,
                                garbage: 0, kernelDrops: 0, messagesPerSecond: 1_000, latency: summary)
        s.recovery = RecoveryReport(servers: ["127.0.0.1:9"], ledger: ledger, counters: RecoveryCounters())
        return s
    }

    @Test("the scenario names each target's retransmission servers and the drill's limits; each side is judged on its own recovery")
    func limits() throws {
        let text = """
        name: drill
        targets:
          old:
            feed: {send: 127.0.0.1:41000, receive: 127.0.0.1:41100, recover: [127.0.0.1:41200, 127.0.0.1:41201]}
          new:
            feed: {send: 127.0.0.1:42000, receive: 127.0.0.1:42100, recover: 127.0.0.1:42200}
        limits:
          recoveryTimeP99: 5ms
          unrecovered: 0
        """
        let s = try Scenario.parse(text, file: "drill.yaml")
        #expect(s.targets.map { $0.feed?.recover.map(\.description) ?? [] } == [["127.0.0.1:41200", "127.0.0.1:41201"], ["127.0.0.1:42200"]])
        #expect(s.limits.recoveryTimeP99 == 5_000_000 && s.limits.unrecovered == 0)
        let replay = ReplayResult(capture: "c", pacing: "×1", loopsRequested: 1, loopsCompleted: 1, packets: 10, bytes: 10, targets: [],
                                  wallNs: 1_000_000_000, scheduledNs: 1_000_000_000, packetsPerSecond: 10, lateness: LatencySummary(LatencyHistogram.latency()),
                                  interrupted: false, stoppedOnError: false, unmappedPacketsDropped: 0, streams: 1)
        // old: every gap back within 2 ms; new: 8 ms for one gap, and 3 messages never came back.
        let old = side("old", [(30, 30, 1_000_000), (10, 10, 2_000_000)])
        let new = side("new", [(30, 30, 8_000_000), (10, 7, 1_000_000)])
        var run = RunResult(scenario: "drill", scenarioPath: "drill.yaml", started: TimePoint(0),
                            environment: RunEnvironment.current(scenarioText: "", inputs: [], toolVersion: "test"))
        run.feed = BenchResult(replay: replay, sides: [old, new])
        let checks = run.checkLimits(s.limits)
        func check(_ limit: String, _ target: String) -> LimitCheck? { checks.first { $0.limit == limit && $0.target == target } }
        #expect(check("recoveryTimeP99", "old")?.passed == true && check("unrecovered", "old")?.passed == true, "\(checks)")
        #expect(check("recoveryTimeP99", "new")?.passed == false && check("unrecovered", "new")?.value == 3, "\(checks)")
        // Without a recovery client on a side, nothing is judged for it (never a 0 that passes).
        var plain = old
        plain.recovery = nil
        run.feed = BenchResult(replay: replay, sides: [plain])
        #expect(run.checkLimits(s.limits).isEmpty)
        // A side whose messages all arrived in one instant has no measurable rate: absent from the JSON,
        // no throughput metric, the throughput limit not judged (never a 0 that fails or passes).
        var instant = plain
        instant.messagesPerSecond = nil
        run.feed = BenchResult(replay: replay, sides: [instant])
        var throughput = s.limits
        throughput.feedThroughput = 1_000
        #expect(run.checkLimits(throughput).allSatisfy { $0.limit != "feedThroughput" })
        #expect(!run.metrics.contains { $0.key.hasSuffix(".throughput") })
        #expect(!String(decoding: try JSONEncoder().encode(instant), as: UTF8.self).contains("messagesPerSecond"))
        run.feed = BenchResult(replay: replay, sides: [plain])
        #expect(run.checkLimits(throughput).contains { $0.limit == "feedThroughput" && $0.passed })
        // A bad server address is refused with its place in the file.
        #expect(throws: ScenarioError.self) {
            try Scenario.parse("name: x\ntargets:\n  new:\n    feed: {send: 127.0.0.1:1, receive: 127.0.0.1:2, recover: nowhere}\n", file: "x.yaml")
        }
    }
}

import Vocabulary
import Foundation
import TestSupport
import Testing

/// `sim feed --rts` and `listen --recover` as processes: the platform drops packets after its RTS has
/// them; the listener detects the gaps and recovers them, through every fault of the service.
@Suite("Recovery from the retransmission service: sim feed --rts and listen --recover", .serialized)
struct RecoveryCommandTests {
    static let capture: String = {
        let path = NSTemporaryDirectory() + "rehearse-recovery-\(getpid()).pcap"
        _ = try? CLI.run(["synth", "--lines", "A", "--channels", "2", "--packets", "3000", "--seed", "4", "-o", path])
        return path
    }()

    /// What the listener's recovery and the simulator reported.
    struct Outcome {
        let recovery: [String: Any]
        let streams: [[String: Any]]
        let simulator: [String: Any]
        var rts: [String: Any] { simulator["retransmission"] as? [String: Any] ?? [:] }
        func int(_ key: String) -> Int { recovery[key] as? Int ?? -1 }
        func refused(_ key: String) -> Int { (recovery["refused"] as? [String: Int])?[key] ?? 0 }
        var gaps: [[String: Any]] { recovery["gapList"] as? [[String: Any]] ?? [] }
        /// Every gap message came back, and the listener's own count of missing messages agrees.
        var allRecovered: Bool {
            let missingOnLine = streams.reduce(0) { $0 + ((($1["omd"] as? [String: Any])?["sequence"] as? [String: Any])?["missingMessages"] as? Int ?? 0) }
            return int("missing") > 0 && int("recovered") == int("missing") && int("unrecovered") == 0 && missingOnLine == int("missing")
                && gaps.allSatisfy { $0["source"] as? String == "rts" && $0["timeToRecoverNs"] as? Int != nil }
        }
    }

    /// Runs the simulator (dropping `drop` of its packets, RTS on two endpoints) and the listener.
    /// With `refresh`, the simulator also publishes refresh cycles every 100 ms and the listener joins them.
    func drill(_ simulator: [String], _ listener: [String] = [], drop: String = "0.03", refresh: Bool = false, recover: Bool = true) throws -> Outcome {
        let p = freePortBlock(10)
        let sim = try Background(["sim", "feed", "--listen", "127.0.0.1:\(p)-\(p + 1)", "--publish", "127.0.0.1:\(p + 2)", "--profile", "old",
                                  "--drop", drop, "--seed", "7", "--rts", "127.0.0.1:\(p + 5)", "--rts", "127.0.0.1:\(p + 6)", "--json"]
                                 + (refresh ? ["--refresh", "127.0.0.1:\(p + 8)", "--refresh-cycle", "100ms"] : []) + simulator)
        usleep(300_000)
        let listen = try Background(["listen", "--on", "127.0.0.1:\(p + 2)-\(p + 3)", "--idle", "1500ms", "--json"]
                                    + (recover ? ["--recover", "127.0.0.1:\(p + 5),127.0.0.1:\(p + 6)"] : [])
                                    + (refresh ? ["--refresh", "127.0.0.1:\(p + 8)", "--refresh-timeout", "1s"] : []) + listener)
        usleep(300_000)
        #expect(try CLI.run(["replay", Self.capture, "--to", "each=127.0.0.1:\(p)", "--speed", "1"]).replayed)
        let (status, output) = listen.wait(limit: 30)
        let (_, simOutput) = sim.interrupt()
        #expect(status == 0)
        let report = try json(output)
        return Outcome(recovery: try #require(report["recovery"] as? [String: Any], "\(output)"),
                       streams: report["streams"] as? [[String: Any]] ?? [], simulator: try json(simOutput))
    }

    @Test("every dropped message recovered from the RTS, with the original sequence numbers; time to recover per gap")
    func healthy() throws {
        let o = try drill([])
        #expect(o.allRecovered, "\(o.recovery)")
        #expect(o.int("gaps") == o.int("gapsRecovered") && o.int("requests") == o.rts["accepted"] as? Int && o.int("failovers") == 0)
        #expect((o.recovery["timeToRecover"] as? [String: Any])?["count"] as? Int == o.int("gaps"))
        #expect(o.int("missing") <= o.simulator["droppedMessages"] as? Int ?? 0)
    }

    @Test("faults the client survives by moving to the secondary RTS: every message still recovered, the fault counted",
          arguments: [("down@0", "failovers"), ("refuse-logon@0", "refusedLogons"), ("disconnect-mid-answer@0", "disconnects"),
                      ("garbage@0", "garbage"), ("wrong-range@0", "wrongRange")])
    func survived(fault: String, counter: String) throws {
        let o = try drill(["--rts-fault", fault])
        #expect(o.allRecovered, "\(o.recovery)")
        #expect(o.int(counter) >= 1 && o.int("failovers") >= 1, "\(o.recovery)")
    }

    @Test("faults on every RTS: nothing counted as recovered that was not, each gap says why, no hang",
          arguments: [("wrong-sequence", "wrongSequence", "wrong sequence numbers"), ("silent", "timeouts", "timed out"),
                      ("not-available", "notAvailable", "not available")])
    func unrecovered(fault: String, counter: String, reason: String) throws {
        let o = try drill(["--rts-fault", fault], ["--recover-timeout", "300ms"])
        #expect(o.int("missing") > 0 && o.int("recovered") == 0 && o.int("unrecovered") == o.int("missing") && o.recovery["timeToRecover"] == nil, "\(o.recovery)")
        #expect(max(o.int(counter), o.refused(counter)) >= 1, "\(o.recovery)")
        #expect(o.gaps.allSatisfy { ($0["reason"] as? String)?.contains(reason) == true || ($0["reason"] as? String)?.contains("run ended") == true }, "\(o.gaps)")
        #expect(o.gaps.contains { ($0["reason"] as? String)?.contains(reason) == true })
    }

    @Test("beyond the RTS window a refresh snapshot covers the gap: resolved, its messages never counted as recovered")
    func refresh() throws {
        let o = try drill(["--rts-window", "5"], refresh: true)
        let refreshed = o.int("refreshed")
        #expect(o.int("missing") > 0 && o.int("unrecovered") == 0 && refreshed > 0 && o.int("recovered") + refreshed == o.int("missing"), "\(o.recovery)")
        #expect(o.int("gapsRefreshed") >= 1 && o.int("gapsRecovered") == o.int("gaps") && o.refused("notAvailable") >= 1, "\(o.recovery)")
        #expect(o.gaps.filter { $0["source"] as? String == "refresh" }.allSatisfy { $0["recovered"] as? Int == 0 && $0["timeToRecoverNs"] != nil })
        #expect((o.rts["refreshCycles"] as? Int ?? 0) > 0)
        // Refresh alone (no RTS given): every gap waits for a snapshot.
        let alone = try drill([], refresh: true, recover: false)
        #expect(alone.int("requests") == 0 && alone.int("gaps") > 0 && alone.int("gapsRefreshed") == alone.int("gaps") && alone.int("unrecovered") == 0, "\(alone.recovery)")
    }

    @Test("a refresh cycle that never completes: the gaps it should cover time out, unrecovered, with the reason")
    func refreshNeverCompletes() throws {
        let o = try drill(["--rts-window", "5", "--refresh-never-completes"], refresh: true)
        #expect(o.int("missing") > 0 && o.int("refreshed") == 0 && o.int("gapsRefreshed") == 0 && o.int("unrecovered") == o.int("missing") - o.int("recovered"), "\(o.recovery)")
        #expect(o.gaps.contains { ($0["reason"] as? String)?.contains("no refresh snapshot covered it") == true }, "\(o.gaps)")
        #expect(o.int("refreshCompletes") == 0)
    }

    @Test("the server's limits: a lower request limit is found and kept to; the daily limit ends asking")
    func limits() throws {
        let small = try drill(["--rts-max-request", "5"])
        #expect(small.allRecovered && small.refused("rangeTooBig") >= 1, "\(small.recovery)")
        let daily = try drill(["--rts-daily-requests", "1"], drop: "0.06")
        #expect(daily.int("gaps") >= 2 && daily.refused("tooManyRequests") == 1 && daily.int("requests") == 2, "\(daily.recovery)")
        // The one accepted request recovered its gap (or the gaps it merged); every other gap ends for the day's limit.
        let refusedGaps = daily.gaps.filter { $0["timeToRecoverNs"] == nil }
        #expect(daily.int("gapsRecovered") >= 1 && !refusedGaps.isEmpty && daily.int("unrecovered") > 0, "\(daily.recovery)")
        #expect(refusedGaps.allSatisfy { ($0["reason"] as? String)?.contains("too many requests") == true }, "\(daily.gaps)")
    }
}

@Suite("watch --recover: each line's missing messages recovered or lost, and compared with the other line")
struct WatchRecoveryCommandTests {
    @Test("beyond the standby's RTS window its own refresh covers the gaps: nothing lost, nothing counted as recovered that did not come back")
    func standbyRefreshed() throws {
        let path = NSTemporaryDirectory() + "rehearse-\(UUID().uuidString)-watch-refresh.pcap"
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(try CLI.run(["synth", "--channels", "2", "--packets", "4000", "--seed", "4", "-o", path]).status == 0)
        let p = freePortBlock(32)
        let primary = try Background(["sim", "feed", "--listen", "127.0.0.1:\(p)-\(p + 1)", "--publish", "127.0.0.1:\(p + 10)", "--profile", "old"])
        let standby = try Background(["sim", "feed", "--listen", "127.0.0.1:\(p + 2)-\(p + 3)", "--publish", "127.0.0.1:\(p + 12)", "--profile", "old",
                                      "--drop", "0.03", "--seed", "5", "--rts", "127.0.0.1:\(p + 21)", "--rts-window", "5",
                                      "--refresh", "127.0.0.1:\(p + 25)", "--refresh-cycle", "100ms"])
        usleep(300_000)
        let watch = try Background(["watch", "--primary", "127.0.0.1:\(p + 10)-\(p + 11)", "--standby", "127.0.0.1:\(p + 12)-\(p + 13)",
                                    "--recover", "127.0.0.1:\(p + 29)", "--recover-standby", "127.0.0.1:\(p + 21)",
                                    "--refresh-standby", "127.0.0.1:\(p + 25)", "--refresh-timeout", "1s",
                                    "--duration", "4s", "--interval", "1s", "--horizon", "1s", "--json"])
        usleep(300_000)
        #expect(try CLI.run(["replay", path, "--to", "each=127.0.0.1:\(p)", "--speed", "1"]).replayed)
        let (_, output) = watch.wait(limit: 30)
        _ = primary.interrupt()
        _ = standby.interrupt()
        let channels = try #require(try json(output)["channels"] as? [[String: Any]])
        var missing = 0, refreshed = 0, recovered = 0, lost = 0
        for c in channels {
            let s = try #require(c["standby"] as? [String: Any]), r = try #require(s["recovery"] as? [String: Int], "\(s)")
            missing += s["missingMessages"] as? Int ?? 0
            refreshed += r["refreshed"] ?? 0
            recovered += r["recovered"] ?? 0
            lost += r["lost"] ?? 0
        }
        #expect(missing > 0 && refreshed > 0 && lost == 0 && recovered + refreshed == missing, "missing \(missing), recovered \(recovered), refreshed \(refreshed), lost \(lost)")
    }

    @Test("the standby's drops recovered from its own RTS and equal to the primary's messages; a corrupting RTS is caught",
          arguments: [false, true])
    func standbyRecovered(corrupt: Bool) throws {
        let path = NSTemporaryDirectory() + "rehearse-\(UUID().uuidString)-watch-recover.pcap"
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(try CLI.run(["synth", "--channels", "2", "--packets", "4000", "--seed", "4", "-o", path]).status == 0)
        let p = freePortBlock(24)
        let primary = try Background(["sim", "feed", "--listen", "127.0.0.1:\(p)-\(p + 1)", "--publish", "127.0.0.1:\(p + 10)", "--profile", "old",
                                      "--rts", "127.0.0.1:\(p + 20)"])
        let standby = try Background(["sim", "feed", "--listen", "127.0.0.1:\(p + 2)-\(p + 3)", "--publish", "127.0.0.1:\(p + 12)", "--profile", "old",
                                      "--drop", "0.03", "--seed", "5", "--rts", "127.0.0.1:\(p + 21)", "--json"]
                                     + (corrupt ? ["--rts-fault", "corrupt"] : []))
        usleep(300_000)
        let watch = try Background(["watch", "--primary", "127.0.0.1:\(p + 10)-\(p + 11)", "--standby", "127.0.0.1:\(p + 12)-\(p + 13)",
                                    "--recover", "127.0.0.1:\(p + 20)", "--recover-standby", "127.0.0.1:\(p + 21)",
                                    "--duration", "4s", "--interval", "1s", "--horizon", "1s", "--json"])
        usleep(300_000)
        // Streams by destination: A0, A1 (primary platform), B0, B1 (standby platform).
        #expect(try CLI.run(["replay", path, "--to", "each=127.0.0.1:\(p)", "--speed", "1"]).replayed)
        let (status, output) = watch.wait(limit: 30)
        _ = primary.interrupt()
        let (_, simOutput) = standby.interrupt()
        #expect(status == 1, "the standby missed messages")
        let report = try json(output)
        let channels = try #require(report["channels"] as? [[String: Any]])
        var missing = 0, recovered = 0, equal = 0, differs = 0
        for c in channels {
            let s = try #require(c["standby"] as? [String: Any]), r = try #require(s["recovery"] as? [String: Int], "\(s)")
            let p = try #require((c["primary"] as? [String: Any])?["recovery"] as? [String: Int])
            #expect(p["recovered"] == 0 && p["lost"] == 0)
            missing += s["missingMessages"] as? Int ?? 0
            recovered += r["recovered"] ?? 0
            equal += r["equal"] ?? 0
            differs += r["differs"] ?? 0
            // A message recovered after its primary copy left the window (a loaded host) is "not compared",
            // never equal or different by guess.
            #expect(r["lost"] == 0 && (r["equal"] ?? 0) + (r["differs"] ?? 0) + (r["notCompared"] ?? 0) == r["recovered"], "\(r)")
        }
        let dropped = try json(simOutput)["droppedMessages"] as? Int ?? -1
        #expect(missing > 0 && recovered == missing && missing <= dropped, "missing \(missing), recovered \(recovered), dropped \(dropped)")
        #expect(corrupt ? (differs > 0 && equal == 0) : (equal > 0 && differs == 0), "equal \(equal), differs \(differs)")
        let reports = try #require(report["recovery"] as? [[String: Any]])
        #expect(reports.count == 2 && reports[1]["recovered"] as? Int == recovered && reports[0]["gaps"] as? Int == 0)
    }
}

@Suite("compare: each line's gaps recoverable from the RTS or lost to it")
struct CompareRecoverabilityTests {
    @Test("a small gap is recoverable, one larger than --rts-window is lost to the RTS; the JSON and the text say so")
    func recoverableOrLost() throws {
        let path = NSTemporaryDirectory() + "rehearse-\(UUID().uuidString)-recoverable.pcap"
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(try CLI.run(["synth", "-o", path, "--channels", "2", "--duration", "2s", "--rate", "20000", "--seed", "3",
                             "--fault", "B:gap@500ms:5", "--fault", "B1:gap@1s:400"]).status == 0)
        let r = try CLI.run(["compare", path, "--a", "dst net 239.1.1.0/24", "--b", "dst net 239.1.2.0/24", "--rts-window", "500", "--json"])
        #expect(r.status == 1)
        let channels = try #require(try json(r.stdout)["channels"] as? [[String: Any]])
        let b0 = try #require((channels[0]["lineB"] as? [String: Any])?["recoverability"] as? [String: Int])
        let b1 = try #require((channels[1]["lineB"] as? [String: Any])?["recoverability"] as? [String: Int])
        let gap0 = (channels[0]["lineB"] as? [String: Any])?["missingMessages"] as? Int ?? -1
        #expect(b0["recoverable"] == gap0 && b0["beyondWindow"] == 0, "\(b0)")
        #expect((b1["beyondWindow"] ?? 0) > 500 && (b1["recoverable"] ?? 0) > 0, "\(b1)")
        let a0 = try #require((channels[0]["lineA"] as? [String: Any])?["recoverability"] as? [String: Int])
        #expect(a0["recoverable"] == 0 && a0["beyondWindow"] == 0)
        let text = try CLI.run(["compare", path, "--a", "dst net 239.1.1.0/24", "--b", "dst net 239.1.2.0/24", "--rts-window", "500"])
        #expect(text.stdout.contains("line gaps against the retransmission service's limits"), "\(text.stdout)")
    }
}

@Suite("bench gap drill: each platform's gaps recovered from its own RTS, side by side")
struct BenchRecoveryCommandTests {
    @Test("both platforms lose 300-message runs (sim feed --gap); each side's gaps recovered from its RTS; the slow RTS's time to recover shows its delay")
    func sideBySide() throws {
        let path = NSTemporaryDirectory() + "rehearse-\(UUID().uuidString)-bench-recover.pcap"
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(try CLI.run(["synth", "--lines", "A", "--channels", "2", "--duration", "1500ms", "--rate", "20000", "--seed", "6", "-o", path]).status == 0)
        let p = freePortBlock(24)
        let old = try Background(["sim", "feed", "--listen", "127.0.0.1:\(p)-\(p + 1)", "--publish", "127.0.0.1:\(p + 10)", "--profile", "old",
                                  "--gap", "300@300ms", "--rts", "127.0.0.1:\(p + 20)"])
        let new = try Background(["sim", "feed", "--listen", "127.0.0.1:\(p + 2)-\(p + 3)", "--publish", "127.0.0.1:\(p + 12)", "--profile", "new",
                                  "--gap", "300@300ms", "--rts", "127.0.0.1:\(p + 21)", "--rts-fault", "slow:20ms"])
        usleep(300_000)
        let r = try CLI.run(["bench", path, "--old", "127.0.0.1:\(p)", "--old-from", "127.0.0.1:\(p + 10)", "--new", "127.0.0.1:\(p + 2)",
                             "--new-from", "127.0.0.1:\(p + 12)", "--old-recover", "127.0.0.1:\(p + 20)", "--new-recover", "127.0.0.1:\(p + 21)",
                             "--speed", "1", "--drain", "1s", "--json"])
        _ = old.interrupt()
        _ = new.interrupt()
        #expect([0, 1, 5].contains(r.status), "\(r.stderr)")
        let sides = try #require(try json(r.stdout)["sides"] as? [[String: Any]])
        #expect(sides.count == 2)
        for side in sides {
            let rec = try #require(side["recovery"] as? [String: Any], "\(side)")
            let lost = side["messagesLost"] as? Int ?? -1
            let recovered = rec["recovered"] as? Int ?? -1
            #expect((rec["gaps"] as? Int ?? 0) >= 2 && rec["unrecovered"] as? Int == 0 && recovered >= 300 * 2 && recovered <= lost, "\(rec), lost \(lost)")
        }
        let slow = try #require((sides[1]["recovery"] as? [String: Any])?["timeToRecover"] as? [String: Any])
        #expect((slow["min"] as? Int ?? 0) >= 20_000_000, "the slow RTS answers 20 ms after each request: \(slow)")
    }
}

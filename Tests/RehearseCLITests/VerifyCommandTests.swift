import Vocabulary
import Foundation
import TestSupport
import Testing

@Suite("verify as a process: the pre-rollout checklist against simulators on loopback", .serialized)
struct VerifyCommandTests {
    let directory = NSTemporaryDirectory() + "rehearse-verify-\(UUID().uuidString)"

    func scenario(_ port: Int, timeout: String = "3s") throws -> String {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = directory + "/scenario.yaml"
        try """
        name: verify test
        targets:
          old:
            gateway: {address: 127.0.0.1:\(port), sender: C1, target: OLDGW}
            feed:
              lines:
                - {name: A, endpoints: "127.0.0.1:\(port + 2)-\(port + 3)"}
          new:
            gateway: {address: 127.0.0.1:\(port + 1), sender: C1, target: NEWGW}
        verify: {timeout: \(timeout), packets: 3}
        """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test("all pass → exit 0; a refused logon, a closed port and a silent line → FAIL items with reasons, exit 1; a bad scenario → exit 2")
    func checklist() throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let port = freePortBlock(16)
        let path = try scenario(port)
        let feed = directory + "/feed.pcap"
        #expect(try CLI.run(["synth", "-o", feed, "--channels", "2", "--duration", "8s", "--rate", "2000", "--lines", "A"]).status == 0)
        let old = try Background(["sim", "gateway", "--listen", "127.0.0.1:\(port)", "--profile", "old", "--duration", "30s"])
        let new = try Background(["sim", "gateway", "--listen", "127.0.0.1:\(port + 1)", "--duration", "30s"])
        let replay = try Background(["replay", feed, "--to", "each=127.0.0.1:\(port + 2)"])
        usleep(500_000)
        var r = try CLI.run(["verify", path, "--json"])
        #expect(r.status == 0, "\(r.stdout) \(r.stderr)")
        var report = try json(r.stdout)
        #expect(report["schema"] as? String == "rehearse.verify/1" && report["passed"] as? Bool == true)
        var items = try #require(report["items"] as? [[String: Any]])
        #expect(items.count == 8)  // 2 × (connect, logon, logout) + 2 feed endpoints
        _ = new.interrupt()
        // The new gateway now refuses logons; the old one is gone; the line goes on.
        let refusing = try Background(["sim", "gateway", "--listen", "127.0.0.1:\(port + 1)", "--reject-logon", "not before 08:00",
                                       "--duration", "30s"])
        _ = old.interrupt()
        usleep(300_000)
        r = try CLI.run(["verify", path, "--json"])
        #expect(r.status == 1)
        report = try json(r.stdout)
        items = try #require(report["items"] as? [[String: Any]])
        func detail(_ item: String) -> String? {
            items.first { ($0["item"] as? String)?.hasPrefix(item) == true && $0["passed"] as? Bool == false }?["detail"] as? String
        }
        #expect(detail("gateway 127.0.0.1:\(port) TCP connect")?.contains("127.0.0.1:\(port)") == true)
        #expect(detail("gateway 127.0.0.1:\(port) FIX logon")?.contains("not tried") == true)
        #expect(detail("gateway 127.0.0.1:\(port + 1) FIX logon")?.contains("not before 08:00") == true)
        // Failed on their own: old's connect, new's logon; not tried after them: old's logon and logout, new's logout.
        #expect(report["failed"] as? Int == 2 && report["skipped"] as? Int == 3, "\(report)")
        #expect(items.filter { $0["skipped"] as? Bool == true }.allSatisfy { ($0["detail"] as? String)?.hasPrefix("not tried") == true })
        r = try CLI.run(["verify", path])
        #expect(r.stdout.contains("8 items from 3 probes run at once") && r.stdout.contains("SKIPPED  old"), "\(r.stdout)")
        #expect(r.stdout.contains("2 of 8 items FAILED, 3 SKIPPED (not tried: a step before them failed)"), "\(r.stdout)")
        _ = replay.interrupt()
        _ = refusing.interrupt()
        // Nothing on the line: every endpoint fails with the reason (text form).
        r = try CLI.run(["verify", path, "--timeout", "500ms"])
        #expect(r.status == 1)
        #expect(r.stdout.split(separator: "\n").contains { $0.trimmingCharacters(in: .whitespaces).hasPrefix("FAIL ") && $0.contains(" old ") && $0.contains("line A 127.0.0.1:\(port + 2)") }
                && r.stdout.contains("no packet within 500"), "\(r.stdout)")
        // A scenario with a typo: exit 2, file, line and key named.
        try String(contentsOfFile: path, encoding: .utf8).replacingOccurrences(of: "verify:", with: "verfy:")
            .write(toFile: path, atomically: true, encoding: .utf8)
        r = try CLI.run(["verify", path])
        #expect(r.status == 2 && r.stderr.contains("scenario.yaml:10:1: verfy: unknown key"), "\(r.stderr)")
    }

    @Test("feed lines of other venues: each checked by the protocol the scenario names (CME MDP 3.0 by packet, MoldUDP64 by message); a line that carries another protocol fails naming it; an unknown name is a scenario error")
    func otherVenues() throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let port = freePortBlock(16)
        func write(_ protocols: (String, String)) throws -> String {
            let path = directory + "/venues-\(protocols.0)-\(protocols.1).yaml"
            try """
            name: venues
            targets:
              new:
                feed:
                  lines:
                    - {name: CME, protocol: \(protocols.0), endpoints: "127.0.0.1:\(port)"}
                    - {name: ITCH, protocol: \(protocols.1), endpoints: "127.0.0.1:\(port + 1)"}
            verify: {timeout: 3s, packets: 3}
            """.write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }
        let cme = directory + "/cme.pcap", itch = directory + "/itch.pcap"
        #expect(try CLI.run(["synth", "--protocol", "cme-mdp3", "-o", cme, "--channels", "1", "--packets", "400"]).status == 0)
        #expect(try CLI.run(["synth", "--protocol", "moldudp64", "-o", itch, "--channels", "1", "--packets", "400"]).status == 0)
        // 400 packets 100 µs apart at ×0.01: 4 s per pass, looped.
        let a = try Background(["replay", cme, "--to", "*=127.0.0.1:\(port)", "--speed", "0.01", "--loop", "5"])
        let b = try Background(["replay", itch, "--to", "*=127.0.0.1:\(port + 1)", "--speed", "0.01", "--loop", "5"])
        defer { _ = a.interrupt(); _ = b.interrupt() }
        usleep(300_000)
        var r = try CLI.run(["verify", try write(("cme-mdp3", "moldudp64")), "--json"])
        #expect(r.status == 0, "\(r.stdout) \(r.stderr)")
        let items = try #require(try json(r.stdout)["items"] as? [[String: Any]])
        #expect(items.count == 2 && items.allSatisfy { ($0["detail"] as? String)?.contains("valid packets, SeqNum") == true }, "\(items)")
        // The lines swapped in the scenario: each carries the other protocol.
        r = try CLI.run(["verify", try write(("moldudp64", "cme-mdp3"))])
        #expect(r.status == 1 && r.stdout.contains("none of them valid moldudp64") && r.stdout.contains("none of them valid cme-mdp3"), "\(r.stdout)")
        r = try CLI.run(["verify", try write(("fast", "moldudp64"))])
        #expect(r.status == 2 && r.stderr.contains("protocol") && r.stderr.contains("expected one of omd, moldudp64"), "\(r.stderr)")
    }
}

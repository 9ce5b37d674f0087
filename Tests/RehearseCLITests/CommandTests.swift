import Vocabulary
import Foundation
import Testing

@Suite("rehearse commands, exit codes and messages")
struct CommandTests {
    func temporary(_ name: String) -> String { NSTemporaryDirectory() + "rehearse-\(UUID().uuidString)-\(name)" }

    @Test("synth then inspect: text and JSON")
    func synthAndInspect() throws {
        let path = temporary("cli.pcapng")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let synth = try CLI.run(["synth", "-o", path, "--duration", "300ms", "--rate", "10000", "--channels", "2", "--fault", "B:gap@100ms:2"])
        #expect(synth.status == 0, "\(synth.stderr)")
        #expect(synth.stdout.contains("wrote \(path)"))
        let text = try CLI.run(["inspect", path])
        #expect(text.status == 0)
        #expect(text.stdout.contains("pcapng"))
        #expect(text.stdout.contains("239.1.2.1:51001"))
        #expect(text.stdout.contains("AddOrder"))
        #expect(text.stderr.isEmpty, "no progress when output is piped")
        let json = try CLI.run(["inspect", "--json", path])
        #expect(json.status == 0)
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        #expect(object?["schema"] as? String == "rehearse.inspect/2")
        let files = object?["files"] as? [[String: Any]]
        #expect((files?.first?["omdTotals"] as? [String: Any])?["gaps"] as? Int == 2)
    }

    @Test("a missing or damaged capture exits 3 naming the file; figures before the damage are printed")
    func inputErrors() throws {
        let missing = try CLI.run(["inspect", "/nonexistent/x.pcap"])
        #expect(missing.status == 3)
        #expect(missing.stderr.contains("/nonexistent/x.pcap"))
        let garbage = temporary("garbage.pcap")
        defer { try? FileManager.default.removeItem(atPath: garbage) }
        try Data("definitely not a capture".utf8).write(to: URL(fileURLWithPath: garbage))
        let bad = try CLI.run(["inspect", garbage])
        #expect(bad.status == 3)
        #expect(bad.stderr.contains("\(garbage): at byte offset 0: not a pcap, pcapng or gzip file"))
        // Truncated last record: warning, exit 0, packets before it counted.
        let good = CLI.packageRoot + "/captures/omd-d-ab.pcap"
        let cut = temporary("cut.pcap")
        defer { try? FileManager.default.removeItem(atPath: cut) }
        let bytes = try Data(contentsOf: URL(fileURLWithPath: good))
        try bytes.prefix(bytes.count - 10).write(to: URL(fileURLWithPath: cut))
        let truncated = try CLI.run(["inspect", cut])
        #expect(truncated.status == 0)
        #expect(truncated.stderr.contains("warning:"))
        #expect(truncated.stderr.contains("truncated packet record"))
        #expect(truncated.stdout.contains("8,350"))
    }

    @Test("usage errors exit 2 with the reason", arguments: [
        (["inspect"], "Missing expected argument"),
        (["inspect", "--filter", "udp and and", "captures/omd-d-ab.pcap"], "invalid filter"),
        (["synth", "-o", "/tmp/x.pcap", "--fault", "Q:boom@1s"], "--fault Q:boom@1s"),
        (["synth", "-o", "/tmp/x.pcap", "--channels", "0"], "--channels"),
        (["synth", "-o", "/tmp/x.pcap", "--duration", "soon"], "--duration"),
        (["frobnicate"], "Unexpected argument"),
    ])
    func usage(arguments: [String], message: String) throws {
        let result = try CLI.run(arguments)
        #expect(result.status == 2, "\(arguments)")
        #expect(result.stderr.contains(message), "\(result.stderr)")
    }

    @Test("an unwritable synth output exits 3 naming the path")
    func unwritable() throws {
        let result = try CLI.run(["synth", "-o", "/nonexistent-dir/x.pcap", "--duration", "10ms"])
        #expect(result.status == 3)
        #expect(result.stderr.contains("/nonexistent-dir/x.pcap"))
    }

    @Test("a gzip capture piped on standard input (-) is detected and reported as compressed")
    func standardInput() throws {
        let result = try CLI.run(["-c", "gzip -c captures/omd-d-ab.pcap | '\(CLI.executable)' inspect --json -"], executable: "/bin/sh")
        #expect(result.status == 0, "\(result.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        let file = (object?["files"] as? [[String: Any]])?.first
        #expect(file?["compressed"] as? Bool == true)
        #expect(file?["packets"] as? Int == 8351)
    }

    @Test("--filter narrows inspect to matching packets")
    func filter() throws {
        let result = try CLI.run(["inspect", "--json", "--filter", "dst host 239.1.1.1", "captures/omd-d-ab.pcap"])
        #expect(result.status == 0)
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        let file = (object?["files"] as? [[String: Any]])?.first
        #expect((file?["streams"] as? [Any])?.count == 1)
        #expect(file?["filter"] as? String == "dst host 239.1.1.1")
    }
}

import Vocabulary
import Capture
import Foundation
import Testing

/// The captures in captures/ and their expected `inspect --json` results (captures/golden.txt).
@Suite("Golden captures")
struct GoldenCaptureTests {
    static let entries: [(name: String, arguments: [String])] = {
        let text = (try? String(contentsOfFile: CLI.packageRoot + "/captures/golden.txt", encoding: .utf8)) ?? ""
        return text.split(separator: "\n").filter { !$0.hasPrefix("#") && !$0.isEmpty }.map { line in
            let parts = line.split(separator: " ").map(String.init)
            return (parts[0], Array(parts.dropFirst()))
        }
    }()

    @Test("inspect gives the recorded result", arguments: GoldenCaptureTests.entries.map(\.name))
    func inspect(name: String) throws {
        let expected = try String(contentsOfFile: CLI.packageRoot + "/captures/\(name).inspect.json", encoding: .utf8)
        let result = try CLI.run(["inspect", "--json", "captures/\(name)"])
        #expect(result.status == 0)
        #expect(result.stdout == expected)
    }

    @Test("compare of lines A and B gives the recorded result (recorded by the whole-capture walk before the window)",
          arguments: GoldenCaptureTests.entries.map(\.name))
    func compare(name: String) throws {
        let expected = try String(contentsOfFile: CLI.packageRoot + "/captures/\(name).compare.json", encoding: .utf8)
        let vlan = name.contains("vlan") ? "vlan and " : ""
        let result = try CLI.run(["compare", "--json", "captures/\(name)", "--a", vlan + "dst net 239.1.1.0/24", "--b", vlan + "dst net 239.1.2.0/24"])
        #expect(result.status == 0 || result.status == 1)
        #expect(result.stdout == expected)
    }

    @Test("synth regenerates the golden capture byte for byte", arguments: GoldenCaptureTests.entries.map(\.name))
    func regenerate(name: String) throws {
        let arguments = Self.entries.first { $0.name == name }!.arguments
        let path = NSTemporaryDirectory() + "golden-\(UUID().uuidString)-\(name)"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = try CLI.run(["synth", "--output", path] + arguments)
        #expect(result.status == 0)
        let made = try Data(contentsOf: URL(fileURLWithPath: path))
        let golden = try Data(contentsOf: URL(fileURLWithPath: CLI.packageRoot + "/captures/\(name)"))
        if name.hasSuffix(".gz") {
            // Compare what is inside: zlib's compressed bytes may differ between zlib builds.
            #expect(try packets(path) == packets(CLI.packageRoot + "/captures/\(name)"))
        } else {
            #expect(made == golden)
        }
    }

    func packets(_ path: String) throws -> [[UInt8]] {
        var reader = try CaptureReader.open(path)
        var out: [[UInt8]] = []
        while let p = try reader.next() { out.append(withUnsafeBytes(of: p.timestamp) { Array($0) } + p.data.bytes) }
        return out
    }

    @Test("golden expectations hold the figures the captures were made to show")
    func expectations() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: CLI.packageRoot + "/captures/omd-d-ab.pcap.inspect.json"))
        let object = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        let file = (object?["files"] as? [[String: Any]])!.first!
        let totals = file["omdTotals"] as! [String: Any]
        #expect(totals["gaps"] as? Int == 4)            // B:gap@400ms:3 on each of 4 channels
        #expect(totals["duplicateMessages"] as? Int ?? 0 > 0)  // B1:dup@600ms:2
        #expect(totals["errors"] as? Int == 0)
        #expect(totals["resets"] as? Int == 8)
    }

    @Test("scripts/sweep-captures.sh reads every golden capture whole, a line each with its OMD streams")
    func sweep() throws {
        let r = try CLI.run([CLI.packageRoot + "/scripts/sweep-captures.sh", CLI.packageRoot + "/captures", CLI.executable],
                            executable: "/bin/bash")
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("sweep: 3 files: 3 read whole, 0 with warnings, 0 refused"), "\(r.stdout)")
        #expect(r.stdout.contains("8 streams: 8 omd") && r.stdout.contains("omd-d-ab.pcap"), "\(r.stdout)")
    }
}

import Vocabulary
import Capture
import Foundation
import Scenario
import Testing

@Suite("Scenario files: strict YAML with errors that name the line and key")
struct ScenarioTests {
    static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    @Test("the annotated example parses: targets in file order, gateways, endpoint ranges, verify settings")
    func example() throws {
        let s = try Scenario.load(Self.root + "/scenarios/loopback-verify.yaml")
        #expect(s.name == "loopback rehearsal")
        #expect(s.targets.map(\.name) == ["old", "new"])
        let old = s.targets[0]
        #expect(old.gateway?.address == Endpoint("127.0.0.1:19101"))
        #expect(old.gateway?.senderCompID == "CLIENT01" && old.gateway?.targetCompID == "HKATS" && old.gateway?.fixVersion == "FIX.4.4")
        #expect(old.gateway?.heartbeat == 30_000_000_000)
        #expect(old.lines.count == 1 && old.lines[0].endpoints == [Endpoint("127.0.0.1:19201")!, Endpoint("127.0.0.1:19202")!])
        #expect(s.verify.timeout == 5_000_000_000 && s.verify.packets == 3)
    }

    func error(_ text: String) -> ScenarioError? {
        do { _ = try Scenario.parse(text, file: "s.yaml"); return nil } catch { return error }
    }

    @Test("unknown keys, bad values, missing keys, duplicates and broken YAML: file, line and key in the message")
    func errors() throws {
        let base = """
        name: x
        targets:
          old:
            gateway:
              address: 127.0.0.1:9001
              sender: A
              target: B

        """
        #expect(error(base) == nil)
        var e = try #require(error(base + "speed: 3\n"))
        #expect(e.line == 8 && e.key == "speed" && e.description.hasPrefix("s.yaml:8:1: speed: unknown key"))
        e = try #require(error(base.replacingOccurrences(of: "127.0.0.1:9001", with: "localhost")))
        #expect(e.line == 5 && e.key == "targets.old.gateway.address" && e.message.contains("HOST:PORT"))
        e = try #require(error(base.replacingOccurrences(of: "      sender: A\n", with: "")))
        #expect(e.key == "targets.old.gateway.sender" && e.message.contains("missing"))
        e = try #require(error(base.replacingOccurrences(of: "      target: B\n", with: "      target: B\n      fix: FIX.5.0\n")))
        #expect(e.key == "targets.old.gateway.fix")
        e = try #require(error(base + "verify:\n  timeout: soon\n"))
        #expect(e.line == 9 && e.key == "verify.timeout")
        e = try #require(error(base + "verify:\n  packets: 0\n"))
        #expect(e.key == "verify.packets")
        e = try #require(error(base + "name: y\n"))
        #expect(e.line == 8 && e.message.contains("twice"), "\(e)")
        e = try #require(error("name: x\ntargets: [a, b\n"))
        #expect(e.message.contains("not valid YAML") && e.line >= 2)
        e = try #require(error("name: x\n"))
        #expect(e.key == "targets")
        e = try #require(error(base + "    feed:\n      lines:\n        - name: A\n          endpoints: 127.0.0.1:1-999\n"))
        #expect(e.line == 11 && e.key == "targets.old.feed.lines[0].endpoints")
        e = try #require(error("name: x\ntargets:\n  old: {}\n"))
        #expect(e.message.contains("needs a gateway"))
        e = try #require(error(""))
        #expect(e.message.contains("empty"))
        #expect(throws: ScenarioError.self) { try Scenario.load("/nonexistent/scenario.yaml") }
    }
}

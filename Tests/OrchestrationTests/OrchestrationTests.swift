import Foundation
import Orchestration
import Replay
import Results
import Scenario
import Synth
import Testing
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
        #expect(Set(Orchestration.ExitStatus.allCases.map(\.rawValue)) == [0, 1, 2, 3, 4, 130])
        #expect(Orchestration.ExitStatus.allCases.allSatisfy { !$0.meaning.isEmpty })
        #expect(Orchestration.ExitStatus.limitFailed.worst(.target) == .target)
        #expect(Orchestration.ExitStatus.target.worst(.input) == .input)
        #expect(Orchestration.ExitStatus.input.worst(.interrupted) == .interrupted)
        #expect(Orchestration.ExitStatus.usage.worst(.limitFailed) == .usage)
        #expect(Orchestration.ExitStatus.success.worst(.success) == .success)
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
}

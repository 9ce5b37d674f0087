import Foundation
import Testing

/// One failure per exit code per command family, through the real executable: the single mapping of
/// README "Exit codes" (Orchestration/Failure+Classification.swift). Every case also checks that the
/// message names what failed.
@Suite("exit codes: one mapping across command families", .serialized)
struct ExitCodeTests {
    static let directory = NSTemporaryDirectory() + "rehearse-exit-\(ProcessInfo.processInfo.processIdentifier)"
    static let feed = CLI.packageRoot + "/captures/omd-d-ab.pcap"

    /// A capture that is not one, a synthesized FIX capture and a scenario, made once.
    static let files: (garbage: String, fix: String, notOMD: String) = {
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let garbage = directory + "/garbage.pcap"
        try? Data("definitely not a capture".utf8).write(to: URL(fileURLWithPath: garbage))
        let fix = directory + "/fix.pcap"
        _ = try? CLI.run(["synth", "--fix", "-o", fix, "--sessions", "1", "--orders", "10"])
        // Three UDP datagrams to 233.215.179.5:10378 whose payload is not OMD (an IEX-TP-like header).
        func le(_ v: UInt32) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v >> 16 & 0xFF), UInt8(v >> 24)] }
        var bytes = le(0xA1B2_C3D4) + [2, 0, 4, 0] + le(0) + le(0) + le(65_535) + le(1)
        for i in 0..<3 {
            let payload: [UInt8] = [1, 0, 0x04, 0x80] + [UInt8](repeating: UInt8(i), count: 36)
            let udp: [UInt8] = [0x13, 0x88, 0x28, 0x8A, 0, UInt8(8 + payload.count), 0, 0] + payload
            let ip: [UInt8] = [0x45, 0, 0, UInt8(20 + udp.count), 0, 0, 0x40, 0, 64, 17, 0, 0, 10, 0, 0, 1, 233, 215, 179, 5] + udp
            let frame: [UInt8] = [1, 0, 0x5E, 0x57, 0xB3, 5, 2, 0, 0, 0, 0, 1, 8, 0] + ip
            bytes += le(1_767_225_600) + le(UInt32(i) * 1_000) + le(UInt32(frame.count)) + le(UInt32(frame.count)) + frame
        }
        let notOMD = directory + "/not-omd.pcap"
        try? Data(bytes).write(to: URL(fileURLWithPath: notOMD))
        return (garbage, fix, notOMD)
    }()

    /// A loopback port where nothing listens (TCP and UDP: connects are refused, datagrams bounce).
    static let closedPort = 9

    struct Case: CustomTestStringConvertible, Sendable {
        let family: String
        let arguments: [String]
        let status: Int32
        let message: String
        var testDescription: String { "\(family): exit \(status) for \(arguments.prefix(2).joined(separator: " "))…" }
    }

    static let cases: [Case] = [
        // Usage or configuration (2).
        Case(family: "feed", arguments: ["replay", feed, "--to", "nonsense"], status: 2, message: "--to nonsense"),
        Case(family: "feed", arguments: ["replay", feed, "--to", "*=127.0.0.1:9", "--start-at", "2020-01-01T00:00:00Z"], status: 2, message: "is already past"),
        Case(family: "feed", arguments: ["replay", feed, "--to", "*=127.0.0.1:9", "--start-at", "tomorrow"], status: 2, message: "expected an ISO 8601 UTC time"),
        Case(family: "feed", arguments: ["replay", feed, "--to", "*=127.0.0.1:9", "--filter", "tcp port"], status: 2, message: "filter"),
        Case(family: "feed", arguments: ["listen", "--on", "192.0.2.1:5999", "--duration", "1s"], status: 2, message: "192.0.2.1:5999"),
        // A bench receiver that cannot bind is configuration in bench as in run (was 2 in bench, 4 in run).
        Case(family: "feed", arguments: ["bench", feed, "--new", "127.0.0.1:9", "--new-from", "192.0.2.1:5999"], status: 2, message: "192.0.2.1:5999"),
        Case(family: "gateway", arguments: ["gateway", feed], status: 2, message: "--old HOST:PORT"),
        Case(family: "compare", arguments: ["compare", feed], status: 2, message: "give two captures"),
        Case(family: "watch", arguments: ["watch", "--primary", "192.0.2.1:5999", "--standby", "192.0.2.2:5999", "--duration", "1s"], status: 2,
             message: "192.0.2.1:5999"),
        Case(family: "scenario", arguments: ["run", "/nonexistent/scenario.yaml"], status: 2, message: "/nonexistent/scenario.yaml"),
        Case(family: "scenario", arguments: ["verify", "/nonexistent/scenario.yaml"], status: 2, message: "/nonexistent/scenario.yaml"),
        Case(family: "report", arguments: ["report", feed, "--format", "pdf"], status: 2, message: "--format pdf"),
        // Input (3).
        Case(family: "capture", arguments: ["inspect", directory + "/garbage.pcap"], status: 3, message: "at byte offset 0"),
        Case(family: "feed", arguments: ["replay", directory + "/garbage.pcap", "--to", "*=127.0.0.1:9"], status: 3, message: "garbage.pcap"),
        Case(family: "feed", arguments: ["bench", directory + "/garbage.pcap", "--new", "127.0.0.1:9", "--new-from", "127.0.0.1:5998"], status: 3,
             message: "garbage.pcap"),
        Case(family: "gateway", arguments: ["gateway", directory + "/garbage.pcap", "--new", "127.0.0.1:9"], status: 3, message: "garbage.pcap"),
        // A bench with nothing it can match is refused, never "0 sent, 0 lost" and exit 0.
        Case(family: "feed", arguments: ["bench", directory + "/not-omd.pcap", "--new", "127.0.0.1:9", "--new-from", "127.0.0.1:19"], status: 3,
             message: "no sequenced feed message in the selected streams (233.215.179.5:10378)"),
        Case(family: "compare", arguments: ["compare", directory + "/garbage.pcap", feed], status: 3, message: "garbage.pcap"),
        Case(family: "report", arguments: ["report", directory + "/missing.json"], status: 3, message: "missing.json"),
        // Target (4).
        Case(family: "feed", arguments: ["replay", feed, "--to", "*=127.0.0.1:\(closedPort)", "--max"], status: 4, message: "refused"),
        Case(family: "gateway", arguments: ["gateway", directory + "/fix.pcap", "--new", "127.0.0.1:\(closedPort)", "--connect-attempts", "1"],
             status: 4, message: "127.0.0.1:\(closedPort)"),
    ]

    @Test("each failure ends with its documented code and names what failed", arguments: cases)
    func exitCode(_ c: Case) throws {
        _ = Self.files
        let r = try CLI.run(c.arguments)
        #expect(r.status == c.status, "\(c.arguments): \(r.stderr)")
        #expect((r.stderr + r.stdout).contains(c.message), "\(c.arguments): \(r.stderr)")
    }
}

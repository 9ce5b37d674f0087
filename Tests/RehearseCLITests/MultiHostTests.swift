import Foundation
import Testing
import Vocabulary

/// Network namespaces joined by a bridge: load hosts and a target host on one machine.
struct Namespaces {
    static let ip: String? = ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"].first { FileManager.default.isExecutableFile(atPath: $0) }

    /// Whether this host lets a test make namespaces (root and `ip netns`; CI runs as root).
    static let available: Bool = {
        guard ip != nil else { return false }
        let probe = "rhprobe\(UInt16.random(in: 1000...60000))"
        guard (try? run(["netns", "add", probe])) != nil else { return false }
        _ = try? run(["netns", "del", probe])
        return true
    }()

    struct Failure: Error, CustomStringConvertible { let description: String }

    @discardableResult
    static func run(_ arguments: [String]) throws -> String {
        let r = try CLI.run(arguments, executable: ip ?? "/usr/sbin/ip")
        guard r.status == 0 else { throw Failure(description: "ip \(arguments.joined(separator: " ")): \(r.stderr)") }
        return r.stdout
    }

    let target: String
    let loads: [String]
    /// The target's address on the bridge; load host k is .k+1.
    let targetAddress: String

    /// A target namespace with a bridge, and `loads` load namespaces each joined to it by a veth pair,
    /// all on a /24 of 10.231.0.0/16 picked at random (nothing leaves the namespaces).
    init(loads count: Int) throws {
        let tag = UInt16.random(in: 1000...60000)
        let subnet = "10.231.\(tag % 250)"
        target = "rht\(tag)"
        loads = (0..<count).map { "rhl\($0)x\(tag)" }
        targetAddress = "\(subnet).254"
        for n in [target] + loads {
            try Self.run(["netns", "add", n])
            try Self.run(["-n", n, "link", "set", "lo", "up"])
        }
        try Self.run(["-n", target, "link", "add", "br0", "type", "bridge"])
        try Self.run(["-n", target, "addr", "add", "\(targetAddress)/24", "dev", "br0"])
        try Self.run(["-n", target, "link", "set", "br0", "up"])
        for (k, load) in loads.enumerated() {
            let a = "va\(k)x\(tag)", b = "vb\(k)x\(tag)"
            try Self.run(["link", "add", a, "type", "veth", "peer", "name", b])
            try Self.run(["link", "set", a, "netns", load])
            try Self.run(["link", "set", b, "netns", target])
            try Self.run(["-n", load, "addr", "add", "\(subnet).\(k + 1)/24", "dev", a])
            try Self.run(["-n", load, "link", "set", a, "up"])
            try Self.run(["-n", target, "link", "set", b, "master", "br0"])
            try Self.run(["-n", target, "link", "set", b, "up"])
        }
    }

    /// Deleting a namespace deletes its ends of the veth pairs.
    func remove() {
        for n in [target] + loads { _ = try? Self.run(["netns", "del", n]) }
    }

    /// `rehearse ARGUMENTS` started in namespace `ns` (not waited for).
    static func start(in ns: String, _ arguments: [String]) throws -> (Process, Pipe, Pipe) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ip!)
        process.arguments = ["netns", "exec", ns, CLI.executable] + arguments
        process.currentDirectoryURL = URL(fileURLWithPath: CLI.packageRoot)
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        return (process, out, err)
    }

    /// Waits for a started process: its exit status, output and errors.
    static func finish(_ started: (Process, Pipe, Pipe)) -> CLI.Result {
        let (process, out, err) = started
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return CLI.Result(status: process.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
    }
}

@Suite("Several hosts on one machine: network namespaces")
struct MultiHostTests {
    func json(_ text: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] ?? [:]
    }

    /// The target host's listener around `send`: every packet it received, per port.
    func received(_ net: Namespaces, ports: Int, _ send: () throws -> Void) throws -> [Int] {
        let listener = try Namespaces.start(in: net.target, ["listen", "--on", "0.0.0.0:47000-\(47000 + ports - 1)", "--idle", "1500ms",
                                                             "--duration", "30s", "--json"])
        Thread.sleep(forTimeInterval: 0.8)  // bound before anything is sent (a late bind would lose packets, not pass)
        try send()
        let r = Namespaces.finish(listener)
        #expect(r.status == 0, "\(r.stderr)")
        let streams = try json(r.stdout)["streams"] as? [[String: Any]] ?? []
        return streams.map { $0["packets"] as? Int ?? -1 }
    }

    @Test("two load hosts (namespaces) replay the shards of a 4-channel feed at one --start-at to a target host (a namespace) across a bridge; merged, they sent what one host sends — packets, bytes, every target's counts — the target received every packet either way, and each host's start is recorded",
          .enabled(if: Namespaces.available, "network namespaces cannot be made here (needs root and ip netns): skipped"))
    func twoLoadHostsOneTarget() throws {
        let net = try Namespaces(loads: 2)
        defer { net.remove() }
        let dir = NSTemporaryDirectory() + "rehearse-hosts-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let capture = dir + "/feed.pcap"
        #expect(try CLI.run(["synth", "-o", capture, "--channels", "4", "--packets", "2000", "--rate", "20000", "--lines", "A", "--seed", "5"]).status == 0)
        let to = "each=\(net.targetAddress):47000"

        // One host sends everything.
        var whole: CLI.Result?
        let alone = try received(net, ports: 4) {
            whole = Namespaces.finish(try Namespaces.start(in: net.loads[0], ["replay", capture, "--to", to, "--json"]))
        }
        #expect(whole?.replayed == true, "\(whole?.stderr ?? "")")
        // Two hosts each send their shard, started together.
        let startAt = TimeFormat.iso8601(Clock.realtime() + 2_000_000_000)
        var shards: [CLI.Result] = []
        let together = try received(net, ports: 4) {
            let started = try (0..<2).map { k in
                try Namespaces.start(in: net.loads[k], ["replay", capture, "--to", to, "--shard", "\(k)/2", "--start-at", startAt, "--json"])
            }
            shards = started.map(Namespaces.finish)
        }
        for s in shards { #expect(s.replayed, "\(s.stderr)") }
        #expect(alone.count == 4 && alone.reduce(0, +) == 2_000, "one host: \(alone)")
        #expect(together == alone, "the target received \(together) from the shards, \(alone) from one host")

        let paths = try shards.enumerated().map { k, s in
            let path = dir + "/shard-\(k).json"
            try s.stdout.write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }
        let merge = try CLI.run(["merge", "--json"] + paths)
        #expect(merge.status == 0 || (merge.status == 5 && merge.stderr.contains("did not hold the schedule")), "\(merge.stderr)")
        let merged = try json(merge.stdout), one = try json(whole?.stdout ?? "{}")
        for key in ["packets", "bytes", "streams", "unmappedPacketsDropped"] {
            #expect((merged[key] as? Int) == (one[key] as? Int), "\(key): merged \(merged[key] ?? "-"), one host \(one[key] ?? "-")")
        }
        #expect(NSArray(array: merged["targets"] as? [Any] ?? []).isEqual(to: one["targets"] as? [Any] ?? [1]), "targets differ")
        #expect((merged["lateness"] as? [String: Any])?["count"] as? Int == 2_000)
        #expect(merged["latenessHistogram"] is String && merged["shard"] == nil)
        let hosts = merged["hosts"] as? [[String: Any]] ?? []
        #expect(hosts.count == 2 && hosts.allSatisfy { ($0["startSkewNs"] as? Int ?? -1) >= 0 }, "\(hosts)")
        #expect((merged["startAtNs"] as? Int).map(Int64.init) == UTCInstant.parse(startAt))
        // A shard missing is refused, named.
        let partial = try CLI.run(["merge", paths[1]])
        #expect(partial.status == 3 && partial.stderr.contains("0/2 missing"), "\(partial.stderr)")
    }

    /// One reference platform per channel in the target host, each publishing its channel to the host
    /// `owner(c)` (load host k is at .k+1 on the bridge), for `run`; then stopped.
    func withPlatforms(_ net: Namespaces, channels: Int, owner: (Int) -> Int, _ run: () throws -> Void) throws {
        let subnet = net.targetAddress.split(separator: ".").dropLast().joined(separator: ".")
        let sims = try (0..<channels).map { c in
            try Namespaces.start(in: net.target, ["sim", "feed", "--listen", "0.0.0.0:\(46000 + c)", "--publish", "\(subnet).\(owner(c) + 1):\(47000 + c)",
                                                  "--profile", "new", "--duration", "60s"])
        }
        Thread.sleep(forTimeInterval: 0.8)  // bound before the bench sends
        defer {
            for (p, _, _) in sims { p.terminate() }
            for s in sims { _ = Namespaces.finish(s) }
        }
        try run()
    }

    @Test("two load hosts bench the shards of a 4-channel feed at one --start-at against reference platforms in a target host; merged, every count equals one load host's bench, nothing is lost, the intervals slice the same schedule, and the merge is judged as one bench",
          .enabled(if: Namespaces.available, "network namespaces cannot be made here (needs root and ip netns): skipped"))
    func benchShardsAcrossHosts() throws {
        let net = try Namespaces(loads: 2)
        defer { net.remove() }
        let dir = NSTemporaryDirectory() + "rehearse-bench-hosts-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let capture = dir + "/feed.pcap"
        #expect(try CLI.run(["synth", "-o", capture, "--channels", "4", "--packets", "2000", "--rate", "20000", "--lines", "A", "--seed", "8"]).status == 0)
        let bench = ["bench", capture, "--new", "\(net.targetAddress):46000", "--new-from", "0.0.0.0:47000", "--drain", "1s", "--json"]
        func ran(_ r: CLI.Result) -> Bool { r.status == 0 || r.status == 5 }

        var alone = CLI.Result(status: -1, stdout: "{}", stderr: "")
        try withPlatforms(net, channels: 4, owner: { _ in 0 }) {
            alone = Namespaces.finish(try Namespaces.start(in: net.loads[0], bench))
        }
        #expect(ran(alone), "\(alone.stderr)")
        var shards: [CLI.Result] = []
        let startAt = TimeFormat.iso8601(Clock.realtime() + 2_500_000_000)
        try withPlatforms(net, channels: 4, owner: { $0 % 2 }) {
            let started = try (0..<2).map { k in try Namespaces.start(in: net.loads[k], bench + ["--shard", "\(k)/2", "--start-at", startAt]) }
            shards = started.map(Namespaces.finish)
        }
        for s in shards { #expect(ran(s), "\(s.stderr)") }
        let paths = try shards.enumerated().map { k, s in
            let path = dir + "/bench-\(k).json"
            try s.stdout.write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }
        let merge = try CLI.run(["merge", "--json"] + paths)
        #expect(ran(merge), "\(merge.stderr)")
        let merged = try json(merge.stdout), one = try json(alone.stdout)
        let side = (merged["sides"] as? [[String: Any]])?.first ?? [:], oneSide = (one["sides"] as? [[String: Any]])?.first ?? [:]
        // (Packets received are not compared: the new profile re-packetises as messages happen to queue.)
        for key in ["messagesSent", "messagesReceived", "messagesLost", "duplicateMessages", "unexpectedMessages"] {
            #expect((side[key] as? Int) == (oneSide[key] as? Int), "\(key): merged \(side[key] ?? "-"), one host \(oneSide[key] ?? "-")")
        }
        let sent = side["messagesSent"] as? Int ?? 0
        #expect(sent > 2_000 && side["messagesReceived"] as? Int == sent && side["messagesLost"] as? Int == 0, "conservation: \(side)")
        #expect((side["latency"] as? [String: Any])?["count"] as? Int == sent)
        let intervals = side["intervals"] as? [[String: Any]] ?? [], oneIntervals = oneSide["intervals"] as? [[String: Any]] ?? []
        #expect(intervals.map { $0["startNs"] as? Int } == oneIntervals.map { $0["startNs"] as? Int } && intervals.count == 10)
        #expect(intervals.reduce(0) { $0 + ($1["count"] as? Int ?? 0) } == sent)
        #expect((merged["replay"] as? [String: Any])?["packets"] as? Int == (one["replay"] as? [String: Any])?["packets"] as? Int)
        #expect(((merged["replay"] as? [String: Any])?["hosts"] as? [Any])?.count == 2)
        #expect(merged["validity"] != nil && side["histogram"] is String)
        // The shards' own results hold half the channels each.
        let halves = try shards.map { ((try json($0.stdout)["sides"] as? [[String: Any]])?.first?["messagesSent"] as? Int) ?? 0 }
        #expect(halves.allSatisfy { $0 > 0 && $0 < sent } && halves.reduce(0, +) == sent, "\(halves)")
    }
}

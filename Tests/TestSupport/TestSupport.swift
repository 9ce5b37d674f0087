// Helpers shared by the test targets (one copy each): temporary files, deterministic randomness, byte
// views over arrays, synthesized captures and reference platforms running in the test process.
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Simulators
import Synth
import Transport
import Vocabulary

/// A temporary directory per test, removed when released.
public final class TemporaryDirectory {
    public let path: String
    public init() {
        path = NSTemporaryDirectory() + "rehearse-test-" + UUID().uuidString
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
    public func file(_ name: String) -> String { path + "/" + name }
}

/// A small deterministic generator for randomized tests: the same numbers on every run.
public struct TestRandom {
    public var state: UInt64
    public init(seed: UInt64) { state = seed }
    /// A number in 0 ..< bound.
    public mutating func callAsFunction(_ bound: Int) -> Int {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return Int((state >> 33) % UInt64(bound))
    }
}

/// Runs `body` with a view of `bytes`.
public func withView<R>(_ bytes: [UInt8], _ body: (ByteView) throws -> R) rethrows -> R {
    try bytes.withUnsafeBytes { try body(ByteView(unsafeStart: $0.baseAddress, count: $0.count)) }
}

/// A synthesized OMD-D capture in a temporary file (line A only unless told), with its summary.
public func synthCapture(channels: Int = 2, packets: Int = 400, rate: Double = 20_000, lines: [FeedLine] = [.a],
                         gzip: Bool = false, seed: UInt64 = 7) throws -> (String, SynthSummary) {
    var c = SynthConfiguration()
    c.seed = seed
    c.channels = channels
    c.packetLimit = packets
    c.rate = rate
    c.lines = lines
    let path = NSTemporaryDirectory() + "rehearse-synth-\(UUID().uuidString).pcap" + (gzip ? ".gz" : "")
    let summary = try OMDSynthesizer.generate(c, to: path)
    return (path, summary)
}

/// A synthesized capture of FIX client sessions over TCP in a temporary file.
public func fixCapture(sessions: Int, orders: Int, rate: Double = 2_000) throws -> String {
    var c = FIXSynthConfiguration()
    c.seed = 5
    c.sessions = sessions
    c.ordersPerSession = orders
    c.rate = rate
    let path = NSTemporaryDirectory() + "rehearse-gw-\(UUID().uuidString).pcap"
    _ = try FIXSynthesizer.generate(c, to: path)
    return path
}

/// A block of 16 free loopback ports (bench channels use consecutive ports): ``freePortBlock(_:)``.
public func portBlock() -> UInt16 { UInt16(freePortBlock(16)) }

/// A feed simulator on `listen`…+channels publishing to `publish`…, run on its own thread.
/// `@unchecked Sendable`: `stats` is written by the simulator's thread before it signals `done`, and
/// read only after waiting for it.
public final class RunningSimulator: @unchecked Sendable {
    public let simulator: FeedSimulator
    private var stats: FeedSimulatorStatistics?
    private let done = DispatchSemaphore(value: 0)

    public init(listen: UInt16, publish: UInt16, channels: Int, profile: FeedProfile, faults: FeedFaults = FeedFaults()) throws {
        let l = (0..<channels).map { Endpoint(address: IPAddress(v4: 0x7F00_0001), port: listen + UInt16($0)) }
        let p = (0..<channels).map { Endpoint(address: IPAddress(v4: 0x7F00_0001), port: publish + UInt16($0)) }
        simulator = try FeedSimulator(listen: l, publish: p, profile: profile, faults: faults, seed: 5)
        Thread.detachNewThread { [self] in
            stats = simulator.run()
            done.signal()
        }
    }

    public func stop() -> FeedSimulatorStatistics {
        simulator.stop()
        done.wait()
        return stats!
    }
}

/// A gateway simulator on a free loopback port, run on its own thread.
/// `@unchecked Sendable`: as ``RunningSimulator``.
public final class RunningGateway: @unchecked Sendable {
    public let simulator: GatewaySimulator
    private var stats: GatewayStatistics?
    private let done = DispatchSemaphore(value: 0)

    public init(profile: GatewayProfile = .new, faults: GatewayFaults = GatewayFaults()) throws {
        simulator = try GatewaySimulator(listen: Endpoint("127.0.0.1:0")!, profile: profile, faults: faults)
        Thread.detachNewThread { [self] in
            stats = simulator.run()
            done.signal()
        }
    }

    public var endpoint: Endpoint { Endpoint(address: IPAddress(v4: 0x7F00_0001), port: simulator.port) }

    public func stop() -> GatewayStatistics {
        simulator.stop()
        done.wait()
        return stats!
    }
}

/// `count` consecutive loopback ports that are free right now for both UDP and TCP, from 10000–32767:
/// below the kernel's ephemeral range (32768–60999), so no connection or sender this machine opens is
/// given one of them behind the test's back, and drawn at random so that test processes running at
/// the same time do not pick the same block. A port taken between this check and its use is possible
/// but rare; a fixed formula over the process id collided with ephemeral ports and with other test runs.
public func freePortBlock(_ count: Int) -> Int {
    func free(_ port: Int, _ type: Int32) -> Bool {
        let fd = socket(AF_INET, type, 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }
    var random = SystemRandomNumberGenerator()
    for _ in 0..<1000 {
        let base = Int.random(in: 10_000...(32_767 - count), using: &random)
        if (base..<(base + count)).allSatisfy({ free($0, Int32(SOCK_DGRAM.rawValue)) && free($0, Int32(SOCK_STREAM.rawValue)) }) { return base }
    }
    fatalError("no block of \(count) free loopback ports in 10000–32767")
}

/// Runs `python3 -c script arguments…` (the tests' independent readers, e.g. HdrHistogram's Python
/// package that `make deps` installs): its exit status, standard output and standard error.
public func runPython(_ script: String, _ arguments: [String]) throws -> (status: Int32, output: String, error: String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = ["python3", "-c", script] + arguments
    let out = Pipe(), err = Pipe()
    p.standardOutput = out
    p.standardError = err
    try p.run()
    let output = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    let error = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    p.waitUntilExit()
    return (p.terminationStatus, output, error)
}

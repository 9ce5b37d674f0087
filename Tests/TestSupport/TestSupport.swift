// Helpers shared by the test targets (one copy each): temporary files, deterministic randomness, byte
// views over arrays, synthesized captures and reference platforms running in the test process.
import Foundation
import Simulators
import Synchronization
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

/// Distinct blocks of 16 loopback ports per test in this process (bench channels use consecutive ports).
private let nextPortBlock = Atomic<Int>(0)
public func portBlock() -> UInt16 {
    let pid = Int(ProcessInfo.processInfo.processIdentifier)
    return UInt16(20_000 + (pid % 500) * 64 + nextPortBlock.add(1, ordering: .relaxed).oldValue * 16 % 64)
}

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

import Foundation
import Vocabulary
import Measure
import Results

/// Where and with what a run was made: enough to tell two runs' conditions apart.
public struct RunEnvironment: Codable, Sendable, Equatable {
    public var host: String
    public var kernel: String
    public var cpu: String
    public var cores: Int
    public var toolVersion: String
    /// FNV-1a 64 of the scenario text and of each input file (hex).
    public var scenarioHash: String
    public var inputHashes: [String: String]

    /// The environment of this process.
    public static func current(scenarioText: String, inputs: [String], toolVersion: String) -> RunEnvironment {
        var u = utsname()
        uname(&u)
        func field<T>(_ value: T) -> String {
            withUnsafeBytes(of: value) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        }
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let model = cpuinfo.split(separator: "\n").first { $0.hasPrefix("model name") }
            .map { String($0.split(separator: ":", maxSplits: 1).last ?? "").trimmingCharacters(in: .whitespaces) } ?? "unknown"
        var hashes: [String: String] = [:]
        for path in inputs { hashes[path] = ContentHash.file(path) ?? "unreadable" }
        return RunEnvironment(host: field(u.nodename), kernel: field(u.release), cpu: model,
                              cores: ProcessInfo.processInfo.activeProcessorCount, toolVersion: toolVersion,
                              scenarioHash: ContentHash.hex(ContentHash.fnv1a(Array(scenarioText.utf8))), inputHashes: hashes)
    }
}

/// FNV-1a 64: a fast content fingerprint (identity, not security).
public enum ContentHash {
    public static func fnv1a<S: Sequence>(_ bytes: S, seed: UInt64 = 0xcbf2_9ce4_8422_2325) -> UInt64 where S.Element == UInt8 {
        var h = seed
        for b in bytes { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
        return h
    }
    public static func hex(_ v: UInt64) -> String {
        let s = String(v, radix: 16)
        return String(repeating: "0", count: 16 - s.count) + s
    }
    /// The file's hash, read in 1 MiB chunks; nil when it cannot be read.
    public static func file(_ path: String) -> String? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        while let chunk = try? handle.read(upToCount: 1 << 20), !chunk.isEmpty { h = fnv1a(chunk, seed: h) }
        return hex(h)
    }
}

/// One step of a capacity ramp.
public struct CapacityStep: Codable, Sendable, Equatable {
    public var speed: Double
    /// Messages per second the schedule asked for.
    public var offeredPerSecond: Double
    public var bench: BenchResult
    public var sendLatenessP99: UInt64
    public var limits: [LimitCheck]
    public var passed: Bool
    /// Whether the sender held this step's schedule and the host was healthy (a step that was not
    /// valid measured the test host: it ends the ramp as the test host's limit, never the target's).
    public var validity: Validity?
    /// The test host during the step.
    public var host: HostHealth?
    public init(speed: Double, offeredPerSecond: Double, bench: BenchResult, sendLatenessP99: UInt64, limits: [LimitCheck], passed: Bool,
                validity: Validity? = nil, host: HostHealth? = nil) {
        self.validity = validity
        self.host = host
        self.speed = speed
        self.offeredPerSecond = offeredPerSecond
        self.bench = bench
        self.sendLatenessP99 = sendLatenessP99
        self.limits = limits
        self.passed = passed
    }
}

/// The capacity ramp: the curve, the knee and what limited it.
public struct CapacityResult: Codable, Sendable, Equatable {
    public var steps: [CapacityStep]
    /// The highest speed at which every limit held (nil: not even the first).
    public var knee: Double?
    /// "target latency", "loss", "throughput", "the sender itself", or "none (every step passed)".
    public var limitingFactor: String
    public var detail: String
    public init(steps: [CapacityStep], knee: Double?, limitingFactor: String, detail: String) {
        self.steps = steps
        self.knee = knee
        self.limitingFactor = limitingFactor
        self.detail = detail
    }
}

/// Everything one run measured (schema `rehearse.run/1`, docs/json/run.md).
public struct RunResult: Codable, Sendable {
    public static let schemaVersion = "rehearse.run/1"
    public var schema = RunResult.schemaVersion
    /// The history id once stored.
    public var id: Int64?
    public var scenario: String
    public var scenarioPath: String
    public var started: TimePoint
    public var finished: TimePoint
    public var environment: RunEnvironment
    public var feed: BenchResult?
    public var gateway: [String: SessionReplayResult]?
    public var compare: ComparisonReport?
    public var capacity: CapacityResult?
    public var limits: [LimitCheck] = []
    /// The test host during the live legs (hiccups, steal, kernel drops): the feed leg's meter, else the gateway leg's.
    public var host: HostHealth?
    /// Per live leg (`feed`, `gateway`): whether its figures are the platforms' (docs/measurement.md).
    public var validity: [String: Validity]?
    public var verdict: Verdict?
    /// True when a leg failed or the run was interrupted: the figures cover what was done.
    public var partial = false
    /// Set by `run --shard`: the shard and how its legs ended; absent from a whole or merged run.
    public var shard: RunShardPart?
    public var errors: [String] = []

    public init(scenario: String, scenarioPath: String, started: TimePoint, environment: RunEnvironment) {
        self.scenario = scenario
        self.scenarioPath = scenarioPath
        self.started = started
        self.finished = started
        self.environment = environment
    }
}

extension BenchResult: Equatable {
    public static func == (a: BenchResult, b: BenchResult) -> Bool {
        a.sides.map(\.latency) == b.sides.map(\.latency) && a.sides.map(\.messagesReceived) == b.sides.map(\.messagesReceived)
    }
}

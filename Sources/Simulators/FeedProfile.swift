import Vocabulary
import Foundation

/// A delay distribution in nanoseconds.
public enum DelayDistribution: Sendable, Equatable, CustomStringConvertible {
    case fixed(Int64)
    case uniform(Int64, Int64)
    /// Lognormal with this median (ns) and sigma of the underlying normal.
    case lognormal(median: Int64, sigma: Double)

    /// Parses `fixed:50us`, `uniform:10us-80us`, `lognormal:40us,0.5`.
    public init?(_ text: String, parseDuration: (String) -> Int64?) {
        let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
        guard parts.count == 2 else { return nil }
        switch parts[0] {
        case "fixed":
            guard let d = parseDuration(parts[1]) else { return nil }
            self = .fixed(d)
        case "uniform":
            let r = parts[1].split(separator: "-").map(String.init)
            guard r.count == 2, let a = parseDuration(r[0]), let b = parseDuration(r[1]), a <= b else { return nil }
            self = .uniform(a, b)
        case "lognormal":
            let r = parts[1].split(separator: ",").map(String.init)
            guard r.count == 2, let m = parseDuration(r[0]), m > 0, let s = Double(r[1]), s >= 0, s < 5 else { return nil }
            self = .lognormal(median: m, sigma: s)
        default:
            return nil
        }
    }

    public var description: String {
        switch self {
        case .fixed(let d): return "fixed \(TimeFormat.duration(d))"
        case .uniform(let a, let b): return "uniform \(TimeFormat.duration(a))–\(TimeFormat.duration(b))"
        case .lognormal(let m, let s): return "lognormal median \(TimeFormat.duration(m)) σ \(s)"
        }
    }

    /// One draw, from two uniform numbers in [0, 1).
    @inline(__always)
    func draw(_ u1: Double, _ u2: Double) -> Int64 {
        switch self {
        case .fixed(let d): return d
        case .uniform(let a, let b): return a + Int64(Double(b - a) * u1)
        case .lognormal(let m, let s):
            // Box–Muller.
            let z = (-2 * log(max(u1, 1e-300))).squareRoot() * cos(2 * Double.pi * u2)
            return Int64(min(Double(m) * exp(s * z), 3.6e12))
        }
    }
}

/// How a reference feed platform behaves: a per-message latency behind a service-time capacity, and
/// whether it re-packetises. Overload (arrivals faster than the service time) builds a real queue.
public struct FeedProfile: Sendable, Equatable {
    public var name: String
    /// Per-message latency added after service.
    public var delay: DelayDistribution
    /// Time the platform spends on each message (capacity = 1 / serviceTime messages per second), ns.
    public var serviceTime: Int64
    /// Re-packetise: pack whatever is ready into packets up to `maximumPayload` (a new platform may);
    /// otherwise each input packet goes out as one packet.
    public var repacketise: Bool
    public var maximumPayload = 1_400
    /// Messages that may wait; beyond it the platform drops (counted).
    public var queueLimit = 1 << 20

    /// The old platform: slower and with less headroom.
    public static let old = FeedProfile(name: "old", delay: .lognormal(median: 80_000, sigma: 0.45), serviceTime: 2_500,
                                        repacketise: false)
    /// The new platform: faster, more capacity, and its own packetisation.
    public static let new = FeedProfile(name: "new", delay: .lognormal(median: 30_000, sigma: 0.3), serviceTime: 1_000,
                                        repacketise: true)
    /// Built-in profiles by name.
    public static let builtIn: [String: FeedProfile] = ["old": old, "new": new]
}

/// Faults a simulator injects into what it publishes.
public struct FeedFaults: Sendable, Equatable {
    /// Probability that an output packet is not sent.
    public var dropRate = 0.0
    /// Probability that an output packet is sent twice.
    public var duplicateRate = 0.0
    /// Probability that an output packet is held and sent after the next one.
    public var reorderRate = 0.0
    /// Publishing stops at `pauseAt` (ns after the first packet) for `pauseFor`; messages queue meanwhile.
    public var pauseAt: Int64?
    public var pauseFor: Int64 = 0
    /// Output packets whose first message has one of these SNs are dropped (counted as drops), on
    /// every channel: a deterministic drop, for tests. Session-control packets are spared, as from
    /// `dropRate`.
    public var dropSequences: Set<UInt32> = []
    /// Gap drills: every `gapEvery` ns (from the first packet), each channel loses whole packets until
    /// `gapMessages` messages are gone — one gap of at least that many messages per channel (0: none).
    /// Session-control packets are spared.
    public var gapMessages = 0
    public var gapEvery: Int64 = 0
    public init() {}
}

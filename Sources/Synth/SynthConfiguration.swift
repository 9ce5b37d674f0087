import Vocabulary
import Capture

/// A market-data line: OMD publishes every channel on Line A and Line B.
public enum FeedLine: String, Sendable, CaseIterable, Codable {
    case a = "A", b = "B"
}

/// A fault injected into one line (optionally one channel) of a synthesized feed.
///
/// Text form `LINE[CHANNEL]:KIND@TIME[:AMOUNT]`, TIME and durations as `2s`, `150ms`, `40us`, `1m`:
/// - `B:gap@2s:5` — from 2 s, the next 5 packets of every channel on line B are lost.
/// - `A1:pause@3s:500ms` — line A channel 1 sends nothing for 500 ms from 3 s, then the held packets burst out.
/// - `B:dup@4s:3` — the next 3 packets are sent twice.
/// - `A:reorder@5s:2` — twice, a packet is overtaken by the one after it.
/// - `B:lag@1s:2ms` — from 1 s the line falls behind steadily: 2 ms more delay per second (a standby
///   that cannot keep up).
/// - `B:burst@4s:200` — the line sends its last 200 packets again (a duplicate burst, as a publisher
///   replays after failing over).
public struct SynthFault: Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable, CaseIterable { case gap, pause, dup, reorder, lag, burst }
    /// The most packets a `burst` can repeat.
    public static let burstLimit = 4096
    public var line: FeedLine
    /// nil = every channel.
    public var channel: Int?
    public var kind: Kind
    /// Offset from the start of the capture, ns.
    public var at: Int64
    /// Packets (gap, dup, reorder), nanoseconds (pause), or nanoseconds of extra delay per second (lag).
    public var amount: Int64

    public init(line: FeedLine, channel: Int? = nil, kind: Kind, at: Int64, amount: Int64) {
        self.line = line
        self.channel = channel
        self.kind = kind
        self.at = at
        self.amount = amount
    }

    /// Parses the text form; nil with no detail when malformed (callers report the text).
    public init?(_ text: String) {
        let parts = text.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
        guard parts.count >= 2, let first = parts[0].first, let line = FeedLine(rawValue: String(first).uppercased()) else {
            return nil
        }
        let channelText = parts[0].dropFirst()
        var channel: Int?
        if !channelText.isEmpty {
            guard let c = Int(channelText), c >= 0 else { return nil }
            channel = c
        }
        let kindAndTime = parts[1].split(separator: "@", omittingEmptySubsequences: false)
        guard kindAndTime.count == 2, let kind = Kind(rawValue: String(kindAndTime[0]).lowercased()),
              let at = Duration.parseNanoseconds(String(kindAndTime[1])), at >= 0 else { return nil }
        var amount: Int64
        if kind == .pause || kind == .lag {
            guard parts.count == 3, let d = Duration.parseNanoseconds(parts[2]), d > 0 else { return nil }
            amount = d
        } else {
            amount = 1
            if parts.count == 3 {
                guard let n = Int64(parts[2]), n > 0, n <= (kind == .burst ? Int64(Self.burstLimit) : 1_000_000) else { return nil }
                amount = n
            }
        }
        self.init(line: line, channel: channel, kind: kind, at: at, amount: amount)
    }

    public var description: String {
        let target = line.rawValue + (channel.map(String.init) ?? "")
        let amountText = kind == .pause || kind == .lag ? "\(amount / 1_000_000)ms" : "\(amount)"
        return "\(target):\(kind.rawValue)@\(at / 1_000_000)ms:\(amountText)"
    }
}

/// A feed-wide event on every line (optionally one channel), numbered in the channel's sequence.
///
/// Text form `KIND[CHANNEL]@TIME[:DURATION]`:
/// - `reset@5s` — a mid-day Sequence Reset (100): every channel restarts at SeqNum 1.
/// - `dr@4s:1s` — a site failover: DR Signal (105) status 1 (in progress), both lines silent for 1 s
///   (no data, no heartbeats), then DR Signal status 2 (completed) and data resumes.
public struct SynthEvent: Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable, CaseIterable { case reset, dr }
    public var kind: Kind
    /// nil = every channel.
    public var channel: Int?
    /// Offset from the start of the capture, ns.
    public var at: Int64
    /// The outage of a `dr` event, ns.
    public var duration: Int64

    public init(kind: Kind, channel: Int? = nil, at: Int64, duration: Int64 = 0) {
        self.kind = kind
        self.channel = channel
        self.at = at
        self.duration = duration
    }

    /// Parses the text form; nil when malformed.
    public init?(_ text: String) {
        let parts = text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        let kindAndTime = parts[0].split(separator: "@", omittingEmptySubsequences: false).map(String.init)
        guard kindAndTime.count == 2 else { return nil }
        let head = kindAndTime[0].lowercased()
        guard let kind = Kind.allCases.first(where: { head.hasPrefix($0.rawValue) }),
              let at = Duration.parseNanoseconds(kindAndTime[1]) else { return nil }
        let channelText = head.dropFirst(kind.rawValue.count)
        var channel: Int?
        if !channelText.isEmpty {
            guard let c = Int(channelText), c >= 0 else { return nil }
            channel = c
        }
        var duration: Int64 = 0
        switch kind {
        case .reset: guard parts.count == 1 else { return nil }
        case .dr:
            guard parts.count == 2, let d = Duration.parseNanoseconds(parts[1]), d > 0 else { return nil }
            duration = d
        }
        self.init(kind: kind, channel: channel, at: at, duration: duration)
    }

    public var description: String {
        "\(kind.rawValue)\(channel.map(String.init) ?? "")@\(at / 1_000_000)ms" + (kind == .dr ? ":\(duration / 1_000_000)ms" : "")
    }
}

/// What to generate. Defaults give a realistic OMD-D feed: 4 channels on lines A and B.
public struct SynthConfiguration: Sendable {
    public var seed: UInt64 = 1
    public var channels = 4
    /// Length of the capture in ns (default 10 s unless `packetLimit` is set).
    public var duration: Int64?
    /// Stop after this many packets (all lines together).
    public var packetLimit: Int?
    /// Target average packets per second, all lines and channels together.
    public var rate: Double = 50_000
    /// Capture start, ns since 1970 (default 2026-01-05T01:15:00Z, the HKEX derivatives morning open).
    public var start: Int64 = 1_767_575_700_000_000_000
    /// Channel 0 of each line; channel c uses address + c and port + c.
    public var lineA = Endpoint(address: IPAddress(v4: 0xEF01_0101), port: 51_001)  // 239.1.1.1
    public var lineB = Endpoint(address: IPAddress(v4: 0xEF01_0201), port: 51_001)  // 239.1.2.1
    public var sourceA = IPAddress(v4: 0x0A00_0101)  // 10.0.1.1
    public var sourceB = IPAddress(v4: 0x0A00_0201)  // 10.0.2.1
    public var sourcePort: UInt16 = 50_000
    public var lines: [FeedLine] = [.a, .b]
    public var format: CaptureFileFormat = .pcap
    /// Classic pcap with microsecond timestamps (for tools that read only that, e.g. tcpreplay's peers).
    public var microsecondPcap = false
    public var faults: [SynthFault] = []
    /// Feed-wide failover events (mid-day reset, DR site failover).
    public var events: [SynthEvent] = []
    /// Auction uncross times (offsets from start, ns); nil = one per channel at 30 % of the run.
    public var auctions: [Int64]?
    /// Orders added by each uncross (after the 335 Orderbook Clear).
    public var auctionOrders = 400
    public var heartbeatInterval: Int64 = 2_000_000_000
    /// OMD-D v1.41 compression of multi-message packets.
    public var compress = false
    public var vlan: UInt16?
    /// Mean messages per matching-engine event (geometric).
    public var burstMean = 3.0
    /// Chance that an event starts a cluster of events microseconds apart, and the cluster's mean size.
    public var clusterProbability = 0.003
    public var clusterMean = 40.0
    /// Line B trails line A by this much (plus jitter), ns.
    public var lineBLag: Int64 = 20_000
    /// Largest UDP payload (OMD allows 1472).
    public var maximumPayload = 1400

    public init() {}

    /// The effective duration.
    public var effectiveDuration: Int64 {
        if let duration { return duration }
        if let packetLimit { return Int64(Double(packetLimit) / max(rate, 1) * 1e9 * 1.5) + 1_000_000_000 }
        return 10_000_000_000
    }

    /// Endpoint of `channel` on `line`.
    public func endpoint(_ line: FeedLine, channel: Int) -> Endpoint {
        let base = line == .a ? lineA : lineB
        return Endpoint(address: IPAddress(v4: base.address.v4 &+ UInt32(channel)), port: base.port &+ UInt16(channel))
    }
    public func source(_ line: FeedLine) -> IPAddress { line == .a ? sourceA : sourceB }

    /// A setting a ``Problem`` is about (nil: the combination of several).
    public enum Field: String, Sendable, CaseIterable { case channels, rate, duration, packetLimit, lines, maximumPayload }

    /// What is wrong with a configuration: the field, and why (text starting with the field's role).
    public struct Problem: Sendable, Equatable, CustomStringConvertible {
        public let field: Field?
        public let reason: String
        public var description: String { field.map { "\($0.rawValue) \(reason)" } ?? reason }
    }

    /// A problem with the configuration, or nil.
    public func validate() -> Problem? {
        func problem(_ field: Field?, _ reason: String) -> Problem { Problem(field: field, reason: reason) }
        if channels < 1 || channels > 250 { return problem(.channels, "must be 1…250 (got \(channels))") }
        if !(rate > 0) || rate > 50_000_000 { return problem(.rate, "must be > 0 and ≤ 50000000 packets/s") }
        if let d = duration, d <= 0 { return problem(.duration, "must be positive") }
        if let p = packetLimit, p <= 0 { return problem(.packetLimit, "must be positive") }
        if lines.isEmpty { return problem(.lines, "must name A, B or both") }
        if maximumPayload < 200 || maximumPayload > 1472 { return problem(.maximumPayload, "must be 200…1472 bytes") }
        for f in faults where f.channel.map({ $0 >= channels }) ?? false {
            return problem(nil, "fault \(f) names channel \(f.channel!), but there are \(channels) channels")
        }
        for e in events where e.channel.map({ $0 >= channels }) ?? false {
            return problem(nil, "event \(e) names channel \(e.channel!), but there are \(channels) channels")
        }
        for f in faults where !lines.contains(f.line) { return problem(nil, "fault \(f) is on line \(f.line.rawValue), which is not generated") }
        if !lineA.address.isV6 && !lineB.address.isV6 {} else { return problem(nil, "IPv6 line addresses are not supported by synth") }
        return nil
    }
}

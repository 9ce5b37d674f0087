import Vocabulary
/// What happened on one line of one channel, in time: the raw material for classifying failovers.
/// Bounded: each list keeps its first ``limit`` entries.
public struct LineEvents: Codable, Sendable, Equatable {
    /// A silence longer than the stall limit; `open` when the line never sent again.
    public struct Silence: Codable, Sendable, Equatable {
        public var startNs: Int64
        public var lengthNs: Int64
        public var open: Bool
    }
    /// Messages seen again within 100 ms of each other.
    public struct DuplicateRun: Codable, Sendable, Equatable {
        public var firstNs: Int64
        public var lastNs: Int64
        public var messages: UInt64
    }
    public struct Signal: Codable, Sendable, Equatable {
        public var status: UInt32
        public var timeNs: Int64
    }
    public static let limit = 100
    public var silences: [Silence] = []
    public var duplicateRuns: [DuplicateRun] = []
    public var disasterRecoverySignals: [Signal] = []
    /// Sequence Resets after the line's first message (start-of-day resets are not events).
    public var resetsNs: [Int64] = []
    public init() {}

    /// Records a silence of `length` ending at `end`.
    mutating func silence(endingAt end: Int64, length: Int64, open: Bool = false) {
        if silences.count < Self.limit { silences.append(Silence(startNs: end - length, lengthNs: length, open: open)) }
    }

    /// Records one duplicate message at `time`.
    @inline(__always)
    mutating func duplicate(at time: Int64) {
        if let last = duplicateRuns.last, time - last.lastNs <= 100_000_000 {
            duplicateRuns[duplicateRuns.count - 1].lastNs = time
            duplicateRuns[duplicateRuns.count - 1].messages &+= 1
        } else if duplicateRuns.count < Self.limit {
            duplicateRuns.append(DuplicateRun(firstNs: time, lastNs: time, messages: 1))
        }
    }

    mutating func signal(_ status: UInt32, at time: Int64) {
        if disasterRecoverySignals.count < Self.limit { disasterRecoverySignals.append(Signal(status: status, timeNs: time)) }
    }

    mutating func reset(at time: Int64) {
        if resetsNs.count < Self.limit { resetsNs.append(time) }
    }
}

/// A classified event of a comparison: what an operator should read first.
public struct FeedFinding: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable, CaseIterable {
        /// Messages one side never delivered.
        case missing
        /// Same sequence number, different message.
        case mismatch
        /// One line silent while the other kept going (an active-active component failing over).
        case linePause
        /// Both lines silent together (an active-standby component failing over).
        case bothPause
        /// A line that stopped and never came back before the end.
        case lineStopped
        /// DR Signal 1 (in progress) then 2 (completed): a site failover.
        case disasterRecovery
        /// A line sent a run of messages again (a publisher replaying after a failover).
        case duplicateBurst
        /// A Sequence Reset during the day on both lines.
        case sequenceReset
        /// A Sequence Reset on one line only.
        case resetOnOneLine
        /// One line trails further and further behind the other.
        case fallingBehind
    }
    public var kind: Kind
    public var channel: Int
    /// "A" or "B", or nil when it concerns both lines.
    public var line: String?
    public var at: TimePoint?
    public var detail: String
}

/// Turns the per-line events and cross-line figures of one channel into findings.
public enum FeedFindings {
    /// Duplicate runs shorter than this are left to the per-line counts.
    public static let burstMinimum: UInt64 = 10

    /// - Parameter names: what the two lines are called in the findings ("A"/"B", "primary"/"standby").
    public static func classify(channel: Int, a: LineEvents, b: LineEvents, missingOnA: UInt64, missingOnB: UInt64,
                                mismatches: UInt64, firstMismatch: UInt32?, lagByTenth: [Int64?],
                                names: (String, String) = ("A", "B")) -> [FeedFinding] {
        let (nameA, nameB) = names
        var out: [FeedFinding] = []
        func add(_ kind: FeedFinding.Kind, _ line: String?, _ at: Int64?, _ detail: String) {
            out.append(FeedFinding(kind: kind, channel: channel, line: line, at: at.map(TimePoint.init), detail: detail))
        }
        // Site failovers: DR Signal 1 then 2 on either line (the first line that carried them).
        let signals = a.disasterRecoverySignals.isEmpty ? b.disasterRecoverySignals : a.disasterRecoverySignals
        var outages: [(Int64, Int64)] = []
        var i = 0
        while i < signals.count {
            if signals[i].status == 1 {
                if let j = signals[(i + 1)...].firstIndex(where: { $0.status == 2 }) {
                    let from = signals[i].timeNs, to = signals[j].timeNs
                    outages.append((from, to))
                    add(.disasterRecovery, nil, from, "DR Signal 1 (in progress), then 2 (completed) \(TimeFormat.duration(to - from)) later")
                    i = j + 1
                    continue
                }
                add(.disasterRecovery, nil, signals[i].timeNs, "DR Signal 1 (in progress) and no completion before the end")
                outages.append((signals[i].timeNs, .max))
            }
            i += 1
        }
        func inOutage(_ s: LineEvents.Silence) -> Bool {
            outages.contains { s.startNs + s.lengthNs >= $0.0 && s.startNs <= $0.1 }
        }
        // Silences: together, one line only, or for good.
        var usedB = Set<Int>()
        for s in a.silences where !inOutage(s) {
            if let k = b.silences.indices.first(where: { !usedB.contains($0) && overlap(s, b.silences[$0]) }) {
                usedB.insert(k)
                let t = b.silences[k]
                if s.open && t.open {
                    add(.lineStopped, nil, min(s.startNs, t.startNs), "both lines stopped and did not come back")
                } else {
                    add(.bothPause, nil, min(s.startNs, t.startNs),
                        "both lines silent (\(nameA) \(TimeFormat.duration(s.lengthNs)), \(nameB) \(TimeFormat.duration(t.lengthNs)))")
                }
            } else {
                silence(s, nameA, nameB, add)
            }
        }
        for (k, t) in b.silences.enumerated() where !usedB.contains(k) && !inOutage(t) { silence(t, nameB, nameA, add) }
        // Duplicate bursts.
        for (name, line) in [(nameA, a), (nameB, b)] {
            for r in line.duplicateRuns where r.messages >= burstMinimum {
                add(.duplicateBurst, name, r.firstNs, "\(r.messages) messages sent again within \(TimeFormat.duration(r.lastNs - r.firstNs))")
            }
        }
        // Mid-day resets, paired in order.
        for k in 0..<max(a.resetsNs.count, b.resetsNs.count) {
            if k < a.resetsNs.count && k < b.resetsNs.count {
                add(.sequenceReset, nil, a.resetsNs[k], "Sequence Reset on both lines (\(nameB) \(TimeFormat.duration(b.resetsNs[k] - a.resetsNs[k])) after \(nameA))")
            } else if k < a.resetsNs.count {
                add(.resetOnOneLine, nameA, a.resetsNs[k], "Sequence Reset on line \(nameA) only")
            } else {
                add(.resetOnOneLine, nameB, b.resetsNs[k], "Sequence Reset on line \(nameB) only")
            }
        }
        if let trend = fallingBehind(lagByTenth) {
            let trailing = trend.line == "B" ? nameB : nameA
            add(.fallingBehind, trailing, nil,
                "line \(trailing) trails further behind: \(TimeFormat.duration(trend.from)) in the first tenth, \(TimeFormat.duration(trend.to)) in the last")
        }
        if missingOnA > 0 { add(.missing, nameA, nil, "\(missingOnA) messages that \(nameB) delivered never came on \(nameA)") }
        if missingOnB > 0 { add(.missing, nameB, nil, "\(missingOnB) messages that \(nameA) delivered never came on \(nameB)") }
        if mismatches > 0 {
            add(.mismatch, nil, nil, "\(mismatches) messages differ between the lines" + (firstMismatch.map { " (first at SeqNum \($0))" } ?? ""))
        }
        // In time order; the run-wide ones last.
        return out.enumerated().sorted { x, y in
            (x.element.at?.ns ?? .max, x.offset) < (y.element.at?.ns ?? .max, y.offset)
        }.map(\.element)
    }

    static func silence(_ s: LineEvents.Silence, _ line: String, _ other: String,
                        _ add: (FeedFinding.Kind, String?, Int64?, String) -> Void) {
        if s.open {
            add(.lineStopped, line, s.startNs, "line \(line) sent nothing for the last \(TimeFormat.duration(s.lengthNs)) while \(other) went on")
        } else {
            add(.linePause, line, s.startNs, "line \(line) silent for \(TimeFormat.duration(s.lengthNs)) while \(other) went on")
        }
    }

    static func overlap(_ x: LineEvents.Silence, _ y: LineEvents.Silence) -> Bool {
        x.startNs < y.startNs + y.lengthNs && y.startNs < x.startNs + x.lengthNs
    }

    /// A lag (B − A, per tenth of the run) that grows step after step by at least 1 ms in all:
    /// the trailing line and its first and last tenth.
    static func fallingBehind(_ tenths: [Int64?]) -> (line: String, from: Int64, to: Int64)? {
        let values = tenths.compactMap { $0 }
        guard values.count >= 5 else { return nil }
        for (sign, line) in [(Int64(1), "B"), (Int64(-1), "A")] {
            let v = values.map { $0 * sign }
            let rising = zip(v, v.dropFirst()).filter { $1 >= $0 }.count
            if v.last! - v.first! >= 1_000_000 && rising * 10 >= (v.count - 1) * 8 && v.last! > 0 {
                return (line, max(v.first!, 0), v.last!)
            }
        }
        return nil
    }
}

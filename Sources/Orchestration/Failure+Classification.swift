import Capture
import Engines
import Measure
import OrderEntry
import Replay
import Results
import Reporting
import Scenario
import Transport
import Vocabulary

/// The one mapping from the library's errors to the failure taxonomy (``ExitStatus``). Commands and
/// orchestration APIs convert through these initialisers; none decides an exit code of its own.
extension RehearseError {
    /// A socket failure. The far end's doing (refused, unreachable, timed out, reset) is a target
    /// error; anything about this host's own set-up (an address in use or not local, no such
    /// interface, a group it cannot join, a socket option, a datagram too large) is a configuration error.
    public init(_ e: TransportError) { self.init(e.isTargetError ? .target : .usage, e.description) }

    /// A capture that cannot be read.
    public init(_ e: CaptureError) { self.init(.input, e.description) }

    /// An output capture that cannot be written.
    public init(_ e: CaptureWriteError) { self.init(.input, e.description) }

    /// A live capture that cannot start (interface or filter): configuration.
    public init(_ e: LiveCaptureError) { self.init(.usage, e.description) }

    /// A transaction log that cannot be read.
    public init(_ e: TransactionLog.OpenError) { self.init(.input, e.description) }

    /// A scenario file that is missing or wrong (file, line and key named).
    public init(_ e: ScenarioError) { self.init(.usage, e.description) }

    /// A history that cannot be opened or written.
    public init(_ e: HistoryError) { self.init(.input, e.description) }

    /// A `--to` mapping that does not parse.
    public init(_ e: TargetMap.ParseError) { self.init(.usage, e.description) }

    /// A replay plan: the capture's fault is input; a filter, mapping or selection is configuration.
    public init(_ e: FeedPlan.PlanError) {
        if case .capture(let c) = e { self.init(c) } else { self.init(.usage, e.description) }
    }

    /// A sender that cannot start: a bad rate is configuration; a socket, as ``init(_:)-TransportError``.
    public init(_ e: FeedPlayer.SetupError) {
        switch e {
        case .badRate: self.init(.usage, e.description)
        case .target(let t): self.init(t)
        }
    }

    /// The table of expected messages: built from the capture, so its faults are input faults.
    public init(_ e: ExpectedMessages.BuildError) { self.init(.input, e.description) }

    /// A bench that cannot start.
    public init(_ e: FeedBench.SetupError) {
        switch e {
        case .plan(let p): self.init(p)
        case .player(let p): self.init(p)
        case .expected(let x): self.init(x)
        case .receiver(let t): self.init(t)
        case .maximumPacing, .shardPacing: self.init(.usage, e.description)
        }
    }

    /// A watch that cannot start.
    public init(_ e: WatchError) {
        switch e {
        case .transport(let t): self.init(t)
        case .capture(let c): self.init(c)
        }
    }
}

/// How a replay (or the replay half of a feed bench) ends.
public enum ReplayOutcome {
    /// Input when the capture broke part-way (the figures cover what was sent), target when a target
    /// refused datagrams or a send failed, interrupted when stopped, else success — in that order.
    public static func status(_ r: ReplayResult, failure: CaptureError?) -> ExitStatus {
        if failure != nil { return .input }
        if r.targets.contains(where: { $0.failed > 0 || $0.refused > 0 }) { return .target }
        if r.interrupted { return .interrupted }
        return .success
    }

    /// Why a paced replay is not what was asked, when it is not: its wall time overran the scheduled
    /// span by more than `tolerance` (and 20 ms), so the packets went out slower than the pacing
    /// asked (e.g. `--speed 3` reaching ×1.4) — the test host's limit, not a result.
    public static func scheduleMissed(_ r: ReplayResult, tolerance: Double = 0.10) -> String? {
        guard r.scheduledNs > 0, r.packets > 0, !r.interrupted, !r.stoppedOnError else { return nil }
        guard r.wallNs - r.scheduledNs > 20_000_000, Double(r.wallNs) > Double(r.scheduledNs) * (1 + tolerance) else { return nil }
        let share = Double(r.scheduledNs) / Double(r.wallNs) * 100
        return "the sender did not hold the schedule (pacing \(r.pacing)): \(TimeFormat.duration(r.scheduledNs)) of schedule took "
            + "\(TimeFormat.duration(r.wallNs)), \(TimeFormat.format(share, 0)) % of the pace asked (lateness p99 "
            + "\(TimeFormat.duration(r.lateness.p99)), max \(TimeFormat.duration(r.lateness.max))): this host could not send faster"
    }

    /// The exit status of a replay and, when inconclusive, why: the faults of ``status(_:failure:)``
    /// first, then a schedule the sender did not hold (inconclusive).
    public static func verdict(_ r: ReplayResult, failure: CaptureError?) -> (ExitStatus, String?) {
        let status = status(r, failure: failure)
        guard status == .success, let why = scheduleMissed(r) else { return (status, nil) }
        return (.inconclusive, why)
    }
}

/// How a feed bench ends: the replay's faults first, then platforms that delivered nothing, then a
/// measurement of the test host rather than the platforms (inconclusive).
public enum BenchOutcome {
    /// Platforms that received nothing back although messages were sent: a target error naming each
    /// and where it listened ("nothing arrived" is never a latency of 0).
    public static func silence(_ r: BenchResult) -> RehearseError? {
        let sent = r.sides.first?.messagesSent ?? 0
        guard sent > 0, !r.replay.interrupted else { return nil }
        let silent = r.sides.filter { $0.messagesReceived == 0 }
        guard !silent.isEmpty else { return nil }
        return RehearseError(.target, silent.map { s in
            "\(s.name) delivered none of \(sent) messages on \(s.receiveOn) (channel i on port + i)"
                + (s.packetsReceived > 0 ? ": \(s.packetsReceived) packets arrived, none of them the replayed messages" : ": nothing arrived there")
                + " — is that where \(s.name) publishes?"
        }.joined(separator: " · "))
    }

    /// The exit status of a bench result and the lines that explain it.
    public static func status(_ r: BenchResult, failure: CaptureError?) -> (ExitStatus, [String]) {
        let replay = ReplayOutcome.status(r.replay, failure: failure)
        if replay != .success { return (replay, []) }
        if let e = silence(r) { return (e.status, [e.message]) }
        if let v = r.validity, !v.valid {
            return (.inconclusive, ["inconclusive: the test host, not the platforms, was measured — " + v.reasons.joined(separator: "; ")])
        }
        return (.success, [])
    }
}

/// How a compare ends: B (the standby, or the new platform) missing more of A's messages than allowed,
/// or carrying different bytes for the same message, fails (exit 1) — as `watch` fails for the same
/// standby. Missing on A is reported but does not fail: A is the reference.
public enum CompareOutcome {
    /// Why B failed, naming the channels, or nil.
    public static func failure(_ r: ComparisonReport, maximumMissing: UInt64 = 0) -> String? {
        var parts: [String] = []
        let missing = r.channels.reduce(UInt64(0)) { $0 + $1.missingOnB }
        if missing > maximumMissing {
            let per = r.channels.filter { $0.missingOnB > 0 }.map { "channel \($0.channel): \($0.missingOnB)" }
            parts.append("B missed \(missing) messages A carried (allowed \(maximumMissing); " + per.joined(separator: ", ") + ")")
        }
        let mismatched = r.channels.reduce(UInt64(0)) { $0 + $1.mismatches }
        if mismatched > 0 {
            let per = r.channels.filter { $0.mismatches > 0 }.map { "channel \($0.channel): \($0.mismatches)" }
            parts.append("\(mismatched) messages differ between A and B (" + per.joined(separator: ", ") + ")")
        }
        return parts.isEmpty ? nil : parts.joined(separator: "; ")
    }
}

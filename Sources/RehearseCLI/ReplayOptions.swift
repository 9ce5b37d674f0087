import ArgumentParser
import Orchestration
import Vocabulary
import Capture
import Replay
import Results
import Synchronization
import Synth
import Transport
#if canImport(Glibc)
import Glibc
#endif

/// `--speed`, `--pps`, `--mbps`, `--max`, `--loop`: shared by replay and bench.
struct PacingOptions: ParsableArguments {
    @Option(help: "Replay at X times the recorded speed (any X > 0; default 1).")
    var speed: Double?
    @Option(help: "Replay at a fixed rate of N packets per second.")
    var pps: Double?
    @Option(help: "Replay at a fixed rate of N megabits per second (UDP payload bits).")
    var mbps: Double?
    @Flag(help: "Replay as fast as the sender can.")
    var max = false
    @Option(help: "Passes over the capture, on one continuous timeline.")
    var loop: UInt64 = 1
    @Option(help: "Start the schedule at this instant, UTC (ISO 8601, e.g. 2026-12-02T15:30:00Z or …:00.250Z), so processes on several hosts start together; the result records how long after it the first packet left.")
    var startAt: String?

    /// `--start-at` as ns since 1970; a usage error when it cannot be read or is already past.
    func startInstant(now: Int64 = Clock.realtime()) throws -> Int64? { try parseStartAt(startAt, now: now) }

    func pacing() throws -> Pacing {
        let chosen = [speed != nil, pps != nil, mbps != nil, max].filter { $0 }.count
        guard chosen <= 1 else { throw RehearseError(.usage, "choose one of --speed, --pps, --mbps and --max") }
        let pacing: Pacing = max ? .maximum : pps.map { .packetsPerSecond($0) } ?? mbps.map { .megabitsPerSecond($0) } ?? .speed(speed ?? 1)
        guard Schedule(pacing) != nil else { throw RehearseError(.usage, "invalid rate \(pacing): it must be a finite number above 0") }
        guard loop >= 1 else { throw RehearseError(.usage, "--loop must be at least 1") }
        return pacing
    }
}

/// `--from`, `--until`, `--filter`, `--stream`: which packets of a capture a replay or bench sends.
/// A `--start-at` value (replay, bench, gateway, run and capacity shards) as ns since 1970 (nil: not
/// given); a usage error when it cannot be read or is already past.
func parseStartAt(_ text: String?, now: Int64 = Clock.realtime()) throws -> Int64? {
    guard let text else { return nil }
    guard let t = UTCInstant.parse(text) else {
        throw RehearseError(.usage, "--start-at \(text): expected an ISO 8601 UTC time such as 2026-12-02T15:30:00Z")
    }
    guard t > now else { throw RehearseError(.usage, "--start-at \(text) is already past (now \(TimeFormat.iso8601(now)))") }
    return t
}

struct SelectionArguments: ParsableArguments {
    @Option(help: "Send only packets from this far into the capture (e.g. 30s).")
    var from: String?
    @Option(help: "Send only packets before this far into the capture (e.g. 90s).")
    var until: String?
    @Option(help: "Send only packets matching this BPF expression.")
    var filter: String?
    @Option(name: .customLong("stream"), help: "Send only this captured destination ADDRESS:PORT (repeatable).")
    var streams: [String] = []

    func selection() throws -> Selection {
        var selection = Selection()
        selection.filter = filter
        selection.from = try parseDurationOption(from, "--from")
        selection.to = try parseDurationOption(until, "--until")
        for s in streams {
            guard let e = Endpoint(s) else { throw RehearseError(.usage, "--stream \(s): not ADDRESS:PORT") }
            selection.streams.append(e)
        }
        return selection
    }
}

/// Socket and sender-thread options shared by replay and bench.
struct SenderArguments: ParsableArguments {
    @Option(help: "Interface for multicast: its IPv4 address (e.g. 127.0.0.1) or name (e.g. lo); targets are sent to and (bench) outputs joined on it. Multicast is never sent without it.")
    var interface: String?
    @Option(help: "Multicast TTL (hops).")
    var ttl = 1
    @Option(help: "Pin the sender thread to this CPU.")
    var cpu: Int?
    @Option(help: "Sleep until this long before each deadline, then spin (e.g. 200us; default 2ms).")
    var spin = "2ms"
    @Option(help: "Most packets per sendmmsg call.")
    var batch = 64
    @Flag(help: "Stop at the first datagram that cannot be sent (default: count it and go on).")
    var stopOnError = false

    func apply(to options: inout ReplayOptions) throws {
        guard let spin = Duration.parseNanoseconds(spin) else { throw RehearseError(.usage, "--spin \(self.spin): not a duration") }
        guard (1...256).contains(batch) else { throw RehearseError(.usage, "--batch must be 1…256") }
        guard (0...255).contains(ttl) else { throw RehearseError(.usage, "--ttl must be 0…255") }
        if let cpu, !(0..<PinnedThread.availableCPUs).contains(cpu) {
            throw RehearseError(.usage, "--cpu \(cpu): this machine has CPUs 0…\(PinnedThread.availableCPUs - 1)")
        }
        options.spin = spin
        options.batch = batch
        options.cpu = cpu
        options.stopOnError = stopOnError
        options.sender.multicastTTL = ttl
        if let interface {
            let resolved = try resolveInterface(interface)
            options.sender.multicastInterface = resolved.address
            options.sender.multicastInterfaceIndex = resolved.index
        }
    }
}

/// An interface given as an IPv4 address or a name; exit 2 naming it when there is no such interface.
func resolveInterface(_ text: String) throws -> (address: IPAddress?, index: Int) {
    do { return try NetworkInterface.resolve(text) } catch { throw RehearseError(.usage, "--interface \(text): no such interface") }
}

/// SIGINT / SIGTERM as a flag the command's main loop polls.
enum Interrupts {
    static let raised = Atomic<Bool>(false)
    static var isRaised: Bool { raised.load(ordering: .relaxed) }

    /// Installs handlers that only set the flag (async-signal-safe: one atomic store), and unblocks the
    /// two signals: a process started by a supervisor or test runner may inherit them blocked, and would
    /// then never hear Ctrl-C or a shutdown request.
    static func install() {
        var set = sigset_t()
        sigemptyset(&set)
        for s in [SIGINT, SIGTERM] {
            signal(s) { _ in Interrupts.raised.store(true, ordering: .relaxed) }
            sigaddset(&set, s)
        }
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
    }
}

/// Parses a duration option or fails with exit 2 naming it.
func parseDurationOption(_ text: String?, _ option: String) throws -> Int64? {
    guard let text else { return nil }
    guard let value = Duration.parseNanoseconds(text) else { throw RehearseError(.usage, "\(option) \(text): not a duration (e.g. 10s, 250ms)") }
    return value
}

/// A plan error in the command line's words: the options that fix it.
func planError(_ e: FeedPlan.PlanError) -> RehearseError {
    let base = RehearseError(e)
    switch e {
    case .unmapped:
        return RehearseError(base.status, e.withoutRemedy
                             + " (map them with --to CAPTURED=HOST:PORT, *=HOST:PORT or each=HOST:PORT, or skip them with --drop-unmapped)")
    case .unknownStreams: return RehearseError(base.status, "--stream: " + base.message)
    default: return base
    }
}

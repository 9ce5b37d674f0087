#if canImport(Glibc)
import Glibc
#endif
import Vocabulary
import Capture
import CShims
import Histogram
import Measure
import Engines
import Results
import Synchronization
import Transport

/// Options of a replay run.
public struct ReplayOptions: Sendable {
    public var pacing: Pacing = .speed(1)
    /// Passes over the capture (continuous timeline).
    public var loops: UInt64 = 1
    /// The sender sleeps until this long before a deadline, then spins (ns). Sleeping wakes late by
    /// tens of µs (more on a busy machine), so the pinned sender spins through gaps shorter than this.
    public var spin: Int64 = 2_000_000
    /// Most packets per sendmmsg.
    public var batch = 64
    /// CPU to pin the sender thread to (nil: not pinned).
    public var cpu: Int?
    public var sender = SenderOptions()
    /// Stop at the first datagram that cannot be sent (default: count it and go on).
    public var stopOnError = false
    /// Time between preparing and the first deadline (ns).
    public var startDelay: Int64 = 2_000_000
    /// Start the schedule at this instant (ns since 1970, UTC) instead of `startDelay` from now, so
    /// processes on several hosts start together (`--start-at`); must not be in the past.
    public var startAt: Int64?
    public init() {}
}

/// Shared between a running player and whoever watches it: stop request and live figures.
public final class ReplayControl: Sendable {
    let stopFlag = Atomic<Bool>(false)
    let sentPackets = Atomic<UInt64>(0)
    let recentLatenessP99 = Atomic<Int64>(0)
    let running = Atomic<Bool>(false)
    /// Monotonic time of the first deadline (0 before the start).
    let anchorTime = Atomic<Int64>(0)

    public init() {}
    /// Asks the player to stop after the current batch (safe from any thread).
    public func stop() { stopFlag.store(true, ordering: .relaxed) }
    public var isStopRequested: Bool { stopFlag.load(ordering: .relaxed) }
    public var sent: UInt64 { sentPackets.load(ordering: .relaxed) }
    /// p99 of send lateness over roughly the last 100 ms, ns (upper bound of a power-of-two bucket).
    public var latenessP99: Int64 { recentLatenessP99.load(ordering: .relaxed) }
    /// Monotonic time of the first deadline, once the run started.
    public var anchor: Int64? { let a = anchorTime.load(ordering: .acquiring); return a == 0 ? nil : a }
}

/// Sends a ``FeedPlan`` to its targets on its schedule. The UDP payloads go out exactly as captured,
/// straight from the mapped capture (zero-copy; a gzip or piped capture is copied per batch). One
/// deadline per packet from a fixed anchor; the sender sleeps, then spins, to each deadline, and when
/// behind it sends what is due in sendmmsg batches. Lateness (actual − scheduled) is recorded per packet.
/// `@unchecked Sendable`: the senders are used only by the thread in `run(control:)`; other threads go through `ReplayControl`, whose fields are atomics.
public final class FeedPlayer: @unchecked Sendable {
    public let plan: FeedPlan
    public let options: ReplayOptions
    public let schedule: Schedule
    let senders: [UDPSender]

    public enum SetupError: Error, CustomStringConvertible, Sendable {
        case badRate(Pacing)
        case target(TransportError)
        public var description: String {
            switch self {
            case .badRate(let p): return "invalid rate \(p): it must be a finite number above 0"
            case .target(let e): return e.description
            }
        }
    }

    public init(plan: FeedPlan, options: ReplayOptions) throws(SetupError) {
        guard let schedule = Schedule(options.pacing, captureSpan: plan.captureSpan, packets: plan.packets) else {
            throw .badRate(options.pacing)
        }
        self.plan = plan
        self.options = options
        self.schedule = schedule
        var senders: [UDPSender] = []
        for target in plan.targets {
            do { senders.append(try UDPSender(target: target, options: options.sender)) } catch { throw .target(error) }
        }
        self.senders = senders
    }

    /// Runs the replay on the calling thread (pinned to `options.cpu` if set) and returns its result.
    /// A capture error part-way keeps what was sent and is returned beside the result.
    /// With `sendTimes`, the actual send time of each packet is written into it (one store per packet).
    public func run(control: ReplayControl = ReplayControl(), sendTimes: SendTimes? = nil) -> (ReplayResult, CaptureError?) {
        var saved: PinnedThread.SavedAffinity?
        if let cpu = options.cpu { saved = PinnedThread.pinCurrentThread(to: cpu, saving: ()) }
        // Wake from a sleep on time: the default 50 µs timer slack is most of a packet gap at 20 k/s.
        _ = rh_set_timer_slack(1)
        defer { saved?.restore() }
        var state = SendState(senders: senders, streams: plan.streams.map(\.targets), batch: options.batch,
                              stopOnError: options.stopOnError)
        if let sendTimes { state.sendTimes = sendTimes.slots }
        defer { state.deallocate() }
        let walker = PlanWalker(plan: plan, schedule: schedule)
        let clocks = ClockOffset.measure()
        let anchor = options.startAt.map { $0 &- clocks.realtimeMinusMonotonic } ?? Clock.monotonic() &+ options.startDelay
        control.anchorTime.store(anchor, ordering: .releasing)
        control.running.store(true, ordering: .releasing)
        let spin = options.spin
        var now = Clock.monotonic()
        var failure: CaptureError?
        var loops: UInt64 = 0
        var publishAt = anchor
        do {
            loops = try walker.walk(loops: options.loops) { stream, payload, offset, stable in
                let deadline = offset == .max ? .max : anchor &+ offset
                if state.pending > 0 && deadline > now {
                    now = Clock.monotonic()
                    if deadline > now { now = state.flush() }
                }
                if state.pending == 0 && deadline > now {
                    if _slowPath(deadline == .max) { return false }
                    // A quiet gap in the capture: sleep in slices, so a stop is seen within 50 ms
                    // whatever the next deadline.
                    while _slowPath(deadline &- now > 50_000_000) {
                        if control.stopFlag.load(ordering: .relaxed) { return false }
                        Clock.sleep(untilMonotonic: now &+ 40_000_000)
                        now = Clock.monotonic()
                    }
                    now = Clock.wait(until: deadline, spin: spin)
                    // Nothing is sent after a stop that came while waiting.
                    if control.stopFlag.load(ordering: .relaxed) { return false }
                }
                state.append(stream: stream, payload: payload, deadline: deadline, copy: !stable)
                if state.pending >= state.capacity { now = state.flush() }
                if _slowPath(now >= publishAt) {
                    control.sentPackets.store(state.handed, ordering: .relaxed)
                    control.recentLatenessP99.store(state.takeRecentP99(), ordering: .relaxed)
                    publishAt = now &+ 50_000_000
                    if control.stopFlag.load(ordering: .relaxed) { return false }
                }
                return !state.stopped
            } passEnded: {
                if state.pending > 0 { now = state.flush() }
            }
        } catch {
            failure = error
        }
        let end = state.handed > 0 ? now : Clock.monotonic()
        control.sentPackets.store(state.handed, ordering: .relaxed)
        control.running.store(false, ordering: .releasing)
        let interrupted = control.isStopRequested
        let wall = max(0, end &- anchor)
        var result = ReplayResult(
            capture: plan.path, pacing: options.pacing.description, loopsRequested: options.loops,
            loopsCompleted: loops, packets: state.handed, bytes: state.handedBytes,
            targets: zip(plan.targets, state.targets).map { $1.result(for: $0) },
            wallNs: wall, scheduledNs: schedule.scaledSpan(loops: options.loops, packets: plan.packets, bytes: plan.bytes),
            packetsPerSecond: wall > 0 ? Double(state.handed) * 1e9 / Double(wall) : 0,
            lateness: LatencySummary(state.lateness), interrupted: interrupted, stoppedOnError: state.stopped,
            unmappedPacketsDropped: plan.unmappedPackets * options.loops, streams: plan.streams.count)
        if case .maximum = options.pacing { result.scheduledNs = 0 }
        if state.lateness.totalCount > 0 { result.latenessHistogram = state.lateness.base64V2Compressed }
        if let shard = plan.selection.shard {
            // Each target's first stream (its place in the whole replay's target order).
            let first = plan.targets.indices.map { t in plan.streams.firstIndex { $0.targets.contains(t) } ?? 0 }
            result.shard = ReplayShardPart(shard: shard, streamsTotal: plan.streams.count, targetFirstStreams: first)
        }
        if let startAt = options.startAt {
            result.startAtNs = startAt
            // The first send against the agreed instant (both on this host's clock; docs/json/replay.md).
            if state.firstSend != .min { result.startSkewNs = state.firstSend &- anchor }
            result.clockSync = ClockSync.read()
        }
        return (result, failure)
    }
}

/// Per-target counters kept by the sender thread.
struct TargetCounters {
    var packets: UInt64 = 0
    var bytes: UInt64 = 0
    var refused: UInt64 = 0
    var failed: UInt64 = 0
    var lastError: Int32 = 0

    func result(for target: Endpoint) -> TargetResult {
        TargetResult(target: target.description, packets: packets, bytes: bytes, refused: refused, failed: failed,
                     lastError: lastError == 0 ? nil : TransportError(.send, target.description, code: lastError).description)
    }
}

/// The sender's batch: per-target datagram arrays, the pending packets' deadlines, counters and the
/// lateness histogram. Allocated once; nothing is allocated per packet.
struct SendState {
    /// When the first packet left (monotonic ns; .min before).
    var firstSend: Int64 = .min
    let senders: [UDPSender]
    let streams: [[Int]]
    let capacity: Int
    let stopOnError: Bool
    var targets: [TargetCounters]
    let datagrams: UnsafeMutablePointer<rh_datagram>   // capacity per target
    var counts: [Int]
    let deadlines: UnsafeMutablePointer<Int64>
    var pending = 0
    var handed: UInt64 = 0
    var handedBytes: UInt64 = 0
    var stopped = false
    var lateness = LatencyHistogram.latency()
    /// Where each packet's actual send time goes (by packet index), when the caller asked for them.
    var sendTimes: UnsafeMutableBufferPointer<Int64>?
    /// Log2 buckets of lateness since the last progress read (for the live p99).
    var recent = [UInt32](repeating: 0, count: 64)
    /// Copies of payloads for captures whose bytes move (gzip, pipes): 64 KiB per pending packet.
    let arena: UnsafeMutableRawPointer

    init(senders: [UDPSender], streams: [[Int]], batch: Int, stopOnError: Bool) {
        self.senders = senders
        self.streams = streams
        capacity = max(1, min(batch, UDPSender.maximumBatch))
        self.stopOnError = stopOnError
        targets = Array(repeating: TargetCounters(), count: senders.count)
        datagrams = .allocate(capacity: capacity * max(1, senders.count))
        counts = Array(repeating: 0, count: senders.count)
        deadlines = .allocate(capacity: capacity)
        arena = .allocate(byteCount: capacity * 65_536, alignment: 64)
    }

    func deallocate() {
        datagrams.deallocate()
        deadlines.deallocate()
        arena.deallocate()
    }

    @inline(__always)
    mutating func append(stream: Int, payload: ByteView, deadline: Int64, copy: Bool) {
        var base = payload.unsafeStart
        let length = min(payload.count, 65_536)
        if _slowPath(copy), let source = base {
            let slot = arena + pending * 65_536
            slot.copyMemory(from: source, byteCount: length)
            base = UnsafeRawPointer(slot)
        }
        for t in streams[stream] {
            datagrams[t * capacity + counts[t]] = rh_datagram(base: base, length: UInt32(truncatingIfNeeded: length))
            counts[t] &+= 1
        }
        deadlines[pending] = deadline
        pending &+= 1
        handed &+= 1
        handedBytes &+= UInt64(truncatingIfNeeded: length)
    }

    /// Sends everything pending; returns the monotonic time after the last send.
    @inline(__always)
    mutating func flush() -> Int64 {
        for t in 0..<senders.count where counts[t] > 0 {
            send(target: t)
            counts[t] = 0
        }
        let after = Clock.monotonic()
        if _slowPath(firstSend == .min) && pending > 0 { firstSend = after }
        if let log = sendTimes, let base = log.baseAddress {
            // One fill of the batch's slots (packets past the first pass, in later loops, are not kept).
            let first = Int(truncatingIfNeeded: handed) &- pending
            let n = min(pending, log.count &- first)
            if n > 0 { (base + first).update(repeating: after, count: n) }
        }
        for i in 0..<pending {
            let late = UInt64(max(0, after &- deadlines[i]))
            lateness.recordLatency(late)
            recent[late == 0 ? 0 : 64 &- late.leadingZeroBitCount] &+= 1
        }
        pending = 0
        return after
    }

    @inline(__always)
    mutating func send(target t: Int) {
        let base = datagrams + t * capacity
        let count = counts[t]
        var done = 0
        var refusedInARow = 0
        while done < count {
            let r = senders[t].send(base + done, count: count &- done)
            if _fastPath(r > 0) {
                for i in done..<(done + r) { targets[t].bytes &+= UInt64(base[i].length) }
                targets[t].packets &+= UInt64(r)
                done &+= r
                refusedInARow = 0
                continue
            }
            let error = Int32(-r)
            targets[t].lastError = error
            if error == EINTR || error == EAGAIN || error == ENOBUFS { continue }
            if error == ECONNREFUSED && refusedInARow == 0 {
                // The target answered an earlier datagram with port unreachable; the kernel reports it
                // on this send, which did not go out. Count it and try this datagram once more.
                targets[t].refused &+= 1
                refusedInARow = 1
                if stopOnError { stopped = true }
                continue
            }
            targets[t].failed &+= 1
            done &+= 1
            refusedInARow = 0
            if stopOnError { stopped = true; targets[t].failed &+= UInt64(count - done); return }
        }
    }

    /// p99 of the recent lateness buckets (power-of-two upper bound), and a reset.
    mutating func takeRecentP99() -> Int64 {
        let total = recent.reduce(0) { $0 + UInt64($1) }
        guard total > 0 else { return 0 }
        var seen: UInt64 = 0
        var result: Int64 = 0
        for (i, c) in recent.enumerated() {
            seen += UInt64(c)
            if seen * 100 >= total * 99 { result = i == 0 ? 0 : (i >= 63 ? .max : Int64(1) << i); break }
        }
        for i in recent.indices { recent[i] = 0 }
        return result
    }
}

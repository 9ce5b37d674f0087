#if canImport(Glibc)
import Glibc
#endif
import Vocabulary
import Capture
import Histogram
import Measure
import Results
import MarketData
import Synchronization
import Transport
import Engines

/// One platform under test in a bench: where the replay sends (channel i → `send` port + i) and where
/// its output is received (channel i → `receive` port + i).
public struct BenchTarget: Sendable {
    public var name: String
    public var send: Endpoint
    public var receive: Endpoint
    /// Recover the gaps of this platform's output from its retransmission service (ChannelID = the
    /// channel's index): a gap drill, side by side with the other platform's.
    public var recovery: RecoveryOptions?
    public init(name: String, send: Endpoint, receive: Endpoint, recovery: RecoveryOptions? = nil) {
        self.name = name
        self.send = send
        self.receive = receive
        self.recovery = recovery
    }
}

/// Matches received packets to the messages a replay sent, each channel read in its feed protocol
/// (``ExpectedMessages/protocols``; OMD by its own codec): per message a table lookup, a
/// received-once mark and a histogram record (no allocation). Latency = receive time − scheduled send time.
public struct FeedMatcher: Sendable {
    public let expected: ExpectedMessages
    /// Per channel and sequence-number slot: the message's receive time (realtime ns; 0 = not yet
    /// received). Read after the run to split each latency into platform time and sender lateness.
    var arrivals: [[Int64]]
    /// The run's first deadline on the realtime clock, once known.
    public private(set) var anchorRealtime: Int64?
    public private(set) var histogram = LatencyHistogram.latency()
    public private(set) var received: UInt64 = 0
    public private(set) var duplicates: UInt64 = 0
    public private(set) var unexpected: UInt64 = 0
    public private(set) var packets: UInt64 = 0
    public private(set) var heartbeats: UInt64 = 0
    /// Sequence Reset (100) messages received: session control, outside the sent = received + lost count.
    public private(set) var resets: UInt64 = 0
    public private(set) var garbage: UInt64 = 0
    public private(set) var firstTime: Int64 = .max
    public private(set) var lastTime: Int64 = .min
    /// Messages received per ``timelineInterval`` since the run's first deadline (throughput over time);
    /// sized before the run to the schedule plus a minute, so counting never allocates.
    public private(set) var timeline: [UInt32]
    public static let timelineInterval: Int64 = 100_000_000

    public init(expected: ExpectedMessages) {
        self.expected = expected
        arrivals = (0..<expected.channelCount).map { [Int64](repeating: 0, count: expected.size(of: $0)) }
        var last: Int64 = 0
        for c in 0..<expected.channelCount where expected.size(of: c) > 0 {
            let s = expected.bases[c] &+ UInt32(expected.size(of: c) - 1)
            last = max(last, expected.offset(channel: c, sequence: s) ?? 0)
        }
        timeline = [UInt32](repeating: 0, count: Int(min(last / Self.timelineInterval + 600, 1_000_000)))
    }

    /// Accounts one datagram received on `channel` at `time` (realtime ns); `anchor` is the run's first
    /// deadline on the realtime clock (nil: not known yet, the message is counted without a latency).
    @inline(__always)
    public mutating func account(channel: Int, payload: ByteView, length: Int, truncated: Bool, time: Int64, anchor: Int64?) {
        if _slowPath(channel < expected.protocols.count && expected.protocols[channel] != .omd) {
            return accountOther(channel: channel, payload: payload, truncated: truncated, time: time, anchor: anchor)
        }
        guard !truncated, let p = OMDPacket(payload), p.packetSize == length else { garbage &+= 1; return }
        packets &+= 1
        if time < firstTime { firstTime = time }
        if time > lastTime { lastTime = time }
        if p.isHeartbeat { heartbeats &+= 1; return }
        guard !p.isCompressed else { garbage &+= 1; return }
        // Numbered by the OMD rules: a Sequence Reset is control, not an expected message (its SN is
        // the next message's), so it is neither matched nor unexpected.
        var messages = SequencedMessages(p)
        while let m = messages.next() {
            if case .reset = m.control { resets &+= 1; continue }
            match(channel: channel, sequence: m.sequence, time: time, anchor: anchor)
        }
        if messages.error != nil { garbage &+= 1 }
    }

    /// One sequenced message received: matched once to what was sent, its latency recorded.
    @inline(__always)
    mutating func match(channel: Int, sequence: UInt32, time: Int64, anchor: Int64?) {
        guard let slot = expected.slot(channel: channel, sequence: sequence) else { unexpected &+= 1; return }
        if arrivals[channel][slot] != 0 { duplicates &+= 1; return }
        arrivals[channel][slot] = time == 0 ? 1 : time
        received &+= 1
        if let anchor, let scheduled = expected.offset(channel: channel, sequence: sequence) {
            anchorRealtime = anchor
            let latency = time &- (anchor &+ scheduled)
            histogram.recordLatency(latency)
            let bucket = (time &- anchor) / Self.timelineInterval
            if bucket >= 0 && bucket < Int64(timeline.count) { timeline[Int(bucket)] &+= 1 }
        }
    }

    /// A packet of a channel in another protocol (or none recognised: every packet is garbage).
    @inline(never)
    mutating func accountOther(channel: Int, payload: ByteView, truncated: Bool, time: Int64, anchor: Int64?) {
        guard !truncated, let p = expected.protocols[channel], let h = p.header(payload) else { garbage &+= 1; return }
        packets &+= 1
        if time < firstTime { firstTime = time }
        if time > lastTime { lastTime = time }
        if h.kind == .heartbeat { heartbeats &+= 1; return }
        if h.kind == .sequenceReset { resets &+= 1 }
        p.forEachSequenced(payload, h) { sequence, _ in match(channel: channel, sequence: UInt32(truncatingIfNeeded: sequence), time: time, anchor: anchor) }
    }
}

/// Receives one platform's output on a dedicated thread and matches every message to the schedule.
/// `@unchecked Sendable`: `matcher` and `drops` are written only by the receiving thread and read after `join()`, which orders those writes before the reads; other threads use the atomics.
final class BenchReceiver: @unchecked Sendable {
    let target: BenchTarget
    let receiver: UDPReceiver
    /// The channel each receive endpoint is (endpoint i receives channel channelOf[i]).
    let channelOf: [Int]
    let stopFlag = Atomic<Bool>(false)
    let lastArrival = Atomic<Int64>(0)
    let matched = Atomic<UInt64>(0)
    // Written by the receiving thread only; read after join().
    var matcher: FeedMatcher
    var drops: [UInt64]
    var thread: PinnedThread?
    /// With the target's recovery: the client, and each OMD channel's sequence as received (the gaps
    /// it hands over). Written by the receiving thread only.
    let recovery: RetransmissionClient?
    var sequences: [SequenceTracker]
    var recoveryReport: RecoveryReport?

    /// Receives channel c's output on the receive port + c for each of `channels` (a shard's own: the
    /// others' ports stay free for the shards beside it), `total` channels in the bench.
    init(target: BenchTarget, channels: [Int], total: Int, expected: ExpectedMessages, options: ReceiverOptions) throws(TransportError) {
        self.target = target
        let endpoints = channels.map { Endpoint(address: target.receive.address, port: target.receive.port &+ UInt16($0)) }
        receiver = try UDPReceiver(endpoints: endpoints, options: options)
        channelOf = channels
        matcher = FeedMatcher(expected: expected)
        drops = Array(repeating: 0, count: channels.count)
        if let r = target.recovery { recovery = try RetransmissionClient(options: r) } else { recovery = nil }
        sequences = Array(repeating: SequenceTracker(), count: recovery == nil ? 0 : total)
    }

    func start(anchor: @escaping @Sendable () -> Int64?, offset: ClockOffset) {
        recovery?.start()
        thread = PinnedThread.start(name: "rehearse-recv") { [self] in run(anchor: anchor, offset: offset) }
    }

    func stop() { stopFlag.store(true, ordering: .relaxed) }
    func join() {
        thread?.join()
        recoveryReport = recovery?.finish()
    }

    /// With recovery: follows an OMD channel's sequence and hands each new gap to the client.
    @inline(never)
    func followSequence(_ channel: Int, _ payload: ByteView, length: Int, time: Int64) {
        guard let recovery, channel < sequences.count, let p = OMDPacket(payload), p.packetSize == length, !p.isCompressed else { return }
        let before = sequences[channel].gapCount
        var reset: (newSequenceNumber: UInt32, messagesAfter: Int)?
        var messages = SequencedMessages(p)
        var index = 0
        while let m = messages.next() {
            index += 1
            if case .reset = m.control, let r = SequenceReset(m.message) { reset = (r.newSequenceNumber, p.messageCount - index) }
        }
        sequences[channel].observe(sequenceNumber: p.sequenceNumber, messageCount: p.messageCount, reset: reset, timestamp: time)
        if sequences[channel].gapCount != before, let g = sequences[channel].lastGap {
            recovery.gapDetected(channel: channel, first: g.first, last: g.last, monotonic: Clock.monotonic(), realtime: time)
        }
    }

    private func run(anchor: @Sendable () -> Int64?, offset: ClockOffset) {
        var anchorRealtime: Int64?
        var m = matcher
        defer { matcher = m }
        while !stopFlag.load(ordering: .relaxed) {
            guard let n = try? receiver.receive(timeoutMilliseconds: 20), n > 0 else { continue }
            if anchorRealtime == nil, let a = anchor() { anchorRealtime = offset.realtime(fromMonotonic: a) }
            for i in 0..<n {
                guard let d = receiver.datagram(at: i) else { continue }
                drops[d.endpointIndex] = max(drops[d.endpointIndex], UInt64(d.kernelDrops))
                let channel = channelOf[d.endpointIndex]
                let time = d.kernelTime != 0 ? d.kernelTime : Clock.realtime()
                m.account(channel: channel, payload: d.payload, length: d.length, truncated: d.truncated,
                          time: time, anchor: anchorRealtime)
                if _slowPath(recovery != nil) && !d.truncated { followSequence(channel, d.payload, length: d.length, time: time) }
            }
            lastArrival.store(Clock.monotonic(), ordering: .relaxed)
            matched.store(m.received, ordering: .relaxed)
        }
    }

    func result(messagesSent: UInt64, sendTimes: SendTimes?, anchor: Int64?) -> BenchSideResult {
        let m = matcher
        let span = m.lastTime > m.firstTime ? m.lastTime - m.firstTime : 0
        let timings = m.timings(sendTimes: sendTimes, anchorMonotonic: anchor)
        return BenchSideResult(
            name: target.name, sendTo: target.send.description, receiveOn: target.receive.description,
            messagesSent: messagesSent, messagesReceived: m.received,
            messagesLost: messagesSent > m.received ? messagesSent - m.received : 0, duplicateMessages: m.duplicates,
            unexpectedMessages: m.unexpected, packetsReceived: m.packets, heartbeats: m.heartbeats, garbage: m.garbage,
            kernelDrops: drops.reduce(0, +), messagesPerSecond: span > 0 ? Double(m.received) * 1e9 / Double(span) : nil,
            firstArrivalNs: m.packets > 0 ? m.firstTime : nil, lastArrivalNs: m.packets > 0 ? m.lastTime : nil,
            latency: LatencySummary(m.histogram),
            platformTime: timings.platform.totalCount == 0 ? nil : LatencySummary(timings.platform),
            senderLateness: timings.lateness.totalCount == 0 ? nil : LatencySummary(timings.lateness),
            intervals: m.received == 0 ? nil : timings.intervals, spectrum: PercentileSpectrum(m.histogram),
            timeline: Array(m.timeline[..<(m.timeline.lastIndex { $0 != 0 }.map { $0 + 1 } ?? 0)]),
            timelineIntervalNs: FeedMatcher.timelineInterval,
            histogram: m.histogram.totalCount == 0 ? nil : m.histogram.base64V2Compressed,
            platformHistogram: timings.platform.totalCount == 0 ? nil : timings.platform.base64V2Compressed,
            latenessHistogram: timings.lateness.totalCount == 0 ? nil : timings.lateness.base64V2Compressed,
            recovery: recoveryReport)
    }
}

/// Replays one capture to one or two platforms at the same deadlines, receives what each publishes,
/// and matches every message by (channel, SeqNum) to its scheduled send time.
/// `@unchecked Sendable`: immutable after `init` except through its receivers and player, whose own contracts hold; `run` is called from one thread.
public final class FeedBench: @unchecked Sendable {
    public let plan: FeedPlan
    public let targets: [BenchTarget]
    let player: FeedPlayer
    let expected: ExpectedMessages
    let receivers: [BenchReceiver]
    /// After the last send, wait this long without an arrival (or until everything came back).
    public let drain: Int64

    public enum SetupError: Error, CustomStringConvertible, Sendable {
        case plan(FeedPlan.PlanError)
        case player(FeedPlayer.SetupError)
        case expected(ExpectedMessages.BuildError)
        case receiver(TransportError)
        case maximumPacing
        case shardPacing
        public var description: String {
            switch self {
            case .plan(let e): return e.description
            case .player(let e): return e.description
            case .expected(let e): return e.description
            case .receiver(let e): return e.description
            case .maximumPacing:
                return "bench measures latency from each packet's scheduled send time: pace by speed, packet rate or bit rate, not as fast as possible"
            case .shardPacing:
                return "a bench shard keeps the capture's timing (--speed): a rate (--pps, --mbps) is one sender's, not shared by several"
            }
        }
    }

    public init(path: String, selection: Selection, targets: [BenchTarget], options: ReplayOptions,
                receiverOptions: ReceiverOptions = ReceiverOptions(), drain: Int64 = 1_000_000_000,
                feedProtocol: FeedProtocol? = nil) throws(SetupError) {
        if case .maximum = options.pacing { throw .maximumPacing }
        if selection.shard != nil, case .speed = options.pacing {} else if selection.shard != nil { throw .shardPacing }
        var map = TargetMap()
        for t in targets {
            do { try map.add(.each(t.send)) } catch { throw .plan(.filter(error.description)) }
        }
        var single = options
        single.loops = 1
        do { plan = try FeedPlan(path: path, selection: selection, map: map, dropUnmapped: false) } catch { throw .plan(error) }
        do { player = try FeedPlayer(plan: plan, options: single) } catch { throw .player(error) }
        do {
            var messages = try ExpectedMessages(plan: plan, schedule: player.schedule, feedProtocol: feedProtocol)
            // A shard slices the whole replay's schedule (its last packet of any shard), as every shard does.
            if selection.shard != nil {
                messages.sliceSpan = player.schedule.offset(captureOffset: plan.lastTime &- plan.firstTime, loop: 0, index: 0, bytesBefore: 0) &+ 1
            }
            expected = messages
        } catch { throw .expected(error) }
        var receivers: [BenchReceiver] = []
        let streams = plan.streams
        let owned = streams.indices.filter { !streams[$0].targets.isEmpty }
        for t in targets {
            do {
                receivers.append(try BenchReceiver(target: t, channels: owned, total: streams.count, expected: expected, options: receiverOptions))
            } catch { throw .receiver(error) }
        }
        self.receivers = receivers
        self.targets = targets
        self.drain = drain
    }

    /// Messages the run is expected to send (one pass).
    public var expectedMessages: UInt64 { expected.totalMessages }

    /// Runs the bench: receivers first, then the replay on the calling thread, then the drain. Each
    /// packet's actual send time is recorded (8 bytes per packet, allocated here, before the run) to
    /// split every latency into platform time and sender lateness; with `measureHost` a
    /// ``HiccupMeter`` runs alongside and the result carries the host's health.
    public func run(control: ReplayControl = ReplayControl(), measureHost: Bool = true) -> (BenchResult, CaptureError?) {
        let offset = ClockOffset.measure()
        let sendTimes = SendTimes(packets: Int(clamping: plan.packets))
        let meter = measureHost ? HiccupMeter() : nil
        for r in receivers { r.start(anchor: { control.anchor }, offset: offset) }
        let (replay, failure) = player.run(control: control, sendTimes: sendTimes)
        // Drain: until every sent message came back, or `drain` without an arrival, or a stop.
        let sent = expected.messagesSent(packetsSent: replay.packets).reduce(0, +)
        let drainStart = Clock.monotonic()
        while !control.isStopRequested {
            usleep(10_000)
            let now = Clock.monotonic()
            if receivers.allSatisfy({ $0.matched.load(ordering: .relaxed) >= sent }) { break }
            let last = receivers.map { max($0.lastArrival.load(ordering: .relaxed), drainStart) }.max() ?? drainStart
            if now - last >= drain { break }
        }
        for r in receivers { r.stop() }
        for r in receivers { r.join() }
        let host = meter?.stop()
        let sides = receivers.map { $0.result(messagesSent: sent, sendTimes: sendTimes, anchor: control.anchor) }
        let ratios = sides.count == 2 ? LatencyRatios(old: sides[0].latency, new: sides[1].latency) : nil
        var result = BenchResult(replay: replay, sides: sides, latencyRatios: ratios)
        result.host = host
        result.offeredTimeline = expected.offeredTimeline(interval: FeedMatcher.timelineInterval)
        return (result, failure)
    }
}

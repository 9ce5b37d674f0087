import Vocabulary
import Capture
import Histogram
import MarketData

/// Limits of a live comparison.
public struct WatchSettings: Sendable, Equatable {
    /// Sequence numbers kept outstanding per channel (a power of two); a message falling out of the
    /// window is settled at once.
    public var window = 1 << 17
    /// A message seen on one line only for this long (ns) is declared missing on the other.
    public var horizon: Int64 = 2_000_000_000
    /// A line silent for longer than this (ns) is stalled (twice the 2 s OMD heartbeat interval).
    public var stallLimit: Int64 = 4_000_000_000
    /// Read every line as this protocol instead of recognising it (`watch --protocol`).
    public var feedProtocol: FeedProtocol?
    public init() {}
}

/// Fixed lag buckets per channel, as a Prometheus histogram exposes them: upper bounds from 1 µs to
/// 10 s in a 1-2-5 series, plus one above the last bound. Counting into them costs a few comparisons
/// per matched message (lags are mostly small, and the scan stops at the first bound not exceeded).
public enum LagBuckets {
    /// The upper bounds, ns (inclusive, as Prometheus' `le`).
    public static let boundsNs: [UInt64] = {
        var b: [UInt64] = []
        var decade: UInt64 = 1_000
        while decade <= 1_000_000_000 {
            b += [decade, 2 * decade, 5 * decade]
            decade *= 10
        }
        return b + [10_000_000_000]
    }()
    /// Counts per channel: the bounds and one more for everything above the last.
    public static var slots: Int { boundsNs.count + 1 }

    /// Per bit length of a lag (0…64), the first bucket whose bound can hold it: a lag of bit length b
    /// is at least 2^(b−1), so its bucket is at or after the first bound ≥ 2^(b−1); at most two more
    /// compares find it (bounds grow by 2–2.5× per step, faster than one bit each).
    /// The bucket of `lag`: the first bound ≥ it (``boundsNs``, ``firstCandidate`` passed in so a hot
    /// loop holds them), or the last slot when it is above every bound.
    @inline(__always)
    public static func index(_ lag: UInt64, bounds: [UInt64], start: [UInt8]) -> Int {
        var b = Int(start[64 &- lag.leadingZeroBitCount])
        while b < bounds.count && lag > bounds[b] { b &+= 1 }
        return b
    }

    public static let firstCandidate: [UInt8] = (0...64).map { bits in
        let low: UInt64 = bits == 0 ? 0 : 1 << UInt64(bits - 1)
        return UInt8(boundsNs.firstIndex { $0 >= low } ?? boundsNs.count)
    }
}

/// Lag bucket counts of every channel, allocated once (as the slot rings are).
final class LagCounts {
    let base: UnsafeMutablePointer<UInt64>
    let count: Int

    init(count: Int) {
        self.count = count
        base = .allocate(capacity: max(1, count))
        base.initialize(repeating: 0, count: max(1, count))
    }

    deinit { base.deallocate() }

    /// Counts one message in slot `i` (bounds-checked: `i` comes from a channel index and a bucket).
    @inline(__always) func add(_ i: Int) {
        precondition(UInt(bitPattern: i) < UInt(bitPattern: count), "lag bucket out of range")
        base[i] &+= 1
    }
}

/// One sequence number's sightings on the two lines.
struct WatchSlot {
    var key: UInt64 = .max
    var time: (Int64, Int64) = (.min, .min)
    var hash: UInt64 = 0
}

/// A power-of-two ring of slots for one sequence epoch of one channel, allocated once.
final class SlotRing {
    let slots: UnsafeMutablePointer<WatchSlot>
    let mask: UInt64
    let capacity: UInt64
    var epoch: UInt32 = .max
    var started = false
    /// Lowest key not yet settled, and one past the highest key seen.
    var tail: UInt64 = 0
    var head: UInt64 = 0
    /// First key each line delivered in this epoch (.max: none yet): a line that joined later is not
    /// missing what came before it.
    var firstSeen: (UInt64, UInt64) = (.max, .max)

    init(capacity: Int) {
        precondition(capacity > 0 && capacity & (capacity - 1) == 0, "window must be a power of two")
        self.capacity = UInt64(capacity)
        mask = UInt64(capacity - 1)
        slots = .allocate(capacity: capacity)
        slots.initialize(repeating: WatchSlot(), count: capacity)
    }

    deinit { slots.deallocate() }

    func restart(epoch: UInt32) {
        self.epoch = epoch
        started = false
        firstSeen = (.max, .max)
    }
}

/// The first datagrams of every line, copied while the line's protocol is decided (allocated once:
/// ``FeedStream/probePackets`` slots of ``slotSize`` bytes per line).
final class ProbeStore {
    static let slotSize = 2048
    var bytes: [UInt8]
    var lengths: [Int]
    var counts: [Int]
    var times: [Int64]

    init(lines: Int) {
        bytes = [UInt8](repeating: 0, count: lines * FeedStream.probePackets * Self.slotSize)
        lengths = [Int](repeating: 0, count: lines * FeedStream.probePackets)
        counts = [Int](repeating: 0, count: lines * FeedStream.probePackets)
        times = [Int64](repeating: 0, count: lines * FeedStream.probePackets)
    }

    /// Keeps datagram `k` (0…7) of line `l` (cut to the slot size: a longer one fails every check anyway).
    func keep(_ l: Int, _ k: Int, _ payload: ByteView, length: Int, time: Int64) {
        let i = l * FeedStream.probePackets + k
        let n = min(payload.count, Self.slotSize)
        for j in 0..<n { bytes[i * Self.slotSize + j] = payload.getUInt8(at: j)! }
        counts[i] = n
        lengths[i] = length
        times[i] = time
    }

    /// Datagram `k` of line `l` as a view (valid inside `body`).
    func withDatagram(_ l: Int, _ k: Int, _ body: (ByteView, Int, Int64) -> Void) {
        let i = l * FeedStream.probePackets + k
        bytes.withUnsafeBytes { raw in
            body(ByteView(unsafeStart: raw.baseAddress! + i * Self.slotSize, count: counts[i]), lengths[i], times[i])
        }
    }
}

/// Live figures of one line of one channel.
public struct LiveLine: Sendable {
    public var packets: UInt64 = 0
    /// Datagrams not compared: not valid packets of the line's protocol, or every datagram of a line
    /// whose protocol was not recognised (or cannot be compared: EOBI).
    public var garbage: UInt64 = 0
    /// The line's feed protocol, decided on its first datagrams (``FeedProtocolDetector``); nil while
    /// deciding and when none was recognised.
    public var feedProtocol: FeedProtocol?
    /// Sequencing of a protocol other than OMD.
    public var feed: FeedStream?
    /// 0 deciding, 1 OMD, 2 another protocol, 3 not compared.
    var mode: UInt8 = 0
    var detector = FeedProtocolDetector()
    public var statistics = OMDStreamStatistics()
    public var events = LineEvents()
    public var firstTime: Int64 = .min
    public var lastTime: Int64 = .min
    var epoch: UInt32 = 0
    var hadData = false
    /// Messages of this line's gaps the retransmission service gave back (`watch --recover`).
    public var recovery = LineRecoveryCounts()
}

/// What came back from the retransmission service for one line's gaps, against the other line.
public struct LineRecoveryCounts: Sendable, Equatable, Codable {
    /// Recovered messages equal to the other line's message of the same sequence number.
    public var equal: UInt64 = 0
    /// Recovered messages whose bytes differ from the other line's.
    public var differs: UInt64 = 0
    /// Recovered messages the other line did not carry (or no longer in the window): nothing to compare.
    public var notCompared: UInt64 = 0
    /// Messages of gaps a refresh snapshot covered instead (their bytes never came back: not compared).
    public var refreshed: UInt64 = 0
    public var recovered: UInt64 { equal + differs + notCompared }
    public init() {}
}

/// A gap one line of a channel revealed (`watch --recover` hands it to the recovery client).
public struct LineGap: Sendable, Equatable {
    public var channel: Int
    /// 0 primary, 1 standby.
    public var side: Int
    public var first: UInt32
    public var last: UInt32
    /// Receive time of the packet that revealed it (ns since 1970).
    public var time: Int64
}

/// Live figures of one channel: cross-line counts and both lines.
public struct LiveChannel: Sendable {
    public var onBoth: UInt64 = 0
    /// Settled as missing: seen on the other line only, for longer than the horizon (or pushed out of the window).
    public var missing: (primary: UInt64, standby: UInt64) = (0, 0)
    /// Arrived after being declared missing.
    public var late: (primary: UInt64, standby: UInt64) = (0, 0)
    public var mismatches: UInt64 = 0
    public var primaryFirst: UInt64 = 0
    public var standbyFirst: UInt64 = 0
    public var ties: UInt64 = 0
    public var longestOneSidedRun: UInt64 = 0
    /// Sum of |standby − primary| over the messages on both lines, ns.
    public var lagSumNs: UInt64 = 0
    var run: UInt64 = 0
    var runSide = -1
}

/// Compares a primary and a standby feed live, per message keyed by (channel, epoch, SeqNum), in
/// bounded memory: per channel two rings of ``WatchSettings/window`` slots (the current and the
/// previous sequence epoch). A message settles when both lines delivered it, when it is older than the
/// horizon (then it is missing on the line that did not), or when it falls out of the window.
/// Allocation-free per message; run it on one thread.
/// `@unchecked Sendable`: its slot rings are memory it allocates and owns; a comparator is used on one thread at a time (moving it to the receiving thread before use is the only transfer).
public struct LiveComparator: @unchecked Sendable {
    public let settings: WatchSettings
    public private(set) var channels: [LiveChannel]
    /// Line `side` of channel `c` is `lines[2 * c + side]` (0 primary, 1 standby).
    public private(set) var lines: [LiveLine]
    var rings: [[SlotRing]]
    /// |standby − primary| per message on both lines, ns: since the start, and since the last interval.
    public private(set) var lag = LiveComparator.histogram()
    public private(set) var intervalLag = LiveComparator.histogram()
    /// Messages per lag bucket (``LagBuckets``) since the start, channel after channel, not
    /// cumulative: counted in storage of its own (no uniqueness check per message, as an array has).
    let lagCounts: LagCounts
    let lagBounds = LagBuckets.boundsNs
    let lagStart = LagBuckets.firstCandidate
    let analyzer = OMDStreamAnalyzer()
    let probes: ProbeStore
    /// Keep every OMD line's new gaps for ``takeGaps()`` (`watch --recover`); off, not one extra
    /// instruction per packet but this flag's test.
    public var collectGaps = false
    private var newGaps: [LineGap] = []
    /// Recovered messages whose other-line copy has not arrived yet: compared when it does, or counted
    /// as not compared once older than the horizon.
    private var pendingRecovered: [(channel: Int, side: Int, sequence: UInt32, hash: UInt64, deadline: Int64)] = []

    public init(channels: Int, settings: WatchSettings = WatchSettings()) {
        probes = ProbeStore(lines: 2 * channels)
        self.settings = settings
        self.channels = Array(repeating: LiveChannel(), count: channels)
        lines = Array(repeating: LiveLine(), count: 2 * channels)
        rings = (0..<channels).map { _ in [SlotRing(capacity: settings.window), SlotRing(capacity: settings.window)] }
        lagCounts = LagCounts(count: channels * LagBuckets.slots)
        if let forced = settings.feedProtocol {
            for l in lines.indices {
                lines[l].detector = FeedProtocolDetector(forced: forced)
                lines[l].feedProtocol = forced
                lines[l].mode = forced == .omd ? 1 : forced.sessionsInterleave ? 3 : 2
                if lines[l].mode == 2 { lines[l].feed = FeedStream(forced: forced) }
            }
        }
    }

    /// Channel `c`'s lag bucket counts (``LagBuckets``; not cumulative, the last above every bound).
    public func lagBuckets(channel c: Int) -> [UInt64] {
        precondition(c >= 0 && (c + 1) * LagBuckets.slots <= lagCounts.count, "channel out of range")
        return Array(UnsafeBufferPointer(start: lagCounts.base + c * LagBuckets.slots, count: LagBuckets.slots))
    }

    static func histogram() -> Histogram<UInt64> {
        LatencyHistogram.latency()
    }

    /// Accounts one datagram of `channel` on `side` (0 primary, 1 standby) received at `time` (ns since 1970).
    public mutating func process(channel c: Int, side: Int, payload: ByteView, length: Int, time t: Int64) {
        let l = 2 * c + side
        lines[l].packets &+= 1
        let last = lines[l].lastTime
        if last != .min, t &- last > settings.stallLimit { lines[l].events.silence(endingAt: t, length: t &- last) }
        if lines[l].firstTime == .min { lines[l].firstTime = t }
        lines[l].lastTime = t
        if _fastPath(lines[l].mode == 1) { return accountOMD(c, side, payload: payload, length: length, time: t) }
        switch lines[l].mode {
        case 0: probe(c, side, payload: payload, length: length, time: t)
        case 2: accountOther(c, side, payload: payload, time: t)
        default: lines[l].garbage &+= 1
        }
    }

    /// A datagram of a line whose protocol is not decided yet: kept, and once its first datagrams
    /// decide, every kept one is accounted by the protocol (or counted as not compared).
    @inline(never)
    mutating func probe(_ c: Int, _ side: Int, payload: ByteView, length: Int, time t: Int64) {
        let l = 2 * c + side
        probes.keep(l, lines[l].detector.seen, payload, length: length, time: t)
        lines[l].detector.add(payload)
        if lines[l].detector.decided { decide(c, side) }
    }

    /// Decides every line still deciding on the datagrams it delivered (at the end of a watch: a line
    /// shorter than the probe window).
    public mutating func decideShortLines() {
        for c in channels.indices {
            for side in 0..<2 where lines[2 * c + side].mode == 0 && lines[2 * c + side].detector.seen > 0 { decide(c, side) }
        }
    }

    /// Ends detection for a line (after its probe window, or at the end for a short one).
    public mutating func decide(_ c: Int, _ side: Int) {
        let l = 2 * c + side
        guard lines[l].mode == 0 else { return }
        lines[l].detector.finish()
        let p = lines[l].detector.feedProtocol
        lines[l].feedProtocol = p
        // EOBI numbers each product apart within one stream: (channel, SeqNum) names no message.
        lines[l].mode = p == .omd ? 1 : p == nil || p!.sessionsInterleave ? 3 : 2
        if lines[l].mode == 2 { lines[l].feed = FeedStream(forced: p) }
        for k in 0..<lines[l].detector.seen {
            probes.withDatagram(l, k) { view, length, time in
                switch lines[l].mode {
                case 1: accountOMD(c, side, payload: view, length: length, time: time)
                case 2: accountOther(c, side, payload: view, time: time)
                default: lines[l].garbage &+= 1
                }
            }
        }
    }

    /// A datagram of a line in a protocol other than OMD: its sequencing (``FeedStream``) and each
    /// sequenced unit recorded by its number (packets for CME MDP 3.0); a session change or reset
    /// starts the next epoch.
    @inline(never)
    mutating func accountOther(_ c: Int, _ side: Int, payload: ByteView, time t: Int64) {
        let l = 2 * c + side
        guard let p = lines[l].feedProtocol, let h = p.header(payload) else {
            lines[l].garbage &+= 1
            lines[l].feed?.add(payload, timestamp: t)
            return
        }
        let before = lines[l].feed?.sessionChanges ?? 0
        lines[l].feed?.add(payload, timestamp: t)
        if (lines[l].feed?.sessionChanges ?? 0) != before && lines[l].hadData {
            lines[l].epoch &+= 1
            lines[l].events.reset(at: t)
        }
        let epoch = lines[l].epoch
        p.forEachSequenced(payload, h) { sequence, bytes in
            lines[l].hadData = true
            record(c, side, epoch: epoch, key: sequence, time: t, hash: FeedComparator.hash(bytes))
        }
    }

    /// A datagram of an OMD line.
    @inline(__always)
    mutating func accountOMD(_ c: Int, _ side: Int, payload: ByteView, length: Int, time t: Int64) {
        let l = 2 * c + side
        guard OMDStreamAnalyzer.looksLikeOMD(payload, declaredLength: length), let p = OMDPacket(payload) else {
            lines[l].garbage &+= 1
            return
        }
        let gaps = lines[l].statistics.sequence.gapCount
        analyzer.process(payload, declaredLength: length, timestamp: t, into: &lines[l].statistics)
        if _slowPath(lines[l].statistics.sequence.gapCount != gaps) && collectGaps { keepGap(c, side, time: t) }
        guard !p.isHeartbeat, !p.isCompressed else { return }
        var messages = SequencedMessages(p)
        while let item = messages.next() {
            switch item.control {
            case .none: break
            case .disasterRecovery(let status): lines[l].events.signal(status, at: t)
            case .reset:
                // A reset after data starts the next epoch.
                if lines[l].hadData {
                    lines[l].epoch &+= 1
                    lines[l].events.reset(at: t)
                }
                continue
            }
            lines[l].hadData = true
            record(c, side, epoch: lines[l].epoch, key: UInt64(item.sequence), time: t, hash: FeedComparator.hash(item.message.bytes))
        }
    }

    /// Line `side` (0 primary, 1 standby) of channel `c`.
    public func line(_ c: Int, _ side: Int) -> LiveLine { lines[2 * c + side] }

    @inline(__always)
    mutating func record(_ c: Int, _ side: Int, epoch: UInt32, key k: UInt64, time t: Int64, hash h: UInt64) {
        let ring = rings[c][Int(epoch & 1)]
        if ring.epoch != epoch {
            settleAll(c, ring)
            ring.restart(epoch: epoch)
        }
        if side == 0 { if ring.firstSeen.0 == .max { ring.firstSeen.0 = k } } else if ring.firstSeen.1 == .max { ring.firstSeen.1 = k }
        if !ring.started {
            ring.started = true
            ring.tail = k
            ring.head = k
        }
        if k >= ring.head {
            let newTail = k + 1 >= ring.capacity ? k + 1 - ring.capacity : 0
            if newTail > ring.tail {
                settle(c, ring, upTo: min(newTail, ring.head))
                ring.tail = newTail
            }
            ring.head = k + 1
        } else if k < ring.tail {
            if side == 0 { channels[c].late.primary &+= 1 } else { channels[c].late.standby &+= 1 }
            return
        }
        let slot = ring.slots + Int(k & ring.mask)
        if slot.pointee.key != k {
            slot.pointee = WatchSlot(key: k, time: side == 0 ? (t, .min) : (.min, t), hash: h)
            return
        }
        if side == 0 {
            guard slot.pointee.time.0 == .min else { return }  // a duplicate: the line's own counts have it
            slot.pointee.time.0 = t
        } else {
            guard slot.pointee.time.1 == .min else { return }
            slot.pointee.time.1 = t
        }
        matched(c, slot.pointee, hash: h)
    }

    @inline(__always)
    mutating func matched(_ c: Int, _ slot: WatchSlot, hash h: UInt64) {
        channels[c].onBoth &+= 1
        if slot.hash != h { channels[c].mismatches &+= 1 }
        let d = slot.time.1 &- slot.time.0
        if d > 0 { channels[c].primaryFirst &+= 1 } else if d < 0 { channels[c].standbyFirst &+= 1 } else { channels[c].ties &+= 1 }
        let m = d.magnitude
        lag.recordLatency(m)
        intervalLag.recordLatency(m)
        channels[c].lagSumNs &+= m
        lagCounts.add(c &* (lagBounds.count &+ 1) &+ LagBuckets.index(m, bounds: lagBounds, start: lagStart))
        oneSided(c, side: -1)
    }

    /// Settles the slots of `ring` with keys below `end` (from its tail), at most one window's worth.
    mutating func settle(_ c: Int, _ ring: SlotRing, upTo end: UInt64) {
        var k = ring.tail
        let stop = min(end, ring.tail &+ ring.capacity)
        while k < stop {
            settleSlot(c, ring, ring.slots + Int(k & ring.mask), key: k)
            k += 1
        }
    }

    mutating func settleAll(_ c: Int, _ ring: SlotRing) {
        guard ring.started else { return }
        settle(c, ring, upTo: ring.head)
        ring.tail = ring.head
    }

    @inline(__always)
    mutating func settleSlot(_ c: Int, _ ring: SlotRing, _ slot: UnsafeMutablePointer<WatchSlot>, key k: UInt64) {
        guard slot.pointee.key == k else { return }
        let (t0, t1) = slot.pointee.time
        slot.pointee.key = .max
        if t0 != .min && t1 != .min { return }
        // Seen on one line only. Not missing on a line that had not started yet.
        if t0 == .min {
            if ring.firstSeen.0 != .max && k < ring.firstSeen.0 { return }
            channels[c].missing.primary &+= 1
            oneSided(c, side: 0)
        } else {
            if ring.firstSeen.1 != .max && k < ring.firstSeen.1 { return }
            channels[c].missing.standby &+= 1
            oneSided(c, side: 1)
        }
    }

    @inline(__always)
    mutating func oneSided(_ c: Int, side: Int) {
        if side >= 0 && side == channels[c].runSide {
            channels[c].run &+= 1
        } else {
            channels[c].run = side >= 0 ? 1 : 0
            channels[c].runSide = side
        }
        if channels[c].run > channels[c].longestOneSidedRun { channels[c].longestOneSidedRun = channels[c].run }
    }

    /// Declares missing what one line delivered more than the horizon before `now` (ns since 1970)
    /// and the other did not. Bounded work: at most a few thousand slots per ring per call.
    public mutating func sweep(now: Int64) {
        let cutoff = now &- settings.horizon
        for c in channels.indices {
            for ring in rings[c] where ring.started {
                var k = ring.tail
                let limit = min(ring.head, ring.tail &+ 4096)
                while k < limit {
                    let slot = ring.slots + Int(k & ring.mask)
                    if slot.pointee.key == k {
                        let (t0, t1) = slot.pointee.time
                        let first = t0 == .min ? t1 : (t1 == .min ? t0 : min(t0, t1))
                        if first >= cutoff { break }
                        settleSlot(c, ring, slot, key: k)
                        ring.tail = k + 1
                    }
                    k += 1
                }
            }
        }
    }

    /// Messages seen and not settled yet (on one line only and younger than the horizon, or matched
    /// and still in the window).
    public var outstanding: UInt64 {
        var n: UInt64 = 0
        for ring in rings.joined() where ring.started {
            var k = ring.tail
            while k < ring.head {
                let s = ring.slots[Int(k & ring.mask)]
                if s.key == k && (s.time.0 == .min || s.time.1 == .min) { n += 1 }
                k += 1
            }
        }
        return n
    }

    @inline(never)
    mutating func keepGap(_ c: Int, _ side: Int, time t: Int64) {
        guard let g = lines[2 * c + side].statistics.sequence.lastGap else { return }
        newGaps.append(LineGap(channel: c, side: side, first: g.first, last: g.last, time: t))
    }

    /// The gaps revealed since the last call (with ``collectGaps``), oldest first.
    public mutating func takeGaps(_ body: (LineGap) -> Void) {
        guard !newGaps.isEmpty else { return }
        for g in newGaps { body(g) }
        newGaps.removeAll(keepingCapacity: true)
    }

    /// A message of line `side`'s gap that the retransmission service gave back: compared with the
    /// other line's message of the same sequence number while that is still in the window.
    /// `now` (ns since 1970) starts the wait for an other-line copy that has not arrived yet.
    public mutating func recovered(channel c: Int, side: Int, sequence: UInt32, hash h: UInt64, now: Int64) {
        if !compareRecovered(c, side, sequence, h) {
            pendingRecovered.append((c, side, sequence, h, now &+ settings.horizon))
        }
    }

    /// Compares recovered messages still waiting for the other line's copy; those waiting longer than
    /// the horizon are counted as not compared (all of them with `final`).
    public mutating func retryRecovered(now: Int64, final: Bool = false) {
        guard !pendingRecovered.isEmpty else { return }
        var kept = 0
        for i in pendingRecovered.indices {
            let p = pendingRecovered[i]
            if compareRecovered(p.channel, p.side, p.sequence, p.hash) { continue }
            if final || now >= p.deadline {
                lines[2 * p.channel + p.side].recovery.notCompared &+= 1
                continue
            }
            pendingRecovered[kept] = p
            kept += 1
        }
        pendingRecovered.removeLast(pendingRecovered.count - kept)
    }

    /// True when the other line's copy is in the window and the two were compared.
    private mutating func compareRecovered(_ c: Int, _ side: Int, _ sequence: UInt32, _ h: UInt64) -> Bool {
        let l = 2 * c + side
        let ring = rings[c][Int(lines[l].epoch & 1)]
        let k = UInt64(sequence)
        let slot = ring.slots[Int(k & ring.mask)]
        let other = side == 0 ? slot.time.1 : slot.time.0
        guard ring.epoch == lines[l].epoch && slot.key == k && other != .min else { return false }
        if slot.hash == h { lines[l].recovery.equal &+= 1 } else { lines[l].recovery.differs &+= 1 }
        return true
    }

    /// `messages` of line `side`'s gaps that a refresh snapshot covered (the end of a watch, from the
    /// recovery report).
    public mutating func refreshed(channel c: Int, side: Int, messages: UInt64) {
        lines[2 * c + side].recovery.refreshed &+= messages
    }

    /// Starts a new interval for ``intervalLag``.
    public mutating func resetInterval() { intervalLag.reset() }
}

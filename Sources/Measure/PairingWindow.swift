import Vocabulary
import Histogram

/// How far apart in time the two lines of a comparison may deliver one message and still be paired
/// (`compare --horizon`), and the most sequence numbers a channel's window holds.
public struct PairingLimits: Sendable, Equatable {
    /// A message seen on one line only is settled as missing on the other once the read is this far
    /// (ns, capture time) past its sighting; a sequence number seen on neither, once the read is this
    /// far past the next one seen. Lines A and B of one platform deliver a message microseconds to
    /// milliseconds apart; this is generous so that an offline comparison pairs every message a
    /// whole-capture walk would. Widened when the two sides' captures start further apart than it.
    public var horizon: Int64 = 10_000_000_000
    /// A message seen on one line only is settled sooner, once the other line has delivered a later
    /// sequence number and the read is this far (ns) past the sighting: the other line skipped it
    /// (a line reorders by microseconds, not by a second). A gap on one line then holds the window
    /// for this long rather than the horizon.
    public var reorder: Int64 = 1_000_000_000
    /// Sequence numbers one epoch of one channel holds unsettled at most (a power of two): past it the
    /// oldest are settled before their horizon and the channel says so.
    public var window = 1 << 21
    public init() {}
}

/// One sequence number's sightings on the two lines of a channel (32 bytes).
struct PairSlot {
    var sequence: UInt32 = 0
    /// Bit 0: seen on A; bit 1: seen on B; bit 2: their bytes differ. 0: never written.
    var state: UInt8 = 0
    var timeA: Int64 = 0
    var timeB: Int64 = 0
    /// The first sighting's message hash.
    var hash: UInt64 = 0

    /// The earlier sighting (the only one of a one-sided slot).
    var firstTime: Int64 { state & 3 == 3 ? min(timeA, timeB) : (state & 1 != 0 ? timeA : timeB) }
}

/// What became of one recorded message.
enum PairRecord {
    /// The first sighting of its sequence number on its line.
    case recorded
    /// Its line delivered that sequence number already.
    case duplicate
    /// It arrived after its sequence number was settled (beyond the horizon or the window): not
    /// compared, and counted (``ChannelPairing/late``).
    case late
}

/// The order-dependent tallies of one sequence epoch of a channel, walked in sequence order: the
/// longest one-sided run and the first mismatches. Epochs are walked apart and joined in epoch order
/// at the end (``PairWalk/join(_:)``), as a walk over whole captures would have met them.
struct EpochWalk {
    /// The epoch's index (a reset starts the next) or, for interleaved sessions (EOBI), its session.
    let key: UInt64
    var run: UInt64 = 0, runSide = 0, runFirst: UInt32 = 0
    var longest: UInt64 = 0, longestSide = 0, longestFirst: UInt32 = 0
    var firstMismatch: UInt32?
    /// The first ``MismatchDetail/sampleLimit`` mismatched sequence numbers of this epoch.
    var mismatchSequences: [UInt32] = []

    init(key: UInt64) { self.key = key }

    /// Sequence number `s` settled: on both lines (side 0), on A only (1), B only (2), or on neither (0).
    @inline(__always)
    mutating func step(_ s: UInt32, side: Int) {
        if side != 0 && side == runSide { run &+= 1 } else { run = side == 0 ? 0 : 1; runSide = side; runFirst = s }
        if run > longest { longest = run; longestSide = runSide; longestFirst = runFirst }
    }
}

/// One sequence epoch of one channel: a power-of-two ring of slots indexed by sequence number,
/// holding the unsettled sequence numbers `tail..<head` and, behind them, the settled ones until
/// their places are taken. Grows by doubling from a few slots up to ``PairingLimits/window``.
/// A value kept in its channel's array and changed in place (no reference counting, no dynamic
/// exclusivity checks per message).
struct PairRing {
    private var slots: MaskedRing<PairSlot>
    private(set) var capacity: UInt32
    var walk: EpochWalk
    var started = false
    /// Some sequence number was settled: one below ``tail`` is late or a duplicate, never the window's new start.
    var settledAny = false
    var tail: UInt32 = 0
    var head: UInt32 = 0
    /// The tail stands on sequence numbers seen on neither line up to ``emptyEnd`` (exclusive); they
    /// are settled at ``emptyDeadline`` (valid while ``emptyKnown``).
    private var emptyKnown = false
    private var emptyEnd: UInt32 = 0
    private var emptyDeadline: Int64 = 0
    private var emptyPassedAt: Int64 = 0
    /// The highest sequence number each line delivered in this epoch (valid once ``delivered``).
    private var highest: (UInt32, UInt32) = (0, 0)
    private var delivered: (Bool, Bool) = (false, false)
    /// Messages settled before their horizon because the window was full.
    var early: UInt64 = 0
    /// Which lines delivered each settled sequence number, two bits each (A, B), in a ring of
    /// ``historyMask`` + 1 sequence numbers ending at ``tail``; it grows with the settled span up to
    /// ``historyLimit``. ``historyStart``: the first settled.
    private var history: MaskedRing<UInt64>?
    private var historyMask: UInt32 = 0
    private var historyStart: UInt32 = 0

    static let initialCapacity: UInt32 = 16
    /// Settled sequence numbers whose sightings (two bits each) an epoch of a channel remembers at
    /// most, so that a repeat is told from a late first copy that far back (256 KB).
    static let historyLimit: UInt32 = 1 << 20

    init(key: UInt64, capacity: UInt32 = PairRing.initialCapacity) {
        walk = EpochWalk(key: key)
        self.capacity = capacity
        slots = MaskedRing(count: Int(capacity), repeating: PairSlot())
    }

    /// A placeholder for a channel's active ring while it has none (one slot, never recorded into).
    static var dormant: PairRing { PairRing(key: .max, capacity: 1) }

    /// Unsettled sequence numbers (the window's span).
    var span: UInt32 { head &- tail }

    /// Doubles the ring until it holds `needed` sequence numbers, moving what it held (the unsettled
    /// ones and the settled ones behind them) to their places in the larger ring.
    private mutating func grow(toHold needed: UInt32) {
        var bigger = capacity
        while bigger < needed { bigger <<= 1 }
        let fresh = MaskedRing(count: Int(bigger), repeating: PairSlot())
        slots.forEach { slot in if slot.state != 0 { fresh[slot.sequence] = slot } }
        slots = fresh
        capacity = bigger
    }

    /// Records sequence number `s` seen on `side` (0 A, 1 B) at `t` with message hash `h`; the
    /// window's oldest are settled into `pair` as they become final.
    @inline(__always)
    mutating func record(side: Int, _ s: UInt32, time t: Int64, hash h: UInt64, limits: PairingLimits, into pair: inout PairWalk) -> PairRecord {
        let bit: UInt8 = side == 0 ? 1 : 2
        if side == 0 {
            if !delivered.0 || Int32(bitPattern: s &- highest.0) > 0 { highest.0 = s; delivered.0 = true }
        } else if !delivered.1 || Int32(bitPattern: s &- highest.1) > 0 {
            highest.1 = s
            delivered.1 = true
        }
        guard started else {
            started = true
            tail = s
            head = s &+ 1
            slots[s] = PairSlot(sequence: s, state: bit, timeA: t, timeB: t, hash: h)
            return .recorded
        }
        let offset = Int32(bitPattern: s &- tail)
        if _slowPath(offset < 0) {
            if settledAny { return seenBefore(s, bit) ? .duplicate : .late }
            // Below the first sequence number seen, before anything was settled: the window starts lower.
            let needed = UInt64(head &- s)
            guard needed <= UInt64(limits.window) else { return .late }
            if needed > UInt64(capacity) { grow(toHold: UInt32(needed)) }
            tail = s
            emptyKnown = false
            slots[s] = PairSlot(sequence: s, state: bit, timeA: t, timeB: t, hash: h)
            return .recorded
        }
        if _slowPath(UInt32(offset) >= capacity) { makeRoom(for: s, limits: limits, into: &pair) }
        let i = s
        if Int32(bitPattern: s &- head) >= 0 {
            head = s &+ 1
        } else if slots[i].sequence == s && slots[i].state != 0 {
            let state = slots[i].state
            if state & bit != 0 { return .duplicate }
            if side == 0 { slots[i].timeA = t } else { slots[i].timeB = t }
            slots[i].state = state | bit | (slots[i].hash != h ? 4 : 0)
            return .recorded
        } else if emptyKnown && Int32(bitPattern: s &- emptyEnd) < 0 {
            // A sequence number the tail was waiting on as seen on neither line.
            emptyKnown = false
        }
        slots[i] = PairSlot(sequence: s, state: bit, timeA: t, timeB: t, hash: h)
        return .recorded
    }

    /// A sequence number at least a window past the tail: the ring grows to hold it, up to the limit;
    /// past the limit the oldest are settled now (a jump beyond everything held settles it all).
    @inline(never)
    private mutating func makeRoom(for s: UInt32, limits: PairingLimits, into pair: inout PairWalk) {
        let needed = UInt64(s &- tail) + 1
        if needed <= UInt64(limits.window) {
            grow(toHold: UInt32(needed))
            return
        }
        if capacity < UInt32(limits.window) { grow(toHold: UInt32(limits.window)) }
        let newTail = s &- capacity &+ 1
        while tail != head && Int32(bitPattern: tail &- newTail) < 0 {
            let slot = slots[tail]
            if slot.sequence == tail && slot.state != 0 {
                if slot.state & 3 != 3 { early &+= 1 }
                settle(slot, into: &pair)
            } else {
                skipEmpty(to: tail &+ 1)
                continue
            }
            tail &+= 1
        }
        if Int32(bitPattern: tail &- newTail) < 0 {
            // Beyond everything held: the sequence numbers between were seen on neither line.
            skipEmpty(to: newTail)
            head = newTail
        }
        settledAny = true
        emptyKnown = false
    }

    /// Line `side` delivered a sequence number after `s`.
    @inline(__always)
    private func passed(_ side: Int, _ s: UInt32) -> Bool {
        side == 0 ? delivered.0 && Int32(bitPattern: highest.0 &- s) > 0 : delivered.1 && Int32(bitPattern: highest.1 &- s) > 0
    }

    /// Settles from the tail what is final at read time `now`: on both lines; seen on one (or,
    /// before a later one, on neither) for longer than the horizon; or for longer than the reorder
    /// allowance when the line(s) without it delivered later ones.
    /// `all`: everything held is final (the end of the read, or of the epoch).
    @inline(__always)
    mutating func advance(now: Int64, limits: PairingLimits, all: Bool = false, into pair: inout PairWalk) {
        while tail != head {
            let slot = slots[tail]
            if slot.sequence == tail && slot.state != 0 {
                if slot.state & 3 != 3 && !all {
                    let age = now &- slot.firstTime
                    guard age > limits.horizon || (age > limits.reorder && passed(slot.state & 1 != 0 ? 1 : 0, tail)) else { return }
                }
                settle(slot, into: &pair)
                tail &+= 1
                settledAny = true
                continue
            }
            if !emptyKnown { findEmptyEnd(limits: limits) }
            guard all || now > emptyDeadline || (now > emptyPassedAt && passed(0, emptyEnd &- 1) && passed(1, emptyEnd &- 1)) else { return }
            skipEmpty(to: emptyEnd)
            settledAny = true
            emptyKnown = false
        }
    }

    /// Settles the sequence numbers from the tail up to `end` (exclusive) as seen on neither line.
    private mutating func skipEmpty(to end: UInt32) {
        walk.step(tail, side: 0)
        var k = end &- min(end &- tail, historyMask &+ 1)
        while k != end { remember(k, 0); k &+= 1 }
        tail = end
    }

    /// The run of sequence numbers seen on neither line at the tail, and when it may be settled: the
    /// horizon after the next one seen (the slot before ``head`` always holds one).
    @inline(never)
    private mutating func findEmptyEnd(limits: PairingLimits) {
        var s = tail
        while s != head && !(slots[s].sequence == s && slots[s].state != 0) { s &+= 1 }
        emptyEnd = s
        func after(_ wait: Int64) -> Int64 {
            guard s != head else { return .min }
            let (deadline, overflow) = slots[s].firstTime.addingReportingOverflow(wait)
            return overflow ? .max : deadline
        }
        emptyDeadline = after(limits.horizon)
        emptyPassedAt = after(limits.reorder)
        emptyKnown = true
    }

    /// Settles everything held, in sequence order (the end of the read, or of the epoch).
    mutating func settleAll(into pair: inout PairWalk) {
        guard started else { return }
        advance(now: .max, limits: PairingLimits(), all: true, into: &pair)
    }

    /// Sequence number `s` (below the tail) was settled with line `bit`'s sighting, as far back as the
    /// history reaches (beyond it: not known, taken as not seen).
    private func seenBefore(_ s: UInt32, _ bit: UInt8) -> Bool {
        let back = tail &- s
        guard let history, back <= historyMask &+ 1, back <= tail &- historyStart else { return false }
        let i = s & historyMask
        return (history[i >> 5] >> UInt64((i & 31) << 1)) & UInt64(bit) != 0
    }

    /// Remembers which lines delivered `s`, the next settled sequence number (the tail), as `bits`.
    @inline(__always)
    private mutating func remember(_ s: UInt32, _ bits: UInt8) {
        if _slowPath(history == nil) {
            historyStart = s
            history = MaskedRing(count: 2, repeating: 0)
            historyMask = 63
        } else if _slowPath(s &- historyStart > historyMask) {
            growHistory(upTo: s)
        }
        let i = s & historyMask, shift = UInt64((i & 31) << 1)
        history.unsafelyUnwrapped[i >> 5] = history.unsafelyUnwrapped[i >> 5] & ~(3 << shift) | UInt64(bits & 3) << shift
    }

    /// Doubles the history up to its limit (the limit reached, the oldest are forgotten), the
    /// sightings it held moved to their places.
    @inline(never)
    private mutating func growHistory(upTo s: UInt32) {
        guard historyMask &+ 1 < Self.historyLimit else { return }
        guard let old = history else { return }
        let oldMask = historyMask
        let capacity = min((oldMask &+ 1) << 1, Self.historyLimit)
        let history = MaskedRing<UInt64>(count: Int(capacity >> 5), repeating: 0)
        self.history = history
        historyMask = capacity &- 1
        var k = s &- min(oldMask &+ 1, s &- historyStart)
        while k != s {
            if k & 31 == 0 && s &- k >= 32 {
                // 32 sequence numbers from a multiple of 32 fill one word in either ring: moved whole.
                history[(k & historyMask) >> 5] = old[(k & oldMask) >> 5]
                k &+= 32
                continue
            }
            let i = k & oldMask, j = k & historyMask
            let bits = (old[i >> 5] >> UInt64((i & 31) << 1)) & 3
            history[j >> 5] |= bits << UInt64((j & 31) << 1)
            k &+= 1
        }
    }

    @inline(__always)
    private mutating func settle(_ slot: PairSlot, into pair: inout PairWalk) {
        remember(slot.sequence, slot.state)
        switch slot.state & 3 {
        case 3:
            pair.common(timeA: slot.timeA, timeB: slot.timeB)
            if slot.state & 4 != 0 {
                pair.mismatches &+= 1
                if walk.firstMismatch == nil { walk.firstMismatch = slot.sequence }
                if walk.mismatchSequences.count < MismatchDetail.sampleLimit { walk.mismatchSequences.append(slot.sequence) }
            }
            walk.step(slot.sequence, side: 0)
        case 1:
            pair.missingB &+= 1
            walk.step(slot.sequence, side: 1)
        default:
            pair.missingA &+= 1
            walk.step(slot.sequence, side: 2)
        }
    }
}

/// Both lines of one channel paired through bounded windows, one per open sequence epoch: a message
/// is settled as soon as both lines delivered it, or once it is older than the horizon; a channel's
/// memory is its window's span, not its length. A value changed in place.
struct ChannelPairing {
    var walk: PairWalk
    /// The open epoch recorded into last (kept apart from the others: a message reaches it without
    /// an array's access), and the other open epochs.
    private var active = PairRing.dormant
    /// The active ring's epoch (nil: none, ``active`` a placeholder), read per message without
    /// touching the ring.
    private var activeEpoch: UInt64?
    private var others: [PairRing] = []
    /// Epochs settled and closed, for ``finish()``.
    private var closed: [EpochWalk] = []
    /// Messages that arrived after their sequence number was settled (not compared).
    private(set) var late: (a: UInt64, b: UInt64) = (0, 0)
    /// Messages settled before their horizon because the window was full.
    private var early: UInt64 = 0
    let limits: PairingLimits
    /// Each line's current sequence epoch.
    private var current: (a: UInt64, b: UInt64) = (0, 0)

    /// False for ``none``: its messages are counted by their lines only.
    let pairs: Bool

    init(tenthStart: Int64, tenthSpan: Int64, limits: PairingLimits = PairingLimits()) {
        walk = PairWalk(tenthStart: tenthStart, tenthSpan: tenthSpan)
        self.limits = limits
        pairs = true
    }

    private init() {
        walk = PairWalk(tenthStart: 0, tenthSpan: 1)
        limits = PairingLimits()
        pairs = false
    }

    /// Pairs nothing (the first pass, which finds the lines but does not compare them).
    static var none: ChannelPairing { ChannelPairing() }

    /// Line `side` started sequence epoch `epoch` (a reset): epochs both lines have left are closed
    /// (nothing more can arrive in them: a line records only into its current epoch).
    mutating func moved(side: Int, to epoch: UInt64) {
        if side == 0 { current.a = epoch } else { current.b = epoch }
        let below = min(current.a, current.b)
        if let key = activeEpoch, key < below {
            close(active)
            active = .dormant
            activeEpoch = nil
        }
        var i = 0
        while i < others.count {
            if others[i].walk.key < below {
                close(others.remove(at: i))
            } else {
                i += 1
            }
        }
    }

    /// Records sequence number `s` of epoch `epoch` seen on `side` (0 A, 1 B) at `t` (also the read's
    /// time) with message hash `h`, and advances the window to `t`: a packet of one message.
    @inline(__always)
    mutating func record(side: Int, epoch: UInt64, _ s: UInt32, time t: Int64, hash h: UInt64) -> PairRecord {
        let outcome = recordInPacket(side: side, epoch: epoch, s, time: t, hash: h)
        endPacket(at: t)
        return outcome
    }

    /// Records one message of a packet read at `t`; the window advances once the packet's messages
    /// are all recorded (``endPacket(at:)``): a packet is read at one instant, so its messages are
    /// paired with what the other line delivered before it, whatever their order in it.
    @inline(__always)
    mutating func recordInPacket(side: Int, epoch: UInt64, _ s: UInt32, time t: Int64, hash h: UInt64) -> PairRecord {
        if _slowPath(activeEpoch != epoch) { open(epoch, now: t) }
        let outcome = active.record(side: side, s, time: t, hash: h, limits: limits, into: &walk)
        if _slowPath(outcome == .late) { if side == 0 { late.a &+= 1 } else { late.b &+= 1 } }
        return outcome
    }

    /// The packet read at `t` is recorded: the window settles what is final at `t`.
    @inline(__always)
    mutating func endPacket(at t: Int64) {
        if activeEpoch != nil { active.advance(now: t, limits: limits, into: &walk) }
    }

    /// Makes epoch `epoch`'s ring the current one, opening it when it is new.
    @inline(never)
    private mutating func open(_ epoch: UInt64, now t: Int64) {
        if activeEpoch != nil {
            // Its packet's messages so far recorded: advanced before it waits among the others.
            active.advance(now: t, limits: limits, into: &walk)
            others.append(active)
        }
        if let i = others.firstIndex(where: { $0.walk.key == epoch }) {
            active = others.remove(at: i)
        } else {
            active = PairRing(key: epoch)
        }
        activeEpoch = epoch
    }

    /// Settles an epoch's ring to its end and keeps its walk.
    private mutating func close(_ ring: consuming PairRing) {
        var ring = ring
        ring.settleAll(into: &walk)
        early &+= ring.early
        closed.append(ring.walk)
    }

    /// Settles everything; the epochs' walks in key order (epoch index, or session) and the count of
    /// messages settled before their horizon.
    mutating func finish() -> (epochs: [EpochWalk], early: UInt64) {
        if activeEpoch != nil { close(active) }
        active = .dormant
        activeEpoch = nil
        for ring in others { close(ring) }
        others = []
        return (closed.sorted { $0.key < $1.key }, early)
    }

    /// Sequence numbers held unsettled, over the open epochs.
    var held: Int { others.reduce(activeEpoch == nil ? 0 : Int(active.span)) { $0 + Int($1.span) } }
    /// Slots allocated over the open epochs (32 bytes each).
    var allocated: Int { others.reduce(activeEpoch == nil ? 0 : Int(active.capacity)) { $0 + Int($1.capacity) } }
}

/// One channel's common and one-sided tallies that do not depend on order, and its lags.
struct PairWalk {
    /// The differences B − A (ns) of a channel's first ``rawLimit`` common messages, kept as values:
    /// summarised with exactly a histogram's figures (``LatencyFigures``) without a histogram's
    /// 46,000 buckets, so a channel of a few messages costs microseconds. Beyond the limit they go
    /// into the histograms below (``spill()``), and the later ones straight there.
    var differences = LagValues()
    var rawLimit = 65_536
    /// After a spill: the differences by sign as magnitudes — where B came later or at once (≥ 0)
    /// and where B came first (< 0) — for the median difference at the lag's precision (one histogram
    /// of the shifted difference, ±1 h around 2⁴², had 2-second buckets there, and its median came out
    /// as the largest lag). Every lag (|B − A|) is the two added (``figures()``): the same buckets as
    /// recording each lag a third time. Counted in a ``LatencyTally`` (a histogram's buckets without
    /// its bookkeeping per value) and made histograms once, in ``figures()``.
    var bLater: LatencyTally?
    var bEarlier: LatencyTally?
    var both: UInt64 = 0, missingA: UInt64 = 0, missingB: UInt64 = 0, mismatches: UInt64 = 0
    var aFirst: UInt64 = 0, bFirst: UInt64 = 0, ties: UInt64 = 0
    let tenthStart: Int64, tenthSpan: Int64
    /// B − A summed per tenth of A's run, exactly (in any order).
    var tenthSums = InlineArray<10, Int128>(repeating: 0)
    var tenthCounts = InlineArray<10, Int>(repeating: 0)
    /// The last tenth met and A's times in it (`low..<high`): most messages fall in the tenth of
    /// the one before, found without a division.
    private var tenth = 0, tenthLow: Int64 = 0, tenthHigh: Int64 = 0
    /// Joined from the epochs' walks (``join(_:)``).
    var longest: UInt64 = 0, longestSide = 0, longestFirst: UInt32 = 0
    var firstMismatch: UInt32?
    var mismatchSamples: [MismatchSample] = []

    init(tenthStart: Int64, tenthSpan: Int64) {
        self.tenthStart = tenthStart
        self.tenthSpan = tenthSpan
    }

    /// A message on both lines: A's and B's first sightings.
    @inline(__always)
    mutating func common(timeA: Int64, timeB: Int64) {
        both &+= 1
        let d = timeB &- timeA
        if d > 0 { aFirst &+= 1 } else if d < 0 { bFirst &+= 1 } else { ties &+= 1 }
        if let later = bLater {
            // Past the first spill: counted at once (the same buckets, in any order).
            if d >= 0 { later.record(UInt64(d)) } else { bEarlier.unsafelyUnwrapped.record(d.magnitude) }
        } else {
            differences.append(d)
            if _slowPath(differences.count > rawLimit) { spill() }
        }
        if _slowPath(timeA < tenthLow || timeA >= tenthHigh) { findTenth(timeA) }
        tenthSums[tenth] &+= Int128(d)
        tenthCounts[tenth] &+= 1
    }

    /// The tenth of A's run `timeA` falls in (before the run: the first; after it: the last), and
    /// the times that share it.
    @inline(never)
    private mutating func findTenth(_ timeA: Int64) {
        tenth = min(max(Int((timeA &- tenthStart) / tenthSpan), 0), 9)
        // Tenth k holds start + k·span ≤ t < start + (k + 1)·span; the first and last are open-ended.
        // Where the bounds do not fit in 64 bits, the cache holds this time alone.
        let low = tenthSpan.multipliedReportingOverflow(by: Int64(tenth))
        let lowTime = tenthStart.addingReportingOverflow(low.partialValue)
        let highTime = lowTime.partialValue.addingReportingOverflow(tenthSpan)
        guard !low.overflow && !lowTime.overflow && !highTime.overflow else {
            (tenthLow, tenthHigh) = (timeA, timeA &+ 1)
            return
        }
        tenthLow = tenth == 0 ? .min : lowTime.partialValue
        tenthHigh = tenth == 9 ? .max : highTime.partialValue
        if timeA < tenthLow || timeA >= tenthHigh { (tenthLow, tenthHigh) = (timeA, timeA &+ 1) }
    }

    /// Mean B − A per tenth (nil: no common message in that tenth).
    var lagByTenth: [Int64?] { (0..<10).map { tenthCounts[$0] > 0 ? Int64(Double(tenthSums[$0]) / Double(tenthCounts[$0])) : nil } }

    /// The epochs' order-dependent tallies joined in epoch order (the epoch of a sample is its place).
    mutating func join(_ epochs: [EpochWalk]) {
        for (place, e) in epochs.enumerated() {
            if e.longest > longest { (longest, longestSide, longestFirst) = (e.longest, e.longestSide, e.longestFirst) }
            if firstMismatch == nil { firstMismatch = e.firstMismatch }
            for s in e.mismatchSequences where mismatchSamples.count < MismatchDetail.sampleLimit {
                mismatchSamples.append(MismatchSample(epoch: place, sequence: s))
            }
        }
    }

    /// Moves the kept differences into the histograms (made here: a channel past ``rawLimit`` common
    /// messages), in one tight loop over local copies; from then on ``common(timeA:timeB:)`` counts
    /// each difference there itself.
    @inline(never)
    mutating func spill() {
        if bLater == nil { (bLater, bEarlier) = (LatencyTally(), LatencyTally()) }
        let later = bLater.unsafelyUnwrapped, earlier = bEarlier.unsafelyUnwrapped
        differences.forEach { d in
            if d >= 0 { later.record(UInt64(d)) } else { earlier.record(d.magnitude) }
        }
        differences.removeAll()
    }

    /// The lag's figures, and the median of B − A (HdrHistogram's rank for the 50th percentile, at
    /// the lag's precision; 0 when no message was on both sides) — the same from kept values as
    /// from the histograms.
    mutating func figures() -> (lag: LatencyFigures, medianBMinusA: Int64) {
        func rank(_ total: UInt64) -> UInt64 { LatencyHistogram.rank(atPercentile: 50, of: total) }
        if bLater != nil && !differences.isEmpty { spill() }
        if let laterTally = bLater, let earlierTally = bEarlier {
            var bLater = LatencyHistogram.latency(), bEarlier = LatencyHistogram.latency()
            laterTally.add(to: &bLater)
            earlierTally.add(to: &bEarlier)
            var lag = bLater
            lag.add(bEarlier)
            let earlier = bEarlier.totalCount, total = earlier + bLater.totalCount
            let r = rank(total)
            // Ascending: B's earliest arrivals (the largest magnitudes of bEarlier) first.
            let median = r <= earlier ? -Int64(bEarlier.value(atRank: earlier - r + 1)) : Int64(bLater.value(atRank: r - earlier))
            return (LatencyFigures(lag), total == 0 ? 0 : median)
        }
        guard !differences.isEmpty else { return (LatencyFigures(sortedValues: []), 0) }
        let ceiling = LatencyHistogram.latencyCeiling
        let signed = differences.sorted()
        let magnitudes = signed.map { min($0.magnitude, ceiling) }.sorted()
        let earlier = signed.firstIndex { $0 >= 0 } ?? signed.count
        let r = Int(rank(UInt64(signed.count)))
        let median: Int64
        if r <= earlier {
            let ascending = signed[..<earlier].reversed().map { min($0.magnitude, ceiling) }
            median = -Int64(LatencyFigures.value(atRank: earlier - r + 1, sortedValues: ascending[...]))
        } else {
            let later = signed[earlier...].map { min(UInt64($0), ceiling) }
            median = Int64(LatencyFigures.value(atRank: r - earlier, sortedValues: later[...]))
        }
        return (LatencyFigures(sortedValues: magnitudes), median)
    }
}

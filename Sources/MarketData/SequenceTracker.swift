import Vocabulary
/// Counters kept by a ``SequenceTracker`` for one channel on one line.
public struct SequenceStatistics: Sendable, Equatable, Codable {
    /// Packets carrying messages (heartbeats excluded).
    public var packets: UInt64 = 0
    /// Messages received, duplicates included.
    public var messages: UInt64 = 0
    /// Heartbeats (MsgCount 0).
    public var heartbeats: UInt64 = 0
    /// Gap events: a jump forward in SN, or a heartbeat showing the tail was lost.
    public var gaps: UInt64 = 0
    /// Messages skipped at the moment gaps were detected.
    public var gapMessages: UInt64 = 0
    /// Messages that arrived late into an open gap (reordering): subtracted from the missing count.
    public var recoveredMessages: UInt64 = 0
    /// Packets that filled (part of) an open gap.
    public var reorderedPackets: UInt64 = 0
    /// Packets whose every message had been seen already.
    public var duplicatePackets: UInt64 = 0
    /// Messages seen again (SN below the next expected and not in an open gap).
    public var duplicateMessages: UInt64 = 0
    /// Sequence Reset (100) messages applied.
    public var resets: UInt64 = 0
    /// Sequence restarts without a Sequence Reset (SN falls more than 2^20 behind).
    public var unannouncedResets: UInt64 = 0
    /// Heartbeats carrying an SN behind what was already received (harmless; counted for the record).
    public var staleHeartbeats: UInt64 = 0

    /// Messages still missing: skipped in gaps and never received late.
    public var missingMessages: UInt64 { gapMessages &- recoveredMessages }

    public init() {}

    /// Adds another tracker's counts (for totals across streams).
    public mutating func add(_ o: SequenceStatistics) {
        packets += o.packets; messages += o.messages; heartbeats += o.heartbeats; gaps += o.gaps
        gapMessages += o.gapMessages; recoveredMessages += o.recoveredMessages; reorderedPackets += o.reorderedPackets
        duplicatePackets += o.duplicatePackets; duplicateMessages += o.duplicateMessages; resets += o.resets
        unannouncedResets += o.unannouncedResets; staleHeartbeats += o.staleHeartbeats
    }
}

/// A run of missing sequence numbers, `first...last`, detected at `timestamp` (ns since 1970).
public struct SequenceGap: Sendable, Equatable, Codable {
    public var first: UInt32
    public var last: UInt32
    public var timestamp: Int64
    public var size: UInt64 { UInt64(last) - UInt64(first) + 1 }
    public init(first: UInt32, last: UInt32, timestamp: Int64) {
        self.first = first
        self.last = last
        self.timestamp = timestamp
    }
}

/// What one packet did to the sequence.
public enum SequenceOutcome: Equatable, Sendable {
    case first, inOrder, gap, duplicate, reordered, partialDuplicate, heartbeat, heartbeatGap, staleHeartbeat
    case reset, unannouncedReset
}

/// Per-channel OMD sequence accounting under the OMD rules (docs/formats/omd.md):
/// next SN = SN + MsgCount; a heartbeat carries the SN of the previous message and does not advance;
/// a heartbeat SN at or beyond the next expected means the tail was lost; Sequence Reset sets the next
/// expected to NewSeqNo; SN below expected = duplicate, above = gap.
///
/// Beyond the rules, a tracker remembers up to ``openGapCapacity`` recent gaps so that a late packet
/// filling one is counted as reordered, not as a duplicate, and the gap's missing count shrinks.
/// No allocation per packet (gap history is bounded and only grows on gaps).
public struct SequenceTracker: Sendable {
    /// Next expected SN (nil before the first packet).
    public var expected: UInt64? { _expected == Self.none ? nil : _expected }
    public var statistics: SequenceStatistics { _statistics }
    /// Gaps detected so far (``statistics``' `gaps`, read without copying the statistics).
    @inlinable public var gapCount: UInt64 { _statistics.gaps }
    /// "No value" for the SN fields below: never an SN (SNs are 32-bit; the expected SN at most
    /// 2^32 + 255). Plain integers, not optionals: the in-order check is one compare.
    @usableFromInline static var none: UInt64 { .max }
    @usableFromInline var _expected: UInt64 = SequenceTracker.none
    @usableFromInline var _statistics = SequenceStatistics()
    /// The first ``gapHistoryLimit`` gaps, in order of detection.
    public private(set) var gapHistory: [SequenceGap] = []
    public static let gapHistoryLimit = 1000
    /// The gap detected last (whatever the history holds): a recovery client asks for it.
    public private(set) var lastGap: SequenceGap?
    public static let openGapCapacity = 64
    /// SN distance behind expected beyond which a packet is taken as an unannounced restart.
    public static let restartDistance: UInt64 = 1 << 20

    private var openGaps: [(start: UInt64, end: UInt64)] = []  // half-open
    /// SN of the packet that carried the last reset, while no data has followed it (else ``none``).
    @usableFromInline var resetPacketSequence: UInt64 = SequenceTracker.none

    public init() {
        openGaps.reserveCapacity(Self.openGapCapacity + 2)
    }

    /// Accounts a data packet or heartbeat.
    /// - Parameters:
    ///   - reset: when the packet carries a Sequence Reset: its NewSeqNo and how many messages follow it
    ///     in the same packet.
    ///   - timestamp: capture/receive time (recorded with gaps).
    @inlinable @inline(__always) @discardableResult
    public mutating func observe(sequenceNumber: UInt32, messageCount: Int, reset: (newSequenceNumber: UInt32, messagesAfter: Int)? = nil,
                                 timestamp: Int64 = 0) -> SequenceOutcome {
        // The common case first: the next packet in order.
        if _fastPath(reset == nil && messageCount > 0 && _expected == UInt64(sequenceNumber)) {
            let count = UInt64(messageCount)
            _statistics.packets &+= 1
            _statistics.messages &+= count
            _expected = UInt64(sequenceNumber) &+ count
            resetPacketSequence = Self.none
            return .inOrder
        }
        return observeSlow(sequenceNumber: sequenceNumber, messageCount: messageCount, reset: reset, timestamp: timestamp)
    }

    @usableFromInline
    mutating func observeSlow(sequenceNumber: UInt32, messageCount: Int, reset: (newSequenceNumber: UInt32, messagesAfter: Int)?,
                              timestamp: Int64) -> SequenceOutcome {
        let first = UInt64(sequenceNumber)
        if let reset {
            _statistics.packets &+= 1
            _statistics.messages &+= UInt64(messageCount)
            _statistics.resets &+= 1
            // Alone (or last) in its packet, the reset's NewSeqNo is the next SN. Followed by messages in
            // its packet, the reset takes NewSeqNo itself and they follow it, as captured venue feeds
            // number such a packet (header SN = NewSeqNo): NewSeqNo + messages after would expect one
            // too few and report a false one-message gap.
            let newSequence = UInt64(reset.newSequenceNumber)
            _expected = reset.messagesAfter > 0 ? newSequence + 1 + UInt64(reset.messagesAfter) : newSequence
            resetPacketSequence = reset.messagesAfter == 0 ? first : Self.none
            openGaps.removeAll(keepingCapacity: true)
            return .reset
        }
        if messageCount == 0 { return heartbeat(first, timestamp) }
        let count = UInt64(messageCount)
        let end = first + count
        _statistics.packets &+= 1
        _statistics.messages &+= count
        resetPacketSequence = Self.none
        guard let next = expected else {
            _expected = end
            return .first
        }
        if first == next {
            _expected = end
            return .inOrder
        }
        if first > next {
            recordGap(from: next, to: first, timestamp: timestamp)
            _expected = end
            return .gap
        }
        // first < next: old messages, and maybe some new ones at the end.
        if end <= next && next - first > Self.restartDistance {
            _statistics.unannouncedResets &+= 1
            openGaps.removeAll(keepingCapacity: true)
            _expected = end
            return .unannouncedReset
        }
        let oldEnd = min(end, next)
        let recovered = fillOpenGaps(first, oldEnd)
        let duplicates = (oldEnd - first) - recovered
        _statistics.recoveredMessages &+= recovered
        _statistics.duplicateMessages &+= duplicates
        if end > next { _expected = end }
        if recovered > 0 {
            _statistics.reorderedPackets &+= 1
            return duplicates > 0 ? .partialDuplicate : .reordered
        }
        if end <= next {
            _statistics.duplicatePackets &+= 1
            return .duplicate
        }
        return .partialDuplicate
    }

    private mutating func heartbeat(_ last: UInt64, _ timestamp: Int64) -> SequenceOutcome {
        _statistics.heartbeats &+= 1
        guard let next = expected else {
            _expected = last + 1
            return .heartbeat
        }
        if last + 1 == next { return .heartbeat }
        if resetPacketSequence != Self.none && last == resetPacketSequence { return .heartbeat }
        if last + 1 > next {
            recordGap(from: next, to: last + 1, timestamp: timestamp)
            _expected = last + 1
            return .heartbeatGap
        }
        _statistics.staleHeartbeats &+= 1
        return .staleHeartbeat
    }

    private mutating func recordGap(from start: UInt64, to end: UInt64, timestamp: Int64) {
        _statistics.gaps &+= 1
        _statistics.gapMessages &+= end - start
        lastGap = SequenceGap(first: UInt32(truncatingIfNeeded: start), last: UInt32(truncatingIfNeeded: end - 1), timestamp: timestamp)
        if gapHistory.count < Self.gapHistoryLimit {
            gapHistory.append(SequenceGap(first: UInt32(truncatingIfNeeded: start), last: UInt32(truncatingIfNeeded: end - 1), timestamp: timestamp))
        }
        if openGaps.count >= Self.openGapCapacity { openGaps.removeFirst() }
        openGaps.append((start, end))
    }

    /// Removes `[start, end)` from the open gaps; returns how many sequence numbers it covered.
    private mutating func fillOpenGaps(_ start: UInt64, _ end: UInt64) -> UInt64 {
        var covered: UInt64 = 0
        var i = 0
        while i < openGaps.count {
            let gap = openGaps[i]
            let lo = max(gap.start, start), hi = min(gap.end, end)
            if lo >= hi { i += 1; continue }
            covered += hi - lo
            let left = (gap.start, lo), right = (hi, gap.end)
            switch (left.0 < left.1, right.0 < right.1) {
            case (true, true):
                openGaps[i] = left
                openGaps.insert(right, at: i + 1)
                if openGaps.count > Self.openGapCapacity { openGaps.removeFirst(); i -= 1 }
                i += 2
            case (true, false): openGaps[i] = left; i += 1
            case (false, true): openGaps[i] = right; i += 1
            case (false, false): openGaps.remove(at: i)
            }
        }
        return covered
    }
}

import Vocabulary
import Capture

/// Malformed-OMD counters for one stream. None of these stops a run.
public struct OMDErrorCounts: Sendable, Equatable, Codable {
    /// UDP payload shorter than the 16-byte packet header.
    public var truncatedHeader: UInt64 = 0
    /// PktSize differs from the UDP payload length.
    public var packetSizeMismatch: UInt64 = 0
    /// The capture snapped the datagram (fewer bytes captured than the UDP length).
    public var snappedPayload: UInt64 = 0
    /// MsgSize below 4 (0 included).
    public var messageSizeTooSmall: UInt64 = 0
    /// A message reaching past PktSize.
    public var messageBeyondPacket: UInt64 = 0
    /// Fewer messages than MsgCount, or bytes left after MsgCount messages.
    public var messageCountMismatch: UInt64 = 0
    /// A known message type whose MsgSize is smaller than its layout.
    public var shortMessage: UInt64 = 0
    /// A compressed message block that does not inflate.
    public var decompressionFailed: UInt64 = 0

    public init() {}
    public var total: UInt64 {
        truncatedHeader + packetSizeMismatch + snappedPayload + messageSizeTooSmall + messageBeyondPacket
            + messageCountMismatch + shortMessage + decompressionFailed
    }
    public mutating func add(_ o: OMDErrorCounts) {
        truncatedHeader += o.truncatedHeader; packetSizeMismatch += o.packetSizeMismatch; snappedPayload += o.snappedPayload
        messageSizeTooSmall += o.messageSizeTooSmall; messageBeyondPacket += o.messageBeyondPacket
        messageCountMismatch += o.messageCountMismatch; shortMessage += o.shortMessage; decompressionFailed += o.decompressionFailed
    }
}

/// Everything counted about the OMD content of one stream (one channel on one line).
public struct OMDStreamStatistics: Sendable {
    public var packets: UInt64 = 0
    public var compressedPackets: UInt64 = 0
    /// Messages by MsgType (known types in fixed slots, others by type).
    public var typeCounts = OMDTypeCounts()
    public var errors = OMDErrorCounts()
    public var sequence = SequenceTracker()
    /// Disaster Recovery Signal statuses seen, in order (bounded).
    public var disasterRecoverySignals: [UInt32] = []
    public var firstSendTime: UInt64?
    public var lastSendTime: UInt64 = 0

    public init() {}

    /// Messages of known (decoded) types, by type.
    public var knownTypeCounts: [(type: UInt16, count: UInt64)] {
        OMDMessageType.known.enumerated().compactMap { slot, entry in typeCounts.slots[slot] > 0 ? (entry.type, typeCounts.slots[slot]) : nil }
    }
    /// Messages of types from 512 on, by type.
    public var otherTypeCounts: [UInt16: UInt64] { typeCounts.others.filter { $0.key >= 512 } }
    /// Messages of types this decoder does not know (skipped by MsgSize), by type.
    public var unknownTypeCounts: [(type: UInt16, count: UInt64)] {
        typeCounts.others.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }
    public var unknownMessages: UInt64 { unknownTypeCounts.reduce(0) { $0 + $1.count } }
}

/// Decodes OMD packets of a stream and accounts them: messages by type, malformed packets, and
/// sequence (gaps, duplicates, heartbeats, resets). Allocation-free per packet once warm
/// (compressed packets inflate into a reused buffer).
public struct OMDStreamAnalyzer {
    /// Per MsgType below 512, one entry read per message: its counter slot (``OMDMessageType/slotTable``)
    /// in the low 8 bits, and above them the smallest MsgSize that needs no second look — the type's
    /// minimum size, or `UInt16.max` for the types the second pass handles (Sequence Reset, DR
    /// Signal), so one compare per message covers both "too short" and "rare". Exactly 512 entries (an
    /// array, not inline storage: the analyzer is read next to the statistics it updates, and a large
    /// value would be copied for each packet).
    @usableFromInline let typeEntries: [UInt32]
    /// Per MsgType below 512, its minimum MsgSize (4 for unknown types).
    @usableFromInline let minimumSizes: [UInt8]
    @usableFromInline let inflater: ZlibInflater

    public init() {
        var sizes = [UInt8](repeating: 4, count: 512)
        var thresholds = [UInt16](repeating: 4, count: 512)
        for entry in OMDMessageType.known {
            sizes[Int(entry.type)] = UInt8(entry.minimumSize)
            thresholds[Int(entry.type)] = UInt16(entry.minimumSize)
        }
        for rare in [OMDMessageType.sequenceReset, OMDMessageType.disasterRecoverySignal] { thresholds[Int(rare)] = .max }
        // A type that is not known goes to the second pass too, which counts it by type.
        for type in 0..<512 where OMDMessageType.slot(UInt16(type)) == OMDMessageType.known.count { thresholds[type] = .max }
        minimumSizes = sizes
        typeEntries = (0..<512).map { UInt32(thresholds[$0]) << 8 | UInt32(OMDMessageType.slotTable[$0]) }
        inflater = ZlibInflater()
    }

    /// True when `payload` looks like a well-formed OMD packet (used to detect OMD streams).
    public static func looksLikeOMD(_ payload: ByteView, declaredLength: Int) -> Bool {
        guard let packet = OMDPacket(payload), packet.packetSize == declaredLength, payload.count == declaredLength else {
            return false
        }
        if packet.isHeartbeat { return packet.packetSize == OMDPacket.headerSize }
        // A compressed block is a zlib stream (RFC 1950): CM 8 (deflate), a window of at most 32 KiB,
        // and a header check that makes CMF·256 + FLG a multiple of 31. Cboe PITCH with unit 1 has the
        // same first four header bytes as a compressed OMD-D packet and fails here.
        if packet.isCompressed {
            guard let cmf = payload.getUInt8(at: OMDPacket.headerSize), let flg = payload.getUInt8(at: OMDPacket.headerSize + 1) else { return false }
            return cmf & 0x0F == 8 && cmf >> 4 <= 7 && (UInt16(cmf) << 8 | UInt16(flg)) % 31 == 0
        }
        var messages = packet.messages
        while messages.next() != nil {}
        return messages.error == nil
    }

    /// Second pass over a packet the first pass flagged (rare): counts messages shorter than their
    /// type's layout and types ≥ 512, records DR signals, and returns a Sequence Reset's NewSeqNo with
    /// the number of messages after it.
    @usableFromInline
    func secondPass(_ block: ByteView, _ count: Int, into s: inout OMDStreamStatistics) -> (UInt32, Int)? {
        var reset: (UInt32, Int)?
        var messages = OMDMessages(block: block, expectedCount: count)
        var index = 0
        while let message = messages.next() {
            index += 1
            let type = message.type
            if type >= 512 || OMDMessageType.slot(type) == OMDMessageType.known.count {
                s.typeCounts.addOther(type)
            } else if message.size < Int(minimumSizes[Int(type)]) {
                s.errors.shortMessage &+= 1
            } else if let r = SequenceReset(message) {
                reset = (r.newSequenceNumber, count - index)
            } else if let dr = DisasterRecoverySignal(message), s.disasterRecoverySignals.count < 1000 {
                s.disasterRecoverySignals.append(dr.status)
            }
        }
        return reset
    }

    @usableFromInline
    static func count(_ error: OMDFramingError, into s: inout OMDStreamStatistics) {
        switch error {
        case .messageSizeTooSmall: s.errors.messageSizeTooSmall &+= 1
        case .messageBeyondPacket: s.errors.messageBeyondPacket &+= 1
        case .messageCountMismatch: s.errors.messageCountMismatch &+= 1
        }
    }

    /// Accounts one UDP payload. `declaredLength` is the UDP length − 8.
    @inlinable
    public func process(_ payload: ByteView, declaredLength: Int, timestamp: Int64, into s: inout OMDStreamStatistics) {
        processInline(payload, declaredLength: declaredLength, timestamp: timestamp, into: &s)
    }

    /// ``process(_:declaredLength:timestamp:into:)`` compiled into the caller, for a loop that does
    /// little else (the OMD worker thread): no call per packet. Elsewhere a call keeps the caller small.
    @inlinable @inline(__always)
    public func processInline(_ payload: ByteView, declaredLength: Int, timestamp: Int64, into s: inout OMDStreamStatistics) {
        guard let packet = OMDPacket(payload) else {
            s.errors.truncatedHeader &+= 1
            return
        }
        begin(packet, payloadCount: payload.count, declaredLength: declaredLength, into: &s)
        let count = packet.messageCount
        if count == 0 {
            if packet.packetSize != OMDPacket.headerSize { s.errors.messageCountMismatch &+= 1 }
            s.sequence.observe(sequenceNumber: packet.sequenceNumber, messageCount: 0, timestamp: timestamp)
            return
        }
        var block = packet.messageBlock
        if packet.isCompressed {
            s.compressedPackets &+= 1
            guard let inflated = inflater.inflate(block) else {
                s.errors.decompressionFailed &+= 1
                s.sequence.observe(sequenceNumber: packet.sequenceNumber, messageCount: count, timestamp: timestamp)
                return
            }
            block = inflated
        }
        var messages = OMDMessages(block: block, expectedCount: count)
        var flagged = false
        typeEntries.withUnsafeBufferPointer { entries in
            while let (size, messageType) = messages.nextHeader() {
                let type = Int(messageType)
                // `entries` has exactly 512 entries.
                if _fastPath(type < entries.count) {
                    let entry = entries[type]
                    s.typeCounts.add(slot: Int(entry & 0xFF))
                    if _fastPath(size >= Int(entry >> 8)) { continue }
                }
                flagged = true
            }
        }
        end(block: block, count: count, sequenceNumber: packet.sequenceNumber, error: messages.error, flagged: flagged,
            timestamp: timestamp, into: &s)
    }

    // A packet's accounting in three steps, for a caller that walks the messages itself (the offline
    // comparison pairs them in the same walk): ``begin(_:payloadCount:declaredLength:into:)`` for the
    // header, ``tally(size:type:flagged:into:)`` for each message the walk meets, and
    // ``end(block:count:sequenceNumber:error:flagged:timestamp:into:)`` once it has stopped. A walk
    // over ``OMDPacket/messages`` (or ``SequencedMessages``) meets the messages ``processInline``
    // meets and stops with the same error, so the figures are the same.

    /// The header's part of a packet's accounting: counted, its size and send time checked.
    @inlinable @inline(__always)
    public func begin(_ packet: OMDPacket, payloadCount: Int, declaredLength: Int, into s: inout OMDStreamStatistics) {
        s.packets &+= 1
        if packet.packetSize != declaredLength { s.errors.packetSizeMismatch &+= 1 }
        if payloadCount < declaredLength { s.errors.snappedPayload &+= 1 }
        let sendTime = packet.sendTime
        if s.firstSendTime == nil { s.firstSendTime = sendTime }
        s.lastSendTime = sendTime
    }

    /// One message of the packet (MsgSize, MsgType): counted by type; `flagged` is set when it is
    /// short, rare (Sequence Reset, DR Signal) or of a type ≥ 512, for ``end``'s second look.
    @inlinable @inline(__always)
    public func tally(size: Int, type messageType: UInt16, flagged: inout Bool, into s: inout OMDStreamStatistics) {
        let type = Int(messageType)
        if _fastPath(type < 512) {
            let entry = typeEntries[type]
            s.typeCounts.add(slot: Int(entry & 0xFF))
            if _fastPath(size >= Int(entry >> 8)) { return }
        }
        flagged = true
    }

    /// The end of a packet of `count` ≥ 1 messages in `block` whose walk stopped with `error`: the
    /// framing error counted, a flagged packet looked at again, and its sequence observed.
    @inlinable @inline(__always)
    public func end(block: ByteView, count: Int, sequenceNumber: UInt32, error: OMDFramingError?, flagged: Bool, timestamp: Int64,
                    into s: inout OMDStreamStatistics) {
        if _slowPath(error != nil) { Self.count(error!, into: &s) }
        if _slowPath(flagged), let reset = secondPass(block, count, into: &s) {
            s.sequence.observe(sequenceNumber: sequenceNumber, messageCount: count, reset: (reset.0, reset.1), timestamp: timestamp)
        } else {
            s.sequence.observe(sequenceNumber: sequenceNumber, messageCount: count, timestamp: timestamp)
        }
    }
}

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
    /// Messages by MsgType for types below 512 (index = type); others in `otherTypeCounts`. Inline
    /// (not an array): counting a message is one add, with no copy-on-write check.
    public var typeCounts = InlineArray<512, UInt64>(repeating: 0)
    public var otherTypeCounts: [UInt16: UInt64] = [:]
    public var errors = OMDErrorCounts()
    public var sequence = SequenceTracker()
    /// Disaster Recovery Signal statuses seen, in order (bounded).
    public var disasterRecoverySignals: [UInt32] = []
    public var firstSendTime: UInt64?
    public var lastSendTime: UInt64 = 0

    public init() {}

    /// Messages of known (decoded) types, by type.
    public var knownTypeCounts: [(type: UInt16, count: UInt64)] {
        OMDMessageType.known.compactMap { typeCounts[Int($0.type)] > 0 ? ($0.type, typeCounts[Int($0.type)]) : nil }
    }
    /// Messages of types this decoder does not know (skipped by MsgSize), by type.
    public var unknownTypeCounts: [(type: UInt16, count: UInt64)] {
        var result: [(UInt16, UInt64)] = []
        for t in 0..<512 where typeCounts[t] > 0 && OMDMessageType.minimumSize(UInt16(t)) == nil { result.append((UInt16(t), typeCounts[t])) }
        for (t, c) in otherTypeCounts.sorted(by: { $0.key < $1.key }) { result.append((t, c)) }
        return result
    }
    public var unknownMessages: UInt64 { unknownTypeCounts.reduce(0) { $0 + $1.count } }
}

/// Decodes OMD packets of a stream and accounts them: messages by type, malformed packets, and
/// sequence (gaps, duplicates, heartbeats, resets). Allocation-free per packet once warm
/// (compressed packets inflate into a reused buffer).
public struct OMDStreamAnalyzer {
    @usableFromInline let minimumSizes: [UInt8]
    @usableFromInline let inflater: ZlibInflater

    public init() {
        var sizes = [UInt8](repeating: 4, count: 512)
        for entry in OMDMessageType.known { sizes[Int(entry.type)] = UInt8(entry.minimumSize) }
        minimumSizes = sizes
        inflater = ZlibInflater()
    }

    /// True when `payload` looks like a well-formed OMD packet (used to detect OMD streams).
    public static func looksLikeOMD(_ payload: ByteView, declaredLength: Int) -> Bool {
        guard let packet = OMDPacket(payload), packet.packetSize == declaredLength, payload.count == declaredLength else {
            return false
        }
        if packet.isHeartbeat { return packet.packetSize == OMDPacket.headerSize }
        if packet.isCompressed { return true }
        var messages = packet.messages
        while messages.next() != nil {}
        return messages.error == nil
    }

    /// Second pass over a packet holding a Sequence Reset, a DR signal or a type ≥ 512 (rare).
    @usableFromInline
    func rareMessages(_ block: ByteView, _ count: Int, into s: inout OMDStreamStatistics) -> (UInt32, Int)? {
        var reset: (UInt32, Int)?
        var messages = OMDMessages(block: block, expectedCount: count)
        var index = 0
        while let message = messages.next() {
            index += 1
            let type = message.type
            if type >= 512 {
                s.otherTypeCounts[type, default: 0] &+= 1
            } else if let r = SequenceReset(message) {
                reset = (r.newSequenceNumber, count - index)
            } else if let dr = DisasterRecoverySignal(message), s.disasterRecoverySignals.count < 1000 {
                s.disasterRecoverySignals.append(dr.status)
            }
        }
        return reset
    }

    /// Accounts one UDP payload. `declaredLength` is the UDP length − 8.
    @inlinable
    public func process(_ payload: ByteView, declaredLength: Int, timestamp: Int64, into s: inout OMDStreamStatistics) {
        guard let packet = OMDPacket(payload) else {
            s.errors.truncatedHeader &+= 1
            return
        }
        s.packets &+= 1
        if packet.packetSize != declaredLength { s.errors.packetSizeMismatch &+= 1 }
        if payload.count < declaredLength { s.errors.snappedPayload &+= 1 }
        let sendTime = packet.sendTime
        if s.firstSendTime == nil { s.firstSendTime = sendTime }
        s.lastSendTime = sendTime
        let count = packet.messageCount
        let sequenceNumber = packet.sequenceNumber
        if count == 0 {
            if packet.packetSize != OMDPacket.headerSize { s.errors.messageCountMismatch &+= 1 }
            s.sequence.observe(sequenceNumber: sequenceNumber, messageCount: 0, timestamp: timestamp)
            return
        }
        var block = packet.messageBlock
        if packet.isCompressed {
            s.compressedPackets &+= 1
            guard let inflated = inflater.inflate(block) else {
                s.errors.decompressionFailed &+= 1
                s.sequence.observe(sequenceNumber: sequenceNumber, messageCount: count, timestamp: timestamp)
                return
            }
            block = inflated
        }
        var messages = OMDMessages(block: block, expectedCount: count)
        var reset: (UInt32, Int)?
        var short: UInt64 = 0
        var rare = false
        minimumSizes.withUnsafeBufferPointer { minimum in
            while let (size, messageType) = messages.nextHeader() {
                let type = Int(messageType)
                guard type < 512, type < minimum.count else { rare = true; continue }
                s.typeCounts[unchecked: type] &+= 1
                if _slowPath(size < Int(minimum[type])) { short &+= 1; continue }
                if _slowPath(type == 100 || type == 105) { rare = true }
            }
        }
        s.errors.shortMessage &+= short
        if _slowPath(rare) { reset = rareMessages(block, count, into: &s) }
        if let error = messages.error {
            switch error {
            case .messageSizeTooSmall: s.errors.messageSizeTooSmall &+= 1
            case .messageBeyondPacket: s.errors.messageBeyondPacket &+= 1
            case .messageCountMismatch: s.errors.messageCountMismatch &+= 1
            }
        }
        if let reset {
            s.sequence.observe(sequenceNumber: sequenceNumber, messageCount: count, reset: (reset.0, reset.1), timestamp: timestamp)
        } else {
            s.sequence.observe(sequenceNumber: sequenceNumber, messageCount: count, timestamp: timestamp)
        }
    }
}

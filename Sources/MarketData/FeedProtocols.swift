import Vocabulary

/// A sequenced market-data protocol over UDP that Rehearse recognises. OMD has its own codec
/// (``OMDPacket``); the others are read here from their packet headers (docs/formats/feeds.md cites
/// the specification of each).
public enum FeedProtocol: String, CaseIterable, Sendable, Codable {
    /// HKEX OMD-C / OMD-D.
    case omd
    /// Nasdaq MoldUDP64 (ITCH 5.0 and every MoldUDP64 feed).
    case moldUDP64 = "moldudp64"
    /// IEX Transport Protocol (DEEP, TOPS).
    case iexTP = "iex-tp"
    /// Cboe PITCH over the Sequenced Unit Header.
    case cboePitch = "cboe-pitch"
    /// NYSE XDP / Pillar packet header (Integrated, BBO, Trades, … feeds).
    case nyseXDP = "nyse-xdp"

    /// The protocols read from headers here (not OMD), in the order they are tried.
    public static let headerProtocols: [FeedProtocol] = [.moldUDP64, .iexTP, .cboePitch, .nyseXDP]

    /// Its bit in a set of candidates.
    @inlinable public var bit: UInt8 {
        switch self {
        case .omd: 1
        case .moldUDP64: 2
        case .iexTP: 4
        case .cboePitch: 8
        case .nyseXDP: 16
        }
    }
}

/// One packet's sequencing, as its protocol's header states it.
public struct FeedPacketHeader: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// `sequenceReset`: the sequence starts again at this packet (a new sequence, as a session change).
        case data, heartbeat, endOfSession, sequenceReset
    }
    public var kind: Kind
    /// The session (MoldUDP64: its 10 characters folded into a number; IEX-TP: SessionID; Cboe: the
    /// unit); a change is a new sequence.
    public var session: UInt64
    /// The first message's sequence number (a heartbeat's: the next expected).
    public var firstSequence: UInt64
    public var messageCount: Int
    /// Send time, ns since 1970, when the protocol carries one.
    public var sendTime: Int64?

    public init(kind: Kind, session: UInt64, firstSequence: UInt64, messageCount: Int, sendTime: Int64?) {
        self.kind = kind
        self.session = session
        self.firstSequence = firstSequence
        self.messageCount = messageCount
        self.sendTime = sendTime
    }
}

extension FeedProtocol {
    /// The packet's header when `payload` passes every structural check of this protocol (lengths that
    /// add up exactly, fields in range); nil otherwise. OMD answers through ``OMDPacket``.
    public func header(_ payload: ByteView) -> FeedPacketHeader? {
        switch self {
        case .omd:
            guard let p = OMDPacket(payload), p.packetSize == payload.count else { return nil }
            return FeedPacketHeader(kind: p.isHeartbeat ? .heartbeat : .data, session: 0, firstSequence: UInt64(p.sequenceNumber),
                                    messageCount: p.messageCount, sendTime: Int64(bitPattern: p.sendTime))
        case .moldUDP64: return Self.moldUDP64(payload)
        case .iexTP: return Self.iexTP(payload)
        case .cboePitch: return Self.cboePitch(payload)
        case .nyseXDP: return Self.nyseXDP(payload)
        }
    }

    /// The session of a packet as text, for the report (MoldUDP64's 10 characters; a number otherwise).
    public func sessionText(_ payload: ByteView, _ header: FeedPacketHeader) -> String? {
        switch self {
        case .omd: return nil
        case .moldUDP64:
            guard let s = payload.getSlice(at: 0, count: 10) else { return nil }
            return String(decoding: s.bytes, as: UTF8.self).trimmingTrailingSpaces
        case .iexTP, .cboePitch: return String(header.session)
        case .nyseXDP: return nil
        }
    }

    /// MoldUDP64 downstream packet: Session (10 alphanumeric), SequenceNumber (u64 BE), MessageCount
    /// (u16 BE; 0 heartbeat, 0xFFFF end of session), then MessageCount blocks of Length (u16 BE) +
    /// message that end exactly at the end of the datagram.
    static func moldUDP64(_ p: ByteView) -> FeedPacketHeader? {
        guard p.count >= 20, let sequence = p.getUInt64BE(at: 10), let count = p.getUInt16BE(at: 18) else { return nil }
        var session: UInt64 = 0xCBF2_9CE4_8422_2325
        for i in 0..<10 {
            guard let c = p.getUInt8(at: i), c == 0x20 || (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) else {
                return nil
            }
            session = (session ^ UInt64(c)) &* 0x100_0000_01B3
        }
        guard sequence > 0, sequence < 1 << 48 else { return nil }
        if count == 0 || count == 0xFFFF {
            guard p.count == 20 else { return nil }
            return FeedPacketHeader(kind: count == 0 ? .heartbeat : .endOfSession, session: session, firstSequence: sequence,
                                    messageCount: 0, sendTime: nil)
        }
        guard framesExactly(p, from: 20, count: Int(count), block: { p, at in p.getUInt16BE(at: at).flatMap { $0 > 0 ? 2 + Int($0) : nil } })
        else { return nil }
        return FeedPacketHeader(kind: .data, session: session, firstSequence: sequence, messageCount: Int(count), sendTime: nil)
    }

    /// IEX-TP segment: Version 1, Reserved, MessageProtocolID (0x8001–0x80FF), ChannelID, SessionID,
    /// PayloadLength, MessageCount, StreamOffset, FirstMessageSequenceNumber, SendTime (ns), all little
    /// endian, 40 bytes; then MessageCount blocks of Length (u16) + message filling PayloadLength exactly.
    static func iexTP(_ p: ByteView) -> FeedPacketHeader? {
        guard p.count >= 40, p.getUInt8(at: 0) == 1, let protocolID = p.getUInt16LE(at: 2), protocolID & 0xFF00 == 0x8000,
              let session = p.getUInt32LE(at: 8), let payloadLength = p.getUInt16LE(at: 12), let count = p.getUInt16LE(at: 14),
              let sequence = p.getUInt64LE(at: 24), let sendTime = p.getUInt64LE(at: 32),
              40 + Int(payloadLength) == p.count, sendTime < UInt64(Int64.max) else { return nil }
        if count == 0 {
            guard payloadLength == 0 else { return nil }
            return FeedPacketHeader(kind: .heartbeat, session: UInt64(session), firstSequence: sequence, messageCount: 0, sendTime: Int64(sendTime))
        }
        guard framesExactly(p, from: 40, count: Int(count), block: { p, at in p.getUInt16LE(at: at).flatMap { $0 > 0 ? 2 + Int($0) : nil } })
        else { return nil }
        return FeedPacketHeader(kind: .data, session: UInt64(session), firstSequence: sequence, messageCount: Int(count), sendTime: Int64(sendTime))
    }

    /// Cboe Sequenced Unit Header: HdrLength (u16 LE, the whole datagram), HdrCount (u8), HdrUnit (u8),
    /// HdrSequence (u32 LE; 0 for unsequenced), then HdrCount messages of Length (u8, ≥ 2, itself
    /// included) + MessageType filling the datagram exactly.
    static func cboePitch(_ p: ByteView) -> FeedPacketHeader? {
        guard p.count >= 8, let length = p.getUInt16LE(at: 0), Int(length) == p.count, let count = p.getUInt8(at: 2),
              let unit = p.getUInt8(at: 3), let sequence = p.getUInt32LE(at: 4) else { return nil }
        if count == 0 {
            guard p.count == 8 else { return nil }
            return FeedPacketHeader(kind: .heartbeat, session: UInt64(unit), firstSequence: UInt64(sequence), messageCount: 0, sendTime: nil)
        }
        guard sequence > 0, framesExactly(p, from: 8, count: Int(count), block: { p, at in p.getUInt8(at: at).flatMap { $0 >= 2 ? Int($0) : nil } })
        else { return nil }
        return FeedPacketHeader(kind: .data, session: UInt64(unit), firstSequence: UInt64(sequence), messageCount: Int(count), sendTime: nil)
    }

    /// NYSE XDP packet header, little endian, 16 bytes: PktSize (the whole datagram), DeliveryFlag,
    /// NumberMsgs, SeqNum (first message), SendTime (s), SendTimeNS (< 10^9); then NumberMsgs messages
    /// of MsgSize (u16, ≥ 4, itself included) + MsgType filling the datagram exactly. Delivery flags:
    /// 1 heartbeat, 10 failover, 11 original, 12 sequence reset, 13/15 retransmission, 17–20 refresh,
    /// 21 message unavailable; anything else fails.
    static func nyseXDP(_ p: ByteView) -> FeedPacketHeader? {
        guard p.count >= 16, let size = p.getUInt16LE(at: 0), Int(size) == p.count, let flag = p.getUInt8(at: 2),
              let count = p.getUInt8(at: 3), let sequence = p.getUInt32LE(at: 4), let seconds = p.getUInt32LE(at: 8),
              let nanoseconds = p.getUInt32LE(at: 12), nanoseconds < 1_000_000_000,
              [1, 10, 11, 12, 13, 15, 17, 18, 19, 20, 21].contains(flag) else { return nil }
        let sendTime = Int64(seconds) * 1_000_000_000 + Int64(nanoseconds)
        if count == 0 {
            guard p.count == 16 else { return nil }
            return FeedPacketHeader(kind: .heartbeat, session: 0, firstSequence: UInt64(sequence), messageCount: 0, sendTime: sendTime)
        }
        guard framesExactly(p, from: 16, count: Int(count), block: { p, at in p.getUInt16LE(at: at).flatMap { $0 >= 4 ? Int($0) : nil } })
        else { return nil }
        return FeedPacketHeader(kind: flag == 12 ? .sequenceReset : .data, session: 0, firstSequence: UInt64(sequence),
                                messageCount: Int(count), sendTime: sendTime)
    }

    /// True when `count` blocks, starting at `from`, each `block(p, offset)` bytes long (nil: a
    /// length the protocol forbids), end exactly at the end of the datagram.
    @inline(__always)
    static func framesExactly(_ p: ByteView, from start: Int, count: Int, block: (ByteView, Int) -> Int?) -> Bool {
        var offset = start
        for _ in 0..<count {
            guard let size = block(p, offset) else { return false }
            offset += size
            guard offset <= p.count else { return false }
        }
        return offset == p.count
    }
}

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
    /// CME MDP 3.0 binary packet header with SBE messages.
    case cmeMDP3 = "cme-mdp3"
    /// Eurex / Deutsche Börse T7 EOBI packet header.
    case eurexEOBI = "eurex-eobi"

    /// The protocols read from headers here (not OMD), in the order they are tried.
    public static let headerProtocols: [FeedProtocol] = [.moldUDP64, .iexTP, .cboePitch, .nyseXDP, .cmeMDP3, .eurexEOBI]

    /// True when the protocol numbers packets rather than messages (CME MDP 3.0's MsgSeqNum, EOBI's
    /// ApplSeqNum): each data packet takes one sequence number, and gaps, missing and duplicates
    /// count packets.
    @inlinable public var sequencesPackets: Bool { self == .cmeMDP3 || self == .eurexEOBI }

    /// True when one stream carries several independently sequenced sessions interleaved (EOBI: a
    /// multicast group carries several products, each MarketSegmentID numbered on its own). The
    /// others' session changes are a new sequence.
    @inlinable public var sessionsInterleave: Bool { self == .eurexEOBI }

    /// Its bit in a set of candidates.
    @inlinable public var bit: UInt8 {
        switch self {
        case .omd: 1
        case .moldUDP64: 2
        case .iexTP: 4
        case .cboePitch: 8
        case .nyseXDP: 16
        case .cmeMDP3: 32
        case .eurexEOBI: 64
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
        case .cmeMDP3: return Self.cmeMDP3(payload)
        case .eurexEOBI: return Self.eurexEOBI(payload)
        }
    }

    /// The session of a packet as text, for the report (MoldUDP64's 10 characters; a number otherwise).
    public func sessionText(_ payload: ByteView, _ header: FeedPacketHeader) -> String? {
        switch self {
        case .omd: return nil
        case .moldUDP64:
            guard let s = payload.getSlice(at: 0, count: 10) else { return nil }
            return String(decoding: s.bytes, as: UTF8.self).trimmingTrailingSpaces
        case .iexTP, .cboePitch, .eurexEOBI: return String(header.session)
        case .nyseXDP, .cmeMDP3: return nil
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

    /// The earliest and latest send times accepted as plausible (2000-01-01 to 2100-01-01, ns): a
    /// structural check for the protocols whose header carries only a sequence number and a time.
    static let plausibleSendTimes: ClosedRange<UInt64> = 946_684_800_000_000_000...4_102_444_800_000_000_000

    /// CME MDP 3.0 packet: MsgSeqNum (u32 LE, per channel, one per packet), SendingTime (u64 LE, ns
    /// since 1970), then messages of MsgSize (u16 LE, the whole message, itself included) + SBE
    /// header (BlockLength, TemplateID, SchemaID, Version, u16 LE each) + body, ending exactly at the
    /// end of the datagram. Checks: at least one message; every MsgSize ≥ 10 with BlockLength ≤
    /// MsgSize − 10; SchemaID 1 (MDP 3.0) and Version 1–255 on every message; TemplateID above 0;
    /// SendingTime between 2000 and 2100. A packet carrying ChannelReset4 (template 4) starts a new
    /// sequence; one of AdminHeartbeat12 (template 12) only is a heartbeat, numbered like any packet.
    static func cmeMDP3(_ p: ByteView) -> FeedPacketHeader? {
        guard p.count >= 22, let sequence = p.getUInt32LE(at: 0), sequence > 0, let sendTime = p.getUInt64LE(at: 4),
              plausibleSendTimes.contains(sendTime) else { return nil }
        var offset = 12, count = 0, channelReset = false, heartbeats = 0
        while offset < p.count {
            guard let size = p.getUInt16LE(at: offset).map(Int.init), size >= 10, offset + size <= p.count,
                  let block = p.getUInt16LE(at: offset + 2), Int(block) <= size - 10,
                  let template = p.getUInt16LE(at: offset + 4), template > 0,
                  p.getUInt16LE(at: offset + 6) == 1, let version = p.getUInt16LE(at: offset + 8), version > 0, version < 256
            else { return nil }
            if template == 4 { channelReset = true }
            if template == 12 { heartbeats += 1 }
            offset += size
            count += 1
        }
        if heartbeats == count {
            // AdminHeartbeat12 alone: a heartbeat that still takes its packet number.
            return FeedPacketHeader(kind: .heartbeat, session: 0, firstSequence: UInt64(sequence), messageCount: 0, sendTime: Int64(sendTime))
        }
        return FeedPacketHeader(kind: channelReset ? .sequenceReset : .data, session: 0, firstSequence: UInt64(sequence),
                                messageCount: count, sendTime: Int64(sendTime))
    }

    /// Eurex T7 EOBI packet: a 32-byte PacketHeader (HeaderLength 32, PacketID 13005,
    /// PacketSequenceNumber, ApplSeqNum u32, MarketSegmentID i32, PartitionID, CompletionIndicator,
    /// ApplSeqResetIndicator, 5 pad bytes, TransactTime u64; little endian), then messages of
    /// BodyLen (u16, the whole message) + TemplateID (u16, 13000–13999) + MsgSeqNum (u32) + body,
    /// ending exactly at the end of the datagram. Checks: those constants; CompletionIndicator and
    /// ApplSeqResetIndicator 0 or 1; at least one message, each BodyLen ≥ 8. The session is the
    /// MarketSegmentID (a product; a stream interleaves several), sequenced per packet by ApplSeqNum;
    /// ApplSeqResetIndicator 1 starts a new sequence. A packet of one Heartbeat (13001) carries no
    /// sequence of its own.
    static func eurexEOBI(_ p: ByteView) -> FeedPacketHeader? {
        guard p.count >= 40, p.getUInt16LE(at: 0) == 32, p.getUInt16LE(at: 2) == 13005, let sequence = p.getUInt32LE(at: 8),
              let segment = p.getUInt32LE(at: 12), let completion = p.getUInt8(at: 17), completion <= 1,
              let reset = p.getUInt8(at: 18), reset <= 1, let transactTime = p.getUInt64LE(at: 24) else { return nil }
        var offset = 32, count = 0, heartbeat = true
        while offset < p.count {
            guard let size = p.getUInt16LE(at: offset).map(Int.init), size >= 8, offset + size <= p.count,
                  let template = p.getUInt16LE(at: offset + 2), template >= 13000, template <= 13999 else { return nil }
            if template != 13001 { heartbeat = false }
            offset += size
            count += 1
        }
        let time = plausibleSendTimes.contains(transactTime) ? Int64(transactTime) : nil
        if heartbeat && count == 1 {
            return FeedPacketHeader(kind: .heartbeat, session: UInt64(segment), firstSequence: 0, messageCount: 0, sendTime: time)
        }
        return FeedPacketHeader(kind: reset == 1 ? .sequenceReset : .data, session: UInt64(segment), firstSequence: UInt64(sequence),
                                messageCount: count, sendTime: time)
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

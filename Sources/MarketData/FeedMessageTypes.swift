import Vocabulary

extension FeedProtocol {
    /// Calls `body` with each message block of a packet that passed ``header(_:)``: its offset and
    /// size in the datagram, length prefix included. OMD's messages are its codec's.
    @inlinable
    public func forEachMessage(_ p: ByteView, _ body: (_ offset: Int, _ size: Int) -> Void) {
        switch self {
        case .omd: return
        case .moldUDP64: walk(p, from: 20, { p.getUInt16BE(at: $0).map { 2 + Int($0) } }, body)
        case .iexTP: walk(p, from: 40, { p.getUInt16LE(at: $0).map { 2 + Int($0) } }, body)
        case .cboePitch: walk(p, from: 8, { p.getUInt8(at: $0).map(Int.init) }, body)
        case .nyseXDP: walk(p, from: 16, { p.getUInt16LE(at: $0).map(Int.init) }, body)
        case .cmeMDP3: walk(p, from: 12, { p.getUInt16LE(at: $0).map(Int.init) }, body)
        case .eurexEOBI: walk(p, from: 32, { p.getUInt16LE(at: $0).map(Int.init) }, body)
        }
    }

    /// Calls `body` with each message's type: the message type byte (MoldUDP64's payload, read as
    /// ITCH 5.0; IEX-TP; Cboe PITCH), the MsgType (NYSE XDP) or the TemplateID (CME MDP 3.0 SBE, EOBI).
    @inlinable
    public func forEachMessageType(_ p: ByteView, _ body: (UInt16) -> Void) {
        switch self {
        case .omd: return
        case .moldUDP64, .iexTP: forEachMessage(p) { o, _ in if let t = p.getUInt8(at: o + 2) { body(UInt16(t)) } }
        case .cboePitch: forEachMessage(p) { o, _ in if let t = p.getUInt8(at: o + 1) { body(UInt16(t)) } }
        case .nyseXDP, .eurexEOBI: forEachMessage(p) { o, _ in if let t = p.getUInt16LE(at: o + 2) { body(t) } }
        case .cmeMDP3: forEachMessage(p) { o, _ in if let t = p.getUInt16LE(at: o + 4) { body(t) } }
        }
    }

    /// Calls `body` with each sequenced unit of a data packet and its sequence number: every message
    /// (block) for the protocols that number messages; the packet's messages as one unit, after its
    /// header, for those that number packets (CME MDP 3.0, EOBI: the header's send time is left out,
    /// so lines A and B compare equal).
    @inlinable
    public func forEachSequenced(_ p: ByteView, _ h: FeedPacketHeader, _ body: (_ sequence: UInt64, _ bytes: ByteView) -> Void) {
        guard h.messageCount > 0 else { return }
        if sequencesPackets {
            if let rest = p.getSlice(from: self == .cmeMDP3 ? 12 : 32) { body(h.firstSequence, rest) }
            return
        }
        var sequence = h.firstSequence
        forEachMessage(p) { o, size in
            if let m = p.getSlice(at: o, count: size) { body(sequence, m) }
            sequence &+= 1
        }
    }

    @inlinable @inline(__always)
    func walk(_ p: ByteView, from start: Int, _ length: (Int) -> Int?, _ body: (Int, Int) -> Void) {
        var offset = start
        while offset < p.count, let size = length(offset), size > 0, offset + size <= p.count {
            body(offset, size)
            offset += size
        }
    }

    /// A message type's name as the protocol's specification gives it, with its code; the code alone
    /// when the type is not one of the common ones listed here.
    public func typeName(_ type: UInt16) -> String {
        switch self {
        case .moldUDP64, .iexTP:
            let c = Character(Unicode.Scalar(UInt8(truncatingIfNeeded: type)))
            let code = type >= 0x21 && type < 0x7F ? "'\(c)'" : "0x" + String(type, radix: 16)
            let names = self == .moldUDP64 ? Self.itchNames : Self.iexNames
            return names[type].map { "\($0) (\(code))" } ?? code
        case .cboePitch:
            let code = "0x" + String(type, radix: 16, uppercase: true)
            return Self.pitchNames[type].map { "\($0) (\(code))" } ?? code
        case .nyseXDP: return Self.xdpNames[type].map { "\($0) (\(type))" } ?? "\(type)"
        case .cmeMDP3: return Self.mdp3Names[type].map { "\($0) (\(type))" } ?? "template \(type)"
        case .eurexEOBI: return Self.eobiNames[type].map { "\($0) (\(type))" } ?? "template \(type)"
        case .omd: return OMDMessageType.name(type)
        }
    }

    /// Nasdaq TotalView-ITCH 5.0 message types (MoldUDP64's usual payload).
    static let itchNames: [UInt16: String] = [
        0x53: "System Event", 0x52: "Stock Directory", 0x48: "Stock Trading Action", 0x59: "Reg SHO Restriction",
        0x4C: "Market Participant Position", 0x56: "MWCB Decline Level", 0x57: "MWCB Status", 0x4B: "IPO Quoting Period Update",
        0x4A: "LULD Auction Collar", 0x68: "Operational Halt", 0x41: "Add Order", 0x46: "Add Order with MPID",
        0x45: "Order Executed", 0x43: "Order Executed with Price", 0x58: "Order Cancel", 0x44: "Order Delete",
        0x55: "Order Replace", 0x50: "Trade", 0x51: "Cross Trade", 0x42: "Broken Trade", 0x49: "NOII",
    ]
    /// IEX DEEP 1.0 / TOPS 1.6 message types.
    static let iexNames: [UInt16: String] = [
        0x53: "System Event", 0x44: "Security Directory", 0x48: "Trading Status", 0x4F: "Operational Halt Status",
        0x50: "Short Sale Price Test Status", 0x45: "Security Event", 0x38: "Price Level Update (buy)",
        0x35: "Price Level Update (sell)", 0x51: "Quote Update", 0x54: "Trade Report", 0x58: "Official Price",
        0x42: "Trade Break", 0x41: "Auction Information",
    ]
    /// Cboe US equities Multicast PITCH message types.
    static let pitchNames: [UInt16: String] = [
        0x20: "Time", 0x21: "Add Order Long", 0x22: "Add Order Short", 0x23: "Order Executed", 0x25: "Reduce Size Long",
        0x26: "Reduce Size Short", 0x27: "Modify Order Long", 0x28: "Modify Order Short", 0x29: "Delete Order",
        0x2A: "Trade Long", 0x2B: "Trade Short", 0x2C: "Trade Break", 0x2D: "End of Session", 0x2F: "Add Order Expanded",
        0x30: "Trade Expanded", 0x31: "Trading Status", 0x97: "Unit Clear",
    ]
    /// NYSE XDP common message types.
    static let xdpNames: [UInt16: String] = [
        1: "Sequence Number Reset", 2: "Source Time Reference", 3: "Symbol Index Mapping", 34: "Security Status",
        100: "Add Order", 101: "Modify Order", 102: "Delete Order", 103: "Order Execution", 104: "Replace Order",
    ]
    /// CME MDP 3.0 SBE templates.
    static let mdp3Names: [UInt16: String] = [
        4: "ChannelReset", 12: "AdminHeartbeat", 15: "AdminLogin", 16: "AdminLogout", 30: "SecurityStatus",
        37: "MDIncrementalRefreshVolume", 46: "MDIncrementalRefreshBook", 47: "MDIncrementalRefreshOrderBook",
        48: "MDIncrementalRefreshTradeSummary", 49: "MDIncrementalRefreshDailyStatistics",
        50: "MDIncrementalRefreshLimitsBanding", 51: "MDIncrementalRefreshSessionStatistics", 52: "SnapshotFullRefresh",
        53: "SnapshotFullRefreshOrderBook", 54: "MDInstrumentDefinitionFuture", 55: "MDInstrumentDefinitionOption",
        56: "MDInstrumentDefinitionSpread",
    ]
    /// Eurex T7 EOBI templates.
    static let eobiNames: [UInt16: String] = [
        13001: "Heartbeat", 13100: "Order Add", 13101: "Order Modify", 13102: "Order Delete", 13103: "Order Mass Delete",
        13104: "Full Order Execution", 13105: "Partial Order Execution", 13106: "Order Modify Same Prio",
        13200: "Trade Reversal", 13201: "Trade Report", 13202: "Execution Summary", 13203: "TES Trade Report",
        13300: "Product State Change", 13301: "Instrument State Change", 13302: "Mass Instrument State Change",
        13400: "Add Complex Instrument", 13500: "Auction BBO", 13501: "Auction Clearing Price", 13502: "Cross Request",
        13503: "Quote Request", 13504: "Top Of Book", 13600: "Product Summary", 13601: "Instrument Summary",
        13602: "Snapshot Order",
    ]
}

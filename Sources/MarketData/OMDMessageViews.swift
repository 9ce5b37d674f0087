import Vocabulary
import Capture

/// A typed, zero-copy view of one OMD message type. Construct with `init?(_:)`, which checks MsgType
/// and that MsgSize covers the fixed layout; field getters then never fail (a field read past the
/// end, impossible after that check, yields 0).
public protocol OMDMessageView {
    static var messageType: UInt16 { get }
    static var minimumSize: Int { get }
    var bytes: ByteView { get }
    init(unchecked bytes: ByteView)
}

extension OMDMessageView {
    /// The view, or nil when the message is of another type or shorter than this type's layout.
    @inlinable public init?(_ message: OMDMessage) {
        guard message.type == Self.messageType, message.size >= Self.minimumSize else { return nil }
        self.init(unchecked: message.bytes)
    }
    @inlinable func u8(_ o: Int) -> UInt8 { bytes.getUInt8(at: o) ?? 0 }
    @inlinable func u16(_ o: Int) -> UInt16 { bytes.getUInt16LE(at: o) ?? 0 }
    @inlinable func u32(_ o: Int) -> UInt32 { bytes.getUInt32LE(at: o) ?? 0 }
    @inlinable func i16(_ o: Int) -> Int16 { Int16(bitPattern: u16(o)) }
    @inlinable func i32(_ o: Int) -> Int32 { Int32(bitPattern: u32(o)) }
    @inlinable func u64(_ o: Int) -> UInt64 { bytes.getUInt64LE(at: o) ?? 0 }
    func text(_ o: Int, _ n: Int) -> String {
        let raw = bytes.getSlice(at: o, count: n)?.bytes ?? []
        return String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self).trimmingTrailingSpaces
    }
}

extension String {
    var trimmingTrailingSpaces: String {
        var s = Substring(self)
        while s.last == " " { s.removeLast() }
        return String(s)
    }
}

/// Null value of Int32 fields (e.g. a market order's price).
public let omdNullInt32 = Int32(bitPattern: 0x8000_0000)
/// Null value of Int64 fields.
public let omdNullInt64 = Int64(bitPattern: 0x8000_0000_0000_0000)

// MARK: - Control

/// 100 Sequence Reset: next expected SN = NewSeqNo; clear cached state.
public struct SequenceReset: OMDMessageView {
    public static let messageType: UInt16 = 100, minimumSize = 8
    public let bytes: ByteView
    public init(unchecked bytes: ByteView) { self.bytes = bytes }
    public var newSequenceNumber: UInt32 { u32(4) }
}
/// 105 Disaster Recovery Signal: 1 in progress, 2 completed.
public struct DisasterRecoverySignal: OMDMessageView {
    public static let messageType: UInt16 = 105, minimumSize = 8
    public let bytes: ByteView
    public init(unchecked bytes: ByteView) { self.bytes = bytes }
    public var status: UInt32 { u32(4) }
}
/// 101 Logon (retransmission service).
public struct Logon: OMDMessageView {
    public static let messageType: UInt16 = 101, minimumSize = 16
    public let bytes: ByteView
    public init(unchecked bytes: ByteView) { self.bytes = bytes }
    public var username: String { text(4, 12) }
}
/// 102 Logon Response.
public struct LogonResponse: OMDMessageView {
    public static let messageType: UInt16 = 102, minimumSize = 8
    public let bytes: ByteView
    public init(unchecked bytes: ByteView) { self.bytes = bytes }
    public var sessionStatus: UInt8 { u8(4) }
}
/// 201 Retransmission Request.
public struct RetransmissionRequest: OMDMessageView {
    public static let messageType: UInt16 = 201, minimumSize = 16
    public let bytes: ByteView
    public init(unchecked bytes: ByteView) { self.bytes = bytes }
    public var channelID: UInt16 { u16(4) }
    public var beginSequenceNumber: UInt32 { u32(8) }
    public var endSequenceNumber: UInt32 { u32(12) }
}
/// 202 Retransmission Response: status 0 ok, 1 unknown channel, 2 not available, 100 range too big,
/// 101 too many requests.
public struct RetransmissionResponse: OMDMessageView {
    public static let messageType: UInt16 = 202, minimumSize = 16
    public let bytes: ByteView
    public init(unchecked bytes: ByteView) { self.bytes = bytes }
    public var channelID: UInt16 { u16(4) }
    public var status: UInt8 { u8(6) }
    public var beginSequenceNumber: UInt32 { u32(8) }
    public var endSequenceNumber: UInt32 { u32(12) }
}
/// 203 Refresh Complete: the refresh cycle reflects the feed up to LastSeqNum.
public struct RefreshComplete: OMDMessageView {
    public static let messageType: UInt16 = 203, minimumSize = 8
    public let bytes: ByteView
    public init(unchecked bytes: ByteView) { self.bytes = bytes }
    public var lastSequenceNumber: UInt32 { u32(4) }
}

// MARK: - OMD-D order book and trades

/// 330 Add Order. Side: 0 bid, 1 offer.
public struct AddOrder: OMDMessageView {
    public static let messageType: UInt16 = 330, minimumSize = 32
    public let bytes: ByteView
    public init(unchecked bytes: ByteView) { self.bytes = bytes }
    public var orderbookID: UInt32 { u32(4) }
    public var orderID: UInt64 { u64(8) }
    public var price: Int32 { i32(16) }
    public var quantity: UInt32 { u32(20) }
    public var side: UInt8 { u8(24) }
    public var lotType: UInt8 { u8(25) }
    public var orderType: UInt16 { u16(26) }
    public var orderBookPosition: UInt32 { u32(28) }
}
/// 331 Modify Order (layout of 330; byte 25 is a filler).
public struct ModifyOrder: OMDMessageView {
    public static let messageType: UInt16 = 331, minimumSize = 32
    public let bytes: ByteView
    public init(unchecked bytes: ByteView) { self.bytes = bytes }
    public var orderbookID: UInt32 { u32(4) }
    public var orderID: UInt64 { u64(8) }
    public var price: Int32 { i32(16) }
    public var quantity: UInt32 { u32(20) }
    public var side: UInt8 { u8(24) }
    public var orderType: UInt16 { u16(26) }
    public var orderBookPosition: UInt32 { u32(28) }
}
/// 332 Delete Order.
public struct DeleteOrder: OMDMessageView {
    public static let messageType: UInt16 = 332, minimumSize = 18
    public let bytes: ByteView
    public init(unchecked bytes: ByteView) { self.bytes = bytes }
    public var orderbookID: UInt32 { u32(4) }
    public var orderID: UInt64 { u64(8) }
    public var side: UInt8 { u8(16) }
}
/// 335 Orderbook Clear (end of auction: followed by a burst of 330).
public struct OrderbookClear: OMDMessageView {
    public static let messageType: UInt16 = 335, minimumSize = 8
    public let bytes: ByteView
    public init(unchecked bytes: ByteView) { self.bytes = bytes }
    public var orderbookID: UInt32 { u32(4) }
}
/// 336 Quote Request.
public struct QuoteRequest: OMDMessageView {
    public static let messageType: UInt16 = 336, minimumSize = 16
    public let bytes: ByteView
    public init(unchecked bytes: ByteView) { self.bytes = bytes }
    public var orderbookID: UInt32 { u32(4) }
    public var numberOfLots: Int32 { i32(8) }
    public var bidAskFlag: UInt8 { u8(12) }
}
/// 350 Trade.
public struct Trade: OMDMessageView {
    public static let messageType: UInt16 = 350, minimumSize = 56
    public let bytes: ByteView
    public init(unchecked bytes: ByteView) { self.bytes = bytes }
    public var orderbookID: UInt32 { u32(4) }
    public var orderID: UInt64 { u64(8) }
    public var price: Int32 { i32(16) }
    public var tradeID: UInt64 { u64(20) }
    public var comboGroupID: UInt32 { u32(28) }
    public var side: UInt8 { u8(32) }
    public var dealType: UInt8 { u8(33) }
    public var tradeCondition: UInt16 { u16(34) }
    public var dealInfo: UInt16 { u16(36) }
    public var quantity: UInt64 { u64(40) }
    public var tradeTime: UInt64 { u64(48) }
}
/// The shared layout of 353 (OMD-D) and 53 (OMD-C) Aggregate Order Book Update: a 12-byte head
/// (book id at 4, NoEntries at 11) then NoEntries entries of 24 bytes.
public protocol AggregateOrderBookView: OMDMessageView {}

extension AggregateOrderBookView {
    /// OrderbookID (OMD-D) or SecurityCode (OMD-C).
    public var bookID: UInt32 { u32(4) }
    /// NoEntries as declared.
    public var declaredEntryCount: Int { Int(u8(11)) }
    /// Entries present in full (never more than declared nor than MsgSize allows).
    public var entryCount: Int { Swift.min(declaredEntryCount, (bytes.count - 12) / 24) }
    /// True when MsgSize is too small for NoEntries.
    public var isTruncated: Bool { declaredEntryCount > entryCount }
    public func entry(_ index: Int) -> AggregateOrderBookEntry? {
        guard index >= 0, index < entryCount, let v = bytes.getSlice(at: 12 + 24 * index, count: 24) else { return nil }
        return AggregateOrderBookEntry(bytes: v, wideSide: Self.messageType == SecuritiesAggregateOrderBookUpdate.messageType)
    }
}

/// 353 Aggregate Order Book Update (OMD-D).
public struct AggregateOrderBookUpdate: AggregateOrderBookView {
    public static let messageType: UInt16 = 353, minimumSize = 12
    public let bytes: ByteView
    public init(unchecked bytes: ByteView) { self.bytes = bytes }
    public var orderbookID: UInt32 { bookID }
}

/// One price level of a 353 or 53 message.
public struct AggregateOrderBookEntry {
    public let bytes: ByteView
    /// OMD-C's Side is a u16, OMD-D's a u8 followed by a filler.
    let wideSide: Bool
    public var aggregateQuantity: UInt64 { bytes.getUInt64LE(at: 0) ?? 0 }
    public var price: Int32 { Int32(bitPattern: bytes.getUInt32LE(at: 8) ?? 0) }
    public var numberOfOrders: UInt32 { bytes.getUInt32LE(at: 12) ?? 0 }
    public var side: UInt16 { wideSide ? bytes.getUInt16LE(at: 16) ?? 0 : UInt16(bytes.getUInt8(at: 16) ?? 0) }
    /// 1–10, or 255.
    public var priceLevel: UInt8 { bytes.getUInt8(at: 18) ?? 0 }
    /// 0 new, 1 change, 2 delete, 74 clear.
    public var updateAction: UInt8 { bytes.getUInt8(at: 19) ?? 0 }
}
/// 356 Trade Amendment.
public struct TradeAmendment: OMDMessageView {
    public static let messageType: UInt16 = 356, minimumSize = 40
    public let bytes: ByteView
    public init(unchecked bytes: ByteView) { self.bytes = bytes }
    public var tradeID: UInt64 { u64(4) }
    public var comboGroupID: UInt32 { u32(12) }
    public var price: Int32 { i32(16) }
    public var quantity: UInt64 { u64(20) }
    public var tradeTime: UInt64 { u64(28) }
    public var tradeState: UInt8 { u8(36) }
}
/// 364 Calculated Opening Price.
public struct CalculatedOpeningPrice: OMDMessageView {
    public static let messageType: UInt16 = 364, minimumSize = 24
    public let bytes: ByteView
    public init(unchecked bytes: ByteView) { self.bytes = bytes }
    public var orderbookID: UInt32 { u32(4) }
    public var price: Int32 { i32(8) }
    public var quantity: UInt64 { u64(16) }
}
/// 321 Series Status.
public struct SeriesStatus: OMDMessageView {
    public static let messageType: UInt16 = 321, minimumSize = 12
    public let bytes: ByteView
    public init(unchecked bytes: ByteView) { self.bytes = bytes }
    public var orderbookID: UInt32 { u32(4) }
    public var suspension: UInt8 { u8(8) }
    public var seriesStatus: UInt8 { u8(9) }
}

// MARK: - OMD-C (securities)

/// OMD-C 30 Add Order (prices have 3 implied decimals).
public struct SecuritiesAddOrder: OMDMessageView {
    public static let messageType: UInt16 = 30, minimumSize = 32
    public let bytes: ByteView
    public init(unchecked bytes: ByteView) { self.bytes = bytes }
    public var securityCode: UInt32 { u32(4) }
    public var orderID: UInt64 { u64(8) }
    public var price: Int32 { i32(16) }
    public var quantity: UInt32 { u32(20) }
    public var side: UInt16 { u16(24) }
    public var orderType: UInt8 { u8(26) }
    public var orderBookPosition: Int32 { i32(28) }
}
/// OMD-C 31 Modify Order (layout of 30; byte 26 is a filler).
public struct SecuritiesModifyOrder: OMDMessageView {
    public static let messageType: UInt16 = 31, minimumSize = 32
    public let bytes: ByteView
    public init(unchecked bytes: ByteView) { self.bytes = bytes }
    public var securityCode: UInt32 { u32(4) }
    public var orderID: UInt64 { u64(8) }
    public var price: Int32 { i32(16) }
    public var quantity: UInt32 { u32(20) }
    public var side: UInt16 { u16(24) }
    public var orderBookPosition: Int32 { i32(28) }
}
/// OMD-C 32 Delete Order.
public struct SecuritiesDeleteOrder: OMDMessageView {
    public static let messageType: UInt16 = 32, minimumSize = 20
    public let bytes: ByteView
    public init(unchecked bytes: ByteView) { self.bytes = bytes }
    public var securityCode: UInt32 { u32(4) }
    public var orderID: UInt64 { u64(8) }
    public var side: UInt16 { u16(16) }
}
/// OMD-C 50 Trade.
public struct SecuritiesTrade: OMDMessageView {
    public static let messageType: UInt16 = 50, minimumSize = 32
    public let bytes: ByteView
    public init(unchecked bytes: ByteView) { self.bytes = bytes }
    public var securityCode: UInt32 { u32(4) }
    public var tradeID: UInt32 { u32(8) }
    public var price: Int32 { i32(12) }
    public var quantity: UInt32 { u32(16) }
    public var tradeType: Int16 { i16(20) }
    public var tradeTime: UInt64 { u64(24) }
}
/// OMD-C 53 Aggregate Order Book Update (layout shared with 353; Side is a u16).
public struct SecuritiesAggregateOrderBookUpdate: AggregateOrderBookView {
    public static let messageType: UInt16 = 53, minimumSize = 12
    public let bytes: ByteView
    public init(unchecked bytes: ByteView) { self.bytes = bytes }
    public var securityCode: UInt32 { bookID }
}

/// Any decoded OMD message: switch over it to reach the typed view.
public enum OMDDecodedMessage {
    case sequenceReset(SequenceReset), disasterRecoverySignal(DisasterRecoverySignal), logon(Logon)
    case logonResponse(LogonResponse), retransmissionRequest(RetransmissionRequest)
    case retransmissionResponse(RetransmissionResponse), refreshComplete(RefreshComplete)
    case addOrder(AddOrder), modifyOrder(ModifyOrder), deleteOrder(DeleteOrder), orderbookClear(OrderbookClear)
    case quoteRequest(QuoteRequest), trade(Trade), aggregateOrderBookUpdate(AggregateOrderBookUpdate)
    case tradeAmendment(TradeAmendment), calculatedOpeningPrice(CalculatedOpeningPrice), seriesStatus(SeriesStatus)
    case securitiesAddOrder(SecuritiesAddOrder), securitiesModifyOrder(SecuritiesModifyOrder)
    case securitiesDeleteOrder(SecuritiesDeleteOrder), securitiesTrade(SecuritiesTrade)
    case securitiesAggregateOrderBookUpdate(SecuritiesAggregateOrderBookUpdate)
    /// A type this decoder does not know (skipped by MsgSize).
    case unknown(OMDMessage)
    /// A known type whose MsgSize is smaller than its layout.
    case short(OMDMessage)

    /// Decodes `message` into its typed view.
    public init(_ m: OMDMessage) {
        func view<V: OMDMessageView>(_: V.Type, _ wrap: (V) -> OMDDecodedMessage) -> OMDDecodedMessage {
            m.size >= V.minimumSize ? wrap(V(unchecked: m.bytes)) : .short(m)
        }
        switch m.type {
        case 100: self = view(SequenceReset.self) { .sequenceReset($0) }
        case 101: self = view(Logon.self) { .logon($0) }
        case 102: self = view(LogonResponse.self) { .logonResponse($0) }
        case 105: self = view(DisasterRecoverySignal.self) { .disasterRecoverySignal($0) }
        case 201: self = view(RetransmissionRequest.self) { .retransmissionRequest($0) }
        case 202: self = view(RetransmissionResponse.self) { .retransmissionResponse($0) }
        case 203: self = view(RefreshComplete.self) { .refreshComplete($0) }
        case 321: self = view(SeriesStatus.self) { .seriesStatus($0) }
        case 330: self = view(AddOrder.self) { .addOrder($0) }
        case 331: self = view(ModifyOrder.self) { .modifyOrder($0) }
        case 332: self = view(DeleteOrder.self) { .deleteOrder($0) }
        case 335: self = view(OrderbookClear.self) { .orderbookClear($0) }
        case 336: self = view(QuoteRequest.self) { .quoteRequest($0) }
        case 350: self = view(Trade.self) { .trade($0) }
        case 353: self = view(AggregateOrderBookUpdate.self) { .aggregateOrderBookUpdate($0) }
        case 356: self = view(TradeAmendment.self) { .tradeAmendment($0) }
        case 364: self = view(CalculatedOpeningPrice.self) { .calculatedOpeningPrice($0) }
        case 30: self = view(SecuritiesAddOrder.self) { .securitiesAddOrder($0) }
        case 31: self = view(SecuritiesModifyOrder.self) { .securitiesModifyOrder($0) }
        case 32: self = view(SecuritiesDeleteOrder.self) { .securitiesDeleteOrder($0) }
        case 50: self = view(SecuritiesTrade.self) { .securitiesTrade($0) }
        case 53: self = view(SecuritiesAggregateOrderBookUpdate.self) { .securitiesAggregateOrderBookUpdate($0) }
        default: self = .unknown(m)
        }
    }
}

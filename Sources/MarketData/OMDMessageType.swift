import Vocabulary
/// OMD message types Rehearse decodes (OMD-D v1.47/v2.0, OMD-C v1.45). Anything else is skipped by
/// MsgSize and counted as unknown.
public enum OMDMessageType {
    // Control (both markets)
    public static let sequenceReset: UInt16 = 100
    public static let logon: UInt16 = 101
    public static let logonResponse: UInt16 = 102
    public static let disasterRecoverySignal: UInt16 = 105
    public static let retransmissionRequest: UInt16 = 201
    public static let retransmissionResponse: UInt16 = 202
    public static let refreshComplete: UInt16 = 203
    // OMD-D (derivatives)
    public static let seriesStatus: UInt16 = 321
    public static let addOrder: UInt16 = 330
    public static let modifyOrder: UInt16 = 331
    public static let deleteOrder: UInt16 = 332
    public static let orderbookClear: UInt16 = 335
    public static let quoteRequest: UInt16 = 336
    public static let trade: UInt16 = 350
    public static let aggregateOrderBookUpdate: UInt16 = 353
    public static let tradeAmendment: UInt16 = 356
    public static let calculatedOpeningPrice: UInt16 = 364
    // OMD-C (securities)
    public static let securitiesAddOrder: UInt16 = 30
    public static let securitiesModifyOrder: UInt16 = 31
    public static let securitiesDeleteOrder: UInt16 = 32
    public static let securitiesTrade: UInt16 = 50
    public static let securitiesAggregateOrderBookUpdate: UInt16 = 53

    /// (type, name, minimum MsgSize) for every decoded type, in report order.
    public static let known: [(type: UInt16, name: String, minimumSize: Int)] = [
        (100, "SequenceReset", 8), (101, "Logon", 16), (102, "LogonResponse", 8), (105, "DisasterRecoverySignal", 8),
        (201, "RetransmissionRequest", 16), (202, "RetransmissionResponse", 16), (203, "RefreshComplete", 8),
        (321, "SeriesStatus", 12), (330, "AddOrder", 32), (331, "ModifyOrder", 32), (332, "DeleteOrder", 18),
        (335, "OrderbookClear", 8), (336, "QuoteRequest", 16), (350, "Trade", 56),
        (353, "AggregateOrderBookUpdate", 12), (356, "TradeAmendment", 40), (364, "CalculatedOpeningPrice", 24),
        (30, "SecuritiesAddOrder", 32), (31, "SecuritiesModifyOrder", 32), (32, "SecuritiesDeleteOrder", 20),
        (50, "SecuritiesTrade", 32), (53, "SecuritiesAggregateOrderBookUpdate", 12),
    ]

    /// Slot of each known type in per-type counter arrays (`known.count` = unknown), via a 512-entry table.
    public static let slotTable: [UInt8] = {
        var table = [UInt8](repeating: UInt8(known.count), count: 512)
        for (slot, entry) in known.enumerated() { table[Int(entry.type)] = UInt8(slot) }
        return table
    }()

    /// Number of counter slots: one per known type plus one for unknown types.
    public static var slotCount: Int { known.count + 1 }

    /// Human name of a type ("Type 999" when unknown).
    public static func name(_ type: UInt16) -> String {
        known.first { $0.type == type }?.name ?? "Type \(type)"
    }

    /// Minimum MsgSize of a known type, nil when unknown.
    public static func minimumSize(_ type: UInt16) -> Int? {
        known.first { $0.type == type }?.minimumSize
    }

    /// Slot for `type` in per-type counter arrays.
    @inlinable public static func slot(_ type: UInt16) -> Int {
        type < 512 ? Int(slotTable[Int(type)]) : known.count
    }
}

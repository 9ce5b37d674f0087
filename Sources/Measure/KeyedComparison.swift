import Vocabulary
import Capture
import Histogram
import MarketData

/// A message's business identity, for feeds whose sequence numbers do not align (old and new
/// platform): orders by (type, OrderbookID, OrderID, Side), trades by TradeID, and the how-manieth
/// message with that key it is on its line (an order is modified many times).
struct BusinessKey: Hashable, Comparable {
    var type: UInt16
    var orderbook: UInt32
    var id: UInt64
    var side: UInt8
    var occurrence: UInt32

    static func < (a: BusinessKey, b: BusinessKey) -> Bool {
        (a.type, a.orderbook, a.id, a.side, a.occurrence) < (b.type, b.orderbook, b.id, b.side, b.occurrence)
    }
}

/// The fields compared between the two sides for a keyed message (price, quantity and the like;
/// never the sequence number, the send time or the book position, which legitimately differ).
struct BusinessFields: Equatable {
    var price: Int64 = 0
    var quantity: UInt64 = 0
    var kind: UInt16 = 0

    static func of(_ m: OMDMessage) -> (BusinessKey, BusinessFields)? {
        switch m.type {
        case AddOrder.messageType:
            guard let v = AddOrder(m) else { return nil }
            return (BusinessKey(type: 330, orderbook: v.orderbookID, id: v.orderID, side: v.side, occurrence: 0),
                    BusinessFields(price: Int64(v.price), quantity: UInt64(v.quantity), kind: v.orderType))
        case ModifyOrder.messageType:
            guard let v = ModifyOrder(m) else { return nil }
            return (BusinessKey(type: 331, orderbook: v.orderbookID, id: v.orderID, side: v.side, occurrence: 0),
                    BusinessFields(price: Int64(v.price), quantity: UInt64(v.quantity), kind: v.orderType))
        case DeleteOrder.messageType:
            guard let v = DeleteOrder(m) else { return nil }
            return (BusinessKey(type: 332, orderbook: v.orderbookID, id: v.orderID, side: v.side, occurrence: 0), BusinessFields())
        case Trade.messageType:
            guard let v = Trade(m) else { return nil }
            return (BusinessKey(type: 350, orderbook: 0, id: v.tradeID, side: 0, occurrence: 0),
                    BusinessFields(price: Int64(v.price), quantity: v.quantity, kind: UInt16(v.dealType)))
        default:
            return nil
        }
    }

    /// The differing fields, for people.
    func difference(_ other: BusinessFields, type: UInt16) -> String {
        var parts: [String] = []
        if price != other.price { parts.append("price \(price) ≠ \(other.price)") }
        if quantity != other.quantity { parts.append("quantity \(quantity) ≠ \(other.quantity)") }
        if kind != other.kind { parts.append((type == 350 ? "deal type" : "order type") + " \(kind) ≠ \(other.kind)") }
        return parts.joined(separator: ", ")
    }
}

/// The keyed messages of one line of one channel.
struct KeyedTable {
    var sightings: [BusinessKey: (time: Int64, fields: BusinessFields)] = [:]
    var occurrences: [BusinessKey: UInt32] = [:]
    var unkeyed: UInt64 = 0

    mutating func record(_ m: OMDMessage, time: Int64) {
        guard let (found, fields) = BusinessFields.of(m) else { unkeyed &+= 1; return }
        // The k-th message with a key (e.g. the k-th modification of an order) matches the k-th on the other side.
        var key = found
        let n = occurrences[key, default: 0]
        occurrences[key] = n + 1
        key.occurrence = n
        sightings[key] = (time, fields)
    }
}

/// Business-key comparison of one channel (schema `rehearse.compare/1`, `keyed`).
public struct KeyedChannelComparison: Codable, Sendable {
    public var channel: Int
    /// Keyed messages (Add/Modify/Delete Order, Trade) on each side, and those of other types.
    public var keyedA: UInt64
    public var keyedB: UInt64
    public var unkeyedA: UInt64
    public var unkeyedB: UInt64
    public var matched: UInt64
    public var onlyOnA: UInt64
    public var onlyOnB: UInt64
    /// Matched by key, different price, quantity or type.
    public var mismatched: UInt64
    public var aFirst: UInt64
    public var bFirst: UInt64
    public var lag: LatencySummary
    /// The first few unmatched and mismatched messages, described field by field.
    public var examples: [String]

    static let exampleLimit = 10

    static func pair(_ channel: Int, _ a: KeyedTable, _ b: KeyedTable) -> KeyedChannelComparison {
        var lag = LatencyHistogram.latency()
        var matched: UInt64 = 0, onlyA: UInt64 = 0, mismatched: UInt64 = 0, aFirst: UInt64 = 0, bFirst: UInt64 = 0
        var examples: [String] = []
        func name(_ k: BusinessKey) -> String {
            switch k.type {
            case 350: return "Trade \(k.id)"
            case 331: return "Modify Order book \(k.orderbook) order \(k.id) side \(k.side) (#\(k.occurrence + 1))"
            case 332: return "Delete Order book \(k.orderbook) order \(k.id) side \(k.side)" + (k.occurrence > 0 ? " (#\(k.occurrence + 1))" : "")
            default: return "Add Order book \(k.orderbook) order \(k.id) side \(k.side)" + (k.occurrence > 0 ? " (#\(k.occurrence + 1))" : "")
            }
        }
        // Sorted by A's time so the examples are the earliest; messages of one packet (one time) by key,
        // so the examples are the same every run (a dictionary's order is not).
        for (key, sa) in a.sightings.sorted(by: { ($0.value.time, $0.key) < ($1.value.time, $1.key) }) {
            guard let sb = b.sightings[key] else {
                onlyA &+= 1
                if examples.count < exampleLimit { examples.append("\(name(key)): on A only") }
                continue
            }
            matched &+= 1
            if sa.fields != sb.fields {
                mismatched &+= 1
                if examples.count < exampleLimit { examples.append("\(name(key)): \(sa.fields.difference(sb.fields, type: key.type)) (A ≠ B)") }
            }
            let d = sb.time &- sa.time
            if d > 0 { aFirst &+= 1 } else if d < 0 { bFirst &+= 1 }
            lag.recordLatency(d.magnitude)
        }
        var onlyB: UInt64 = 0
        for (key, _) in b.sightings.sorted(by: { ($0.value.time, $0.key) < ($1.value.time, $1.key) }) where a.sightings[key] == nil {
            onlyB &+= 1
            if examples.count < exampleLimit { examples.append("\(name(key)): on B only") }
        }
        return KeyedChannelComparison(channel: channel, keyedA: UInt64(a.sightings.count), keyedB: UInt64(b.sightings.count),
                                      unkeyedA: a.unkeyed, unkeyedB: b.unkeyed, matched: matched, onlyOnA: onlyA, onlyOnB: onlyB,
                                      mismatched: mismatched, aFirst: aFirst, bFirst: bFirst, lag: LatencySummary(lag), examples: examples)
    }
}

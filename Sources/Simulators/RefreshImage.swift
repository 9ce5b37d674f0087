import Vocabulary
import MarketData

/// What a refresh snapshot of one channel carries (the simulator's Refresh Service): the latest message
/// of each (MsgType, first key) — the OrderbookID or SecurityCode at offset 4 — in order of first
/// appearance, except what the service does not cover (Trade, Trade Amendment, Quote Request; OMD-C
/// Trade; session control). The real service sends order-book images; this one sends the last word on
/// every book, enough to resynchronise a handler's state to `lastSequence`.
struct RefreshImage {
    private var index: [UInt64: Int] = [:]
    private(set) var messages: [[UInt8]] = []
    /// The real-time SN of the last message taken in (the snapshot's LastSeqNum); nil before any.
    private(set) var lastSequence: UInt32?

    static let uncovered: Set<UInt16> = [OMDMessageType.trade, OMDMessageType.tradeAmendment, OMDMessageType.quoteRequest, 50,
                                         OMDMessageType.sequenceReset, OMDMessageType.disasterRecoverySignal]

    mutating func take(sequence: UInt32, _ bytes: [UInt8]) {
        if let last = lastSequence, sequence <= last { clear() }
        lastSequence = sequence
        guard bytes.count >= 4 else { return }
        let type = UInt16(bytes[2]) | UInt16(bytes[3]) << 8
        guard !Self.uncovered.contains(type) else { return }
        var key = UInt64(type) << 32
        if bytes.count >= 8 { key |= UInt64(bytes[4]) | UInt64(bytes[5]) << 8 | UInt64(bytes[6]) << 16 | UInt64(bytes[7]) << 24 }
        if let i = index[key] {
            if messages[i].count == bytes.count {
                messages[i].withUnsafeMutableBytes { dst in bytes.withUnsafeBytes { dst.copyMemory(from: $0) } }
            } else {
                messages[i] = bytes
            }
        } else {
            index[key] = messages.count
            messages.append(bytes)
        }
    }

    mutating func clear() {
        index.removeAll(keepingCapacity: true)
        messages.removeAll(keepingCapacity: true)
        lastSequence = nil
    }
}

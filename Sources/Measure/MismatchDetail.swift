import Vocabulary
import Capture
import MarketData

/// Field-level differences between two versions of one OMD message (same channel and SeqNum, different
/// bytes): named fields for the known types, byte offsets for the rest.
public enum MismatchDetail {
    /// Mismatches described per channel.
    public static let sampleLimit = 5

    /// The first sighting of each wanted (epoch << 32 | SeqNum) message per destination, from a capture
    /// (optionally filtered), following Sequence Resets as the comparison does.
    static func collect(path: String, filter: String?, wanted: [Endpoint: Set<UInt64>]) -> [Endpoint: [UInt64: [UInt8]]] {
        var out: [Endpoint: [UInt64: [UInt8]]] = [:]
        let compiled = filter.map(PacketFilter.init(expression:))
        var epochs: [Endpoint: (epoch: Int, hadData: Bool)] = [:]
        // The same timeline the comparison read (a capture, or a directory's in time order).
        for file in (try? CaptureTimeline.files(path)) ?? [] {
            guard var reader = try? CaptureReader.open(file) else { continue }
            while let packet = try? reader.next() {
                if let compiled, !compiled.matches(packet) { continue }
                let d = PacketDecoder.decode(packet.data, linkType: packet.linkType)
                guard d.status == .transport, d.flow.ipProtocol == 17, let p = OMDPacket(d.payload), !p.isHeartbeat, !p.isCompressed else { continue }
                let destination = Endpoint(address: d.flow.destination, port: d.flow.destinationPort)
                guard let keys = wanted[destination] else { continue }
                var state = epochs[destination] ?? (0, false)
                var messages = SequencedMessages(p)
                while let item = messages.next() {
                    if case .reset = item.control {
                        if state.hadData { state.epoch += 1; state.hadData = false }
                        continue
                    }
                    state.hadData = true
                    let k = UInt64(state.epoch) << 32 | UInt64(item.sequence)
                    if keys.contains(k) && out[destination]?[k] == nil { out[destination, default: [:]][k] = item.message.bytes.bytes }
                }
                epochs[destination] = state
            }
        }
        return out
    }

    /// (name, offset, size, signed) per known message type (docs/formats/omd.md).
    static let fields: [UInt16: [(String, Int, Int, Bool)]] = [
        100: [("NewSeqNo", 4, 4, false)],
        105: [("DRStatus", 4, 4, false)],
        330: [("OrderbookID", 4, 4, false), ("OrderID", 8, 8, false), ("Price", 16, 4, true), ("Quantity", 20, 4, false),
              ("Side", 24, 1, false), ("LotType", 25, 1, false), ("OrderType", 26, 2, false), ("OrderBookPosition", 28, 4, false)],
        331: [("OrderbookID", 4, 4, false), ("OrderID", 8, 8, false), ("Price", 16, 4, true), ("Quantity", 20, 4, false),
              ("Side", 24, 1, false), ("OrderType", 26, 2, false), ("OrderBookPosition", 28, 4, false)],
        332: [("OrderbookID", 4, 4, false), ("OrderID", 8, 8, false), ("Side", 16, 1, false)],
        335: [("OrderbookID", 4, 4, false)],
        350: [("OrderbookID", 4, 4, false), ("OrderID", 8, 8, false), ("Price", 16, 4, true), ("TradeID", 20, 8, false),
              ("ComboGroupID", 28, 4, false), ("Side", 32, 1, false), ("DealType", 33, 1, false), ("TradeCondition", 34, 2, false),
              ("DealInfo", 36, 2, false), ("Quantity", 40, 8, false), ("TradeTime", 48, 8, false)],
    ]

    static func value(_ b: [UInt8], _ offset: Int, _ size: Int, signed: Bool) -> String? {
        guard offset + size <= b.count else { return nil }
        var v: UInt64 = 0
        for i in 0..<size { v |= UInt64(b[offset + i]) << (8 * UInt64(i)) }
        if signed && size == 4 { return String(Int32(bitPattern: UInt32(truncatingIfNeeded: v))) }
        return String(v)
    }

    /// The differences of `b` from `a`, for people: `Price 9773 ≠ 9774, Quantity 100 ≠ 200`.
    public static func describe(_ a: [UInt8], _ b: [UInt8]) -> String {
        func type(_ m: [UInt8]) -> UInt16? { m.count >= 4 ? UInt16(m[2]) | UInt16(m[3]) << 8 : nil }
        let ta = type(a), tb = type(b)
        guard let ta, let tb else { return "a message shorter than its header" }
        if ta != tb {
            return "MsgType \(ta) (\(OMDMessageType.name(ta))) ≠ \(tb) (\(OMDMessageType.name(tb)))"
        }
        var parts: [String] = []
        if a.count != b.count { parts.append("MsgSize \(a.count) ≠ \(b.count)") }
        var covered = Set<Int>(0..<4)
        for (name, offset, size, signed) in fields[ta] ?? [] {
            covered.formUnion(offset..<(offset + size))
            let va = value(a, offset, size, signed: signed), vb = value(b, offset, size, signed: signed)
            if va != vb { parts.append("\(name) \(va ?? "-") ≠ \(vb ?? "-")") }
        }
        // Bytes outside the named fields (or every byte of an unnamed type).
        let differing = (0..<max(a.count, b.count)).filter { !covered.contains($0) && (($0 < a.count ? a[$0] : nil) != ($0 < b.count ? b[$0] : nil)) }
        if !differing.isEmpty {
            parts.append("bytes at offset " + differing.prefix(6).map(String.init).joined(separator: ", ") + (differing.count > 6 ? " (\(differing.count) in all)" : ""))
        }
        return "\(OMDMessageType.name(ta)): " + (parts.isEmpty ? "identical" : parts.joined(separator: ", "))
    }
}

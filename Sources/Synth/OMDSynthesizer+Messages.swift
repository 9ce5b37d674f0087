import Vocabulary
import MarketData

extension OMDSynthesizer {
    /// One matching-engine event on `channel`: a geometric burst of messages, sent on every line.
    mutating func marketEvent(channel: Int, at t: Int64) {
        event.start(sequenceNumber: 0, sendTime: 0)
        eventMessages.removeAll(keepingCapacity: true)
        let count = min(rng.geometric(mean: configuration.burstMean), 40)
        for _ in 0..<count { randomMessage(channel: channel, at: t) }
        distribute(channel: channel, at: t)
    }

    /// An auction uncross: 335 Orderbook Clear, then `auctionOrders` Add Orders over about 3 ms.
    mutating func uncross(channel: Int, at t: Int64) {
        let book = rng.int(0...49)
        let orderbook = channels[channel].orderbooks[book]
        var remaining = configuration.auctionOrders
        var time = t
        var first = true
        while remaining > 0 || first {
            event.start(sequenceNumber: 0, sendTime: 0)
            eventMessages.removeAll(keepingCapacity: true)
            if first {
                append(type: OMDMessageType.orderbookClear, length: 8) { $0.put32(at: 4, orderbook) }
                first = false
            }
            let batch = min(remaining, 40)
            for _ in 0..<batch { addOrder(channel: channel, book: book) }
            remaining -= batch
            distribute(channel: channel, at: time)
            time += Int64(rng.int(40_000...110_000))
        }
    }

    mutating func append(type: UInt16, length: Int, _ body: (inout OMDPacketBuilder.MessageFields) -> Void) {
        let offset = event.size
        event.message(type: type, length: length, body)
        eventMessages.append((offset, length, type))
    }

    mutating func randomMessage(channel: Int, at t: Int64) {
        let roll = rng.unit()
        let book = rng.int(0...49)
        switch roll {
        case ..<0.38: addOrder(channel: channel, book: book)
        case ..<0.52:
            let id = existingOrder(channel)
            let ob = channels[channel].orderbooks[book], price = price(channel, book), qty = UInt32(rng.int(1...50))
            let side = UInt8(rng.int(0...1))
            append(type: OMDMessageType.modifyOrder, length: 32) {
                $0.put32(at: 4, ob); $0.put64(at: 8, id); $0.putI32(at: 16, price); $0.put32(at: 20, qty)
                $0.put8(at: 24, side); $0.put16(at: 26, 1); $0.put32(at: 28, 1)
            }
        case ..<0.82:
            let id = existingOrder(channel)
            let ob = channels[channel].orderbooks[book], side = UInt8(rng.int(0...1))
            append(type: OMDMessageType.deleteOrder, length: 18) {
                $0.put32(at: 4, ob); $0.put64(at: 8, id); $0.put8(at: 16, side)
            }
        case ..<0.92:
            let entries = rng.int(1...3)
            let ob = channels[channel].orderbooks[book]
            var levels: [(UInt64, Int32, UInt32, UInt8, UInt8, UInt8)] = []
            for level in 0..<entries {
                levels.append((UInt64(rng.int(1...500)), price(channel, book), UInt32(rng.int(1...20)),
                               UInt8(rng.int(0...1)), UInt8(level + 1), UInt8(rng.int(0...2))))
            }
            append(type: OMDMessageType.aggregateOrderBookUpdate, length: 12 + 24 * entries) {
                $0.put32(at: 4, ob); $0.put8(at: 11, UInt8(entries))
                for (i, l) in levels.enumerated() {
                    let o = 12 + 24 * i
                    $0.put64(at: o, l.0); $0.putI32(at: o + 8, l.1); $0.put32(at: o + 12, l.2)
                    $0.put8(at: o + 16, l.3); $0.put8(at: o + 18, l.4); $0.put8(at: o + 19, l.5)
                }
            }
        case ..<0.97:
            let ob = channels[channel].orderbooks[book], id = existingOrder(channel), price = price(channel, book)
            let trade = channels[channel].nextTradeID
            channels[channel].nextTradeID += 1
            let qty = UInt64(rng.int(1...30)), side = UInt8(rng.int(0...1))
            append(type: OMDMessageType.trade, length: 56) {
                $0.put32(at: 4, ob); $0.put64(at: 8, id); $0.putI32(at: 16, price); $0.put64(at: 20, trade)
                $0.put8(at: 32, side); $0.put8(at: 33, 1); $0.put64(at: 40, qty); $0.put64(at: 48, UInt64(t))
            }
        case ..<0.985:
            let ob = channels[channel].orderbooks[book], lots = Int32(rng.int(1...100)), flag = UInt8(rng.int(0...2))
            append(type: OMDMessageType.quoteRequest, length: 16) {
                $0.put32(at: 4, ob); $0.putI32(at: 8, lots); $0.put8(at: 12, flag)
            }
        case ..<0.995:
            let ob = channels[channel].orderbooks[book], price = price(channel, book), qty = UInt64(rng.int(1...1000))
            append(type: OMDMessageType.calculatedOpeningPrice, length: 24) {
                $0.put32(at: 4, ob); $0.putI32(at: 8, price); $0.put64(at: 16, qty)
            }
        default:
            let ob = channels[channel].orderbooks[book], status = UInt8(rng.int(1...5))
            append(type: OMDMessageType.seriesStatus, length: 12) {
                $0.put32(at: 4, ob); $0.put8(at: 8, 0); $0.put8(at: 9, status)
            }
        }
    }

    mutating func addOrder(channel: Int, book: Int) {
        let id = channels[channel].nextOrderID
        channels[channel].nextOrderID += 1
        channels[channel].orderRing[channels[channel].ringCount & 4095] = id
        channels[channel].ringCount += 1
        let ob = channels[channel].orderbooks[book], price = price(channel, book)
        let qty = UInt32(rng.int(1...50)), side = UInt8(rng.int(0...1)), position = UInt32(rng.int(1...20))
        append(type: OMDMessageType.addOrder, length: 32) {
            $0.put32(at: 4, ob); $0.put64(at: 8, id); $0.putI32(at: 16, price); $0.put32(at: 20, qty)
            $0.put8(at: 24, side); $0.put8(at: 25, 2); $0.put16(at: 26, 1); $0.put32(at: 28, position)
        }
    }

    mutating func existingOrder(_ channel: Int) -> UInt64 {
        let n = min(channels[channel].ringCount, 4096)
        guard n > 0 else { return channels[channel].nextOrderID }
        return channels[channel].orderRing[rng.int(0...(n - 1))]
    }

    mutating func price(_ channel: Int, _ book: Int) -> Int32 {
        let step = Int32(rng.int(-2...2))
        channels[channel].mids[book] = max(10, channels[channel].mids[book] + step)
        return channels[channel].mids[book] + Int32(rng.int(-10...10))
    }
}

import Vocabulary
import Capture
import MarketData
import TestSupport
import Testing



@Suite("OMD packets and messages")
struct OMDDecodingTests {
    /// A packet holding one message of every decoded type, fields set to recognisable values.
    func everyType() -> [UInt8] {
        var b = OMDPacketBuilder()
        b.start(sequenceNumber: 77, sendTime: 1_767_575_700_123_000_000)
        b.message(type: 100, length: 8) { $0.put32(at: 4, 5) }
        b.message(type: 101, length: 16) { f in for (i, c) in "trader01".utf8.enumerated() { f.put8(at: 4 + i, c) } }
        b.message(type: 102, length: 8) { $0.put8(at: 4, 5) }
        b.message(type: 105, length: 8) { $0.put32(at: 4, 2) }
        b.message(type: 201, length: 16) { $0.put16(at: 4, 3); $0.put32(at: 8, 10); $0.put32(at: 12, 20) }
        b.message(type: 202, length: 16) { $0.put16(at: 4, 3); $0.put8(at: 6, 100); $0.put32(at: 8, 10); $0.put32(at: 12, 20) }
        b.message(type: 203, length: 8) { $0.put32(at: 4, 999) }
        b.message(type: 330, length: 32) {
            $0.put32(at: 4, 1001); $0.put64(at: 8, 0xABCDEF); $0.putI32(at: 16, -5); $0.put32(at: 20, 7)
            $0.put8(at: 24, 1); $0.put8(at: 25, 2); $0.put16(at: 26, 3); $0.put32(at: 28, 4)
        }
        b.message(type: 331, length: 32) { $0.put32(at: 4, 1001); $0.put64(at: 8, 0xABCDEF); $0.putI32(at: 16, 12); $0.put32(at: 20, 8); $0.put8(at: 24, 0) }
        b.message(type: 332, length: 18) { $0.put32(at: 4, 1001); $0.put64(at: 8, 0xABCDEF); $0.put8(at: 16, 1) }
        b.message(type: 335, length: 8) { $0.put32(at: 4, 1002) }
        b.message(type: 336, length: 16) { $0.put32(at: 4, 1003); $0.putI32(at: 8, 50); $0.put8(at: 12, 2) }
        b.message(type: 350, length: 56) {
            $0.put32(at: 4, 1004); $0.put64(at: 8, 11); $0.putI32(at: 16, 300); $0.put64(at: 20, 12); $0.put32(at: 28, 13)
            $0.put8(at: 32, 1); $0.put8(at: 33, 2); $0.put16(at: 34, 3); $0.put16(at: 36, 4); $0.put64(at: 40, 14); $0.put64(at: 48, 15)
        }
        b.message(type: 353, length: 12 + 48) {
            $0.put32(at: 4, 1005); $0.put8(at: 11, 2)
            $0.put64(at: 12, 100); $0.putI32(at: 20, 250); $0.put32(at: 24, 3); $0.put8(at: 28, 1); $0.put8(at: 30, 1); $0.put8(at: 31, 74)
            $0.put64(at: 36, 200)
        }
        b.message(type: 356, length: 40) { $0.put64(at: 4, 21); $0.put32(at: 12, 22); $0.putI32(at: 16, 23); $0.put64(at: 20, 24); $0.put64(at: 28, 25); $0.put8(at: 36, 26) }
        b.message(type: 364, length: 24) { $0.put32(at: 4, 1006); $0.putI32(at: 8, Int32(bitPattern: 0x8000_0000)); $0.put64(at: 16, 31) }
        b.message(type: 321, length: 12) { $0.put32(at: 4, 1007); $0.put8(at: 8, 1); $0.put8(at: 9, 4) }
        b.message(type: 30, length: 32) { $0.put32(at: 4, 700); $0.put64(at: 8, 41); $0.putI32(at: 16, 42); $0.put32(at: 20, 43); $0.put16(at: 24, 1); $0.put8(at: 26, 76); $0.putI32(at: 28, 2) }
        b.message(type: 31, length: 32) { $0.put32(at: 4, 700); $0.put64(at: 8, 41); $0.putI32(at: 16, 44) }
        b.message(type: 32, length: 20) { $0.put32(at: 4, 700); $0.put64(at: 8, 41); $0.put16(at: 16, 2) }
        b.message(type: 50, length: 32) { $0.put32(at: 4, 700); $0.put32(at: 8, 51); $0.putI32(at: 12, 52); $0.put32(at: 16, 53); $0.put16(at: 20, 4); $0.put64(at: 24, 54) }
        b.message(type: 53, length: 36) { $0.put32(at: 4, 700); $0.put8(at: 11, 1); $0.put64(at: 12, 61); $0.putI32(at: 20, 62); $0.put16(at: 28, 1); $0.put8(at: 30, 3) }
        b.message(type: 999, length: 10)  // unknown type, skipped by MsgSize
        b.finish()
        return b.packet
    }

    @Test("every listed OMD-D and OMD-C type decodes into its typed view with its fields")
    func typedViews() throws {
        let bytes = everyType()
        try withView(bytes) { view in
            let packet = try #require(OMDPacket(view))
            #expect(packet.packetSize == bytes.count)
            #expect(packet.messageCount == 23)
            #expect(packet.sequenceNumber == 77)
            #expect(packet.sendTime == 1_767_575_700_123_000_000)
            var decoded: [OMDDecodedMessage] = []
            var messages = packet.messages
            while let m = messages.next() { decoded.append(OMDDecodedMessage(m)) }
            #expect(messages.error == nil)
            #expect(decoded.count == 23)
            var seen = 0
            for d in decoded {
                switch d {
                case .sequenceReset(let m): #expect(m.newSequenceNumber == 5); seen += 1
                case .logon(let m): #expect(m.username == "trader01"); seen += 1
                case .logonResponse(let m): #expect(m.sessionStatus == 5); seen += 1
                case .disasterRecoverySignal(let m): #expect(m.status == 2); seen += 1
                case .retransmissionRequest(let m): #expect(m.channelID == 3 && m.beginSequenceNumber == 10 && m.endSequenceNumber == 20); seen += 1
                case .retransmissionResponse(let m): #expect(m.status == 100 && m.endSequenceNumber == 20); seen += 1
                case .refreshComplete(let m): #expect(m.lastSequenceNumber == 999); seen += 1
                case .addOrder(let m):
                    #expect(m.orderbookID == 1001 && m.orderID == 0xABCDEF && m.price == -5 && m.quantity == 7)
                    #expect(m.side == 1 && m.lotType == 2 && m.orderType == 3 && m.orderBookPosition == 4); seen += 1
                case .modifyOrder(let m): #expect(m.price == 12 && m.quantity == 8 && m.side == 0); seen += 1
                case .deleteOrder(let m): #expect(m.orderID == 0xABCDEF && m.side == 1); seen += 1
                case .orderbookClear(let m): #expect(m.orderbookID == 1002); seen += 1
                case .quoteRequest(let m): #expect(m.numberOfLots == 50 && m.bidAskFlag == 2); seen += 1
                case .trade(let m):
                    #expect(m.orderbookID == 1004 && m.orderID == 11 && m.price == 300 && m.tradeID == 12 && m.comboGroupID == 13)
                    #expect(m.side == 1 && m.dealType == 2 && m.tradeCondition == 3 && m.dealInfo == 4 && m.quantity == 14 && m.tradeTime == 15); seen += 1
                case .aggregateOrderBookUpdate(let m):
                    #expect(m.entryCount == 2 && !m.isTruncated)
                    #expect(m.entry(0)?.aggregateQuantity == 100 && m.entry(0)?.price == 250 && m.entry(0)?.numberOfOrders == 3)
                    #expect(m.entry(0)?.side == 1 && m.entry(0)?.priceLevel == 1 && m.entry(0)?.updateAction == 74)
                    #expect(m.entry(1)?.aggregateQuantity == 200 && m.entry(2) == nil); seen += 1
                case .tradeAmendment(let m): #expect(m.tradeID == 21 && m.comboGroupID == 22 && m.price == 23 && m.quantity == 24 && m.tradeTime == 25 && m.tradeState == 26); seen += 1
                case .calculatedOpeningPrice(let m): #expect(m.price == omdNullInt32 && m.quantity == 31); seen += 1
                case .seriesStatus(let m): #expect(m.suspension == 1 && m.seriesStatus == 4); seen += 1
                case .securitiesAddOrder(let m): #expect(m.securityCode == 700 && m.orderID == 41 && m.price == 42 && m.quantity == 43 && m.side == 1 && m.orderType == 76 && m.orderBookPosition == 2); seen += 1
                case .securitiesModifyOrder(let m): #expect(m.price == 44); seen += 1
                case .securitiesDeleteOrder(let m): #expect(m.side == 2); seen += 1
                case .securitiesTrade(let m): #expect(m.tradeID == 51 && m.price == 52 && m.quantity == 53 && m.tradeType == 4 && m.tradeTime == 54); seen += 1
                case .securitiesAggregateOrderBookUpdate(let m): #expect(m.entry(0)?.aggregateQuantity == 61 && m.entry(0)?.side == 1 && m.entry(0)?.priceLevel == 3); seen += 1
                case .unknown(let m): #expect(m.type == 999 && m.size == 10); seen += 1
                case .short: Issue.record("no message here is short")
                }
            }
            #expect(seen == 23)
        }
    }

    @Test("framing errors: MsgSize 0, message past PktSize, MsgCount mismatch; short known types")
    func framing() throws {
        func packet(_ messages: [(UInt16, Int)], count: UInt8? = nil, patch: ((inout [UInt8]) -> Void)? = nil) -> [UInt8] {
            var b = OMDPacketBuilder()
            b.start(sequenceNumber: 1, sendTime: 0)
            for (type, length) in messages { b.message(type: type, length: length) }
            b.finish()
            var bytes = b.packet
            if let count { bytes[2] = count }
            patch?(&bytes)
            return bytes
        }
        func error(_ bytes: [UInt8]) -> OMDFramingError? {
            withView(bytes) { v in
                var m = OMDPacket(v)!.messages
                while m.next() != nil {}
                return m.error
            }
        }
        #expect(error(packet([(330, 32), (332, 18)])) == nil)
        #expect(error(packet([(330, 32)]) { $0[16] = 0; $0[17] = 0 }) == .messageSizeTooSmall)
        #expect(error(packet([(330, 32)]) { $0[16] = 200 }) == .messageBeyondPacket)
        #expect(error(packet([(330, 32), (332, 18)], count: 3)) == .messageCountMismatch)
        #expect(error(packet([(330, 32), (332, 18)], count: 1)) == .messageCountMismatch)
        // A known type shorter than its layout decodes as .short, and its view refuses it.
        let short = packet([(330, 20)])
        withView(short) { v in
            var m = OMDPacket(v)!.messages
            let message = m.next()!
            if case .short = OMDDecodedMessage(message) {} else { Issue.record("expected .short") }
            #expect(AddOrder(message) == nil)
        }
        #expect(withView([1, 2, 3]) { OMDPacket($0) } == nil)
    }

    @Test("the one-load header walk gives exactly what next() gives: sizes, types, where it stops and why")
    func headerWalkMatchesNext() {
        var random = TestRandom(seed: 0x9E37_79B9_7F4A_7C15)
        for round in 0..<20_000 {
            // Mostly well-framed blocks with the odd bad size, short tail or wrong count.
            var block: [UInt8] = []
            let messages = random(6)
            for _ in 0..<messages {
                let size = random(10) == 0 ? random(6) : 4 + random(40)
                block += [UInt8(size & 0xFF), UInt8(size >> 8), UInt8(random(256)), UInt8(random(3))]
                block += [UInt8](repeating: 0xAB, count: max(0, size - 4))
            }
            if random(4) == 0 { block = Array(block.prefix(random(block.count + 1))) }
            if random(6) == 0 { block += [UInt8](repeating: 1, count: 1 + random(4)) }
            let expected = random(5) == 0 ? random(8) : messages
            block.withUnsafeBytes { raw in
                let view = ByteView(unsafeStart: raw.baseAddress, count: raw.count)
                var byNext = OMDMessages(block: view, expectedCount: expected)
                var byHeader = OMDMessages(block: view, expectedCount: expected)
                var a: [Int] = [], b: [Int] = []
                while let m = byNext.next() { a += [m.size, Int(m.type)] }
                while let h = byHeader.nextHeader() { b += [h.size, Int(h.type)] }
                #expect(a == b, "round \(round)")
                #expect(byNext.error == byHeader.error, "round \(round)")
            }
        }
    }

    @Test("the analyzer's counts equal a plain model built on next(): types, short messages, types ≥ 512, DR signals, resets, framing errors, sequence")
    func analyzerMatchesModel() {
        var random = TestRandom(seed: 0x0123_4567_89AB_CDEF)
        // Types: decoded ones (some rare), unknown ones below 512, and ones ≥ 512.
        let types: [UInt16] = [330, 330, 331, 332, 350, 100, 105, 101, 30, 53, 7, 499, 511, 512, 999, 65535]
        let analyzer = OMDStreamAnalyzer()
        var s = OMDStreamStatistics()
        var model = OMDStreamStatistics()
        // Messages by type in the model: one counter per type below 512, a dictionary from 512 on.
        var modelTypes = [UInt64](repeating: 0, count: 512), modelOthers: [UInt16: UInt64] = [:]
        var sequence: UInt32 = 1
        for round in 0..<5_000 {
            var block: [UInt8] = []
            let count = 1 + random(6)
            for _ in 0..<count {
                let type = types[random(types.count)]
                let minimum = OMDMessageType.minimumSize(type) ?? 4
                // Mostly full-size messages; some shorter than their layout; the odd bad MsgSize.
                let size = random(12) == 0 ? random(5) : random(5) == 0 ? max(4, minimum - 1 - random(4)) : minimum + random(8)
                var message = [UInt8(size & 0xFF), UInt8(size >> 8), UInt8(type & 0xFF), UInt8(type >> 8)]
                message += [UInt8](repeating: 0, count: max(0, size - 4))
                if message.count >= 8 { message[4] = UInt8(random(256)); message[5] = UInt8(random(4)) }  // NewSeqNo / DR status
                block += message
            }
            if random(8) == 0 { block = Array(block.prefix(random(block.count + 1))) }
            let messageCount = random(10) == 0 ? random(8) : count
            var packet = [UInt8](repeating: 0, count: 16)
            let packetSize = 16 + block.count
            packet[0] = UInt8(packetSize & 0xFF); packet[1] = UInt8(packetSize >> 8)
            packet[2] = UInt8(messageCount)
            withUnsafeBytes(of: sequence.littleEndian) { packet.replaceSubrange(4..<8, with: $0) }
            packet += block
            sequence &+= UInt32(random(4) == 0 ? random(3) : messageCount)
            withView(packet) { analyzer.process($0, declaredLength: packet.count, timestamp: Int64(round), into: &s) }

            // The model: every message through next(), counted the plain way.
            model.packets += 1
            model.firstSendTime = model.firstSendTime ?? 0
            let first = UInt32(littleEndian: packet.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 4, as: UInt32.self) })
            if messageCount == 0 {  // a heartbeat: no messages; anything after the header is a count mismatch
                if packetSize != 16 { model.errors.messageCountMismatch += 1 }
                model.sequence.observe(sequenceNumber: first, messageCount: 0, timestamp: Int64(round))
                continue
            }
            withView(block) { view in
                var messages = OMDMessages(block: view, expectedCount: messageCount)
                var reset: (UInt32, Int)?
                var index = 0
                while let message = messages.next() {
                    index += 1
                    let type = message.type
                    if type >= 512 { modelOthers[type, default: 0] += 1; continue }
                    modelTypes[Int(type)] += 1
                    if message.size < OMDMessageType.minimumSize(type) ?? 4 { model.errors.shortMessage += 1; continue }
                    if let r = SequenceReset(message) { reset = (r.newSequenceNumber, messageCount - index) }
                    if let dr = DisasterRecoverySignal(message) { model.disasterRecoverySignals.append(dr.status) }
                }
                switch messages.error {
                case .messageSizeTooSmall: model.errors.messageSizeTooSmall += 1
                case .messageBeyondPacket: model.errors.messageBeyondPacket += 1
                case .messageCountMismatch: model.errors.messageCountMismatch += 1
                case nil: break
                }
                model.sequence.observe(sequenceNumber: first, messageCount: messageCount,
                                       reset: reset.map { ($0.0, $0.1) }, timestamp: Int64(round))
            }
        }
        #expect(s.packets == model.packets)
        for t in 0..<512 { #expect(s.typeCounts[t] == modelTypes[t], "type \(t)") }
        #expect(s.otherTypeCounts == modelOthers)
        #expect(s.errors == model.errors)
        #expect(s.errors.shortMessage > 100 && s.errors.total > s.errors.shortMessage)
        #expect(s.disasterRecoverySignals == model.disasterRecoverySignals)
        #expect(s.sequence.statistics == model.sequence.statistics)
        #expect(s.sequence.statistics.resets > 100)
        #expect(s.sequence.expected == model.sequence.expected)
    }

    @Test("compressed OMD-D packets inflate; a corrupt block is counted, not fatal")
    func compressed() {
        var b = OMDPacketBuilder()
        b.start(sequenceNumber: 10, sendTime: 0)
        for i in 0..<20 { b.message(type: 330, length: 32) { $0.put64(at: 8, UInt64(i)) } }
        b.finish()
        b.compressMessageBlock { ZlibInflater.deflate($0) }
        let bytes = b.packet
        #expect(bytes[3] == 1)
        #expect(bytes.count < 16 + 20 * 32)
        let analyzer = OMDStreamAnalyzer()
        var s = OMDStreamStatistics()
        withView(bytes) { analyzer.process($0, declaredLength: bytes.count, timestamp: 0, into: &s) }
        #expect(s.compressedPackets == 1)
        #expect(s.typeCounts[330] == 20)
        #expect(s.errors.total == 0)
        #expect(s.sequence.expected == 30)
        var corrupt = bytes
        corrupt[20] ^= 0xff
        corrupt[21] ^= 0xff
        withView(corrupt) { analyzer.process($0, declaredLength: corrupt.count, timestamp: 0, into: &s) }
        #expect(s.errors.decompressionFailed == 1)
    }

    @Test("the analyzer counts malformed packets and unknown types without stopping")
    func analyzerErrors() {
        let analyzer = OMDStreamAnalyzer()
        var s = OMDStreamStatistics()
        var b = OMDPacketBuilder()
        b.start(sequenceNumber: 1, sendTime: 0)
        b.message(type: 330, length: 32)
        b.message(type: 999, length: 12)
        b.message(type: 600, length: 8)
        b.message(type: 332, length: 10)  // shorter than its 18-byte layout
        b.finish()
        let good = b.packet
        withView(good) { analyzer.process($0, declaredLength: good.count, timestamp: 0, into: &s) }
        withView(good) { analyzer.process($0, declaredLength: good.count + 4, timestamp: 0, into: &s) }  // PktSize ≠ UDP length
        withView([1, 2, 3, 4]) { analyzer.process($0, declaredLength: 4, timestamp: 0, into: &s) }
        #expect(s.errors.shortMessage == 2)
        #expect(s.errors.packetSizeMismatch == 1)
        #expect(s.errors.truncatedHeader == 1)
        #expect(s.unknownTypeCounts.map(\.type) == [600, 999])
        #expect(s.unknownMessages == 4)
        #expect(s.knownTypeCounts.first { $0.type == 330 }?.count == 2)
    }
}

@Suite("Messages numbered by the OMD sequence rules")
struct SequencedMessagesTests {
    @Test("numbered from the packet's SeqNum; a Sequence Reset followed by messages takes NewSeqNo and they follow it; a DR Signal is numbered and flagged")
    func numbering() throws {
        var b = OMDPacketBuilder()
        b.start(sequenceNumber: 500, sendTime: 0)
        b.message(type: 330, length: 32) { $0.put32(at: 4, 1) }
        b.message(type: 105, length: 8) { $0.put32(at: 4, 1) }
        b.message(type: 100, length: 8) { $0.put32(at: 4, 1) }
        b.message(type: 330, length: 32) { $0.put32(at: 4, 2) }
        b.message(type: 331, length: 32) { $0.put32(at: 4, 3) }
        b.finish()
        let items = try withView(b.packet) { view -> [(UInt16, UInt32, SequencedMessage.Control)] in
            let p = try #require(OMDPacket(view))
            return Array(SequencedMessages(p)).map { ($0.message.type, $0.sequence, $0.control) }
        }
        #expect(items.map(\.0) == [330, 105, 100, 330, 331])
        #expect(items.map(\.1) == [500, 501, 2, 2, 3])
        #expect(items.map(\.2) == [.none, .disasterRecovery(status: 1), .reset(newSequence: 1), .none, .none])
    }
}

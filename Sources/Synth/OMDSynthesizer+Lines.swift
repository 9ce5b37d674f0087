import Vocabulary
import Capture
import MarketData

extension OMDSynthesizer {
    /// Numbers the event's messages and packetises them on every line.
    mutating func distribute(channel ch: Int, at t: Int64) {
        let first = channels[ch].nextSequence
        channels[ch].nextSequence &+= UInt32(eventMessages.count)
        summary.messagesPerChannel[ch] += eventMessages.count
        for li in lines.indices {
            if lines[li][ch].line == .a {
                packLineA(li, ch, at: t, firstSequence: first)
            } else {
                packLineB(li, ch, at: t, firstSequence: first)
            }
        }
    }

    /// Line A: the event's messages in as few packets as fit the payload limit.
    mutating func packLineA(_ li: Int, _ ch: Int, at t: Int64, firstSequence: UInt32) {
        var sequence = firstSequence
        var index = 0
        var time = t + 2_000 + Int64(rng.int(0...1_000))
        while index < eventMessages.count {
            scratch.start(sequenceNumber: sequence, sendTime: sendTime(time))
            while index < eventMessages.count,
                  scratch.size + eventMessages[index].length <= configuration.maximumPayload || scratch.messageCount == 0 {
                let m = eventMessages[index]
                scratch.appendEncoded(event.storage, range: m.offset..<(m.offset + m.length))
                index += 1
            }
            scratch.finish()
            emit(li, ch, at: time, packet: scratch, data: true, firstSequence: sequence)
            sequence &+= UInt32(scratch.messageCount)
            time += 150
        }
    }

    /// Line B: at most 4 messages or 600 bytes a packet; an event less than 10 µs after the open
    /// packet's first message joins it.
    mutating func packLineB(_ li: Int, _ ch: Int, at t: Int64, firstSequence: UInt32) {
        if lines[li][ch].open != nil && t - lines[li][ch].openFirstTime > 10_000 { flushOpen(li, ch) }
        var sequence = firstSequence
        for index in eventMessages.indices {
            if lines[li][ch].open == nil {
                var builder = OMDPacketBuilder(maximumSize: 2048)
                builder.start(sequenceNumber: sequence, sendTime: sendTime(t))
                lines[li][ch].open = builder
                lines[li][ch].openFirstTime = t
            }
            let m = eventMessages[index]
            lines[li][ch].open!.appendEncoded(event.storage, range: m.offset..<(m.offset + m.length))
            lines[li][ch].openLastTime = t
            sequence &+= 1
            let open = lines[li][ch].open!
            if open.messageCount >= 4 || open.size > 600 { flushOpen(li, ch) }
        }
    }

    mutating func flushOpen(_ li: Int, _ ch: Int) {
        guard var open = lines[li][ch].open else { return }
        lines[li][ch].open = nil
        open.finish()
        let time = lines[li][ch].openLastTime + configuration.lineBLag + Int64(rng.int(0...10_000))
        let first = open.storage.withUnsafeBytes { $0.load(fromByteOffset: 4, as: UInt32.self) }
        emit(li, ch, at: time, packet: open, data: true, firstSequence: UInt32(littleEndian: first))
    }

    /// Sends one OMD packet on a line at `time`, applying that line's faults, into the write heap.
    mutating func emit(_ li: Int, _ ch: Int, at requested: Int64, packet: OMDPacketBuilder, data: Bool, firstSequence: UInt32?) {
        let summaryIndex = li * configuration.channels + ch
        var time = requested
        activateFaults(li, ch, at: time)
        lines[li][ch].lastActivity = max(lines[li][ch].lastActivity, time)
        let messages = packet.messageCount
        if data, let firstSequence { lines[li][ch].lastSentSequence = firstSequence &+ UInt32(messages) &- 1 }
        if time >= lines[li][ch].pauseFrom && time < lines[li][ch].pauseUntil {
            guard data else { return }
            time = lines[li][ch].pauseUntil + lines[li][ch].pausedCount * 100
            lines[li][ch].pausedCount += 1
            summary.lines[summaryIndex].pausedPackets += 1
        }
        if time > lines[li][ch].lagFrom {
            // Falling behind steadily: the delay grows with the time since the lag began.
            let elapsed = Double(time - lines[li][ch].lagFrom)
            time += Int64(elapsed * Double(lines[li][ch].lagPerSecond) / 1e9)
        }
        if data && lines[li][ch].gapRemaining > 0 {
            lines[li][ch].gapRemaining -= 1
            summary.lines[summaryIndex].droppedPackets += 1
            summary.lines[summaryIndex].droppedMessages += messages
            return
        }
        time = max(time, lines[li][ch].lastEmit + 100)
        let (slot, length) = frame(li, ch, packet)
        count(summaryIndex, packet, data: data, copies: 1)
        if data && lines[li][ch].reorderRemaining > 0 && lines[li][ch].held == nil {
            lines[li][ch].reorderRemaining -= 1
            lines[li][ch].held = (slot, length)
            summary.lines[summaryIndex].reorderedPackets += 1
            lines[li][ch].lastEmit = time
            return
        }
        heap.push(slot: slot, timestamp: time, length: length)
        lines[li][ch].lastEmit = time
        if data && lines[li][ch].recentCapacity > 0 { remember(li, ch, slot: slot, length: length) }
        if let held = lines[li][ch].held {
            heap.push(slot: held.slot, timestamp: time + 100, length: held.length)
            lines[li][ch].lastEmit = time + 100
            lines[li][ch].held = nil
        }
        if data && lines[li][ch].dupRemaining > 0 {
            lines[li][ch].dupRemaining -= 1
            let copy = heap.allocate()
            let from = Int(slot) * PacketHeap.slotSize, to = Int(copy) * PacketHeap.slotSize
            for i in 0..<length { heap.pool[to + i] = heap.pool[from + i] }
            let at = lines[li][ch].lastEmit + 200
            heap.push(slot: copy, timestamp: at, length: length)
            lines[li][ch].lastEmit = at
            summary.lines[summaryIndex].duplicatedPackets += 1
            count(summaryIndex, packet, data: data, copies: 1)
        }
    }

    mutating func count(_ index: Int, _ packet: OMDPacketBuilder, data: Bool, copies: Int) {
        summary.lines[index].packets += copies
        if data {
            summary.lines[index].dataPackets += copies
            summary.lines[index].messages += packet.messageCount * copies
            var offset = OMDPacket.headerSize
            for _ in 0..<packet.messageCount {
                let size = Int(packet.storage[offset]) | Int(packet.storage[offset + 1]) << 8
                let type = Int(packet.storage[offset + 2]) | Int(packet.storage[offset + 3]) << 8
                if type < 512 { typeCounts[index][type] += copies }
                offset += size
            }
            if configuration.compress && packet.messageCount >= 2 { summary.lines[index].compressedPackets += copies }
        } else {
            summary.lines[index].heartbeats += copies
        }
    }

    mutating func activateFaults(_ li: Int, _ ch: Int, at time: Int64) {
        while let fault = lines[li][ch].pending.first, configuration.start + fault.at <= time {
            lines[li][ch].pending.removeFirst()
            switch fault.kind {
            case .gap: lines[li][ch].gapRemaining += fault.amount
            case .dup: lines[li][ch].dupRemaining += fault.amount
            case .reorder: lines[li][ch].reorderRemaining += fault.amount
            case .lag:
                lines[li][ch].lagFrom = configuration.start + fault.at
                lines[li][ch].lagPerSecond = fault.amount
            case .burst: replayRecent(li, ch, packets: Int(fault.amount))
            case .pause:
                lines[li][ch].pauseFrom = configuration.start + fault.at
                lines[li][ch].pauseUntil = configuration.start + fault.at + fault.amount
                lines[li][ch].pausedCount = 0
            }
        }
    }

    /// Keeps a copy of a data frame for a later duplicate burst.
    mutating func remember(_ li: Int, _ ch: Int, slot: Int32, length: Int) {
        let capacity = lines[li][ch].recentCapacity
        let index = lines[li][ch].recentCount % capacity
        let from = Int(slot) * PacketHeap.slotSize, to = index * PacketHeap.slotSize
        for i in 0..<length { lines[li][ch].recent[to + i] = heap.pool[from + i] }
        lines[li][ch].recentLengths[index] = length
        lines[li][ch].recentCount += 1
    }

    /// A duplicate burst: the last `packets` data frames sent again, oldest first, 1 µs apart.
    mutating func replayRecent(_ li: Int, _ ch: Int, packets: Int) {
        let capacity = lines[li][ch].recentCapacity
        let available = min(lines[li][ch].recentCount, capacity, packets)
        let summaryIndex = li * configuration.channels + ch
        var at = lines[li][ch].lastEmit + 1_000
        for k in 0..<available {
            let index = (lines[li][ch].recentCount - available + k) % capacity
            let length = lines[li][ch].recentLengths[index]
            let copy = heap.allocate()
            let from = index * PacketHeap.slotSize, to = Int(copy) * PacketHeap.slotSize
            for i in 0..<length { heap.pool[to + i] = lines[li][ch].recent[from + i] }
            heap.push(slot: copy, timestamp: at, length: length)
            lines[li][ch].lastEmit = at
            at += 1_000
            summary.lines[summaryIndex].duplicatedPackets += 1
            summary.lines[summaryIndex].packets += 1
            summary.lines[summaryIndex].dataPackets += 1
        }
    }

    /// A feed-wide failover event on every line of the event's channels.
    mutating func failover(_ failover: SynthEvent, end: Bool, at t: Int64) {
        let affected = failover.channel.map { [$0] } ?? Array(0..<configuration.channels)
        for ch in affected {
            for li in lines.indices { flushOpen(li, ch) }
            event.start(sequenceNumber: 0, sendTime: 0)
            eventMessages.removeAll(keepingCapacity: true)
            switch failover.kind {
            case .reset:
                append(type: OMDMessageType.sequenceReset, length: 8) { $0.put32(at: 4, 1) }
            case .dr:
                append(type: OMDMessageType.disasterRecoverySignal, length: 8) { $0.put32(at: 4, end ? 2 : 1) }
            }
            distribute(channel: ch, at: t)
            for li in lines.indices { flushOpen(li, ch) }
            switch failover.kind {
            case .reset:
                // The reset's own SN is ignored; the next message is SN 1.
                channels[ch].nextSequence = 1
                for li in lines.indices { lines[li][ch].lastSentSequence = 0 }
            case .dr where !end:
                // Both lines silent until the site is back (no heartbeats either).
                for li in lines.indices {
                    lines[li][ch].pauseFrom = t + 200_000
                    lines[li][ch].pauseUntil = t + failover.duration
                    lines[li][ch].pausedCount = 0
                }
            case .dr:
                break
            }
        }
    }

    /// Writes Ethernet (+ optional 802.1Q) / IPv4 / UDP / OMD into a heap slot; returns (slot, length).
    mutating func frame(_ li: Int, _ ch: Int, _ packet: OMDPacketBuilder) -> (Int32, Int) {
        var payload = packet
        if configuration.compress && packet.messageCount >= 2 {
            payload.compressMessageBlock { ZlibInflater.deflate($0) }
        }
        let slot = heap.allocate()
        let base = Int(slot) * PacketHeap.slotSize
        let destination = lines[li][ch].destination
        let source = lines[li][ch].source
        let vlan = configuration.vlan
        let ethernetLength = vlan == nil ? 14 : 18
        let udpLength = 8 + payload.size
        let ipLength = 20 + udpLength
        let total = ethernetLength + ipLength
        lines[li][ch].ipID &+= 1
        let ipID = lines[li][ch].ipID
        let sourcePort = configuration.sourcePort &+ UInt16(ch)
        heap.pool.withUnsafeMutableBytes { pool in
            let p = UnsafeMutableRawBufferPointer(rebasing: pool[base..<(base + total)])
            let group = destination.address.v4
            // 01:00:5e + low 23 bits of the group.
            let mac: [UInt8] = [0x01, 0x00, 0x5e, UInt8((group >> 16) & 0x7f), UInt8((group >> 8) & 0xff), UInt8(group & 0xff)]
            for i in 0..<6 { p[i] = mac[i] }
            let sourceMAC: [UInt8] = [0x02, 0x00, 0x0a, 0x00, li == 0 ? 0x0a : 0x0b, UInt8(ch & 0xff)]
            for i in 0..<6 { p[6 + i] = sourceMAC[i] }
            var o = 12
            if let vlan {
                p.storeBytes(of: UInt16(0x8100).bigEndian, toByteOffset: 12, as: UInt16.self)
                p.storeBytes(of: (vlan & 0x0fff).bigEndian, toByteOffset: 14, as: UInt16.self)
                o = 16
            }
            p.storeBytes(of: UInt16(0x0800).bigEndian, toByteOffset: o, as: UInt16.self)
            let ip = o + 2
            let header: [UInt16] = [0x4500, UInt16(ipLength), ipID, 0x4000, 0x1011, 0,
                                    UInt16(source.v4 >> 16), UInt16(source.v4 & 0xffff),
                                    UInt16(group >> 16), UInt16(group & 0xffff)]
            var sum: UInt32 = 0
            for word in header { sum += UInt32(word) }
            while sum > 0xffff { sum = (sum & 0xffff) + (sum >> 16) }
            for (i, word) in header.enumerated() {
                p.storeBytes(of: (i == 5 ? ~UInt16(sum) : word).bigEndian, toByteOffset: ip + 2 * i, as: UInt16.self)
            }
            let udp = ip + 20
            p.storeBytes(of: sourcePort.bigEndian, toByteOffset: udp, as: UInt16.self)
            p.storeBytes(of: destination.port.bigEndian, toByteOffset: udp + 2, as: UInt16.self)
            p.storeBytes(of: UInt16(udpLength).bigEndian, toByteOffset: udp + 4, as: UInt16.self)
            p.storeBytes(of: UInt16(0), toByteOffset: udp + 6, as: UInt16.self)
            payload.storage.withUnsafeBytes { src in
                UnsafeMutableRawBufferPointer(rebasing: p[(udp + 8)...]).copyMemory(from: UnsafeRawBufferPointer(rebasing: src[0..<payload.size]))
            }
        }
        return (slot, total)
    }
}

import Vocabulary
import Capture
import MarketData
import Synchronization
import Transport

/// Counters of a simulator run.
public struct FeedSimulatorStatistics: Sendable, Codable, Equatable {
    public var packetsIn: UInt64 = 0
    public var messagesIn: UInt64 = 0
    public var heartbeatsIn: UInt64 = 0
    public var garbageIn: UInt64 = 0
    public var packetsOut: UInt64 = 0
    public var messagesOut: UInt64 = 0
    public var droppedPackets: UInt64 = 0
    public var droppedMessages: UInt64 = 0
    public var duplicatedPackets: UInt64 = 0
    public var duplicatedMessages: UInt64 = 0
    public var reorderedPackets: UInt64 = 0
    public var queueOverflows: UInt64 = 0
    public var sendErrors: UInt64 = 0
    public var maximumQueue: Int = 0
    /// The retransmission service's counters, when one ran (`sim feed --rts`).
    public var retransmission: RetransmissionServerStatistics?
}

/// A reference market-data platform for demos and tests: receives OMD packets on N channel endpoints
/// and republishes their messages, each after a delay drawn from its profile behind a single-server
/// queue with the profile's service time, to the matching publish endpoint (channel i → publish port
/// + i). Sequence numbers are kept (the platform's channel sequence), SendTime is the publish time.
/// `@unchecked Sendable`: its mutable state (random state, sockets' buffers) is touched only by the thread in `run()`; other threads only call `stop()`, an atomic flag.
public final class FeedSimulator: @unchecked Sendable {
    public let profile: FeedProfile
    public let faults: FeedFaults
    let receiver: UDPReceiver
    let senders: [UDPSender]
    let stopFlag = Atomic<Bool>(false)
    var random: UInt64

    /// A queued message: where its bytes are, its channel and sequence number, when it may go out.
    struct Queued {
        var offset: Int
        var length: Int
        var channel: Int
        var sequence: UInt32
        var release: Int64
        /// Last message of its input packet (the packet boundary when not re-packetising).
        var endsPacket: Bool
        /// A whole datagram relayed unchanged (``relay``).
        var raw = false
    }

    /// Relay mode: every datagram, whatever its protocol (another venue's feed), is republished
    /// unchanged after the profile's delay and service time; the faults apply per datagram.
    public let relay: Bool
    /// Every message published (before the faults: what the platform sent, not what arrived) is
    /// handed to this retransmission service, when there is one. Set before ``run(duration:)``.
    public var retransmission: RetransmissionFeed?

    public init(listen: [Endpoint], publish: [Endpoint], profile: FeedProfile, faults: FeedFaults = FeedFaults(),
                receiverOptions: ReceiverOptions = ReceiverOptions(), senderOptions: SenderOptions = SenderOptions(),
                seed: UInt64 = 1, relay: Bool = false) throws(TransportError) {
        precondition(listen.count == publish.count, "one publish endpoint per listen endpoint")
        self.profile = profile
        self.relay = relay
        self.faults = faults
        receiver = try UDPReceiver(endpoints: listen, options: receiverOptions)
        var senders: [UDPSender] = []
        for p in publish { senders.append(try UDPSender(target: p, options: senderOptions)) }
        self.senders = senders
        random = seed | 1
    }

    /// Ports actually bound for listening.
    public var listenPorts: [UInt16] { receiver.boundPorts }
    public func stop() { stopFlag.store(true, ordering: .relaxed) }

    @inline(__always)
    func unit() -> Double {
        random ^= random << 13; random ^= random >> 7; random ^= random << 17
        return Double(random >> 11) * 0x1.0p-53
    }

    /// Runs until `stop()` (or `duration` ns). Returns its counters.
    public func run(duration: Int64? = nil) -> FeedSimulatorStatistics {
        var stats = FeedSimulatorStatistics()
        let arenaSize = 32 << 20
        var arena = [UInt8](repeating: 0, count: arenaSize)
        var arenaHead = 0
        var queue: [Queued] = []
        queue.reserveCapacity(1 << 16)
        var queueStart = 0
        var serverFree: Int64 = 0
        var lastRelease: Int64 = 0
        var builders = senders.map { _ in OMDPacketBuilder(maximumSize: max(64, profile.maximumPayload)) }
        var building = Array(repeating: false, count: senders.count)
        // Packets carrying a Sequence Reset or DR Signal are session control: faults spare them, so the
        // fault counters match what a receiver can observe (a lost reset is not a lost message).
        var control = Array(repeating: false, count: senders.count)
        // Per channel: the SN of the first message in the packet being built (for `dropSequences`).
        var firstSequence = Array(repeating: UInt32(0), count: senders.count)
        var lastSequence = Array(repeating: UInt32(0), count: senders.count)
        var held: [(Int, [UInt8])] = []   // reordered packets waiting for the next one
        // Gap drills: messages still to drop per channel, and when the next gap starts.
        var gapLeft = Array(repeating: 0, count: senders.count)
        var nextGap = Int64.max
        let inflater = ZlibInflater()
        let start = Clock.monotonic()
        var firstArrival: Int64?

        /// Sends a finished packet through the faults. `spared`: the packet carries session control
        /// (a Sequence Reset or DR Signal), which no fault touches. The caller says so for the packet it
        /// hands over; a heartbeat answered in between must not take a built packet's exemption.
        func send(_ channel: Int, _ builder: inout OMDPacketBuilder, spared: Bool, first: UInt32) {
            builder.finish()
            stats.packetsOut &+= 1
            stats.messagesOut &+= UInt64(builder.messageCount)
            let chosen = !faults.dropSequences.isEmpty && builder.messageCount > 0 && faults.dropSequences.contains(first)
            if faults.gapMessages > 0, !spared, builder.messageCount > 0 {
                if nextGap == .max, let first = firstArrival { nextGap = first + faults.gapEvery }
                let now = Clock.monotonic()
                if now >= nextGap {
                    for c in gapLeft.indices { gapLeft[c] = faults.gapMessages }
                    nextGap = now + faults.gapEvery
                }
            }
            let inGap = !spared && gapLeft[channel] > 0 && builder.messageCount > 0
            if inGap { gapLeft[channel] -= builder.messageCount }
            if !spared, inGap || chosen || (faults.dropRate > 0 && unit() < faults.dropRate) {
                stats.droppedPackets &+= 1
                stats.droppedMessages &+= UInt64(builder.messageCount)
                return
            }
            if !spared, faults.reorderRate > 0, held.isEmpty, unit() < faults.reorderRate {
                held.append((channel, builder.packet))
                stats.reorderedPackets &+= 1
                return
            }
            let copies = !spared && faults.duplicateRate > 0 && unit() < faults.duplicateRate ? 2 : 1
            if copies == 2 { stats.duplicatedPackets &+= 1; stats.duplicatedMessages &+= UInt64(builder.messageCount) }
            for _ in 0..<copies {
                let size = builder.size
                let r = builder.storage.withUnsafeBytes { senders[channel].send(bytes: UnsafeRawBufferPointer(rebasing: $0[0..<size])) }
                if r < 1 { stats.sendErrors &+= 1 }
            }
            sendHeld()
        }

        /// Sends a relayed datagram through the faults (drop, reorder, duplicate; per datagram).
        func sendRaw(_ channel: Int, _ range: Range<Int>) {
            stats.packetsOut &+= 1
            stats.messagesOut &+= 1
            if faults.dropRate > 0 && unit() < faults.dropRate {
                stats.droppedPackets &+= 1
                stats.droppedMessages &+= 1
                return
            }
            if faults.reorderRate > 0, held.isEmpty, unit() < faults.reorderRate {
                held.append((channel, Array(arena[range])))
                stats.reorderedPackets &+= 1
                return
            }
            let copies = faults.duplicateRate > 0 && unit() < faults.duplicateRate ? 2 : 1
            if copies == 2 { stats.duplicatedPackets &+= 1; stats.duplicatedMessages &+= 1 }
            for _ in 0..<copies {
                let r = arena.withUnsafeBytes { senders[channel].send(bytes: UnsafeRawBufferPointer(rebasing: $0[range])) }
                if r < 1 { stats.sendErrors &+= 1 }
            }
            sendHeld()
        }

        func sendHeld() {
            for (c, bytes) in held { if senders[c].send(bytes) < 1 { stats.sendErrors &+= 1 } }
            held.removeAll(keepingCapacity: true)
        }

        /// Sends the packet being built on `channel` with its own control exemption.
        func sendBuilt(_ channel: Int) {
            send(channel, &builders[channel], spared: control[channel], first: firstSequence[channel])
            control[channel] = false
            building[channel] = false
        }

        func publishReady(_ now: Int64) {
            if let at = faults.pauseAt, let first = firstArrival, now >= first + at, now < first + at + faults.pauseFor { return }
            var touched = false
            while queueStart < queue.count, queue[queueStart].release <= now {
                let m = queue[queueStart]
                queueStart += 1
                if m.raw {
                    sendRaw(m.channel, m.offset..<(m.offset + m.length))
                    continue
                }
                touched = true
                if !building[m.channel] || !builders[m.channel].canAppend(m.length, limit: profile.maximumPayload) {
                    if building[m.channel] { sendBuilt(m.channel) }
                    builders[m.channel].start(sequenceNumber: m.sequence, sendTime: UInt64(Clock.realtime()))
                    firstSequence[m.channel] = m.sequence
                    building[m.channel] = true
                }
                builders[m.channel].appendEncoded(arena, range: m.offset..<(m.offset + m.length))
                if let retransmission {
                    arena.withUnsafeBytes {
                        retransmission.record(channel: m.channel, sequence: m.sequence, bytes: UnsafeRawBufferPointer(rebasing: $0[m.offset..<(m.offset + m.length)]))
                    }
                }
                var endsWithReset = false
                if m.length >= 4 {
                    let type = UInt16(arena[m.offset + 2]) | UInt16(arena[m.offset + 3]) << 8
                    if type == OMDMessageType.sequenceReset || type == OMDMessageType.disasterRecoverySignal { control[m.channel] = true }
                    endsWithReset = type == OMDMessageType.sequenceReset
                }
                lastSequence[m.channel] = m.sequence
                // A re-packetising publisher ends a packet with its Sequence Reset: messages after a reset
                // in the same packet would take the SNs after NewSeqNo (docs/formats/omd.md).
                if (m.endsPacket && !profile.repacketise) || (endsWithReset && profile.repacketise) { sendBuilt(m.channel) }
            }
            if touched && profile.repacketise {
                for c in building.indices where building[c] { sendBuilt(c) }
            }
            if queueStart == queue.count { queue.removeAll(keepingCapacity: true); queueStart = 0 }
            else if queueStart > 1 << 15 { queue.removeFirst(queueStart); queueStart = 0 }
        }

        while !stopFlag.load(ordering: .relaxed) {
            let now = Clock.monotonic()
            if let duration, now - start >= duration { break }
            publishReady(now)
            // Block until input arrives or the next message is due (never spin: the platform under test
            // shares the machine with the sender and receivers).
            let pending = queueStart < queue.count
            let wait = pending ? min(max(queue[queueStart].release - now, 0), 10_000_000) : 10_000_000
            let n: Int
            do { n = try receiver.receive(timeoutNanoseconds: wait) } catch { break }
            if n == 0 { continue }
            let arrival = Clock.monotonic()
            if firstArrival == nil { firstArrival = arrival }
            for i in 0..<n {
                if relay {
                    guard let d = receiver.datagram(at: i), d.endpointIndex < senders.count, !d.truncated, d.payload.count > 0 else {
                        stats.garbageIn &+= 1
                        continue
                    }
                    stats.packetsIn &+= 1
                    stats.messagesIn &+= 1
                    if queue.count - queueStart >= profile.queueLimit { stats.queueOverflows &+= 1; continue }
                    if arenaHead + d.payload.count > arenaSize { arenaHead = 0 }
                    let offset = arenaHead
                    arena.withUnsafeMutableBytes { dst in
                        for k in 0..<d.payload.count { dst[offset + k] = d.payload.getUInt8(at: k)! }
                    }
                    arenaHead += d.payload.count
                    serverFree = max(serverFree, arrival) + profile.serviceTime
                    let release = max(lastRelease, serverFree + profile.delay.draw(unit(), unit()))
                    lastRelease = release
                    queue.append(Queued(offset: offset, length: d.payload.count, channel: d.endpointIndex, sequence: 0, release: release,
                                        endsPacket: true, raw: true))
                    continue
                }
                guard let d = receiver.datagram(at: i), d.endpointIndex < senders.count,
                      let packet = OMDPacket(d.payload), packet.packetSize == d.length, !d.truncated else {
                    stats.garbageIn &+= 1
                    continue
                }
                let channel = d.endpointIndex
                stats.packetsIn &+= 1
                if packet.isHeartbeat {
                    stats.heartbeatsIn &+= 1
                    var hb = OMDPacketBuilder(maximumSize: 16)
                    hb.start(sequenceNumber: packet.sequenceNumber, sendTime: UInt64(Clock.realtime()))
                    send(channel, &hb, spared: false, first: packet.sequenceNumber)
                    continue
                }
                var block = packet.messageBlock
                if packet.isCompressed {
                    guard let inflated = inflater.inflate(block) else { stats.garbageIn &+= 1; continue }
                    block = inflated
                }
                // Numbered by the OMD rules (a Sequence Reset renumbers what follows it), so a packet
                // the platform cuts or merges starts with its first message's true SN.
                var messages = SequencedMessages(messages: OMDMessages(block: block, expectedCount: packet.messageCount),
                                                 sequenceNumber: packet.sequenceNumber)
                var index = 0
                while let s = messages.next() {
                    let m = s.message
                    index += 1
                    stats.messagesIn &+= 1
                    if queue.count - queueStart >= profile.queueLimit { stats.queueOverflows &+= 1; continue }
                    if arenaHead + m.size > arenaSize { arenaHead = 0 }
                    let offset = arenaHead
                    arena.withUnsafeMutableBytes { dst in
                        for k in 0..<m.size { dst[offset + k] = m.bytes.getUInt8(at: k)! }
                    }
                    arenaHead += m.size
                    serverFree = max(serverFree, arrival) + profile.serviceTime
                    let release = max(lastRelease, serverFree + profile.delay.draw(unit(), unit()))
                    lastRelease = release
                    queue.append(Queued(offset: offset, length: m.size, channel: channel, sequence: s.sequence, release: release,
                                        endsPacket: index == packet.messageCount))
                }
                if messages.error != nil { stats.garbageIn &+= 1 }
            }
            stats.maximumQueue = max(stats.maximumQueue, queue.count - queueStart)
        }
        // Whatever is still queued goes out now (a clean shutdown publishes its backlog), and a packet
        // held back for reordering is not lost by stopping.
        publishReady(.max)
        sendHeld()
        return stats
    }
}

extension OMDPacketBuilder {
    /// Whether a message of `length` bytes still fits under `limit`.
    func canAppend(_ length: Int, limit: Int) -> Bool { room(limit: limit) >= length }
}

import Vocabulary
import Capture
import MarketData

/// Every sequenced message a replay will send, per channel (plan stream), keyed by sequence number,
/// with its scheduled send time (ns after the run's anchor): what a receiver matches its messages
/// against. Each stream's feed protocol is decided on its first datagrams (``FeedProtocolDetector``).
/// OMD messages are numbered by the OMD rules (``SequencedMessages``): a Sequence Reset (100) is
/// session control, not a message of the sequence — its own SN is ignored and it renumbers what
/// follows — so it is neither expected nor, on receipt, counted (the SN it carries belongs to the
/// next message). Other protocols' units are numbered as their headers say (``FeedProtocol/forEachSequenced(_:_:_:)``:
/// messages, or packets for CME MDP 3.0), on the low 32 bits.
/// Built before the run from the same schedule the player uses, so latency is measured from the
/// *scheduled* send time (coordinated-omission correct) without the sender recording anything.
public struct ExpectedMessages: Sendable {
    /// Per channel: first sequence number and the scheduled offset of each number from it (`.min`
    /// where the capture has no such message).
    public private(set) var bases: [UInt32]
    var offsets: [[Int64]]
    /// Per channel and sequence-number slot: the index of the packet (in plan order) that sends it,
    /// to find its actual send time in ``SendTimes``.
    var packetIndices: [[UInt32]]
    /// Per channel: (packet index, messages) of each packet sent, to count what was sent when a run stops early.
    var packets: [[(index: UInt32, messages: UInt16)]]
    public private(set) var totalMessages: UInt64 = 0
    /// Per channel: its feed protocol (nil: none recognised, nothing expected).
    public private(set) var protocols: [FeedProtocol?] = []
    /// The schedule span the run's intervals slice (ns; 0: the last expected message's offset + 1).
    /// A shard's is the whole replay's, so that every shard slices the same intervals.
    public var sliceSpan: Int64 = 0

    /// Calls `body` with the sequence number of each unit `payload` sends in protocol `p` (Sequence
    /// Resets and heartbeats excluded); false when the payload is not a valid packet of `p`.
    @inline(__always)
    static func forEachUnit(_ p: FeedProtocol, _ payload: ByteView, _ body: (UInt32) -> Void) -> Bool {
        if p == .omd {
            guard let packet = OMDPacket(payload) else { return false }
            guard packet.messageCount > 0 else { return true }
            var messages = SequencedMessages(packet)
            while let m = messages.next() {
                if case .reset = m.control { continue }
                body(m.sequence)
            }
            return true
        }
        guard let h = p.header(payload) else { return false }
        p.forEachSequenced(payload, h) { sequence, _ in body(UInt32(truncatingIfNeeded: sequence)) }
        return true
    }

    /// Messages the schedule offers per `interval` from the first deadline (the offered load, beside
    /// what each platform delivered).
    public func offeredTimeline(interval: Int64) -> [UInt32] {
        var out: [UInt32] = []
        for channel in offsets {
            for o in channel where o != .min && o >= 0 {
                let bucket = Int(o / max(1, interval))
                guard bucket < 10_000_000 else { continue }
                if bucket >= out.count { out += [UInt32](repeating: 0, count: bucket + 1 - out.count) }
                out[bucket] &+= 1
            }
        }
        return out
    }

    public enum BuildError: Error, CustomStringConvertible, Sendable {
        case capture(CaptureError)
        case sequenceSpan(channel: Endpoint, span: UInt64)
        /// No selected stream carries a message the bench can match (a recognised feed protocol's
        /// sequenced messages).
        case noFeedMessages(path: String, streams: [Endpoint])
        /// A stream whose protocol numbers several sessions apart in one stream (EOBI's products):
        /// (channel, sequence number) does not identify a message.
        case interleavedSessions(stream: Endpoint, feedProtocol: FeedProtocol)
        public var description: String {
            switch self {
            case .capture(let e): return e.description
            case .noFeedMessages(let path, let streams):
                let list = streams.prefix(5).map(\.description).joined(separator: ", ") + (streams.count > 5 ? ", …" : "")
                return "\(path): no sequenced feed message in the selected streams (\(list)): bench matches what each platform delivers "
                    + "to what was sent by (channel, sequence number), and no feed protocol was recognised on these streams "
                    + "(`rehearse inspect` shows what they carry); replay them with `rehearse replay`"
            case .interleavedSessions(let stream, let p):
                return "stream \(stream): \(p.rawValue) numbers each product on its own within one stream, so (channel, sequence number) "
                    + "does not identify a message; bench cannot match it (replay it with `rehearse replay`, compare lines with `rehearse compare`)"
            case .sequenceSpan(let c, let s):
                return "stream \(c): sequence numbers span \(s) (more than 50 M, or a mid-capture reset); select a time window or stream"
            }
        }
    }

    /// Walks the plan once (no sending).
    /// `forced`: every stream read as this protocol instead of recognising it (`bench --protocol`).
    public init(plan: FeedPlan, schedule: Schedule, feedProtocol forced: FeedProtocol? = nil) throws(BuildError) {
        let count = plan.streams.count
        var low = Array(repeating: UInt32.max, count: count)
        var high = Array(repeating: UInt32(0), count: count)
        let walker = PlanWalker(plan: plan, schedule: schedule)
        // Each stream's protocol, from its first datagrams (a pass that stops once all are decided).
        var detectors = Array(repeating: FeedProtocolDetector(forced: forced), count: count)
        var undecided = forced == nil ? count : 0
        if undecided > 0 { do {
            _ = try walker.walk(loops: 1) { stream, payload, _, _ in
                guard !detectors[stream].decided else { return true }
                detectors[stream].add(payload)
                if detectors[stream].decided { undecided -= 1 }
                return undecided > 0
            }
        } catch { throw .capture(error) } }
        let protocols = detectors.map { d -> FeedProtocol? in
            var d = d
            d.finish()
            return d.feedProtocol
        }
        for (c, p) in protocols.enumerated() {
            if let p, p.sessionsInterleave { throw .interleavedSessions(stream: plan.streams[c].destination, feedProtocol: p) }
        }
        self.protocols = protocols
        do {
            _ = try walker.walk(loops: 1) { stream, payload, _, _ in
                guard let p = protocols[stream] else { return true }
                _ = Self.forEachUnit(p, payload) { sequence in
                    low[stream] = min(low[stream], sequence)
                    high[stream] = max(high[stream], sequence)
                }
                return true
            }
        } catch { throw .capture(error) }
        // Nothing to match is not a measurement: refuse rather than report "0 sent, 0 lost".
        if count > 0 && low.allSatisfy({ $0 == .max }) {
            throw .noFeedMessages(path: plan.path, streams: plan.streams.map(\.destination))
        }
        bases = low.map { $0 == .max ? 0 : $0 }
        offsets = []
        packetIndices = []
        for c in 0..<count {
            let span = low[c] == .max ? 0 : UInt64(high[c] - low[c]) + 1
            if span > 50_000_000 { throw .sequenceSpan(channel: plan.streams[c].destination, span: span) }
            offsets.append(Array(repeating: .min, count: Int(span)))
            packetIndices.append(Array(repeating: 0, count: Int(span)))
        }
        packets = Array(repeating: [], count: count)
        var index: UInt32 = 0
        var total: UInt64 = 0
        let bases = self.bases
        var offsets = self.offsets
        var packetIndices = self.packetIndices
        var packets = self.packets
        do {
            _ = try walker.walk(loops: 1) { stream, payload, offset, _ in
                defer { index &+= 1 }
                guard let p = protocols[stream] else { return true }
                var fresh: UInt16 = 0
                var any = false
                _ = Self.forEachUnit(p, payload) { sequence in
                    any = true
                    let k = Int(sequence &- bases[stream])
                    if offsets[stream][k] == .min {
                        offsets[stream][k] = offset
                        packetIndices[stream][k] = index
                        fresh &+= 1
                    }
                }
                guard any else { return true }
                total &+= UInt64(fresh)
                packets[stream].append((index, fresh))
                return true
            }
        } catch { throw .capture(error) }
        self.offsets = offsets
        self.packetIndices = packetIndices
        self.packets = packets
        totalMessages = total
    }

    /// The scheduled offset of message `sequence` on `channel`, or nil when the replay does not send it.
    @inline(__always)
    public func offset(channel: Int, sequence: UInt32) -> Int64? {
        guard channel >= 0, channel < offsets.count else { return nil }
        let i = Int(sequence &- bases[channel])
        guard i >= 0, i < offsets[channel].count else { return nil }
        let o = offsets[channel][i]
        return o == .min ? nil : o
    }

    /// Slot of a message for received-once bookkeeping: (channel, index) or nil.
    @inline(__always)
    func slot(channel: Int, sequence: UInt32) -> Int? {
        guard channel >= 0, channel < offsets.count else { return nil }
        let i = Int(sequence &- bases[channel])
        return i >= 0 && i < offsets[channel].count && offsets[channel][i] != .min ? i : nil
    }

    /// Distinct messages per channel in the first `packetsSent` packets of the run.
    public func messagesSent(packetsSent: UInt64) -> [UInt64] {
        packets.map { list in list.reduce(0) { $0 + (UInt64($1.index) < packetsSent ? UInt64($1.messages) : 0) } }
    }

    public var channelCount: Int { offsets.count }
    /// Sequence-number slots of a channel.
    public func size(of channel: Int) -> Int { offsets[channel].count }
}

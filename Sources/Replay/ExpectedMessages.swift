import Vocabulary
import Capture
import MarketData

/// Every OMD message a replay will send, per channel (plan stream), keyed by sequence number, with its
/// scheduled send time (ns after the run's anchor): what a receiver matches its messages against.
/// Messages are numbered by the OMD rules (``SequencedMessages``): a Sequence Reset (100) is session
/// control, not a message of the sequence — its own SN is ignored and it renumbers what follows — so
/// it is neither expected nor, on receipt, counted (the SN it carries belongs to the next message).
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
        /// No selected stream carries a message the bench can match (OMD, numbered by SeqNum).
        case noFeedMessages(path: String, streams: [Endpoint])
        public var description: String {
            switch self {
            case .capture(let e): return e.description
            case .noFeedMessages(let path, let streams):
                let list = streams.prefix(5).map(\.description).joined(separator: ", ") + (streams.count > 5 ? ", …" : "")
                return "\(path): no OMD message in the selected streams (\(list)): bench matches what each platform delivers "
                    + "to what was sent by OMD SeqNum, and these streams carry none (`rehearse inspect` names their protocol); replay them with `rehearse replay`"
            case .sequenceSpan(let c, let s):
                return "stream \(c): sequence numbers span \(s) (more than 50 M, or a mid-capture reset); select a time window or stream"
            }
        }
    }

    /// Walks the plan once (no sending).
    public init(plan: FeedPlan, schedule: Schedule) throws(BuildError) {
        let count = plan.streams.count
        var low = Array(repeating: UInt32.max, count: count)
        var high = Array(repeating: UInt32(0), count: count)
        let walker = PlanWalker(plan: plan, schedule: schedule)
        do {
            _ = try walker.walk(loops: 1) { stream, payload, _, _ in
                guard let p = OMDPacket(payload), p.messageCount > 0 else { return true }
                var messages = SequencedMessages(p)
                while let m = messages.next() {
                    if case .reset = m.control { continue }
                    low[stream] = min(low[stream], m.sequence)
                    high[stream] = max(high[stream], m.sequence)
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
                guard let p = OMDPacket(payload), p.messageCount > 0 else { return true }
                var fresh: UInt16 = 0
                var messages = SequencedMessages(p)
                while let m = messages.next() {
                    if case .reset = m.control { continue }
                    let k = Int(m.sequence &- bases[stream])
                    if offsets[stream][k] == .min {
                        offsets[stream][k] = offset
                        packetIndices[stream][k] = index
                        fresh &+= 1
                    }
                }
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

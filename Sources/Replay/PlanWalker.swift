import Vocabulary
import Capture

/// Walks the packets a ``FeedPlan`` sends, in order, loop after loop, with each packet's deadline:
/// the one iteration the player and the latency matcher share, so both see the same schedule.
struct PlanWalker {
    let plan: FeedPlan
    let schedule: Schedule
    let filter: PacketFilter?

    init(plan: FeedPlan, schedule: Schedule) {
        self.plan = plan
        self.schedule = schedule
        filter = plan.selection.filter.map(PacketFilter.init(expression:))
    }

    /// Calls `body(stream, payload, deadlineOffset, isStable)` for every packet sent, `loops` times over,
    /// until `body` returns false. `isStable` says whether `payload` stays valid after the call.
    /// `passEnded` runs at the end of each pass (and on a stop or an error) while the pass's bytes are
    /// still mapped: the last chance to use payloads kept from it. Returns the loops completed.
    @inline(__always)
    func walk(loops: UInt64, _ body: (Int, ByteView, Int64, Bool) -> Bool,
              passEnded: () -> Void = {}) throws(CaptureError) -> UInt64 {
        let first = plan.firstTime
        let start = plan.captureStart ?? first
        let from = plan.selection.from.map { start &+ $0 } ?? .min
        let to = plan.selection.to.map { start &+ $0 } ?? .max
        let routes = plan.routes
        let mapped = plan.streams.map { !$0.targets.isEmpty }
        var index: UInt64 = 0
        var bytes: UInt64 = 0
        var loop: UInt64 = 0
        while loop < loops {
            var reader = try CaptureReader.open(plan.path)
            let stable = reader.stableBytes != nil
            var stopped = false
            defer { passEnded() }
            try reader.forEachPacket { packet in
                let t = packet.timestamp
                if t < from || t >= to { return true }
                if let filter, !filter.matches(packet) { return true }
                let decoded = PacketDecoder.decode(packet.data, linkType: packet.linkType)
                guard decoded.status == .transport, decoded.flow.ipProtocol == 17,
                      decoded.payload.count >= decoded.declaredPayloadLength else { return true }
                let key = FlowKey(ipProtocol: 17, source: .zero, sourcePort: 0, destination: decoded.flow.destination,
                                  destinationPort: decoded.flow.destinationPort)
                guard let stream = routes.find(key), mapped[stream] else { return true }
                let offset = schedule.offset(captureOffset: t &- first, loop: loop, index: index, bytesBefore: bytes)
                index &+= 1
                bytes &+= UInt64(decoded.payload.count)
                if !body(stream, decoded.payload, offset, stable) { stopped = true; return false }
                return true
            }
            if stopped { return loop }
            loop += 1
        }
        return loop
    }
}

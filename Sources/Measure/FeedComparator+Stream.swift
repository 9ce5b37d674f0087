import Vocabulary
import Capture
import MarketData

extension FeedComparator {
    /// The second pass: both sides read together in time order (one capture split by the sides'
    /// filters, or two timelines merged by packet time), each datagram of a held line accounted and
    /// its messages paired (`pairings[c]`). `lines[side][c]` is channel c's line on that side;
    /// streams of no held channel are passed over. The first pass said every fault: the same faults
    /// end this pass at the same places.
    static func stream(_ a: CompareSource, _ b: CompareSource, lines: inout [[LineChannel]], pairings: inout [ChannelPairing],
                       stallLimit: Int64, progress: ProgressCounter?, progressBase: Int) {
        guard !pairings.isEmpty else { return }
        var state = StreamState(lines: lines, stallLimit: stallLimit)
        let count = lines[0].count
        lines = []
        let held = InPlaceValues(pairings)
        pairings = []
        defer { pairings = held.array }
        let filterA = a.filter.map(PacketFilter.init(expression:)), filterB = b.filter.map(PacketFilter.init(expression:))
        var tick = 0
        /// Every 65,536 packets, the bytes read so far (only then asked for).
        func report(_ bytes: () -> Int) {
            tick &+= 1
            if _slowPath(tick & 0xFFFF == 0), let progress { progress.set(completed: progressBase + bytes()) }
        }
        if a.path == b.path && (a.filter != nil || b.filter != nil) {
            // One capture: a packet is the first side's whose filter it passes.
            var reader = TimelineReader(a.path)
            while let packet = reader.nextPacket() {
                report { reader.bytesRead }
                if state.passes(filterA, packet) {
                    state.accountA(TimedFrame(packet), held)
                } else if state.passes(filterB, packet) {
                    state.accountB(TimedFrame(packet), held)
                }
            }
            progress?.set(completed: progressBase + reader.bytesRead)
        } else if a.filter == nil && b.filter == nil {
            // Two timelines, merged by packet time (A first on a tie), every packet read: only each
            // packet's time, link type and bytes are handed around.
            var readerA = TimelineReader(a.path), readerB = TimelineReader(b.path)
            var nextA = readerA.nextFrame(), nextB = readerB.nextFrame()
            while true {
                report { readerA.bytesRead + readerB.bytesRead }
                if let frame = nextA, nextB == nil || frame.timestamp <= nextB.unsafelyUnwrapped.timestamp {
                    state.accountA(frame, held)
                    nextA = readerA.nextFrame()
                } else if let frame = nextB {
                    state.accountB(frame, held)
                    nextB = readerB.nextFrame()
                } else {
                    break
                }
            }
            progress?.set(completed: progressBase + readerA.bytesRead + readerB.bytesRead)
        } else {
            // Two timelines, merged by packet time (A first on a tie).
            var readerA = TimelineReader(a.path), readerB = TimelineReader(b.path)
            var nextA = readerA.nextPacket(), nextB = readerB.nextPacket()
            // Each side's next time (the end: none).
            var timeA = nextA?.timestamp, timeB = nextB?.timestamp
            while timeA != nil || timeB != nil {
                report { readerA.bytesRead + readerB.bytesRead }
                if let ta = timeA, timeB == nil || ta <= timeB! {
                    if let packet = nextA, state.passes(filterA, packet) { state.accountA(TimedFrame(packet), held) }
                    nextA = readerA.nextPacket()
                    timeA = nextA?.timestamp
                } else {
                    if let packet = nextB, state.passes(filterB, packet) { state.accountB(TimedFrame(packet), held) }
                    nextB = readerB.nextPacket()
                    timeB = nextB?.timestamp
                }
            }
            progress?.set(completed: progressBase + readerA.bytesRead + readerB.bytesRead)
        }
        lines = [(0..<count).map { state.lines[2 * $0] }, (0..<count).map { state.lines[2 * $0 + 1] }]
    }

    /// The second pass's lines and where each stream goes.
    struct StreamState {
        /// Channel c's line on side s is `lines[2c + s]` (changed in place, no uniqueness check).
        let lines: InPlaceValues<LineChannel>
        let stallLimit: Int64
        let analyzer = OMDStreamAnalyzer()
        /// Destination → channel, per side; flow table index → channel or -1 (a stream not held).
        let place: [[Endpoint: Int]]
        var tables = [FlowTable(capacity: 64), FlowTable(capacity: 64)]
        /// Per side (A, B), plain frames' streams by their raw header words → channel + 1 (0: not
        /// held; two properties, not an array: a find then reads the cache in place).
        var cacheA = IPv4UDPFlowCache(), cacheB = IPv4UDPFlowCache()
        var slots: [[Int]] = [[], []]

        init(lines: [[LineChannel]], stallLimit: Int64) {
            self.lines = InPlaceValues(zip(lines[0], lines[1]).flatMap { [$0, $1] })
            self.stallLimit = stallLimit
            place = lines.map { side in Dictionary(uniqueKeysWithValues: side.enumerated().map { ($1.destination, $0) }) }
        }

        /// The packet passes the side's filter (none: every packet); a filter that cannot be compiled
        /// for the packet's link type was said by the first pass and passes nothing.
        @inline(__always)
        func passes(_ filter: PacketFilter?, _ packet: CapturedPacket) -> Bool {
            guard let filter else { return true }
            guard (try? filter.prepare(for: packet.linkType)) != nil else { return false }
            return filter.matches(packet)
        }

        /// A packet of line A: ``account(_:side:_:)`` compiled with the side a constant (the branches on
        /// it, per packet and per message, folded away).
        @inline(never)
        mutating func accountA(_ packet: TimedFrame, _ pairings: InPlaceValues<ChannelPairing>) { account(packet, side: 0, pairings) }

        /// A packet of line B (as ``accountA(_:_:)``).
        @inline(never)
        mutating func accountB(_ packet: TimedFrame, _ pairings: InPlaceValues<ChannelPairing>) { account(packet, side: 1, pairings) }

        /// A packet of `side`: its datagram accounted to its channel's line, when that is held.
        @inline(__always)
        mutating func account(_ packet: TimedFrame, side: Int, _ pairings: InPlaceValues<ChannelPairing>) {
            // The common frame (plain Ethernet, IPv4, UDP) of a stream met before: its channel from the
            // raw header words (cached as channel + 1; 0: a stream not held); anything else decoded in full.
            let c: Int, payload: ByteView, declared: Int
            if _fastPath(packet.linkType.rawValue == 1), let frame = PlainIPv4UDPFrame(packet.data),
               let known = side == 0 ? cacheA.find(frame) : cacheB.find(frame) {
                payload = frame.payload
                declared = frame.declaredPayloadLength
                guard known > 0, payload.count == declared else { return }
                c = known &- 1
            } else {
                let d = PacketDecoder.decode(packet.data, linkType: packet.linkType)
                guard d.status == .transport, d.flow.ipProtocol == 17, d.payload.count == d.declaredPayloadLength else { return }
                c = channel(packet, side: side, d)
                guard c >= 0 else { return }
                payload = d.payload
                declared = d.declaredPayloadLength
            }
            let l = 2 &* c &+ side
            if _fastPath(lines[l].feedProtocol == .omd) {
                // A cheap OMD check (header and PktSize); framing errors are the analyzer's to count.
                guard let p = OMDPacket(payload), p.packetSize == declared else { return }
                FeedComparator.account(&lines[l], &pairings[c], side: side, p, payload: payload, declared: declared,
                                       time: packet.timestamp, stallLimit: stallLimit, analyzer: analyzer)
            } else if let p = lines[l].feedProtocol {
                FeedComparator.accountOther(&lines[l], &pairings[c], side: side, p, payload: payload, time: packet.timestamp,
                                            stallLimit: stallLimit)
            }
        }

        /// The channel of a decoded UDP datagram of `side` (its destination's; -1: a stream not
        /// held); a plain frame's stream is remembered in the side's cache.
        @inline(never)
        mutating func channel(_ packet: TimedFrame, side: Int, _ d: DecodedPacket) -> Int {
            let key = FlowKey(ipProtocol: 17, source: .zero, sourcePort: 0, destination: d.flow.destination,
                              destinationPort: d.flow.destinationPort)
            let (flow, inserted) = tables[side].findOrInsert(key)
            if inserted { slots[side].append(place[side][Endpoint(address: d.flow.destination, port: d.flow.destinationPort)] ?? -1) }
            let c = slots[side][flow]
            if packet.linkType.rawValue == 1, let frame = PlainIPv4UDPFrame(packet.data) {
                if side == 0 { cacheA.remember(frame, index: c &+ 1) } else { cacheB.remember(frame, index: c &+ 1) }
            }
            return c
        }
    }
}

extension TimedFrame {
    /// The packet's time, link type and bytes.
    @inline(__always)
    init(_ packet: CapturedPacket) { self.init(timestamp: packet.timestamp, data: packet.data, linkType: packet.linkType) }
}

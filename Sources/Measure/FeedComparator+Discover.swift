import Vocabulary
import Capture
import MarketData

extension FeedComparator {
    /// The first pass over one file of a timeline, handed its packets by the reader's fast walk
    /// (``CaptureReader/forEachPacket(into:)``): each packet to the first side whose filter it passes,
    /// its stream found or added, its protocol decided over the first datagrams, and then only the
    /// line's span kept (its first and last packet of the protocol). State lives in the visitor, not in
    /// a closure's boxes, so a packet pays no dynamic exclusivity check.
    struct Discovery: PacketVisitor {
        let compiled: [PacketFilter?]
        /// One side and no filter: every packet is side 0's (the common case, one branch).
        let unfiltered: Bool
        let names: [String]
        let stallLimit: Int64
        let forced: FeedProtocol?
        let rules: [CaptureInspector.ProtocolRule]
        let analyzer = OMDStreamAnalyzer()
        let progress: ProgressCounter?
        var tables: [FlowTable]
        /// Per side (A, B), plain frames' streams by their raw header words → index into ``spans``
        /// (two properties, not an array: a find then reads the cache in place).
        var cacheA = IPv4UDPFlowCache(), cacheB = IPv4UDPFlowCache()
        var lines: [[LineChannel]]
        /// Flow table index → index into ``spans`` (one per line of every side).
        var slots: [[Int]]
        /// Each line's place (side, index) and span, the first ``spanCount`` of one flat buffer
        /// changed in place (no uniqueness check per packet): a line with a valid packet is kept here,
        /// a packet of it costing two stores. Doubled when full.
        var spans = InPlaceValues([LineSpan](repeating: LineSpan(side: 0, index: 0), count: 64))
        var spanCount = 0
        var filterError: String?
        var tick = 0
        /// Bytes of the timeline's files before this one (progress).
        var before = 0
        /// Set per file: its first packet's check against the previous file, its last time.
        var firstOfFile = true
        var lastTime = Int64.min
        var previous: (file: String, end: Int64)?
        var file = ""
        var warnings: [String] = []

        init(filters: [String?], names: [String], stallLimit: Int64, forced: FeedProtocol?, rules: [CaptureInspector.ProtocolRule],
             progress: ProgressCounter?) {
            compiled = filters.map { $0.map(PacketFilter.init(expression:)) }
            unfiltered = filters.count == 1 && filters[0] == nil
            self.names = names
            self.stallLimit = stallLimit
            self.forced = forced
            self.rules = rules
            self.progress = progress
            tables = filters.map { _ in FlowTable(capacity: 64) }
            lines = filters.map { _ in [] }
            slots = filters.map { _ in [] }
        }

        /// A line's span once it has a valid packet: `kind` 1 OMD (a packet must pass the cheap OMD
        /// check to count), 2 another protocol, 3 decided as none (not compared: nothing to keep); 0
        /// while the line is read in full (not decided, or no valid packet yet).
        struct LineSpan {
            let side: Int, index: Int
            var kind: UInt8 = 0
            var first: Int64 = .max
            var last: Int64 = .min
        }

        /// The file starts: its name, for the warning of a file starting before the previous one ends.
        mutating func start(file: String) {
            self.file = file
            firstOfFile = true
            lastTime = .min
        }

        /// The file ended (`consumed` bytes of it read).
        mutating func end(consumed: Int) {
            before += consumed
            progress?.set(completed: before)
            if lastTime != .min { previous = (file, lastTime) }
        }

        @inline(__always)
        mutating func visit(_ packet: CapturedPacket) -> Bool {
            tick &+= 1
            if _slowPath(tick & 0xFFFF == 0), let progress { progress.set(completed: before + packet.recordOffset) }
            if _slowPath(firstOfFile) { noteFirst(time: packet.timestamp, hasTimestamp: packet.hasTimestamp) }
            if packet.hasTimestamp { lastTime = packet.timestamp }
            var side = 0
            if _slowPath(!unfiltered) {
                side = -1
                for (k, filter) in compiled.enumerated() {
                    guard let filter else { side = k; break }
                    do { try filter.prepare(for: packet.linkType) } catch {
                        filterError = "\(names[k]): \(error)"
                        return false
                    }
                    if filter.matches(data: packet.data, originalLength: packet.originalLength, linkType: packet.linkType) { side = k; break }
                }
                guard side >= 0 else { return true }
            }
            // The common frame (plain Ethernet, IPv4, UDP) of a stream met before: found from its raw
            // header words; anything else decoded in full.
            let g: Int, payload: ByteView, declared: Int
            if _fastPath(packet.linkType.rawValue == 1), let frame = PlainIPv4UDPFrame(packet.data),
               let known = side == 0 ? cacheA.find(frame) : cacheB.find(frame) {
                payload = frame.payload
                declared = frame.declaredPayloadLength
                guard payload.count == declared else { return true }
                g = known
            } else {
                let d = PacketDecoder.decode(packet.data, linkType: packet.linkType)
                guard d.status == .transport, d.flow.ipProtocol == 17, d.payload.count == d.declaredPayloadLength else { return true }
                g = place(packet.data, originalLength: packet.originalLength, linkType: packet.linkType, side: side, d)
                payload = d.payload
                declared = d.declaredPayloadLength
            }
            switch spans[g].kind {
            case 1:
                // Only the line's span (the end of the comparison is every line's latest), as accounting leaves it.
                guard OMDPacket(payload)?.packetSize == declared else { return true }
                spans[g].last = packet.timestamp
                if packet.timestamp < spans[g].first { spans[g].first = packet.timestamp }
            case 2:
                spans[g].last = packet.timestamp
                if packet.timestamp < spans[g].first { spans[g].first = packet.timestamp }
            case 3:
                break
            default:
                readInFull(time: packet.timestamp, payload, declared, g)
            }
            return true
        }

        /// The line of a decoded UDP datagram of `side` (its destination's), added when new; a plain
        /// frame's stream is remembered in the side's cache. (The packet's parts, not the packet: a
        /// packet handed to a call is laid out in memory, by every packet of the pass.)
        @inline(never)
        mutating func place(_ data: ByteView, originalLength: Int, linkType: LinkType, side: Int, _ d: DecodedPacket) -> Int {
            let key = FlowKey(ipProtocol: 17, source: .zero, sourcePort: 0, destination: d.flow.destination,
                              destinationPort: d.flow.destinationPort)
            let (flow, inserted) = tables[side].findOrInsert(key)
            if inserted { add(data, originalLength: originalLength, linkType: linkType, side: side, d) }
            let g = slots[side][flow]
            if linkType.rawValue == 1, let frame = PlainIPv4UDPFrame(data) {
                if side == 0 { cacheA.remember(frame, index: g) } else { cacheB.remember(frame, index: g) }
            }
            return g
        }

        /// A new stream of `side`: its line, its protocol when the user named it.
        @inline(never)
        mutating func add(_ data: ByteView, originalLength: Int, linkType: LinkType, side: Int, _ d: DecodedPacket) {
            var line = LineChannel(destination: Endpoint(address: d.flow.destination, port: d.flow.destinationPort))
            // The user named the protocol (for this stream by a rule its first packet passes, the
            // first rule winning, or for every stream): no detection, every datagram read as it.
            if let named = rules.first(where: { $0.filter.matches(data: data, originalLength: originalLength, linkType: linkType) })?.feedProtocol
                ?? forced {
                line.decided = true
                line.named = true
                line.feedProtocol = named
                if named != .omd { line.feed = FeedStream(forced: named) }
            }
            lines[side].append(line)
            slots[side].append(spanCount)
            if spanCount == spans.count {
                spans = InPlaceValues(spans.array + [LineSpan](repeating: LineSpan(side: 0, index: 0), count: spans.count))
            }
            spans[spanCount] = LineSpan(side: side, index: lines[side].count - 1)
            spanCount += 1
        }

        /// A packet of a line not decided yet, or without a valid packet yet: kept for the decision,
        /// or accounted; the line's span kept from then on.
        @inline(never)
        mutating func readInFull(time: Int64, _ payload: ByteView, _ declared: Int, _ g: Int) {
            let (side, i) = (spans[g].side, spans[g].index)
            if !lines[side][i].decided {
                lines[side][i].probe.append((payload.bytes, time))
                if lines[side][i].probe.count >= FeedStream.probePackets {
                    FeedComparator.decide(&lines[side][i], stallLimit: stallLimit, analyzer: analyzer)
                }
            } else if lines[side][i].feedProtocol == .omd {
                // A cheap OMD check (header and PktSize); framing errors are the analyzer's to count.
                if let p = OMDPacket(payload), p.packetSize == declared {
                    var scratch = ChannelPairing.none
                    FeedComparator.account(&lines[side][i], &scratch, side: side, p, payload: payload, declared: declared,
                                           time: time, stallLimit: stallLimit, analyzer: analyzer)
                }
            } else if let p = lines[side][i].feedProtocol {
                var scratch = ChannelPairing.none
                FeedComparator.accountOther(&lines[side][i], &scratch, side: side, p, payload: payload, time: time,
                                            stallLimit: stallLimit)
            }
            // A decided line needs one valid packet (one the user named a protocol for may have none:
            // it is then not compared), not its accounting.
            guard lines[side][i].decided else { return }
            if let p = lines[side][i].feedProtocol {
                guard lines[side][i].lastTime != .min else { return }
                spans[g].kind = p == .omd ? 1 : 2
                spans[g].first = lines[side][i].firstTime
                spans[g].last = lines[side][i].lastTime
            } else {
                spans[g].kind = 3
            }
        }

        /// The first packet of a file after the first: said when it is earlier than the previous file's end.
        @inline(never)
        mutating func noteFirst(time: Int64, hasTimestamp: Bool) {
            firstOfFile = false
            if let p = previous, time < p.end, hasTimestamp {
                warnings.append("\(file) starts at \(TimeFormat.iso8601(time)), before \(p.file) ends (\(TimeFormat.iso8601(p.end))): read after it, as the directory's time order has it")
            }
        }

        /// The lines found, their spans written back.
        mutating func finish() -> [[LineChannel]] {
            for span in spans.array.prefix(spanCount) where span.kind == 1 || span.kind == 2 {
                lines[span.side][span.index].lastTime = span.last
                lines[span.side][span.index].firstTime = min(lines[span.side][span.index].firstTime, span.first)
            }
            return lines
        }
    }
}

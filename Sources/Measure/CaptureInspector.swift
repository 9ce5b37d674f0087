import Vocabulary
import Capture
import MarketData

/// Per-stream accumulation during an inspection.
public struct StreamAccumulator: Sendable {
    public let key: FlowKey
    public var packets: UInt64 = 0
    public var bytes: UInt64 = 0
    public var payloadBytes: UInt64 = 0
    public var firstTimestamp: Int64 = .max
    public var lastTimestamp: Int64 = .min
    public var windows = RateWindows()
    /// 0 undecided, 1 OMD (confirmed), 2 not OMD, 3 an OMD candidate being confirmed.
    var omdState: UInt8 = 0
    var omdProbes: UInt8 = 0
    /// Index into the inspector's OMD statistics when the stream carries OMD.
    public internal(set) var omdIndex: Int = -1
    var rejectedBeforeDetection: UInt64 = 0
    /// OMD checks passed by the stream's first packets from its detection on, and whether one failed:
    /// a stream is OMD only when its first ``CaptureInspector/consistencyPackets`` all pass.
    var omdChecked: UInt8 = 0
    public internal(set) var omdInconsistent = false
    /// For a UDP stream that is not OMD: the index of its ``FeedStream`` (its protocol among the
    /// others Rehearse knows, and its sequencing) in the inspector's feed store, made at its first
    /// packet that is not OMD; -1 before. Kept apart: an OMD stream (most of them) carries no
    /// 300 bytes for it.
    public internal(set) var feedIndex: Int32 = -1

    init(key: FlowKey) { self.key = key }

    /// Counts one packet; returns the stream's OMD state and index (one array access per packet).
    @inline(__always)
    mutating func record(_ timestamp: Int64, wire: Int, payload: Int, timed: Bool = true) -> (UInt8, Int) {
        packets &+= 1
        bytes &+= UInt64(truncatingIfNeeded: wire)
        payloadBytes &+= UInt64(truncatingIfNeeded: payload)
        guard _fastPath(timed) else { return (omdState, omdIndex) }  // no time of its own: counted, not timed
        if timestamp < firstTimestamp { firstTimestamp = timestamp }
        if timestamp > lastTimestamp { lastTimestamp = timestamp }
        windows.add(timestamp, bytes: wire)
        return (omdState, omdIndex)
    }
}

/// Counters of what the decoder saw, over all packets.
public struct DecodeCounts: Sendable, Equatable, Codable {
    public var ipv4: UInt64 = 0
    public var ipv6: UInt64 = 0
    public var udp: UInt64 = 0
    public var tcp: UInt64 = 0
    public var otherTransport: UInt64 = 0
    public var fragments: UInt64 = 0
    public var notIP: UInt64 = 0
    public var truncated: UInt64 = 0
    public var malformed: UInt64 = 0
    /// Packets whose timestamp is earlier than the packet before them.
    public var timestampRegressions: UInt64 = 0
    /// Packets without a time of their own (Simple Packet Blocks, timestamps out of range): counted,
    /// not in first/last or the rates.
    public var untimed: UInt64 = 0
    /// Packets the `--filter` expression rejected.
    public var filteredOut: UInt64 = 0
    /// Packets with a pcapng comment option.
    public var commentedPackets: UInt64 = 0
    /// Packets in streams beyond the stream limit (counted in totals, not per stream).
    public var packetsBeyondStreamLimit: UInt64 = 0
    public init() {}
}

/// Folds the packets of one capture into totals, per-stream figures with peak rates, and OMD
/// accounting per stream. One `add` per packet; no allocation per packet once a stream is known.
/// Noncopyable: it owns its per-stream storage (see ``DenseStore``).
public struct CaptureInspector: ~Copyable {
    public struct Options {
        /// Only packets that pass this BPF filter are counted.
        public var filter: PacketFilter?
        /// Decode UDP payloads as OMD where they look like OMD.
        public var decodeOMD = true
        /// Streams tracked individually; packets of further streams count in the totals only.
        public var maximumStreams = 100_000
        /// Read every UDP stream as this protocol instead of recognising it (`inspect --protocol`).
        /// With ``protocolRules``: the streams no rule matches.
        public var forcedProtocol: FeedProtocol?
        /// Per-stream overrides (`inspect --protocol 'BPF=NAME'`): a stream whose first packet
        /// passes a rule's filter is read as its protocol; the first matching rule wins.
        public var protocolRules: [ProtocolRule] = []
        /// Account only this shard's streams (stream *k*, in order of first appearance, is shard
        /// *k* mod COUNT's); every packet still counts in the file's figures (`inspect --shard`).
        public var shard: Shard?
        public init() {}
    }

    /// A stream-selecting BPF filter and the feed protocol its streams are read as.
    public struct ProtocolRule {
        public var filter: PacketFilter
        public var feedProtocol: FeedProtocol
        public init(filter: PacketFilter, feedProtocol: FeedProtocol) {
            self.filter = filter
            self.feedProtocol = feedProtocol
        }
    }

    /// Streams a protocol rule matched, by stream index, with the rule's protocol.
    var ruledStreams: [Int: FeedProtocol] = [:]

    /// The protocol stream `index` is read as without detection, if the user said so.
    func forcedProtocol(_ index: Int) -> FeedProtocol? {
        ruledStreams.isEmpty ? options.forcedProtocol : ruledStreams[index] ?? options.forcedProtocol
    }

    /// Applies the protocol rules to the first packet of a new stream.
    @inline(never)
    mutating func applyRules(_ index: Int, _ packet: CapturedPacket) {
        if let rule = options.protocolRules.first(where: { $0.filter.matches(packet) }) { ruledStreams[index] = rule.feedProtocol }
    }

    public let options: Options
    public internal(set) var packets: UInt64 = 0
    public internal(set) var bytes: UInt64 = 0
    public internal(set) var capturedBytes: UInt64 = 0
    public internal(set) var firstTimestamp: Int64 = .max
    public internal(set) var lastTimestamp: Int64 = .min
    var previousTimestamp: Int64 = .min
    public var windows = RateWindows()
    public var decode = DecodeCounts()
    /// Packets by link type, in order of first appearance.
    public var linkTypes: [(LinkType, UInt64)] {
        var counts = linkTypeCounts
        if runIndex >= 0 { counts[runIndex].1 &+= runCount }
        return counts
    }
    /// Counts up to the current run of packets with one link type (kept in scalars: no array write per packet).
    var linkTypeCounts: [(LinkType, UInt64)] = []
    var runLinkType = LinkType(rawValue: .max)
    var runIndex = -1
    var runCount: UInt64 = 0
    /// Per-stream figures, by stream index (a copy).
    public var streams: [StreamAccumulator] { store.elements }
    var store = DenseStore<StreamAccumulator>()
    /// OMD statistics by OMD stream index (a copy; complete after ``finish()``).
    public var omd: [OMDStreamStatistics] { omdStore.elements }
    var omdStore = DenseStore<OMDStreamStatistics>(capacity: 16)
    /// Feed protocol sequencing of the UDP streams that are not OMD, by ``StreamAccumulator/feedIndex``.
    var feedStore = DenseStore<FeedStream>(capacity: 16)
    /// Stream `index`'s feed protocol sequencing, if it is not OMD.
    public func feed(_ s: StreamAccumulator) -> FeedStream? { s.feedIndex >= 0 ? feedStore[Int(s.feedIndex)] : nil }
    var table = FlowTable()
    var flowCache = IPv4UDPFlowCache()
    let analyzer = OMDStreamAnalyzer()
    /// When set, OMD accounting is handed to another thread instead of being done here (see
    /// ``Inspection``). Not reference counted per packet: ``Inspection`` keeps the queue alive.
    package var omdQueue: Unmanaged<OMDWorkQueue>?
    /// OMD streams detected so far (`omd` fills only at the merge when another thread accounts them).
    var omdStreamCount = 0

    let hasFilter: Bool

    public init(options: Options = Options()) {
        self.options = options
        hasFilter = options.filter != nil
    }

    /// Accounts one packet.
    ///
    /// The common case — no filter, no pcapng options, a plain Ethernet/IPv4/UDP frame of a stream
    /// already in the flow cache — is small enough to be compiled into the reader's loop, so the
    /// packet stays in registers; anything else takes ``addGeneral(_:)``, with the same result.
    @inline(__always)
    public mutating func add(_ packet: CapturedPacket) {
        if _fastPath(!hasFilter && packet.options.isEmpty && packet.linkType.rawValue == 1 && packet.hasTimestamp),
           let frame = PlainIPv4UDPFrame(packet.data), let index = flowCache.find(frame) {
            accountCounters(packet)
            countLinkType(packet.linkType)
            accountStream(index, isUDP: true, timestamp: packet.timestamp, wire: packet.originalLength,
                          declared: frame.declaredPayloadLength, payload: frame.payload,
                          payloadOffset: packet.dataOffset &+ PlainIPv4UDPFrame.payloadOffset)
            return
        }
        addGeneral(packet)
    }

    /// ``add(_:)`` for every packet, the common case included.
    @inline(never)
    mutating func addGeneral(_ packet: CapturedPacket) {
        guard accountFileWide(packet) else { return }
        // The common market-data frame: its stream is found from the raw header words.
        let known = store.count
        if _fastPath(packet.linkType.rawValue == 1), let frame = PlainIPv4UDPFrame(packet.data) {
            guard let index = streamIndex(frame), owns(index) else { return }
            if _slowPath(store.count != known && !options.protocolRules.isEmpty) { applyRules(index, packet) }
            accountStream(index, isUDP: true, timestamp: packet.timestamp, wire: packet.originalLength,
                          declared: frame.declaredPayloadLength, payload: frame.payload,
                          payloadOffset: packet.dataOffset &+ PlainIPv4UDPFrame.payloadOffset, timed: packet.hasTimestamp)
            return
        }
        guard let decoded = decodeGeneral(packet), let index = streamIndex(decoded.flow), owns(index) else { return }
        if _slowPath(store.count != known && !options.protocolRules.isEmpty) { applyRules(index, packet) }
        accountStream(index, isUDP: decoded.flow.ipProtocol == 17, timestamp: packet.timestamp,
                      wire: packet.originalLength, declared: decoded.declaredPayloadLength, payload: decoded.payload,
                      payloadOffset: packet.dataOffset &+ decoded.payloadOffset, timed: packet.hasTimestamp)
    }

    /// File-wide figures (totals, peaks, link types, pcapng comments); false when the filter rejects the packet.
    @inline(__always)
    mutating func accountFileWide(_ packet: CapturedPacket) -> Bool {
        // `hasFilter` first: reading the class reference itself costs a retain/release per packet.
        if _slowPath(hasFilter), let filter = options.filter, !filter.matches(packet) {
            decode.filteredOut &+= 1
            return false
        }
        accountCounters(packet)
        countLinkType(packet.linkType)
        if _slowPath(!packet.options.isEmpty) { countOptions(packet) }
        return true
    }

    /// Totals, first and last time, time regressions and the file-wide peak windows.
    @inline(__always)
    mutating func accountCounters(_ packet: CapturedPacket) {
        let timestamp = packet.timestamp
        let wire = packet.originalLength
        packets &+= 1
        bytes &+= UInt64(truncatingIfNeeded: wire)
        capturedBytes &+= UInt64(truncatingIfNeeded: packet.data.count)
        // A packet without a time of its own (a Simple Packet Block, a timestamp out of range) is
        // counted but kept out of first/last, the order check and the rate windows.
        guard _fastPath(packet.hasTimestamp) else { decode.untimed &+= 1; return }
        if timestamp < firstTimestamp { firstTimestamp = timestamp }
        if timestamp > lastTimestamp { lastTimestamp = timestamp }
        if _slowPath(timestamp < previousTimestamp) { decode.timestampRegressions &+= 1 }
        previousTimestamp = timestamp
        windows.add(timestamp, bytes: wire)
    }

    /// Decodes a packet that is not a ``PlainIPv4UDPFrame`` and counts what it is; returns it when it
    /// carries UDP or TCP (so it belongs to a stream).
    mutating func decodeGeneral(_ packet: CapturedPacket) -> DecodedPacket? {
        let decoded = PacketDecoder.decode(packet.data, linkType: packet.linkType)
        switch decoded.status {
        case .transport: break
        case .network:
            countNetwork(decoded)
            if decoded.isFragment { decode.fragments &+= 1 } else { decode.otherTransport &+= 1 }
            return nil
        case .notIP: decode.notIP &+= 1; return nil
        case .truncated: decode.truncated &+= 1; return nil
        case .malformed: decode.malformed &+= 1; return nil
        }
        countNetwork(decoded)
        // UDP is counted at `finish()` as the transport packets that are not TCP.
        if _slowPath(decoded.flow.ipProtocol != 17) { decode.tcp &+= 1 }
        return decoded
    }

    /// The stream of a plain IPv4/UDP frame: from the cache, else from the table (then remembered).
    @inline(__always)
    mutating func streamIndex(_ frame: PlainIPv4UDPFrame) -> Int? {
        if let index = flowCache.find(frame) { return index }
        guard let index = streamIndex(frame.flow) else { return nil }
        // Another shard's stream stays out of the cache: its packets take `addGeneral`, which leaves them.
        if _fastPath(owns(index)) { flowCache.remember(frame, index: index) }
        return index
    }

    /// True when stream `index` is accounted here (always, unless a shard was asked for).
    @inline(__always)
    func owns(_ index: Int) -> Bool { options.shard.map { $0.owns(index) } ?? true }

    /// The stream of `flow`, added when new; nil (and counted) beyond the stream limit.
    mutating func streamIndex(_ flow: FlowKey) -> Int? {
        if _slowPath(table.count >= options.maximumStreams) {
            guard let found = table.find(flow) else { decode.packetsBeyondStreamLimit &+= 1; return nil }
            return found
        }
        let (found, inserted) = table.findOrInsert(flow)
        if _slowPath(inserted) { store.append(StreamAccumulator(key: flow)) }
        return found
    }

    /// Per-stream figures and OMD accounting for one UDP or TCP packet of stream `index`.
    /// `payloadOffset` locates the payload in the capture for an OMD worker thread.
    @inline(__always)
    mutating func accountStream(_ index: Int, isUDP: Bool, timestamp: Int64, wire: Int, declared: Int, payload: ByteView,
                                payloadOffset: Int, timed: Bool = true) {
        let (state, omdIndex) = store[index].record(timestamp, wire: wire, payload: declared, timed: timed)

        guard isUDP, options.decodeOMD else { return }
        switch state {
        case 1:
            accountOMD(omdIndex, payload, declared, timestamp, payloadOffset)
        case 3:
            // An OMD candidate still being confirmed (its first packets): no extra test per packet once confirmed.
            confirmOMD(index, payload, declared)
            accountOMD(omdIndex, payload, declared, timestamp, payloadOffset)
        case 0:
            detectOMD(index, payload, declared, timestamp, payloadOffset)
        default:
            accountOtherFeed(index, payload, timestamp)
        }
    }

    @inline(__always)
    mutating func countNetwork(_ decoded: DecodedPacket) {
        // IPv4 is counted at `finish()` as the IP packets that are not IPv6: one rarely taken branch
        // instead of a counter write per packet.
        if _slowPath(decoded.flow.source.isV6) { decode.ipv6 &+= 1 }
    }

    @inline(__always)
    mutating func countLinkType(_ linkType: LinkType) {
        if _fastPath(linkType == runLinkType) {
            runCount &+= 1
            return
        }
        startLinkTypeRun(linkType)
    }

    mutating func startLinkTypeRun(_ linkType: LinkType) {
        if runIndex >= 0 { linkTypeCounts[runIndex].1 &+= runCount }
        if let i = linkTypeCounts.firstIndex(where: { $0.0 == linkType }) {
            runIndex = i
        } else {
            linkTypeCounts.append((linkType, 0))
            runIndex = linkTypeCounts.count - 1
        }
        runLinkType = linkType
        runCount = 1
    }

    mutating func countOptions(_ packet: CapturedPacket) {
        var options = PcapngOptions(packet.options, bigEndian: packet.optionsBigEndian)
        while let option = options.next() {
            if option.code == PcapngOptions.comment {
                decode.commentedPackets &+= 1
                break
            }
        }
    }

    /// One packet of an OMD stream: accounted here, or handed to the OMD worker.
    @inline(__always)
    mutating func accountOMD(_ omdIndex: Int, _ payload: ByteView, _ declared: Int, _ timestamp: Int64, _ payloadOffset: Int) {
        if let queue = omdQueue {
            let item = OMDWorkItem(timestamp: timestamp, payloadOffset: payloadOffset,
                                   payloadLength: Int32(truncatingIfNeeded: payload.count),
                                   declaredLength: Int32(truncatingIfNeeded: declared), omdIndex: Int32(truncatingIfNeeded: omdIndex))
            // A guaranteed reference: no retain/release per packet (Inspection keeps the queue alive).
            queue._withUnsafeGuaranteedRef { $0.push(item) }
        } else {
            analyzer.process(payload, declaredLength: declared, timestamp: timestamp, into: &omdStore[omdIndex])
        }
    }

    /// Packets from detection on that must all pass the OMD checks for a stream to be reported as OMD.
    public static let consistencyPackets: UInt8 = 8

    /// Detection never guesses: one of the stream's first packets after detection failing the OMD checks
    /// makes it "not recognised" in the report (other venues' feeds pass by chance now and then).
    @inline(never)
    mutating func confirmOMD(_ index: Int, _ payload: ByteView, _ declared: Int) {
        store[index].omdChecked &+= 1
        if !OMDStreamAnalyzer.looksLikeOMD(payload, declaredLength: declared) { store[index].omdInconsistent = true }
        if store[index].omdChecked >= Self.consistencyPackets { store[index].omdState = 1 }
    }

    /// Decides whether a UDP stream carries OMD: the first packet that parses cleanly
    /// (PktSize = UDP payload, messages framed by MsgSize) makes it a candidate, confirmed by the next
    /// ones (``confirmOMD(_:_:_:)``); three failures before that make it not.
    @inline(never)
    mutating func detectOMD(_ index: Int, _ payload: ByteView, _ declared: Int, _ timestamp: Int64, _ payloadOffset: Int) {
        // `--protocol` decides instead of detection: another protocol goes straight to its reader; OMD
        // is OMD from the first packet, confirmed by nothing.
        let forced = forcedProtocol(index)
        if let forced, forced != .omd {
            store[index].omdState = 2
            accountOtherFeed(index, payload, timestamp)
            return
        }
        let forcedOMD = forced == .omd
        if forcedOMD || OMDStreamAnalyzer.looksLikeOMD(payload, declaredLength: declared) {
            let omdIndex = omdStreamCount
            omdStreamCount += 1
            store[index].omdState = forcedOMD ? 1 : 3  // a candidate until its first packets confirm it
            store[index].omdIndex = omdIndex
            store[index].omdChecked = 1
            if omdQueue == nil {
                omdStore.append(OMDStreamStatistics())  // rejected packets are added at finish()
            }
            accountOMD(omdIndex, payload, declared, timestamp, payloadOffset)
        } else {
            store[index].omdProbes &+= 1
            store[index].rejectedBeforeDetection &+= 1
            if store[index].omdProbes >= 3 { store[index].omdState = 2 }
            accountOtherFeed(index, payload, timestamp)
        }
    }

    /// A UDP datagram of a stream that is not OMD: probed against the other feed protocols, then
    /// sequenced by the one recognised (``FeedStream``).
    @inline(never)
    mutating func accountOtherFeed(_ index: Int, _ payload: ByteView, _ timestamp: Int64) {
        if store[index].feedIndex < 0 {
            store[index].feedIndex = Int32(feedStore.count)
            feedStore.append(FeedStream(forced: forcedProtocol(index)))
        }
        feedStore[Int(store[index].feedIndex)].add(payload, timestamp: timestamp)
    }

    /// Takes back the OMD statistics from the worker thread (which started from ``omd``), by OMD
    /// stream index, and accounts OMD on this thread again.
    package mutating func merge(omdFrom worker: [OMDStreamStatistics]) {
        omdStore = DenseStore(worker)
        while omdStore.count < omdStreamCount { omdStore.append(OMDStreamStatistics()) }
        omdQueue = nil
    }

    /// Closes the rate windows; call once after the last packet.
    public mutating func finish() {
        // Packets of an OMD stream seen before it was recognised count as PktSize mismatches.
        while omdStore.count < omdStreamCount { omdStore.append(OMDStreamStatistics()) }
        for i in 0..<store.count where store[i].omdIndex >= 0 {
            omdStore[store[i].omdIndex].errors.packetSizeMismatch &+= store[i].rejectedBeforeDetection
        }
        // Every packet past the filter was decoded: it is IP unless not IP, truncated or malformed; IP
        // carries UDP or TCP unless it is a fragment or another protocol.
        let ip = packets &- decode.notIP &- decode.truncated &- decode.malformed
        decode.ipv4 = ip &- decode.ipv6
        decode.udp = ip &- decode.fragments &- decode.otherTransport &- decode.tcp
        windows.close()
        for i in 0..<store.count {
            store[i].windows.close()
            if store[i].feedIndex >= 0 { feedStore[Int(store[i].feedIndex)].finish() }
        }
    }
}

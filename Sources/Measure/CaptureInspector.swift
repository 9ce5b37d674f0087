import Capture
import MarketData

/// One stream's figures, as reported after an inspection.
public struct StreamAccumulator: Sendable {
    public let key: FlowKey
    public var packets: UInt64 = 0
    public var bytes: UInt64 = 0
    public var payloadBytes: UInt64 = 0
    public var firstTimestamp: Int64 = .max
    public var lastTimestamp: Int64 = .min
    public var windows = RateWindows()
    /// Index into the inspector's OMD statistics when the stream carries OMD.
    public internal(set) var omdIndex: Int = -1

    init(key: FlowKey) { self.key = key }
}

/// What the reading side keeps per stream besides its key (in the flow table): whether it carries OMD.
struct StreamIdentity: Sendable {
    /// 0 undecided, 1 OMD, 2 not OMD.
    var omdState: UInt8 = 0
    var omdProbes: UInt8 = 0
    var omdIndex: Int32 = -1
    /// Packets seen before the stream was recognised as OMD (counted as PktSize mismatches).
    var rejectedBeforeDetection: UInt64 = 0
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
///
/// Two halves: the reading side (this type: filter, link types, decoding, the flow table, OMD
/// detection) turns each packet into ``PacketFacts``; the counting side (``PacketFigures``: totals,
/// peaks, per-stream figures, OMD accounting) folds them in. With one thread the facts go straight
/// from one to the other; ``Inspection`` can put the counting side on a second thread.
public struct CaptureInspector {
    public struct Options {
        /// Only packets that pass this BPF filter are counted.
        public var filter: PacketFilter?
        /// Decode UDP payloads as OMD where they look like OMD.
        public var decodeOMD = true
        /// Streams tracked individually; packets of further streams count in the totals only.
        public var maximumStreams = 100_000
        public init() {}
    }

    public let options: Options
    /// The counting side (its figures are final after ``finish()``).
    var figures = PacketFigures()
    public var packets: UInt64 { figures.packets }
    public var bytes: UInt64 { figures.bytes }
    public var capturedBytes: UInt64 { figures.capturedBytes }
    public var firstTimestamp: Int64 { figures.firstTimestamp }
    public var lastTimestamp: Int64 { figures.lastTimestamp }
    public var windows: RateWindows { figures.windows }
    public var omd: [OMDStreamStatistics] { figures.omd }
    /// Per-stream figures in order of first appearance; filled by ``finish()``.
    public internal(set) var streams: [StreamAccumulator] = []
    public internal(set) var decode = DecodeCounts()
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
    var table = FlowTable()
    var identities: [StreamIdentity] = []
    var omdStreamCount: Int32 = 0
    /// When set, the facts go to another thread's counting side instead of ``figures`` (see
    /// ``Inspection``). Not reference counted per packet: ``Inspection`` keeps the queue alive.
    var factsQueue: Unmanaged<PacketFactsQueue>?

    let hasFilter: Bool

    public init(options: Options = Options()) {
        self.options = options
        hasFilter = options.filter != nil
    }

    /// Accounts one packet.
    @inline(__always)
    public mutating func add(_ packet: CapturedPacket) {
        // `hasFilter` first: reading the class reference itself costs a retain/release per packet.
        if _slowPath(hasFilter), let filter = options.filter, !filter.matches(packet) {
            decode.filteredOut &+= 1
            return
        }
        countLinkType(packet.linkType)
        if _slowPath(!packet.options.isEmpty) { countOptions(packet) }
        var facts = PacketFacts(packet)
        let decoded = PacketDecoder.decode(packet.data, linkType: packet.linkType)
        if classify(decoded) {
            facts.declaredLength = Int32(truncatingIfNeeded: decoded.declaredPayloadLength)
            facts.payloadLength = Int32(truncatingIfNeeded: decoded.payload.count)
            facts.payloadOffset = packet.dataOffset &+ decoded.payloadOffset
            identify(decoded.flow, decoded.payload, Int(facts.declaredLength), &facts)
        }
        if let queue = factsQueue {
            // A guaranteed reference: no retain/release per packet (Inspection keeps the queue alive).
            queue._withUnsafeGuaranteedRef { $0.push(facts) }
        } else {
            figures.account(facts, payload: decoded.payload)
        }
    }

    /// Decode counts; true when the packet carries UDP or TCP (so it belongs to a stream).
    @inline(__always)
    mutating func classify(_ decoded: DecodedPacket) -> Bool {
        switch decoded.status {
        case .transport:
            countNetwork(decoded)
            // UDP is counted at `finish()` as the transport packets that are not TCP.
            if _slowPath(decoded.flow.ipProtocol != 17) { decode.tcp &+= 1 }
            return true
        case .network:
            countNetwork(decoded)
            if decoded.isFragment { decode.fragments &+= 1 } else { decode.otherTransport &+= 1 }
        case .notIP: decode.notIP &+= 1
        case .truncated: decode.truncated &+= 1
        case .malformed: decode.malformed &+= 1
        }
        return false
    }

    /// Finds (or makes) the packet's stream and says whether it carries OMD, into `facts`.
    @inline(__always)
    mutating func identify(_ flow: FlowKey, _ payload: ByteView, _ declared: Int, _ facts: inout PacketFacts) {
        let index: Int
        if _slowPath(table.count >= options.maximumStreams) {
            guard let found = table.find(flow) else { decode.packetsBeyondStreamLimit &+= 1; return }
            index = found
        } else {
            let (found, inserted) = table.findOrInsert(flow)
            if _slowPath(inserted) { identities.append(StreamIdentity()) }
            index = found
        }
        facts.streamIndex = Int32(truncatingIfNeeded: index)
        guard flow.ipProtocol == 17, options.decodeOMD else { return }
        switch identities[index].omdState {
        case 1: facts.omdIndex = identities[index].omdIndex
        case 0: facts.omdIndex = detectOMD(index, payload, declared)
        default: return
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

    /// Decides whether a UDP stream carries OMD: the first packet that parses cleanly
    /// (PktSize = UDP payload, messages framed by MsgSize) makes it OMD; three failures make it not.
    /// Returns the stream's OMD index, or −1.
    mutating func detectOMD(_ index: Int, _ payload: ByteView, _ declared: Int) -> Int32 {
        guard OMDStreamAnalyzer.looksLikeOMD(payload, declaredLength: declared) else {
            identities[index].omdProbes &+= 1
            identities[index].rejectedBeforeDetection &+= 1
            if identities[index].omdProbes >= 3 { identities[index].omdState = 2 }
            return -1
        }
        identities[index].omdState = 1
        identities[index].omdIndex = omdStreamCount
        omdStreamCount += 1
        return identities[index].omdIndex
    }

    /// Takes the figures the counting thread gathered.
    mutating func merge(figuresFrom worker: PacketFigures) {
        figures = worker
        factsQueue = nil
    }

    /// Completes the figures; call once after the last packet (and after ``merge(figuresFrom:)``).
    public mutating func finish() {
        // Every packet past the filter was decoded: it is IP unless not IP, truncated or malformed; IP
        // carries UDP or TCP unless it is a fragment or another protocol.
        let ip = figures.packets &- decode.notIP &- decode.truncated &- decode.malformed
        decode.ipv4 = ip &- decode.ipv6
        decode.udp = ip &- decode.fragments &- decode.otherTransport &- decode.tcp
        decode.timestampRegressions = figures.timestampRegressions
        figures.windows.close()
        while figures.omd.count < Int(omdStreamCount) { figures.omd.append(OMDStreamStatistics()) }
        streams = []
        streams.reserveCapacity(identities.count)
        for (index, (identity, key)) in zip(identities, table.allKeys).enumerated() {
            var stream = StreamAccumulator(key: key)
            if index < figures.streams.count {
                var f = figures.streams[index]
                f.windows.close()
                stream.packets = f.packets
                stream.bytes = f.bytes
                stream.payloadBytes = f.payloadBytes
                stream.firstTimestamp = f.firstTimestamp
                stream.lastTimestamp = f.lastTimestamp
                stream.windows = f.windows
            }
            if identity.omdIndex >= 0 {
                stream.omdIndex = Int(identity.omdIndex)
                figures.omd[stream.omdIndex].errors.packetSizeMismatch &+= identity.rejectedBeforeDetection
            }
            streams.append(stream)
        }
    }
}

import Vocabulary
import Capture

/// Which packets of a capture a replay sends.
public struct Selection: Sendable {
    /// BPF expression (libpcap syntax); nil selects every packet.
    public var filter: String?
    /// Captured destinations to send; empty selects every UDP stream.
    public var streams: [Endpoint] = []
    /// Window in capture time, ns after the capture's first packet: [from, to).
    public var from: Int64?
    public var to: Int64?
    /// Send only this shard's streams (`--shard INDEX/COUNT`): the i-th stream in captured-destination
    /// order is shard i mod COUNT's. Every shard keeps the whole replay's channel numbers (`each=`
    /// ports) and its schedule's anchor (the first selected packet of any shard), so COUNT hosts
    /// started together (`--start-at`) send what one would.
    public var shard: Shard?
    public init() {}
}

/// One captured UDP stream (by destination) in a replay, and where it goes.
public struct PlannedStream: Sendable, Equatable {
    public let destination: Endpoint
    public internal(set) var packets: UInt64 = 0
    public internal(set) var bytes: UInt64 = 0
    /// Indices into ``FeedPlan/targets``.
    public internal(set) var targets: [Int] = []
}

/// What a replay will send, worked out before anything is sent: the selected packets, their streams,
/// every stream's targets, and the capture-time window. Building it reads the capture once.
public struct FeedPlan: Sendable {
    public let path: String
    public let selection: Selection
    /// Streams in captured-destination order.
    public internal(set) var streams: [PlannedStream] = []
    /// Distinct targets, in order of first use.
    public internal(set) var targets: [Endpoint] = []
    /// Packets and payload bytes selected (one loop).
    public internal(set) var packets: UInt64 = 0
    public internal(set) var bytes: UInt64 = 0
    /// Capture time of the first and last selected packet, ns since 1970.
    public internal(set) var firstTime: Int64 = .max
    public internal(set) var lastTime: Int64 = .min
    /// Capture time of the capture's first packet (the origin of `from`/`to`).
    public internal(set) var captureStart: Int64?
    /// Selected packets left out: not UDP, or their UDP payload was cut by the capture's snap length.
    public internal(set) var skippedNotUDP: UInt64 = 0
    public internal(set) var skippedSnapped: UInt64 = 0
    /// Selected packets of unmapped streams (dropped with `dropUnmapped`).
    public internal(set) var unmappedPackets: UInt64 = 0
    /// Streams that no mapping covers.
    public internal(set) var unmapped: [Endpoint] = []
    /// destination → stream index.
    var routes = FlowTable(capacity: 64)

    /// Errors that stop a replay before it starts.
    public enum PlanError: Error, CustomStringConvertible, Sendable {
        case capture(CaptureError)
        case filter(String)
        case unmapped([Endpoint])
        case nothingSelected(String, otherPackets: UInt64)
        case unknownStreams([Endpoint])
        /// `--shard`: the shard holds none of the selected streams (more shards than streams).
        case emptyShard(Shard, streams: Int)
        public var description: String {
            switch self {
            case .capture(let e): return e.description
            case .filter(let e): return e
            case .unmapped: return withoutRemedy + " (map each to a target, or drop unmapped streams)"
            case .nothingSelected(let path, let other):
                return "\(path): no UDP packets selected" + (other > 0
                    ? " (\(other) selected packets are not UDP; to replay FIX order sessions over TCP use `rehearse gateway`)" : "")
            case .unknownStreams(let list):
                return "selected streams not in the capture: " + list.map(\.description).joined(separator: ", ")
            case .emptyShard(let shard, let streams):
                return "--shard \(shard): no stream of the \(streams) selected is this shard's (stream k is shard k mod \(shard.count)'s): use at most \(streams) shards"
            }
        }

        /// The fault alone, without advice on how to fix it (a caller with its own options advises).
        public var withoutRemedy: String {
            guard case .unmapped(let list) = self else { return description }
            return "no target for \(list.count) selected stream\(list.count == 1 ? "" : "s"): "
                + list.prefix(20).map(\.description).joined(separator: ", ") + (list.count > 20 ? ", …" : "")
        }
    }

    /// Reads the capture once and works out the plan.
    public init(path: String, selection: Selection, map: TargetMap, dropUnmapped: Bool) throws(PlanError) {
        self.path = path
        self.selection = selection
        var reader: CaptureReader
        do { reader = try CaptureReader.open(path) } catch { throw .capture(error) }
        let filter = selection.filter.map(PacketFilter.init(expression:))
        var found = FlowTable(capacity: 64)
        var counts: [(Endpoint, UInt64, UInt64, Int64, Int64)] = []  // destination, packets, bytes, first, last
        var filterError: String?
        let wanted = Set(selection.streams)
        do {
            try reader.forEachPacket { packet in
                if captureStart == nil { captureStart = packet.timestamp }
                guard let route = Self.select(packet, selection: selection, filter: filter, wanted: wanted,
                                              captureStart: captureStart!, filterError: &filterError) else { return filterError == nil }
                switch route {
                case .notUDP: skippedNotUDP &+= 1
                case .snapped: skippedSnapped &+= 1
                case .udp(let destination, let payloadLength):
                    let (index, inserted) = found.findOrInsert(Self.key(destination))
                    if inserted { counts.append((destination, 0, 0, packet.timestamp, packet.timestamp)) }
                    counts[index].1 &+= 1
                    counts[index].2 &+= UInt64(payloadLength)
                    counts[index].3 = min(counts[index].3, packet.timestamp)
                    counts[index].4 = max(counts[index].4, packet.timestamp)
                }
                return true
            }
        } catch {
            throw .capture(error)
        }
        if let filterError { throw .filter(filterError) }
        let missing = selection.streams.filter { s in !counts.contains { $0.0 == s } }
        if !missing.isEmpty { throw .unknownStreams(missing) }
        counts.sort { $0.0 < $1.0 }
        let resolved = map.resolve(counts.map(\.0))
        for (i, entry) in counts.enumerated() {
            var stream = PlannedStream(destination: entry.0)
            stream.packets = entry.1
            stream.bytes = entry.2
            // Another shard's stream: planned (it keeps its place), sent by that shard.
            guard selection.shard?.owns(i) ?? true else {
                _ = routes.findOrInsert(Self.key(entry.0))
                streams.append(stream)
                continue
            }
            for target in resolved[i] {
                if let t = targets.firstIndex(of: target) { stream.targets.append(t) } else {
                    targets.append(target)
                    stream.targets.append(targets.count - 1)
                }
            }
            if stream.targets.isEmpty {
                unmapped.append(entry.0)
                unmappedPackets &+= entry.1
            } else {
                packets &+= entry.1
                bytes &+= entry.2
            }
            _ = routes.findOrInsert(Self.key(entry.0))
            streams.append(stream)
        }
        if !unmapped.isEmpty && !dropUnmapped { throw .unmapped(unmapped) }
        if let shard = selection.shard, packets == 0, !counts.isEmpty { throw .emptyShard(shard, streams: counts.count) }
        if packets == 0 { throw .nothingSelected(path, otherPackets: skippedNotUDP) }
        // The span of what the whole replay sends, every shard's streams included: one anchor for all.
        for (i, entry) in counts.enumerated() where !resolved[i].isEmpty {
            firstTime = min(firstTime, entry.3)
            lastTime = max(lastTime, entry.4)
        }
    }

    /// Selected-packet span in capture time, ns.
    public var captureSpan: Int64 { packets > 0 ? max(0, lastTime &- firstTime) : 0 }

    enum Route { case notUDP, snapped, udp(Endpoint, Int) }

    @inline(__always)
    static func key(_ destination: Endpoint) -> FlowKey {
        FlowKey(ipProtocol: 17, source: .zero, sourcePort: 0, destination: destination.address, destinationPort: destination.port)
    }

    /// Applies the selection to one packet: nil when not selected.
    @inline(__always)
    static func select(_ packet: CapturedPacket, selection: Selection, filter: PacketFilter?, wanted: Set<Endpoint>,
                       captureStart: Int64, filterError: inout String?) -> Route? {
        let relative = packet.timestamp &- captureStart
        if let from = selection.from, relative < from { return nil }
        if let to = selection.to, relative >= to { return nil }
        if let filter {
            do { try filter.prepare(for: packet.linkType) } catch { filterError = error.description; return nil }
            if !filter.matches(packet) { return nil }
        }
        let decoded = PacketDecoder.decode(packet.data, linkType: packet.linkType)
        guard decoded.status == .transport, decoded.flow.ipProtocol == 17 else { return .notUDP }
        let destination = Endpoint(address: decoded.flow.destination, port: decoded.flow.destinationPort)
        if !wanted.isEmpty && !wanted.contains(destination) { return nil }
        if decoded.payload.count < decoded.declaredPayloadLength { return .snapped }
        return .udp(destination, decoded.payload.count)
    }
}

import Vocabulary
import Capture

/// One FIX message recovered from a capture.
public struct CapturedFIXMessage: Sendable {
    /// Index into ``FIXCaptureScan/connections``.
    public let connection: Int
    public let direction: TCPDirection
    /// The message bytes (copied out of the capture).
    public let bytes: [UInt8]
    public let streamOffset: UInt64
    /// Capture time of the segment that completed it.
    public let timestamp: Int64
    public let messageType: String
}

/// Reads every FIX message from a capture's TCP connections: reassembly, then framing per direction.
public struct FIXCaptureScan: Sendable {
    public private(set) var connections: [TCPConnection] = []
    public private(set) var messages: [CapturedFIXMessage] = []
    /// Framing errors per connection and direction (stream offsets).
    public private(set) var errors: [(connection: Int, direction: TCPDirection, error: FIXStreamError)] = []
    public private(set) var errorCount: UInt64 = 0
    public private(set) var bytesLostToGaps: UInt64 = 0
    /// The capture fault that ended the scan early (file and byte offset): everything before it is kept.
    public private(set) var captureError: CaptureError?

    /// Scans `path`; `filter` (BPF) selects packets first when given. A capture that cannot be opened
    /// throws; one damaged part-way keeps the sessions read before the fault (`captureError`).
    public init(path: String, filter: String? = nil) throws(CaptureError) {
        var reader = try CaptureReader.open(path)
        let bpf = filter.map(PacketFilter.init(expression:))
        var reassembler = TCPReassembler()
        var parsers: [FIXStreamParser] = []
        var found: [CapturedFIXMessage] = []
        var last: Int64 = 0
        func handle(_ e: TCPStreamEvent) {
            switch e {
            case .opened:
                parsers.append(FIXStreamParser())
                parsers.append(FIXStreamParser())
            case .data(let c, let d, let bytes, let t):
                parsers[c * 2 + d.rawValue].append(bytes, timestamp: t) { m in
                    let copy = m.message.bytes.withUnsafeBytes { Array($0) }
                    found.append(CapturedFIXMessage(connection: c, direction: d, bytes: copy, streamOffset: m.streamOffset,
                                                    timestamp: m.timestamp, messageType: m.message.messageType ?? ""))
                }
            case .gap(let c, let d, let missing, _):
                parsers[c * 2 + d.rawValue].gap(missing: missing)
            case .closed:
                break
            }
        }
        do {
            try reader.forEachPacket { packet in
                last = packet.timestamp
                if let bpf, (try? bpf.prepare(for: packet.linkType)) == nil || !bpf.matches(packet) { return true }
                let d = PacketDecoder.decode(packet.data, linkType: packet.linkType)
                guard d.status == .transport, d.flow.ipProtocol == 6 else { return true }
                reassembler.add(d, timestamp: packet.timestamp, handle)
                return true
            }
        } catch {
            captureError = error
        }
        reassembler.finish(timestamp: last, handle)
        connections = reassembler.connections
        messages = found
        for (i, p) in parsers.enumerated() {
            for e in p.errors { errors.append((i / 2, TCPDirection(rawValue: i % 2)!, e)) }
            errorCount &+= p.errorCount
            bytesLostToGaps &+= p.bytesLostToGaps
        }
    }
}

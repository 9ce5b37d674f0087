import Vocabulary
/// One side of a TCP connection: `client` is the side that sent the SYN (or, for a connection whose
/// start was not captured, the side of the first packet seen).
public enum TCPDirection: Int, Sendable {
    case clientToServer = 0, serverToClient = 1
}

/// What reassembly reports, in stream order per direction.
public enum TCPStreamEvent {
    /// New connection (index into ``TCPReassembler/connections``).
    case opened(connection: Int)
    /// In-order bytes of one direction, with the capture time of the segment that delivered them. The
    /// view is valid only during the callback.
    case data(connection: Int, direction: TCPDirection, bytes: ByteView, timestamp: Int64)
    /// Bytes that were never captured: the stream skips `missing` bytes here (never papered over).
    case gap(connection: Int, direction: TCPDirection, missing: UInt64, timestamp: Int64)
    /// The direction ended (FIN delivered in order, or RST, or the end of the capture).
    case closed(connection: Int, direction: TCPDirection, reason: TCPCloseReason, timestamp: Int64)
}

public enum TCPCloseReason: String, Sendable, Codable {
    case fin, reset, endOfCapture
}

/// A reassembled connection's identity and counters.
public struct TCPConnection: Sendable {
    public let client: Endpoint
    public let server: Endpoint
    /// True when the capture holds the SYN (the connection's start).
    public internal(set) var sawSYN: Bool
    public internal(set) var bytes: [UInt64] = [0, 0]
    public internal(set) var retransmittedSegments: UInt64 = 0
    public internal(set) var outOfOrderSegments: UInt64 = 0
    public internal(set) var gaps: UInt64 = 0
    public internal(set) var missingBytes: UInt64 = 0
}

/// Rebuilds the byte streams of TCP connections from captured segments: retransmissions and overlaps
/// are trimmed, out-of-order segments wait (copied, bounded) until the hole before them fills, and a hole
/// that never fills is reported as a gap of so many bytes when the buffered data must go on (the
/// buffer limit, a FIN, or the end of the capture). Sequence numbers compare modulo 2^32.
public struct TCPReassembler {
    /// Out-of-order bytes held per direction before the oldest hole is declared a gap.
    public var bufferLimit = 1 << 20

    public private(set) var connections: [TCPConnection] = []
    private var table = FlowTable(capacity: 64)
    /// Per connection and direction (index 2c + d).
    private var sides: [Side] = []

    struct Segment {
        var sequence: UInt32
        var bytes: [UInt8]
        var timestamp: Int64
        var fin: Bool
    }

    struct Side {
        var next: UInt32?          // next expected sequence number
        var pending: [Segment] = []  // out of order, sorted by sequence
        var pendingBytes = 0
        var closed = false
        var finSequence: UInt32?
    }

    public init() {}

    @inline(__always)
    static func after(_ a: UInt32, _ b: UInt32) -> Bool { Int32(bitPattern: a &- b) > 0 }
    @inline(__always)
    static func distance(_ from: UInt32, _ to: UInt32) -> Int { Int(Int32(bitPattern: to &- from)) }

    /// Feeds one decoded TCP segment (status `.transport`, protocol 6) captured at `timestamp`.
    public mutating func add(_ d: DecodedPacket, timestamp: Int64, _ emit: (TCPStreamEvent) -> Void) {
        guard d.status == .transport, d.flow.ipProtocol == 6 else { return }
        let source = Endpoint(address: d.flow.source, port: d.flow.sourcePort)
        let destination = Endpoint(address: d.flow.destination, port: d.flow.destinationPort)
        let syn = d.tcpFlags & 0x02 != 0, ack = d.tcpFlags & 0x10 != 0
        let fin = d.tcpFlags & 0x01 != 0, rst = d.tcpFlags & 0x04 != 0
        let (lowEnd, highEnd) = source < destination ? (source, destination) : (destination, source)
        let key = FlowKey(ipProtocol: 6, source: lowEnd.address, sourcePort: lowEnd.port,
                          destination: highEnd.address, destinationPort: highEnd.port)
        let (index, inserted) = table.findOrInsert(key)
        if inserted {
            // The SYN's sender is the client; a SYN-ACK's receiver is; otherwise the first sender.
            let clientIsSource = !(syn && ack)
            connections.append(TCPConnection(client: clientIsSource ? source : destination,
                                             server: clientIsSource ? destination : source, sawSYN: syn))
            sides.append(Side())
            sides.append(Side())
            emit(.opened(connection: index))
        }
        let direction: TCPDirection = source == connections[index].client ? .clientToServer : .serverToClient
        let s = index * 2 + direction.rawValue
        if sides[s].closed { return }
        if rst {
            for dir in [TCPDirection.clientToServer, .serverToClient] where !sides[index * 2 + dir.rawValue].closed {
                flush(index, dir, timestamp: timestamp, emit)
                sides[index * 2 + dir.rawValue].closed = true
                emit(.closed(connection: index, direction: dir, reason: .reset, timestamp: timestamp))
            }
            return
        }
        var sequence = d.tcpSequence
        if syn {
            connections[index].sawSYN = true
            sequence &+= 1
        }
        if sides[s].next == nil { sides[s].next = sequence }
        let payload = d.payload.prefix(d.declaredPayloadLength)
        let inOrder = sides[s].next == sequence
        accept(index, direction, sequence: sequence, payload: payload, fin: fin, timestamp: timestamp, emit)
        // Bytes the capture's snap length cut from an in-order segment are missing, not late.
        let snapped = d.declaredPayloadLength - payload.count
        if inOrder && snapped > 0 && !sides[s].closed {
            connections[index].gaps &+= 1
            connections[index].missingBytes &+= UInt64(snapped)
            emit(.gap(connection: index, direction: direction, missing: UInt64(snapped), timestamp: timestamp))
            sides[s].next = sides[s].next! &+ UInt32(snapped)
            drainPending(index, direction, emit)
        }
    }

    private mutating func accept(_ c: Int, _ direction: TCPDirection, sequence: UInt32, payload: ByteView, fin: Bool,
                                 timestamp: Int64, _ emit: (TCPStreamEvent) -> Void) {
        let s = c * 2 + direction.rawValue
        guard let next = sides[s].next else { return }
        let length = payload.count
        let end = sequence &+ UInt32(truncatingIfNeeded: length)
        if length == 0 && !fin { return }
        if !Self.after(end, next) && !(fin && end == next) {
            if length > 0 { connections[c].retransmittedSegments &+= 1 }
            return
        }
        if Self.after(sequence, next) {
            // Ahead of the stream: keep a copy until the hole fills.
            connections[c].outOfOrderSegments &+= 1
            var bytes = [UInt8](repeating: 0, count: length)
            payload.withUnsafeBytes { raw in bytes.withUnsafeMutableBytes { $0.copyMemory(from: raw) } }
            let segment = Segment(sequence: sequence, bytes: bytes, timestamp: timestamp, fin: fin)
            let position = sides[s].pending.firstIndex { Self.after($0.sequence, sequence) } ?? sides[s].pending.count
            sides[s].pending.insert(segment, at: position)
            sides[s].pendingBytes += length
            if sides[s].pendingBytes > bufferLimit { skipHole(c, direction, timestamp: timestamp, emit) }
            return
        }
        // Starts at or before `next`: deliver the new part.
        let skip = Self.distance(sequence, next)
        deliver(c, direction, payload.getSlice(from: skip) ?? .empty, fin: fin, timestamp: timestamp, emit)
        drainPending(c, direction, emit)
    }

    private mutating func deliver(_ c: Int, _ direction: TCPDirection, _ bytes: ByteView, fin: Bool, timestamp: Int64,
                                  _ emit: (TCPStreamEvent) -> Void) {
        let s = c * 2 + direction.rawValue
        if bytes.count > 0 {
            emit(.data(connection: c, direction: direction, bytes: bytes, timestamp: timestamp))
            connections[c].bytes[direction.rawValue] &+= UInt64(bytes.count)
            sides[s].next = sides[s].next! &+ UInt32(truncatingIfNeeded: bytes.count)
        }
        if fin {
            sides[s].closed = true
            emit(.closed(connection: c, direction: direction, reason: .fin, timestamp: timestamp))
        }
    }

    /// Delivers buffered segments that are now in order.
    private mutating func drainPending(_ c: Int, _ direction: TCPDirection, _ emit: (TCPStreamEvent) -> Void) {
        let s = c * 2 + direction.rawValue
        while !sides[s].closed, let first = sides[s].pending.first, let next = sides[s].next, !Self.after(first.sequence, next) {
            sides[s].pending.removeFirst()
            sides[s].pendingBytes -= first.bytes.count
            let end = first.sequence &+ UInt32(first.bytes.count)
            guard Self.after(end, next) || (first.fin && end == next) else { continue }
            let skip = Self.distance(first.sequence, next)
            first.bytes.withUnsafeBytes { raw in
                let view = ByteView(unsafeStart: raw.baseAddress, count: raw.count).getSlice(from: skip) ?? .empty
                deliver(c, direction, view, fin: first.fin, timestamp: first.timestamp, emit)
            }
        }
    }

    /// Declares the hole before the oldest buffered segment a gap and goes on from there.
    private mutating func skipHole(_ c: Int, _ direction: TCPDirection, timestamp: Int64, _ emit: (TCPStreamEvent) -> Void) {
        let s = c * 2 + direction.rawValue
        guard let first = sides[s].pending.first, let next = sides[s].next else { return }
        let missing = UInt64(max(0, Self.distance(next, first.sequence)))
        connections[c].gaps &+= 1
        connections[c].missingBytes &+= missing
        emit(.gap(connection: c, direction: direction, missing: missing, timestamp: first.timestamp))
        sides[s].next = first.sequence
        drainPending(c, direction, emit)
    }

    private mutating func flush(_ c: Int, _ direction: TCPDirection, timestamp: Int64, _ emit: (TCPStreamEvent) -> Void) {
        let s = c * 2 + direction.rawValue
        while !sides[s].closed && !sides[s].pending.isEmpty { skipHole(c, direction, timestamp: timestamp, emit) }
    }

    /// Ends every open direction at the end of the capture: buffered data after holes is delivered
    /// with its gaps, then the direction closes.
    public mutating func finish(timestamp: Int64, _ emit: (TCPStreamEvent) -> Void) {
        for c in connections.indices {
            for dir in [TCPDirection.clientToServer, .serverToClient] where !sides[c * 2 + dir.rawValue].closed {
                flush(c, dir, timestamp: timestamp, emit)
                if !sides[c * 2 + dir.rawValue].closed {
                    sides[c * 2 + dir.rawValue].closed = true
                    emit(.closed(connection: c, direction: dir, reason: .endOfCapture, timestamp: timestamp))
                }
            }
        }
    }
}

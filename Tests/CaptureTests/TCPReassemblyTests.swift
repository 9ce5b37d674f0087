import Testing
import TestSupport
import Vocabulary
@testable import Capture

/// Builds raw IPv4/TCP segments of one connection and feeds them to a reassembler.
struct TCPScript {
    let client = Endpoint("10.0.0.1:40000")!
    let server = Endpoint("10.0.0.2:9000")!
    var reassembler = TCPReassembler()
    var streams: [[UInt8]] = [[], []]
    var gaps: [(TCPDirection, UInt64)] = []
    var closes: [(TCPDirection, TCPCloseReason)] = []
    var dataTimestamps: [Int64] = []

    mutating func segment(_ direction: TCPDirection, seq: UInt32, _ text: String = "", flags: UInt8 = 0x18, at t: Int64 = 0) {
        let (s, d) = direction == .clientToServer ? (client, server) : (server, client)
        let bytes = DatagramFrame.ipv4TCPPacket(source: s, destination: d, sequence: seq, acknowledgement: 0, flags: flags, payload: Array(text.utf8))
        bytes.withUnsafeBytes { raw in
            let decoded = PacketDecoder.decode(ByteView(unsafeStart: raw.baseAddress, count: raw.count), linkType: LinkType(rawValue: 101))
            var events: [(Int, TCPDirection, [UInt8], UInt64, TCPCloseReason?, Int64)] = []
            reassembler.add(decoded, timestamp: t) { events.append(Self.flatten($0)) }
            for e in events { record(e) }
        }
    }

    /// (kind 0 data / 1 gap / 2 closed / 3 opened, direction, bytes, missing, close reason, time)
    static func flatten(_ e: TCPStreamEvent) -> (Int, TCPDirection, [UInt8], UInt64, TCPCloseReason?, Int64) {
        switch e {
        case .opened: return (3, .clientToServer, [], 0, nil, 0)
        case .data(_, let d, let b, let t): return (0, d, (0..<b.count).map { b.getUInt8(at: $0)! }, 0, nil, t)
        case .gap(_, let d, let n, let t): return (1, d, [], n, nil, t)
        case .closed(_, let d, let r, let t): return (2, d, [], 0, r, t)
        }
    }

    mutating func record(_ e: (Int, TCPDirection, [UInt8], UInt64, TCPCloseReason?, Int64)) {
        switch e.0 {
        case 0: streams[e.1.rawValue] += e.2; dataTimestamps.append(e.5)
        case 1: gaps.append((e.1, e.3))
        case 2: closes.append((e.1, e.4!))
        default: break
        }
    }

    mutating func finish() {
        var events: [(Int, TCPDirection, [UInt8], UInt64, TCPCloseReason?, Int64)] = []
        reassembler.finish(timestamp: 99) { events.append(Self.flatten($0)) }
        for e in events { record(e) }
    }

    func text(_ d: TCPDirection) -> String { String(decoding: streams[d.rawValue], as: UTF8.self) }
}

@Suite("TCP reassembly")
struct TCPReassemblyTests {
    @Test("handshake, in-order data both ways, FIN")
    func inOrder() {
        var t = TCPScript()
        t.segment(.clientToServer, seq: 1000, flags: 0x02)          // SYN
        t.segment(.serverToClient, seq: 5000, flags: 0x12)          // SYN-ACK
        t.segment(.clientToServer, seq: 1001, "hello ", at: 1)
        t.segment(.clientToServer, seq: 1007, "world", at: 2)
        t.segment(.serverToClient, seq: 5001, "ack", at: 3)
        t.segment(.clientToServer, seq: 1012, flags: 0x11, at: 4)   // FIN
        t.finish()
        #expect(t.text(.clientToServer) == "hello world")
        #expect(t.text(.serverToClient) == "ack")
        #expect(t.gaps.isEmpty)
        #expect(t.closes.map(\.1) == [.fin, .endOfCapture])
        #expect(t.reassembler.connections[0].client == t.client)
        #expect(t.reassembler.connections[0].sawSYN)
    }

    @Test("retransmissions and overlaps are trimmed; out-of-order segments wait for the hole; timestamps are the completing segment's")
    func reorderAndOverlap() {
        var t = TCPScript()
        t.segment(.clientToServer, seq: 1000, flags: 0x02)
        t.segment(.clientToServer, seq: 1001, "abc", at: 1)
        t.segment(.clientToServer, seq: 1001, "abc", at: 2)          // retransmission
        t.segment(.clientToServer, seq: 1007, "ghi", at: 3)          // ahead: waits
        t.segment(.clientToServer, seq: 1003, "cdef", at: 4)         // overlaps "c", fills the hole
        t.finish()
        #expect(t.text(.clientToServer) == "abcdefghi")
        #expect(t.gaps.isEmpty)
        #expect(t.reassembler.connections[0].retransmittedSegments == 1)
        #expect(t.reassembler.connections[0].outOfOrderSegments == 1)
        #expect(t.dataTimestamps == [1, 4, 3])
    }

    @Test("a hole that never fills is a gap of exactly the missing bytes, never papered over")
    func gap() {
        var t = TCPScript()
        t.segment(.clientToServer, seq: 1000, flags: 0x02)
        t.segment(.clientToServer, seq: 1001, "abc")
        t.segment(.clientToServer, seq: 1010, "xyz")                 // 1004…1009 never captured
        t.finish()
        #expect(t.text(.clientToServer) == "abcxyz")
        #expect(t.gaps.count == 1 && t.gaps[0].1 == 6)
        #expect(t.reassembler.connections[0].missingBytes == 6)
    }

    @Test("a connection whose start was not captured starts at its first segment; RST closes both ways; sequence numbers wrap")
    func midstreamResetAndWrap() {
        var t = TCPScript()
        t.segment(.clientToServer, seq: UInt32.max - 1, "ab")
        t.segment(.clientToServer, seq: 0, "cd")                      // wrapped
        t.segment(.serverToClient, seq: 77, "ok")
        t.segment(.serverToClient, seq: 79, flags: 0x04)             // RST
        t.segment(.clientToServer, seq: 2, "late")                   // after the reset: ignored
        t.finish()
        #expect(t.text(.clientToServer) == "abcd")
        #expect(t.text(.serverToClient) == "ok")
        #expect(!t.reassembler.connections[0].sawSYN)
        #expect(t.closes.allSatisfy { $0.1 == .reset } && t.closes.count == 2)
    }

    @Test("buffered data beyond the limit forces the oldest hole to be declared a gap")
    func bufferLimit() {
        var t = TCPScript()
        t.reassembler.bufferLimit = 8
        t.segment(.clientToServer, seq: 100, "aa")
        t.segment(.clientToServer, seq: 110, "bbbbb")
        #expect(t.gaps.isEmpty)
        t.segment(.clientToServer, seq: 115, "ccccc")                // 10 bytes buffered > 8
        #expect(t.gaps.count == 1 && t.gaps[0].1 == 8)
        #expect(t.text(.clientToServer) == "aabbbbbccccc")
    }
}

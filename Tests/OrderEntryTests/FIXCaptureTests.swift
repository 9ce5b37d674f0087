import Vocabulary
import Capture
import Foundation
import Synth
import TestSupport
import Testing
@testable import OrderEntry

@Suite("FIX sessions from captures")
struct FIXCaptureTests {
    @Test("synth --fix sessions come back whole: every message once, in MsgSeqNum order, despite splits, coalescing and retransmissions")
    func synthesizedSessions() throws {
        var c = FIXSynthConfiguration()
        c.seed = 3
        c.sessions = 3
        c.ordersPerSession = 400
        let path = NSTemporaryDirectory() + "rehearse-fix-\(UUID().uuidString).pcap"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let summary = try FIXSynthesizer.generate(c, to: path)
        #expect(summary.splitMessages > 0 && summary.coalescedSegments > 0 && summary.retransmissions > 0)
        let scan = try FIXCaptureScan(path: path)
        #expect(scan.errorCount == 0)
        #expect(scan.connections.count == 3)
        #expect(scan.connections.allSatisfy { $0.sawSYN && $0.server == c.gateway })
        #expect(scan.connections.map(\.retransmittedSegments).reduce(0, +) == UInt64(summary.retransmissions))
        let client = scan.messages.filter { $0.direction == .clientToServer }
        let gateway = scan.messages.filter { $0.direction == .serverToClient }
        #expect(client.count == summary.clientMessages)
        #expect(gateway.count == summary.gatewayMessages)
        for connection in 0..<3 {
            for direction in [TCPDirection.clientToServer, .serverToClient] {
                let numbers = scan.messages.filter { $0.connection == connection && $0.direction == direction }.map { m in
                    m.bytes.withUnsafeBytes { FIXMessage(unchecked: ByteView(unsafeStart: $0.baseAddress, count: $0.count)).sequenceNumber ?? -1 }
                }
                #expect(numbers == Array(1...numbers.count), "connection \(connection) \(direction)")
            }
        }
        #expect(client.first?.messageType == "A" && client.last?.messageType == "5")
        #expect(Set(client.map(\.messageType)).isSuperset(of: ["D", "F", "G"]))
    }

    @Test("a corrupt message in a stream is counted with its stream offset; the rest still parse")
    func corruptInStream() {
        var parser = FIXStreamParser()
        let a = newOrder(clOrdID: "A"), b = newOrder(clOrdID: "B"), c = newOrder(clOrdID: "C")
        var bad = b
        bad[bad.count - 3] = bad[bad.count - 3] == 0x30 ? 0x31 : 0x30
        let stream = a + bad + c
        var found: [String] = []
        // Fed in uneven chunks, as TCP delivers.
        var offset = 0
        for size in [7, 50, 1, 200, 33, 1000] where offset < stream.count {
            let chunk = Array(stream[offset..<min(stream.count, offset + size)])
            withView(chunk) { v in
                parser.append(v, timestamp: Int64(offset)) { m in found.append(m.message.value(11).map(FIXMessage.string) ?? "?") }
            }
            offset += size
        }
        #expect(found == ["A", "C"])
        #expect(parser.errorCount == 1)
        #expect(parser.errors.first == FIXStreamError(kind: .checksumMismatch, streamOffset: UInt64(a.count), skippedBytes: bad.count))
    }

    @Test("a reassembly gap loses the message it cut, without a false error, and framing resumes")
    func gapResync() {
        var parser = FIXStreamParser()
        let a = newOrder(clOrdID: "A"), b = newOrder(clOrdID: "B")
        var found: [String] = []
        withView(a + Array(b[0..<30])) { v in parser.append(v, timestamp: 1) { found.append($0.message.value(11).map(FIXMessage.string) ?? "?") } }
        parser.gap(missing: 10)
        withView(Array(b[40...]) + a) { v in parser.append(v, timestamp: 2) { found.append($0.message.value(11).map(FIXMessage.string) ?? "?") } }
        #expect(found == ["A", "A"])
        #expect(parser.errorCount == 0)
        #expect(parser.bytesLostToGaps == UInt64(b.count - 10))
    }
}

import Testing
import Vocabulary
@testable import MarketData

/// The recovery services' messages (docs/formats/omd.md): the layouts and codes of the specification,
/// read back from bytes laid out by hand as well as from our encoder.
@Suite("OMD recovery messages: Logon, Retransmission Request/Response, Refresh Complete")
struct OMDRecoveryMessageTests {
    func decode(_ packet: [UInt8]) -> [OMDRecoveryMessage?] {
        packet.withUnsafeBytes { raw in
            guard let p = OMDPacket(ByteView(unsafeStart: raw.baseAddress, count: raw.count)) else { return [] }
            return p.messages.map { OMDRecoveryMessage($0) }
        }
    }

    @Test("a client's request is one 16-byte message in a 32-byte packet with SeqNum 0 and SendTime 0, laid out as the specification says")
    func requestLayout() {
        let p = OMDRecoveryMessage.retransmissionRequest(channel: 21, begin: 1_000, end: 1_999).packet()
        let expected: [UInt8] = [32, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,   // PktSize 32, MsgCount 1, SeqNum 0, SendTime 0
                                 16, 0, 201, 0, 21, 0, 0, 0, 0xE8, 0x03, 0, 0, 0xCF, 0x07, 0, 0]
        #expect(p == expected)
        #expect(decode(p) == [.retransmissionRequest(channel: 21, begin: 1_000, end: 1_999)])
    }

    @Test("every message round-trips; codes outside the specification are kept as such; a user name is cut at 12 characters and space-padded")
    func roundTrip() {
        let all: [OMDRecoveryMessage] = [
            .logon(username: "TRADER01"), .logonResponse(.active), .logonResponse(.invalidUser), .logonResponse(.alreadyConnected),
            .logonResponse(.other(7)), .retransmissionResponse(channel: 3, status: .accepted, begin: 5, end: 9),
            .retransmissionResponse(channel: 3, status: .notAvailable, begin: 5, end: 9),
            .retransmissionResponse(channel: 3, status: .rangeTooBig, begin: 1, end: 20_000),
            .retransmissionResponse(channel: 3, status: .tooManyRequests, begin: 1, end: 2),
            .retransmissionResponse(channel: 3, status: .unknownChannel, begin: 1, end: 2),
            .retransmissionResponse(channel: 3, status: .other(42), begin: 1, end: 2), .refreshComplete(lastSequence: 123_456),
        ]
        for m in all { #expect(decode(m.packet()) == [m], "\(m)") }
        let long = OMDRecoveryMessage.logon(username: "ABCDEFGHIJKLMNOP").packet()
        #expect(Array(long[20..<32]) == Array("ABCDEFGHIJKL".utf8) && decode(long) == [.logon(username: "ABCDEFGHIJKL")])
        #expect(Array(OMDRecoveryMessage.logon(username: "AB").packet()[22..<32]) == [UInt8](repeating: 0x20, count: 10))
    }

    @Test("a message shorter than its type needs, or of another type, is not read as a recovery message")
    func refused() {
        // A Retransmission Response with MsgSize 8 (its fields need 16).
        var b = OMDPacketBuilder()
        b.start(sequenceNumber: 0, sendTime: 0)
        _ = b.message(type: OMDMessageType.retransmissionResponse, length: 8)
        _ = b.message(type: OMDMessageType.addOrder, length: 32)
        b.finish()
        #expect(decode(b.packet) == [nil, nil])
    }
}

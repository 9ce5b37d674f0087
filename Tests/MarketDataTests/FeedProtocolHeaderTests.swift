import Testing
import Vocabulary
@testable import MarketData

/// The packet-header checks of CME MDP 3.0 and EOBI, built by hand from their specifications'
/// layouts (not by our synthesizer), and the sequencing rules they state.
@Suite("feed protocol headers: CME MDP 3.0 and EOBI")
struct FeedProtocolHeaderTests {
    static func le16(_ v: Int) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF)] }
    static func le32(_ v: UInt64) -> [UInt8] { (0..<4).map { UInt8(v >> (8 * $0) & 0xFF) } }
    static func le64(_ v: UInt64) -> [UInt8] { (0..<8).map { UInt8(v >> (8 * $0) & 0xFF) } }
    static let time: UInt64 = 1_767_575_700_123_456_789

    /// MsgSeqNum, SendingTime, then one SBE message per template: MsgSize, BlockLength, TemplateID,
    /// SchemaID 1, Version 9, body.
    static func mdp3(sequence: UInt64, templates: [Int], body: Int = 20, schema: Int = 1) -> [UInt8] {
        le32(sequence) + le64(time) + templates.flatMap { t -> [UInt8] in
            let sbe: [UInt8] = le16(body) + le16(t) + le16(schema) + le16(9)
            return le16(body + 10) + sbe + [UInt8](repeating: 7, count: body)
        }
    }

    /// PacketHeader (32 bytes) then one message per template: BodyLen, TemplateID, MsgSeqNum, body.
    static func eobi(applSeqNum: UInt64, segment: UInt64, reset: UInt8 = 0, templates: [Int], packetID: Int = 13005) -> [UInt8] {
        var header: [UInt8] = le16(32) + le16(packetID) + le32(0) + le32(applSeqNum) + le32(segment)
        header += [3, 1, reset, 0, 0, 0, 0, 0] + le64(time)
        return header + templates.enumerated().flatMap { i, t -> [UInt8] in le16(24) + le16(t) + le32(UInt64(i + 1)) + [UInt8](repeating: 1, count: 16) }
    }

    func header(_ p: FeedProtocol, _ bytes: [UInt8]) -> FeedPacketHeader? {
        bytes.withUnsafeBytes { p.header(ByteView(unsafeStart: $0.baseAddress, count: $0.count)) }
    }

    @Test("CME MDP 3.0: a packet takes one number; heartbeats and channel resets as the spec says; each structural check refuses")
    func mdp3() {
        let h = header(.cmeMDP3, Self.mdp3(sequence: 41, templates: [46, 48]))
        #expect(h == FeedPacketHeader(kind: .data, session: 0, firstSequence: 41, messageCount: 2, sendTime: Int64(Self.time)))
        #expect(header(.cmeMDP3, Self.mdp3(sequence: 42, templates: [12], body: 0))?.kind == .heartbeat)
        #expect(header(.cmeMDP3, Self.mdp3(sequence: 43, templates: [4, 46]))?.kind == .sequenceReset)
        var short = Self.mdp3(sequence: 41, templates: [46])
        short.removeLast()
        #expect(header(.cmeMDP3, short) == nil, "messages must end exactly at the end")
        #expect(header(.cmeMDP3, Self.mdp3(sequence: 41, templates: [46], schema: 2)) == nil, "SchemaID 1 only")
        #expect(header(.cmeMDP3, Self.mdp3(sequence: 0, templates: [46])) == nil, "MsgSeqNum starts at 1")
        #expect(header(.cmeMDP3, Array(Self.mdp3(sequence: 41, templates: [46]).prefix(12))) == nil, "at least one message")
        var past = Self.mdp3(sequence: 41, templates: [46])
        past.replaceSubrange(4..<12, with: Self.le64(1_000))
        #expect(header(.cmeMDP3, past) == nil, "SendingTime in 1970 is not plausible")
    }

    @Test("EOBI: PacketID 13005 and 32-byte header; a Heartbeat packet carries no number; ApplSeqResetIndicator starts a new sequence")
    func eobi() {
        let h = header(.eurexEOBI, Self.eobi(applSeqNum: 9, segment: 688, templates: [13100, 13104]))
        #expect(h == FeedPacketHeader(kind: .data, session: 688, firstSequence: 9, messageCount: 2, sendTime: Int64(Self.time)))
        #expect(header(.eurexEOBI, Self.eobi(applSeqNum: 9, segment: 688, templates: [13001]))?.kind == .heartbeat)
        #expect(header(.eurexEOBI, Self.eobi(applSeqNum: 1, segment: 688, reset: 1, templates: [13100]))?.kind == .sequenceReset)
        #expect(header(.eurexEOBI, Self.eobi(applSeqNum: 9, segment: 688, templates: [13100], packetID: 13003)) == nil)
        #expect(header(.eurexEOBI, Self.eobi(applSeqNum: 9, segment: 688, reset: 2, templates: [13100])) == nil)
        #expect(header(.eurexEOBI, Self.eobi(applSeqNum: 9, segment: 688, templates: [10100])) == nil, "EOBI templates are 13000–13999")
    }

    @Test("a stream of each is recognised as that protocol alone; EOBI products interleave without false gaps or resets; a lost packet is one missing")
    func streams() {
        var cme = FeedStream(), eobi = FeedStream()
        for n in 1...20 where n != 7 {
            Self.mdp3(sequence: UInt64(n), templates: [46, 46, 48]).withUnsafeBytes { cme.add(ByteView(unsafeStart: $0.baseAddress, count: $0.count), timestamp: Int64(n)) }
            // Two products alternating, each numbered 1, 2, 3, …
            Self.eobi(applSeqNum: UInt64((n + 1) / 2), segment: UInt64(600 + n % 2), templates: [13100]).withUnsafeBytes {
                eobi.add(ByteView(unsafeStart: $0.baseAddress, count: $0.count), timestamp: Int64(n))
            }
        }
        cme.finish()
        eobi.finish()
        #expect(cme.feedProtocol == .cmeMDP3 && eobi.feedProtocol == .eurexEOBI)
        #expect(cme.statistics.gaps == 1 && cme.statistics.missingMessages == 1 && cme.messages == 57 && cme.packets == 19)
        #expect(eobi.statistics.gaps == 1 && eobi.statistics.missingMessages == 1 && eobi.sessions == 2 && eobi.sessionChanges == 0)
    }
}

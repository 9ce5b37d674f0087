import TestSupport
import Vocabulary
import MarketData
import Testing

@Suite("OMD sequence rules")
struct SequenceTrackerTests {
    @Test("in order, gap, duplicate, partial duplicate")
    func basics() {
        var t = SequenceTracker()
        #expect(t.observe(sequenceNumber: 1, messageCount: 3) == .first)
        #expect(t.observe(sequenceNumber: 4, messageCount: 2) == .inOrder)
        #expect(t.observe(sequenceNumber: 10, messageCount: 1) == .gap)  // 6…9 missing
        #expect(t.statistics.gaps == 1 && t.statistics.missingMessages == 4)
        #expect(t.gapHistory.first?.first == 6 && t.gapHistory.first?.last == 9)
        #expect(t.observe(sequenceNumber: 1, messageCount: 2) == .duplicate)
        #expect(t.statistics.duplicateMessages == 2 && t.statistics.duplicatePackets == 1)
        #expect(t.observe(sequenceNumber: 10, messageCount: 3) == .partialDuplicate)  // 10 old, 11–12 new
        #expect(t.expected == 13)
        #expect(t.statistics.duplicateMessages == 3)
    }

    @Test("a late packet fills its gap: reordered, not duplicate, and no longer missing")
    func reorder() {
        var t = SequenceTracker()
        t.observe(sequenceNumber: 1, messageCount: 2)
        #expect(t.observe(sequenceNumber: 5, messageCount: 2) == .gap)   // 3, 4 missing
        #expect(t.observe(sequenceNumber: 3, messageCount: 2) == .reordered)
        #expect(t.statistics.missingMessages == 0)
        #expect(t.statistics.reorderedPackets == 1)
        #expect(t.statistics.duplicateMessages == 0)
        #expect(t.observe(sequenceNumber: 3, messageCount: 1) == .duplicate)  // now it is a duplicate
        // A fill of the middle of a gap splits it.
        t.observe(sequenceNumber: 20, messageCount: 1)  // 7…19 missing
        #expect(t.observe(sequenceNumber: 10, messageCount: 2) == .reordered)
        #expect(t.statistics.missingMessages == 11)
        #expect(t.observe(sequenceNumber: 7, messageCount: 3) == .reordered)
        #expect(t.observe(sequenceNumber: 12, messageCount: 8) == .reordered)
        #expect(t.statistics.missingMessages == 0)
    }

    @Test("heartbeats: SN of the previous message; SN at or beyond expected means the tail was lost")
    func heartbeats() {
        var t = SequenceTracker()
        t.observe(sequenceNumber: 1, messageCount: 5)  // expect 6
        #expect(t.observe(sequenceNumber: 5, messageCount: 0) == .heartbeat)
        #expect(t.observe(sequenceNumber: 8, messageCount: 0) == .heartbeatGap)  // 6, 7, 8 lost
        #expect(t.statistics.missingMessages == 3)
        #expect(t.expected == 9)
        #expect(t.observe(sequenceNumber: 2, messageCount: 0) == .staleHeartbeat)
        #expect(t.statistics.heartbeats == 3)
        #expect(t.statistics.packets == 1)
    }

    @Test("Sequence Reset: next expected = NewSeqNo; a heartbeat with the reset's SN is not a gap")
    func reset() {
        var t = SequenceTracker()
        t.observe(sequenceNumber: 1, messageCount: 100)
        #expect(t.observe(sequenceNumber: 1, messageCount: 1, reset: (1, 0)) == .reset)
        #expect(t.expected == 1)
        #expect(t.observe(sequenceNumber: 1, messageCount: 0) == .heartbeat)
        #expect(t.statistics.gaps == 0)
        #expect(t.observe(sequenceNumber: 1, messageCount: 4) == .inOrder)
        #expect(t.statistics.resets == 1)
        // A restart far behind without a reset is reported as such, not as millions of duplicates.
        t.observe(sequenceNumber: 3_000_000, messageCount: 1)
        #expect(t.observe(sequenceNumber: 1, messageCount: 1) == .unannouncedReset)
        #expect(t.statistics.unannouncedResets == 1)
    }

    @Test("a Sequence Reset followed by messages in its packet: they are numbered by position, the next packet follows without a false gap")
    func resetSharingAPacket() {
        var t = SequenceTracker()
        t.observe(sequenceNumber: 5_000, messageCount: 10)
        // [Reset NewSeqNo 1, m, m] with header SN 1 (as venue captures number it): the reset is SN 1,
        // the messages 2 and 3.
        #expect(t.observe(sequenceNumber: 1, messageCount: 3, reset: (1, 2)) == .reset)
        #expect(t.expected == 4)
        #expect(t.observe(sequenceNumber: 4, messageCount: 5) == .inOrder)
        #expect(t.statistics.gaps == 0 && t.statistics.missingMessages == 0)
        // A reset last in its packet: NewSeqNo is next, whatever the header.
        #expect(t.observe(sequenceNumber: 9, messageCount: 2, reset: (1, 0)) == .reset)
        #expect(t.observe(sequenceNumber: 1, messageCount: 1) == .inOrder && t.statistics.gaps == 0)
    }

    @Test("open gaps are bounded: older ones become final", arguments: [SequenceTracker.openGapCapacity + 10])
    func boundedGaps(gaps: Int) {
        var t = SequenceTracker()
        t.observe(sequenceNumber: 1, messageCount: 1)
        for i in 0..<gaps { t.observe(sequenceNumber: UInt32(3 + 2 * i), messageCount: 1) }  // every other SN missing
        #expect(t.statistics.gaps == UInt64(gaps))
        #expect(t.observe(sequenceNumber: 2, messageCount: 1) == .duplicate)  // the oldest gap fell out of the window
        #expect(t.observe(sequenceNumber: UInt32(2 + 2 * (gaps - 1)), messageCount: 1) == .reordered)
    }
}

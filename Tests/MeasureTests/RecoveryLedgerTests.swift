import Vocabulary
import Measure
import Testing

@Suite("The recovery ledger: requests within the limits, nothing credited that did not come back")
struct RecoveryLedgerTests {
    @Test("a big gap is split at the request limit; close small gaps of one channel share a request, far ones and other channels do not")
    func splitAndMerge() throws {
        var l = RecoveryLedger(maximumPerRequest: 100, attemptsPerGap: 2)
        l.add(channel: 0, first: 1, last: 250, monotonic: 0, realtime: 0)
        l.add(channel: 0, first: 300, last: 310, monotonic: 0, realtime: 0)
        l.add(channel: 0, first: 315, last: 320, monotonic: 0, realtime: 0)   // 4 received in between: merged
        l.add(channel: 0, first: 380, last: 381, monotonic: 0, realtime: 0)   // 59 in between for 19 missing: not
        l.add(channel: 1, first: 382, last: 383, monotonic: 0, realtime: 0)
        let requests = (0..<6).compactMap { _ in l.nextRequest(now: 5) }
        #expect(requests.map { [$0.begin, $0.end] } == [[1, 100], [101, 200], [201, 250], [300, 320], [380, 381], [382, 383]])
        #expect(requests[3].gaps == [1, 2] && requests[5].channel == 1)
        #expect(l.gaps[0].requests == 3 && l.gaps[0].requestedAfterNs == 5)
    }

    @Test("messages are credited in order, once; a gap is recovered at its last message; wrong numbers and extras are not credited")
    func credit() throws {
        var l = RecoveryLedger(maximumPerRequest: 1_000, attemptsPerGap: 1)
        l.add(channel: 0, first: 10, last: 12, monotonic: 100, realtime: 1_000)
        l.add(channel: 0, first: 14, last: 14, monotonic: 100, realtime: 1_000)
        let nextr = l.nextRequest(now: 150)
        let r = try #require(nextr)
        #expect(r.begin == 10 && r.end == 14)
        do { let o = l.received(10, for: r, now: 200); #expect(o == .recovered) }
        do { let o = l.received(10, for: r, now: 200); #expect(o == .extra) }
        do { let o = l.received(12, for: r, now: 200); #expect(o == .wrongSequence) }   // 11 skipped
        do { let o = l.received(11, for: r, now: 210); #expect(o == .recovered) }
        do { let o = l.received(12, for: r, now: 220); #expect(o == .recovered) }
        do { let o = l.received(13, for: r, now: 225); #expect(o == .extra) }           // received already on the line
        #expect(!l.isComplete(r))
        do { let o = l.received(15, for: r, now: 230); #expect(o == .wrongSequence) }
        do { let o = l.received(14, for: r, now: 240); #expect(o == .recovered && l.isComplete(r)) }
        #expect(l.gaps.map(\.timeToRecoverNs) == [120, 140] && l.gaps.allSatisfy { $0.source == .rts && $0.reason == nil })
        let report = RecoveryReport(servers: ["x"], ledger: l, counters: RecoveryCounters())
        #expect(report.missing == 4 && report.recovered == 4 && report.unrecovered == 0 && report.timeToRecover?.count == 2)
    }

    @Test("a failed answer goes back for the next server from the first message still missing, up to the attempts; a refusal ends the gap")
    func failAndRefuse() throws {
        var l = RecoveryLedger(maximumPerRequest: 1_000, attemptsPerGap: 2)
        l.add(channel: 0, first: 1, last: 10, monotonic: 0, realtime: 0)
        let nextr = l.nextRequest(now: 0)
        let r = try #require(nextr)
        for sn in UInt32(1)...4 { _ = l.received(sn, for: r, now: 1) }
        l.fail(r, reason: "disconnected")
        let nextagain = l.nextRequest(now: 2)
        let again = try #require(nextagain)
        #expect(again.begin == 5 && again.end == 10)
        l.fail(again, reason: "timed out")
        let none = l.nextRequest(now: 3)
        #expect(none == nil && l.gaps[0].reason == "timed out" && l.gaps[0].recovered == 4)
        l.add(channel: 0, first: 20, last: 29, monotonic: 0, realtime: 0)
        let nextbig = l.nextRequest(now: 4)
        let big = try #require(nextbig)
        l.shrink(big)
        let half = l.nextRequest(now: 5)
        #expect(l.maximumPerRequest == 5 && half.map { [$0.begin, $0.end] } == [20, 24])
        l.add(channel: 0, first: 40, last: 40, monotonic: 0, realtime: 0)
        l.abandonAll(reason: "run ended")
        let report = RecoveryReport(servers: [], ledger: l, counters: RecoveryCounters())
        #expect(report.gapsRecovered == 0 && report.recovered == 4 && report.unrecovered == 17 && report.timeToRecover == nil)
        #expect(l.gaps.allSatisfy { $0.reason != nil && $0.timeToRecoverNs == nil })
    }
}

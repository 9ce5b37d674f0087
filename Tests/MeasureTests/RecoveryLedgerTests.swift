import Vocabulary
import Measure
import MarketData
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

    @Test("an answer must be the range asked for, in order: its gaps' messages credited, those between them not; anything out of order is a wrong answer, nothing credited under another number")
    func credit() throws {
        var l = RecoveryLedger(maximumPerRequest: 1_000, attemptsPerGap: 1)
        l.add(channel: 0, first: 10, last: 12, monotonic: 100, realtime: 1_000)
        l.add(channel: 0, first: 14, last: 14, monotonic: 100, realtime: 1_000)
        let nextr = l.nextRequest(now: 150)
        var r = try #require(nextr)
        #expect(r.begin == 10 && r.end == 14 && r.next == 10)
        do { let o = l.received(10, for: &r, now: 200); #expect(o == .recovered) }
        do { let o = l.received(10, for: &r, now: 200); #expect(o == .wrongSequence) }   // a repeat
        do { let o = l.received(12, for: &r, now: 200); #expect(o == .wrongSequence) }   // 11 skipped
        do { let o = l.received(11, for: &r, now: 210); #expect(o == .recovered) }
        do { let o = l.received(12, for: &r, now: 220); #expect(o == .recovered) }
        do { let o = l.received(13, for: &r, now: 225); #expect(o == .extra) }           // received already on the line
        #expect(!l.isComplete(r))
        do { let o = l.received(15, for: &r, now: 230); #expect(o == .wrongSequence) }
        do { let o = l.received(14, for: &r, now: 240); #expect(o == .recovered && l.isComplete(r)) }
        #expect(l.gaps.map(\.timeToRecoverNs) == [120, 140] && l.gaps.allSatisfy { $0.source == .rts && $0.reason == nil })
        let report = RecoveryReport(servers: ["x"], ledger: l, counters: RecoveryCounters())
        #expect(report.missing == 4 && report.recovered == 4 && report.unrecovered == 0 && report.timeToRecover?.count == 2)
        // An answer numbered one off (a server's bug): the first message is not the one due, so no gap is
        // credited — not even one whose numbers the shifted messages happen to carry.
        var shifted = RecoveryLedger(maximumPerRequest: 1_000, attemptsPerGap: 1)
        shifted.add(channel: 0, first: 100, last: 100, monotonic: 0, realtime: 0)
        shifted.add(channel: 0, first: 102, last: 103, monotonic: 0, realtime: 0)
        let nexts = shifted.nextRequest(now: 0)
        var s = try #require(nexts)
        #expect(s.begin == 100 && s.end == 103)
        do { let o = shifted.received(101, for: &s, now: 1); #expect(o == .wrongSequence) }
        #expect(shifted.gaps.allSatisfy { $0.recovered == 0 })
    }

    @Test("a failed answer goes back for the next server from the first message still missing, up to the attempts; a refusal ends the gap")
    func failAndRefuse() throws {
        var l = RecoveryLedger(maximumPerRequest: 1_000, attemptsPerGap: 2)
        l.add(channel: 0, first: 1, last: 10, monotonic: 0, realtime: 0)
        let nextr = l.nextRequest(now: 0)
        var r = try #require(nextr)
        for sn in UInt32(1)...4 { _ = l.received(sn, for: &r, now: 1) }
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

@Suite("A line's gaps judged against the retransmission service's limits")
struct RecoverabilityTests {
    @Test("within the window and the budget recoverable; a gap larger than the window, and requests past the budget, lost to the RTS; the budget shared across channels in time order")
    func classify() {
        func gap(_ first: UInt32, _ size: UInt32, at t: Int64) -> SequenceGap { SequenceGap(first: first, last: first + size - 1, timestamp: t) }
        var limits = RecoveryLimits()
        limits.window = 100
        limits.maximumPerRequest = 30
        limits.dailyRequests = 5
        // Channel 0: 40 messages (2 requests) at t1, 150 (beyond the window) at t3, 10 at t5 (1 request, over budget by then).
        // Channel 1: 60 messages (2 requests) at t2, 5 at t4 (1 request: the fifth).
        let judged = LineRecoverability.classify(gaps: [[gap(10, 40, at: 1), gap(500, 150, at: 3), gap(900, 10, at: 5)],
                                                        [gap(10, 60, at: 2), gap(200, 5, at: 4)]],
                                                 gapMessages: [200 + 7, 65], limits: limits)
        #expect(judged[0].recoverable == 40 && judged[0].beyondWindow == 150 && judged[0].beyondBudget == 10 && judged[0].unclassified == 7)
        #expect(judged[0].requests == 2 && judged[1].requests == 3 && judged[1].recoverable == 65 && judged[1].beyondBudget == 0)
    }
}

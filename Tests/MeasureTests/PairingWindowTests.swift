@testable import Measure
import Testing

@Suite("Offline pairing through a bounded window")
struct PairingWindowTests {
    /// Feeds `messages` (side, sequence, time) in order; returns the pairing settled and its walk.
    func pair(_ messages: [(side: Int, sequence: UInt32, time: Int64)], limits: PairingLimits = PairingLimits(),
              hash: (Int, UInt32) -> UInt64 = { _, s in UInt64(s) }) -> (ChannelPairing, PairWalk, [PairRecord]) {
        var pairing = ChannelPairing(tenthStart: 0, tenthSpan: 1_000_000_000_000, limits: limits)
        var outcomes: [PairRecord] = []
        for m in messages {
            outcomes.append(pairing.record(side: m.side, epoch: 0, m.sequence, time: m.time, hash: hash(m.side, m.sequence)))
        }
        let (epochs, _) = pairing.finish()
        var walk = pairing.walk
        walk.join(epochs)
        return (pairing, walk, outcomes)
    }

    @Test("a long channel in step holds a few slots however long it runs: 1,000,000 messages a line, B 50 µs behind")
    func boundedForALongChannel() {
        var pairing = ChannelPairing(tenthStart: 0, tenthSpan: 1_000_000_000, limits: PairingLimits())
        var largest = 0
        for i in 0..<1_000_000 {
            let t = Int64(i) * 10_000
            _ = pairing.record(side: 0, epoch: 0, UInt32(i + 1), time: t, hash: 7)
            // B's copy of the message A sent 5 messages earlier (50 µs behind).
            if i >= 5 { _ = pairing.record(side: 1, epoch: 0, UInt32(i - 4), time: t, hash: 7) }
            largest = max(largest, pairing.allocated)
        }
        for i in 999_995..<1_000_000 { _ = pairing.record(side: 1, epoch: 0, UInt32(i + 1), time: 10_000_000_000, hash: 7) }
        #expect(largest <= 16, "the window grew to \(largest) slots")
        _ = pairing.finish()
        #expect(pairing.walk.both == 1_000_000 && pairing.walk.missingA == 0 && pairing.walk.missingB == 0)
    }

    @Test("out of order within the horizon, and a line whose first message is below the other's: paired as a whole-capture walk pairs them")
    func reorderedAndLowerStart() {
        // A: 10…20 in order. B: starts at 7 (after A's 10), then 9, 8 (reordered), 10…20 with 15 and 14 swapped.
        var messages: [(side: Int, sequence: UInt32, time: Int64)] = (10...20).map { (0, UInt32($0), Int64($0) * 1_000) }
        var t: Int64 = 10_500
        for s: UInt32 in [7, 9, 8, 10, 11, 12, 13, 15, 14, 16, 17, 18, 19, 20] {
            messages.append((1, s, t))
            t += 1_000
        }
        messages.sort { $0.time < $1.time }
        let (pairing, walk, outcomes) = pair(messages)
        #expect(outcomes.allSatisfy { $0 == .recorded })
        #expect(walk.both == 11 && walk.missingA == 3 && walk.missingB == 0 && pairing.late == (0, 0))
        // 7, 8, 9 on B only: one run of three from 7.
        #expect(walk.longest == 3 && walk.longestSide == 2 && walk.longestFirst == 7)
    }

    @Test("a repeat far behind the window is a duplicate of its line, not a late copy; one before the history is late")
    func repeatsBehindTheWindow() {
        var messages: [(side: Int, sequence: UInt32, time: Int64)] = []
        for s in 1...10_000 as ClosedRange<UInt32> {
            messages.append((0, s, Int64(s) * 1_000))
            messages.append((1, s, Int64(s) * 1_000 + 10))
        }
        // B replays 100…199 at the end (a publisher failover's burst).
        for s in 100..<200 as Range<UInt32> { messages.append((1, s, 20_000_000)) }
        let (pairing, walk, outcomes) = pair(messages)
        #expect(outcomes.suffix(100).allSatisfy { $0 == .duplicate })
        #expect(walk.both == 10_000 && pairing.late == (0, 0))
    }

    @Test("a standby silent longer than the horizon: what it then delivers was settled missing, is counted late and said; a wider horizon pairs it all")
    func lateBeyondTheHorizon() {
        // A: one message every 10 ms for 30 s. B: in step until 5 s, silent until 20 s, then everything it missed at once and in step again.
        var messages: [(side: Int, sequence: UInt32, time: Int64)] = []
        for i in 0..<3_000 {
            let t = Int64(i) * 10_000_000, s = UInt32(i + 1)
            messages.append((0, s, t))
            if t < 5_000_000_000 { messages.append((1, s, t + 1_000)) }
            if t == 20_000_000_000 { for k in 500...i { messages.append((1, UInt32(k + 1), t)) } }
            if t > 20_000_000_000 { messages.append((1, s, t + 1_000)) }
        }
        let (narrow, walk, _) = pair(messages)
        // B's copies of A's messages older than the 10 s horizon at 20 s (those sent before 10 s) came too late.
        #expect(narrow.late.a == 0 && narrow.late.b == 500)
        #expect(walk.missingB == 500 && walk.both == 2_500 && walk.longest == 500 && walk.longestSide == 1)
        var wide = PairingLimits()
        wide.horizon = 30_000_000_000
        let (roomy, all, _) = pair(messages, limits: wide)
        #expect(roomy.late == (0, 0) && all.both == 3_000 && all.missingB == 0)
    }

    @Test("a window smaller than the one-sided stretch settles the oldest early and says how many")
    func fullWindow() {
        var small = PairingLimits()
        small.window = 1_024
        var messages: [(side: Int, sequence: UInt32, time: Int64)] = (1...5_000).map { (0, UInt32($0), Int64($0) * 1_000) }
        messages += (1...5_000).map { (1, UInt32($0), 6_000_000 + Int64($0)) }
        var pairing = ChannelPairing(tenthStart: 0, tenthSpan: 1_000_000_000, limits: small)
        for m in messages { _ = pairing.record(side: m.side, epoch: 0, m.sequence, time: m.time, hash: 1) }
        #expect(pairing.allocated <= 1_024)
        let (_, early) = pairing.finish()
        // 5,000 held one-sided in a 1,024 window: the oldest 3,976 settled early, and B's copies of them were late.
        #expect(early == 3_976 && pairing.late.b == 3_976 && pairing.walk.both == 1_024)
    }

    @Test("a differing copy is a mismatch, sampled in sequence order across epochs joined in epoch order")
    func mismatchesAcrossEpochs() {
        var pairing = ChannelPairing(tenthStart: 0, tenthSpan: 1_000_000_000)
        for epoch in [UInt64(1), 0] {
            for s in 1...20 as ClosedRange<UInt32> {
                let differs = s % 7 == 0
                _ = pairing.record(side: 0, epoch: epoch, s, time: Int64(s), hash: UInt64(s))
                _ = pairing.record(side: 1, epoch: epoch, s, time: Int64(s) + 5, hash: UInt64(s) + (differs ? 1 : 0))
            }
        }
        let (epochs, _) = pairing.finish()
        var walk = pairing.walk
        walk.join(epochs)
        #expect(walk.mismatches == 4 && walk.firstMismatch == 7)
        #expect(walk.mismatchSamples == [MismatchSample(epoch: 0, sequence: 7), MismatchSample(epoch: 0, sequence: 14),
                                         MismatchSample(epoch: 1, sequence: 7), MismatchSample(epoch: 1, sequence: 14)])
    }
}

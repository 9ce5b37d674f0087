import MarketData
import Measure
import Testing

@Suite("Per-stream state stays small")
struct StreamStateTests {
    /// `inspect` keeps an accumulator per stream and OMD statistics per OMD stream for the whole pass:
    /// a capture of 150,000 streams must not take gigabytes (issue 19 asks at most 1 KB a stream).
    @Test("an OMD stream's state (accumulator with its rate windows, OMD statistics) is at most 1 KB inline, and its rate windows allocate nothing")
    func inlineSize() {
        let state = MemoryLayout<StreamAccumulator>.size + MemoryLayout<OMDStreamStatistics>.size
        #expect(state <= 1_024, "\(MemoryLayout<StreamAccumulator>.size) + \(MemoryLayout<OMDStreamStatistics>.size) bytes")
        // The windows are inline (a stream's first packet allocated two arrays for them before).
        #expect(MemoryLayout<RateWindows>.size >= 4 * MemoryLayout<PeakWindow>.size)
    }
}

import MarketData
import Vocabulary
import Engines
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

@Suite("Clock offsets as chrony and ptp4l report them")
struct ClockSyncTests {
    @Test("chronyc -c tracking's System time and pmc's master_offset are read; anything else is no reading, never 0")
    func parse() {
        let chrony = "A29FC87B,162.159.200.123,3,1796225400.123456789,0.000001500,0.000001234,0.000023456,-12.345,0.012,0.123,0.000123,0.001234,1024.5,Normal\n"
        #expect(ClockSync.chrony(chrony) == ClockSyncReading(source: "chrony", offsetNs: 1_500))
        #expect(ClockSync.chrony("506 Cannot talk to daemon\n") == nil && ClockSync.chrony("") == nil)
        let pmc = "sending: GET TIME_STATUS_NP\n\t90e2ba.fffe.2b0a2c-0 seq 0 RESPONSE MANAGEMENT TIME_STATUS_NP\n\t\tmaster_offset              -23\n\t\tingress_time               1796225400123456789\n"
        #expect(ClockSync.ptp(pmc) == ClockSyncReading(source: "ptp4l", offsetNs: -23))
        #expect(ClockSync.ptp("sending: GET TIME_STATUS_NP\n") == nil)
    }
}

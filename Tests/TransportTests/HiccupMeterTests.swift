import Vocabulary
import Foundation
import Testing
import Transport

@Suite("Hiccup meter")
struct HiccupMeterTests {
    @Test("samples cover the span since the previous sample while the meter runs; stop covers the whole span, once")
    func samplesAndTotal() {
        let meter = HiccupMeter(cpus: 2, interval: 1_000_000)
        usleep(150_000)
        let first = meter.sample()
        usleep(150_000)
        let second = meter.sample()
        usleep(50_000)
        let total = meter.stop()
        #expect(first.threads == 2 && first.intervalNs == 1_000_000)
        // Each thread wakes at most once per millisecond: a sample holds wake-ups of its own span only.
        #expect(first.hiccups.count > 0 && second.hiccups.count > 0)
        #expect(second.hiccups.count <= UInt64(2 * second.spanNs / 1_000_000 + 4), "\(second.hiccups.count) wake-ups in \(second.spanNs) ns")
        #expect(total.hiccups.count >= first.hiccups.count + second.hiccups.count)
        #expect(second.spanNs < total.spanNs && first.spanNs + second.spanNs <= total.spanNs)
        #expect(total.hiccups.max >= second.hiccups.max && total.hiccups.max >= first.hiccups.max)
        #expect(meter.stop() == total, "stop is idempotent")
        #expect(total.line.hasPrefix("host: hiccups p99 "))
    }
}

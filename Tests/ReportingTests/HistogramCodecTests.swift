import Foundation
import Histogram
import Testing
import TestSupport
import Vocabulary

@Suite("HdrHistogram V2 encoding and interval logs")
struct HistogramCodecTests {
    /// A latency histogram with runs of empty buckets, values across the whole range and a count above 2³².
    func sample() -> LatencyHistogram {
        var h = LatencyHistogram.latency()
        var x: UInt64 = 12_345
        for i in 0..<50_000 {
            x = x &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            h.recordLatency(Int64((x >> 40) % 5_000_000) + Int64(i % 7) * 1_000)
        }
        _ = h.record(1_000_000, count: 5_000_000_000)           // 1 ms, 5 billion times
        _ = h.record(3_000_000_000_000)                         // 50 minutes, once
        _ = h.record(1)
        return h
    }

    @Test("encode then decode gives the same histogram: counts, percentiles, max")
    func roundTrip() throws {
        let h = sample()
        let back = try LatencyHistogram.decodeBase64V2Compressed(h.base64V2Compressed)
        // The format keeps counts per bucket: max and min come back as their buckets' equivalents.
        #expect(back.totalCount == h.totalCount && back.max == h.max && back.minNonZero == h.minNonZero)
        for p in [1.0, 10, 50, 90, 99, 99.9, 99.99, 99.9999] {
            #expect(back.valueAtPercentile(p) == h.valueAtPercentile(p), "p\(p)")
        }
        #expect(back.valuesAreEquivalent(back.valueAtPercentile(100), h.valueAtPercentile(100)))
        let empty = try LatencyHistogram.decodeV2Compressed(LatencyHistogram.latency().encodedV2Compressed())
        #expect(empty.totalCount == 0)
    }

    @Test("HdrHistogram's Python implementation reads what we write: counts and percentiles agree")
    func independentDecoder() throws {
        let h = sample()
        let directory = NSTemporaryDirectory() + "rehearse-hlog-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var log = HistogramLog(startRealtimeNs: 1_764_648_000_000_000_000, comment: "[test]")
        log.intervals = [HistogramLog.Interval(tag: "feed.new", startNs: 0, lengthNs: 500_000_000, encoded: h.base64V2Compressed)!,
                         HistogramLog.Interval(tag: "feed.new", startNs: 500_000_000, lengthNs: 500_000_000, encoded: h.base64V2Compressed)!]
        let path = directory + "/latency.hlog"
        try log.text.write(toFile: path, atomically: true, encoding: .utf8)
        #expect(log.text.hasPrefix("#[Histogram log format version 1.3]\n#[test]\n#[StartTime: 1764648000.000 (seconds since epoch), "), "\(log.text.prefix(200))")
        #expect(log.text.contains("\n#[BaseTime: 1764648000.000 (seconds since epoch)]\n\"StartTimestamp\",\"Interval_Length\",\"Interval_Max\",\"Interval_Compressed_Histogram\"\nTag=feed.new,0.000,0.500,"))
        let script = """
        import sys
        from hdrh.histogram import HdrHistogram
        from hdrh.log import HistogramLogReader
        reader = HistogramLogReader(sys.argv[1], HdrHistogram(1, 3600000000000, 3))
        total = None
        lines = 0
        while True:
            h = reader.get_next_interval_histogram()
            if h is None:
                break
            lines += 1
            total = h if total is None else (total.add(h) or total)
        print(lines, total.get_total_count(), total.get_value_at_percentile(50), total.get_value_at_percentile(99),
              total.get_max_value(), reader.get_start_time_sec())
        """
        let (status, text, problem) = try runPython(script, [path])
        #expect(status == 0, "python3 hdrh (make deps installs it): \(problem)")
        let f = text.split(separator: " ").map { String($0).trimmingCharacters(in: .whitespacesAndNewlines) }
        #expect(f.count == 6, "\(text)")
        guard f.count == 6 else { return }
        var twice = h
        twice.add(h)
        #expect(f[0] == "2" && UInt64(f[1]) == twice.totalCount, "\(text)")
        #expect(UInt64(f[2]) == twice.valueAtPercentile(50) && UInt64(f[3]) == twice.valueAtPercentile(99), "\(text) vs \(twice.valueAtPercentile(50)) \(twice.valueAtPercentile(99))")
        #expect(UInt64(f[4]) == twice.max, "\(text) vs max \(twice.max)")
        #expect(f[5] == "1764648000.0", "the reader takes the log's StartTime: \(text)")
    }

    @Test("damaged encodings are refused with the reason, never a wrong histogram")
    func damaged() {
        let bytes = sample().encodedV2Compressed()
        #expect(throws: HistogramCodecError.self) { try LatencyHistogram.decodeV2Compressed(Array(bytes.dropLast(3))) }
        var cookie = bytes
        cookie[3] ^= 0xFF
        #expect(throws: HistogramCodecError(description: "not an HdrHistogram V2 compressed encoding (cookie)")) {
            try LatencyHistogram.decodeV2Compressed(cookie)
        }
        #expect(throws: HistogramCodecError(description: "not base64")) { try LatencyHistogram.decodeBase64V2Compressed("%%%") }
        let plain = sample().encodedV2()
        #expect(throws: HistogramCodecError.self) { try LatencyHistogram.decodeV2(Array(plain.prefix(plain.count - 2))) }
    }
}

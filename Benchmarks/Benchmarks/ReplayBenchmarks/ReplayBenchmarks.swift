import Vocabulary
import Benchmark
import Capture
import Foundation
import MarketData
import Replay
import Synth

/// A 200 k-packet, 4-channel line-A capture shared by the replay benchmarks.
let replayCapture: String = {
    let path = NSTemporaryDirectory() + "rehearse-bench-replay-200k.pcap"
    if !FileManager.default.fileExists(atPath: path) {
        var c = SynthConfiguration()
        c.seed = 9
        c.packetLimit = 200_000
        c.rate = 200_000
        c.lines = [.a]
        _ = try? OMDSynthesizer.generate(c, to: path)
    }
    return path
}()

let benchmarks: @Sendable () -> Void = {
    func configuration(mallocs: Int) -> Benchmark.Configuration {
        .init(metrics: [.wallClock, .throughput, .mallocCountTotal, .instructions], timeUnits: .microseconds,
              warmupIterations: 2, scalingFactor: .one, maxDuration: .seconds(5), maxIterations: 40,
              thresholds: [.mallocCountTotal: .init(absolute: [.p90: mallocs])])
    }

    // One iteration = 1 M deadlines in each pacing mode (128-bit multiply-divide per packet).
    Benchmark("Schedule, 1M deadlines × 3 modes", configuration: configuration(mallocs: 20)) { benchmark in
        let modes = [Schedule(.speed(1.5), captureSpan: 5_000_000_000, packets: 1_000_000)!,
                     Schedule(.packetsPerSecond(200_000))!, Schedule(.megabitsPerSecond(250))!]
        for _ in benchmark.scaledIterations {
            var sum: Int64 = 0
            for s in modes {
                for i in 0..<1_000_000 {
                    sum &+= s.offset(captureOffset: Int64(i) &* 5_000, loop: 0, index: UInt64(i), bytesBefore: UInt64(i) &* 150)
                }
            }
            blackHole(sum)
        }
    }

    // One iteration = bench's record + match (FeedMatcher.account) over every packet of the capture
    // (~600 k messages): the per-message measuring cost.
    Benchmark("Bench matcher, 200k packets", configuration: configuration(mallocs: 40)) { benchmark in
        var map = TargetMap()
        try map.add("each=127.0.0.1:40000")
        let plan = try FeedPlan(path: replayCapture, selection: Selection(), map: map, dropUnmapped: false)
        let expected = try ExpectedMessages(plan: plan, schedule: Schedule(.speed(1), captureSpan: plan.captureSpan, packets: plan.packets)!)
        let channels = Dictionary(uniqueKeysWithValues: plan.streams.enumerated().map { ($1.destination, $0) })
        var storage: [UInt8] = []
        var items: [(Int, Int, Int)] = []
        var reader = try CaptureReader.open(replayCapture)
        while let p = try reader.next() {
            let d = PacketDecoder.decode(p.data, linkType: p.linkType)
            guard d.status == .transport, let c = channels[Endpoint(address: d.flow.destination, port: d.flow.destinationPort)] else { continue }
            items.append((c, storage.count, d.payload.count))
            for i in 0..<d.payload.count { storage.append(d.payload.getUInt8(at: i)!) }
        }
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            var matcher = FeedMatcher(expected: expected)
            storage.withUnsafeBytes { raw in
                for (c, o, n) in items {
                    matcher.account(channel: c, payload: ByteView(unsafeStart: raw.baseAddress! + o, count: n), length: n,
                                    truncated: false, time: 1_800_000_000_000_000_000, anchor: 1_700_000_000_000_000_000)
                }
            }
            blackHole(matcher.received)
        }
    }
}

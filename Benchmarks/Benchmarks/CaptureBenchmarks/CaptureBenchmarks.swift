import Vocabulary
import Benchmark
import Capture
import Foundation
import MarketData
import Engines
import Measure
import Synth

/// A synthesized capture shared by the benchmarks (200 k packets, 4 channels, lines A and B).
let capturePath: String = {
    let path = NSTemporaryDirectory() + "rehearse-bench-200k.pcap"
    if !FileManager.default.fileExists(atPath: path) {
        var c = SynthConfiguration()
        c.seed = 42
        c.packetLimit = 200_000
        c.rate = 200_000
        _ = try? OMDSynthesizer.generate(c, to: path)
    }
    return path
}()

/// The UDP payloads of the capture, copied out once, for decoder-only benchmarks.
let payloads: [[UInt8]] = {
    var out: [[UInt8]] = []
    guard var reader = try? CaptureReader.open(capturePath) else { return out }
    while let p = try? reader.next(), out.count < 50_000 {
        let d = PacketDecoder.decode(p.data, linkType: p.linkType)
        if d.status == .transport { out.append(d.payload.bytes) }
    }
    return out
}()

/// Lines A and B of the capture as (channel, side, payload, time), in capture order, for the live comparator.
let linePackets: [(channel: Int, side: Int, payload: [UInt8], time: Int64)] = {
    var out: [(Int, Int, [UInt8], Int64)] = []
    guard var reader = try? CaptureReader.open(capturePath) else { return out }
    while let p = try? reader.next(), out.count < 100_000 {
        let d = PacketDecoder.decode(p.data, linkType: p.linkType)
        guard d.status == .transport else { continue }
        let v4 = d.flow.destination.v4
        out.append((Int(v4 & 0xff) - 1, (v4 >> 8) & 0xff == 1 ? 0 : 1, d.payload.bytes, p.timestamp))
    }
    return out
}()

/// UDP payloads of a 20 k-packet capture of each feed protocol other than OMD (synth --protocol).
func feedPayloads(_ p: FeedProtocol) -> [[UInt8]] {
    let path = NSTemporaryDirectory() + "rehearse-bench-\(p.rawValue)-20k.pcap"
    if !FileManager.default.fileExists(atPath: path) {
        _ = try? FeedProtocolSynthesizer.generate(p, channels: 1, packets: 20_000, seed: 42, faults: [],
                                                  destination: Endpoint(address: IPAddress(v4: 0xEF01_0101), port: 51_001), to: path)
    }
    var out: [[UInt8]] = []
    guard var reader = try? CaptureReader.open(path) else { return out }
    while let packet = try? reader.next() {
        let d = PacketDecoder.decode(packet.data, linkType: packet.linkType)
        if d.status == .transport { out.append(d.payload.bytes) }
    }
    return out
}

let benchmarks: @Sendable () -> Void = {
    // Allocations are the stable metric on these noisy machines: they must not grow with packets.
    // Each iteration opens the capture again, so a few dozen (reader) to a few hundred (inspect:
    // report, stream table, OMD counters, worker thread) are per-file set-up, none per packet.
    func configuration(mallocs: Int) -> Benchmark.Configuration {
        .init(metrics: [.wallClock, .throughput, .mallocCountTotal, .instructions], timeUnits: .microseconds,
              warmupIterations: 2, scalingFactor: .one, maxDuration: .seconds(5), maxIterations: 40,
              thresholds: [.mallocCountTotal: .init(absolute: [.p90: mallocs])])
    }

    // One iteration = open and walk the 200 k-packet capture: records + link/IP/UDP + OMD header.
    Benchmark("Reader walk, 200k packets", configuration: configuration(mallocs: 40)) { benchmark in
        for _ in benchmark.scaledIterations {
            var reader = try CaptureReader.open(capturePath)
            var sum: UInt64 = 0
            try reader.forEachPacket { packet in
                let d = PacketDecoder.decode(packet.data, linkType: packet.linkType)
                if let omd = OMDPacket(d.payload) { sum &+= UInt64(omd.sequenceNumber) }
                return true
            }
            blackHole(sum)
        }
    }

    // One iteration = the OMD analyzer over 50 k payloads (messages by type, errors, sequence).
    Benchmark("OMD analyzer, 50k packets", configuration: configuration(mallocs: 40)) { benchmark in
        let analyzer = OMDStreamAnalyzer()
        var statistics = OMDStreamStatistics()
        for _ in benchmark.scaledIterations {
            for payload in payloads {
                payload.withUnsafeBytes { raw in
                    analyzer.process(ByteView(unsafeStart: raw.baseAddress, count: raw.count), declaredLength: raw.count,
                                     timestamp: 0, into: &statistics)
                }
            }
        }
        blackHole(statistics.packets)
    }

    // One iteration = 20 k datagrams of one protocol through a FeedStream (detection over the first
    // 8, then header checks, sequencing and messages by type): inspect's per-packet work for the
    // protocols other than OMD, which the feed-protocols issue asks to run at ≥ 10 M messages/s.
    for p in FeedProtocol.headerProtocols {
        let datagrams = feedPayloads(p)
        Benchmark("Feed sequencing, \(p.rawValue), 20k packets", configuration: configuration(mallocs: 40)) { benchmark in
            for _ in benchmark.scaledIterations {
                var stream = FeedStream()
                for (i, payload) in datagrams.enumerated() {
                    payload.withUnsafeBytes { stream.add(ByteView(unsafeStart: $0.baseAddress, count: $0.count), timestamp: Int64(i)) }
                }
                stream.finish()
                blackHole(stream.messages)
            }
        }
    }

    // One iteration = the whole `inspect` pass (streams, peaks, OMD) over the 200 k-packet capture.
    Benchmark("Inspect, 200k packets", configuration: configuration(mallocs: 400)) { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(Inspection.inspect(path: capturePath).packets)
        }
    }

    // One iteration = 100 k packets of lines A and B through the live comparator (watch's per-message
    // work: OMD accounting per line, the slot ring, matching, lag histogram), sweeping every 1 ms.
    // The same with watch --recover's per-message work: every line's gaps kept and handed over at each
    // sweep (the capture has none: what the recovery client costs while no gap occurs).
    Benchmark("Live comparator (watch --recover, no gap), 100k packets", configuration: configuration(mallocs: 60)) { benchmark in
        var settings = WatchSettings()
        settings.window = 1 << 16
        var comparator = LiveComparator(channels: 4, settings: settings)
        comparator.collectGaps = true
        var gaps = 0
        for _ in benchmark.scaledIterations {
            var lastSweep: Int64 = 0
            for p in linePackets {
                p.payload.withUnsafeBytes { raw in
                    comparator.process(channel: p.channel, side: p.side, payload: ByteView(unsafeStart: raw.baseAddress, count: raw.count),
                                       length: raw.count, time: p.time)
                }
                if p.time - lastSweep >= 1_000_000 {
                    comparator.sweep(now: p.time)
                    comparator.takeGaps { _ in gaps += 1 }
                    lastSweep = p.time
                }
            }
            blackHole(comparator.channels[0].onBoth &+ UInt64(gaps))
        }
    }

    Benchmark("Live comparator (watch), 100k packets", configuration: configuration(mallocs: 60)) { benchmark in
        var settings = WatchSettings()
        settings.window = 1 << 16
        var comparator = LiveComparator(channels: 4, settings: settings)
        for _ in benchmark.scaledIterations {
            var lastSweep: Int64 = 0
            for p in linePackets {
                p.payload.withUnsafeBytes { raw in
                    comparator.process(channel: p.channel, side: p.side, payload: ByteView(unsafeStart: raw.baseAddress, count: raw.count),
                                       length: raw.count, time: p.time)
                }
                if p.time - lastSweep >= 1_000_000 { comparator.sweep(now: p.time); lastSweep = p.time }
            }
            blackHole(comparator.channels[0].onBoth)
        }
    }
}

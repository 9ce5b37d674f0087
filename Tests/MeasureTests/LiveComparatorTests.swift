import Vocabulary
import Capture
import Foundation
import Measure
@testable import Engines
import Synth
import TestSupport
import Testing
import Histogram
import MarketData

@Suite("Live primary/standby comparison in a bounded window")
struct LiveComparatorTests {
    /// Feeds a synthesized capture's line A as primary and line B as standby, sweeping on capture time
    /// as the watch does on the clock.
    func live(_ path: String, channels: Int, settings: WatchSettings) throws -> LiveComparator {
        var c = LiveComparator(channels: channels, settings: settings)
        var reader = try CaptureReader.open(path)
        var lastSweep: Int64 = 0
        var last = Int64.min
        while let p = try reader.next() {
            let d = PacketDecoder.decode(p.data, linkType: p.linkType)
            guard d.status == .transport else { continue }
            let v4 = d.flow.destination.v4
            let side = (v4 >> 8) & 0xff == 1 ? 0 : 1  // 239.1.1.x line A, 239.1.2.x line B
            c.process(channel: Int(v4 & 0xff) - 1, side: side, payload: d.payload, length: d.payload.count, time: p.timestamp)
            last = p.timestamp
            if p.timestamp - lastSweep >= 1_000_000 {
                c.sweep(now: p.timestamp)
                lastSweep = p.timestamp
            }
        }
        c.sweep(now: last + settings.horizon + 1)
        return c
    }

    func synth(_ faults: [String], channels: Int = 2) throws -> String {
        var s = SynthConfiguration()
        s.seed = 9
        s.channels = channels
        s.duration = 3_000_000_000
        s.rate = 20_000
        s.faults = faults.compactMap { SynthFault($0) }
        s.events = faults.compactMap { SynthEvent($0) }
        let path = NSTemporaryDirectory() + "rehearse-live-\(UUID().uuidString).pcap"
        _ = try OMDSynthesizer.generate(s, to: path)
        return path
    }

    @Test("settled counts equal the offline comparison, with a roomy window and with a 1024-message one, across a mid-day reset")
    func matchesOffline() throws {
        let path = try synth(["B1:gap@1s:7", "B0:gap@2s:3", "A0:gap@500ms:2", "B:dup@1500ms:4", "reset@2500ms"])
        defer { try? FileManager.default.removeItem(atPath: path) }
        let offline = FeedComparator.compare(CompareSource(name: "A", path: path, filter: "dst net 239.1.1.0/24"),
                                             CompareSource(name: "B", path: path, filter: "dst net 239.1.2.0/24"))
        for window in [1 << 17, 1024] {
            var settings = WatchSettings()
            settings.window = window
            settings.horizon = 200_000_000
            let c = try live(path, channels: 2, settings: settings)
            for (i, o) in offline.channels.enumerated() {
                let l = c.channels[i]
                #expect(o.missingOnB > 0 && o.missingOnA + o.missingOnB > 0)
                #expect(l.onBoth == o.onBoth, "window \(window) channel \(i)")
                #expect(l.missing.standby == o.missingOnB, "window \(window) channel \(i)")
                #expect(l.missing.primary == o.missingOnA, "window \(window) channel \(i)")
                #expect(l.mismatches == 0 && l.late.primary == 0 && l.late.standby == 0)
                #expect(l.primaryFirst == o.aFirst && l.standbyFirst == o.bFirst)
                #expect(c.line(i, 0).events.resetsNs.count == 1 && c.line(i, 1).events.resetsNs.count == 1)
            }
            #expect(c.outstanding == 0)
            #expect(c.lag.totalCount == offline.messagesCompared)
        }
    }

    @Test("a standby that stops is declared missing after the horizon; what arrives after that is late, not matched")
    func horizonAndLate() throws {
        // B pauses 600 ms and then bursts out what it held: with a 200 ms horizon those messages were
        // declared missing, and their arrival counts as late.
        let path = try synth(["B:pause@1s:600ms"], channels: 1)
        defer { try? FileManager.default.removeItem(atPath: path) }
        var settings = WatchSettings()
        settings.horizon = 200_000_000
        settings.stallLimit = 300_000_000
        let c = try live(path, channels: 1, settings: settings)
        let ch = c.channels[0]
        #expect(ch.missing.standby > 0 && ch.missing.primary == 0)
        #expect(ch.late.standby == ch.missing.standby)
        #expect(c.line(0, 1).events.silences.count == 1 && c.line(0, 0).events.silences.isEmpty)
        // With a horizon longer than the pause nothing is missing.
        settings.horizon = 2_000_000_000
        let patient = try live(path, channels: 1, settings: settings)
        #expect(patient.channels[0].missing.standby == 0 && patient.channels[0].late.standby == 0)
        #expect(patient.channels[0].onBoth == ch.onBoth + ch.missing.standby)
    }

    @Test("garbage datagrams are counted per line and never reach the sequence or the comparison")
    func garbage() {
        var c = LiveComparator(channels: 1)
        let junk: [[UInt8]] = [[], [1, 2, 3], [UInt8](repeating: 0xFF, count: 64), [UInt8](repeating: 0, count: 16)]
        for (i, bytes) in junk.enumerated() {
            bytes.withUnsafeBytes { raw in
                c.process(channel: 0, side: i % 2, payload: ByteView(unsafeStart: raw.baseAddress, count: raw.count), length: raw.count + i, time: Int64(i))
            }
        }
        c.decideShortLines()
        #expect(c.line(0, 0).garbage + c.line(0, 1).garbage == UInt64(junk.count))
        #expect(c.line(0, 0).feedProtocol == nil && c.line(0, 1).feedProtocol == nil)
        #expect(c.channels[0].onBoth == 0 && c.channels[0].missing.primary == 0 && c.channels[0].missing.standby == 0)
        #expect(c.line(0, 0).statistics.sequence.statistics.messages == 0 && c.outstanding == 0)
    }
}

@Suite("FeedWatcher reading a backlog", .serialized)
struct FeedWatcherBacklogTests {
    /// Sends each payload as a UDP datagram to 127.0.0.1:`port` and then to `port + 1` (both lines, interleaved).
    func send(_ payloads: [[UInt8]], port: UInt16) {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        for p in payloads {
            for target in [port, port + 1] {
                address.sin_port = target.bigEndian
                _ = p.withUnsafeBytes { raw in
                    withUnsafePointer(to: &address) {
                        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(fd, raw.baseAddress, raw.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
                    }
                }
            }
        }
    }

    @Test("messages queued longer than the horizon before the watch reads them are matched, not declared missing (the horizon runs on the feeds' time while a backlog is read)")
    func backlog() throws {
        var c = SynthConfiguration()
        c.seed = 5
        c.channels = 1
        c.duration = 1_000_000_000
        c.rate = 3_000
        c.lines = [.a]
        let path = NSTemporaryDirectory() + "rehearse-backlog-\(UUID().uuidString).pcap"
        _ = try OMDSynthesizer.generate(c, to: path)
        defer { try? FileManager.default.removeItem(atPath: path) }
        var payloads: [[UInt8]] = []
        var reader = try CaptureReader.open(path)
        while let p = try reader.next(), payloads.count < 600 {
            let d = PacketDecoder.decode(p.data, linkType: p.linkType)
            if d.status == .transport { payloads.append(d.payload.bytes) }
        }
        let port = UInt16(freePortBlock(4))
        var options = WatchOptions()
        options.primary = [Endpoint(address: IPAddress("127.0.0.1")!, port: port)]
        options.standby = [Endpoint(address: IPAddress("127.0.0.1")!, port: port + 1)]
        options.settings.horizon = 200_000_000
        options.interval = 10_000_000_000
        options.duration = 1_500_000_000
        let watcher = try FeedWatcher(options: options)
        // Both lines together, and the watch starts reading 500 ms later: the receiver takes its first
        // batches from the primary's queue while the standby's halves still wait in theirs.
        send(payloads, port: port)
        usleep(500_000)
        let final = watcher.run()
        let ch = try #require(final.channels.first)
        #expect(final.receiveDrops == 0)
        #expect(ch.primary.packets == UInt64(payloads.count) && ch.standby.packets == UInt64(payloads.count))
        #expect(ch.missingOnStandby == 0 && ch.missingOnPrimary == 0 && ch.lateOnStandby == 0, "\(ch)")
        #expect(ch.onBoth > 0 && ch.onBoth + 1 == ch.primary.messages, "\(ch.onBoth) of \(ch.primary.messages) (the start-of-day Sequence Reset is not compared)")
    }

    @Test("lag buckets: the bit-length start finds the same bucket as a scan from the first bound, at every bound and between")
    func lagBuckets() {
        let bounds = LagBuckets.boundsNs, start = LagBuckets.firstCandidate
        var lags: [UInt64] = [0, 1, 999, .max, 20_000_000_000]
        for b in bounds { lags += [b - 1, b, b + 1] }
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<10_000 { lags.append(UInt64.random(in: 0...30_000_000_000, using: &rng) >> UInt64.random(in: 0...34, using: &rng)) }
        for lag in lags {
            let scan = bounds.firstIndex { lag <= $0 } ?? bounds.count
            #expect(LagBuckets.index(lag, bounds: bounds, start: start) == scan, "lag \(lag)")
        }
    }
}


import Vocabulary
import Capture
import MarketData

/// Generates a realistic OMD-D capture (see docs/formats/omd.md, "What a realistic capture has"):
/// several channels on lines A and B carrying the same messages with different packetisation
/// (A: one packet per matching-engine event; B: at most 4 messages a packet, merging events less
/// than 10 µs apart, 20 µs behind A), a Sequence Reset at the start, heartbeats on idle channels,
/// Poisson events with geometric bursts and microsecond clusters, auction uncrosses (335 then
/// hundreds of 330 within a few ms), and injected faults per line. Deterministic for a seed.
///
/// Packets are written in timestamp order through a small reorder heap, so memory stays bounded
/// (a few ms of traffic) whatever the length of the capture.
public struct OMDSynthesizer {
    public let configuration: SynthConfiguration
    var rng: SeededRandom
    var heap = PacketHeap()
    var channels: [ChannelState] = []
    /// [line index][channel]
    var lines: [[LineState]] = []
    var summary = SynthSummary()
    var event = OMDPacketBuilder(maximumSize: 65_535)
    var eventMessages: [(offset: Int, length: Int, type: UInt16)] = []
    var scratch = OMDPacketBuilder(maximumSize: 65_535)
    var written = 0
    var typeCounts: [[Int]] = []  // per line-channel, 512 types

    struct ChannelState {
        var nextSequence: UInt32 = 1
        var orderbooks: [UInt32]
        var mids: [Int32]
        var orderRing = [UInt64](repeating: 0, count: 4096)
        var ringCount = 0
        var nextOrderID: UInt64
        var nextTradeID: UInt64
    }

    struct LineState {
        let line: FeedLine
        let channel: Int
        let destination: Endpoint
        let source: IPAddress
        var ipID: UInt16 = 0
        var lastActivity: Int64
        var lastEmit: Int64 = .min
        var lastSentSequence: UInt32 = 0
        // B packetiser
        var open: OMDPacketBuilder?
        var openFirstTime: Int64 = 0
        var openLastTime: Int64 = 0
        // Faults
        var pending: [SynthFault]
        var gapRemaining: Int64 = 0
        var dupRemaining: Int64 = 0
        var reorderRemaining: Int64 = 0
        var pauseFrom: Int64 = .max
        var pauseUntil: Int64 = .min
        var pausedCount: Int64 = 0
        var lagFrom: Int64 = .max
        var lagPerSecond: Int64 = 0
        var held: (slot: Int32, length: Int)?
        /// The last data frames sent, kept only when a `burst` fault is pending: a ring of
        /// `recentCapacity` slots of `PacketHeap.slotSize` bytes.
        var recent: [UInt8] = []
        var recentLengths: [Int] = []
        var recentCount = 0
        var recentCapacity = 0
    }

    public init(configuration: SynthConfiguration) {
        self.configuration = configuration
        rng = SeededRandom(seed: configuration.seed)
        for c in 0..<configuration.channels {
            let books = (0..<50).map { UInt32(c * 10_000 + 1000 + $0) }
            let mids = (0..<50).map { _ in Int32(rng.int(500...30_000)) }
            channels.append(ChannelState(orderbooks: books, mids: mids, nextOrderID: UInt64(c + 1) << 40,
                                         nextTradeID: UInt64(c + 1) << 40))
        }
        for line in configuration.lines {
            var states: [LineState] = []
            for c in 0..<configuration.channels {
                let faults = configuration.faults.filter { $0.line == line && ($0.channel == nil || $0.channel == c) }
                    .sorted { $0.at < $1.at }
                var state = LineState(line: line, channel: c, destination: configuration.endpoint(line, channel: c),
                                      source: configuration.source(line), lastActivity: configuration.start, pending: faults)
                let burst = faults.filter { $0.kind == .burst }.map { Int($0.amount) }.max() ?? 0
                if burst > 0 {
                    state.recentCapacity = burst
                    state.recent = [UInt8](repeating: 0, count: burst * PacketHeap.slotSize)
                    state.recentLengths = [Int](repeating: 0, count: burst)
                }
                states.append(state)
                summary.lines.append(SynthSummary.LineChannel(line: line, channel: c))
                typeCounts.append([Int](repeating: 0, count: 512))
            }
            lines.append(states)
        }
        summary.messagesPerChannel = [Int](repeating: 0, count: configuration.channels)
    }

    /// Generates the capture into `path`; returns what was written. `progress` (when given) follows the
    /// packets written against `--packets`, else the capture time generated against `--duration` (ns).
    public static func generate(_ configuration: SynthConfiguration, to path: String,
                                progress: ProgressCounter? = nil) throws(CaptureWriteError) -> SynthSummary {
        var options = CaptureWriter.Options(format: configuration.format)
        options.pcapMicroseconds = configuration.microsecondPcap
        options.sectionComment = "rehearse synth seed=\(configuration.seed) channels=\(configuration.channels) rate=\(Int(configuration.rate))"
        let writer = try CaptureWriter(path: path, options: options,
                                       interfaces: [.init(linkType: .ethernet, snapLength: 65_535, name: "synth")])
        var synthesizer = OMDSynthesizer(configuration: configuration)
        progress?.set(expected: configuration.packetLimit ?? Int(configuration.effectiveDuration))
        try synthesizer.run(writer, progress: progress)
        progress?.set(completed: configuration.packetLimit ?? Int(configuration.effectiveDuration))
        try writer.close()
        return synthesizer.summary
    }

    // MARK: - Main loop

    mutating func run(_ writer: CaptureWriter, progress: ProgressCounter? = nil) throws(CaptureWriteError) {
        let c = configuration
        let start = c.start
        let end = start + c.effectiveDuration
        let limit = c.packetLimit ?? .max
        summary.firstTimestamp = start
        // Start of day: Sequence Reset (NewSeqNo 1) at SN 1 on every channel and line.
        for ch in 0..<c.channels {
            for li in lines.indices {
                scratch.start(sequenceNumber: 1, sendTime: sendTime(start))
                scratch.message(type: OMDMessageType.sequenceReset, length: 8) { $0.put32(at: 4, 1) }
                scratch.finish()
                emit(li, ch, at: start + Int64(ch) * 1000 + Int64(li) * 5000, packet: scratch, data: true, firstSequence: 1)
                lines[li][ch].lastSentSequence = 0  // the reset's own SN does not count: the next message is SN 1
            }
        }
        var auctions = (c.auctions ?? (0..<c.channels).map { c.effectiveDuration * 3 / 10 + Int64($0) * 7_000_000 })
            .enumerated().map { (time: start + $0.element, channel: $0.offset % c.channels) }.sorted { $0.time < $1.time }
        var failovers = c.events.flatMap { e -> [(time: Int64, event: SynthEvent, end: Bool)] in
            e.kind == .dr ? [(start + e.at, e, false), (start + e.at + e.duration, e, true)] : [(start + e.at, e, false)]
        }.sorted { $0.time < $1.time }
        var outageUntil = Int64.min
        let eventsPerSecond = c.rate / Double(max(c.lines.count, 1))
        var correction = 1.0
        var t = start + 1_000_000
        var nextSweep = start + 1_000_000
        var clusterLeft = 0
        var clusterChannel = 0
        var events = 0
        while true {
            if clusterLeft > 0 {
                t += Int64(rng.int(2_000...30_000))
                clusterLeft -= 1
            } else {
                t += Int64(rng.exponential(mean: 1e9 / (eventsPerSecond * correction))) + 1
            }
            if t >= end || written + heap.count >= limit { break }
            while let auction = auctions.first, auction.time <= t {
                auctions.removeFirst()
                try advance(to: auction.time, sweep: &nextSweep, writer, limit)
                uncross(channel: auction.channel, at: auction.time)
            }
            while let f = failovers.first, f.time <= t {
                failovers.removeFirst()
                try advance(to: f.time, sweep: &nextSweep, writer, limit)
                failover(f.event, end: f.end, at: f.time)
                if f.event.kind == .dr && !f.end && f.event.channel == nil { outageUntil = f.time + f.event.duration }
            }
            try advance(to: t, sweep: &nextSweep, writer, limit)
            // During a site failover the matching engine publishes nothing.
            if t < outageUntil { continue }
            let channel: Int
            if clusterLeft > 0 {
                channel = clusterChannel
            } else {
                channel = rng.int(0...(c.channels - 1))
                if rng.chance(c.clusterProbability) {
                    clusterLeft = rng.geometric(mean: c.clusterMean)
                    clusterChannel = channel
                }
            }
            marketEvent(channel: channel, at: t)
            events += 1
            if let progress, events & 0xFFF == 0 {
                progress.set(completed: c.packetLimit != nil ? written : Int(t - start))
            }
            if events & 1023 == 0 {
                let elapsed = Double(t - start) / 1e9
                let produced = Double(written + heap.count)
                if elapsed > 0.01 && produced > 0 {
                    let ratio = (c.rate * elapsed) / produced
                    correction = min(max(correction * min(max(ratio, 0.8), 1.25), 0.05), 20)
                }
            }
        }
        // Flush what is open, heartbeats up to the end, then everything.
        let finalTime = min(t, end)
        for li in lines.indices { for ch in 0..<c.channels { flushOpen(li, ch) } }
        try advance(to: finalTime, sweep: &nextSweep, writer, limit)
        for li in lines.indices {
            for ch in 0..<c.channels {
                if let held = lines[li][ch].held {
                    heap.push(slot: held.slot, timestamp: lines[li][ch].lastEmit + 100, length: held.length)
                    lines[li][ch].held = nil
                }
            }
        }
        try drain(upTo: .max, writer, limit)
        summary.lastTimestamp = max(summary.lastTimestamp, summary.firstTimestamp)
        for (i, counts) in typeCounts.enumerated() {
            for (type, n) in counts.enumerated() where n > 0 { summary.lines[i].messagesByType[UInt16(type)] = n }
        }
    }

    /// Heartbeat sweeps and B flushes up to `t`, then writes everything that can no longer be overtaken.
    mutating func advance(to t: Int64, sweep: inout Int64, _ writer: CaptureWriter, _ limit: Int) throws(CaptureWriteError) {
        while sweep <= t {
            for li in lines.indices {
                for ch in 0..<configuration.channels {
                    if lines[li][ch].open != nil && lines[li][ch].openFirstTime + 10_000 <= sweep { flushOpen(li, ch) }
                    heartbeats(li, ch, upTo: sweep)
                }
            }
            sweep += 1_000_000
        }
        try drain(upTo: t - 3_000_000, writer, limit)
    }

    mutating func drain(upTo horizon: Int64, _ writer: CaptureWriter, _ limit: Int) throws(CaptureWriteError) {
        while let ts = heap.minimumTimestamp, ts <= horizon {
            let entry = heap.pop()!
            if written < limit {
                let offset = Int(entry.slot) * PacketHeap.slotSize
                let length = Int(entry.length)
                let result = heap.pool.withUnsafeBytes { pool in
                    Result { () throws(CaptureWriteError) in
                        try writer.write(timestamp: entry.timestamp,
                                         data: UnsafeRawBufferPointer(rebasing: pool[offset..<(offset + length)]))
                    }
                }
                try result.get()
                written += 1
                summary.packets += 1
                summary.bytes += length
                summary.lastTimestamp = entry.timestamp
            }
            heap.release(entry.slot)
        }
    }

    mutating func heartbeats(_ li: Int, _ ch: Int, upTo t: Int64) {
        let interval = configuration.heartbeatInterval
        while t - lines[li][ch].lastActivity >= interval {
            let at = lines[li][ch].lastActivity + interval
            lines[li][ch].lastActivity = at
            if at >= lines[li][ch].pauseFrom && at < lines[li][ch].pauseUntil { continue }
            scratch.start(sequenceNumber: lines[li][ch].lastSentSequence, sendTime: sendTime(at))
            scratch.finish()
            emit(li, ch, at: at, packet: scratch, data: false, firstSequence: nil)
        }
    }

    @inline(__always) func sendTime(_ t: Int64) -> UInt64 { UInt64(t / 1_000_000 * 1_000_000) }
}

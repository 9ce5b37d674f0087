import Vocabulary
import Measure
import Capture
import MarketData
import Synchronization
import Transport

/// What `rehearse listen` receives and when it stops.
public struct ListenOptions: Sendable {
    public var endpoints: [Endpoint] = []
    public var receiver = ReceiverOptions()
    /// Stop after this long (ns), this many datagrams, or this long without any once the first arrived (ns).
    public var duration: Int64?
    public var count: UInt64?
    public var idle: Int64?
    /// Write what arrives (IPv4 + UDP, kernel receive timestamps) to this capture.
    public var writePath: String?
    public var decodeOMD = true
    /// Read every endpoint as this protocol instead of recognising it (`listen --protocol`).
    public var feedProtocol: FeedProtocol?
    /// Recover every OMD gap from the retransmission service (`listen --recover`).
    public var recovery: RecoveryOptions?
    public init() {}
}

/// Figures for one listened endpoint (one feed channel).
public struct ListenStream: Sendable {
    public let endpoint: Endpoint
    public var packets: UInt64 = 0
    public var bytes: UInt64 = 0
    /// Datagrams not sequenced: those failing the checks of the stream's protocol once it was
    /// recognised (damaged), or every datagram of a stream whose protocol was not recognised
    /// (counted, never fatal).
    public var garbage: UInt64 = 0
    /// Datagrams longer than the receive slot (cut).
    public var truncated: UInt64 = 0
    /// Datagrams the kernel dropped before this program could read them (receive buffer full).
    public var kernelDrops: UInt64 = 0
    public var firstTime: Int64 = .max
    public var lastTime: Int64 = .min
    public var windows = RateWindows()
    public var omd = OMDStreamStatistics()
    /// The stream's protocol, decided as `inspect` decides it (docs/formats/feeds.md): OMD when its
    /// first ``FeedStream/probePackets`` datagrams all frame as OMD, else the one other protocol its
    /// first datagrams all pass (``feed``), else unrecognised. Nil while still deciding.
    public var feedProtocol: FeedProtocol? { decided ? (isOMD ? .omd : feed?.feedProtocol) : nil }
    /// True once decided and no protocol was recognised.
    public var unrecognised: Bool { decided && !isOMD && feed?.feedProtocol == nil }
    /// A protocol other than OMD: its sequencing.
    public var feed: FeedStream?
    var probed = 0
    var omdCandidate = true
    var decided = false
    var isOMD = false
    init(endpoint: Endpoint, forced: FeedProtocol?) {
        self.endpoint = endpoint
        if let forced {
            decided = true
            isOMD = forced == .omd
            if !isOMD { feed = FeedStream(forced: forced) }
        }
    }

    /// Ends detection on what was seen (at the end of a run, or after the probe window).
    mutating func decide() {
        guard !decided else { return }
        decided = true
        if omdCandidate && probed > 0 {
            isOMD = true
            feed = nil
        } else {
            omd = OMDStreamStatistics()
            feed?.finish()
            // Detection never guesses: an unrecognised stream's datagrams are all unsequenced.
            if feed?.feedProtocol == nil { garbage = packets }
        }
    }
}

/// Why a listen ended.
public enum ListenStop: String, Codable, Sendable {
    case duration, count, idle, interrupted, error
}

/// Receives feeds on a dedicated thread and accounts each endpoint: packets, bytes, peak windows on
/// kernel receive time, OMD sequence (gaps, duplicates, resets, heartbeats), garbage.
/// `@unchecked Sendable`: its receiver and counters are used only by the thread in `run()`; other threads read atomics (`received`) and call `stop()`.
public final class FeedListener: @unchecked Sendable {
    public let options: ListenOptions
    let receiver: UDPReceiver
    let stopFlag = Atomic<Bool>(false)
    let receivedCount = Atomic<UInt64>(0)
    /// The recovery client, with `options.recovery`.
    let recovery: RetransmissionClient?
    /// What the recovery client did, once ``run()`` returned (nil without `options.recovery`).
    public private(set) var recoveryReport: RecoveryReport?

    public init(options: ListenOptions) throws(TransportError) {
        self.options = options
        receiver = try UDPReceiver(endpoints: options.endpoints, options: options.receiver)
        if let r = options.recovery { recovery = try RetransmissionClient(options: r) } else { recovery = nil }
    }

    /// Ports actually bound, in endpoint order (useful when a port was 0).
    public var boundPorts: [UInt16] { receiver.boundPorts }
    /// Asks a running `run()` to stop (safe from any thread, e.g. on SIGINT).
    public func stop() { stopFlag.store(true, ordering: .relaxed) }
    /// Datagrams received so far.
    public var received: UInt64 { receivedCount.load(ordering: .relaxed) }

    /// Receives until a stop condition; returns the streams, why it stopped, and any error (a write
    /// error or a receive error ends the run; the figures up to it are kept).
    public func run() -> (streams: [ListenStream], stop: ListenStop, elapsed: Int64, written: Int, error: String?) {
        var streams = options.endpoints.map { ListenStream(endpoint: $0, forced: options.feedProtocol) }
        let analyzer = OMDStreamAnalyzer()
        var writer: CaptureWriter?
        var failure: String?
        if let path = options.writePath {
            do {
                writer = try CaptureWriter(path: path, options: .init(format: CaptureFileFormat.fromExtension(path)),
                                           interfaces: [.init(linkType: LinkType(rawValue: 101), snapLength: 65_535, name: "rehearse-listen")])
            } catch {
                return (streams, .error, 0, 0, error.description)
            }
        }
        recovery?.start()
        defer { recoveryReport = recovery?.finish() }
        let start = Clock.monotonic()
        var lastArrival = start
        var total: UInt64 = 0
        var stop = ListenStop.interrupted
        loop: while true {
            if stopFlag.load(ordering: .relaxed) { stop = .interrupted; break }
            let n: Int
            do { n = try receiver.receive(timeoutMilliseconds: 50) } catch {
                failure = error.description
                stop = .error
                break
            }
            let now = Clock.monotonic()
            if n > 0 { lastArrival = now }
            for i in 0..<n {
                guard let d = receiver.datagram(at: i) else { continue }
                let time = d.kernelTime != 0 ? d.kernelTime : Clock.realtime()
                account(&streams[d.endpointIndex], d, time: time, analyzer: analyzer)
                if let w = writer {
                    let header = DatagramFrame.ipv4UDPHeader(source: d.source, destination: receiver.endpoints[d.endpointIndex],
                                                             payloadLength: d.length)
                    var frame = header
                    frame.reserveCapacity(header.count + d.payload.count)
                    for k in 0..<d.payload.count { frame.append(d.payload.getUInt8(at: k)!) }
                    do { try w.write(timestamp: time, bytes: frame, originalLength: header.count + d.length) } catch {
                        failure = error.description
                        stop = .error
                        break loop
                    }
                }
                total &+= 1
                if let count = options.count, total >= count { stop = .count; break loop }
            }
            receivedCount.store(total, ordering: .relaxed)
            if let duration = options.duration, now - start >= duration { stop = .duration; break }
            if let idle = options.idle, total > 0, now - lastArrival >= idle { stop = .idle; break }
        }
        receivedCount.store(total, ordering: .relaxed)
        var written = 0
        if let w = writer {
            written = w.packetsWritten
            do { try w.close() } catch { if failure == nil { failure = error.description } }
        }
        for i in streams.indices {
            streams[i].windows.close()
            if options.decodeOMD { streams[i].decide() }
        }
        return (streams, stop, Clock.monotonic() - start, written, failure)
    }

    @inline(__always)
    func account(_ s: inout ListenStream, _ d: ReceivedDatagram, time: Int64, analyzer: OMDStreamAnalyzer) {
        s.packets &+= 1
        s.bytes &+= UInt64(d.length)
        if d.truncated { s.truncated &+= 1 }
        s.kernelDrops = max(s.kernelDrops, UInt64(d.kernelDrops))
        if time < s.firstTime { s.firstTime = time }
        if time > s.lastTime { s.lastTime = time }
        s.windows.add(time, bytes: d.length)
        guard options.decodeOMD else { return }
        guard _fastPath(s.decided) else { return probe(&s, d, time: time, analyzer: analyzer) }
        if _fastPath(s.isOMD) {
            if d.truncated || !OMDStreamAnalyzer.looksLikeOMD(d.payload, declaredLength: d.length) {
                s.garbage &+= 1
                return
            }
            processOMD(&s, d, time: time, analyzer: analyzer)
        } else if s.feed?.feedProtocol != nil {
            let malformed = s.feed!.malformed
            s.feed!.add(d.payload, timestamp: time)
            if s.feed!.malformed != malformed || d.truncated { s.garbage &+= 1 }
        } else {
            s.garbage &+= 1
        }
    }

    /// Accounts an OMD datagram; with a recovery client, hands it each gap the datagram revealed (one
    /// compare per datagram while none does).
    @inline(__always)
    func processOMD(_ s: inout ListenStream, _ d: ReceivedDatagram, time: Int64, analyzer: OMDStreamAnalyzer) {
        guard let recovery else {
            return analyzer.process(d.payload, declaredLength: d.length, timestamp: time, into: &s.omd)
        }
        let gaps = s.omd.sequence.gapCount
        analyzer.process(d.payload, declaredLength: d.length, timestamp: time, into: &s.omd)
        if _slowPath(s.omd.sequence.gapCount != gaps), let g = s.omd.sequence.lastGap {
            recovery.gapDetected(channel: d.endpointIndex, first: g.first, last: g.last, monotonic: Clock.monotonic(), realtime: time)
        }
    }

    /// A datagram of a stream whose protocol is not decided yet: accounted as OMD and offered to the
    /// other protocols' detection alike, until the probe window decides which one keeps it.
    @inline(never)
    func probe(_ s: inout ListenStream, _ d: ReceivedDatagram, time: Int64, analyzer: OMDStreamAnalyzer) {
        if s.omdCandidate {
            if !d.truncated && OMDStreamAnalyzer.looksLikeOMD(d.payload, declaredLength: d.length) {
                processOMD(&s, d, time: time, analyzer: analyzer)
            } else {
                s.omdCandidate = false
            }
        }
        if s.feed == nil { s.feed = FeedStream() }
        s.feed!.add(d.payload, timestamp: time)
        s.probed += 1
        if s.probed >= FeedStream.probePackets { s.decide() }
    }
}

/// The JSON of a listen (schema `rehearse.listen/1`, docs/json/listen.md).
public struct ListenReport: Codable, Sendable {
    public struct Stream: Codable, Sendable {
        public var endpoint: String
        public var packets: UInt64
        public var bytes: UInt64
        public var garbage: UInt64
        public var truncated: UInt64
        public var kernelDrops: UInt64
        public var first: TimePoint?
        public var last: TimePoint?
        public var averagePacketsPerSecond: Double?
        public var peaks: [PeakReport]
        /// `omd`, another protocol's name, `unknown` when none was recognised over the first
        /// datagrams; absent with `--no-omd` or before any datagram.
        public var feedProtocol: String?
        public var omd: OMDReport?
        /// A protocol other than OMD: its sequencing (docs/json/inspect.md, FeedReport).
        public var feed: FeedReport?
    }
    /// What the recovery client did (`listen --recover`).
    public var recovery: RecoveryReport?
    public var schema = "rehearse.listen/1"
    public var stoppedBy: ListenStop
    public var elapsedNs: Int64
    public var packets: UInt64
    public var written: Int?
    public var streams: [Stream]
    public var error: String?

    public init(streams: [ListenStream], stop: ListenStop, elapsed: Int64, written: Int?, error: String?, recovery: RecoveryReport? = nil) {
        self.recovery = recovery
        stoppedBy = stop
        elapsedNs = elapsed
        packets = streams.reduce(0) { $0 + $1.packets }
        self.written = written
        self.error = error
        self.streams = streams.map { s in
            let span = s.packets > 1 ? s.lastTime - s.firstTime : 0
            return Stream(endpoint: s.endpoint.description, packets: s.packets, bytes: s.bytes, garbage: s.garbage,
                          truncated: s.truncated, kernelDrops: s.kernelDrops, first: s.packets > 0 ? TimePoint(s.firstTime) : nil,
                          last: s.packets > 0 ? TimePoint(s.lastTime) : nil,
                          averagePacketsPerSecond: span > 0 ? Double(s.packets - 1) * 1e9 / Double(span) : nil,
                          peaks: s.packets > 0 ? s.windows.all.map(PeakReport.init) : [],
                          feedProtocol: s.packets == 0 ? nil : s.unrecognised ? "unknown" : s.feedProtocol?.rawValue,
                          omd: s.isOMD && s.omd.packets > 0 ? OMDReport(s.omd) : nil,
                          feed: s.feed?.feedProtocol != nil ? FeedReport(s.feed!) : nil)
        }
    }
}

import Vocabulary
import Measure
import Capture
import Synchronization
import Transport

/// Where `rehearse watch` reads the two feeds from.
public enum WatchInput: Sendable, Equatable {
    /// UDP sockets bound to (and, for groups, joining) the primary and standby endpoints.
    case sockets(ReceiverOptions)
    /// A libpcap live capture on an interface; the filter selects the endpoints (and `filter` when given).
    case capture(interface: String, filter: String?)
}

/// What `rehearse watch` watches and for how long.
public struct WatchOptions: Sendable {
    /// Channel i is `primary[i]` against `standby[i]`.
    public var primary: [Endpoint] = []
    public var standby: [Endpoint] = []
    public var input = WatchInput.sockets(ReceiverOptions())
    public var settings = WatchSettings()
    /// A snapshot is published this often (ns).
    public var interval: Int64 = 10_000_000_000
    /// The figures for a metrics endpoint (``FeedWatcher/live``) are refreshed this often (ns), and
    /// once at the start, so a scraper never waits an interval for its first figures.
    public var liveInterval: Int64 = 1_000_000_000
    /// Stop after this long (ns); nil = until ``FeedWatcher/stop()``.
    public var duration: Int64?
    /// Recover every OMD gap of either line from this retransmission service (`watch --recover`); the
    /// standby's from `standbyRecovery` when given (another platform's service).
    public var recovery: RecoveryOptions?
    public var standbyRecovery: RecoveryOptions?
    public init() {}

    /// The BPF expression selecting the watched endpoints' datagrams (plus `extra`).
    public func captureFilter(extra: String?) -> String {
        let each = (primary + standby).map { "(dst host \($0.address) and dst port \($0.port))" }
        let base = "udp and (" + each.joined(separator: " or ") + ")"
        return extra.map { "(\(base)) and (\($0))" } ?? base
    }
}

/// Reads a primary and a standby feed on a dedicated thread and compares them live with a
/// ``LiveComparator``; publishes a ``WatchSnapshot`` every interval (and a final one) for the shell
/// to print, alert on and serve.
/// `@unchecked Sendable`: the receiver or capture is used only by the thread in `run()`; snapshots cross threads through a Mutex, the stop through an atomic.
public final class FeedWatcher: @unchecked Sendable {
    public let options: WatchOptions
    private let receiver: UDPReceiver?
    private let capture: LiveCapture?
    private let stopFlag = Atomic<Bool>(false)
    private let published = Mutex<(count: Int, snapshot: WatchSnapshot?)>((0, nil))
    /// Recovery: one client per service (ChannelID = channel, stream = endpoint index: primaries, then
    /// standbys), and which client serves each side.
    private let clients: [RetransmissionClient]
    private let clientOfSide: [Int]

    /// Opens the sockets or the capture: throws what the kernel or libpcap said, naming the endpoint or interface.
    public init(options: WatchOptions) throws(WatchError) {
        precondition(!options.primary.isEmpty && options.primary.count == options.standby.count, "pairs of endpoints")
        self.options = options
        let n = options.primary.count
        var clients: [RetransmissionClient] = []
        var clientOfSide = [0, 0]
        for (side, o) in [options.recovery, options.standbyRecovery].enumerated() {
            guard var o else { continue }
            o.channelIDs = (0..<(2 * n)).map { UInt16(truncatingIfNeeded: $0 % n) }
            do { clients.append(try RetransmissionClient(options: o, returnMessages: true)) } catch { throw WatchError.transport(error) }
            clientOfSide[side] = clients.count - 1
            if side == 0 { clientOfSide[1] = 0 }
        }
        self.clients = clients
        self.clientOfSide = clientOfSide
        switch options.input {
        case .sockets(let r):
            do { receiver = try UDPReceiver(endpoints: options.primary + options.standby, options: r) } catch {
                throw WatchError.transport(error)
            }
            capture = nil
        case .capture(let interface, let filter):
            do { capture = try LiveCapture(interface: interface, filter: options.captureFilter(extra: filter)) } catch {
                throw WatchError.capture(error)
            }
            receiver = nil
        }
    }

    /// Ports actually bound (sockets input), primary then standby.
    public var boundPorts: [UInt16] { receiver?.boundPorts ?? [] }
    /// Asks ``run()`` to stop (any thread).
    public func stop() { stopFlag.store(true, ordering: .relaxed) }
    /// The latest snapshot and how many have been published.
    public var latest: (count: Int, snapshot: WatchSnapshot?) { published.withLock { $0 } }
    /// The figures now, refreshed every ``WatchOptions/liveInterval`` (its `interval` is since the last
    /// interval snapshot); nil before ``run()`` starts.
    public var live: WatchSnapshot? { liveSnapshot.withLock { $0 } }
    private let liveSnapshot = Mutex<WatchSnapshot?>(nil)

    /// Receives and compares until stopped or the duration ends; returns the final snapshot.
    public func run() -> WatchSnapshot {
        let n = options.primary.count
        var comparator = LiveComparator(channels: n, settings: options.settings)
        comparator.collectGaps = !clients.isEmpty
        for client in clients { client.start() }
        /// Hands new gaps to the clients and what they recovered to the comparator.
        func exchange() {
            guard !clients.isEmpty else { return }
            comparator.takeGaps { g in
                clients[clientOfSide[g.side]].gapDetected(channel: g.side * n + g.channel, first: g.first, last: g.last,
                                                         monotonic: Clock.monotonic(), realtime: g.time)
            }
            let now = Clock.realtime()
            for client in clients {
                client.takeRecovered { m in comparator.recovered(channel: m.stream % n, side: m.stream / n, sequence: m.sequence, hash: m.hash, now: now) }
            }
            comparator.retryRecovered(now: now)
        }
        var drops = [UInt64](repeating: 0, count: 2 * n)
        let start = Clock.monotonic()
        var nextSnapshot = start + options.interval
        var nextLive = start
        var nextSweep = start
        var stop = WatchStop.interrupted
        var failure: String?
        var previous = WatchCounters()
        // The horizon is judged on the feeds' own time while a backlog is being read (a reader that fell
        // behind must not declare missing what is still queued), on the clock once it has caught up.
        var watermark = Int64.min
        var caughtUp = true
        /// Reads one batch (waiting up to `timeout` ms when nothing is queued); true when the queue is empty.
        func readBatch(timeout: Int) throws -> Bool {
            if let receiver {
                let count = try receiver.receive(timeoutMilliseconds: timeout)
                for i in 0..<count {
                    guard let d = receiver.datagram(at: i) else { continue }
                    let e = d.endpointIndex
                    if UInt64(d.kernelDrops) > drops[e] { drops[e] = UInt64(d.kernelDrops) }
                    let time = d.kernelTime != 0 ? d.kernelTime : Clock.realtime()
                    if time > watermark { watermark = time }
                    comparator.process(channel: e % n, side: e / n, payload: d.payload, length: d.truncated ? d.payload.count : d.length,
                                       time: time)
                }
                return count < receiver.batchCapacity
            }
            guard let capture else { return true }
            for _ in 0..<256 {
                guard let p = try capture.next(waitMilliseconds: Int32(timeout)) else { return true }
                if p.timestamp > watermark { watermark = p.timestamp }
                let decoded = PacketDecoder.decode(p.data, linkType: capture.linkType)
                guard decoded.status == .transport, let e = endpointIndex(decoded) else { continue }
                comparator.process(channel: e % n, side: e / n, payload: decoded.payload, length: decoded.payload.count, time: p.timestamp)
            }
            return false
        }
        while true {
            if stopFlag.load(ordering: .relaxed) { stop = .interrupted; break }
            do { caughtUp = try readBatch(timeout: 20) } catch {
                failure = "\(error)"
                stop = .error
                break
            }
            exchange()
            let now = Clock.monotonic()
            if now >= nextSweep {
                comparator.sweep(now: caughtUp || watermark == .min ? Clock.realtime() : watermark)
                if let capture { drops[0] = capture.drops.buffer }
                nextSweep = now + 1_000_000
            }
            if let duration = options.duration, now - start >= duration { stop = .duration; break }
            if now >= nextLive {
                var scratch = previous
                let s = WatchSnapshot(comparator, primary: options.primary, standby: options.standby, elapsed: now - start, drops: drops,
                                      previous: &scratch)
                liveSnapshot.withLock { $0 = s }
                nextLive = now + options.liveInterval
            }
            if now >= nextSnapshot {
                let s = WatchSnapshot(comparator, primary: options.primary, standby: options.standby, elapsed: now - start, drops: drops, previous: &previous)
                comparator.resetInterval()
                published.withLock { $0 = ($0.count + 1, s) }
                nextSnapshot += options.interval
                if nextSnapshot <= now { nextSnapshot = now + options.interval }
            }
        }
        // What the kernel already queued belongs to the run: read it (at most a second's worth) before the
        // final sweep, so a message is not declared missing while its other half waits in a buffer.
        if stop != .error {
            let drainUntil = Clock.monotonic() + 1_000_000_000
            while Clock.monotonic() < drainUntil, let empty = try? readBatch(timeout: 0), !empty {}
        }
        // Requests under way finish (up to the clients' drain time) before the last comparison.
        exchange()
        let reports = clients.map { $0.finish() }
        exchange()
        for report in reports {
            for g in report.gapList where g.source == .refresh {
                comparator.refreshed(channel: g.stream % n, side: g.stream / n, messages: g.size - g.recovered)
            }
        }
        comparator.retryRecovered(now: Clock.realtime(), final: true)
        if let capture { drops[0] = capture.drops.buffer }
        comparator.decideShortLines()
        comparator.sweep(now: Clock.realtime())
        var final = WatchSnapshot(comparator, primary: options.primary, standby: options.standby, elapsed: Clock.monotonic() - start, drops: drops, previous: &previous)
        final.stoppedBy = stop
        final.error = failure
        final.outstanding = comparator.outstanding
        final.recovery = reports.isEmpty ? nil : reports
        published.withLock { $0 = ($0.count + 1, final) }
        liveSnapshot.withLock { $0 = final }
        return final
    }

    @inline(__always)
    private func endpointIndex(_ d: DecodedPacket) -> Int? {
        let port = d.flow.destinationPort, address = d.flow.destination
        for (i, e) in options.primary.enumerated() where e.port == port && e.address == address { return i }
        for (i, e) in options.standby.enumerated() where e.port == port && e.address == address { return options.primary.count + i }
        return nil
    }
}

/// Why `watch` could not start: the endpoint or interface and the system's reason.
public enum WatchError: Error, Sendable, CustomStringConvertible {
    case transport(TransportError)
    case capture(LiveCaptureError)
    public var description: String {
        switch self {
        case .transport(let e): e.description
        case .capture(let e): e.description
        }
    }
}


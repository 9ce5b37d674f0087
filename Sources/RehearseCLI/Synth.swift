import ArgumentParser
import Orchestration
import Vocabulary
import Capture
import Dispatch
import Foundation
import Synth

/// `rehearse synth`: a realistic, seeded OMD-D capture.
struct Synth: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Generate a realistic OMD-D capture: channels on lines A and B, bursts, auctions, heartbeats, faults.",
        discussion: """
        Channel c of a line uses the line's group + c and port + c. Defaults: line A 239.1.1.1:51001 from \
        10.0.1.1, line B 239.1.2.1:51001 from 10.0.2.1 (source port 50000 + c). These addresses only \
        label the capture: nothing is sent anywhere.
        Faults (repeatable --fault): LINE[CHANNEL]:KIND@TIME[:AMOUNT], e.g. B:gap@2s:5 (lose 5 packets), \
        A1:pause@3s:500ms, B:dup@4s:3, A:reorder@5s:2, B:lag@1s:2ms (the line falls 2 ms further behind every second), \
        B:burst@4s:200 (the last 200 packets sent again: a duplicate burst after a publisher failover). \
        Feed-wide failover events on both lines, also with --fault: reset@5s (mid-day Sequence Reset: every \
        channel restarts at SeqNum 1; reset1@5s for channel 1 only), dr@4s:1s (DR Signal 1, both lines silent \
        for 1 s, DR Signal 2).
        """)

    @Option(name: .shortAndLong, help: "Output capture (.pcap, .pcapng, optionally .gz).")
    var output: String

    @Option(help: "pcap or pcapng (default: from the output's extension).")
    var format: String?

    @Flag(help: "Classic pcap with microsecond instead of nanosecond timestamps.")
    var microseconds = false

    @Option(help: "Random seed: the same seed and options give the same capture.")
    var seed: UInt64 = 1

    @Option(help: "Number of channels.")
    var channels = 4

    @Option(help: "Capture length, e.g. 10s, 500ms, 2m (default 10s unless --packets is given).")
    var duration: String?

    @Option(help: "Stop after this many packets.")
    var packets: Int?

    @Option(help: "Target average packets per second, all lines and channels.")
    var rate: Double = 50_000

    @Option(help: "Line A channel 0 group:port.")
    var lineA: String = "239.1.1.1:51001"

    @Option(help: "Line B channel 0 group:port.")
    var lineB: String = "239.1.2.1:51001"

    @Option(help: "Line A source address.")
    var sourceA: String = "10.0.1.1"

    @Option(help: "Line B source address.")
    var sourceB: String = "10.0.2.1"

    @Option(help: "Lines to generate: A, B or AB.")
    var lines: String = "AB"

    @Option(name: .customLong("fault"), help: "Inject a fault (repeatable), e.g. B:gap@2s:5.")
    var faults: [String] = []

    @Option(name: .customLong("auction"), help: "Auction uncross time from the start (repeatable; default one per channel at 30%).")
    var auctions: [String] = []

    @Option(help: "Add Orders per auction uncross.")
    var auctionOrders = 400

    @Flag(help: "Compress multi-message packets (OMD-D v1.41 CompressionMode 1).")
    var compress = false

    @Option(help: "Tag frames with this 802.1Q VLAN id.")
    var vlan: UInt16?

    @Option(help: "Largest UDP payload in bytes (200…1472).")
    var maxPayload = 1400

    @Flag(help: "Print the generator's summary as JSON.")
    var json = false

    @Option(name: .customLong("protocol"), help: "Feed protocol: omd (default), moldudp64, iex-tp, cboe-pitch, nyse-xdp, cme-mdp3 or eurex-eobi (the others: --channels, --packets, --seed, gap faults; line A only).")
    var feedProtocol = "omd"

    @Flag(help: "Generate FIX order-entry sessions over TCP instead of an OMD feed.")
    var fix = false
    @Option(help: "FIX sessions (with --fix).")
    var sessions = 4
    @Option(help: "Application messages per FIX session (with --fix).")
    var orders = 500
    @Option(help: "Average application messages per second per FIX session (with --fix).")
    var orderRate: Double = 1_000

    func configuration() throws -> SynthConfiguration {
        var c = SynthConfiguration()
        c.seed = seed
        c.channels = channels
        if let duration {
            guard let d = Duration.parseNanoseconds(duration), d > 0 else { throw RehearseError(.usage, "--duration \(duration): expected e.g. 10s, 500ms") }
            c.duration = d
        }
        c.packetLimit = packets
        c.rate = rate
        guard let a = Endpoint(lineA) else { throw RehearseError(.usage, "--line-a \(lineA): expected ADDRESS:PORT") }
        guard let b = Endpoint(lineB) else { throw RehearseError(.usage, "--line-b \(lineB): expected ADDRESS:PORT") }
        guard let sa = IPAddress(sourceA) else { throw RehearseError(.usage, "--source-a \(sourceA): expected an IPv4 address") }
        guard let sb = IPAddress(sourceB) else { throw RehearseError(.usage, "--source-b \(sourceB): expected an IPv4 address") }
        c.lineA = a; c.lineB = b; c.sourceA = sa; c.sourceB = sb
        var selected: [FeedLine] = []
        for ch in lines.uppercased() {
            guard let line = FeedLine(rawValue: String(ch)) else { throw RehearseError(.usage, "--lines \(lines): use A, B or AB") }
            if !selected.contains(line) { selected.append(line) }
        }
        c.lines = selected
        for text in faults {
            if let e = SynthEvent(text) {
                c.events.append(e)
            } else if let f = SynthFault(text) {
                c.faults.append(f)
            } else {
                throw RehearseError(.usage, "--fault \(text): expected LINE[CHANNEL]:KIND@TIME[:AMOUNT] with KIND gap, pause, dup, reorder, lag or burst (e.g. B:gap@2s:5, A:pause@3s:500ms, B:burst@4s:200), or a feed-wide reset@TIME or dr@TIME:OUTAGE")
            }
        }
        if !auctions.isEmpty {
            c.auctions = try auctions.map { text in
                guard let t = Duration.parseNanoseconds(text) else { throw RehearseError(.usage, "--auction \(text): expected a time such as 3s") }
                return t
            }
        }
        c.auctionOrders = auctionOrders
        c.compress = compress
        c.vlan = vlan
        c.maximumPayload = maxPayload
        if let format {
            guard let f = CaptureFileFormat(rawValue: format.lowercased()) else { throw RehearseError(.usage, "--format \(format): use pcap or pcapng") }
            c.format = f
        } else {
            c.format = .fromExtension(output)
        }
        c.microsecondPcap = microseconds
        if microseconds && c.format != .pcap {
            throw RehearseError(.usage, "--microseconds applies to classic pcap only")
        }
        if let problem = c.validate() {
            let flags: [SynthConfiguration.Field: String] = [.channels: "--channels", .rate: "--rate", .duration: "--duration",
                                                             .packetLimit: "--packets", .lines: "--lines", .maximumPayload: "--max-payload"]
            throw RehearseError(.usage, problem.field.map { "\(flags[$0]!) \(problem.reason)" } ?? problem.reason)
        }
        return c
    }

    func run() throws {
        if fix { return try runFIX() }
        let feed = try parseFeedProtocol(feedProtocol)
        if feed != .omd { return try runProtocol(feed) }
        let c = try configuration()
        let started = DispatchTime.now().uptimeNanoseconds
        let summary: SynthSummary
        // On a terminal: "synth out/feed.pcap  42%  ETA 3 s" (of --packets, or of the --duration of capture time).
        let display = ProgressDisplay.isInteractive && !json ? ProgressDisplay(label: "synth \(output)") { done, total, seconds in
            guard total > 0, done > 0 else { return "starting" }
            let share = Double(done) / Double(total)
            return "\(Int(share * 100))%  ETA \(ProgressLine.etaText(seconds / share - seconds))"
        } : nil
        display?.start()
        defer { display?.stop() }
        do {
            summary = try OMDSynthesizer.generate(c, to: output, progress: display?.counter)
        } catch {
            throw RehearseError(.input, "cannot write \(error.description)")
        }
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(summary), as: UTF8.self))
            return
        }
        let span = Double(summary.lastTimestamp - summary.firstTimestamp) / 1e9
        print("wrote \(output): \(Text.count(summary.packets)) packets, \(Text.bytes(UInt64(summary.bytes))), \(c.channels) channels × lines \(c.lines.map(\.rawValue).joined()), seed \(c.seed)")
        print("  capture span \(TimeFormat.format(span, 3)) s, average \(Text.rate(span > 0 ? Double(summary.packets) / span : nil)) pkt/s; messages per channel \(summary.messagesPerChannel.map { Text.count($0) }.joined(separator: " / "))")
        for f in c.faults { print("  fault \(f)") }
        for e in c.events { print("  event \(e)") }
        for l in summary.lines where l.droppedPackets + l.duplicatedPackets + l.reorderedPackets + l.pausedPackets > 0 {
            print("    line \(l.line.rawValue) channel \(l.channel): dropped \(l.droppedPackets) packets (\(l.droppedMessages) messages), duplicated \(l.duplicatedPackets), reordered \(l.reorderedPackets), paused \(l.pausedPackets)")
        }
        print("  generated in \(TimeFormat.format(elapsed, 2)) s (\(Text.rate(Double(summary.packets) / max(elapsed, 1e-9))) packets/s)")
    }
    /// `synth --protocol NAME` for a protocol other than OMD: line A's channels, gap faults only.
    func runProtocol(_ feed: FeedProtocol) throws {
        let c = try configuration()
        if let other = c.faults.first(where: { $0.kind != .gap }) {
            throw RehearseError(.usage, "--fault \(other): --protocol \(feed.rawValue) takes gap faults only")
        }
        let summary: FeedProtocolSynthesizer.Summary
        do {
            summary = try FeedProtocolSynthesizer.generate(feed, channels: c.channels, packets: packets ?? 1_000, seed: seed,
                                                           faults: c.faults, destination: c.lineA, to: output)
        } catch { throw RehearseError(.input, "cannot write \(error.description)") }
        print("wrote \(output): \(Text.count(summary.packets)) \(feed.rawValue) packets, \(Text.count(summary.messages)) messages, "
              + "\(c.channels) channels from \(c.lineA), seed \(seed)")
        if summary.droppedPackets > 0 {
            print("  gap faults dropped \(Text.count(summary.droppedPackets)) packets (\(Text.count(summary.droppedMessages)) messages)")
        }
    }

    /// `synth --fix`: FIX client sessions as TCP.
    func runFIX() throws {
        guard sessions >= 1, sessions <= 1000 else { throw RehearseError(.usage, "--sessions: 1…1000") }
        guard orders >= 1 else { throw RehearseError(.usage, "--orders: at least 1") }
        guard orderRate > 0, orderRate.isFinite else { throw RehearseError(.usage, "--order-rate: above 0") }
        var c = FIXSynthConfiguration()
        c.seed = seed
        c.sessions = sessions
        c.ordersPerSession = orders
        c.rate = orderRate
        let summary: FIXSynthSummary
        do { summary = try FIXSynthesizer.generate(c, to: output) } catch { throw RehearseError(.input, error.description) }
        if json { print(try jsonText(summary)); return }
        print("wrote \(output): \(Text.count(summary.packets)) packets, \(summary.sessions) FIX sessions to \(c.gateway)")
        print("  client messages \(Text.count(summary.clientMessages)), gateway messages \(Text.count(summary.gatewayMessages)); split \(summary.splitMessages), coalesced \(summary.coalescedSegments), retransmitted \(summary.retransmissions); fills \(summary.fills), rejects \(summary.rejects)")
    }
}

import Engines
import MarketData
import Measure

import ArgumentParser
import Orchestration
import Vocabulary
import Capture
import Foundation
import Engines
import Measure
import Transport
import MarketData

/// `rehearse listen --on ADDR…`: receive feeds and account for them per channel.
struct Listen: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Receive UDP feeds (unicast or multicast) and account per channel: the feed protocol (OMD or another venue's, recognised as inspect does), sequence gaps, duplicates, resets, heartbeats, rates and peaks on kernel receive timestamps.",
        discussion: """
        Stops on --duration, --count, --idle or Ctrl-C, always with a final report. Each --on address is \
        one channel. Exit codes: 0 ok · 2 bad options, or an address that cannot be bound or joined · \
        4 a receive error.
        """)

    @Option(name: .customLong("on"), help: "ADDRESS:PORT, ADDRESS:FIRST-LAST (ports step) or A.B.C.D-E:FIRST-LAST (group and port step together, as synth numbers channels) to receive on (repeatable; multicast groups are joined).")
    var on: [String] = []
    @Option(help: "Interface to join multicast groups on: IPv4 address or name.")
    var interface: String?
    @Option(help: "Source address for source-specific multicast joins.")
    var source: String?
    @Option(help: "Stop after this long (e.g. 30s).")
    var duration: String?
    @Option(help: "Stop after this many datagrams.")
    var count: UInt64?
    @Option(help: "Stop after this long without a datagram, once the first has arrived (e.g. 2s).")
    var idle: String?
    @Option(help: "Write what arrives to this capture (.pcap/.pcapng), with the kernel receive timestamps.")
    var write: String?
    @Flag(help: "Do not decode feeds (count packets and bytes only).")
    var noOmd = false
    @Option(name: .customLong("protocol"), help: "Read every endpoint as this feed protocol instead of recognising it: omd, moldudp64, iex-tp, cboe-pitch, nyse-xdp, cme-mdp3 or eurex-eobi.")
    var feedProtocol: String?
    @Option(help: "Recover every OMD gap from the retransmission service: ADDRESS:PORT[,ADDRESS:PORT…] (primary first; a refused connection or logon, a timeout, a disconnect or a wrong answer moves to the next). ChannelID = the --on address's index, from 0.")
    var recover: String?
    @OptionGroup var recovery: RecoverySettings
    @Option(help: "The Refresh Service: channel i's snapshot cycles on ADDRESS:PORT+i (multicast joined on --interface). A gap the retransmission service cannot serve (beyond its window or daily limit, or no server answers), or every gap without --recover, waits for a Refresh Complete synchronised past it.")
    var refresh: String?
    @Option(help: "Time a gap waits for a refresh snapshot covering it.")
    var refreshTimeout = "5s"
    @Flag(help: "Print the report as JSON (schema rehearse.listen/1).")
    var json = false

    func run() throws {
        var options = ListenOptions()
        options.endpoints = try on.flatMap { try parseEndpoints($0, option: "--on") }
        guard !options.endpoints.isEmpty else { throw RehearseError(.usage, "give at least one --on ADDRESS:PORT") }
        guard options.endpoints.count <= 64 else { throw RehearseError(.usage, "at most 64 --on addresses") }
        options.duration = try parseDurationOption(duration, "--duration")
        options.idle = try parseDurationOption(idle, "--idle")
        options.count = count
        options.writePath = write
        options.decodeOMD = !noOmd
        if let feedProtocol {
            let p = try parseFeedProtocol(feedProtocol)
            if noOmd { throw RehearseError(.usage, "--protocol and --no-omd contradict each other") }
            options.feedProtocol = p
        }
        if let interface { options.receiver.multicastInterface = try resolveInterface(interface).address
                           options.receiver.multicastInterfaceIndex = try resolveInterface(interface).index }
        if let source {
            guard let s = IPAddress(source) else { throw RehearseError(.usage, "--source \(source): not an address") }
            options.receiver.multicastSource = s
        }
        if recover != nil && noOmd { throw RehearseError(.usage, "--recover recovers OMD gaps: not with --no-omd") }
        options.recovery = try recovery.options(recover, option: "--recover")
        if refresh != nil && noOmd { throw RehearseError(.usage, "--refresh resolves OMD gaps: not with --no-omd") }
        options.recovery = try recovery.withRefresh(refresh, timeout: refreshTimeout, channels: options.endpoints.count, receiver: options.receiver,
                                                    options.recovery)
        let listener: FeedListener
        do { listener = try FeedListener(options: options) } catch { throw RehearseError(error) }
        if !json {
            print("listening on " + options.endpoints.map(\.description).joined(separator: ", ") + " (Ctrl-C for the report)")
        }
        let interactive = ProgressDisplay.isInteractive
        var drew = false
        let r = runInBackground({ listener.run() }, interval: 100_000, onInterrupt: listener.stop) {
            if interactive { writeStandardError("\rreceived \(Text.count(listener.received))   "); drew = true }
        }
        if drew { writeStandardError("\r\u{1B}[K") }
        let report = ListenReport(streams: r.streams, stop: r.stop, elapsed: r.elapsed, written: write == nil ? nil : r.written, error: r.error,
                                  recovery: listener.recoveryReport)
        if json { print(try jsonText(report)) } else { print(ListenText.render(report)) }
        if let e = r.error { throw RehearseError(.target, e) }
    }
}

/// Endpoints as ``Endpoint/list(_:)`` reads them, or a usage error that says every form.
func parseEndpoints(_ text: String, option: String) throws -> [Endpoint] {
    guard let list = Endpoint.list(text) else {
        throw RehearseError(.usage, "\(option) \(text): not ADDRESS:PORT, ADDRESS:FIRST-LAST (ports step), A.B.C.D-E:PORT (groups step) or A.B.C.D-E:FIRST-LAST (both step together, as synth numbers channels; equal lengths), at most 64 each, or a comma-separated list of them")
    }
    return list
}

enum ListenText {
    static func render(_ r: ListenReport) -> String {
        var out = "received \(Text.count(r.packets)) datagrams in \(TimeFormat.duration(r.elapsedNs)); stopped by \(r.stoppedBy.rawValue)"
        if let w = r.written { out += "; \(Text.count(w)) written" }
        var rows: [[String]] = []
        for s in r.streams {
            let peak = s.peaks.first(where: { $0.windowNs == 1_000_000 })
            // One set of sequence figures, from OMD or the stream's other protocol; "-" where none.
            let o = s.omd, f = s.feed
            let figures: [String] = if let o {
                [o.messages, o.sequence.gaps, o.sequence.missingMessages, o.sequence.duplicateMessages, o.sequence.resets, o.heartbeats].map(Text.count)
            } else if let f {
                [f.messages, f.gaps, f.missingMessages, f.duplicateMessages, f.resets, f.heartbeats].map(Text.count)
            } else {
                Array(repeating: "-", count: 6)
            }
            rows.append([s.endpoint, s.feedProtocol ?? "-", Text.count(s.packets), Text.rate(s.averagePacketsPerSecond),
                         peak.map { Text.rate($0.packetsPerSecond) } ?? "-"] + figures + [Text.count(s.garbage), Text.count(s.kernelDrops)])
        }
        out += "\n" + Text.table(["endpoint", "protocol", "packets", "avg pkt/s", "peak 1ms pkt/s", "messages", "gaps", "missing", "dup msgs", "resets",
                                  "heartbeats", "unsequenced", "kernel drops"], rows, numeric: Set(2...12))
        let byPackets = r.streams.compactMap { $0.feed?.sequenceUnit == "packet" ? $0.feed?.protocol : nil }
        if !byPackets.isEmpty {
            out += "\n  (\(Set(byPackets).sorted().joined(separator: ", ")) number packets: gaps, missing and dup count packets)"
        }
        let unknown = r.streams.filter { $0.feedProtocol == "unknown" }
        if !unknown.isEmpty {
            out += "\n  feed protocol not recognised on \(unknown.map(\.endpoint).joined(separator: ", ")): their first datagrams were not consistently "
                + "one protocol Rehearse knows — counted, not sequenced (--protocol NAME reads them as NAME)"
        }
        if r.streams.contains(where: { $0.garbage > 0 && $0.feedProtocol != "unknown" }) {
            out += "\n  unsequenced: datagrams that failed the checks of their stream's protocol (damaged) — counted, not sequenced"
        }
        if let recovery = r.recovery { out += "\n" + RecoveryText.render(recovery) }
        if let e = r.error { out += "\n  error: \(e) (figures up to it are above)" }
        return out
    }
}

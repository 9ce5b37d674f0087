import ArgumentParser
import Orchestration
import Vocabulary
import Capture
import Foundation
import Engines
import Measure
import Transport

/// `rehearse listen --on ADDR…`: receive feeds and account for them per channel.
struct Listen: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Receive UDP feeds (unicast or multicast) and account per channel: OMD sequence gaps, duplicates, resets, heartbeats, rates and peaks on kernel receive timestamps.",
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
    @Flag(help: "Do not decode OMD (count packets and bytes only).")
    var noOmd = false
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
        if let interface { options.receiver.multicastInterface = try resolveInterface(interface).address
                           options.receiver.multicastInterfaceIndex = try resolveInterface(interface).index }
        if let source {
            guard let s = IPAddress(source) else { throw RehearseError(.usage, "--source \(source): not an address") }
            options.receiver.multicastSource = s
        }
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
        let report = ListenReport(streams: r.streams, stop: r.stop, elapsed: r.elapsed, written: write == nil ? nil : r.written, error: r.error)
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
            let o = s.omd
            rows.append([s.endpoint, Text.count(s.packets), Text.rate(s.averagePacketsPerSecond),
                         peak.map { Text.rate($0.packetsPerSecond) } ?? "-",
                         o.map { Text.count($0.messages) } ?? "-", o.map { Text.count($0.sequence.gaps) } ?? "-",
                         o.map { Text.count($0.sequence.missingMessages) } ?? "-",
                         o.map { Text.count($0.sequence.duplicateMessages) } ?? "-",
                         o.map { Text.count($0.sequence.resets) } ?? "-", o.map { Text.count($0.heartbeats) } ?? "-",
                         Text.count(s.garbage), Text.count(s.kernelDrops)])
        }
        out += "\n" + Text.table(["endpoint", "packets", "avg pkt/s", "peak 1ms pkt/s", "messages", "gaps", "missing", "dup msgs", "resets", "heartbeats", "not OMD", "kernel drops"],
                                 rows, numeric: Set(1...11))
        if r.streams.contains(where: { $0.garbage > 0 }) {
            out += "\n  not OMD: datagrams that did not frame as OMD (another venue's feed, or damaged) — counted, not sequenced; "
                + "`rehearse inspect` of a capture (--write) names their protocol"
        }
        if let e = r.error { out += "\n  error: \(e) (figures up to it are above)" }
        return out
    }
}

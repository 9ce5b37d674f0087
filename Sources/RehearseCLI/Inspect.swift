import ArgumentParser
import Orchestration
import Vocabulary
import Capture
import Foundation
import MarketData
import Engines
import Measure

/// `rehearse inspect FILE…`: what is in a capture.
struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Say what is in captures: format, packets, time span, streams with peak rates, OMD accounting.",
        discussion: """
        Reads classic pcap (µs/ns, either byte order), pcapng (any sections, interfaces, resolutions) \
        and their .gz forms. Exit 0 when every file was read (warnings, e.g. a truncated last record, \
        are printed); 3 when a file could not be read or is damaged (figures before the damage are \
        still reported); 2 for a bad --filter.
        """)

    @Argument(help: "Capture files (pcap, pcapng, optionally .gz; - for standard input).")
    var files: [String]

    @Flag(help: "Print the report as JSON (schema rehearse.inspect/2, docs/json/inspect.md).")
    var json = false

    @Option(help: "Only count packets that match this BPF expression (tcpdump syntax).")
    var filter: String?

    @Option(help: "Streams to list (busiest first; 0 = all).")
    var streams = 20

    @Flag(help: "Do not decode UDP payloads as OMD.")
    var noOmd = false

    @Option(name: .customLong("protocol"), help: "Read UDP streams as a feed protocol instead of recognising it: NAME for every stream, or 'BPF=NAME' (repeatable) for the streams whose first packet matches the BPF expression, the first match winning; NAME is omd, moldudp64, iex-tp, cboe-pitch, nyse-xdp, cme-mdp3 or eurex-eobi (datagrams that fail its checks are counted as not NAME).")
    var feedProtocols: [String] = []

    @Option(help: "Threads: 1 = one pass on this thread; 2 = OMD accounting on a second, pinned thread (the default with two CPUs and a mapped capture); auto = time both on the first 2 M packets and keep the faster (for a machine whose second CPU is busy). The figures are the same either way.")
    var threads: ThreadChoice?

    @Option(help: "Account only this shard's streams, INDEX/COUNT (INDEX from 0, as Kubernetes' JOB_COMPLETION_INDEX): stream k, in order of first appearance, is shard k modulo COUNT's. Every packet still counts in the file's figures; `rehearse merge` puts the shards' --json results together, exactly as one process would have inspected.")
    var shard: String?

    @Flag(inversion: .prefixedNo, help: "Show progress (default: only when stdout and stderr are terminals).")
    var progress: Bool?

    /// `--threads`: 1, 2 or auto.
    enum ThreadChoice: String, CaseIterable, ExpressibleByArgument {
        case one = "1", two = "2", auto
    }

    mutating func run() throws {
        let pipelined: Bool? = switch threads {
        case .one: false
        case .two: true
        case .auto: nil
        case nil: Inspection.twoThreadsByDefault
        }
        var options = CaptureInspector.Options()
        options.decodeOMD = !noOmd
        if noOmd && !feedProtocols.isEmpty { throw RehearseError(.usage, "--protocol and --no-omd contradict each other") }
        (options.forcedProtocol, options.protocolRules) = try parseProtocolOptions(feedProtocols)
        options.shard = try shard.map(parseShard)
        var reports: [FileReport] = []
        for path in files {
            if let filter {
                let compiled = PacketFilter(expression: filter)
                // Validate now (against Ethernet; other link types compile when first seen).
                do { try compiled.prepare(for: linkTypeForValidation(path)) } catch {
                    throw RehearseError(.usage, error.description)
                }
                options.filter = compiled
            }
            let display = (progress ?? ProgressDisplay.isInteractive) ? ProgressDisplay(label: path) : nil
            display?.start()
            let report = Inspection.inspect(path: path, options: options, progress: display?.counter,
                                            pipelined: pipelined)
            display?.stop()
            reports.append(report)
            if !json { print(InspectText.render(report, maximumStreams: streams)) }
            if let s = report.shard, !json {
                print("shard \(s.shard): \(report.streams.count) of the file's \(s.streamsTotal) streams accounted; `rehearse merge` puts the shards together")
            }
        }
        try Self.finish(reports, json: json)
    }

    /// Prints the inspection as JSON (with `json`; the text was printed file by file), its warnings,
    /// and fails when a file could not be read whole: `inspect`'s ending, and a merged inspection's.
    static func finish(_ reports: [FileReport], json: Bool) throws {
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            let data = try encoder.encode(InspectReport(files: reports))
            print(String(decoding: data, as: UTF8.self))
        }
        for report in reports { for warning in report.warnings { printError("warning: \(warning.message)") } }
        let failures = reports.compactMap(\.error)
        if !failures.isEmpty {
            throw RehearseError(.input, failures.map(\.message).joined(separator: "\nrehearse: "))
        }
    }

    /// The first interface's link type, for validating the filter before the walk.
    private func linkTypeForValidation(_ path: String) -> LinkType {
        (try? CaptureReader.open(path).interfaces.first?.linkType) ?? .ethernet
    }
}

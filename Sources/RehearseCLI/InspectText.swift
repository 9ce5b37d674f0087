import Vocabulary
import MarketData
import Engines
import Measure

/// Renders a ``FileReport`` for people.
enum InspectText {
    static func render(_ r: FileReport, maximumStreams: Int) -> String {
        if r.format == nil, let e = r.error {
            return "\(r.path)\n  ERROR: \(e.message)"
        }
        var out: [String] = []
        var head = r.path
        if let detail = r.formatDetail { head += "  (\(detail)\(r.compressed ? ", gzip" : "")" }
        if let size = r.fileBytes { head += ", \(Text.bytes(UInt64(size)))" }
        if r.formatDetail != nil { head += ")" }
        out.append(head)
        if r.sections > 1 { out.append("  sections   \(r.sections)") }
        for comment in r.sectionComments { out.append("  comment    \(comment)") }
        for i in r.interfaces {
            var line = "  interface  \(r.sections > 1 ? "s\(i.section)/" : "")\(i.index): \(i.linkTypeName) (\(i.linkType)), snaplen \(i.snapLength), timestamps \(i.timestampResolution)"
            if i.timestampOffsetSeconds != 0 { line += " + \(i.timestampOffsetSeconds) s" }
            if let name = i.name { line += ", \"\(name)\"" }
            out.append(line)
        }
        if let filter = r.filter { out.append("  filter     \(filter)  (\(Text.count(r.decode.filteredOut)) packets filtered out)") }
        out.append("  packets    \(Text.count(r.packets))   wire \(Text.bytes(r.bytes))   captured \(Text.bytes(r.capturedBytes))")
        if let first = r.first, let last = r.last, let span = r.spanNs {
            out.append("  first      \(first.utc)")
            out.append("  last       \(last.utc)")
            out.append("  span       \(TimeFormat.duration(span))")
            out.append("  average    \(Text.rate(r.averagePacketsPerSecond)) pkt/s   \(Text.bits(r.averageBitsPerSecond))")
        } else if r.packets > 0 {
            out.append("  first      - (no packet has a timestamp of its own: no times, span or rates)")
        }
        if r.decode.untimed > 0 || r.decode.timestampRegressions > 0 {
            out.append("  times      \(Text.count(r.decode.untimed)) packets without a time of their own (not in first/last or rates) · "
                       + "\(Text.count(r.decode.timestampRegressions)) earlier than the packet before them")
        }
        if !r.peaks.isEmpty {
            let rows = r.peaks.map { p in
                [windowName(p.windowNs), Text.count(p.packets), Text.rate(p.packetsPerSecond), Text.bits(p.bitsPerSecond), p.packetsStart.utc]
            }
            out.append("  peaks")
            out.append(Text.table(["window", "packets", "pkt/s", "rate", "busiest window starts"], rows, numeric: [1, 2, 3])
                .split(separator: "\n").map { "  " + $0 }.joined(separator: "\n"))
        }
        let d = r.decode
        var decode = "  decode     IPv4 \(Text.count(d.ipv4)) · IPv6 \(Text.count(d.ipv6)) · UDP \(Text.count(d.udp)) · TCP \(Text.count(d.tcp))"
        decode += " · other \(Text.count(d.otherTransport)) · fragments \(Text.count(d.fragments)) · non-IP \(Text.count(d.notIP))"
        decode += " · truncated \(Text.count(d.truncated)) · malformed \(Text.count(d.malformed))"
        if d.timestampRegressions > 0 { decode += " · timestamps going back \(Text.count(d.timestampRegressions))" }
        if d.commentedPackets > 0 { decode += " · commented \(Text.count(d.commentedPackets))" }
        if d.packetsBeyondStreamLimit > 0 { decode += " · beyond stream limit \(Text.count(d.packetsBeyondStreamLimit))" }
        out.append(decode)

        if !r.streams.isEmpty {
            let sorted = r.streams.sorted { $0.packets > $1.packets }
            let shown = maximumStreams > 0 ? Array(sorted.prefix(maximumStreams)) : sorted
            out.append("")
            out.append("streams (\(shown.count) of \(r.streams.count), busiest first; peak rates in pkt/s)")
            let rows = shown.map { s -> [String] in
                [s.protocol, endpoint(s.source, s.sourcePort), endpoint(s.destination, s.destinationPort), Text.count(s.packets),
                 Text.bytes(s.bytes), Text.rate(s.averagePacketsPerSecond)] + s.peaks.map { Text.rate($0.packetsPerSecond) }
            }
            out.append(Text.table(["proto", "source", "destination", "packets", "bytes", "avg pkt/s", "peak 1s", "100ms", "10ms", "1ms"],
                                  rows, numeric: [3, 4, 5, 6, 7, 8, 9]))
        }
        // Detection never guesses: say which UDP streams no known feed protocol recognised.
        let unknown = r.streams.filter { $0.feedProtocol == "unknown" }.sorted { ($0.destination, $0.destinationPort) < ($1.destination, $1.destinationPort) }
        if !unknown.isEmpty {
            out.append("")
            let list = unknown.prefix(6).map { endpoint($0.destination, $0.destinationPort) }.joined(separator: ", ") + (unknown.count > 6 ? ", …" : "")
            out.append("feed protocol not recognised on \(unknown.count) UDP stream\(unknown.count == 1 ? "" : "s"): \(list)")
            out.append("  (their first packets were not consistently one of: OMD, MoldUDP64, IEX-TP, Cboe PITCH, NYSE XDP, CME MDP 3.0, Eurex EOBI; counted above, not sequenced)")
        }
        let feeds = r.streams.filter { $0.feed != nil }.sorted { ($0.destination, $0.destinationPort) < ($1.destination, $1.destinationPort) }
        if !feeds.isEmpty {
            out.append("")
            out.append("feeds (\(feeds.count) stream\(feeds.count == 1 ? "" : "s"): \(Set(feeds.compactMap { $0.feed?.protocol }).sorted().joined(separator: ", ")))")
            let rows = feeds.map { s -> [String] in
                let f = s.feed!
                let range = f.firstSequence.map { "\($0)–\(f.lastSequence ?? $0)" } ?? "-"
                let session = (f.session ?? "-") + ((f.sessions ?? 0) > 1 ? " +\(f.sessions! - 1)" : "")
                return [endpoint(s.destination, s.destinationPort), f.protocol, session, range, Text.count(f.packets), Text.count(f.heartbeats),
                        Text.count(f.messages), Text.count(f.gaps), Text.count(f.missingMessages), Text.count(f.duplicateMessages),
                        Text.count(f.resets) + (f.endOfSession ? " · end of session" : "")
                            + (f.malformed > 0 ? " · \(Text.count(f.malformed)) datagrams not \(f.protocol)" : "")]
            }
            out.append(Text.table(["stream", "protocol", "session", "sequence", "packets", "heartbeats", "messages", "gaps", "missing",
                                   "dup msgs", "resets"], rows, numeric: [4, 5, 6, 7, 8, 9]))
            let byPackets = Set(feeds.compactMap { $0.feed?.sequenceUnit == "packet" ? $0.feed?.protocol : nil }).sorted()
            if !byPackets.isEmpty {
                out.append("  (\(byPackets.joined(separator: ", ")) number packets: sequence, gaps, missing and dup count packets)")
            }
            for name in Set(feeds.compactMap { $0.feed?.protocol }).sorted() {
                var byType: [UInt16: (String, UInt64)] = [:]
                for s in feeds where s.feed?.protocol == name {
                    for t in s.feed!.messagesByType { byType[t.type, default: (t.name, 0)].1 += t.count }
                }
                guard !byType.isEmpty else { continue }
                out.append("  messages by type (\(name) streams)")
                out.append(Text.table(["type", "messages"], byType.sorted { $0.key < $1.key }.map { [$0.value.0, Text.count($0.value.1)] }, numeric: [1])
                    .split(separator: "\n").map { "  " + $0 }.joined(separator: "\n"))
            }
        }
        let omd = r.streams.filter { $0.omd != nil }.sorted { ($0.destination, $0.destinationPort) < ($1.destination, $1.destinationPort) }
        if !omd.isEmpty {
            out.append("")
            out.append("OMD (\(omd.count) streams)")
            let rows = omd.map { s -> [String] in
                let o = s.omd!
                return [endpoint(s.destination, s.destinationPort), Text.count(o.packets), Text.count(o.heartbeats), Text.count(o.messages),
                        Text.count(o.sequence.gaps), Text.count(o.sequence.missingMessages), Text.count(o.sequence.duplicateMessages),
                        Text.count(o.sequence.reorderedPackets), Text.count(o.sequence.resets), Text.count(o.unknownMessages),
                        Text.count(o.totalErrors)]
            }
            out.append(Text.table(["stream", "packets", "heartbeats", "messages", "gaps", "missing", "dup msgs", "reordered",
                                   "resets", "unknown", "errors"], rows, numeric: Set(1...10)))
            var byType: [UInt16: (String, UInt64)] = [:]
            for s in omd {
                for t in s.omd!.messagesByType + s.omd!.unknownTypes { byType[t.type, default: (t.name, 0)].1 += t.count }
            }
            out.append("  messages by type (all OMD streams)")
            let typeRows = byType.sorted { $0.key < $1.key }.map { ["\($0.key)", $0.value.0, Text.count($0.value.1)] }
            out.append(Text.table(["type", "name", "messages"], typeRows, numeric: [0, 2]).split(separator: "\n").map { "  " + $0 }.joined(separator: "\n"))
            var gapLines: [String] = []
            for s in omd {
                for g in s.omd!.sequence.gapList.prefix(5) {
                    gapLines.append("    \(endpoint(s.destination, s.destinationPort))  SN \(g.first)–\(g.last) (\(Text.count(g.size)) messages) detected \(g.detectedAt.utc)")
                }
                if s.omd!.sequence.gaps > 5 { gapLines.append("    \(endpoint(s.destination, s.destinationPort))  … \(Text.count(s.omd!.sequence.gaps - 5)) more gaps") }
            }
            if !gapLines.isEmpty {
                out.append("  gaps")
                out.append(contentsOf: gapLines)
            }
            var errorLines: [String] = []
            for s in omd where s.omd!.totalErrors > 0 {
                let e = s.omd!.errors
                let parts: [(String, UInt64)] = [("truncated header", e.truncatedHeader), ("PktSize ≠ UDP payload", e.packetSizeMismatch),
                                                 ("snapped", e.snappedPayload), ("MsgSize < 4", e.messageSizeTooSmall),
                                                 ("message past PktSize", e.messageBeyondPacket), ("MsgCount mismatch", e.messageCountMismatch),
                                                 ("message shorter than its type", e.shortMessage), ("inflate failed", e.decompressionFailed)]
                errorLines.append("    \(endpoint(s.destination, s.destinationPort))  " +
                                  parts.filter { $0.1 > 0 }.map { "\($0.0) \(Text.count($0.1))" }.joined(separator: " · "))
            }
            if !errorLines.isEmpty {
                out.append("  malformed OMD")
                out.append(contentsOf: errorLines)
            }
        }
        for w in r.warnings { out.append("  warning: \(w.message)") }
        if let e = r.error { out.append("  ERROR (figures above cover the packets before it): \(e.message)") }
        return out.joined(separator: "\n")
    }

    static func endpoint(_ address: String, _ port: UInt16) -> String {
        address.contains(":") ? "[\(address)]:\(port)" : "\(address):\(port)"
    }

    static func windowName(_ ns: Int64) -> String {
        TimeFormat.duration(ns, trimmed: true)
    }
}

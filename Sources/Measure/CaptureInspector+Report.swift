import Capture
import MarketData
import Vocabulary

extension CaptureInspector {
    /// Ends the pass and builds the report: the figures gathered, and the fault that ended it if any.
    package mutating func report(path: String, reader: CaptureSummary?, failure: CaptureError?) -> FileReport {
        finish()
        // Times from the packets that have one of their own (not Simple Packet Blocks, not timestamps out of range).
        let timed = packets > decode.untimed && firstTimestamp <= lastTimestamp
        let span: Int64? = timed ? lastTimestamp &- firstTimestamp : nil
        func perSecond(_ count: UInt64, _ span: Int64?) -> Double? {
            guard let span, span > 0 else { return nil }
            return Double(count) * 1e9 / Double(span)
        }
        var streams: [StreamReport] = []
        var totals = OMDTotals(streams: 0, packets: 0, heartbeats: 0, messages: 0, gaps: 0, missingMessages: 0,
                               duplicateMessages: 0, resets: 0, unknownMessages: 0, errors: 0)
        // Streams in key order (their indices sorted: a stream's figures are not copied for it); a
        // shard lists its own, each with its place in the whole list.
        var positions: [Int] = []
        let order = (0..<store.count).sorted { store[$0].key < store[$1].key }
        streams.reserveCapacity(order.count)
        for (position, index) in order.enumerated() {
            guard owns(index) else { continue }
            positions.append(position)
            let s = store[index]
            // OMD only when its first packets were consistently OMD; else the protocol is not recognised.
            let omd = s.omdIndex >= 0 && !s.omdInconsistent ? OMDReport(omdStore[s.omdIndex]) : nil
            let other = feed(s).flatMap { $0.feedProtocol != nil ? FeedReport($0) : nil }
            let feedProtocol: String? = s.key.protocolName == "udp" && options.decodeOMD ? (omd != nil ? "omd" : other?.protocol ?? "unknown") : nil
            if let omd {
                totals.streams += 1
                totals.packets += omd.packets
                totals.heartbeats += omd.heartbeats
                totals.messages += omd.messages
                totals.gaps += omd.sequence.gaps
                totals.missingMessages += omd.sequence.missingMessages
                totals.duplicateMessages += omd.sequence.duplicateMessages
                totals.resets += omd.sequence.resets
                totals.unknownMessages += omd.unknownMessages
                totals.errors += omd.totalErrors
            }
            let streamTimed = s.firstTimestamp <= s.lastTimestamp
            let streamSpan = streamTimed ? s.lastTimestamp &- s.firstTimestamp : 0
            streams.append(StreamReport(
                protocol: s.key.protocolName, source: s.key.source.description, sourcePort: s.key.sourcePort,
                destination: s.key.destination.description, destinationPort: s.key.destinationPort,
                packets: s.packets, bytes: s.bytes, payloadBytes: s.payloadBytes,
                first: streamTimed ? TimePoint(s.firstTimestamp) : nil, last: streamTimed ? TimePoint(s.lastTimestamp) : nil, spanNs: streamSpan,
                averagePacketsPerSecond: perSecond(s.packets, streamSpan),
                peaks: s.windows.all.map(PeakReport.init), omd: omd, feedProtocol: feedProtocol, feed: omd == nil ? other : nil))
        }
        var interfaces: [InterfaceReport] = []
        var warnings: [IssueReport] = []
        var format: String?
        var detail: String?
        var sections = 0
        var comments: [String] = []
        var compressed = false
        var fileBytes: Int?
        if let reader {
            format = reader.format.isPcapng ? "pcapng" : "pcap"
            detail = reader.format.description
            compressed = reader.isCompressed
            fileBytes = reader.fileSize
            sections = max(reader.sections.count, reader.format.isPcapng ? 0 : 1)
            comments = reader.sections.flatMap(\.comments)
            var perSection: [Int: Int] = [:]
            for i in reader.allInterfaces {
                let index = perSection[i.section, default: 0]
                perSection[i.section] = index + 1
                let r = i.tsresol
                let resolution = r & 0x80 == 0 ? "1e-\(r & 0x7f) s" : "2^-\(r & 0x7f) s"
                interfaces.append(InterfaceReport(index: index, section: i.section, linkType: i.linkType.rawValue,
                                                  linkTypeName: i.linkType.name, snapLength: i.snapLength,
                                                  timestampResolution: resolution, timestampOffsetSeconds: i.tsoffsetSeconds,
                                                  name: i.name))
            }
            warnings = reader.warnings.map { IssueReport(kind: $0.kind.rawValue, offset: $0.offset, message: $0.description) }
        }
        return FileReport(
            path: path, format: format, formatDetail: detail, compressed: compressed, fileBytes: fileBytes,
            sections: sections, sectionComments: comments, interfaces: interfaces,
            linkTypes: linkTypes.map { LinkTypeCount(linkType: $0.0.rawValue, name: $0.0.name, packets: $0.1) },
            packets: packets, bytes: bytes, capturedBytes: capturedBytes,
            first: timed ? TimePoint(firstTimestamp) : nil,
            last: timed ? TimePoint(lastTimestamp) : nil,
            spanNs: span, averagePacketsPerSecond: perSecond(packets - decode.untimed, span),
            averageBitsPerSecond: perSecond(bytes * 8, span),
            peaks: timed ? windows.all.map(PeakReport.init) : [],
            decode: decode, filter: options.filter?.expression, streams: streams,
            omdTotals: totals.streams > 0 ? totals : nil, warnings: warnings,
            error: failure.map { IssueReport(kind: $0.kind.rawValue, offset: $0.offset, message: $0.description) },
            partial: failure != nil,
            shard: options.shard.map { InspectShardPart(shard: $0, streamsTotal: order.count, positions: positions, omdTotals: totals) })
    }
}

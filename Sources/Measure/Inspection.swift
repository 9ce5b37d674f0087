import Capture
import MarketData
import Transport

/// Runs a full inspection of one capture file: opens it, walks every packet through a
/// ``CaptureInspector``, and builds the ``FileReport``. Never throws: a file that cannot be opened
/// or that is damaged yields a report with `error` set and the figures gathered before the fault.
///
/// With two or more CPUs and a mapped (or in-memory) capture, the work can run as a two-stage
/// pipeline: the calling thread (pinned to CPU 0) reads, decodes and keeps the file-wide and per-stream
/// figures; a worker pinned to CPU 1 does the OMD accounting, fed 32-byte descriptors (OMD stream, time,
/// lengths, payload offset) through a lock-free SPSC ring. By default it does, on a machine with two
/// CPUs (see `pipelined`). Packet order is kept per stream and the OMD statistics move with the work,
/// so the figures are identical whichever way (or ways) ran.
public enum Inspection {
    /// True on a machine with two or more CPUs: the default of ``inspect(path:options:progress:pipelined:probePackets:)``.
    public static var twoThreadsByDefault: Bool { PinnedThread.availableCPUs >= 2 }

    /// - Parameters:
    ///   - pipelined: true (default with two CPUs): OMD accounting on a second thread for the whole
    ///     pass, when the capture is mapped; false: one thread; nil: adaptive — the first
    ///     `probePackets` packets run on one thread, the next `probePackets` on two, and the rest the
    ///     faster way (for a machine whose second CPU is busy with other work). On the project's
    ///     2-vCPU machines two threads were faster than one in every state measured (0.21–0.24 s
    ///     against 0.28–0.31 s on the bench capture), while a probe disturbed by other guests sometimes
    ///     kept one thread for the rest of the pass.
    ///   - probePackets: packets per measuring phase of the adaptive mode.
    public static func inspect(path: String, options: CaptureInspector.Options = .init(),
                               progress: ProgressCounter? = nil, pipelined: Bool? = twoThreadsByDefault,
                               probePackets: Int = 1 << 20) -> FileReport {
        var inspector = CaptureInspector(options: options)
        var reader: CaptureReader
        do {
            reader = try CaptureReader.open(path)
        } catch {
            return report(path: path, reader: nil, inspector: &inspector, failure: error)
        }
        progress?.set(expected: reader.fileSize ?? 0)
        let canPipeline = PinnedThread.availableCPUs >= 2
        let pageRelease = reader.pageRelease
        let stage = reader.stableBytes.map { OMDStage(bytes: $0, pageRelease: pageRelease) }
        if pipelined == true { stage?.start(&inspector) }
        var schedule = AdaptiveSchedule(probePackets: max(1, probePackets))
        // The packet count at which the schedule decides next; never, unless adaptive.
        var nextDecision = pipelined == nil && canPipeline && stage != nil ? schedule.nextDecision : Int.max
        var failure: CaptureError?
        do {
            var tick = 0
            let progressOffset = { (packet: CapturedPacket) in progress?.set(completed: packet.recordOffset) }
            try reader.forEachPacket { packet in
                inspector.add(packet)
                tick &+= 1
                if _slowPath(tick & 0xFFFF == 0) { progressOffset(packet) }
                if _slowPath(tick == nextDecision), let stage {
                    schedule.decide(at: tick, stage: stage, inspector: &inspector)
                    nextDecision = schedule.isDone ? Int.max : schedule.nextDecision
                }
                return true
            }
        } catch {
            failure = error
        }
        progress?.set(completed: reader.bytesConsumed)
        stage?.stop(&inspector)
        return report(path: path, reader: reader.summary, inspector: &inspector, failure: failure)
    }

    /// The adaptive mode's plan: time a phase on one thread, then a phase on two, keep the faster.
    struct AdaptiveSchedule {
        let probePackets: Int
        private(set) var nextDecision: Int
        private(set) var isDone = false
        private var phaseStart = Clock.monotonic()
        private var singleNanoseconds: Int64 = 0

        init(probePackets: Int) {
            self.probePackets = probePackets
            nextDecision = probePackets
        }

        mutating func decide(at packets: Int, stage: OMDStage, inspector: inout CaptureInspector) {
            let now = Clock.monotonic()
            if !stage.isRunning {
                singleNanoseconds = now &- phaseStart
                stage.start(&inspector)
                phaseStart = Clock.monotonic()
                nextDecision = packets &+ probePackets
            } else {
                if now &- phaseStart >= singleNanoseconds { stage.stop(&inspector) }
                isDone = true
            }
        }
    }

    static func report(path: String, reader: CaptureSummary?, inspector: inout CaptureInspector,
                       failure: CaptureError?) -> FileReport {
        inspector.finish()
        let span: Int64? = inspector.packets > 0 ? inspector.lastTimestamp &- inspector.firstTimestamp : nil
        func perSecond(_ count: UInt64, _ span: Int64?) -> Double? {
            guard let span, span > 0 else { return nil }
            return Double(count) * 1e9 / Double(span)
        }
        var streams: [StreamReport] = []
        var totals = OMDTotals(streams: 0, packets: 0, heartbeats: 0, messages: 0, gaps: 0, missingMessages: 0,
                               duplicateMessages: 0, resets: 0, unknownMessages: 0, errors: 0)
        let omdStatistics = inspector.omd
        for s in inspector.streams.sorted(by: { $0.key < $1.key }) {
            let omd = s.omdIndex >= 0 ? OMDReport(omdStatistics[s.omdIndex]) : nil
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
            let streamSpan = s.lastTimestamp &- s.firstTimestamp
            streams.append(StreamReport(
                protocol: s.key.protocolName, source: s.key.source.description, sourcePort: s.key.sourcePort,
                destination: s.key.destination.description, destinationPort: s.key.destinationPort,
                packets: s.packets, bytes: s.bytes, payloadBytes: s.payloadBytes,
                first: TimePoint(s.firstTimestamp), last: TimePoint(s.lastTimestamp), spanNs: streamSpan,
                averagePacketsPerSecond: perSecond(s.packets, streamSpan),
                peaks: s.windows.all.map(PeakReport.init), omd: omd))
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
            linkTypes: inspector.linkTypes.map { LinkTypeCount(linkType: $0.0.rawValue, name: $0.0.name, packets: $0.1) },
            packets: inspector.packets, bytes: inspector.bytes, capturedBytes: inspector.capturedBytes,
            first: inspector.packets > 0 ? TimePoint(inspector.firstTimestamp) : nil,
            last: inspector.packets > 0 ? TimePoint(inspector.lastTimestamp) : nil,
            spanNs: span, averagePacketsPerSecond: perSecond(inspector.packets, span),
            averageBitsPerSecond: perSecond(inspector.bytes * 8, span),
            peaks: inspector.packets > 0 ? inspector.windows.all.map(PeakReport.init) : [],
            decode: inspector.decode, filter: inspector.options.filter?.expression, streams: streams,
            omdTotals: totals.streams > 0 ? totals : nil, warnings: warnings,
            error: failure.map { IssueReport(kind: $0.kind.rawValue, offset: $0.offset, message: $0.description) },
            partial: failure != nil)
    }
}

import Vocabulary
import Measure
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
        let files: [String]
        do { files = try CaptureTimeline.files(path) } catch {
            let detail = error.description.hasPrefix(path + ": ") ? String(error.description.dropFirst(path.count + 2)) : error.description
            return inspector.report(path: path, reader: nil, failure: CaptureError(.unreadable, path: path, offset: nil, detail))
        }
        if files != [path] { return inspectTimeline(path, files, &inspector, progress: progress) }
        var reader: CaptureReader
        do {
            reader = try CaptureReader.open(path)
        } catch {
            return inspector.report(path: path, reader: nil, failure: error)
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
        return inspector.report(path: path, reader: reader.summary, failure: failure)
    }

    /// A directory's captures read one after another as one timeline (``CaptureTimeline``), every
    /// stream continuing across them, on one thread: one report for the directory, its sizes and
    /// warnings the files' together; a file that cannot be read is the report's error (the first
    /// one), the others read all the same; a file starting before the previous one ends is a warning.
    static func inspectTimeline(_ path: String, _ files: [String], _ inspector: inout CaptureInspector,
                                progress: ProgressCounter?) -> FileReport {
        progress?.set(expected: CaptureTimeline.size(path))
        var summaries: [CaptureSummary] = []
        var order: [CaptureWarning] = []
        var failure: CaptureError?
        var before = 0
        var previous: (file: String, end: Int64)?
        for file in files {
            var reader: CaptureReader
            do { reader = try CaptureReader.open(file) } catch {
                failure = failure ?? error
                continue
            }
            var first = true, last = Int64.min, tick = 0
            do {
                try reader.forEachPacket { packet in
                    if _slowPath(first) {
                        first = false
                        if let p = previous, packet.hasTimestamp, packet.timestamp < p.end {
                            order.append(CaptureWarning(.startsBeforePrevious, path: file, offset: packet.recordOffset,
                                                        "starts at \(TimeFormat.iso8601(packet.timestamp)), before \(p.file) ends (\(TimeFormat.iso8601(p.end))): read after it, as the directory's time order has it"))
                        }
                    }
                    if packet.hasTimestamp { last = packet.timestamp }
                    inspector.add(packet)
                    tick &+= 1
                    if _slowPath(tick & 0xFFFF == 0) { progress?.set(completed: before + packet.recordOffset) }
                    return true
                }
            } catch {
                failure = failure ?? error
            }
            before += reader.bytesConsumed
            progress?.set(completed: before)
            summaries.append(reader.summary)
            if last != .min { previous = (file, last) }
        }
        return inspector.report(path: path, reader: CaptureSummary.joined(summaries, warnings: order), failure: failure)
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

}

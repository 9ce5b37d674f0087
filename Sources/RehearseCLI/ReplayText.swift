import Vocabulary
import Engines
import Measure
import Replay
import Results

/// Terminal rendering of a replay plan and result.
enum ReplayText {
    static func plan(_ plan: FeedPlan, _ options: ReplayOptions) -> String {
        var out = "replay \(plan.path): \(Text.count(plan.packets)) packets in \(plan.streams.count) stream\(plan.streams.count == 1 ? "" : "s"), "
        out += "span \(TimeFormat.duration(plan.captureSpan)), pacing \(options.pacing)"
        if options.loops > 1 { out += ", \(options.loops) loops" }
        var rows: [[String]] = []
        for s in plan.streams {
            let targets = s.targets.map { plan.targets[$0].description }.joined(separator: ", ")
            rows.append([s.destination.description, targets.isEmpty ? "(dropped: unmapped)" : targets, Text.count(s.packets)])
        }
        out += "\n" + Text.table(["captured", "→ target", "packets"], rows, numeric: [2])
        if plan.skippedNotUDP > 0 { out += "\n  \(Text.count(plan.skippedNotUDP)) selected packets are not UDP and are not sent" }
        if plan.skippedSnapped > 0 { out += "\n  \(Text.count(plan.skippedSnapped)) packets were cut by the capture's snap length and are not sent" }
        return out
    }

    static func result(_ r: ReplayResult) -> String {
        var out = "sent \(Text.count(r.packets)) packets (\(Text.bytes(r.bytes)) of payload) in \(TimeFormat.duration(r.wallNs))"
        out += ", \(Text.rate(r.packetsPerSecond)) packets/s"
        if r.scheduledNs > 0 {
            let ratio = Double(r.wallNs) / Double(r.scheduledNs)
            out += "; schedule \(TimeFormat.duration(r.scheduledNs)) (wall/schedule \(TimeFormat.format(ratio, 4)))"
        }
        if r.loopsRequested > 1 { out += "; loops \(r.loopsCompleted)/\(r.loopsRequested)" }
        if let at = r.startAtNs {
            out += "\n  started at \(TimeFormat.iso8601(at)) (--start-at): first packet "
                + (r.startSkewNs.map { TimeFormat.duration($0) + " after it (this host's clock)" } ?? "- (nothing sent)")
        }
        if r.interrupted { out += "\n  interrupted: figures cover what was sent before the stop" }
        if r.stoppedOnError { out += "\n  stopped at the first send error (--stop-on-error)" }
        let l = r.lateness
        out += "\n  lateness (actual − scheduled send): p50 \(TimeFormat.duration(l.p50))  p90 \(TimeFormat.duration(l.p90))  p99 \(TimeFormat.duration(l.p99))  p99.9 \(TimeFormat.duration(l.p999))  max \(TimeFormat.duration(l.max))"
        var rows: [[String]] = []
        for t in r.targets {
            rows.append([t.target, Text.count(t.packets), Text.bytes(t.bytes), Text.count(t.refused), Text.count(t.failed), t.lastError ?? ""])
        }
        out += "\n" + Text.table(["target", "packets", "bytes", "refused", "failed", "last error"], rows, numeric: [1, 2, 3, 4])
        if r.unmappedPacketsDropped > 0 { out += "\n  \(Text.count(r.unmappedPacketsDropped)) packets of unmapped streams dropped (--drop-unmapped)" }
        return out
    }
}

import Vocabulary
import Measure

/// The recovery section of `listen` (and of every command with `--recover`).
enum RecoveryText {
    static func render(_ r: RecoveryReport) -> String {
        var out = "recovery from \(r.servers.isEmpty ? "the refresh service only" : r.servers.joined(separator: ", ")): "
        guard r.gaps > 0 else {
            return out + "no gap to recover (\(r.logons) logon\(r.logons == 1 ? "" : "s"), \(r.failovers) failover\(r.failovers == 1 ? "" : "s"))"
        }
        out += "\(r.gapsRecovered) of \(r.gaps) gaps recovered" + (r.gapsRefreshed > 0 ? " (\(r.gapsRefreshed) by a refresh snapshot)" : "")
            + "; messages missing \(Text.count(r.missing)), recovered \(Text.count(r.recovered)), "
            + (r.refreshed > 0 ? "covered by refresh \(Text.count(r.refreshed)), " : "")
            + "unrecovered \(Text.count(r.unrecovered)); \(r.requests) requests for \(Text.count(r.requested)) messages"
        if let t = r.timeToRecover {
            out += "\n  time to recover (detection to the gap's last message back, or to the refresh that covered it): p50 \(TimeFormat.duration(Int64(t.p50))), "
                + "p99 \(TimeFormat.duration(Int64(t.p99))), max \(TimeFormat.duration(Int64(t.max))) over \(t.count) gaps"
        } else {
            out += "\n  time to recover: - (no gap wholly recovered)"
        }
        var faults: [String] = r.refused.sorted { $0.key < $1.key }.map { "refused \($0.key) \($0.value)" }
        for (name, v) in [("timeouts", r.timeouts), ("disconnects", r.disconnects), ("garbage", r.garbage), ("wrong sequence", r.wrongSequence),
                          ("wrong range", r.wrongRange), ("failovers", r.failovers), ("refused logons", r.refusedLogons),
                          ("gaps not handed over", r.notHandedOver), ("refresh garbage", r.refreshGarbage)] where v > 0 {
            faults.append("\(name) \(v)")
        }
        if !faults.isEmpty { out += "\n  " + faults.joined(separator: ", ") }
        let reasons = Dictionary(grouping: r.gapList.compactMap(\.reason), by: { $0 }).mapValues(\.count)
        for (reason, n) in reasons.sorted(by: { $0.value > $1.value }).prefix(5) {
            out += "\n  \(n) gap\(n == 1 ? "" : "s") not recovered: \(reason)"
        }
        return out
    }
}

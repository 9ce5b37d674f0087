import Results
import Scenario
import Vocabulary

/// Whether each live leg's figures are the platforms' (docs/measurement.md): the sender's lateness
/// p99 and the host's hiccup p99.9, each within a share of the smallest latency limit judged on the
/// leg. Without a latency limit there is no latency to be judged and no validity (nil) — unless
/// `ownFigures` (what `bench` judges: the platforms' own figures and their ratio), where the
/// reference is the fastest platform's own p99, with at least half of it allowed (a sender as late
/// as the platform is slow measures itself).
public enum LegValidity {
    /// The feed leg's validity (nil when nothing was measured).
    public static func feed(_ b: BenchResult, limits: ScenarioLimits, settings: ValiditySettings = ValiditySettings(),
                            ownFigures: Bool = false) -> Validity? {
        let judged = [("feedLatencyP50", limits.feedLatencyP50), ("feedLatencyP99", limits.feedLatencyP99),
                      ("feedLatencyP999", limits.feedLatencyP999)].compactMap { name, v in v.map { (name, $0) } }
        let measured = b.sides.filter { $0.latency.count > 0 }.map { ($0.name, $0.latency.p99) }
        return judge(limits: judged, measured: ownFigures ? measured : [], lateness: b.replay.lateness.count > 0 ? b.replay.lateness.p99 : nil,
                     host: b.host, settings: settings)
    }

    /// The gateway leg's validity: the latest sender among the gateways (nil when nothing was measured).
    public static func gateway(_ g: [String: SessionReplayResult], limits: ScenarioLimits,
                               settings: ValiditySettings = ValiditySettings(), ownFigures: Bool = false) -> Validity? {
        let judged = limits.gatewayLatencyP99.map { [("gatewayLatencyP99", $0)] } ?? []
        let measured = !ownFigures ? [] : g.sorted { $0.key < $1.key }.compactMap { name, r in
            r.spectrum.flatMap { $0.totalCount > 0 ? (name, $0.value(at: 99)) : nil }
        }
        let lateness = g.values.filter { $0.lateness.count > 0 }.map(\.lateness.p99).max()
        return judge(limits: judged, measured: measured, lateness: lateness, host: g.values.compactMap(\.host).first, settings: settings)
    }

    static func judge(limits: [(String, Int64)], measured: [(String, UInt64)], lateness: UInt64?, host: HostHealth?,
                      settings: ValiditySettings) -> Validity? {
        let hiccups = host.flatMap { $0.hiccups.count > 0 ? $0.hiccups.p999 : nil }
        if let (name, limit) = limits.min(by: { $0.1 < $1.1 }) {
            return Validity(senderLatenessP99: lateness, hiccupP999: hiccups, referenceNs: UInt64(max(0, limit)),
                            reference: "the \(name) limit \(TimeFormat.duration(limit))",
                            senderLatenessShare: settings.senderLateness, hiccupShare: settings.hiccups)
        }
        guard let (name, p99) = measured.min(by: { $0.1 < $1.1 }) else { return nil }
        return Validity(senderLatenessP99: lateness, hiccupP999: hiccups, referenceNs: p99,
                        reference: "\(name)'s own p99 \(TimeFormat.duration(p99)), no latency limit given",
                        senderLatenessShare: max(settings.senderLateness, 0.5), hiccupShare: max(settings.hiccups, 0.5))
    }
}

import Capture
import OrderEntry
import Replay
import Results
import Synchronization
import Transport
import Vocabulary
import Measure

/// One gateway to replay the sessions into, with the session options for it.
public struct GatewayTarget: Sendable {
    public var name: String
    public var endpoint: Endpoint
    public var options: SessionReplayOptions

    public init(name: String, endpoint: Endpoint, options: SessionReplayOptions) {
        self.name = name
        self.endpoint = endpoint
        self.options = options
    }
}

/// Replays the FIX client sessions of one plan into one or more gateways (old and new) at the same
/// instants: a ``SessionPlayer`` per gateway, each on its own thread. `gateway`, `bench` with
/// gateways and the scenario's gateway leg all run through it.
public final class GatewayBench: Sendable {
    public let plan: SessionPlan
    public let targets: [GatewayTarget]
    let players: [SessionPlayer]

    public init(plan: SessionPlan, targets: [GatewayTarget]) {
        self.plan = plan
        self.targets = targets
        players = targets.map { SessionPlayer(plan: plan, target: $0.endpoint, options: $0.options) }
    }

    /// A capture (TCP reassembly) or a JSON Lines transaction log (detected by content) read into a
    /// plan; the warnings say what was skipped. A capture damaged after some sessions were read is
    /// replayed as far as it goes, with the fault among the warnings (``SessionPlan/captureError``).
    public static func loadPlan(_ path: String, filter: String? = nil) throws(RehearseError) -> (plan: SessionPlan, warnings: [String]) {
        let plan: SessionPlan
        var warnings: [String] = []
        if TransactionLog.looksLikeLog(path) {
            do { plan = SessionPlan(log: try TransactionLog(path: path)) } catch { throw RehearseError(error) }
            if !plan.logErrors.isEmpty {
                warnings.append("\(plan.framingErrors) malformed lines in \(path) were skipped, e.g. "
                                + plan.logErrors.prefix(3).map(\.description).joined(separator: "; "))
            }
        } else {
            do { plan = try SessionPlan(path: path, filter: filter) } catch { throw RehearseError(error) }
            if plan.framingErrors > 0 && !plan.errors.isEmpty {
                warnings.append("\(plan.framingErrors) malformed FIX messages in the capture were skipped, e.g. "
                                + plan.errors.prefix(3).map {
                                    "connection \($0.connection + 1) \($0.direction == .clientToServer ? "client" : "gateway") stream offset \($0.error.streamOffset): \($0.error.kind.rawValue)"
                                }.joined(separator: "; "))
            }
        }
        if let e = plan.captureError {
            guard !plan.sessions.isEmpty else { throw RehearseError(e) }
            warnings.append("\(e.description); replaying the sessions read before it")
        }
        guard !plan.sessions.isEmpty else { throw RehearseError(.input, "\(path): no FIX client sessions with application messages") }
        for (i, s) in plan.sessions.enumerated() where s.halfCaptured {
            warnings.append("session \(i + 1) (\(s.client) → \(s.server)) has no Logon in the capture; replayed from its first application message")
        }
        return (plan, warnings)
    }

    /// Runs every player on its own thread and returns their results in target order (blocks). With
    /// `measureHost` a ``HiccupMeter`` runs alongside and every result carries the host's health.
    public func run(measureHost: Bool = true) -> [SessionReplayResult] {
        let meter = measureHost ? HiccupMeter() : nil
        let results = Mutex<[Int: SessionReplayResult]>([:])
        let threads = players.enumerated().map { index, player in
            PinnedThread.start(name: "rehearse-fix") {
                let r = player.run()
                results.withLock { $0[index] = r }
            }
        }
        threads.forEach { $0.join() }
        let host = meter?.stop()
        return results.withLock { all in
            players.indices.map { i in
                var r = all[i]!
                r.host = host
                return r
            }
        }
    }

    /// Requests sent so far over every gateway, and in all (any thread: for progress lines).
    public var progress: (sent: UInt64, total: UInt64) {
        (players.reduce(0) { $0 + $1.requestsSent }, UInt64(plan.messageCount * players.count))
    }

    /// Stops every player (any thread): what was done so far is returned by ``run()``, marked interrupted.
    public func stop() { players.forEach { $0.stop() } }

    /// The failure of a gateway run, if any: sessions that could not start (refused, unanswered,
    /// unreachable) are a target error naming each gateway and its sessions.
    public static func failure(names: [String], _ results: [SessionReplayResult]) -> RehearseError? {
        let failed = zip(names, results).filter { !$0.1.sessionFailures.isEmpty }
        guard !failed.isEmpty else {
            // Nothing is zero by accident: a gateway that logged on but answered none of its requests.
            let silent = zip(names, results).filter { $0.1.requests > 0 && $0.1.responses == 0 && !$0.1.interrupted }
            guard !silent.isEmpty else { return nil }
            return RehearseError(.target, silent.map { name, r in
                "\(name) gateway \(r.target) answered none of \(r.requests) requests (\(r.sessionsLoggedOn)/\(r.sessions) sessions logged on)"
            }.joined(separator: " · "))
        }
        return RehearseError(.target, failed.map { name, r in
            let f = r.sessionFailures
            return "\(name) gateway: " + f.prefix(4).joined(separator: "; ") + (f.count > 4 ? "; and \(f.count - 4) more sessions" : "")
        }.joined(separator: " · "))
    }

    /// How a gateway run ends: a target error when sessions could not start, interrupted when stopped,
    /// an input error when the capture was damaged part-way, else success.
    public static func status(names: [String], _ results: [SessionReplayResult], plan: SessionPlan) -> ExitStatus {
        if failure(names: names, results) != nil { return .target }
        if results.contains(where: \.interrupted) { return .interrupted }
        if plan.captureError != nil { return .input }
        return .success
    }
}

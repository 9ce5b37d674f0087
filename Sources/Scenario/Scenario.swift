import Foundation
import Vocabulary
import MarketData
import Capture
import Yams

/// An order gateway of a target platform: where to connect and who to log on as.
public struct GatewayTarget: Sendable, Equatable {
    public var address: Endpoint
    public var senderCompID: String
    public var targetCompID: String
    /// BeginString: FIX.4.2, FIX.4.4 or FIXT.1.1.
    public var fixVersion = "FIX.4.4"
    /// HeartBtInt for the logon (ns).
    public var heartbeat: Int64 = 30_000_000_000
    public var username: String?
    public var password: String?
}

/// A market-data line of a target platform, as received here: one endpoint per channel.
public struct FeedLineTarget: Sendable, Equatable {
    public var name: String
    public var endpoints: [Endpoint]
    /// Interface to join multicast groups on: an IPv4 address or an interface name.
    public var interface: String?
    /// Source address for source-specific multicast joins.
    public var source: IPAddress?
    /// The line's feed protocol (`protocol:`; OMD when not given).
    public var feedProtocol: FeedProtocol = .omd
}

/// Where a platform's feed handler takes the replayed feed and where its output comes back (bench):
/// channel *i* is sent to `send` port + *i* and expected on `receive` port + *i*.
public struct FeedBenchTarget: Sendable, Equatable {
    public var send: Endpoint
    public var receive: Endpoint
    /// `recover:` the platform's retransmission servers (primary first): a gap drill recovers the gaps
    /// of its output from them during the bench leg.
    public var recover: [Endpoint] = []
}

/// A platform under test (e.g. `old`, `new`): its order gateway and the feed lines it publishes.
public struct ScenarioTarget: Sendable, Equatable {
    public var name: String
    public var gateway: GatewayTarget?
    public var lines: [FeedLineTarget] = []
    public var feed: FeedBenchTarget?
}

/// The `feed:` leg of `run`: a capture replayed into every target's feed at the same deadlines.
public struct FeedLegSettings: Sendable, Equatable {
    public var capture: String
    public var filter: String?
    /// × recorded speed (a ramp for `capacity` comes from `capacity.speeds`).
    public var speed = 1.0
    public var drain: Int64 = 1_000_000_000
    /// Replay only this much of the capture (from its start).
    public var until: Int64?
}

/// The `gateway:` leg: FIX sessions (a capture or a JSON Lines transaction log) to every target's gateway.
public struct GatewayLegSettings: Sendable, Equatable {
    public var capture: String
    public var speed = 1.0
    public var timeout: Int64 = 5_000_000_000
}

/// The `compare:` leg: two feeds message by message (two captures, or one with two filters).
public struct CompareLegSettings: Sendable, Equatable {
    public var a: String
    public var b: String?
    public var filterA: String?
    public var filterB: String?
    public var stall: Int64 = 4_000_000_000
}

/// `limits:`: what must hold for the run to pass (each per target where it applies).
public struct ScenarioLimits: Sendable, Equatable {
    public var feedLatencyP50: Int64?
    public var feedLatencyP99: Int64?
    public var feedLatencyP999: Int64?
    /// Feed messages a target may lose.
    public var feedLost: UInt64?
    /// Feed messages per second a target must deliver at least.
    public var feedThroughput: Double?
    public var gatewayLatencyP99: Int64?
    /// Requests a gateway may leave unanswered (timeouts and lost to disconnects).
    public var gatewayUnanswered: UInt64?
    /// The standby's (side B's) lag p99 in `compare`.
    public var lagP99: Int64?
    /// Messages side B may miss in `compare`.
    public var standbyMissing: UInt64?
    /// Gap drill (`targets.X.feed.recover`): time to recover p99 per target, judged where gaps were
    /// recovered; and gap messages a target's retransmission service may leave unrecovered.
    public var recoveryTimeP99: Int64?
    public var unrecovered: UInt64?
    public init() {}
}

/// `baseline:`: what a run is judged against, and what counts as a regression.
public struct BaselineSettings: Sendable, Equatable {
    /// A run id from the history; nil = the window of the last ``window`` valid runs of this scenario.
    public var run: Int64?
    /// Valid, complete runs the baseline pools its samples from (never "the last passing run": a
    /// window cannot ratchet).
    public var window = 5
    /// The minimum effect: a change of the median smaller than this fraction (0.10 = 10 %) is
    /// "unchanged" however significant.
    public var tolerance = 0.10
    /// The Mann–Whitney test's significance level (0.01: a change is called only when noise would
    /// produce it less than 1 time in 100).
    public var significance = 0.01
    /// Samples (per-interval figures) each side needs for a figure to be judged.
    public var minimumIntervals = 5
    /// Judge absolute figures too, not only the paired ones (new ÷ old in the same run).
    public var absolute = false
    /// Fewer messages behind a figure than this and it is not judged.
    public var minimumSamples: UInt64 = 1_000
    public init() {}
}

/// `validity:`: how much of what is judged the test host may add before a measurement is
/// inconclusive (fractions of the smallest latency limit judged).
public struct ValiditySettings: Sendable, Equatable {
    /// The sender's lateness p99 may be at most this share (0.10 = 10 %).
    public var senderLateness = 0.10
    /// The hiccup meter's p99.9 may be at most this share.
    public var hiccups = 0.10
    public init() {}
}

/// `capacity:`: the speeds to ramp through until a limit breaks.
public struct CapacitySettings: Sendable, Equatable {
    public var speeds: [Double] = [1, 2, 3, 5, 8, 13, 21]
    /// The sender's lateness p99 above this means Rehearse, not the target, is the limit (ns).
    public var senderLatenessP99: Int64 = 10_000_000
    /// Between the last step that held and the first that broke, bisect until the two are this
    /// close (0.10: within 10 % of each other), so the knee is a number.
    public var resolution = 0.10
    public init() {}
}

/// `outputs:`: where results go.
public struct OutputSettings: Sendable, Equatable {
    /// Each run writes `<directory>/<run id or time>/` with result.json, report.html, .hgrm and CSV files.
    public var directory = "out/runs"
    /// The SQLite history.
    public var history = "out/history.sqlite"
    public init() {}
}

/// The `verify:` section: the pre-rollout checklist's limits.
public struct VerifySettings: Sendable, Equatable {
    /// Per check: connect, logon, logout, each feed line's packets.
    public var timeout: Int64 = 5_000_000_000
    /// Valid OMD packets a feed line must deliver, with its sequence numbers advancing.
    public var packets = 3
    public init() {}
}

/// A scenario file (YAML, docs/scenario.md): the platforms under test and what to do with them.
/// Parsing is strict: an unknown key or a bad value is an error naming the file, line and key.
public struct Scenario: Sendable, Equatable {
    public var path: String
    public var name: String
    public var description: String?
    public var targets: [ScenarioTarget]
    public var verify = VerifySettings()
    public var feed: FeedLegSettings?
    public var gateway: GatewayLegSettings?
    public var compare: CompareLegSettings?
    public var limits = ScenarioLimits()
    public var baseline = BaselineSettings()
    public var validity = ValiditySettings()
    public var capacity = CapacitySettings()
    public var outputs = OutputSettings()
    /// The scenario text as read (its hash identifies the scenario in the history).
    public var text = ""

    /// Reads and checks the scenario at `path`.
    public static func load(_ path: String) throws(ScenarioError) -> Scenario {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw ScenarioError(file: path, line: 0, column: 0, key: "", message: "cannot read: \(error.localizedDescription)")
        }
        return try parse(text, file: path)
    }

    /// The line (from 1) where `key:` appears a second time at the indentation of its first appearance.
    static func secondOccurrence(of key: String, in text: String) -> Int? {
        var indent: Int?
        for (i, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let body = line.drop { $0 == " " }
            guard body.hasPrefix(key + ":") else { continue }
            let depth = line.count - body.count
            if let indent, indent == depth { return i + 1 }
            if indent == nil { indent = depth }
        }
        return nil
    }

    /// Parses scenario text; `file` names it in errors.
    public static func parse(_ text: String, file: String) throws(ScenarioError) -> Scenario {
        let root: Node
        do {
            guard let n = try Yams.compose(yaml: text) else {
                throw ScenarioError(file: file, line: 1, column: 1, key: "", message: "the file is empty")
            }
            root = n
        } catch let e as ScenarioError {
            throw e
        } catch let e as YamlError {
            switch e {
            case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _), .composer(_, let problem, let mark, _):
                throw ScenarioError(file: file, line: mark.line, column: mark.column, key: "", message: "not valid YAML: \(problem)")
            case .duplicatedKeysInMapping(let duplicates, let context):
                let key = duplicates.first ?? "?"
                let line = secondOccurrence(of: key, in: text) ?? context.mark.line
                throw ScenarioError(file: file, line: line, column: 1, key: key, message: "given twice")
            default:
                throw ScenarioError(file: file, line: 0, column: 0, key: "", message: "not valid YAML: \(e)")
            }
        } catch {
            throw ScenarioError(file: file, line: 0, column: 0, key: "", message: "not valid YAML: \(error)")
        }
        var top = try YAMLFields(root, file: file, path: "")
        var s = Scenario(path: file, name: try top.requiredString("name"), targets: [])
        s.description = try top.string("description")
        guard var targets = try top.fields("targets") else {
            throw ScenarioError(file: file, line: 1, column: 1, key: "targets", message: "missing (required): the platforms under test, e.g. old and new")
        }
        for (name, var t) in try targets.namedEntries() {
            var target = ScenarioTarget(name: name)
            if var g = try t.fields("gateway") {
                guard let address = try g.endpoint("address") else { throw g.error(nil, "address", "missing (required)") }
                var gateway = GatewayTarget(address: address, senderCompID: try g.requiredString("sender"), targetCompID: try g.requiredString("target"))
                if let v = try g.string("fix") {
                    guard ["FIX.4.2", "FIX.4.4", "FIXT.1.1"].contains(v) else { throw g.error(g.node, "fix", "expected FIX.4.2, FIX.4.4 or FIXT.1.1 (got \"\(v)\")") }
                    gateway.fixVersion = v
                }
                if let h = try g.duration("heartbeat") { gateway.heartbeat = h }
                gateway.username = try g.string("username")
                gateway.password = try g.string("password")
                try g.finish(allowed: ["address", "sender", "target", "fix", "heartbeat", "username", "password"])
                target.gateway = gateway
            }
            if var feed = try t.fields("feed") {
                for var l in try feed.list("lines") ?? [] {
                    let lineName = try l.requiredString("name")
                    guard let endpoints = try l.endpoints("endpoints") else { throw l.error(nil, "endpoints", "missing (required)") }
                    var line = FeedLineTarget(name: lineName, endpoints: endpoints, interface: try l.string("interface"))
                    if let src = try l.string("source") {
                        guard let a = IPAddress(src) else { throw l.error(l.node, "source", "expected an IP address (got \"\(src)\")") }
                        line.source = a
                    }
                    if let name = try l.string("protocol") {
                        guard let p = FeedProtocol(rawValue: name.lowercased()) else {
                            throw l.error(l.node, "protocol", "expected one of " + FeedProtocol.allCases.map(\.rawValue).joined(separator: ", ") + " (got \"\(name)\")")
                        }
                        line.feedProtocol = p
                    }
                    try l.finish(allowed: ["name", "endpoints", "interface", "source", "protocol"])
                    target.lines.append(line)
                }
                if let send = try feed.endpoint("send") {
                    guard let receive = try feed.endpoint("receive") else { throw feed.error(nil, "receive", "missing (required with send)") }
                    target.feed = FeedBenchTarget(send: send, receive: receive, recover: try feed.endpoints("recover") ?? [])
                } else if feed.has("receive") {
                    throw feed.error(nil, "send", "missing (required with receive)")
                }
                try feed.finish(allowed: ["lines", "send", "receive", "recover"])
            }
            try t.finish(allowed: ["gateway", "feed"])
            if target.gateway == nil && target.lines.isEmpty && target.feed == nil {
                throw t.error(t.node, "", "a target needs a gateway, feed lines, or both")
            }
            s.targets.append(target)
        }
        guard !s.targets.isEmpty else { throw targets.error(targets.node, "", "no targets") }
        if var v = try top.fields("verify") {
            if let t = try v.duration("timeout") { s.verify.timeout = t }
            if let p = try v.integer("packets", 1...1_000_000) { s.verify.packets = p }
            try v.finish(allowed: ["timeout", "packets"])
        }
        let directory = file.contains("/") ? String(file[..<file.lastIndex(of: "/")!]) : "."
        func resolve(_ path: String) -> String {
            let joined = path.hasPrefix("/") ? path : directory + "/" + path
            // Fold `.` and `..` so reports name the file plainly (scenarios/../out → out).
            var parts: [Substring] = []
            for part in joined.split(separator: "/", omittingEmptySubsequences: true) {
                if part == "." { continue }
                if part == "..", let last = parts.last, last != ".." { parts.removeLast(); continue }
                parts.append(part)
            }
            let folded = parts.joined(separator: "/")
            return joined.hasPrefix("/") ? "/" + folded : (folded.isEmpty ? "." : folded)
        }
        if var f = try top.fields("feed") {
            var leg = FeedLegSettings(capture: resolve(try f.requiredString("capture")))
            leg.filter = try f.string("filter")
            if let v = try f.number("speed", above: 0) { leg.speed = v }
            if let d = try f.duration("drain") { leg.drain = d }
            leg.until = try f.duration("until")
            try f.finish(allowed: ["capture", "filter", "speed", "drain", "until"])
            s.feed = leg
        }
        if var g = try top.fields("gateway") {
            var leg = GatewayLegSettings(capture: resolve(try g.requiredString("capture")))
            if let v = try g.number("speed", above: 0) { leg.speed = v }
            if let d = try g.duration("timeout") { leg.timeout = d }
            try g.finish(allowed: ["capture", "speed", "timeout"])
            s.gateway = leg
        }
        if var c = try top.fields("compare") {
            var leg = CompareLegSettings(a: resolve(try c.requiredString("a")))
            leg.b = try c.string("b").map(resolve)
            leg.filterA = try c.string("filterA")
            leg.filterB = try c.string("filterB")
            if let d = try c.duration("stall") { leg.stall = d }
            if leg.b == nil && (leg.filterA == nil || leg.filterB == nil) {
                throw c.error(c.node, "", "give b (a second capture), or filterA and filterB selecting the two lines of a")
            }
            try c.finish(allowed: ["a", "b", "filterA", "filterB", "stall"])
            s.compare = leg
        }
        if var l = try top.fields("limits") {
            s.limits.feedLatencyP50 = try l.duration("feedLatencyP50")
            s.limits.feedLatencyP99 = try l.duration("feedLatencyP99")
            s.limits.feedLatencyP999 = try l.duration("feedLatencyP999")
            s.limits.feedLost = try l.integer("feedLost", 0...Int.max).map(UInt64.init)
            s.limits.recoveryTimeP99 = try l.duration("recoveryTimeP99")
            s.limits.unrecovered = try l.integer("unrecovered", 0...Int.max).map(UInt64.init)
            s.limits.feedThroughput = try l.number("feedThroughput", above: 0)
            s.limits.gatewayLatencyP99 = try l.duration("gatewayLatencyP99")
            s.limits.gatewayUnanswered = try l.integer("gatewayUnanswered", 0...Int.max).map(UInt64.init)
            s.limits.lagP99 = try l.duration("lagP99")
            s.limits.standbyMissing = try l.integer("standbyMissing", 0...Int.max).map(UInt64.init)
            try l.finish(allowed: ["feedLatencyP50", "feedLatencyP99", "feedLatencyP999", "feedLost", "feedThroughput", "recoveryTimeP99", "unrecovered",
                                   "gatewayLatencyP99", "gatewayUnanswered", "lagP99", "standbyMissing"])
        }
        if var b = try top.fields("baseline") {
            s.baseline.run = try b.integer("run", 1...Int.max).map(Int64.init)
            if let t = try b.percent("tolerance") { s.baseline.tolerance = t }
            if let m = try b.integer("minimumSamples", 1...Int.max) { s.baseline.minimumSamples = UInt64(m) }
            if let w = try b.integer("window", 1...1_000) { s.baseline.window = w }
            if let a = try b.percent("significance") {
                guard a > 0, a < 0.5 else { throw b.error(b.node, "significance", "expected a level between 0 and 50 % such as 1%") }
                s.baseline.significance = a
            }
            if let m = try b.integer("minimumIntervals", 2...10_000) { s.baseline.minimumIntervals = m }
            if let a = try b.boolean("absolute") { s.baseline.absolute = a }
            try b.finish(allowed: ["run", "window", "tolerance", "significance", "minimumIntervals", "absolute", "minimumSamples"])
        }
        if var v = try top.fields("validity") {
            if let l = try v.percent("senderLateness") { s.validity.senderLateness = l }
            if let h = try v.percent("hiccups") { s.validity.hiccups = h }
            try v.finish(allowed: ["senderLateness", "hiccups"])
        }
        if var c = try top.fields("capacity") {
            if let speeds = try c.numbers("speeds", above: 0) { s.capacity.speeds = speeds }
            if let l = try c.duration("senderLatenessP99") { s.capacity.senderLatenessP99 = l }
            if let r = try c.percent("resolution") {
                guard r >= 0.01 else { throw c.error(c.node, "resolution", "expected at least 1%") }
                s.capacity.resolution = r
            }
            try c.finish(allowed: ["speeds", "senderLatenessP99", "resolution"])
        }
        if var o = try top.fields("outputs") {
            if let d = try o.string("directory") { s.outputs.directory = resolve(d) }
            if let h = try o.string("history") { s.outputs.history = resolve(h) }
            try o.finish(allowed: ["directory", "history"])
        } else {
            s.outputs.directory = resolve(s.outputs.directory)
            s.outputs.history = resolve(s.outputs.history)
        }
        for t in s.targets where s.feed != nil && t.feed == nil && t.gateway == nil {
            throw ScenarioError(file: file, line: 0, column: 0, key: "targets.\(t.name)", message: "has nothing for the run's legs")
        }
        s.text = text
        try top.finish(allowed: ["name", "description", "targets", "verify", "feed", "gateway", "compare", "limits", "baseline",
                                 "validity", "capacity", "outputs"])
        return s
    }
}

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
}

/// A platform under test (e.g. `old`, `new`): its order gateway and the feed lines it publishes.
public struct ScenarioTarget: Sendable, Equatable {
    public var name: String
    public var gateway: GatewayTarget?
    public var lines: [FeedLineTarget] = []
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
                    try l.finish(allowed: ["name", "endpoints", "interface", "source"])
                    target.lines.append(line)
                }
                try feed.finish(allowed: ["lines"])
            }
            try t.finish(allowed: ["gateway", "feed"])
            if target.gateway == nil && target.lines.isEmpty {
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
        try top.finish(allowed: ["name", "description", "targets", "verify"])
        return s
    }
}

import Vocabulary
import Capture

/// Where captured streams go: the explicit mapping a replay needs before it sends anything.
/// Captured destinations are never used as targets: every target is written by the user.
///
/// Text forms (`--to`, repeatable; several targets for one stream accumulate):
/// - `239.1.1.1:51001=127.0.0.1:61001` — one captured destination to one target
///   (`…=HOST:PORT,HOST:PORT` for several);
/// - `*=127.0.0.1:61000` — every selected stream not mapped otherwise, to one target;
/// - `each=127.0.0.1:61000` — every selected stream not mapped otherwise to its own port: the i-th
///   stream in captured-destination order goes to port 61000 + i (several `each=` rules give every
///   stream one target from each).
public struct TargetMap: Sendable, Equatable {
    public enum Rule: Sendable, Equatable {
        case stream(Endpoint, [Endpoint])
        case all([Endpoint])
        case each(Endpoint)

        /// The rule in its `--to` text form.
        public var text: String {
            switch self {
            case .stream(let c, let t): "\(c)=" + t.map(\.description).joined(separator: ",")
            case .all(let t): "*=" + t.map(\.description).joined(separator: ",")
            case .each(let base): "each=\(base)"
            }
        }
    }

    public struct ParseError: Error, CustomStringConvertible, Sendable, Equatable {
        public let text: String
        public let reason: String
        public var description: String { "\(text): \(reason)" }
    }

    public private(set) var rules: [Rule] = []

    public init() {}

    /// Parses and adds one `--to` value; an overlapping mapping is an error.
    public mutating func add(_ text: String) throws(ParseError) {
        guard let eq = text.firstIndex(of: "=") else {
            throw ParseError(text: text, reason: "expected CAPTURED=TARGET (e.g. 239.1.1.1:51001=127.0.0.1:61001, *=HOST:PORT, each=HOST:PORT)")
        }
        let left = String(text[..<eq]).trimmedSpaces
        let right = String(text[text.index(after: eq)...])
        var targets: [Endpoint] = []
        for part in right.split(separator: ",", omittingEmptySubsequences: false) {
            let p = String(part).trimmedSpaces
            guard let endpoint = Endpoint(p), endpoint.port != 0 else {
                throw ParseError(text: text, reason: "\"\(p)\" is not HOST:PORT with a port above 0")
            }
            if targets.contains(endpoint) { throw ParseError(text: text, reason: "target \(p) is listed twice") }
            targets.append(endpoint)
        }
        let rule: Rule
        switch left {
        case "*": rule = .all(targets)
        case "each":
            guard targets.count == 1 else { throw ParseError(text: text, reason: "each= takes one HOST:BASEPORT") }
            rule = .each(targets[0])
        default:
            guard let captured = Endpoint(left) else {
                throw ParseError(text: text, reason: "\"\(left)\" is not a captured destination ADDRESS:PORT, * or each")
            }
            rule = .stream(captured, targets)
        }
        do { try add(rule) } catch { throw ParseError(text: text, reason: error.reason) }
    }

    /// Adds a rule; an overlapping mapping is an error (its `text` is the rule's own form).
    public mutating func add(_ rule: Rule) throws(ParseError) {
        func refuse(_ reason: String) -> ParseError { ParseError(text: rule.text, reason: reason) }
        switch rule {
        case .all:
            if rules.contains(where: { if case .all = $0 { true } else if case .each = $0 { true } else { false } }) {
                throw refuse("a second catch-all mapping (*= or each=) overlaps the first")
            }
        case .each(let base):
            if rules.contains(where: { if case .all = $0 { true } else { false } }) { throw refuse("each= overlaps the catch-all *= mapping") }
            if rules.contains(.each(base)) { throw refuse("each=\(base) is given twice") }
            // Several each= rules: every stream gets one target from each (e.g. old and new platform).
        case .stream(let captured, let targets):
            for existing in rules {
                if case .stream(let c, let t) = existing, c == captured, let same = targets.first(where: t.contains) {
                    throw refuse("\(captured) is already mapped to \(same)")
                }
            }
        }
        rules.append(rule)
    }

    /// Targets of each captured destination (in the order given); destinations no rule covers get [].
    /// `destinations` must be sorted; `each` numbers them in that order.
    public func resolve(_ destinations: [Endpoint]) -> [[Endpoint]] {
        var eachIndex = 0
        return destinations.map { destination in
            var targets: [Endpoint] = []
            for rule in rules {
                if case .stream(let c, let t) = rule, c == destination { targets += t }
            }
            if targets.isEmpty {
                for rule in rules {
                    switch rule {
                    case .all(let t): targets = t
                    case .each(let base):
                        let port = Int(base.port) + eachIndex
                        if port <= 65_535 { targets.append(Endpoint(address: base.address, port: UInt16(port))) }
                    case .stream: break
                    }
                }
                eachIndex += 1
            }
            return targets
        }
    }

    /// Captured destinations named explicitly.
    public var explicitDestinations: [Endpoint] {
        rules.compactMap { if case .stream(let c, _) = $0 { c } else { nil } }
    }
}

extension String {
    /// The string without leading and trailing spaces.
    var trimmedSpaces: String {
        String(drop(while: { $0 == " " }).reversed().drop(while: { $0 == " " }).reversed())
    }
}

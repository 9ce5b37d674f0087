import Vocabulary
import Capture
import Yams

/// A scenario file that cannot be used: the file, the line and column, the key path, and why.
public struct ScenarioError: Error, Sendable, CustomStringConvertible, Equatable {
    public let file: String
    public let line: Int
    public let column: Int
    /// Dotted key path, e.g. `targets.old.gateway.address`.
    public let key: String
    public let message: String
    public var description: String {
        "\(file):\(line):\(column): " + (key.isEmpty ? "" : "\(key): ") + message
    }
}

/// A YAML mapping read strictly: every key must be taken by the reader; what is left over is an
/// error naming the key and its line. Values are checked where they are read.
struct YAMLFields {
    let file: String
    let path: String
    let node: Node
    private let pairs: [(key: String, keyNode: Node, value: Node)]
    private var taken: Set<String> = []

    init(_ node: Node, file: String, path: String) throws(ScenarioError) {
        self.file = file
        self.path = path
        self.node = node
        guard case .mapping(let mapping) = node else {
            throw ScenarioError(file: file, line: node.mark?.line ?? 0, column: node.mark?.column ?? 0, key: path,
                                message: "expected a mapping of keys to values")
        }
        var pairs: [(String, Node, Node)] = []
        for (k, v) in mapping {
            guard let name = k.scalar?.string else {
                throw ScenarioError(file: file, line: k.mark?.line ?? 0, column: k.mark?.column ?? 0, key: path, message: "keys must be plain names")
            }
            if pairs.contains(where: { $0.0 == name }) {
                throw ScenarioError(file: file, line: k.mark?.line ?? 0, column: k.mark?.column ?? 0,
                                    key: path.isEmpty ? name : path + "." + name, message: "given twice")
            }
            pairs.append((name, k, v))
        }
        self.pairs = pairs
    }

    func join(_ key: String) -> String { path.isEmpty ? key : path + "." + key }

    func error(_ node: Node?, _ key: String, _ message: String) -> ScenarioError {
        let mark = node?.mark ?? self.node.mark
        return ScenarioError(file: file, line: mark?.line ?? 0, column: mark?.column ?? 0, key: join(key), message: message)
    }

    /// The value node of `key`, marking it taken.
    mutating func take(_ key: String) -> Node? {
        guard let p = pairs.first(where: { $0.key == key }) else { return nil }
        taken.insert(key)
        return p.value
    }

    /// Throws for the first key nobody took, listing the keys allowed here.
    func finish(allowed: [String]) throws(ScenarioError) {
        if let extra = pairs.first(where: { !taken.contains($0.key) }) {
            throw error(extra.keyNode, extra.key, "unknown key (allowed here: \(allowed.joined(separator: ", ")))")
        }
    }

    mutating func string(_ key: String) throws(ScenarioError) -> String? {
        guard let n = take(key) else { return nil }
        guard let s = n.scalar?.string, !s.isEmpty else { throw error(n, key, "expected a non-empty text value") }
        return s
    }

    mutating func requiredString(_ key: String) throws(ScenarioError) -> String {
        guard let s = try string(key) else { throw error(nil, key, "missing (required)") }
        return s
    }

    /// A duration such as `5s`, `250ms`, `40us` (ns).
    mutating func duration(_ key: String) throws(ScenarioError) -> Int64? {
        guard let n = take(key) else { return nil }
        guard let s = n.scalar?.string, let v = Duration.parseNanoseconds(s), v > 0 else {
            throw error(n, key, "expected a duration above 0 such as 5s, 250ms or 40us (got \"\(n.scalar?.string ?? "?")\")")
        }
        return v
    }

    mutating func integer(_ key: String, _ range: ClosedRange<Int>) throws(ScenarioError) -> Int? {
        guard let n = take(key) else { return nil }
        guard let s = n.scalar?.string, let v = Int(s), range.contains(v) else {
            throw error(n, key, "expected a whole number in \(range.lowerBound)…\(range.upperBound) (got \"\(n.scalar?.string ?? "?")\")")
        }
        return v
    }

    /// `true` or `false`.
    mutating func boolean(_ key: String) throws(ScenarioError) -> Bool? {
        guard let n = take(key) else { return nil }
        switch n.scalar?.string {
        case "true": return true
        case "false": return false
        default: throw error(n, key, "expected true or false (got \"\(n.scalar?.string ?? "?")\")")
        }
    }

    /// True when `key` is present (without taking it).
    func has(_ key: String) -> Bool { pairs.contains { $0.key == key } }

    /// A number above `above`.
    mutating func number(_ key: String, above: Double) throws(ScenarioError) -> Double? {
        guard let n = take(key) else { return nil }
        guard let s = n.scalar?.string, let v = Double(s), v.isFinite, v > above else {
            throw error(n, key, "expected a number above \(TimeFormatNumber.text(above)) (got \"\(n.scalar?.string ?? "?")\")")
        }
        return v
    }

    /// A list of numbers above `above` (a YAML list or one number).
    mutating func numbers(_ key: String, above: Double) throws(ScenarioError) -> [Double]? {
        guard let n = take(key) else { return nil }
        let texts = n.sequence.map { $0.compactMap { $0.scalar?.string } } ?? [n.scalar?.string ?? ""]
        var out: [Double] = []
        for t in texts {
            guard let v = Double(t), v.isFinite, v > above else {
                throw error(n, key, "expected numbers above \(TimeFormatNumber.text(above)) (got \"\(t)\")")
            }
            out.append(v)
        }
        guard !out.isEmpty else { throw error(n, key, "expected at least one number") }
        return out
    }

    /// `10%` or a fraction such as `0.1`.
    mutating func percent(_ key: String) throws(ScenarioError) -> Double? {
        guard let n = take(key) else { return nil }
        let s = n.scalar?.string ?? ""
        let v = s.hasSuffix("%") ? Double(s.dropLast()).map { $0 / 100 } : Double(s)
        guard let v, v.isFinite, v >= 0, v <= 1000 else { throw error(n, key, "expected a percentage such as 10% (got \"\(s)\")") }
        return v
    }

    /// One `HOST:PORT`.
    mutating func endpoint(_ key: String) throws(ScenarioError) -> Endpoint? {
        guard let n = take(key) else { return nil }
        guard let s = n.scalar?.string, let e = Endpoint(s) else {
            throw error(n, key, "expected HOST:PORT (got \"\(n.scalar?.string ?? "?")\")")
        }
        return e
    }

    /// `HOST:PORT`, `HOST:FIRST-LAST`, a comma-separated list, or a YAML list of those.
    mutating func endpoints(_ key: String) throws(ScenarioError) -> [Endpoint]? {
        guard let n = take(key) else { return nil }
        let texts: [String]
        if let s = n.scalar?.string { texts = [s] } else if let seq = n.sequence { texts = seq.compactMap { $0.scalar?.string } } else { texts = [] }
        var out: [Endpoint] = []
        for t in texts {
            guard let list = Endpoint.list(t) else {
                throw error(n, key, "expected HOST:PORT, HOST:FIRST-LAST, A.B.C.D-E:PORT, A.B.C.D-E:FIRST-LAST or a list of them (got \"\(t)\")")
            }
            out += list
        }
        guard !out.isEmpty else { throw error(n, key, "expected at least one HOST:PORT") }
        return out
    }

    /// A nested mapping.
    mutating func fields(_ key: String) throws(ScenarioError) -> YAMLFields? {
        guard let n = take(key) else { return nil }
        return try YAMLFields(n, file: file, path: join(key))
    }

    /// A list of mappings.
    mutating func list(_ key: String) throws(ScenarioError) -> [YAMLFields]? {
        guard let n = take(key) else { return nil }
        guard let seq = n.sequence else { throw error(n, key, "expected a list") }
        var out: [YAMLFields] = []
        for (i, item) in seq.enumerated() { out.append(try YAMLFields(item, file: file, path: join(key) + "[\(i)]")) }
        return out
    }

    /// Each key of this mapping with its nested mapping, in file order (for named entries such as targets).
    mutating func namedEntries() throws(ScenarioError) -> [(String, YAMLFields)] {
        var out: [(String, YAMLFields)] = []
        for p in pairs {
            taken.insert(p.key)
            out.append((p.key, try YAMLFields(p.value, file: file, path: join(p.key))))
        }
        return out
    }
}

enum TimeFormatNumber {
    static func text(_ v: Double) -> String { v == v.rounded() ? String(Int64(v)) : String(v) }
}

/// An IPv4 or IPv6 address stored inline in two words, cheap to hash and compare.
/// IPv4 addresses are kept in their IPv4-mapped IPv6 form (`::ffff:a.b.c.d`, RFC 4291 §2.5.5.2), so an
/// IPv6 packet that carries a v4-mapped address is reported as the IPv4 address it maps.
@frozen
public struct IPAddress: Hashable, Sendable, Comparable, CustomStringConvertible {
    @inlinable @inline(__always)
    public static func == (a: IPAddress, b: IPAddress) -> Bool {
        a.low == b.low && a.high == b.high
    }

    public var high: UInt64
    public var low: UInt64

    @inlinable @inline(__always) public init(v4: UInt32) {
        high = 0
        low = 0x0000_FFFF_0000_0000 | UInt64(v4)
    }
    @inlinable @inline(__always) public init(v6High: UInt64, low: UInt64) {
        high = v6High
        self.low = low
    }
    @inlinable public static var zero: IPAddress { IPAddress(v4: 0) }

    /// False for IPv4 (and IPv4-mapped) addresses.
    @inlinable public var isV6: Bool { high != 0 || low >> 32 != 0xFFFF }

    /// The IPv4 address as a host-order integer (0 for IPv6).
    @inlinable public var v4: UInt32 { isV6 ? 0 : UInt32(truncatingIfNeeded: low) }

    /// True for 224.0.0.0/4 and ff00::/8.
    public var isMulticast: Bool {
        isV6 ? (high >> 56) == 0xff : (v4 >> 28) == 0xE
    }

    /// Parses dotted-quad IPv4 or RFC 4291 IPv6 text (with `::` compression).
    public init?(_ text: String) {
        if !text.contains(":") {
            let parts = text.split(separator: ".", omittingEmptySubsequences: false)
            guard parts.count == 4 else { return nil }
            var value: UInt32 = 0
            for part in parts {
                guard !part.isEmpty, part.count <= 3, let byte = UInt8(part) else { return nil }
                value = value << 8 | UInt32(byte)
            }
            self.init(v4: value)
            return
        }
        let halves = Self.splitOnDoubleColon(text)
        guard halves.count <= 2 else { return nil }
        func groups(_ s: String) -> [UInt16]? {
            if s.isEmpty { return [] }
            var result: [UInt16] = []
            for g in s.split(separator: ":", omittingEmptySubsequences: false) {
                guard !g.isEmpty, g.count <= 4, let v = UInt16(g, radix: 16) else { return nil }
                result.append(v)
            }
            return result
        }
        guard let head = groups(halves[0]) else { return nil }
        let tail = halves.count == 2 ? groups(halves[1]) : []
        guard let tail else { return nil }
        let missing = 8 - head.count - tail.count
        guard halves.count == 2 ? missing >= 1 : missing == 0 else { return nil }
        let all = head + Array(repeating: 0, count: halves.count == 2 ? missing : 0) + tail
        var hi: UInt64 = 0, lo: UInt64 = 0
        for i in 0..<4 { hi = hi << 16 | UInt64(all[i]) }
        for i in 4..<8 { lo = lo << 16 | UInt64(all[i]) }
        self.init(v6High: hi, low: lo)
    }

    private static func splitOnDoubleColon(_ text: String) -> [String] {
        var parts: [String] = []
        var current = ""
        var previousColon = false
        for ch in text {
            if ch == ":" && previousColon {
                current.removeLast()
                parts.append(current)
                current = ""
                previousColon = false
                continue
            }
            previousColon = ch == ":"
            current.append(ch)
        }
        parts.append(current)
        return parts
    }

    public var description: String {
        if !isV6 {
            let v = v4
            return "\(v >> 24).\(v >> 16 & 0xff).\(v >> 8 & 0xff).\(v & 0xff)"
        }
        var groups: [UInt16] = []
        for i in (0..<4).reversed() { groups.append(UInt16(truncatingIfNeeded: high >> (UInt64(i) * 16))) }
        for i in (0..<4).reversed() { groups.append(UInt16(truncatingIfNeeded: low >> (UInt64(i) * 16))) }
        // Longest run of zeros (length ≥ 2) becomes "::".
        var bestStart = -1, bestLength = 0, i = 0
        while i < 8 {
            if groups[i] == 0 {
                var j = i
                while j < 8 && groups[j] == 0 { j += 1 }
                if j - i > bestLength && j - i >= 2 { bestStart = i; bestLength = j - i }
                i = j
            } else { i += 1 }
        }
        func hex(_ range: Range<Int>) -> String { groups[range].map { String($0, radix: 16) }.joined(separator: ":") }
        if bestStart < 0 { return hex(0..<8) }
        return hex(0..<bestStart) + "::" + hex((bestStart + bestLength)..<8)
    }

    public static func < (a: IPAddress, b: IPAddress) -> Bool {
        (a.isV6 ? 1 : 0, a.high, a.low) < (b.isV6 ? 1 : 0, b.high, b.low)
    }
}

/// An IP address and port, as printed `1.2.3.4:5` or `[::1]:5`.
public struct Endpoint: Hashable, Sendable, Comparable, CustomStringConvertible {
    public static func < (a: Endpoint, b: Endpoint) -> Bool {
        a.address != b.address ? a.address < b.address : a.port < b.port
    }
    public var address: IPAddress
    public var port: UInt16
    public init(address: IPAddress, port: UInt16) {
        self.address = address
        self.port = port
    }
    /// Parses `A.B.C.D:PORT` or `[V6]:PORT`.
    public init?(_ text: String) {
        let host: Substring, portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else { return nil }
            portText = rest.dropFirst()
        } else {
            guard let colon = text.lastIndex(of: ":") else { return nil }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
        }
        guard let address = IPAddress(String(host)), let port = UInt16(portText) else { return nil }
        self.init(address: address, port: port)
    }
    public var description: String {
        address.isV6 ? "[\(address)]:\(port)" : "\(address):\(port)"
    }

    /// Parses a comma-separated list of endpoints, each one of
    /// - `HOST:PORT`;
    /// - `HOST:FIRST-LAST` — the port steps: `10.0.0.5:51001-51004` is 4 ports on one address;
    /// - `A.B.C.D-E:PORT` — the IPv4 address's last byte steps: `239.1.1.1-4:51001` is 4 groups on one port;
    /// - `A.B.C.D-E:FIRST-LAST` — both step together, as `synth` numbers channels (channel i on group
    ///   A.B.C.(D+i) and port FIRST+i): `239.1.1.1-4:51001-51004` is 239.1.1.1:51001 … 239.1.1.4:51004, and
    ///   both ranges must have the same length.
    /// At most 64 endpoints per range; nil when any part is malformed.
    public static func list(_ text: String) -> [Endpoint]? {
        var out: [Endpoint] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false).map({ $0.trimmingSpaces }) {
            guard !part.hasPrefix("["), let colon = part.lastIndex(of: ":"), !part[..<colon].contains(":") else {
                guard let e = Endpoint(String(part)) else { return nil }
                out.append(e)
                continue
            }
            let host = part[..<colon], portText = part[part.index(after: colon)...]
            guard let ports = range(portText, { UInt16($0) }), let addresses = addressRange(host) else { return nil }
            if addresses.count > 1 && ports.count > 1 {
                guard addresses.count == ports.count else { return nil }
                out += zip(addresses, ports).map { Endpoint(address: $0, port: $1) }
            } else {
                for a in addresses { for p in ports { out.append(Endpoint(address: a, port: p)) } }
            }
        }
        return out
    }

    /// `FIRST-LAST` (at most 64, ascending) or one value.
    static func range(_ text: Substring, _ parse: (Substring) -> UInt16?) -> [UInt16]? {
        guard let dash = text.firstIndex(of: "-") else { return parse(text).map { [$0] } }
        guard let first = parse(text[..<dash]), let last = parse(text[text.index(after: dash)...]), first <= last, last - first < 64 else { return nil }
        return Array(first...last)
    }

    /// `A.B.C.D` or `A.B.C.D-E` (the last byte stepping from D to E).
    static func addressRange(_ host: Substring) -> [IPAddress]? {
        guard let dash = host.firstIndex(of: "-") else { return IPAddress(String(host)).map { [$0] } }
        guard let base = IPAddress(String(host[..<dash])), !base.isV6, let last = UInt8(host[host.index(after: dash)...]),
              UInt8(truncatingIfNeeded: base.v4) <= last, Int(last) - Int(UInt8(truncatingIfNeeded: base.v4)) < 64 else { return nil }
        let network = base.v4 & 0xFFFF_FF00
        return (UInt32(UInt8(truncatingIfNeeded: base.v4))...UInt32(last)).map { IPAddress(v4: network | $0) }
    }
}

extension Substring {
    var trimmingSpaces: Substring {
        var s = self
        while s.first == " " { s.removeFirst() }
        while s.last == " " { s.removeLast() }
        return s
    }
}

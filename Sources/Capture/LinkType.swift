/// A capture link-layer header type (the LINKTYPE_ values of tcpdump.org / the pcap specifications).
public struct LinkType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt32
    @inlinable public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// BSD loopback: 4-byte address family in the capturing host's byte order.
    public static let null = LinkType(rawValue: 0)
    public static let ethernet = LinkType(rawValue: 1)
    /// Raw IP, version from the first nibble.
    public static let raw = LinkType(rawValue: 101)
    /// OpenBSD loopback: 4-byte address family in network byte order.
    public static let loop = LinkType(rawValue: 108)
    public static let linuxSLL = LinkType(rawValue: 113)
    public static let ipv4 = LinkType(rawValue: 228)
    public static let ipv6 = LinkType(rawValue: 229)
    public static let linuxSLL2 = LinkType(rawValue: 276)
    /// DLT_RAW as some BSDs wrote it into files (12, 14).
    public static let rawBSD12 = LinkType(rawValue: 12)
    public static let rawBSD14 = LinkType(rawValue: 14)

    public var name: String {
        switch self {
        case .null: "NULL"
        case .ethernet: "EN10MB"
        case .raw, .rawBSD12, .rawBSD14: "RAW"
        case .loop: "LOOP"
        case .linuxSLL: "LINUX_SLL"
        case .ipv4: "IPV4"
        case .ipv6: "IPV6"
        case .linuxSLL2: "LINUX_SLL2"
        default: "LINKTYPE_\(rawValue)"
        }
    }

    public var description: String { "\(name) (\(rawValue))" }
}

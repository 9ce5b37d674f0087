import Vocabulary
/// One packet record of a capture, as read in place.
///
/// `data` points into the capture (see ``ByteView`` for how long it stays valid). Nothing here is
/// copied; building a `CapturedPacket` costs a few loads.
@frozen
public struct CapturedPacket {
    /// Capture timestamp in nanoseconds since 1970-01-01 UTC, exact for the file's resolution. A packet
    /// without one of its own (``hasTimestamp`` false) carries the previous packet's, so a replay places
    /// it there (0 before any packet had one).
    public var timestamp: Int64
    /// False for a Simple Packet Block (no timestamp in the format) and for a timestamp that cannot be
    /// represented as 64-bit nanoseconds since 1970: keep such packets out of first/last and rates.
    public var hasTimestamp: Bool
    /// Length of the packet on the wire (may exceed `data.count` when the capture was snapped).
    public var originalLength: Int
    /// pcapng interface index within its section (0 for classic pcap).
    public var interfaceIndex: Int
    /// The captured bytes, starting at the link-layer header.
    public var data: ByteView
    /// Byte offset of the record header (pcap) or block (pcapng) in the uncompressed capture.
    public var recordOffset: Int
    /// Byte offset of `data` in the uncompressed capture (what replay descriptors carry).
    public var dataOffset: Int
    /// Raw pcapng packet options (comments, flags, …); empty for classic pcap. Read with ``PcapngOptions``.
    public var options: ByteView
    /// Link-layer header type of the interface the packet was captured on.
    public var linkType: LinkType
    /// Byte order of `options` (the section's).
    public var optionsBigEndian: Bool

    @inlinable
    public init(timestamp: Int64, originalLength: Int, linkType: LinkType, interfaceIndex: Int, data: ByteView,
                recordOffset: Int, dataOffset: Int, options: ByteView = .empty, optionsBigEndian: Bool = false,
                hasTimestamp: Bool = true) {
        self.timestamp = timestamp
        self.hasTimestamp = hasTimestamp
        self.originalLength = originalLength
        self.linkType = linkType
        self.interfaceIndex = interfaceIndex
        self.data = data
        self.recordOffset = recordOffset
        self.dataOffset = dataOffset
        self.options = options
        self.optionsBigEndian = optionsBigEndian
    }

    /// Bytes captured (may be less than ``originalLength``).
    @inlinable public var capturedLength: Int { data.count }
}

/// Iterates pcapng options (`code u16, length u16, value padded to 4`), stopping at `opt_endofopt`.
/// Any option that runs past the end yields ``next()`` = nil and sets ``isMalformed``.
public struct PcapngOptions: IteratorProtocol {
    public struct Option {
        public let code: UInt16
        public let value: ByteView
        /// The value as UTF-8 text (comments, names); invalid sequences are repaired.
        public var text: String { String(decoding: value.bytes, as: UTF8.self) }
    }
    private let view: ByteView
    private let bigEndian: Bool
    private var offset = 0
    /// True when iteration stopped at an option that does not fit in its block.
    public private(set) var isMalformed = false

    public init(_ view: ByteView, bigEndian: Bool) {
        self.view = view
        self.bigEndian = bigEndian
    }

    public mutating func next() -> Option? {
        guard offset + 4 <= view.count,
              let code = view.getUInt16(at: offset, bigEndian: bigEndian),
              let length = view.getUInt16(at: offset + 2, bigEndian: bigEndian) else {
            if offset < view.count { isMalformed = true }
            return nil
        }
        if code == 0 { return nil }
        guard let value = view.getSlice(at: offset + 4, count: Int(length)) else {
            isMalformed = true
            return nil
        }
        offset += 4 + ((Int(length) + 3) & ~3)
        return Option(code: code, value: value)
    }

    public static let comment: UInt16 = 1
    public static let epbFlags: UInt16 = 2
}

/// An Interface Description Block, or the single implicit interface of a classic pcap file.
public struct InterfaceDescription: Sendable, Equatable {
    public let linkType: LinkType
    /// Snapshot length; 0 means no limit.
    public let snapLength: Int
    public let timestampScale: TimestampScale
    /// `if_tsresol` as written (6 = microseconds when absent).
    public let tsresol: UInt8
    public let tsoffsetSeconds: Int64
    public let name: String?
    public let descriptionText: String?
    /// Index of the section (0-based) the interface belongs to.
    public let section: Int
}

/// A pcapng Section Header Block's identity and comments.
public struct SectionInfo: Sendable, Equatable {
    public let offset: Int
    public let bigEndian: Bool
    public let majorVersion: UInt16
    public let minorVersion: UInt16
    public var hardware: String?
    public var os: String?
    public var application: String?
    public var comments: [String] = []
}

/// The container format of a capture file.
public enum CaptureFormat: Sendable, Equatable, CustomStringConvertible {
    /// Classic libpcap; `nanosecond` for the 0xA1B23C4D magic; `modified` for Kuznetzov's 0xA1B2CD34.
    case pcap(nanosecond: Bool, bigEndian: Bool, modified: Bool)
    case pcapng

    public var description: String {
        switch self {
        case .pcap(let ns, let be, let modified):
            "pcap\(modified ? " (modified)" : "") \(ns ? "nanosecond" : "microsecond") \(be ? "big-endian" : "little-endian")"
        case .pcapng: "pcapng"
        }
    }
    public var isPcapng: Bool { if case .pcapng = self { true } else { false } }
}

import Vocabulary
/// Why a capture could not be read. Every error names the file and, where it applies, the byte offset
/// (in the uncompressed stream for `.gz` captures) of the record or block at fault.
public struct CaptureError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The class of failure; tests and callers switch on it, people read ``description``.
    public enum Kind: String, Sendable, Equatable {
        /// open, stat or mmap failed (errno in the detail).
        case unreadable
        /// The file has no bytes.
        case emptyFile
        /// The first bytes are neither a pcap nor a pcapng nor a gzip magic.
        case unknownFormat
        /// The file ends inside the file header or the first Section Header Block.
        case truncatedHeader
        /// A version this reader does not support (pcap other than 2.x, pcapng other than 1.x).
        case unsupportedVersion
        /// A record's captured length exceeds the snapshot length or the block holding it.
        case badCapturedLength
        /// A pcapng block length below 12, not a multiple of 4, or implausibly large.
        case badBlockLength
        /// A pcapng block's trailing length differs from its leading length.
        case blockLengthMismatch
        /// A pcapng byte-order magic that is neither 0x1A2B3C4D nor its swap.
        case badByteOrderMagic
        /// A packet refers to an interface that no Interface Description Block declared.
        case undeclaredInterface
        /// An option runs past the end of its block.
        case badOption
        /// if_tsresol outside what can be converted to nanoseconds (10^-19 .. 1 s, 2^-63 .. 1 s).
        case unsupportedResolution
        /// A timestamp that does not fit in Int64 nanoseconds since 1970 (years beyond 2262).
        case timestampOutOfRange
        /// A link-type word libpcap refuses (reserved bits set).
        case unsupportedLinkType
        /// gzip data that zlib rejects.
        case corruptCompression
    }

    public let kind: Kind
    /// The capture's path as given by the user.
    public let path: String
    /// Byte offset of the record or block at fault, when there is one.
    public let offset: Int?
    /// What exactly was wrong, for people.
    public let detail: String

    public init(_ kind: Kind, path: String, offset: Int?, _ detail: String) {
        self.kind = kind
        self.path = path
        self.offset = offset
        self.detail = detail
    }

    public var description: String {
        if let offset { return "\(path): at byte offset \(offset): \(detail)" }
        return "\(path): \(detail)"
    }
}

/// A problem that does not stop the read: the packets read so far remain valid.
public struct CaptureWarning: Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable, Equatable, Codable {
        /// The last record or block is cut short by the end of the file (as tcpdump reports it).
        case truncatedLastRecord
        /// A gzip stream ends without its trailer.
        case truncatedCompression
        /// Records longer than their snapshot length (read whole, as libpcap and Wireshark do).
        case oversizedRecords
        /// Timestamps that cannot be represented in 64-bit nanoseconds since 1970.
        case timestampOutOfRange
        /// Simple Packet Blocks, which carry no timestamp.
        case noTimestamp
        /// A capture of a timeline (a directory) starts before the previous one ends: read after it.
        case startsBeforePrevious
    }
    public let kind: Kind
    public let path: String
    public let offset: Int
    public let detail: String

    public init(_ kind: Kind, path: String, offset: Int, _ detail: String) {
        self.kind = kind
        self.path = path
        self.offset = offset
        self.detail = detail
    }

    public var description: String { "\(path): at byte offset \(offset): \(detail)" }
}

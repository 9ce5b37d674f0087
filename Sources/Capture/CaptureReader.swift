import Vocabulary
/// Reads a classic pcap or pcapng capture (optionally gzip-compressed) packet by packet, in place.
///
/// ```swift
/// var reader = try CaptureReader.open("feed.pcapng")
/// while let packet = try reader.next() {
///     // packet.timestamp (ns), packet.data (ByteView into the mapped file)
/// }
/// for warning in reader.warnings { print(warning) }   // e.g. a truncated last record
/// ```
///
/// A regular file is memory-mapped and walked without copying or allocating per packet; pages the
/// reader has passed are released from the process (not from the page cache), so memory stays flat
/// whatever the capture's size. Gzip files and pipes stream through a sliding window.
///
/// Malformed input never traps: structural damage throws ``CaptureError`` naming the file and byte
/// offset; a last record cut short by the end of the file ends the walk with a ``CaptureWarning``
/// (``warnings``), keeping the packets before it, as tcpdump does.
///
/// Not thread-safe; one reader per thread. Noncopyable: it owns a cursor over the file.
public struct CaptureReader: ~Copyable {
    /// The path as given.
    public let path: String
    /// The container format.
    public let format: CaptureFormat
    /// Interfaces declared so far in the current section (the single implicit one for classic pcap).
    public internal(set) var interfaces: [InterfaceDescription]
    /// Every interface declared in the file so far, across sections.
    public internal(set) var allInterfaces: [InterfaceDescription]
    /// pcapng sections seen so far.
    public internal(set) var sections: [SectionInfo]
    /// Problems that did not stop the read.
    public internal(set) var warnings: [CaptureWarning]
    /// pcapng blocks skipped by length (name resolution, statistics, custom and unknown blocks).
    @usableFromInline var _blocksSkipped: Int
    public var blocksSkipped: Int { _blocksSkipped }
    /// Records longer than their snapshot length, read whole as libpcap and Wireshark do (up to
    /// ``maximumRecordLength``), and where the first one is.
    public internal(set) var oversizedRecords: Int = 0
    @usableFromInline var firstOversized: (offset: Int, captured: Int, snapLength: Int)?
    /// Packets whose timestamp cannot be represented (kept, read at the previous packet's time).
    public internal(set) var timestampsOutOfRange: Int = 0
    @usableFromInline var firstOutOfRange: Int?
    /// Simple Packet Blocks: packets without a timestamp (read at the previous packet's time).
    public internal(set) var packetsWithoutTimestamp: Int = 0
    @usableFromInline var firstWithoutTimestamp: Int?
    /// The last timestamp read (what a packet without one of its own is given).
    @usableFromInline var lastTimestamp: Int64 = 0

    /// The longest record libpcap reads whatever the snapshot length says (its maximum snapshot
    /// length for ordinary link types); longer is an error unless the header declares a larger snapshot.
    public static var maximumRecordLength: Int { 262_144 }

    @usableFromInline let source: CaptureSource
    @usableFromInline var base: UnsafeRawPointer?
    @usableFromInline var windowStart: Int
    @usableFromInline var windowEnd: Int
    /// Offset of the next record or block.
    @usableFromInline var position: Int
    @usableFromInline var finished: Bool
    @usableFromInline var releaseMark: Int
    // Classic pcap
    @usableFromInline var bigEndian: Bool
    @usableFromInline var fractionMultiplier: Int64
    @usableFromInline var recordHeaderLength: Int
    @usableFromInline var snapLimit: Int
    /// The longest record accepted (``maximumRecordLength`` or the declared snapshot length).
    @usableFromInline var recordLimit: Int = 262_144
    @usableFromInline var pcapLinkType: LinkType

    /// How far behind its position a pass releases a mapped capture's pages (32 MiB): far enough that
    /// a stage a little behind the reader still finds them mapped.
    public static var releaseStep: Int { 33_554_432 }

    /// Opens and validates the file header (or first Section Header Block).
    /// - Parameter releaseBehind: release passed pages from memory (right for one sequential pass;
    ///   pass false when the same mapping is read again, e.g. looped replay).
    public static func open(_ path: String, releaseBehind: Bool = true) throws(CaptureError) -> CaptureReader {
        try open(source: CaptureSource(path: path, releaseBehind: releaseBehind), path: path)
    }

    /// Reads a capture held in memory. The caller keeps `bytes` alive and unchanged while the reader
    /// (and any view it handed out) is in use. `name` stands for the path in errors.
    public static func open(bytes: UnsafeRawBufferPointer, name: String = "<memory>") throws(CaptureError) -> CaptureReader {
        try open(source: CaptureSource(memory: bytes, name: name), path: name)
    }

    private static func open(source: CaptureSource, path: String) throws(CaptureError) -> CaptureReader {
        guard try source.ensure(0, 4) else {
            throw CaptureError(source.windowEnd == 0 ? .emptyFile : .truncatedHeader, path: path, offset: 0,
                               source.windowEnd == 0 ? "the capture has no bytes" :
                               "the file is \(source.windowEnd) bytes long, too short for any capture header")
        }
        let format = try Self.detectFormat(source, path: path)
        var reader = CaptureReader(path: path, source: source, format: format)
        switch format {
        case .pcap(let ns, let be, let modified):
            try reader.readPcapHeader(nanosecond: ns, bigEndian: be, modified: modified)
        case .pcapng:
            try reader.readSectionHeader(at: 0)
        }
        return reader
    }

    private init(path: String, source: CaptureSource, format: CaptureFormat) {
        self.path = path
        self.source = source
        self.format = format
        self.interfaces = []
        self.allInterfaces = []
        self.sections = []
        self.warnings = []
        self._blocksSkipped = 0
        self.windowStart = 0
        self.windowEnd = 0
        self.position = 0
        self.finished = false
        self.releaseMark = CaptureReader.releaseStep
        self.bigEndian = false
        self.fractionMultiplier = 1000
        self.recordHeaderLength = 16
        self.snapLimit = 0
        self.pcapLinkType = LinkType.ethernet
        syncWindow()
    }

    static func detectFormat(_ source: CaptureSource, path: String) throws(CaptureError) -> CaptureFormat {
        let magic = ByteView(unsafeStart: source.base, count: source.windowEnd - source.windowStart).getUInt32LE(at: 0)!
        switch magic {
        case 0xA1B2_C3D4: return .pcap(nanosecond: false, bigEndian: false, modified: false)
        case 0xD4C3_B2A1: return .pcap(nanosecond: false, bigEndian: true, modified: false)
        case 0xA1B2_3C4D: return .pcap(nanosecond: true, bigEndian: false, modified: false)
        case 0x4D3C_B2A1: return .pcap(nanosecond: true, bigEndian: true, modified: false)
        case 0xA1B2_CD34: return .pcap(nanosecond: false, bigEndian: false, modified: true)
        case 0x34CD_B2A1: return .pcap(nanosecond: false, bigEndian: true, modified: true)
        case 0x0A0D_0D0A: return .pcapng
        default:
            let hex = String(magic.byteSwapped, radix: 16, uppercase: false)
            throw CaptureError(.unknownFormat, path: path, offset: 0,
                               "not a pcap, pcapng or gzip file (first bytes 0x\(String(repeating: "0", count: 8 - hex.count))\(hex))")
        }
    }

    /// How far ahead of the cursor (bytes) a fast walk asks for the capture's bytes: a few records.
    @usableFromInline static var prefetchDistance: Int { 1024 }

    /// The next packet, or nil at the end of the capture (check ``warnings`` for a truncated tail).
    @inlinable @inline(__always)
    public mutating func next() throws(CaptureError) -> CapturedPacket? {
        if _slowPath(position >= releaseMark) {
            source.release(upTo: position &- Self.releaseStep)
            releaseMark = position &+ Self.releaseStep
        }
        if format.isPcapng { return try nextPcapng() }
        return try nextPcap()
    }

    /// A copyable snapshot of what the reader has learned about the file so far.
    public var summary: CaptureSummary {
        CaptureSummary(format: format, interfaces: interfaces, allInterfaces: allInterfaces, sections: sections,
                       warnings: warnings + policyWarnings, isCompressed: isCompressed, fileSize: fileSize, bytesConsumed: position,
                       blocksSkipped: blocksSkipped)
    }

    /// One warning per reader policy that applied (counted, with where it first did).
    var policyWarnings: [CaptureWarning] {
        var out: [CaptureWarning] = []
        if let o = firstOversized {
            out.append(CaptureWarning(.oversizedRecords, path: path, offset: o.offset,
                                      "\(oversizedRecords) record(s) longer than their snapshot length, read whole as libpcap and Wireshark do "
                                      + "(the first: \(o.captured) bytes over a snapshot length of \(o.snapLength), e.g. segmentation offload)"))
        }
        if let o = firstOutOfRange {
            out.append(CaptureWarning(.timestampOutOfRange, path: path, offset: o,
                                      "\(timestampsOutOfRange) packet(s) with a timestamp beyond 64-bit nanoseconds since 1970: kept, "
                                      + "read at the previous packet's time, left out of first/last and rates"))
        }
        if let o = firstWithoutTimestamp {
            out.append(CaptureWarning(.noTimestamp, path: path, offset: o,
                                      "\(packetsWithoutTimestamp) Simple Packet Block(s), which carry no timestamp: read at the previous packet's "
                                      + "time, left out of first/last and rates"))
        }
        return out
    }

    /// Bytes of the (uncompressed) capture consumed so far.
    public var bytesConsumed: Int { position }
    /// The file's size when known up front (uncompressed regular files).
    public var fileSize: Int? { source.knownLength }
    /// Progress through the file in [0, 1], when the size is known (compressed files: by compressed bytes).
    public var fractionRead: Double? {
        if let length = source.knownLength { return length == 0 ? 1 : Double(position) / Double(length) }
        return nil
    }

    /// Release of a mapped capture's consumed pages, to hand to a lagging pipeline stage (nil when the
    /// capture is not mapped or the reader was opened without release).
    public var pageRelease: PageRelease? { source.pageRelease }

    /// The whole (uncompressed) capture as one view when its bytes stay put for the reader's lifetime
    /// (a mapped file or an in-memory capture), so that offsets (`CapturedPacket.dataOffset`) can be
    /// handed to another thread and resolved there. Nil for gzip files and pipes, whose window slides.
    public var stableBytes: ByteView? {
        guard source.isStable else { return nil }
        return ByteView(unsafeStart: source.base, count: source.windowEnd)
    }

    /// True when the capture was gzip-compressed.
    public var isCompressed: Bool { source.isCompressed }

    // MARK: - Window plumbing

    @inlinable @inline(__always)
    mutating func syncWindow() {
        base = source.base
        windowStart = source.windowStart
        windowEnd = source.windowEnd
    }

    /// The bytes from absolute offset `at` to the end of the window.
    @inlinable @inline(__always)
    func window(at offset: Int) -> ByteView {
        ByteView(unsafeStart: base.unsafelyUnwrapped + (offset &- windowStart), count: windowEnd &- offset)
    }

    /// Makes `count` bytes at `offset` available; false at the end of the data.
    @inlinable
    mutating func fill(_ offset: Int, _ count: Int) throws(CaptureError) -> Bool {
        let ok = try source.ensure(offset, count)
        syncWindow()
        return ok
    }

    /// Ends the walk at `offset`: clean when no byte remains, otherwise a truncated-last-record warning.
    @usableFromInline
    mutating func finish(at offset: Int, needed: Int, what: String) -> CapturedPacket? {
        finished = true
        let have = windowEnd - offset
        if have > 0 {
            warnings.append(CaptureWarning(.truncatedLastRecord, path: path, offset: offset,
                                           "truncated \(what): needs \(needed) bytes, only \(have) remain; \(have) bytes ignored"))
        }
        if source.compressionTruncated {
            warnings.append(CaptureWarning(.truncatedCompression, path: path, offset: windowEnd,
                                           "the gzip stream ends early (no trailer): the file was cut short"))
        }
        position = windowEnd
        return nil
    }

    @usableFromInline
    func error(_ kind: CaptureError.Kind, _ offset: Int, _ detail: String) -> CaptureError {
        CaptureError(kind, path: path, offset: offset, detail)
    }
}

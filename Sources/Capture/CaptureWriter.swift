import Vocabulary
/// The container a ``CaptureWriter`` produces.
public enum CaptureFileFormat: String, Sendable, CaseIterable {
    case pcap, pcapng

    /// `pcapng` for `.pcapng`/`.pcapng.gz`/`.ntar`, else `pcap`.
    public static func fromExtension(_ path: String) -> CaptureFileFormat {
        let lower = path.lowercased()
        return lower.hasSuffix(".pcapng") || lower.hasSuffix(".pcapng.gz") || lower.hasSuffix(".ntar") ? .pcapng : .pcap
    }
}

/// Writes pcap (nanosecond by default) or pcapng captures, optionally gzip-compressed.
///
/// Options exist so tests can produce every variant the reader must accept: either byte order,
/// microsecond pcap, any pcapng `if_tsresol`/`if_tsoffset`, several interfaces and sections,
/// packet and section comments.
///
/// Not thread-safe. Call ``close()`` to flush; a writer dropped without `close()` loses buffered data.
public final class CaptureWriter {
    public struct Options: Sendable {
        public var format: CaptureFileFormat
        public var bigEndian = false
        /// pcap only: write the microsecond magic (timestamps are truncated to µs).
        public var pcapMicroseconds = false
        /// gzip the output (default: when the path ends in `.gz`).
        public var gzip: Bool?
        /// Section comment (pcapng `shb_comment`) and application name.
        public var sectionComment: String?
        public var application: String? = "rehearse"
        public init(format: CaptureFileFormat) { self.format = format }
    }

    /// A pcapng interface to declare (classic pcap uses the first one's link type and snapshot length).
    public struct Interface: Sendable {
        public var linkType: LinkType
        public var snapLength: Int = 262_144
        /// `if_tsresol` byte: 9 = nanoseconds, 6 = microseconds, 0x80|n = 2^-n seconds.
        public var tsresol: UInt8 = 9
        public var tsoffsetSeconds: Int64 = 0
        public var name: String?
        public init(linkType: LinkType, snapLength: Int = 262_144, tsresol: UInt8 = 9, tsoffsetSeconds: Int64 = 0, name: String? = nil) {
            self.linkType = linkType
            self.snapLength = snapLength
            self.tsresol = tsresol
            self.tsoffsetSeconds = tsoffsetSeconds
            self.name = name
        }
    }

    public let path: String
    public let options: Options
    private let file: OutputFile
    private var interfaces: [Interface] = []
    private var scales: [(TimestampScale, Interface)] = []
    /// Packets written so far.
    public private(set) var packetsWritten = 0

    /// Creates the file and writes the header (pcap) or Section Header and Interface Description Blocks.
    public init(path: String, options: Options, interfaces: [Interface]) throws(CaptureWriteError) {
        guard !interfaces.isEmpty else { throw CaptureWriteError(path: path, "a capture needs at least one interface") }
        self.path = path
        self.options = options
        file = try OutputFile(path: path, gzip: options.gzip ?? path.lowercased().hasSuffix(".gz"))
        switch options.format {
        case .pcap:
            let big = options.bigEndian
            let first = interfaces[0]
            let magic: UInt32 = options.pcapMicroseconds ? 0xA1B2_C3D4 : 0xA1B2_3C4D
            try file.append(24) { p in
                p.put32(magic, 0, big)
                p.put16(2, 4, big)
                p.put16(4, 6, big)
                p.put32(0, 8, big)
                p.put32(0, 12, big)
                p.put32(UInt32(first.snapLength), 16, big)
                p.put32(first.linkType.rawValue, 20, big)
            }
            self.interfaces = [first]
        case .pcapng:
            try startSection(comment: options.sectionComment, interfaces: interfaces)
        }
    }

    /// Convenience: one interface.
    public convenience init(path: String, format: CaptureFileFormat, linkType: LinkType = .ethernet) throws(CaptureWriteError) {
        try self.init(path: path, options: Options(format: format), interfaces: [Interface(linkType: linkType)])
    }

    /// pcapng only: starts a new section (new byte order allowed) declaring `interfaces`.
    public func startSection(comment: String?, interfaces: [Interface], bigEndian: Bool? = nil) throws(CaptureWriteError) {
        precondition(options.format == .pcapng, "sections exist in pcapng only")
        let big = bigEndian ?? options.bigEndian
        sectionBigEndian = big
        var shbOptions: [(UInt16, [UInt8])] = []
        if let comment { shbOptions.append((1, Array(comment.utf8))) }
        if let app = options.application { shbOptions.append((4, Array(app.utf8))) }
        try block(type: 0x0A0D_0D0A, big: big, fixed: 16, options: shbOptions) { p in
            p.put32(0x1A2B_3C4D, 0, big)
            p.put16(1, 4, big)
            p.put16(0, 6, big)
            p.put64(UInt64.max, 8, big)  // section length unknown
        }
        self.interfaces = []
        scales = []
        for interface in interfaces { try addInterface(interface) }
    }

    private var sectionBigEndian = false

    /// pcapng only: declares another interface in the current section; returns its index.
    @discardableResult
    public func addInterface(_ interface: Interface) throws(CaptureWriteError) -> Int {
        precondition(options.format == .pcapng, "interfaces are declared in pcapng only")
        let big = sectionBigEndian
        var idbOptions: [(UInt16, [UInt8])] = []
        if let name = interface.name { idbOptions.append((2, Array(name.utf8))) }
        if interface.tsresol != 6 { idbOptions.append((9, [interface.tsresol])) }
        if interface.tsoffsetSeconds != 0 {
            let v = UInt64(bitPattern: interface.tsoffsetSeconds)
            idbOptions.append((14, withUnsafeBytes(of: big ? v.bigEndian : v.littleEndian) { Array($0) }))
        }
        try block(type: 1, big: big, fixed: 8, options: idbOptions) { p in
            p.put16(UInt16(truncatingIfNeeded: interface.linkType.rawValue), 0, big)
            p.put16(0, 2, big)
            p.put32(UInt32(interface.snapLength), 4, big)
        }
        guard let scale = TimestampScale(tsresol: interface.tsresol, offsetSeconds: interface.tsoffsetSeconds) else {
            throw CaptureWriteError(path: path, "unsupported if_tsresol \(interface.tsresol)")
        }
        interfaces.append(interface)
        scales.append((scale, interface))
        return interfaces.count - 1
    }

    /// Appends one packet. `timestamp` is nanoseconds since 1970; `originalLength` defaults to the data length.
    public func write(timestamp: Int64, data: UnsafeRawBufferPointer, originalLength: Int? = nil,
                      interface: Int = 0, comment: String? = nil) throws(CaptureWriteError) {
        let length = data.count
        let original = UInt32(clamping: originalLength ?? length)
        switch options.format {
        case .pcap:
            guard timestamp >= 0, timestamp / 1_000_000_000 <= Int64(UInt32.max) else {
                throw CaptureWriteError(path: path, "timestamp \(timestamp) ns cannot be written to pcap")
            }
            let big = options.bigEndian
            let seconds = UInt32(timestamp / 1_000_000_000)
            let nanos = UInt32(timestamp % 1_000_000_000)
            let fraction = options.pcapMicroseconds ? nanos / 1000 : nanos
            try file.append(16 + length) { p in
                p.put32(seconds, 0, big)
                p.put32(fraction, 4, big)
                p.put32(UInt32(length), 8, big)
                p.put32(original, 12, big)
                if length > 0 { (p + 16).copyMemory(from: data.baseAddress!, byteCount: length) }
            }
        case .pcapng:
            guard interface < scales.count else { throw CaptureWriteError(path: path, "interface \(interface) is not declared") }
            let raw = try rawTimestamp(timestamp, interface: interface)
            let big = sectionBigEndian
            var packetOptions: [(UInt16, [UInt8])] = []
            if let comment { packetOptions.append((1, Array(comment.utf8))) }
            let padded = (length + 3) & ~3
            try block(type: 6, big: big, fixed: 20 + padded, options: packetOptions) { p in
                p.put32(UInt32(interface), 0, big)
                p.put32(UInt32(truncatingIfNeeded: raw >> 32), 4, big)
                p.put32(UInt32(truncatingIfNeeded: raw), 8, big)
                p.put32(UInt32(length), 12, big)
                p.put32(original, 16, big)
                if length > 0 { (p + 20).copyMemory(from: data.baseAddress!, byteCount: length) }
                if padded > length { (p + 20 + length).initializeMemory(as: UInt8.self, repeating: 0, count: padded - length) }
            }
        }
        packetsWritten += 1
    }

    /// Appends one packet from a byte array.
    public func write(timestamp: Int64, bytes: [UInt8], originalLength: Int? = nil, interface: Int = 0, comment: String? = nil) throws(CaptureWriteError) {
        let result = bytes.withUnsafeBytes { raw in
            Result { () throws(CaptureWriteError) in
                try write(timestamp: timestamp, data: raw, originalLength: originalLength, interface: interface, comment: comment)
            }
        }
        try result.get()
    }

    /// pcapng only: writes an arbitrary block (for tests and for blocks the writer has no API for).
    /// `body` is the block content between the length fields; it is padded to 4 bytes.
    public func writeRawBlock(type: UInt32, body: [UInt8]) throws(CaptureWriteError) {
        let big = sectionBigEndian
        try block(type: type, big: big, fixed: (body.count + 3) & ~3, options: []) { p in
            for (i, b) in body.enumerated() { p.storeBytes(of: b, toByteOffset: i, as: UInt8.self) }
        }
    }

    /// Writes raw bytes as they are (tests use this to build damaged files).
    public func writeRaw(_ bytes: [UInt8]) throws(CaptureWriteError) {
        guard !bytes.isEmpty else { return }
        try file.append(bytes.count) { p in bytes.withUnsafeBytes { p.copyMemory(from: $0.baseAddress!, byteCount: bytes.count) } }
    }

    /// Flushes and closes the file.
    public func close() throws(CaptureWriteError) {
        try file.close()
    }

    private func rawTimestamp(_ timestamp: Int64, interface: Int) throws(CaptureWriteError) -> UInt64 {
        let (_, description) = scales[interface]
        let t = timestamp - description.tsoffsetSeconds * 1_000_000_000
        guard t >= 0 else { throw CaptureWriteError(path: path, "negative timestamp \(timestamp) ns") }
        let resolution = description.tsresol
        let n = Int(resolution & 0x7f)
        let value = UInt64(t)
        if resolution & 0x80 == 0 {
            if n <= 9 {
                var d: UInt64 = 1
                for _ in 0..<(9 - n) { d *= 10 }
                return value / d
            }
            var m: UInt64 = 1
            for _ in 0..<(n - 9) { m *= 10 }
            return value &* m
        }
        let seconds = value / 1_000_000_000
        let nanos = value % 1_000_000_000
        // fraction = ceil(nanos * 2^n / 1e9), so reading back (which floors) gives the same nanosecond
        // whenever 2^-n s is finer than 1 ns.
        guard n < 64, seconds < (1 << UInt64(64 - n)) || n == 0 else {
            throw CaptureWriteError(path: path, "timestamp \(timestamp) ns does not fit a 2^-\(n) resolution")
        }
        if n == 0 { return seconds }
        let product = nanos.multipliedFullWidth(by: 1 << UInt64(n))
        let (low, carry) = product.low.addingReportingOverflow(999_999_999)
        let fraction = UInt64(1_000_000_000).dividingFullWidth((product.high + (carry ? 1 : 0), low)).quotient
        return seconds << UInt64(n) | fraction
    }

    /// Writes a block: header, `fixed` bytes filled by `body`, options, end-of-options, trailer.
    private func block(type: UInt32, big: Bool, fixed: Int, options: [(UInt16, [UInt8])],
                       _ body: (UnsafeMutableRawPointer) -> Void) throws(CaptureWriteError) {
        var optionBytes = 0
        for (_, value) in options { optionBytes += 4 + ((value.count + 3) & ~3) }
        if !options.isEmpty { optionBytes += 4 }
        let total = 12 + fixed + optionBytes
        try file.append(total) { p in
            p.put32(type, 0, big)
            p.put32(UInt32(total), 4, big)
            body(p + 8)
            var o = 8 + fixed
            for (code, value) in options {
                p.put16(code, o, big)
                p.put16(UInt16(value.count), o + 2, big)
                for (i, b) in value.enumerated() { p.storeBytes(of: b, toByteOffset: o + 4 + i, as: UInt8.self) }
                let padded = (value.count + 3) & ~3
                if padded > value.count { (p + o + 4 + value.count).initializeMemory(as: UInt8.self, repeating: 0, count: padded - value.count) }
                o += 4 + padded
            }
            if !options.isEmpty { p.put32(0, o, big); o += 4 }
            p.put32(UInt32(total), o, big)
        }
    }
}

/// A bounds-checked, non-owning view of bytes inside a capture (or any buffer).
///
/// `ByteView` is the vocabulary type every parser in Rehearse reads packets through. It never copies:
/// it points into the mapped capture file (or the reader's decompression window). Every accessor is
/// `get…(at:)`: it never moves and returns `nil` when the field would reach past the end, so a
/// truncated or corrupt packet can never make a parser read out of bounds.
///
/// Lifetime: a view is valid as long as the storage it came from. Views handed out by
/// ``CaptureReader`` stay valid until the reader is destroyed for a memory-mapped file, and until the
/// next call to ``CaptureReader/next()`` for a gzip-compressed one. Do not store them beyond that.
///
/// Multi-byte fields are loaded unaligned (packet fields are not aligned) in the byte order the
/// accessor names: `LE` little-endian (OMD, pcap written on x86), `BE` network order (IP, UDP, TCP).
@frozen
public struct ByteView {
    @usableFromInline package let base: UnsafeRawPointer?
    /// Number of bytes in the view.
    public let count: Int

    /// Wraps `count` bytes at `base`. The caller guarantees the memory stays valid while the view is used.
    @inlinable
    public init(unsafeStart base: UnsafeRawPointer?, count: Int) {
        precondition(count >= 0 && (count == 0 || base != nil), "ByteView with negative count or nil base")
        self.base = base
        self.count = count
    }

    /// An empty view.
    /// Address of the first byte (nil when empty), for handing the bytes to a system call such as
    /// sendmmsg without copying. Valid as long as the view is.
    @inlinable public var unsafeStart: UnsafeRawPointer? { base }

    @inlinable public static var empty: ByteView { ByteView(unsafeStart: nil, count: 0) }

    /// True when the view holds no bytes.
    @inlinable public var isEmpty: Bool { count == 0 }

    /// True when `size` bytes at `offset` lie inside the view. (`count >= size` needs no test of its
    /// own: with `offset >= 0`, `offset <= count - size` implies it, and `count - size` cannot overflow
    /// for `count >= 0`, `size >= 0`.)
    @inlinable @inline(__always)
    package func fits(_ offset: Int, _ size: Int) -> Bool {
        offset >= 0 && size >= 0 && offset <= count &- size
    }

    /// The unaligned value at `offset`, unchecked: the caller has checked `fits(offset, MemoryLayout<T>.size)`.
    /// `package`: the capture fast paths check one range and then load several fields from it.
    @inlinable @inline(__always)
    package func load<T: FixedWidthInteger>(_ offset: Int, as: T.Type) -> T {
        base.unsafelyUnwrapped.loadUnaligned(fromByteOffset: offset, as: T.self)
    }

    /// The byte at `offset`, or nil when out of range.
    @inlinable @inline(__always) public func getUInt8(at offset: Int) -> UInt8? {
        fits(offset, 1) ? load(offset, as: UInt8.self) : nil
    }
    /// Little-endian UInt16 at `offset`, or nil when out of range.
    @inlinable @inline(__always) public func getUInt16LE(at offset: Int) -> UInt16? {
        fits(offset, 2) ? UInt16(littleEndian: load(offset, as: UInt16.self)) : nil
    }
    /// Big-endian (network order) UInt16 at `offset`, or nil when out of range.
    @inlinable @inline(__always) public func getUInt16BE(at offset: Int) -> UInt16? {
        fits(offset, 2) ? UInt16(bigEndian: load(offset, as: UInt16.self)) : nil
    }
    /// Little-endian UInt32 at `offset`, or nil when out of range.
    @inlinable @inline(__always) public func getUInt32LE(at offset: Int) -> UInt32? {
        fits(offset, 4) ? UInt32(littleEndian: load(offset, as: UInt32.self)) : nil
    }
    /// Big-endian (network order) UInt32 at `offset`, or nil when out of range.
    @inlinable @inline(__always) public func getUInt32BE(at offset: Int) -> UInt32? {
        fits(offset, 4) ? UInt32(bigEndian: load(offset, as: UInt32.self)) : nil
    }
    /// Little-endian UInt64 at `offset`, or nil when out of range.
    @inlinable @inline(__always) public func getUInt64LE(at offset: Int) -> UInt64? {
        fits(offset, 8) ? UInt64(littleEndian: load(offset, as: UInt64.self)) : nil
    }
    /// Big-endian UInt64 at `offset`, or nil when out of range.
    @inlinable @inline(__always) public func getUInt64BE(at offset: Int) -> UInt64? {
        fits(offset, 8) ? UInt64(bigEndian: load(offset, as: UInt64.self)) : nil
    }
    /// UInt16 in the given byte order (`swapped` = opposite of little-endian), or nil when out of range.
    @inlinable @inline(__always) public func getUInt16(at offset: Int, bigEndian: Bool) -> UInt16? {
        bigEndian ? getUInt16BE(at: offset) : getUInt16LE(at: offset)
    }
    /// UInt32 in the given byte order, or nil when out of range.
    @inlinable @inline(__always) public func getUInt32(at offset: Int, bigEndian: Bool) -> UInt32? {
        bigEndian ? getUInt32BE(at: offset) : getUInt32LE(at: offset)
    }

    /// The sub-view `[offset, offset + count)`, or nil when any of it is out of range. Shares storage.
    @inlinable @inline(__always) public func getSlice(at offset: Int, count length: Int) -> ByteView? {
        guard fits(offset, length) else { return nil }
        return ByteView(unsafeStart: length == 0 ? nil : base.unsafelyUnwrapped + offset, count: length)
    }

    /// The sub-view from `offset` to the end, or nil when `offset` is past the end.
    @inlinable @inline(__always) public func getSlice(from offset: Int) -> ByteView? {
        getSlice(at: offset, count: count &- offset)
    }

    /// The view cut to at most `length` bytes.
    @inlinable public func prefix(_ length: Int) -> ByteView {
        ByteView(unsafeStart: base, count: Swift.max(0, Swift.min(length, count)))
    }

    /// Copies the bytes out (allocates: not for hot paths).
    public var bytes: [UInt8] {
        guard let base, count > 0 else { return [] }
        return Array(UnsafeRawBufferPointer(start: base, count: count))
    }

    /// Calls `body` with the bytes as a raw buffer; the buffer must not escape `body`.
    @inlinable
    public func withUnsafeBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try body(UnsafeRawBufferPointer(start: base, count: count))
    }

    /// True when the bytes equal `other`'s.
    public func elementsEqual(_ other: ByteView) -> Bool {
        guard count == other.count else { return false }
        if count == 0 { return true }
        return memcmp(base!, other.base!, count) == 0
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

import Vocabulary
import CShims
/// Receives the packets of ``CaptureReader/forEachPacket(into:)``. A struct conforming to it whose
/// `visit` is `@inline(__always)` is compiled into the reader's loop: no call per packet (a closure
/// handed to ``CaptureReader/forEachPacket(_:)`` stays a call, with the packet passed through memory).
public protocol PacketVisitor {
    /// Called for every packet, in order; return false to stop. The packet is valid during the call.
    mutating func visit(_ packet: CapturedPacket) -> Bool
}

extension CaptureReader {
    /// Calls `body` for every remaining packet, in order, until it returns false or the capture ends.
    /// The same walk as ``forEachPacket(into:)``; a closure stays a call per packet, so for a small
    /// per-packet step a visitor is faster (the reader walk benchmark: 110 → 131 M packets/s), while
    /// for a large one (`inspect`) the closure measured as fast or faster.
    @inlinable @inline(__always)
    public mutating func forEachPacket(_ body: (CapturedPacket) -> Bool) throws(CaptureError) {
        while true {
            var keepGoing = true
            if format.isPcapng {
                var walk = PcapngWalk(self)
                while keepGoing, let packet = walk.next() { keepGoing = body(packet) }
                finish(walk.cursor)
            } else {
                var walk = PcapWalk(self)
                while keepGoing, let packet = walk.next() { keepGoing = body(packet) }
                finish(walk.cursor)
            }
            if !keepGoing { return }
            guard let packet = try next() else { return }
            if !body(packet) { return }
        }
    }

    /// Hands every remaining packet to `visitor`, in order, until it returns false or the capture ends.
    ///
    /// The fast way to walk a capture: the cursor lives in locals and the loop is specialised per
    /// format, so a packet costs a few loads and compares. Records that need the slow path (a window
    /// refill for gzip or pipes, a truncated tail, pcapng blocks other than Enhanced Packet Blocks) go
    /// through ``next()``; results are identical to calling ``next()`` in a loop. The packet passed to
    /// the visitor is valid for the duration of the call (see ``ByteView`` for mapped files). Pages are
    /// released one step (32 MiB) behind the cursor, so a consumer a little behind still finds them mapped.
    @inlinable @inline(__always)
    public mutating func forEachPacket<Visitor: PacketVisitor>(into visitor: inout Visitor) throws(CaptureError) {
        while true {
            var keepGoing = true
            if format.isPcapng {
                var walk = PcapngWalk(self)
                while keepGoing, let packet = walk.next() { keepGoing = visitor.visit(packet) }
                finish(walk.cursor)
            } else {
                var walk = PcapWalk(self)
                while keepGoing, let packet = walk.next() { keepGoing = visitor.visit(packet) }
                finish(walk.cursor)
            }
            if !keepGoing { return }
            guard let packet = try next() else { return }
            if !visitor.visit(packet) { return }
        }
    }

    /// Stores a fast walk's cursor back into the reader.
    @inlinable @inline(__always)
    mutating func finish(_ cursor: FastCursor) {
        position = cursor.offset
        releaseMark = cursor.releaseAt
    }
}

/// Where a fast walk stands: the next record's offset and the offset at which pages are released next.
@usableFromInline
struct FastCursor {
    @usableFromInline var offset: Int
    @usableFromInline var releaseAt: Int
    @usableFromInline init(offset: Int, releaseAt: Int) {
        self.offset = offset
        self.releaseAt = releaseAt
    }
}

/// What both fast walks read from the reader: the window, its byte order, the source whose pages are
/// released behind the cursor, and the cursor itself (copied back with ``CaptureReader/finish(_:)``).
@usableFromInline
struct WalkWindow {
    /// nil when the reader has finished: the walk yields nothing.
    @usableFromInline let base: UnsafeRawPointer?
    @usableFromInline let start: Int, end: Int
    @usableFromInline let big: Bool
    @usableFromInline let source: CaptureSource
    @usableFromInline var cursor: FastCursor

    @inlinable @inline(__always)
    init(_ reader: borrowing CaptureReader) {
        base = reader.finished ? nil : reader.base
        start = reader.windowStart
        end = reader.windowEnd
        big = reader.bigEndian
        source = reader.source
        cursor = FastCursor(offset: reader.position, releaseAt: reader.releaseMark)
    }

    /// The bytes from file offset `offset` to the window's end.
    @inlinable @inline(__always)
    func bytes(_ base: UnsafeRawPointer, from offset: Int) -> ByteView {
        ByteView(unsafeStart: base + (offset &- start), count: end &- offset)
    }

    /// `count` bytes at file offset `offset` (inside the window: the caller checked).
    @inlinable @inline(__always)
    func bytes(_ base: UnsafeRawPointer, at offset: Int, count: Int) -> ByteView {
        ByteView(unsafeStart: base + (offset &- start), count: count)
    }

    /// Moves the cursor to `offset`, releasing pages a step behind it.
    @inlinable @inline(__always)
    mutating func advance(to offset: Int) {
        cursor.offset = offset
        // The records a few ahead, asked for now: the walk's loads of a record's header are its misses.
        if let base { rh_prefetch(base + ((offset &- start) &+ CaptureReader.prefetchDistance)) }
        if _slowPath(offset >= cursor.releaseAt) {
            source.release(upTo: offset &- CaptureReader.releaseStep)
            cursor.releaseAt = offset &+ CaptureReader.releaseStep
        }
    }
}

/// Classic pcap records that lie wholly inside the window, with the reader's state in locals. `next()`
/// returns nil at the window's end and for anything unusual (oversized lengths, records past the
/// window), which the reader's own `next()` then handles (error or refill).
@usableFromInline
struct PcapWalk {
    @usableFromInline var window: WalkWindow
    @usableFromInline let multiplier: Int64, snap: Int, headerLength: Int
    @usableFromInline let linkType: LinkType
    @usableFromInline var cursor: FastCursor { window.cursor }

    @inlinable @inline(__always)
    init(_ reader: borrowing CaptureReader) {
        window = WalkWindow(reader)
        multiplier = reader.fractionMultiplier
        snap = reader.snapLimit
        headerLength = reader.recordHeaderLength
        linkType = reader.pcapLinkType
    }

    @inlinable @inline(__always)
    mutating func next() -> CapturedPacket? {
        guard let base = window.base else { return nil }
        let offset = window.cursor.offset, big = window.big
        guard offset &+ headerLength <= window.end else { return nil }
        // The four fields of the record header (`headerLength` ≥ 16 bytes, checked above), read as
        // little-endian and swapped together when the file is big-endian: one branch, not four.
        let record = window.bytes(base, at: offset, count: 16)
        var fields = (record.getUInt32LE(at: 0).unsafelyUnwrapped, record.getUInt32LE(at: 4).unsafelyUnwrapped,
                      record.getUInt32LE(at: 8).unsafelyUnwrapped, record.getUInt32LE(at: 12).unsafelyUnwrapped)
        if _slowPath(big) {
            fields = (fields.0.byteSwapped, fields.1.byteSwapped, fields.2.byteSwapped, fields.3.byteSwapped)
        }
        let captured = Int(fields.2)
        if _slowPath(captured > snap || offset &+ headerLength &+ captured > window.end) { return nil }
        let seconds = Int64(fields.0), fraction = Int64(fields.1), original = Int(fields.3)
        let packet = CapturedPacket(
            timestamp: seconds &* 1_000_000_000 &+ fraction &* multiplier, originalLength: original,
            linkType: linkType, interfaceIndex: 0,
            data: window.bytes(base, at: offset &+ headerLength, count: captured),
            recordOffset: offset, dataOffset: offset &+ headerLength)
        window.advance(to: offset &+ headerLength &+ captured)
        return packet
    }
}

/// pcapng Enhanced Packet Blocks that lie wholly inside the window, with the reader's state in locals;
/// any other block, or anything unusual, ends the walk (nil) for the reader's own `next()`.
@usableFromInline
struct PcapngWalk {
    @usableFromInline var window: WalkWindow
    @usableFromInline let interfaces: [InterfaceDescription]
    @usableFromInline var cursor: FastCursor { window.cursor }

    @inlinable @inline(__always)
    init(_ reader: borrowing CaptureReader) {
        window = WalkWindow(reader)
        interfaces = reader.interfaces
    }

    @inlinable @inline(__always)
    mutating func next() -> CapturedPacket? {
        guard let base = window.base else { return nil }
        let offset = window.cursor.offset, big = window.big
        guard offset &+ 32 <= window.end else { return nil }
        let block = window.bytes(base, from: offset)
        let type = block.getUInt32(at: 0, bigEndian: big).unsafelyUnwrapped
        let length = Int(block.getUInt32(at: 4, bigEndian: big).unsafelyUnwrapped)
        guard type == BlockType.enhancedPacket, length >= 32, length & 3 == 0, length <= window.end &- offset,
              Int(block.getUInt32(at: length &- 4, bigEndian: big).unsafelyUnwrapped) == length else { return nil }
        let interfaceIndex = Int(block.getUInt32(at: 8, bigEndian: big).unsafelyUnwrapped)
        let captured = Int(block.getUInt32(at: 20, bigEndian: big).unsafelyUnwrapped)
        let padded = (captured &+ 3) & ~3
        guard interfaceIndex < interfaces.count, padded <= length &- 32 else { return nil }
        let interface = interfaces[interfaceIndex]
        guard interface.snapLength == 0 || captured <= interface.snapLength else { return nil }
        let high = UInt64(block.getUInt32(at: 12, bigEndian: big).unsafelyUnwrapped)
        let low = UInt64(block.getUInt32(at: 16, bigEndian: big).unsafelyUnwrapped)
        guard let timestamp = interface.timestampScale.nanoseconds(high << 32 | low) else { return nil }
        let packet = CapturedPacket(
            timestamp: timestamp, originalLength: Int(block.getUInt32(at: 24, bigEndian: big).unsafelyUnwrapped),
            linkType: interface.linkType, interfaceIndex: interfaceIndex,
            data: window.bytes(base, at: offset &+ 28, count: captured),
            recordOffset: offset, dataOffset: offset &+ 28,
            options: window.bytes(base, at: offset &+ 28 &+ padded, count: length &- 32 &- padded),
            optionsBigEndian: big)
        window.advance(to: offset &+ length)
        return packet
    }
}

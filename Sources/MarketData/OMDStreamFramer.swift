import Vocabulary

/// Cuts OMD packets out of a TCP byte stream (the retransmission service): each packet starts with
/// PktSize (u16, the whole packet), so the stream is framed by it alone. Bytes are read straight into
/// the framer's buffer; a packet handed out stays valid until the next ``fill(_:)``.
///
/// `@unchecked Sendable`: one owner at a time (the session's thread); the buffer is private.
public final class OMDStreamFramer: @unchecked Sendable {
    /// What ``next()`` found.
    public enum Frame {
        /// A whole packet (header included); valid until the next ``fill(_:)``.
        case packet(ByteView)
        /// Not a whole packet yet.
        case needMore
        /// PktSize below the 16-byte header: the stream cannot be framed any further.
        case invalid(packetSize: Int, offset: UInt64)
    }

    private let buffer: UnsafeMutableRawPointer
    private let capacity: Int
    private var start = 0
    private var end = 0
    /// Bytes handed out as packets so far (the stream offset of the next packet).
    public private(set) var consumed: UInt64 = 0

    /// `capacity` must hold the largest packet (PktSize is 16 bits: 65,535 bytes at most).
    public init(capacity: Int = 1 << 17) {
        self.capacity = max(capacity, 1 << 16)
        buffer = UnsafeMutableRawPointer.allocate(byteCount: self.capacity, alignment: 16)
    }

    deinit { buffer.deallocate() }

    /// Bytes received and not yet handed out as packets.
    public var pending: Int { end - start }

    /// Makes room (moving what is pending to the front) and lets `read` write into the free space;
    /// returns what `read` returned (a count, 0 at end of stream, or a negative errno).
    public func fill(_ read: (UnsafeMutableRawBufferPointer) -> Int) -> Int {
        if start > 0 {
            if end > start { buffer.copyMemory(from: buffer + start, byteCount: end - start) }
            end -= start
            start = 0
        }
        let n = read(UnsafeMutableRawBufferPointer(start: buffer + end, count: capacity - end))
        if n > 0 { end += n }
        return n
    }

    /// Appends bytes already received (tests, and callers holding their own buffer).
    public func append(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let n = fill { free in
                let k = min(free.count, bytes.count - offset)
                bytes.withUnsafeBytes { free.baseAddress!.copyMemory(from: $0.baseAddress! + offset, byteCount: k) }
                return k
            }
            if n <= 0 { return }
            offset += n
        }
    }

    /// The next whole packet, if one is buffered.
    public func next() -> Frame {
        guard end - start >= 2 else { return .needMore }
        let size = Int(buffer.load(fromByteOffset: start, as: UInt8.self)) | Int(buffer.load(fromByteOffset: start + 1, as: UInt8.self)) << 8
        guard size >= OMDPacket.headerSize else { return .invalid(packetSize: size, offset: consumed) }
        guard end - start >= size else { return .needMore }
        let view = ByteView(unsafeStart: buffer + start, count: size)
        start += size
        consumed += UInt64(size)
        return .packet(view)
    }
}

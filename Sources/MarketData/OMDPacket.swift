import Vocabulary
import Capture

/// An HKEX OMD packet (OMD-D, OMD-C, retransmission and refresh share it): a 16-byte header then
/// `MsgCount` messages, each `MsgSize u16, MsgType u16, body`. All integers little-endian.
/// See docs/formats/omd.md.
@frozen
public struct OMDPacket {
    /// Size of the packet header.
    public static let headerSize = 16
    /// The UDP payload the packet was read from.
    public let bytes: ByteView

    /// Wraps a UDP payload; nil when it is shorter than the 16-byte header.
    @inlinable @inline(__always)
    public init?(_ payload: ByteView) {
        guard payload.count >= Self.headerSize else { return nil }
        bytes = payload
    }

    /// PktSize: the whole packet including this header.
    @inlinable public var packetSize: Int { Int(bytes.getUInt16LE(at: 0) ?? 0) }
    /// MsgCount: 0 for a heartbeat.
    @inlinable public var messageCount: Int { Int(bytes.getUInt8(at: 2) ?? 0) }
    /// OMD-D v1.41+: 1 = the message block is zlib-compressed. A filler (0) elsewhere.
    @inlinable public var compressionMode: UInt8 { bytes.getUInt8(at: 3) ?? 0 }
    /// SeqNum of the first message (of the previous message, for a heartbeat).
    @inlinable public var sequenceNumber: UInt32 { bytes.getUInt32LE(at: 4) ?? 0 }
    /// SendTime: nanoseconds since 1970 UTC (millisecond precision).
    @inlinable public var sendTime: UInt64 { bytes.getUInt64LE(at: 8) ?? 0 }
    /// True for a heartbeat (MsgCount 0).
    @inlinable public var isHeartbeat: Bool { messageCount == 0 }
    @inlinable public var isCompressed: Bool { compressionMode == 1 }

    /// The message block: bytes after the header, up to PktSize (or the payload's end if shorter).
    @inlinable @inline(__always) public var messageBlock: ByteView {
        // The view holds at least the header (see `init`): cut it to PktSize, then drop the header.
        let end = Swift.min(packetSize, bytes.count)
        guard end > Self.headerSize else { return .empty }
        return bytes.prefix(end).getSlice(from: Self.headerSize) ?? .empty
    }

    /// Iterates the messages of an uncompressed packet. For a compressed one, inflate
    /// ``messageBlock`` and use ``OMDMessages/init(block:expectedCount:)``.
    @inlinable @inline(__always) public var messages: OMDMessages { OMDMessages(block: messageBlock, expectedCount: messageCount) }
}

/// A single OMD message: MsgSize, MsgType, then the body. Offsets count from the message start.
@frozen
public struct OMDMessage {
    /// The whole message (MsgSize bytes).
    public let bytes: ByteView
    @inlinable public init(unchecked bytes: ByteView) { self.bytes = bytes }
    @inlinable public var size: Int { bytes.count }
    @inlinable public var type: UInt16 { bytes.getUInt16LE(at: 2) ?? 0 }
}

/// Why iteration over a packet's messages stopped early.
public enum OMDFramingError: UInt8, Sendable, CaseIterable, Codable {
    /// A MsgSize below 4 (0 would loop forever).
    case messageSizeTooSmall
    /// A message reaching past PktSize or the datagram.
    case messageBeyondPacket
    /// Fewer messages than MsgCount, or bytes left over after MsgCount messages.
    case messageCountMismatch
}

/// Iterates messages by MsgSize; stops at the first framing error (see ``error``).
@frozen
public struct OMDMessages: IteratorProtocol, Sequence {
    @usableFromInline let block: ByteView
    @usableFromInline var offset = 0
    @usableFromInline var remaining: Int
    /// Set when iteration stopped because the framing was wrong.
    public var error: OMDFramingError?

    @inlinable public init(block: ByteView, expectedCount: Int) {
        self.block = block
        remaining = expectedCount
    }

    /// The next message's MsgSize and MsgType: what ``next()`` would return, read in one load when the
    /// message is well framed (the common case); anything else goes through ``next()``, so errors and
    /// the end are exactly the same.
    @inlinable @inline(__always)
    public mutating func nextHeader() -> (size: Int, type: UInt16)? {
        if _fastPath(remaining > 0), let header = block.getUInt32LE(at: offset) {
            let size = Int(header & 0xFFFF)
            if _fastPath(size >= 4 && size <= block.count &- offset) {
                offset &+= size
                remaining &-= 1
                return (size, UInt16(truncatingIfNeeded: header >> 16))
            }
        }
        guard let message = next() else { return nil }
        return (message.size, message.type)
    }

    @inlinable @inline(__always)
    public mutating func next() -> OMDMessage? {
        guard remaining > 0 else {
            if offset < block.count && error == nil { error = .messageCountMismatch }
            return nil
        }
        guard let size16 = block.getUInt16LE(at: offset) else {
            if error == nil { error = offset >= block.count ? .messageCountMismatch : .messageBeyondPacket }
            remaining = 0
            return nil
        }
        let size = Int(size16)
        guard size >= 4 else {
            error = .messageSizeTooSmall
            remaining = 0
            return nil
        }
        guard let message = block.getSlice(at: offset, count: size) else {
            error = .messageBeyondPacket
            remaining = 0
            return nil
        }
        offset &+= size
        remaining &-= 1
        return OMDMessage(unchecked: message)
    }
}

import Vocabulary
import Capture

/// A FIX message found in a byte stream: where it starts in the stream and when it was complete.
public struct FIXStreamMessage {
    public let message: FIXMessage
    /// Byte offset of the message's first byte in its direction's stream.
    public let streamOffset: UInt64
    /// Capture time of the segment that completed the message.
    public let timestamp: Int64
}

/// A framing problem in a stream, where it was.
public struct FIXStreamError: Sendable, Equatable, Codable {
    public let kind: FIXFramingError
    public let streamOffset: UInt64
    public let skippedBytes: Int
}

/// Frames FIX messages out of one direction of a TCP stream fed in chunks. A message split across
/// chunks is kept (copied) until complete; bad bytes are skipped to the next `8=FIX` and reported with
/// their stream offset; a reassembly gap drops the partial message and resynchronises.
public struct FIXStreamParser {
    private var buffer: [UInt8] = []
    private var bufferOffset: UInt64 = 0   // stream offset of buffer[0]
    public private(set) var messages: UInt64 = 0
    public private(set) var errors: [FIXStreamError] = []
    public private(set) var errorCount: UInt64 = 0
    /// Bytes dropped because a gap cut the message they belonged to.
    public private(set) var bytesLostToGaps: UInt64 = 0
    public static let errorListLimit = 1000

    public init() {}

    /// Adds in-order bytes; calls `body` for each complete message (valid during the call).
    public mutating func append(_ bytes: ByteView, timestamp: Int64, _ body: (FIXStreamMessage) -> Void) {
        if buffer.isEmpty {
            // Fast path: frame straight from the chunk; keep only an incomplete tail.
            let used = frameAll(bytes, base: bufferOffset, timestamp: timestamp, body)
            bufferOffset &+= UInt64(used)
            if used < bytes.count { buffer = (used..<bytes.count).map { bytes.getUInt8(at: $0)! } }
            return
        }
        buffer.reserveCapacity(buffer.count + bytes.count)
        for i in 0..<bytes.count { buffer.append(bytes.getUInt8(at: i)!) }
        let base = bufferOffset
        let used = buffer.withUnsafeBytes { raw in
            frameAll(ByteView(unsafeStart: raw.baseAddress, count: raw.count), base: base, timestamp: timestamp, body)
        }
        buffer.removeFirst(used)
        bufferOffset &+= UInt64(used)
    }

    /// The stream skips `missing` bytes: the partial message is lost; framing starts again after it.
    public mutating func gap(missing: UInt64) {
        bytesLostToGaps &+= UInt64(buffer.count)
        bufferOffset &+= UInt64(buffer.count) &+ missing
        buffer.removeAll()
        resync = true
    }

    /// After a gap, bytes before the next `8=FIX` are not an error (they are the tail of a lost message).
    private var resync = false

    /// Frames what it can from `view`; returns the bytes consumed.
    private mutating func frameAll(_ view: ByteView, base: UInt64, timestamp: Int64, _ body: (FIXStreamMessage) -> Void) -> Int {
        var offset = 0
        while offset < view.count {
            let rest = view.getSlice(from: offset)!
            switch FIXFramer.frame(rest) {
            case .message(let length):
                resync = false
                messages &+= 1
                body(FIXStreamMessage(message: FIXMessage(unchecked: rest.prefix(length)), streamOffset: base &+ UInt64(offset),
                                      timestamp: timestamp))
                offset += length
            case .needMore:
                return offset
            case .invalid(let kind, let skip):
                if resync, kind == .badBeginString {
                    bytesLostToGaps &+= UInt64(skip)
                } else {
                    errorCount &+= 1
                    if errors.count < Self.errorListLimit {
                        errors.append(FIXStreamError(kind: kind, streamOffset: base &+ UInt64(offset), skippedBytes: skip))
                    }
                }
                offset += skip
            }
        }
        return offset
    }
}

#if canImport(Glibc)
import Glibc
#endif
import Vocabulary

/// Bytes waiting to go out on a non-blocking TCP socket: appended whole, sent as the socket takes
/// them. One per connection, used by the connection's thread only.
public struct TCPOutbox: Sendable {
    private var bytes: [UInt8] = []
    private var sent = 0
    public init() {}

    /// Bytes not sent yet.
    public var pending: Int { bytes.count - sent }
    public var isEmpty: Bool { sent == bytes.count }

    public mutating func append(_ more: [UInt8]) { bytes.append(contentsOf: more) }
    public mutating func append(_ more: ByteView) {
        more.withUnsafeBytes { bytes.append(contentsOf: $0) }
    }

    /// Sends what the socket takes now. False when the connection failed (anything but "full").
    public mutating func flush(_ socket: TCPConnectionSocket) -> Bool {
        while sent < bytes.count {
            let n = bytes.withUnsafeBytes { socket.send(UnsafeRawBufferPointer(rebasing: $0[sent...])) }
            if n == -Int(EAGAIN) || n == -Int(EWOULDBLOCK) { break }
            if n <= 0 { return false }
            sent += n
        }
        if sent == bytes.count {
            bytes.removeAll(keepingCapacity: true)
            sent = 0
        }
        return true
    }

    /// Drops everything waiting (the connection is gone).
    public mutating func discard() {
        bytes.removeAll(keepingCapacity: true)
        sent = 0
    }
}

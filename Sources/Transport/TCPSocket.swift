#if canImport(Glibc)
import Glibc
#endif
import Vocabulary
import Capture
import CShims

/// A non-blocking TCP listening socket.
/// `@unchecked Sendable`: the descriptor is immutable after `init`; `accept` is called from one thread at a time.
public final class TCPListener: @unchecked Sendable {
    public let endpoint: Endpoint
    public let descriptor: Int32
    /// The port actually bound (differs when 0 was asked for).
    public let port: UInt16

    public init(endpoint: Endpoint, backlog: Int = 128) throws(TransportError) {
        self.endpoint = endpoint
        var address = endpoint.address.networkBytes
        let fd = address.withUnsafeMutableBufferPointer {
            rh_tcp_listen(endpoint.address.isV6 ? 6 : 4, $0.baseAddress, endpoint.port, Int32(backlog))
        }
        if fd < 0 { throw TransportError(.bind, endpoint.description, code: -fd) }
        descriptor = fd
        port = UInt16(truncatingIfNeeded: rh_local_port(fd))
    }

    deinit { close(descriptor) }

    /// A pending connection, or nil when none is waiting.
    public func accept() -> TCPConnectionSocket? {
        let fd = rh_tcp_accept(descriptor)
        return fd < 0 ? nil : TCPConnectionSocket(descriptor: fd, peer: nil)
    }
}

/// A connected, non-blocking TCP socket (TCP_NODELAY). Closed when released or by ``close()``.
/// `@unchecked Sendable`: used by one thread at a time (each session lives on its player's or simulator's thread); `close()` happens on that thread.
public final class TCPConnectionSocket: @unchecked Sendable {
    public private(set) var descriptor: Int32
    /// The far end, when this side connected.
    public let peer: Endpoint?

    init(descriptor: Int32, peer: Endpoint?) {
        self.descriptor = descriptor
        self.peer = peer
    }

    /// Connects to `endpoint` within `timeout` milliseconds.
    public static func connect(to endpoint: Endpoint, timeoutMilliseconds: Int = 2_000) throws(TransportError) -> TCPConnectionSocket {
        var address = endpoint.address.networkBytes
        let fd = address.withUnsafeMutableBufferPointer {
            rh_tcp_connect(endpoint.address.isV6 ? 6 : 4, $0.baseAddress, endpoint.port, Int32(timeoutMilliseconds))
        }
        if fd < 0 { throw TransportError(.connect, endpoint.description, code: -fd) }
        return TCPConnectionSocket(descriptor: fd, peer: endpoint)
    }

    deinit { close() }

    public func close() {
        if descriptor >= 0 { Glibc.close(descriptor); descriptor = -1 }
    }

    public var isOpen: Bool { descriptor >= 0 }

    /// Sends as much of `bytes` as the socket takes now: the count, or a negative errno (-EAGAIN: full).
    public func send(_ bytes: UnsafeRawBufferPointer) -> Int {
        guard descriptor >= 0 else { return -Int(EBADF) }
        return rh_tcp_send(descriptor, bytes.baseAddress, bytes.count)
    }

    /// Receives into `buffer`: the count, 0 at end of stream, or a negative errno (-EAGAIN: nothing yet).
    public func receive(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        guard descriptor >= 0 else { return -Int(EBADF) }
        return rh_tcp_receive(descriptor, buffer.baseAddress, buffer.count)
    }
}

/// Waits for readability on several descriptors (and writability where asked). Returns the ready
/// flags per descriptor (bit 0 readable or closed, bit 1 writable), all zero on timeout.
public func waitForSockets(_ descriptors: [Int32], writable: [Bool], timeoutNanoseconds: Int64) -> [UInt8] {
    var polls = descriptors.enumerated().map { i, fd in
        pollfd(fd: fd, events: Int16(POLLIN) | (writable[i] ? Int16(POLLOUT) : 0), revents: 0)
    }
    let r = rh_poll_ns(&polls, UInt(polls.count), timeoutNanoseconds)
    guard r > 0 else { return Array(repeating: 0, count: descriptors.count) }
    return polls.map { p in
        (p.revents & Int16(POLLIN | POLLHUP | POLLERR) != 0 ? 1 : 0) | (p.revents & Int16(POLLOUT) != 0 ? 2 : 0)
    }
}

#if canImport(Glibc)
import Glibc
#endif
import Vocabulary
import Capture
import CShims

/// Options for a UDP sender socket.
public struct SenderOptions: Sendable, Equatable {
    /// SO_SNDBUF in bytes (0 leaves the system default).
    public var sendBuffer = 4 << 20
    /// Multicast TTL; multicast targets need it set explicitly by the caller (tests use 0).
    public var multicastTTL: Int = 1
    /// Whether multicast sent here is looped back to local receivers.
    public var multicastLoop = true
    /// The IPv4 address of the interface multicast leaves through. Multicast without it is refused:
    /// an unpinned multicast datagram follows the default route off the machine.
    public var multicastInterface: IPAddress?
    /// IPv6 multicast interface index.
    public var multicastInterfaceIndex: Int = 0
    public init() {}
}

/// A connected UDP socket: the datagrams it sends go to one endpoint. The descriptor is closed when the
/// socket is released. Send from one thread at a time.
/// `@unchecked Sendable`: the descriptor is immutable after `init`; its send buffers are used from one thread at a time (the documented contract).
public final class UDPSender: @unchecked Sendable {
    public let target: Endpoint
    public let descriptor: Int32

    /// Opens a socket connected to `target`. Multicast targets need `options.multicastInterface`
    /// (IPv4) or `multicastInterfaceIndex` (IPv6).
    public init(target: Endpoint, options: SenderOptions = SenderOptions()) throws(TransportError) {
        self.target = target
        let v6 = target.address.isV6
        if target.address.isMulticast && (v6 ? options.multicastInterfaceIndex == 0 : options.multicastInterface == nil) {
            throw TransportError(.connect, "\(target) (multicast needs an explicit interface)", code: EINVAL)
        }
        var address = target.address.networkBytes
        var interface = options.multicastInterface?.networkBytes ?? []
        let fd: Int32 = address.withUnsafeMutableBufferPointer { a in
            interface.withUnsafeMutableBufferPointer { i in
                var o = rh_sender_options(
                    send_buffer: Int32(options.sendBuffer),
                    multicast_ttl: target.address.isMulticast ? Int32(options.multicastTTL) : -1,
                    multicast_loop: target.address.isMulticast ? (options.multicastLoop ? 1 : 0) : -1,
                    interface_v4: options.multicastInterface == nil ? nil : UnsafePointer(i.baseAddress),
                    interface_index: Int32(options.multicastInterfaceIndex))
                return rh_udp_connect(v6 ? 6 : 4, a.baseAddress, target.port, &o)
            }
        }
        if fd < 0 { throw TransportError(.connect, target.description, code: -fd) }
        descriptor = fd
    }

    deinit { close(descriptor) }

    /// Sends up to ``maximumBatch`` datagrams in one system call. Returns how many went (≥ 1) or the
    /// errno of the first failure as a negative number.
    @inlinable @inline(__always)
    public func send(_ datagrams: UnsafePointer<rh_datagram>, count: Int) -> Int {
        Int(rh_sendmmsg(descriptor, datagrams, UInt32(truncatingIfNeeded: count)))
    }

    /// Sends one datagram (for tests and control paths).
    public func send(_ bytes: [UInt8]) -> Int {
        bytes.withUnsafeBytes { send(bytes: $0) }
    }

    /// Sends one datagram from memory the caller owns. 1, or a negative errno.
    @inline(__always)
    public func send(bytes: UnsafeRawBufferPointer) -> Int {
        var d = rh_datagram(base: bytes.baseAddress, length: UInt32(truncatingIfNeeded: bytes.count))
        return send(&d, count: 1)
    }

    /// Largest batch per call.
    public static let maximumBatch = Int(RH_MAX_BATCH)
}

extension IPAddress {
    /// The address in network byte order: 4 bytes for IPv4, 16 for IPv6.
    public var networkBytes: [UInt8] {
        if !isV6 { return withUnsafeBytes(of: v4.bigEndian) { Array($0) } }
        return withUnsafeBytes(of: high.bigEndian) { Array($0) } + withUnsafeBytes(of: low.bigEndian) { Array($0) }
    }

    /// An address from network-order bytes (4 or 16).
    public init?(networkBytes b: UnsafeRawBufferPointer) {
        if b.count == 4 {
            self.init(v4: UInt32(b[0]) << 24 | UInt32(b[1]) << 16 | UInt32(b[2]) << 8 | UInt32(b[3]))
        } else if b.count == 16 {
            var high: UInt64 = 0, low: UInt64 = 0
            for i in 0..<8 { high = high << 8 | UInt64(b[i]); low = low << 8 | UInt64(b[8 + i]) }
            self.init(v6High: high, low: low)
        } else {
            return nil
        }
    }
}

/// Index of a network interface by name (`lo`, `eth0`), or nil.
public func interfaceIndex(named name: String) -> Int? {
    let index = rh_interface_index(name)
    return index == 0 ? nil : Int(index)
}

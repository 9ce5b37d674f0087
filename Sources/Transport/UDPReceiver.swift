#if canImport(Glibc)
import Glibc
#endif
import Vocabulary
import Capture
import CShims

/// Options for a UDP receiver.
public struct ReceiverOptions: Sendable, Equatable {
    /// SO_RCVBUF in bytes (0 leaves the system default).
    public var receiveBuffer = 16 << 20
    /// IPv4 address of the interface multicast groups are joined on (nil: the kernel's choice).
    public var multicastInterface: IPAddress?
    /// IPv6 interface index for joins.
    public var multicastInterfaceIndex = 0
    /// Source-specific multicast: join (source, group) instead of any source.
    public var multicastSource: IPAddress?
    /// Datagrams per receive call.
    public var batch = 64
    /// Bytes per datagram slot; longer datagrams are cut and flagged.
    public var slotSize = 2048
    public init() {}
}

/// One received datagram: valid until the next ``UDPReceiver/receive(timeoutMilliseconds:)``.
public struct ReceivedDatagram {
    /// The bytes received (cut to the slot when `truncated`).
    public let payload: ByteView
    /// Full datagram length.
    public let length: Int
    public let truncated: Bool
    /// Which of the receiver's endpoints it arrived on.
    public let endpointIndex: Int
    /// Kernel receive time, CLOCK_REALTIME ns (0 when the kernel gave none).
    public let kernelTime: Int64
    public let source: Endpoint
    /// Datagrams the kernel dropped on this datagram's socket since it was opened (SO_RXQ_OVFL:
    /// the receive buffer was full), as of this datagram.
    public let kernelDrops: UInt32
}

/// UDP sockets bound to one or more endpoints (joined when multicast), received together with
/// recvmmsg and kernel receive timestamps (SO_TIMESTAMPNS). Buffers are allocated once; receiving
/// allocates nothing. Receive from one thread at a time.
/// `@unchecked Sendable`: its buffers are written and read by one receiving thread at a time (the documented contract); the sockets are immutable after `init`.
public final class UDPReceiver: @unchecked Sendable {
    public let endpoints: [Endpoint]
    /// The ports actually bound (differs from the requested port when it was 0).
    public let boundPorts: [UInt16]
    private let descriptors: [Int32]
    /// The sockets, for a caller that waits on them with others (then ``receive(timeoutNanoseconds:)`` with 0).
    public var socketDescriptors: [Int32] { descriptors }
    private let slotSize: Int
    private let capacity: Int
    private let buffer: UnsafeMutableRawPointer
    private let info: UnsafeMutablePointer<rh_received>
    private var received = 0

    /// Datagrams one receive call can return.
    public var batchCapacity: Int { capacity }

    public init(endpoints: [Endpoint], options: ReceiverOptions = ReceiverOptions()) throws(TransportError) {
        precondition(!endpoints.isEmpty && endpoints.count <= 64, "1…64 endpoints")
        slotSize = max(64, options.slotSize)
        capacity = max(1, min(options.batch, Int(RH_MAX_BATCH)))
        var fds: [Int32] = []
        var ports: [UInt16] = []
        func closeAll() { for fd in fds { close(fd) } }
        for endpoint in endpoints {
            let v6 = endpoint.address.isV6
            var address = endpoint.address.networkBytes
            let fd = address.withUnsafeMutableBufferPointer {
                rh_udp_bind(v6 ? 6 : 4, $0.baseAddress, endpoint.port, Int32(options.receiveBuffer))
            }
            if fd < 0 { closeAll(); throw TransportError(.bind, endpoint.description, code: -fd) }
            fds.append(fd)
            if endpoint.address.isMulticast {
                var interface = options.multicastInterface?.networkBytes ?? [0, 0, 0, 0]
                var source = options.multicastSource?.networkBytes ?? []
                let r = address.withUnsafeMutableBufferPointer { g in
                    interface.withUnsafeMutableBufferPointer { i in
                        source.withUnsafeMutableBufferPointer { s in
                            rh_udp_join(fd, v6 ? 6 : 4, g.baseAddress, i.baseAddress, Int32(options.multicastInterfaceIndex),
                                        options.multicastSource == nil ? nil : UnsafePointer(s.baseAddress))
                        }
                    }
                }
                if r < 0 { closeAll(); throw TransportError(.join, endpoint.description, code: -r) }
            }
            ports.append(UInt16(truncatingIfNeeded: rh_local_port(fd)))
        }
        self.endpoints = endpoints
        descriptors = fds
        boundPorts = ports
        Self.awaitKernelTimestamping()
        buffer = UnsafeMutableRawPointer.allocate(byteCount: slotSize * capacity, alignment: 64)
        info = UnsafeMutablePointer<rh_received>.allocate(capacity: capacity)
    }

    /// The kernel turns receive timestamping on for the whole stack lazily (a deferred static-key
    /// switch after the first SO_TIMESTAMPNS socket appears); datagrams that arrive before it is on are
    /// stamped when read, not when they arrived. The first receiver of a process waits for it once.
    /// (It is switched off the same lazy way when the last such socket closes, so every receiver waits.)
    private static func awaitKernelTimestamping() { usleep(20_000) }

    deinit {
        for fd in descriptors { close(fd) }
        buffer.deallocate()
        info.deallocate()
    }

    /// Waits up to `timeoutMilliseconds` for datagrams on any endpoint and receives a batch.
    /// Returns how many arrived (0 on timeout); read them with ``datagram(at:)``.
    @inline(__always)
    public func receive(timeoutMilliseconds: Int) throws(TransportError) -> Int {
        try receive(timeoutNanoseconds: Int64(timeoutMilliseconds) * 1_000_000)
    }

    /// As ``receive(timeoutMilliseconds:)``, with a nanosecond timeout (0: only what is already there).
    @inline(__always)
    public func receive(timeoutNanoseconds: Int64) throws(TransportError) -> Int {
        let n = descriptors.withUnsafeBufferPointer { fds in
            rh_recv_many(fds.baseAddress, Int32(fds.count), buffer.assumingMemoryBound(to: UInt8.self),
                         UInt32(slotSize), info, UInt32(capacity), timeoutNanoseconds)
        }
        if n < 0 {
            received = 0
            throw TransportError(.receive, endpoints.map(\.description).joined(separator: ","), code: -n)
        }
        received = Int(n)
        return received
    }

    /// The `index`-th datagram of the last ``receive(timeoutMilliseconds:)``, or nil when out of range.
    @inline(__always)
    public func datagram(at index: Int) -> ReceivedDatagram? {
        guard index >= 0, index < received else { return nil }
        let r = info[index]
        let length = Int(r.length)
        let kept = min(length, slotSize)
        let source = withUnsafeBytes(of: r.source) { raw in
            IPAddress(networkBytes: UnsafeRawBufferPointer(rebasing: raw[0..<(r.family == 6 ? 16 : 4)]))
        } ?? .zero
        return ReceivedDatagram(
            payload: ByteView(unsafeStart: buffer + index * slotSize, count: kept), length: length,
            truncated: r.truncated != 0, endpointIndex: Int(r.socket_index), kernelTime: r.kernel_ns,
            source: Endpoint(address: source, port: r.source_port), kernelDrops: r.drops)
    }
}

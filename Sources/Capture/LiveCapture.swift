import Vocabulary
#if canImport(Glibc)
import Glibc
#endif
import CPcap

/// Why a live capture could not start or went on failing, naming the interface.
public struct LiveCaptureError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable { case noSuchInterface, permission, filter, failed }
    public let kind: Kind
    public let interface: String
    public let reason: String
    public var description: String {
        switch kind {
        case .noSuchInterface: "capture interface \(interface): no such interface (\(reason))"
        case .permission: "capture interface \(interface): not permitted (\(reason)); run as root or grant CAP_NET_RAW"
        case .filter: "capture interface \(interface): \(reason)"
        case .failed: "capture interface \(interface): \(reason)"
        }
    }
}

/// One packet from a live capture; its bytes are valid until the next ``LiveCapture/next()``.
public struct LivePacket {
    public let data: ByteView
    public let originalLength: Int
    /// Capture time, ns since 1970 (the kernel's, at nanosecond precision when available).
    public let timestamp: Int64
}

/// A libpcap live capture on an interface with a BPF filter, in immediate mode (no batching delay)
/// with nanosecond timestamps. Receive from one thread at a time.
/// `@unchecked Sendable`: the libpcap handle is used by one receiving thread at a time (the watcher's); other threads only read immutable configuration.
public final class LiveCapture: @unchecked Sendable {
    public let interface: String
    public let linkType: LinkType
    private let handle: OpaquePointer
    private let nanosecond: Bool
    private let selectable: Int32
    private let timeoutMilliseconds: Int32

    /// Opens `interface` and applies `filter`.
    /// - Parameters:
    ///   - bufferBytes: the kernel capture buffer (a burst larger than it is dropped and counted).
    ///   - timeoutMilliseconds: how long ``next()`` waits for a packet before returning nil.
    public init(interface: String, filter: String, snapLength: Int32 = 65_535, bufferBytes: Int32 = 64 << 20,
                timeoutMilliseconds: Int32 = 50) throws(LiveCaptureError) {
        self.interface = interface
        var errors = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE) + 1)
        guard let h = pcap_create(interface, &errors) else {
            throw LiveCaptureError(kind: .failed, interface: interface, reason: String(decoding: errors.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        pcap_set_snaplen(h, snapLength)
        pcap_set_promisc(h, 0)
        pcap_set_immediate_mode(h, 1)
        pcap_set_buffer_size(h, bufferBytes)
        pcap_set_timeout(h, timeoutMilliseconds)
        let nano = pcap_set_tstamp_precision(h, Int32(PCAP_TSTAMP_PRECISION_NANO)) == 0
        let status = pcap_activate(h)
        if status < 0 {
            let reason = String(cString: pcap_geterr(h))
            pcap_close(h)
            let kind: LiveCaptureError.Kind = switch status {
            case PCAP_ERROR_NO_SUCH_DEVICE: .noSuchInterface
            case PCAP_ERROR_PERM_DENIED: .permission
            default: .failed
            }
            throw LiveCaptureError(kind: kind, interface: interface, reason: reason.isEmpty ? "pcap_activate \(status)" : reason)
        }
        var program = bpf_program()
        if pcap_compile(h, &program, filter, 1, PCAP_NETMASK_UNKNOWN) != 0 {
            let reason = String(cString: pcap_geterr(h))
            pcap_close(h)
            throw LiveCaptureError(kind: .filter, interface: interface, reason: "invalid filter \"\(filter)\": \(reason)")
        }
        defer { pcap_freecode(&program) }
        if pcap_setfilter(h, &program) != 0 {
            let reason = String(cString: pcap_geterr(h))
            pcap_close(h)
            throw LiveCaptureError(kind: .filter, interface: interface, reason: "cannot apply filter \"\(filter)\": \(reason)")
        }
        // Non-blocking reads with our own poll: a blocked read would not see a stop request.
        if pcap_setnonblock(h, 1, &errors) != 0 || pcap_get_selectable_fd(h) < 0 {
            pcap_close(h)
            throw LiveCaptureError(kind: .failed, interface: interface, reason: "cannot poll this capture")
        }
        selectable = pcap_get_selectable_fd(h)
        self.timeoutMilliseconds = timeoutMilliseconds
        handle = h
        nanosecond = nano && pcap_get_tstamp_precision(h) == Int32(PCAP_TSTAMP_PRECISION_NANO)
        linkType = LinkType(rawValue: UInt32(bitPattern: pcap_datalink(h)) == UInt32(bitPattern: DLT_RAW) ? 101 : UInt32(bitPattern: pcap_datalink(h)))
    }

    deinit { pcap_close(handle) }

    /// The next packet, or nil when none came within `waitMilliseconds` (default: the capture's timeout;
    /// 0 = only what is already buffered).
    public func next(waitMilliseconds: Int32? = nil) throws(LiveCaptureError) -> LivePacket? {
        if let p = try read() { return p }
        let wait = waitMilliseconds ?? timeoutMilliseconds
        guard wait > 0 else { return nil }
        var descriptor = pollfd(fd: selectable, events: Int16(POLLIN), revents: 0)
        guard poll(&descriptor, 1, wait) > 0 else { return nil }
        return try read()
    }

    private func read() throws(LiveCaptureError) -> LivePacket? {
        var header: UnsafeMutablePointer<pcap_pkthdr>?
        var data: UnsafePointer<UInt8>?
        switch pcap_next_ex(handle, &header, &data) {
        case 1:
            guard let header, let data else { return nil }
            let h = header.pointee
            let fraction = Int64(h.ts.tv_usec) * (nanosecond ? 1 : 1_000)
            return LivePacket(data: ByteView(unsafeStart: UnsafeRawPointer(data), count: Int(h.caplen)),
                              originalLength: Int(h.len), timestamp: Int64(h.ts.tv_sec) * 1_000_000_000 + fraction)
        case 0:
            return nil
        default:
            throw LiveCaptureError(kind: .failed, interface: interface, reason: String(cString: pcap_geterr(handle)))
        }
    }

    /// Packets the kernel dropped because this capture's buffer was full, and packets the interface dropped.
    public var drops: (buffer: UInt64, interface: UInt64) {
        var s = pcap_stat()
        guard pcap_stats(handle, &s) == 0 else { return (0, 0) }
        return (UInt64(s.ps_drop), UInt64(s.ps_ifdrop))
    }
}

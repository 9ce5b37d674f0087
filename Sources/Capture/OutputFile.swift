import Vocabulary
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CShims

/// Why a capture could not be written: names the path and the system's reason.
public struct CaptureWriteError: Error, Sendable, CustomStringConvertible {
    public let path: String
    public let detail: String
    public init(path: String, _ detail: String) {
        self.path = path
        self.detail = detail
    }
    public var description: String { "\(path): \(detail)" }
}

/// A buffered output file, optionally gzip-compressed. Writes go through a 1 MiB buffer.
final class OutputFile {
    let path: String
    private var fd: Int32
    private var buffer: UnsafeMutableRawPointer
    private var used = 0
    private let capacity = 1 << 20
    private var deflater: OpaquePointer?
    private var compressed: UnsafeMutableRawPointer?
    private(set) var bytesWritten = 0

    init(path: String, gzip: Bool) throws(CaptureWriteError) {
        self.path = path
        let fd = path == "-" ? dup(1) : open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw CaptureWriteError(path: path, "cannot create: \(String(cString: strerror(errno)))") }
        self.fd = fd
        buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 64)
        if gzip {
            guard let z = rh_deflate_create(1, 31) else {
                Glibc.close(fd)
                buffer.deallocate()
                throw CaptureWriteError(path: path, "cannot start zlib")
            }
            deflater = z
            compressed = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 64)
        }
    }

    deinit {
        buffer.deallocate()
        compressed?.deallocate()
        if let deflater { rh_deflate_destroy(deflater) }
        if fd >= 0 { Glibc.close(fd) }
    }

    /// Reserves `count` contiguous bytes in the buffer and lets `body` fill them.
    @inline(__always)
    func append(_ count: Int, _ body: (UnsafeMutableRawPointer) -> Void) throws(CaptureWriteError) {
        if used + count > capacity { try flush() }
        if count > capacity {
            let temporary = UnsafeMutableRawPointer.allocate(byteCount: count, alignment: 8)
            defer { temporary.deallocate() }
            body(temporary)
            try emit(UnsafeRawPointer(temporary), count)
            return
        }
        body(buffer + used)
        used += count
    }

    func flush() throws(CaptureWriteError) {
        if used > 0 { try emit(UnsafeRawPointer(buffer), used) }
        used = 0
    }

    func close() throws(CaptureWriteError) {
        try flush()
        if let deflater {
            try deflate(deflater, nil, 0, finish: true)
        }
        guard fd >= 0 else { return }
        let rc = Glibc.close(fd)
        fd = -1
        if rc != 0 { throw CaptureWriteError(path: path, "close failed: \(String(cString: strerror(errno)))") }
    }

    private func emit(_ bytes: UnsafeRawPointer, _ count: Int) throws(CaptureWriteError) {
        bytesWritten += count
        if let deflater { try deflate(deflater, bytes, count, finish: false) } else { try writeAll(bytes, count) }
    }

    private func deflate(_ z: OpaquePointer, _ bytes: UnsafeRawPointer?, _ count: Int, finish: Bool) throws(CaptureWriteError) {
        var offset = 0
        while true {
            var inUsed = 0, outUsed = 0
            let rc = rh_deflate_step(z, bytes.map { $0 + offset }, count - offset, &inUsed, compressed!, capacity, &outUsed, finish ? 1 : 0)
            offset += inUsed
            if outUsed > 0 { try writeAll(UnsafeRawPointer(compressed!), outUsed) }
            if rc == RH_Z_STREAM_END { return }
            if rc != RH_Z_OK && rc != RH_Z_BUF_ERROR { throw CaptureWriteError(path: path, "zlib deflate error \(rc)") }
            if !finish && offset == count && outUsed < capacity { return }
        }
    }

    private func writeAll(_ bytes: UnsafeRawPointer, _ count: Int) throws(CaptureWriteError) {
        var done = 0
        while done < count {
            let n = write(fd, bytes + done, count - done)
            if n < 0 {
                if errno == EINTR { continue }
                throw CaptureWriteError(path: path, "write failed: \(String(cString: strerror(errno)))")
            }
            done += n
        }
    }
}

extension UnsafeMutableRawPointer {
    @inline(__always) func put16(_ v: UInt16, _ at: Int, _ big: Bool) { storeBytes(of: big ? v.bigEndian : v.littleEndian, toByteOffset: at, as: UInt16.self) }
    @inline(__always) func put32(_ v: UInt32, _ at: Int, _ big: Bool) { storeBytes(of: big ? v.bigEndian : v.littleEndian, toByteOffset: at, as: UInt32.self) }
    @inline(__always) func put64(_ v: UInt64, _ at: Int, _ big: Bool) { storeBytes(of: big ? v.bigEndian : v.littleEndian, toByteOffset: at, as: UInt64.self) }
}

import Vocabulary
import CShims

/// Inflates small self-contained zlib (or raw deflate) blocks — e.g. compressed OMD-D message blocks —
/// into an internal buffer, reusing its zlib state: no allocation per call once warmed up.
///
/// The returned view is valid until the next call. Not thread-safe.
public final class ZlibInflater {
    private var zlib: OpaquePointer?
    private var raw: OpaquePointer?
    private var output: UnsafeMutableRawPointer
    private var capacity: Int
    /// The largest output accepted; larger blocks are reported as failures (never unbounded growth).
    public let maximumOutput: Int

    public init(initialCapacity: Int = 64 << 10, maximumOutput: Int = 4 << 20) {
        capacity = initialCapacity
        self.maximumOutput = maximumOutput
        output = UnsafeMutableRawPointer.allocate(byteCount: initialCapacity, alignment: 16)
    }

    deinit {
        output.deallocate()
        if let zlib { rh_inflate_destroy(zlib) }
        if let raw { rh_inflate_destroy(raw) }
    }

    /// Inflates `input` (zlib format, or raw deflate when it has no zlib header).
    /// Returns nil for corrupt or incomplete data, or output beyond ``maximumOutput``.
    public func inflate(_ input: ByteView) -> ByteView? {
        if zlib == nil { zlib = rh_inflate_create(15) }
        if let z = zlib, let result = run(z, input) { return result }
        if raw == nil { raw = rh_inflate_create(-15) }
        if let z = raw, let result = run(z, input) { return result }
        return nil
    }

    private func run(_ z: OpaquePointer, _ input: ByteView) -> ByteView? {
        while true {
            guard rh_inflate_reset(z) == RH_Z_OK else { return nil }
            var used = 0, made = 0
            let rc = input.withUnsafeBytes { bytes in
                rh_inflate_step(z, bytes.baseAddress, bytes.count, &used, output, capacity, &made)
            }
            if rc == RH_Z_STREAM_END { return ByteView(unsafeStart: UnsafeRawPointer(output), count: made) }
            // Output full: grow and retry from the start (blocks are small; this is rare).
            if (rc == RH_Z_OK || rc == RH_Z_BUF_ERROR) && made == capacity && capacity < maximumOutput {
                output.deallocate()
                capacity = min(capacity * 2, maximumOutput)
                output = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
                continue
            }
            return nil
        }
    }

    /// Compresses `bytes` with zlib (for tests and the generator; allocates).
    public static func deflate(_ bytes: [UInt8], level: Int32 = 6) -> [UInt8] { Zlib.deflate(bytes, level: level) }
}

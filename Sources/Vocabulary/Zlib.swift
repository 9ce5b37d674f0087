import CShims

/// One-shot zlib (RFC 1950) compression of small buffers: the HdrHistogram wire encoding and tests.
/// Streams and the hot paths use `rh_zstream` through their own wrappers.
public enum Zlib {
    /// `bytes` compressed in the zlib format at `level` (0–9); empty when zlib cannot start.
    public static func deflate(_ bytes: [UInt8], level: Int32 = 6) -> [UInt8] {
        guard let z = rh_deflate_create(level, 15) else { return [] }
        defer { rh_deflate_destroy(z) }
        var out = [UInt8](repeating: 0, count: bytes.count + bytes.count / 8 + 64)
        var used = 0, made = 0
        let capacity = out.count
        _ = bytes.withUnsafeBytes { input in
            out.withUnsafeMutableBytes { o in
                rh_deflate_step(z, input.baseAddress, input.count, &used, o.baseAddress, capacity, &made, 1)
            }
        }
        return Array(out.prefix(made))
    }

    /// A complete zlib stream inflated, or nil when it is corrupt, incomplete or would exceed `maximum`
    /// bytes.
    public static func inflate(_ bytes: [UInt8], maximum: Int = 64 << 20) -> [UInt8]? {
        guard let z = rh_inflate_create(15) else { return nil }
        defer { rh_inflate_destroy(z) }
        var capacity = max(1_024, bytes.count * 4)
        while true {
            var out = [UInt8](repeating: 0, count: capacity)
            var used = 0, made = 0
            guard rh_inflate_reset(z) == RH_Z_OK else { return nil }
            let size = out.count
            let rc = bytes.withUnsafeBytes { input in
                out.withUnsafeMutableBytes { o in rh_inflate_step(z, input.baseAddress, input.count, &used, o.baseAddress, size, &made) }
            }
            if rc == RH_Z_STREAM_END { return Array(out.prefix(made)) }
            guard (rc == RH_Z_OK || rc == RH_Z_BUF_ERROR) && made == capacity && capacity < maximum else { return nil }
            capacity = min(capacity * 4, maximum)
        }
    }
}

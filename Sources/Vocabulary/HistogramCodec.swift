import Foundation
import Histogram

/// Why an encoded histogram could not be read.
public struct HistogramCodecError: Error, CustomStringConvertible, Equatable {
    public var description: String
    public init(description: String) { self.description = description }
}

/// The HdrHistogram wire format, V2 (as HdrHistogram's Java, C and Python implementations write and
/// read it): a 40-byte big-endian header (cookie 0x1c849313, payload length, normalizing index offset,
/// significant digits, lowest discernible value, highest trackable value, integer-to-double ratio),
/// then the counts by bucket index as ZigZag LEB128 varints with runs of zeros written as one negative
/// count; compressed, that is zlib-deflated behind an 8-byte header (cookie 0x1c849314, length), and in
/// logs base64. A whole histogram kept this way takes a few kilobytes and merges exactly. What the
/// format does not carry is the exact max and min: decoded, they are their buckets' equivalents.
extension Histogram where Count == UInt64 {
    static var encodingCookie: UInt32 { 0x1c84_9313 }
    static var compressedCookie: UInt32 { 0x1c84_9314 }

    /// The index layout, from the histogram's own parameters (HdrHistogram's arithmetic).
    struct Layout {
        let unitMagnitude: Int
        let subBucketHalfCountMagnitude: Int
        let subBucketHalfCount: Int
        let subBucketMask: UInt64
        let leadingZeroCountBase: Int

        init(lowest: UInt64, digits: Int) {
            unitMagnitude = 63 - Swift.max(1, lowest).leadingZeroBitCount          // floor(log2(lowest))
            var largest: UInt64 = 2
            for _ in 0..<digits { largest *= 10 }
            let magnitude = 64 - (largest - 1).leadingZeroBitCount                  // ceil(log2(largest))
            subBucketHalfCountMagnitude = (magnitude > 1 ? magnitude : 1) - 1
            subBucketHalfCount = 1 << subBucketHalfCountMagnitude
            subBucketMask = UInt64((1 << (subBucketHalfCountMagnitude + 1)) - 1) << UInt64(unitMagnitude)
            leadingZeroCountBase = 64 - unitMagnitude - subBucketHalfCountMagnitude - 1
        }

        func index(_ value: UInt64) -> Int {
            let bucket = leadingZeroCountBase - (value | subBucketMask).leadingZeroBitCount
            let subBucket = Int(value >> UInt64(bucket + unitMagnitude))
            return ((bucket + 1) << subBucketHalfCountMagnitude) + subBucket - subBucketHalfCount
        }

        func value(_ index: Int) -> UInt64 {
            var bucket = (index >> subBucketHalfCountMagnitude) - 1
            var subBucket = (index & (subBucketHalfCount - 1)) + subBucketHalfCount
            if bucket < 0 {
                subBucket -= subBucketHalfCount
                bucket = 0
            }
            return UInt64(subBucket) << UInt64(bucket + unitMagnitude)
        }
    }

    var layout: Layout { Layout(lowest: lowestDiscernibleValue, digits: Int(numberOfSignificantValueDigits.rawValue)) }

    /// The V2 encoding's header fields.
    struct Header {
        var digits: UInt32, lowest: UInt64, highest: UInt64
        /// A latency histogram's (``latency(ceiling:)`` with the default ceiling).
        static var latency: Header { Header(digits: 3, lowest: 1, highest: Histogram<UInt64>.latencyCeiling) }
    }
    var header: Header { Header(digits: UInt32(numberOfSignificantValueDigits.rawValue), lowest: lowestDiscernibleValue, highest: highestTrackableValue) }

    /// The V2 encoding, uncompressed: the counts by index up to the highest recorded, each zero run
    /// as one negative count (a single zero as 0).
    public func encodedV2() -> [UInt8] {
        let h = header
        return Self.encodeV2(payload: SortedBuckets(self).payload, digits: h.digits, lowest: h.lowest, highest: h.highest)
    }

    /// The V2 header (40 bytes) before a payload of counts.
    static func encodeV2(payload: [UInt8], digits: UInt32, lowest: UInt64, highest: UInt64) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(40 + payload.count)
        Self.put(Self.encodingCookie, into: &out)
        Self.put(UInt32(payload.count), into: &out)
        Self.put(UInt32(0), into: &out)
        Self.put(digits, into: &out)
        Self.put(lowest, into: &out)
        Self.put(highest, into: &out)
        Self.put((1.0 as Double).bitPattern, into: &out)
        return out + payload
    }

    /// The V2 compressed encoding of a payload of counts with its header.
    static func compressV2(payload: [UInt8], digits: UInt32, lowest: UInt64, highest: UInt64) -> [UInt8] {
        compress(encodeV2(payload: payload, digits: digits, lowest: lowest, highest: highest))
    }

    static func compress(_ encoded: [UInt8]) -> [UInt8] {
        let compressed = Zlib.deflate(encoded)
        var out: [UInt8] = []
        Self.put(Self.compressedCookie, into: &out)
        Self.put(UInt32(compressed.count), into: &out)
        return out + compressed
    }

    /// The V2 compressed encoding (what interval logs carry, base64'd).
    public func encodedV2Compressed() -> [UInt8] { Self.compress(encodedV2()) }

    /// The V2 compressed encoding in base64: an interval log's histogram field.
    public var base64V2Compressed: String { Data(encodedV2Compressed()).base64EncodedString() }

    /// Reads a V2 compressed encoding in base64 (HdrHistogram's own tools write the same).
    public static func decodeBase64V2Compressed(_ text: String) throws(HistogramCodecError) -> Histogram<UInt64> {
        guard let data = Data(base64Encoded: text.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw HistogramCodecError(description: "not base64")
        }
        return try decodeV2Compressed([UInt8](data))
    }

    /// Reads a V2 compressed encoding.
    public static func decodeV2Compressed(_ bytes: [UInt8]) throws(HistogramCodecError) -> Histogram<UInt64> {
        guard bytes.count >= 8, get32(bytes, 0) == compressedCookie else {
            throw HistogramCodecError(description: "not an HdrHistogram V2 compressed encoding (cookie)")
        }
        let length = Int(get32(bytes, 4))
        guard length == bytes.count - 8 else {
            throw HistogramCodecError(description: "compressed length \(length) but \(bytes.count - 8) bytes follow")
        }
        guard let plain = Zlib.inflate(Array(bytes[8...])) else { throw HistogramCodecError(description: "corrupt zlib data") }
        return try decodeV2(plain)
    }

    /// Reads a V2 encoding (uncompressed).
    public static func decodeV2(_ bytes: [UInt8]) throws(HistogramCodecError) -> Histogram<UInt64> {
        guard bytes.count >= 40, get32(bytes, 0) == encodingCookie else {
            throw HistogramCodecError(description: "not an HdrHistogram V2 encoding (cookie)")
        }
        let payloadLength = Int(get32(bytes, 4))
        guard payloadLength <= bytes.count - 40 else { throw HistogramCodecError(description: "payload length \(payloadLength) beyond the data") }
        guard get32(bytes, 8) == 0 else { throw HistogramCodecError(description: "a normalizing index offset is not supported") }
        guard let digits = SignificantDigits(rawValue: Int8(clamping: get32(bytes, 12))) else {
            throw HistogramCodecError(description: "significant digits \(get32(bytes, 12)) out of range")
        }
        let lowest = get64(bytes, 16), highest = get64(bytes, 24)
        guard lowest >= 1, highest >= 2 * lowest else { throw HistogramCodecError(description: "trackable range \(lowest)…\(highest) invalid") }
        var h = Histogram<UInt64>(lowestDiscernibleValue: lowest, highestTrackableValue: highest, numberOfSignificantValueDigits: digits)
        let layout = h.layout
        var offset = 40, index = 0
        let end = 40 + payloadLength
        while offset < end {
            guard let (value, next) = getZigZag(bytes, offset, end) else { throw HistogramCodecError(description: "truncated varint at byte \(offset)") }
            offset = next
            if value < 0 {
                index += Int(-value)
            } else {
                if value > 0 {
                    // The bucket's highest equivalent value, as HdrHistogram's decoders restore the max: `max`
                    // and the percentiles come back as before; `maxRecorded`, once exact, is now the bucket's top.
                    let v = h.highestEquivalentForValue(layout.value(index))
                    guard v <= highest, h.record(v, count: UInt64(value)) else {
                        throw HistogramCodecError(description: "a count at index \(index) is beyond the histogram's range")
                    }
                }
                index += 1
            }
        }
        return h
    }

    static func put(_ v: UInt32, into out: inout [UInt8]) {
        for shift in stride(from: 24, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: v >> UInt32(shift))) }
    }

    static func put(_ v: UInt64, into out: inout [UInt8]) {
        for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: v >> UInt64(shift))) }
    }

    /// ZigZag, then LEB128 with at most 9 bytes (the ninth carries 8 bits), as HdrHistogram's ZigZagEncoding.
    static func putZigZag(_ n: Int64, into out: inout [UInt8]) {
        var v = UInt64(bitPattern: (n << 1) ^ (n >> 63))
        for _ in 0..<8 {
            if v < 0x80 {
                out.append(UInt8(v))
                return
            }
            out.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        out.append(UInt8(truncatingIfNeeded: v))
    }

    static func getZigZag(_ bytes: [UInt8], _ start: Int, _ end: Int) -> (Int64, Int)? {
        var v: UInt64 = 0
        var offset = start
        for i in 0..<9 {
            guard offset < end else { return nil }
            let b = UInt64(bytes[offset])
            offset += 1
            if i == 8 {
                v |= b << 56
                break
            }
            v |= (b & 0x7F) << UInt64(7 * i)
            if b & 0x80 == 0 { break }
        }
        return (Int64(bitPattern: v >> 1) ^ -Int64(bitPattern: v & 1), offset)
    }

    static func get32(_ b: [UInt8], _ at: Int) -> UInt32 {
        (0..<4).reduce(UInt32(0)) { $0 << 8 | UInt32(b[at + $1]) }
    }

    static func get64(_ b: [UInt8], _ at: Int) -> UInt64 {
        (0..<8).reduce(UInt64(0)) { $0 << 8 | UInt64(b[at + $1]) }
    }
}

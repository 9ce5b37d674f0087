import Vocabulary
import Capture

/// Why bytes are not a FIX message.
public enum FIXFramingError: String, Sendable, Codable, CaseIterable {
    /// Does not start with `8=FIX` (or `8=FIXT`) and an SOH.
    case badBeginString
    /// Tag 9 missing, not second, not digits, or absurd (over 1 MB).
    case badBodyLength
    /// `10=` is not where BodyLength says, or is not three digits and an SOH.
    case badChecksumField
    /// The CheckSum does not match the bytes (sum of every byte before `10=`, mod 256).
    case checksumMismatch
}

/// The outcome of looking for a FIX message at the start of some bytes.
public enum FIXFrame: Equatable, Sendable {
    /// A complete, valid message of this many bytes.
    case message(length: Int)
    /// The bytes so far are a valid beginning; more are needed.
    case needMore
    /// Not a valid message. `skip` bytes can be dropped before looking again (to the next `8=FIX`,
    /// or all of them when none follows).
    case invalid(FIXFramingError, skip: Int)
}

/// FIX tag=value framing: BeginString (8) first, BodyLength (9) second, counting from after 9='s SOH up
/// to and including the SOH before 10=; CheckSum (10) last, three digits, the sum of every byte
/// before `10=` mod 256 (../shared/formats/fix.md).
public enum FIXFramer {
    public static let soh: UInt8 = 0x01
    /// Longest BodyLength accepted.
    public static let maximumBodyLength = 1 << 20

    /// Examines the bytes at the start of `bytes`.
    @inlinable
    public static func frame(_ bytes: ByteView) -> FIXFrame {
        // "8=FIX" prefix (FIX.4.x and FIXT.1.1).
        let prefix: [UInt8] = [0x38, 0x3D, 0x46, 0x49, 0x58]  // 8=FIX
        for i in 0..<5 {
            guard let b = bytes.getUInt8(at: i) else { return isPrefix(bytes, of: prefix) ? .needMore : invalid(.badBeginString, bytes) }
            if b != prefix[i] { return invalid(.badBeginString, bytes) }
        }
        // End of BeginString.
        var i = 5
        while true {
            guard let b = bytes.getUInt8(at: i) else { return i > 32 ? invalid(.badBeginString, bytes) : .needMore }
            if b == soh { break }
            if i > 32 || b < 0x20 { return invalid(.badBeginString, bytes) }
            i += 1
        }
        i += 1
        // 9=digits SOH
        guard let n9 = bytes.getUInt8(at: i) else { return .needMore }
        guard n9 == 0x39 else { return invalid(.badBodyLength, bytes) }
        guard let eq = bytes.getUInt8(at: i + 1) else { return .needMore }
        guard eq == 0x3D else { return invalid(.badBodyLength, bytes) }
        i += 2
        var bodyLength = 0
        var digits = 0
        while true {
            guard let b = bytes.getUInt8(at: i) else { return .needMore }
            if b == soh { break }
            guard b >= 0x30, b <= 0x39, digits < 8 else { return invalid(.badBodyLength, bytes) }
            bodyLength = bodyLength * 10 + Int(b - 0x30)
            digits += 1
            i += 1
        }
        guard digits > 0, bodyLength <= maximumBodyLength else { return invalid(.badBodyLength, bytes) }
        let bodyStart = i + 1
        let checksumAt = bodyStart + bodyLength
        let total = checksumAt + 7
        guard bytes.count >= total else { return .needMore }
        guard bytes.getUInt8(at: checksumAt) == 0x31, bytes.getUInt8(at: checksumAt + 1) == 0x30,
              bytes.getUInt8(at: checksumAt + 2) == 0x3D, bytes.getUInt8(at: checksumAt - 1) == soh,
              bytes.getUInt8(at: checksumAt + 6) == soh else { return invalid(.badChecksumField, bytes) }
        var declared = 0
        for k in 3..<6 {
            let d = bytes.getUInt8(at: checksumAt + k)!
            guard d >= 0x30, d <= 0x39 else { return invalid(.badChecksumField, bytes) }
            declared = declared * 10 + Int(d - 0x30)
        }
        let sum = bytes.withUnsafeBytes { raw -> Int in
            var s: UInt = 0
            for k in 0..<checksumAt { s &+= UInt(raw[k]) }
            return Int(s & 0xFF)
        }
        guard sum == declared else { return invalid(.checksumMismatch, bytes) }
        return .message(length: total)
    }

    @usableFromInline
    static func isPrefix(_ bytes: ByteView, of prefix: [UInt8]) -> Bool {
        for i in 0..<bytes.count where bytes.getUInt8(at: i) != prefix[i] { return false }
        return true
    }

    /// `.invalid` with the distance to the next `8=FIX` after the first byte (or everything).
    @usableFromInline
    static func invalid(_ error: FIXFramingError, _ bytes: ByteView) -> FIXFrame {
        .invalid(error, skip: nextStart(bytes, after: 1) ?? bytes.count)
    }

    /// Offset of the next `8=FIX` at or after `start` (anywhere: after garbage a stream resumes at the next
    /// message; a false start inside a value is rejected by the length and checksum that follow).
    public static func nextStart(_ bytes: ByteView, after start: Int) -> Int? {
        var i = max(start, 0)
        while i + 5 <= bytes.count {
            if bytes.getUInt8(at: i) == 0x38, bytes.getUInt8(at: i + 1) == 0x3D, bytes.getUInt8(at: i + 2) == 0x46,
               bytes.getUInt8(at: i + 3) == 0x49, bytes.getUInt8(at: i + 4) == 0x58 {
                return i
            }
            i += 1
        }
        // A partial "8=FIX" at the very end may complete later: keep it.
        let tail = max(i, bytes.count - 4)
        for j in tail..<bytes.count where bytes.getUInt8(at: j) == 0x38 {
            if j >= start { return j }
        }
        return nil
    }
}

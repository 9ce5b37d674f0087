import Vocabulary
import Capture

/// One field of a FIX message: its tag and its value's bytes (a view into the message).
public struct FIXField {
    public let tag: Int
    public let value: ByteView
    @inlinable public init(tag: Int, value: ByteView) {
        self.tag = tag
        self.value = value
    }
}

/// A framed FIX message, read in place: fields by tag without copying.
public struct FIXMessage {
    /// The whole message, `8=` to the SOH after the checksum.
    public let bytes: ByteView

    /// Wraps bytes that ``FIXFramer/frame(_:)`` accepted as a message.
    public init(unchecked bytes: ByteView) { self.bytes = bytes }

    /// Fields in order.
    public var fields: FIXFields { FIXFields(bytes) }

    /// The value of the first field with `tag`, or nil.
    @inlinable
    public func value(_ tag: Int) -> ByteView? {
        var iterator = FIXFields(bytes)
        while let f = iterator.next() {
            if f.tag == tag { return f.value }
        }
        return nil
    }

    /// MsgType (35) as a string: "D", "8", "A", "AE"…
    public var messageType: String? { value(FIXTag.msgType).map(FIXMessage.string) }
    /// BeginString (8): "FIX.4.2", "FIX.4.4", "FIXT.1.1".
    public var beginString: String? { value(FIXTag.beginString).map(FIXMessage.string) }
    /// MsgSeqNum (34).
    public var sequenceNumber: Int? { value(FIXTag.msgSeqNum).flatMap(FIXMessage.integer) }

    /// The value as text.
    public static func string(_ v: ByteView) -> String {
        v.withUnsafeBytes { String(decoding: $0, as: UTF8.self) }
    }

    /// The value as a non-negative decimal integer (nil when not digits or too long).
    public static func integer(_ v: ByteView) -> Int? {
        guard v.count > 0, v.count <= 18 else { return nil }
        var n = 0
        for i in 0..<v.count {
            let d = v.getUInt8(at: i)!
            guard d >= 0x30, d <= 0x39 else { return nil }
            n = n * 10 + Int(d - 0x30)
        }
        return n
    }
}

/// Iterates `tag=value<SOH>` fields. Stops at the end or at the first malformed field.
public struct FIXFields: IteratorProtocol, Sequence {
    @usableFromInline let bytes: ByteView
    @usableFromInline var offset = 0
    /// True when iteration stopped at a malformed field (no `=`, a non-digit tag, no SOH).
    public var malformed: Bool { _malformed }
    @usableFromInline var _malformed = false

    @inlinable init(_ bytes: ByteView) { self.bytes = bytes }

    @inlinable
    public mutating func next() -> FIXField? {
        guard offset < bytes.count else { return nil }
        var tag = 0
        var i = offset
        while true {
            guard let b = bytes.getUInt8(at: i) else { _malformed = true; return nil }
            if b == 0x3D { break }
            guard b >= 0x30, b <= 0x39, i - offset < 9 else { _malformed = true; offset = bytes.count; return nil }
            tag = tag * 10 + Int(b - 0x30)
            i += 1
        }
        guard i > offset else { _malformed = true; offset = bytes.count; return nil }
        let valueStart = i + 1
        var j = valueStart
        while true {
            guard let b = bytes.getUInt8(at: j) else { _malformed = true; offset = bytes.count; return nil }
            if b == FIXFramer.soh { break }
            j += 1
        }
        offset = j + 1
        return FIXField(tag: tag, value: bytes.getSlice(at: valueStart, count: j - valueStart) ?? .empty)
    }
}

/// Builds FIX messages: BeginString, BodyLength and CheckSum are computed; the caller adds the
/// header and body fields in order.
public struct FIXWriter {
    public let beginString: String
    private var body: [UInt8] = []

    public init(beginString: String = "FIX.4.4") { self.beginString = beginString }

    /// Appends `tag=value<SOH>`.
    public mutating func add(_ tag: Int, _ value: String) {
        body.append(contentsOf: String(tag).utf8)
        body.append(0x3D)
        body.append(contentsOf: value.utf8)
        body.append(FIXFramer.soh)
    }

    public mutating func add(_ tag: Int, _ value: Int) { add(tag, String(value)) }

    /// The finished message bytes.
    public func message() -> [UInt8] {
        var out: [UInt8] = Array("8=\(beginString)\u{01}9=\(body.count)\u{01}".utf8)
        out += body
        let sum = out.reduce(0) { ($0 + Int($1)) & 0xFF }
        let digits = String(sum)
        out += Array("10=\(String(repeating: "0", count: 3 - digits.count))\(digits)\u{01}".utf8)
        return out
    }
}

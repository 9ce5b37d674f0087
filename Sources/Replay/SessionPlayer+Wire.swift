#if canImport(Glibc)
import Glibc
#endif
import Capture
import CShims
import Histogram
import OrderEntry
import Results
import Transport
import Vocabulary

/// A request rewritten before the run: MsgType field, the body after the standard header (ClOrdID and
/// OrigClOrdID mapped to this run), and the run's ClOrdID.
struct PreparedRequest {
    var type: [UInt8]
    var typeIndex: Int
    var body: [UInt8]
    var clOrdID: String?
}

extension SessionPlayer {
    static func prepare(_ m: CapturedFIXMessage, runID: String, typeIndex: (String) -> Int) -> PreparedRequest {
        var body: [UInt8] = []
        var clOrdID: String?
        m.bytes.withUnsafeBytes { raw in
            var it = FIXMessage(unchecked: ByteView(unsafeStart: raw.baseAddress, count: raw.count)).fields
            while let f = it.next() {
                switch f.tag {
                case _ where FIXTag.sessionHeader.contains(f.tag): continue
                case FIXTag.clOrdID, FIXTag.origClOrdID:
                    let mapped = "\(runID)-\(FIXMessage.string(f.value))"
                    if f.tag == FIXTag.clOrdID { clOrdID = mapped }
                    body += Array("\(f.tag)=\(mapped)\u{01}".utf8)
                default:
                    body += Array("\(f.tag)=".utf8)
                    f.value.withUnsafeBytes { body += $0 }
                    body.append(0x01)
                }
            }
        }
        return PreparedRequest(type: Array("35=\(m.messageType)\u{01}".utf8), typeIndex: typeIndex(m.messageType), body: body, clOrdID: clOrdID)
    }
}

/// SendingTime (52) text for the realtime clock, "YYYYMMDD-HH:MM:SS.sss" (FIX 4.2 on) or
/// "YYYYMMDD-HH:MM:SS" (FIX 4.0 and 4.1, which define no fraction): the date and time of day are
/// formatted once per second, the milliseconds per call.
struct SendingTimeClock {
    private var second: Int64 = -1
    private var prefix: [UInt8] = []

    /// Bytes of the field with its tag and SOH.
    static func fieldLength(milliseconds: Bool) -> Int { milliseconds ? 25 : 21 }

    /// Appends `52=…<SOH>` for now.
    mutating func append(to out: inout [UInt8], milliseconds: Bool = true) {
        let ns = Clock.realtime()
        let s = ns / 1_000_000_000
        if s != second {
            second = s
            let text = FIXTime.format(ns)
            prefix = Array("52=\(text.prefix(17))".utf8)
        }
        out += prefix
        if milliseconds {
            let ms = Int(ns / 1_000_000 % 1000)
            out.append(0x2E)
            out.append(UInt8(0x30 + ms / 100)); out.append(UInt8(0x30 + ms / 10 % 10)); out.append(UInt8(0x30 + ms % 10))
        }
        out.append(0x01)
    }
}

/// Appends a whole FIX message: BeginString, BodyLength, MsgType, CompIDs, MsgSeqNum, SendingTime, the
/// prepared body and the CheckSum — no intermediate strings.
func appendMessage(_ out: inout [UInt8], begin: [UInt8], type: [UInt8], compIDs: [UInt8], sequence: Int,
                   time: inout SendingTimeClock, milliseconds: Bool = true, body: [UInt8]) {
    // BodyLength: everything after "9=…<SOH>" up to the checksum; SendingTime is 25 bytes (21 without milliseconds).
    var digits = 1
    var v = sequence
    while v >= 10 { v /= 10; digits += 1 }
    let bodyLength = type.count + compIDs.count + 3 + digits + 1 + SendingTimeClock.fieldLength(milliseconds: milliseconds) + body.count
    let start = out.count
    out += begin
    out += [0x39, 0x3D]  // 9=
    appendDecimal(bodyLength, to: &out)
    out.append(0x01)
    out += type
    out += compIDs
    out += [0x33, 0x34, 0x3D]  // 34=
    appendDecimal(sequence, to: &out)
    out.append(0x01)
    time.append(to: &out, milliseconds: milliseconds)
    out += body
    var sum = 0
    for k in start..<out.count { sum &+= Int(out[k]) }
    let c = sum & 0xFF
    out += [0x31, 0x30, 0x3D, UInt8(0x30 + c / 100), UInt8(0x30 + c / 10 % 10), UInt8(0x30 + c % 10), 0x01]
}

@inline(__always)
func appendDecimal(_ value: Int, to out: inout [UInt8]) {
    if value >= 10 { appendDecimal(value / 10, to: &out) }
    out.append(UInt8(0x30 + value % 10))
}


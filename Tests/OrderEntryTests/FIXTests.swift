import Vocabulary
import Capture
import Foundation
import TestSupport
import Testing
@testable import OrderEntry


func newOrder(_ begin: String = "FIX.4.4", clOrdID: String = "ORD-1") -> [UInt8] {
    var w = FIXWriter(beginString: begin)
    w.add(35, "D"); w.add(49, "CLIENT"); w.add(56, "GATEWAY"); w.add(34, 7); w.add(52, "20260105-01:15:00.000")
    w.add(11, clOrdID); w.add(55, "HSIF6"); w.add(54, "1"); w.add(38, 2); w.add(44, "21500"); w.add(40, "2")
    return w.message()
}

@Suite("FIX framing and fields")
struct FIXTests {
    @Test("a message written by the writer frames exactly and its fields read back", arguments: ["FIX.4.2", "FIX.4.4", "FIXT.1.1"])
    func roundTrip(begin: String) {
        let bytes = newOrder(begin)
        withView(bytes) { v in
            #expect(FIXFramer.frame(v) == .message(length: bytes.count))
            let m = FIXMessage(unchecked: v)
            #expect(m.beginString == begin)
            #expect(m.messageType == "D")
            #expect(m.sequenceNumber == 7)
            #expect(m.value(11).map(FIXMessage.string) == "ORD-1")
            #expect(m.value(44).map(FIXMessage.string) == "21500")
            #expect(m.value(9999) == nil)
            var fields = m.fields
            var tags: [Int] = []
            while let f = fields.next() { tags.append(f.tag) }
            #expect(tags == [8, 9, 35, 49, 56, 34, 52, 11, 55, 54, 38, 44, 40, 10])
            #expect(!fields.malformed)
        }
        // The classic example's checksum: sum of bytes before "10=" mod 256, three digits.
        let text = String(decoding: bytes, as: UTF8.self)
        let before = text.components(separatedBy: "10=")[0]
        let sum = before.utf8.reduce(0) { ($0 + Int($1)) % 256 }
        #expect(text.hasSuffix("10=\(String(format: "%03d", sum))\u{01}"))
    }

    @Test("every proper prefix needs more; nothing is accepted early")
    func prefixes() {
        let bytes = newOrder()
        for n in 0..<bytes.count {
            withView(Array(bytes[0..<n])) { v in #expect(FIXFramer.frame(v) == .needMore, "prefix \(n)") }
        }
    }

    @Test("bad checksum, bad length, bad begin string: the error and how far to skip")
    func errors() {
        var bad = newOrder()
        bad[bad.count - 2] = bad[bad.count - 2] == 0x30 ? 0x31 : 0x30  // last checksum digit
        let good = newOrder(clOrdID: "ORD-2")
        withView(bad + good) { v in
            #expect(FIXFramer.frame(v) == .invalid(.checksumMismatch, skip: bad.count))
            let rest = v.getSlice(from: bad.count)!
            #expect(FIXFramer.frame(rest) == .message(length: good.count))
        }
        var longer = Array(String(decoding: newOrder(), as: UTF8.self).replacingOccurrences(of: "\u{01}9=", with: "\u{01}9=1").utf8)
        withView(longer) { v in
            if case .invalid = FIXFramer.frame(v) {} else if FIXFramer.frame(v) != .needMore { Issue.record("length +1000s accepted") }
        }
        longer = Array("8=FIX.4.4\u{01}9=12a\u{01}35=0\u{01}10=000\u{01}".utf8)
        withView(longer) { v in #expect(FIXFramer.frame(v) == .invalid(.badBodyLength, skip: longer.count)) }
        let garbage = Array("GET / HTTP/1.1\r\n".utf8) + good
        withView(garbage) { v in
            #expect(FIXFramer.frame(v) == .invalid(.badBeginString, skip: garbage.count - good.count))
        }
        let soh = Array("junk\u{01}".utf8) + good
        withView(soh) { v in #expect(FIXFramer.frame(v) == .invalid(.badBeginString, skip: 5)) }
        var misplaced = newOrder()
        misplaced[misplaced.count - 7] = 0x32  // "20=" instead of "10="
        withView(misplaced) { v in #expect(FIXFramer.frame(v) == .invalid(.badChecksumField, skip: misplaced.count)) }
    }

    @Test("malformed fields stop iteration and say so")
    func malformedFields() {
        let bytes = Array("8=FIX.4.4\u{01}35=D\u{01}x1=2\u{01}".utf8)
        withView(bytes) { v in
            var f = FIXMessage(unchecked: v).fields
            var n = 0
            while f.next() != nil { n += 1 }
            #expect(n == 2)
            #expect(f.malformed)
        }
    }
}

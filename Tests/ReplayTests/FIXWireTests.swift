import Foundation
@testable import Replay
import OrderEntry
import Testing
import Vocabulary

@Suite("the replay's FIX fast path writes each version's header")
struct FIXWireTests {
    @Test("SendingTime to the second for FIX 4.0/4.1, to the millisecond after; BodyLength and CheckSum right either way",
          arguments: ["FIX.4.0", "FIX.4.1", "FIX.4.2", "FIX.4.4", "FIXT.1.1"])
    func sendingTimePerVersion(version: String) {
        var clock = SendingTimeClock()
        var out: [UInt8] = []
        let milliseconds = FIXVersion.sendingTimeHasMilliseconds(version)
        appendMessage(&out, begin: Array("8=\(version)\u{01}".utf8), type: Array("35=D\u{01}".utf8), compIDs: Array("49=C\u{01}56=G\u{01}".utf8),
                      sequence: 42, time: &clock, milliseconds: milliseconds, body: Array("11=X1\u{01}".utf8))
        let text = String(decoding: out, as: UTF8.self)
        let fields = text.split(separator: "\u{01}").map { $0.split(separator: "=", maxSplits: 1).map(String.init) }
        let time = fields.first { $0.first == "52" }?.last ?? ""
        #expect(time.count == (milliseconds ? 21 : 17) && time.contains(".") == milliseconds, "\(version): \(time)")
        // BodyLength counts from after 9=…<SOH> up to 10=; CheckSum is the byte sum mod 256.
        let afterLength = text.range(of: "\u{01}", range: text.range(of: "9=")!.upperBound..<text.endIndex)!.upperBound
        let checksumStart = text.range(of: "\u{01}10=")!.lowerBound
        let bodyLength = text.utf8.distance(from: afterLength.samePosition(in: text.utf8)!, to: checksumStart.samePosition(in: text.utf8)!) + 1
        #expect(fields[1] == ["9", "\(bodyLength)"], "\(text)")
        let summed = out[..<(out.count - 7)].reduce(0) { ($0 + Int($1)) & 0xFF }
        #expect(fields.last == ["10", String(format3(summed))])
        out.withUnsafeBytes { raw in
            #expect(FIXFramer.frame(ByteView(unsafeStart: raw.baseAddress, count: raw.count)) == .message(length: out.count))
        }
    }

    private func format3(_ v: Int) -> String { String(repeating: "0", count: 3 - String(v).count) + String(v) }
}

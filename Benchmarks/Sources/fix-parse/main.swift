// fix-parse: FIX framing (BodyLength + CheckSum validation) and field access (MsgType, MsgSeqNum,
// ClOrdID, Symbol, Side, OrderQty, Price) over a buffer of New Order Singles, one core.
//   fix-parse [messages=1000000] [reps=7]     prints the median messages/s
import Vocabulary
import Capture
import Foundation
import OrderEntry

let arguments = CommandLine.arguments
let count = arguments.count > 1 ? Int(arguments[1])! : 1_000_000
let reps = arguments.count > 2 ? Int(arguments[2])! : 7
var stream: [UInt8] = []
for i in 0..<count {
    var w = FIXWriter(beginString: "FIX.4.4")
    w.add(35, "D"); w.add(49, "CLIENT1"); w.add(56, "HKATS"); w.add(34, i + 1); w.add(52, "20260105-01:15:00.123")
    w.add(11, "ORD-\(i)"); w.add(55, "HSIF6"); w.add(54, i & 1 == 0 ? "1" : "2"); w.add(38, 1 + i % 10); w.add(44, 21_400 + i % 200); w.add(40, "2")
    stream += w.message()
}
var rates: [Double] = []
var checksum = 0
stream.withUnsafeBytes { raw in
    let all = ByteView(unsafeStart: raw.baseAddress, count: raw.count)
    for _ in 0..<reps {
        let start = DispatchTime.now().uptimeNanoseconds
        var offset = 0
        var parsed = 0
        while offset < all.count {
            let rest = all.getSlice(from: offset)!
            guard case .message(let length) = FIXFramer.frame(rest) else { fatalError("framing") }
            let m = FIXMessage(unchecked: rest.prefix(length))
            var fields = m.fields
            // One pass: pick the fields an order needs.
            while let f = fields.next() {
                switch f.tag {
                case 35, 11, 55: checksum &+= f.value.count
                case 34, 38, 44: checksum &+= FIXMessage.integer(f.value) ?? 0
                case 54: checksum &+= Int(f.value.getUInt8(at: 0) ?? 0)
                default: break
                }
            }
            parsed += 1
            offset += length
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        rates.append(Double(parsed) / seconds)
    }
}
rates.sort()
print(String(format: "RESULT fix-parse %d messages (%.0f B avg): median %.2f M messages/s (min %.2f max %.2f, %d reps) [%d]",
             count, Double(stream.count) / Double(count), rates[rates.count / 2] / 1e6, rates.first! / 1e6, rates.last! / 1e6, reps, checksum & 1))

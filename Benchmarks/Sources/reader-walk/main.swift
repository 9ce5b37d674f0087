// reader-walk FILE [reps] [decode]: the Swift counterpart of ../shared/bench/c/pcapwalk.c — open the
// capture, walk every record with CaptureReader.forEachPacket(into:) and, as pcapwalk does, read the OMD
// header at its Ethernet/IPv4/UDP frame offset (MsgCount at 44, SeqNum at 46) and check sequence
// contiguity; time each rep in-process (open + walk) and print the median. With `decode`, every packet
// is decoded properly (link → IP → UDP, VLANs, options) before the OMD header is read.
import Vocabulary
import Capture
import Dispatch
import MarketData

struct Totals { var packets = 0, bytes = 0, gaps = 0; var sequenceSum: UInt64 = 0 }

struct Walker: PacketVisitor {
    let decode: Bool
    var t = Totals()
    var next: UInt32 = 0

    @inline(__always)
    mutating func visit(_ packet: CapturedPacket) -> Bool {
        t.packets &+= 1
        t.bytes &+= packet.capturedLength
        let count: UInt8, sequence: UInt32
        if decode {
            let decoded = PacketDecoder.decode(packet.data, linkType: packet.linkType)
            guard decoded.status == .transport, let omd = OMDPacket(decoded.payload) else { return true }
            count = UInt8(omd.messageCount)
            sequence = omd.sequenceNumber
        } else {
            guard packet.capturedLength >= 50, let c = packet.data.getUInt8(at: 44), let s = packet.data.getUInt32LE(at: 46) else { return true }
            count = c
            sequence = s
        }
        t.sequenceSum &+= UInt64(sequence)
        if next != 0 && sequence != next { t.gaps &+= 1 }
        next = sequence &+ UInt32(count)
        return true
    }
}

func walk(_ path: String, decode: Bool) throws(CaptureError) -> Totals {
    var reader = try CaptureReader.open(path)
    var walker = Walker(decode: decode)
    try reader.forEachPacket(into: &walker)
    return walker.t
}

func main() {
    let arguments = CommandLine.arguments
    guard arguments.count >= 2 else {
        print("usage: reader-walk FILE [reps] [decode]")
        return
    }
    let reps = arguments.count > 2 ? Int(arguments[2]) ?? 5 : 5
    let decode = arguments.count > 3 && arguments[3] == "decode"
    var rates: [Double] = []
    var last = Totals()
    for _ in 0..<reps {
        let start = DispatchTime.now().uptimeNanoseconds
        do { last = try walk(arguments[1], decode: decode) } catch {
            print("reader-walk: \(error)")
            return
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        rates.append(Double(last.packets) / seconds / 1e6)
    }
    rates.sort()
    let median = rates.count % 2 == 1 ? rates[rates.count / 2] : (rates[rates.count / 2 - 1] + rates[rates.count / 2]) / 2
    print("file=\(arguments[1]) pkts=\(last.packets) caplen_sum=\(last.bytes) seqsum=\(last.sequenceSum) seq_gaps=\(last.gaps)")
    print("RESULT swift reader walk\(decode ? " + decode" : "") Mpkt/s median=\(median) min=\(rates.first!) max=\(rates.last!) Mpkt/s (n=\(reps))")
}

main()

// reader-walk FILE [reps]: the Swift counterpart of ../shared/bench/c/pcapwalk.c — open, walk every
// record with CaptureReader, decode link/IP/UDP properly and read the OMD header (PktSize, MsgCount,
// SeqNum), count gaps; time each rep in-process and print the median, as pcapwalk does.
import Capture
import Dispatch
import MarketData

func walk(_ path: String) throws -> (packets: Int, bytes: Int, sequenceSum: UInt64, gaps: Int) {
    var reader = try CaptureReader.open(path)
    var packets = 0, bytes = 0, gaps = 0
    var sum: UInt64 = 0
    var next: UInt32 = 0
    while let packet = try reader.next() {
        packets &+= 1
        bytes &+= packet.capturedLength
        let decoded = PacketDecoder.decode(packet.data, linkType: packet.linkType)
        guard decoded.status == .transport, let omd = OMDPacket(decoded.payload) else { continue }
        let sequence = omd.sequenceNumber
        sum &+= UInt64(sequence)
        if next != 0 && sequence != next { gaps &+= 1 }
        next = sequence &+ UInt32(omd.messageCount)
    }
    return (packets, bytes, sum, gaps)
}

func main() {
    let arguments = CommandLine.arguments
    guard arguments.count >= 2 else {
        print("usage: reader-walk FILE [reps]")
        return
    }
    let reps = arguments.count > 2 ? Int(arguments[2]) ?? 5 : 5
    var rates: [Double] = []
    var last = (packets: 0, bytes: 0, sequenceSum: UInt64(0), gaps: 0)
    for _ in 0..<reps {
        let start = DispatchTime.now().uptimeNanoseconds
        do { last = try walk(arguments[1]) } catch {
            print("reader-walk: \(error)")
            return
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        rates.append(Double(last.packets) / seconds / 1e6)
    }
    rates.sort()
    let median = rates.count % 2 == 1 ? rates[rates.count / 2] : (rates[rates.count / 2 - 1] + rates[rates.count / 2]) / 2
    print("file=\(arguments[1]) pkts=\(last.packets) caplen_sum=\(last.bytes) seqsum=\(last.sequenceSum) seq_gaps=\(last.gaps)")
    print("RESULT swift reader walk Mpkt/s median=\(median) min=\(rates.first!) max=\(rates.last!) Mpkt/s (n=\(reps))")
}

main()

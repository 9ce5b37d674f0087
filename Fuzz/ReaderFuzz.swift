// libFuzzer harness for the capture reader, packet decoder and OMD analyzer.
// Built by scripts/fuzz-reader.sh (swiftc -sanitize=fuzzer,address); not part of the package build.
import Capture
import MarketData

let analyzer = OMDStreamAnalyzer()

@_cdecl("LLVMFuzzerTestOneInput")
public func rehearseFuzzReader(_ data: UnsafeRawPointer, _ size: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    var statistics = OMDStreamStatistics()
    do {
        var reader = try CaptureReader.open(bytes: bytes, name: "fuzz-input")
        var packets = 0
        while let packet = try reader.next() {
            packets += 1
            let decoded = PacketDecoder.decode(packet.data, linkType: packet.linkType)
            if decoded.status == .transport {
                analyzer.process(decoded.payload, declaredLength: decoded.declaredPayloadLength,
                                 timestamp: packet.timestamp, into: &statistics)
                if let omd = OMDPacket(decoded.payload) {
                    for message in omd.messages { _ = OMDDecodedMessage(message) }
                }
            }
            var options = PcapngOptions(packet.options, bigEndian: packet.optionsBigEndian)
            while options.next() != nil {}
            precondition(packet.data.count <= size, "a packet larger than the input")
            if packets > 1_000_000 { break }
        }
    } catch {
        precondition(!error.path.isEmpty)
    }
    return 0
}

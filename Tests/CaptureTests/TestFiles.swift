import Vocabulary
import Capture
import Foundation
import TestSupport


/// An Ethernet/IPv4/UDP frame carrying `payload` (addresses and ports given), for tests.
func udpFrame(source: UInt32 = 0x0A00_0001, destination: UInt32 = 0xEF01_0101, sourcePort: UInt16 = 5000,
              destinationPort: UInt16 = 51001, payload: [UInt8], vlanTags: [UInt16] = [], padTo: Int = 0) -> [UInt8] {
    var f: [UInt8] = [0x01, 0x00, 0x5e, 0x01, 0x01, 0x01, 0x02, 0, 0, 0, 0, 1]
    for tag in vlanTags { f += [0x81, 0x00, UInt8(tag >> 8), UInt8(tag & 0xff)] }
    f += [0x08, 0x00]
    f += ipv4UDP(source: source, destination: destination, sourcePort: sourcePort, destinationPort: destinationPort, payload: payload)
    while f.count < padTo { f.append(0) }
    return f
}

func be16(_ v: UInt16) -> [UInt8] { [UInt8(v >> 8), UInt8(v & 0xff)] }
func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(v >> 16 & 0xff), UInt8(v >> 8 & 0xff), UInt8(v & 0xff)] }
func le16(_ v: UInt16) -> [UInt8] { [UInt8(v & 0xff), UInt8(v >> 8)] }
func le32(_ v: UInt32) -> [UInt8] { [UInt8(v & 0xff), UInt8(v >> 8 & 0xff), UInt8(v >> 16 & 0xff), UInt8(v >> 24)] }

func ipv4UDP(source: UInt32, destination: UInt32, sourcePort: UInt16, destinationPort: UInt16, payload: [UInt8],
             options: [UInt8] = [], fragment: UInt16 = 0x4000) -> [UInt8] {
    let headerLength = 20 + options.count
    let udp = be16(sourcePort) + be16(destinationPort) + be16(UInt16(8 + payload.count)) + [0, 0] + payload
    var ip: [UInt8] = [UInt8(0x40 | headerLength / 4), 0] + be16(UInt16(headerLength + udp.count)) + [0, 1] + be16(fragment) + [64, 17, 0, 0]
    ip += be32(source) + be32(destination) + options
    return ip + udp
}

/// Reads every packet of a file; returns (timestamps, data) and the reader's warnings.
func readAll(_ path: String) throws -> (packets: [(Int64, [UInt8], LinkType)], warnings: [CaptureWarning]) {
    var reader = try CaptureReader.open(path)
    var packets: [(Int64, [UInt8], LinkType)] = []
    while let p = try reader.next() { packets.append((p.timestamp, p.data.bytes, p.linkType)) }
    return (packets, reader.warnings)
}

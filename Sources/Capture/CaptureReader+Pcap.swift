import Vocabulary
extension CaptureReader {
    mutating func readPcapHeader(nanosecond: Bool, bigEndian: Bool, modified: Bool) throws(CaptureError) {
        guard try fill(0, 24) else {
            throw error(.truncatedHeader, 0, "pcap file header needs 24 bytes, the file has \(windowEnd)")
        }
        let header = window(at: 0)
        let major = header.getUInt16(at: 4, bigEndian: bigEndian)!
        let minor = header.getUInt16(at: 6, bigEndian: bigEndian)!
        // As libpcap: versions 2.0 to 2.4, and 543.0 (DG/UX tcpdump).
        guard (major == 2 && minor <= 4) || (major == 543 && minor == 0) else {
            throw error(.unsupportedVersion, 4, "unsupported pcap savefile version \(major).\(minor) (libpcap reads 2.0 to 2.4)")
        }
        let snaplen = header.getUInt32(at: 16, bigEndian: bigEndian)!
        let linkField = header.getUInt32(at: 20, bigEndian: bigEndian)!
        // The link-type word: FCS length in bits 28–31 and its flag in bit 26 (ignored, as by libpcap),
        // bits 16–25 reserved: libpcap refuses a file that sets them.
        if linkField & 0x03FF_0000 != 0 {
            throw error(.unsupportedLinkType, 20, "link-type field 0x\(String(linkField, radix: 16)) sets reserved bits 16–25 "
                        + "(libpcap: \"savefile linktype reserved field not zero\")")
        }
        self.bigEndian = bigEndian
        fractionMultiplier = nanosecond ? 1 : 1000
        recordHeaderLength = modified ? 24 : 16
        // snaplen 0 (seen from some writers) means "no limit"; the record length is still bounded.
        snapLimit = snaplen == 0 ? CaptureSource.maxRecordLength : Int(min(snaplen, UInt32(CaptureSource.maxRecordLength)))
        // A record may exceed the snapshot length (segmentation offload, writers that miscount) up to
        // libpcap's maximum, or up to the declared snapshot length when that is larger.
        recordLimit = max(Self.maximumRecordLength, snapLimit)
        pcapLinkType = LinkType(rawValue: linkField & 0xFFFF)
        let scale = nanosecond ? TimestampScale.nanoseconds : .microseconds
        let interface = InterfaceDescription(linkType: pcapLinkType, snapLength: Int(snaplen), timestampScale: scale,
                                             tsresol: nanosecond ? 9 : 6, tsoffsetSeconds: 0, name: nil,
                                             descriptionText: nil, section: 0)
        interfaces = [interface]
        allInterfaces = [interface]
        position = 24
    }

    @inlinable @inline(__always)
    mutating func nextPcap() throws(CaptureError) -> CapturedPacket? {
        if _slowPath(finished) { return nil }
        let offset = position
        let headerLength = recordHeaderLength
        if _slowPath(offset &+ headerLength > windowEnd) {
            guard try fill(offset, headerLength) else {
                return finish(at: offset, needed: headerLength, what: "record header")
            }
        }
        var record = window(at: offset)
        let captured = Int(record.getUInt32(at: 8, bigEndian: bigEndian).unsafelyUnwrapped)
        if _slowPath(captured > snapLimit) {
            if captured > recordLimit {
                throw error(.badCapturedLength, offset, "record captured length \(captured) is bigger than the snapshot length \(snapLimit) "
                            + "and than libpcap's maximum of \(Self.maximumRecordLength)")
            }
            noteOversized(offset: offset, captured: captured, snapLength: snapLimit)
        }
        let total = headerLength &+ captured
        if _slowPath(offset &+ total > windowEnd) {
            guard try fill(offset, total) else {
                return finish(at: offset, needed: total, what: "packet record")
            }
            record = window(at: offset)
        }
        let seconds = Int64(record.getUInt32(at: 0, bigEndian: bigEndian).unsafelyUnwrapped)
        let fraction = Int64(record.getUInt32(at: 4, bigEndian: bigEndian).unsafelyUnwrapped)
        let original = Int(record.getUInt32(at: 12, bigEndian: bigEndian).unsafelyUnwrapped)
        position = offset &+ total
        return CapturedPacket(
            timestamp: seconds &* 1_000_000_000 &+ fraction &* fractionMultiplier,
            originalLength: original, linkType: pcapLinkType, interfaceIndex: 0,
            data: record.getSlice(at: headerLength, count: captured).unsafelyUnwrapped,
            recordOffset: offset, dataOffset: offset &+ headerLength)
    }

    @usableFromInline mutating func noteOversized(offset: Int, captured: Int, snapLength: Int) {
        oversizedRecords += 1
        if firstOversized == nil { firstOversized = (offset, captured, snapLength) }
    }
}

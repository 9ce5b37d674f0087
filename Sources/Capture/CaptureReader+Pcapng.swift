import Vocabulary
/// pcapng block types (draft-ietf-opsawg-pcapng).
@usableFromInline enum BlockType {
    @usableFromInline static var sectionHeader: UInt32 { 0x0A0D_0D0A }
    @usableFromInline static var interfaceDescription: UInt32 { 1 }
    @usableFromInline static var obsoletePacket: UInt32 { 2 }
    @usableFromInline static var simplePacket: UInt32 { 3 }
    @usableFromInline static var enhancedPacket: UInt32 { 6 }
}

extension CaptureReader {
    /// Parses the Section Header Block at `offset` and starts a new section.
    @usableFromInline mutating func readSectionHeader(at offset: Int) throws(CaptureError) {
        guard try fill(offset, 28) else {
            if offset == 0 {
                throw error(.truncatedHeader, 0, "pcapng Section Header Block needs at least 28 bytes, the file has \(windowEnd)")
            }
            _ = finish(at: offset, needed: 28, what: "Section Header Block")
            return
        }
        var block = window(at: offset)
        let magic = block.getUInt32LE(at: 8)!
        let big: Bool
        switch magic {
        case 0x1A2B_3C4D: big = false
        case 0x4D3C_2B1A: big = true
        default:
            throw error(.badByteOrderMagic, offset, "Section Header Block byte-order magic 0x\(String(magic, radix: 16)) is neither 0x1a2b3c4d nor its swap")
        }
        let length = Int(block.getUInt32(at: 4, bigEndian: big)!)
        guard length >= 28, length % 4 == 0, length <= CaptureSource.maxRecordLength else {
            throw error(.badBlockLength, offset, "Section Header Block length \(length) (must be a multiple of 4, at least 28)")
        }
        guard try fill(offset, length) else {
            if offset == 0 {
                throw error(.truncatedHeader, 0, "pcapng Section Header Block of \(length) bytes is cut short by the end of the file")
            }
            _ = finish(at: offset, needed: length, what: "Section Header Block")
            return
        }
        block = window(at: offset)
        try checkTrailer(block, length: length, offset: offset, bigEndian: big)
        let major = block.getUInt16(at: 12, bigEndian: big)!
        let minor = block.getUInt16(at: 14, bigEndian: big)!
        // As libpcap: 1.0, and 1.2 (written by some tools); 1.1 and other versions are refused.
        guard major == 1 && (minor == 0 || minor == 2) else {
            throw error(.unsupportedVersion, offset, "unsupported pcapng savefile version \(major).\(minor) (libpcap reads 1.0 and 1.2)")
        }
        var section = SectionInfo(offset: offset, bigEndian: big, majorVersion: major, minorVersion: minor)
        var options = PcapngOptions(block.getSlice(at: 24, count: length - 28)!, bigEndian: big)
        while let option = options.next() {
            switch option.code {
            case 1: section.comments.append(option.text)
            case 2: section.hardware = option.text
            case 3: section.os = option.text
            case 4: section.application = option.text
            default: break
            }
        }
        if options.isMalformed {
            throw error(.badOption, offset, "Section Header Block option runs past the end of the block")
        }
        sections.append(section)
        interfaces.removeAll(keepingCapacity: true)
        bigEndian = big
        position = offset + length
    }

    @inlinable
    func checkTrailer(_ block: ByteView, length: Int, offset: Int, bigEndian big: Bool) throws(CaptureError) {
        let trailer = Int(block.getUInt32(at: length &- 4, bigEndian: big).unsafelyUnwrapped)
        if _slowPath(trailer != length) {
            throw error(.blockLengthMismatch, offset, "block length \(length) but trailing length \(trailer)")
        }
    }

    @usableFromInline mutating func readInterfaceDescription(_ block: ByteView, length: Int, offset: Int) throws(CaptureError) {
        guard length >= 20 else {
            throw error(.badBlockLength, offset, "Interface Description Block length \(length) is below its minimum of 20")
        }
        let big = bigEndian
        let linkType = LinkType(rawValue: UInt32(block.getUInt16(at: 8, bigEndian: big)!))
        let snaplen = Int(block.getUInt32(at: 12, bigEndian: big)!)
        var tsresol: UInt8 = 6
        var tsoffset: Int64 = 0
        var name: String?
        var text: String?
        var options = PcapngOptions(block.getSlice(at: 16, count: length - 20)!, bigEndian: big)
        while let option = options.next() {
            switch option.code {
            case 2: name = option.text
            case 3: text = option.text
            case 9:
                guard option.value.count == 1 else {
                    throw error(.badOption, offset, "if_tsresol must be 1 byte, is \(option.value.count)")
                }
                tsresol = option.value.getUInt8(at: 0)!
            case 14:
                guard option.value.count == 8 else {
                    throw error(.badOption, offset, "if_tsoffset must be 8 bytes, is \(option.value.count)")
                }
                let raw = big ? option.value.getUInt64BE(at: 0)! : option.value.getUInt64LE(at: 0)!
                tsoffset = Int64(bitPattern: raw)
            default: break
            }
        }
        if options.isMalformed {
            throw error(.badOption, offset, "Interface Description Block option runs past the end of the block")
        }
        guard let scale = TimestampScale(tsresol: tsresol, offsetSeconds: tsoffset) else {
            throw error(.unsupportedResolution, offset,
                        "if_tsresol 0x\(String(tsresol, radix: 16)) / if_tsoffset \(tsoffset) cannot be represented in nanoseconds")
        }
        let interface = InterfaceDescription(linkType: linkType, snapLength: snaplen, timestampScale: scale,
                                             tsresol: tsresol, tsoffsetSeconds: tsoffset, name: name,
                                             descriptionText: text, section: sections.count - 1)
        interfaces.append(interface)
        allInterfaces.append(interface)
    }

    @inlinable @inline(__always)
    mutating func nextPcapng() throws(CaptureError) -> CapturedPacket? {
        while true {
            if _slowPath(finished) { return nil }
            let offset = position
            if _slowPath(offset &+ 12 > windowEnd) {
                guard try fill(offset, 12) else { return finish(at: offset, needed: 12, what: "block header") }
            }
            var block = window(at: offset)
            let big = bigEndian
            let type = block.getUInt32(at: 0, bigEndian: big).unsafelyUnwrapped
            if _slowPath(type == BlockType.sectionHeader) {
                try readSectionHeader(at: offset)
                continue
            }
            let length = Int(block.getUInt32(at: 4, bigEndian: big).unsafelyUnwrapped)
            if _slowPath(length < 12 || length & 3 != 0 || length > CaptureSource.maxRecordLength) {
                throw error(.badBlockLength, offset,
                            "block type 0x\(String(type, radix: 16)) has length \(length) (must be a multiple of 4, 12 to \(CaptureSource.maxRecordLength))")
            }
            if _slowPath(offset &+ length > windowEnd) {
                guard try fill(offset, length) else {
                    return finish(at: offset, needed: length, what: "block (type 0x\(String(type, radix: 16)))")
                }
                block = window(at: offset)
            }
            try checkTrailer(block, length: length, offset: offset, bigEndian: big)
            position = offset &+ length
            switch type {
            case BlockType.enhancedPacket:
                return try enhancedPacket(block, length: length, offset: offset, headerLength: 28, interfaceFieldIs16: false)
            case BlockType.simplePacket:
                return try simplePacket(block, length: length, offset: offset)
            case BlockType.obsoletePacket:
                return try enhancedPacket(block, length: length, offset: offset, headerLength: 28, interfaceFieldIs16: true)
            case BlockType.interfaceDescription:
                try readInterfaceDescription(block, length: length, offset: offset)
            default:
                _blocksSkipped &+= 1  // NRB, ISB, DSB, custom and unknown blocks: skipped by length
            }
        }
    }

    /// Enhanced Packet Block (type 6) or the obsolete Packet Block (type 2, 16-bit interface id).
    @inlinable
    mutating func enhancedPacket(_ block: ByteView, length: Int, offset: Int, headerLength: Int,
                                 interfaceFieldIs16: Bool) throws(CaptureError) -> CapturedPacket {
        let big = bigEndian
        guard length >= 32 else {
            throw error(.badBlockLength, offset, "packet block length \(length) is below its minimum of 32")
        }
        let interfaceIndex = interfaceFieldIs16
            ? Int(block.getUInt16(at: 8, bigEndian: big).unsafelyUnwrapped)
            : Int(block.getUInt32(at: 8, bigEndian: big).unsafelyUnwrapped)
        guard interfaceIndex < interfaces.count else {
            throw error(.undeclaredInterface, offset,
                        "packet on interface \(interfaceIndex), but the section declares \(interfaces.count) interface(s)")
        }
        let high = UInt64(block.getUInt32(at: 12, bigEndian: big).unsafelyUnwrapped)
        let low = UInt64(block.getUInt32(at: 16, bigEndian: big).unsafelyUnwrapped)
        let captured = Int(block.getUInt32(at: 20, bigEndian: big).unsafelyUnwrapped)
        let original = Int(block.getUInt32(at: 24, bigEndian: big).unsafelyUnwrapped)
        let padded = (captured &+ 3) & ~3
        guard captured <= length &- 32, padded <= length &- 32 else {
            throw error(.badCapturedLength, offset,
                        "captured length \(captured) does not fit in a block of \(length) bytes")
        }
        let interface = interfaces[interfaceIndex]
        if _slowPath(interface.snapLength != 0 && captured > interface.snapLength) {
            if captured > max(Self.maximumRecordLength, interface.snapLength) {
                throw error(.badCapturedLength, offset, "captured length \(captured) is bigger than interface \(interfaceIndex)'s snapshot length "
                            + "\(interface.snapLength) and than libpcap's maximum of \(Self.maximumRecordLength)")
            }
            noteOversized(offset: offset, captured: captured, snapLength: interface.snapLength)
        }
        var timestamp = lastTimestamp, hasTimestamp = true
        if let t = interface.timestampScale.nanoseconds(high << 32 | low) {
            timestamp = t
            lastTimestamp = t
        } else {
            // Wireshark reads such a packet; libpcap reads it and cannot convert its time.
            noteOutOfRange(offset: offset)
            hasTimestamp = false
        }
        return CapturedPacket(
            timestamp: timestamp, originalLength: original, linkType: interface.linkType,
            interfaceIndex: interfaceIndex,
            data: block.getSlice(at: headerLength, count: captured).unsafelyUnwrapped,
            recordOffset: offset, dataOffset: offset &+ headerLength,
            options: block.getSlice(at: headerLength &+ padded, count: length &- 4 &- headerLength &- padded).unsafelyUnwrapped,
            optionsBigEndian: big, hasTimestamp: hasTimestamp)
    }

    /// Simple Packet Block (type 3): interface 0, no timestamp (given the previous packet's, with
    /// `hasTimestamp` false, and counted), captured length = min(original length, snapshot length,
    /// room in the block).
    @usableFromInline mutating func simplePacket(_ block: ByteView, length: Int, offset: Int) throws(CaptureError) -> CapturedPacket {
        guard length >= 16 else {
            throw error(.badBlockLength, offset, "Simple Packet Block length \(length) is below its minimum of 16")
        }
        guard let interface = interfaces.first else {
            throw error(.undeclaredInterface, offset, "Simple Packet Block, but the section declares no interface")
        }
        let original = Int(block.getUInt32(at: 8, bigEndian: bigEndian)!)
        var captured = min(original, length - 16)
        if interface.snapLength != 0 { captured = min(captured, interface.snapLength) }
        packetsWithoutTimestamp += 1
        if firstWithoutTimestamp == nil { firstWithoutTimestamp = offset }
        return CapturedPacket(timestamp: lastTimestamp, originalLength: original, linkType: interface.linkType, interfaceIndex: 0,
                              data: block.getSlice(at: 12, count: captured)!, recordOffset: offset, dataOffset: offset + 12,
                              hasTimestamp: false)
    }

    @usableFromInline mutating func noteOutOfRange(offset: Int) {
        timestampsOutOfRange += 1
        if firstOutOfRange == nil { firstOutOfRange = offset }
    }
}

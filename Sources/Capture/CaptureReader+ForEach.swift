extension CaptureReader {
    /// Calls `body` for every remaining packet, in order, until it returns false or the capture ends.
    ///
    /// The fast way to walk a capture: the cursor lives in locals and the loop is specialised per
    /// format, so a packet costs a few loads and compares. Records that need the slow path (a window
    /// refill for gzip or pipes, a truncated tail, pcapng blocks other than Enhanced Packet Blocks) go
    /// through ``next()``; results are identical to calling ``next()`` in a loop. The packet passed to
    /// `body` is valid for the duration of the call (see ``ByteView`` for mapped files). Pages are
    /// released one step (32 MiB) behind the cursor, so a consumer a little behind still finds them mapped.
    @inlinable @inline(__always)
    public mutating func forEachPacket(_ body: (CapturedPacket) -> Bool) throws(CaptureError) {
        while true {
            let keepGoing = format.isPcapng ? fastPcapng(body) : fastPcap(body)
            if !keepGoing { return }
            guard let packet = try next() else { return }
            if !body(packet) { return }
        }
    }

    /// Classic pcap records that lie wholly inside the window. Returns false when `body` asked to stop.
    @inlinable @inline(__always)
    mutating func fastPcap(_ body: (CapturedPacket) -> Bool) -> Bool {
        guard !finished, let base else { return true }
        let start = windowStart, end = windowEnd
        let big = bigEndian, multiplier = fractionMultiplier, snap = snapLimit
        let headerLength = recordHeaderLength, linkType = pcapLinkType
        var offset = position
        var releaseAt = releaseMark
        defer {
            position = offset
            releaseMark = releaseAt
        }
        while offset &+ headerLength <= end {
            let record = ByteView(unsafeStart: base + (offset &- start), count: end &- offset)
            let captured = Int(record.getUInt32(at: 8, bigEndian: big).unsafelyUnwrapped)
            // Oversized lengths and records past the window: leave them to next() (error or refill).
            if _slowPath(captured > snap || offset &+ headerLength &+ captured > end) { return true }
            let seconds = Int64(record.getUInt32(at: 0, bigEndian: big).unsafelyUnwrapped)
            let fraction = Int64(record.getUInt32(at: 4, bigEndian: big).unsafelyUnwrapped)
            let original = Int(record.getUInt32(at: 12, bigEndian: big).unsafelyUnwrapped)
            let packet = CapturedPacket(
                timestamp: seconds &* 1_000_000_000 &+ fraction &* multiplier, originalLength: original,
                linkType: linkType, interfaceIndex: 0,
                data: ByteView(unsafeStart: base + (offset &- start &+ headerLength), count: captured),
                recordOffset: offset, dataOffset: offset &+ headerLength)
            offset &+= headerLength &+ captured
            if _slowPath(offset >= releaseAt) {
                source.release(upTo: offset &- Self.releaseStep)
                releaseAt = offset &+ Self.releaseStep
            }
            if !body(packet) { return false }
        }
        return true
    }

    /// pcapng Enhanced Packet Blocks that lie wholly inside the window; any other block, or anything
    /// unusual, is left to next().
    @inlinable @inline(__always)
    mutating func fastPcapng(_ body: (CapturedPacket) -> Bool) -> Bool {
        guard !finished, let base else { return true }
        let start = windowStart, end = windowEnd, big = bigEndian
        let interfaceCount = interfaces.count
        var offset = position
        var releaseAt = releaseMark
        defer {
            position = offset
            releaseMark = releaseAt
        }
        while offset &+ 32 <= end {
            let block = ByteView(unsafeStart: base + (offset &- start), count: end &- offset)
            let type = block.getUInt32(at: 0, bigEndian: big).unsafelyUnwrapped
            let length = Int(block.getUInt32(at: 4, bigEndian: big).unsafelyUnwrapped)
            guard type == BlockType.enhancedPacket, length >= 32, length & 3 == 0, length <= end &- offset,
                  Int(block.getUInt32(at: length &- 4, bigEndian: big).unsafelyUnwrapped) == length else { return true }
            let interfaceIndex = Int(block.getUInt32(at: 8, bigEndian: big).unsafelyUnwrapped)
            let captured = Int(block.getUInt32(at: 20, bigEndian: big).unsafelyUnwrapped)
            let padded = (captured &+ 3) & ~3
            guard interfaceIndex < interfaceCount, padded <= length &- 32 else { return true }
            let interface = interfaces[interfaceIndex]
            guard interface.snapLength == 0 || captured <= interface.snapLength else { return true }
            let high = UInt64(block.getUInt32(at: 12, bigEndian: big).unsafelyUnwrapped)
            let low = UInt64(block.getUInt32(at: 16, bigEndian: big).unsafelyUnwrapped)
            guard let timestamp = interface.timestampScale.nanoseconds(high << 32 | low) else { return true }
            let packet = CapturedPacket(
                timestamp: timestamp, originalLength: Int(block.getUInt32(at: 24, bigEndian: big).unsafelyUnwrapped),
                linkType: interface.linkType, interfaceIndex: interfaceIndex,
                data: ByteView(unsafeStart: base + (offset &- start &+ 28), count: captured),
                recordOffset: offset, dataOffset: offset &+ 28,
                options: ByteView(unsafeStart: base + (offset &- start &+ 28 &+ padded), count: length &- 32 &- padded),
                optionsBigEndian: big)
            offset &+= length
            if _slowPath(offset >= releaseAt) {
                source.release(upTo: offset &- Self.releaseStep)
                releaseAt = offset &+ Self.releaseStep
            }
            if !body(packet) { return false }
        }
        return true
    }
}

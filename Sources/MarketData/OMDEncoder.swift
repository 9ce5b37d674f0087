import Vocabulary
/// Builds OMD packets (little-endian) into a reused buffer, for the generator, simulators and tests.
/// No allocation per packet once the buffer exists. Messages beyond `maximumSize` are refused.
public struct OMDPacketBuilder {
    /// The buffer; the packet is its first ``size`` bytes.
    public private(set) var storage: [UInt8]
    public private(set) var size = 0
    public private(set) var messageCount = 0
    public let maximumSize: Int

    public init(maximumSize: Int = 65_535) {
        self.maximumSize = maximumSize
        storage = [UInt8](repeating: 0, count: maximumSize)
    }

    /// Starts a packet; PktSize and MsgCount are written by ``finish()``.
    public mutating func start(sequenceNumber: UInt32, sendTime: UInt64, compressionMode: UInt8 = 0) {
        size = OMDPacket.headerSize
        messageCount = 0
        storage.withUnsafeMutableBytes { b in
            b.storeBytes(of: UInt32(0).littleEndian, toByteOffset: 0, as: UInt32.self)
            b.storeBytes(of: compressionMode, toByteOffset: 3, as: UInt8.self)
            b.storeBytes(of: sequenceNumber.littleEndian, toByteOffset: 4, as: UInt32.self)
            b.storeBytes(of: sendTime.littleEndian, toByteOffset: 8, as: UInt64.self)
        }
    }

    /// Bytes left before `limit`.
    public func room(limit: Int) -> Int { Swift.min(limit, maximumSize) - size }

    /// Appends a zero-filled message of `length` bytes with MsgSize and MsgType; `body` sets the fields.
    /// Returns false (and appends nothing) when it would not fit.
    @discardableResult
    public mutating func message(type: UInt16, length: Int, _ body: (inout MessageFields) -> Void = { _ in }) -> Bool {
        guard length >= 4, size + length <= maximumSize else { return false }
        let start = size
        storage.withUnsafeMutableBytes { b in
            let slice = UnsafeMutableRawBufferPointer(rebasing: b[start..<(start + length)])
            slice.initializeMemory(as: UInt8.self, repeating: 0)
            var fields = MessageFields(bytes: slice)
            fields.put16(at: 0, UInt16(length))
            fields.put16(at: 2, type)
            body(&fields)
        }
        size += length
        messageCount += 1
        return true
    }

    /// Appends an already encoded message (its MsgSize and MsgType included) from `source[range]`.
    /// Returns false when it would not fit.
    @discardableResult
    public mutating func appendEncoded(_ source: [UInt8], range: Range<Int>) -> Bool {
        guard range.count >= 4, size + range.count <= maximumSize else { return false }
        let start = size
        storage.withUnsafeMutableBytes { b in
            source.withUnsafeBytes { s in
                UnsafeMutableRawBufferPointer(rebasing: b[start..<(start + range.count)])
                    .copyMemory(from: UnsafeRawBufferPointer(rebasing: s[range]))
            }
        }
        size += range.count
        messageCount += 1
        return true
    }

    /// Writes PktSize and MsgCount.
    public mutating func finish() {
        let s = UInt16(truncatingIfNeeded: size), c = UInt8(truncatingIfNeeded: messageCount)
        storage.withUnsafeMutableBytes { b in
            b.storeBytes(of: s.littleEndian, toByteOffset: 0, as: UInt16.self)
            b.storeBytes(of: c, toByteOffset: 2, as: UInt8.self)
        }
    }

    /// The finished packet as an array (allocates; for tests).
    public var packet: [UInt8] { Array(storage[0..<size]) }

    /// Replaces the message block with `compress(block)` and sets CompressionMode 1, then fixes PktSize.
    public mutating func compressMessageBlock(_ compress: ([UInt8]) -> [UInt8]) {
        let block = Array(storage[OMDPacket.headerSize..<size])
        let compressed = compress(block)
        guard OMDPacket.headerSize + compressed.count <= maximumSize else { return }
        storage.replaceSubrange(OMDPacket.headerSize..<(OMDPacket.headerSize + compressed.count), with: compressed)
        size = OMDPacket.headerSize + compressed.count
        storage[3] = 1
        finish()
    }

    /// Field writer for one message; offsets count from the message start and are bounds-checked.
    public struct MessageFields {
        let bytes: UnsafeMutableRawBufferPointer
        @inline(__always) mutating func put<T: FixedWidthInteger>(_ v: T, _ o: Int) {
            precondition(o >= 0 && o + MemoryLayout<T>.size <= bytes.count, "OMD field beyond its message")
            bytes.storeBytes(of: v.littleEndian, toByteOffset: o, as: T.self)
        }
        public mutating func put8(at o: Int, _ v: UInt8) { put(v, o) }
        public mutating func put16(at o: Int, _ v: UInt16) { put(v, o) }
        public mutating func put32(at o: Int, _ v: UInt32) { put(v, o) }
        public mutating func put64(at o: Int, _ v: UInt64) { put(v, o) }
        public mutating func putI32(at o: Int, _ v: Int32) { put(v, o) }
    }
}

@testable import Measure
import Testing
import Vocabulary

@Suite("The message hash compare pairs messages by")
struct MessageHashTests {
    func hash(_ bytes: [UInt8]) -> UInt64 {
        bytes.withUnsafeBytes { FeedComparator.hash(ByteView(unsafeStart: $0.baseAddress, count: $0.count)) }
    }

    @Test("every byte counts: a message of 1–80 bytes hashes apart from itself with any one byte changed, and from its prefixes")
    func everyByteCounts() {
        var x: UInt64 = 0x2545_F491_4F6C_DD1D
        func next() -> UInt8 { x ^= x << 13; x ^= x >> 7; x ^= x << 17; return UInt8(truncatingIfNeeded: x) }
        for length in 1...80 {
            let message = (0..<length).map { _ in next() }
            let h = hash(message)
            for i in 0..<length {
                for flip: UInt8 in [1, 0x80, 0xFF] {
                    var changed = message
                    changed[i] ^= flip
                    #expect(hash(changed) != h, "length \(length), byte \(i) ^ \(flip)")
                }
            }
            // A shorter message that is its prefix (a tail's zero bytes are not the same as no bytes).
            #expect(hash(Array(message.dropLast())) != h || length == 0)
            #expect(hash(message) == h)
        }
    }
}

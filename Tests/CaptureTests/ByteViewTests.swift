import TestSupport
import Vocabulary
import Capture
import Testing

@Suite("ByteView bounds")
struct ByteViewTests {
    @Test("every get…(at:) returns a value exactly when the field lies inside the view, for every offset and length")
    func bounds() {
        let bytes: [UInt8] = Array(1...16)
        bytes.withUnsafeBytes { raw in
            for count in 0...16 {
                let view = ByteView(unsafeStart: count == 0 ? nil : raw.baseAddress, count: count)
                for offset in -9...20 {
                    func inside(_ size: Int) -> Bool { offset >= 0 && offset + size <= count }
                    #expect((view.getUInt8(at: offset) != nil) == inside(1), "count \(count) offset \(offset)")
                    #expect((view.getUInt16LE(at: offset) != nil) == inside(2), "count \(count) offset \(offset)")
                    #expect((view.getUInt32BE(at: offset) != nil) == inside(4), "count \(count) offset \(offset)")
                    #expect((view.getUInt64LE(at: offset) != nil) == inside(8), "count \(count) offset \(offset)")
                    for length in [-1, 0, 1, 3, 16, Int.max] {
                        let fits = length >= 0 && offset >= 0 && offset <= count - length
                        #expect((view.getSlice(at: offset, count: length) != nil) == fits, "count \(count) offset \(offset) length \(length)")
                    }
                }
            }
            let view = ByteView(unsafeStart: raw.baseAddress, count: 16)
            #expect(view.getUInt32LE(at: 12) == 0x100F_0E0D)
            #expect(view.getUInt16BE(at: 0) == 0x0102)
            #expect(view.getUInt8(at: Int.max) == nil && view.getUInt8(at: Int.min) == nil)
        }
    }
}

import Foundation
import Testing
import TestSupport
import Vocabulary
@testable import Capture

@Suite("Flow cache for plain IPv4/UDP frames")
struct FlowCacheTests {
    /// An untagged Ethernet + IPv4 + UDP frame from `source` to `destination`.
    func frame(_ source: String, _ destination: String) -> [UInt8] {
        [UInt8](repeating: 0, count: 12) + [0x08, 0x00]
            + DatagramFrame.ipv4UDPHeader(source: Endpoint(source)!, destination: Endpoint(destination)!, payloadLength: 0)
    }

    func withFrame<R>(_ bytes: [UInt8], _ body: (PlainIPv4UDPFrame) -> R) throws -> R {
        try bytes.withUnsafeBytes { raw in
            body(try #require(PlainIPv4UDPFrame(ByteView(unsafeStart: raw.baseAddress, count: raw.count))))
        }
    }

    func slot(_ bytes: [UInt8]) throws -> Int {
        try withFrame(bytes) { IPv4UDPFlowCache.slot($0.rawAddresses, $0.rawPorts) }
    }

    /// A frame that differs from `base` only in its source port (`portsOnly`) or only in its source
    /// address, and falls in the same cache slot.
    func collider(of base: [UInt8], portsOnly: Bool) throws -> [UInt8] {
        let target = try slot(base)
        for i in 1..<100_000 {
            let candidate = portsOnly ? frame("10.0.0.1:\(1000 + i)", "239.9.9.9:9")
                                      : frame("10.\(i >> 16).\((i >> 8) & 0xff).\(i & 0xff):1000", "239.9.9.9:9")
            if candidate != base, try slot(candidate) == target { return candidate }
        }
        Issue.record("no colliding frame found")
        return base
    }

    @Test("remembers a frame's stream; a stream sharing the slot but not the addresses or the ports misses, then replaces it",
          arguments: [true, false])
    func collisions(portsOnly: Bool) throws {
        let a = frame("10.0.0.1:1000", "239.9.9.9:9")
        let b = try collider(of: a, portsOnly: portsOnly)
        var cache = IPv4UDPFlowCache()
        #expect(try withFrame(a) { cache.find($0) } == nil)
        try withFrame(a) { cache.remember($0, index: 41) }
        #expect(try withFrame(a) { cache.find($0) } == 41)
        #expect(try withFrame(b) { cache.find($0) } == nil)
        try withFrame(b) { cache.remember($0, index: 7) }
        #expect(try withFrame(b) { cache.find($0) } == 7)
        #expect(try withFrame(a) { cache.find($0) } == nil)
    }

    @Test("an empty slot never matches, even a frame whose address and port words are zero")
    func emptySlots() throws {
        let cache = IPv4UDPFlowCache()
        #expect(try withFrame(frame("0.0.0.0:0", "0.0.0.0:0")) { cache.find($0) } == nil)
    }
}

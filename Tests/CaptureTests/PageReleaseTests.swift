import TestSupport
import Vocabulary
import Capture
import Foundation
import Testing

@Suite("Release of a mapped capture's pages")
struct PageReleaseTests {
    @Test("released pages read back the same; release is clamped to the file and to whole 64 KiB pages; none for gzip")
    func releaseAndReread() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("release.pcap")
        let writer = try CaptureWriter(path: path, format: .pcap, linkType: .raw)
        for i in 0..<3_000 {
            try writer.write(timestamp: Int64(i) * 1_000, bytes: (0..<100).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ i) })
        }
        try writer.close()
        func checksum(_ reader: inout CaptureReader) throws -> (Int, UInt64) {
            var packets = 0, sum: UInt64 = 0
            try reader.forEachPacket { packet in
                packets += 1
                for i in 0..<packet.data.count { sum = sum &* 31 &+ UInt64(packet.data.getUInt8(at: i)!) }
                return true
            }
            return (packets, sum)
        }
        var first = try CaptureReader.open(path)
        let expected = try checksum(&first)
        #expect(expected.0 == 3_000)

        var reader = try CaptureReader.open(path)
        let maybeRelease = reader.pageRelease, maybeSize = reader.fileSize
        let release = try #require(maybeRelease)
        let size = try #require(maybeSize)
        #expect(release.releasedUpTo == 0)
        release.release(upTo: 70_000)
        #expect(release.releasedUpTo == 65_536)
        release.release(upTo: 10)  // never backwards
        #expect(release.releasedUpTo == 65_536)
        release.release(upTo: .max)  // clamped to the file, rounded down to a whole page
        #expect(release.releasedUpTo == size & ~0xFFFF)
        #expect(try checksum(&reader) == expected)  // the pages map again from the page cache

        let gz = path + ".gz"
        let gzip = Process()
        gzip.executableURL = URL(fileURLWithPath: "/bin/sh")
        gzip.arguments = ["-c", "gzip -c '\(path)' > '\(gz)'"]
        try gzip.run()
        gzip.waitUntilExit()
        let gzReader = try CaptureReader.open(gz)
        let gzRelease = gzReader.pageRelease
        #expect(gzRelease == nil)
    }
}

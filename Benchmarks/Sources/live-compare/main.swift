// live-compare: watch's per-message work — LiveComparator.process (OMD accounting per line, the slot
// ring, matching, the lag histogram) with a sweep every 1 ms of capture time — over lines A and B of a
// synthesized capture (239.1.1.x line A, 239.1.2.x line B, channel = last octet − 1) held in memory.
//   live-compare CAPTURE [reps=5] [recover]   prints the median ns per packet; `recover` adds watch
//   --recover's per-message work (every line's gaps kept, handed over at each sweep)
import Vocabulary
import Capture
import Dispatch
import Foundation
import Measure

let arguments = CommandLine.arguments
guard arguments.count > 1 else { print("usage: live-compare CAPTURE [reps]"); exit(2) }
let reps = arguments.count > 2 ? Int(arguments[2])! : 5
let recover = arguments.count > 3 && arguments[3] == "recover"
var gapsSeen = 0
var storage: [UInt8] = []
var packets: [(channel: Int, side: Int, offset: Int, length: Int, time: Int64)] = []
var reader = try CaptureReader.open(arguments[1])
while let p = try reader.next() {
    let d = PacketDecoder.decode(p.data, linkType: p.linkType)
    guard d.status == .transport else { continue }
    let v4 = d.flow.destination.v4
    packets.append((Int(v4 & 0xff) - 1, (v4 >> 8) & 0xff == 1 ? 0 : 1, storage.count, d.payload.count, p.timestamp))
    for i in 0..<d.payload.count { storage.append(d.payload.getUInt8(at: i)!) }
}
let channels = (packets.map(\.channel).max() ?? 0) + 1
var results: [Double] = []
var onBoth: UInt64 = 0
storage.withUnsafeBytes { raw in
    for _ in 0..<reps {
        var settings = WatchSettings()
        settings.window = 1 << 16
        var comparator = LiveComparator(channels: channels, settings: settings)
        comparator.collectGaps = recover
        let start = DispatchTime.now().uptimeNanoseconds
        var lastSweep: Int64 = 0
        for p in packets {
            comparator.process(channel: p.channel, side: p.side, payload: ByteView(unsafeStart: raw.baseAddress! + p.offset, count: p.length),
                               length: p.length, time: p.time)
            if p.time - lastSweep >= 1_000_000 {
                comparator.sweep(now: p.time)
                if recover { comparator.takeGaps { _ in gapsSeen += 1 } }
                lastSweep = p.time
            }
        }
        results.append(Double(DispatchTime.now().uptimeNanoseconds - start) / Double(packets.count))
        onBoth = comparator.channels.reduce(0) { $0 + $1.onBoth }
    }
}
results.sort()
print(String(format: "RESULT live-compare%@ %d packets, %llu messages on both lines: median %.1f ns/packet (min %.1f max %.1f, %d reps, %d gaps)",
             recover ? " recover" : "", packets.count, onBoth, results[results.count / 2], results.first!, results.last!, reps, gapsSeen))

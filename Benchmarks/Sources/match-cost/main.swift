// match-cost: the per-message measuring cost of `bench` — FeedMatcher.account (OMD header, per message
// a table lookup, a received-once mark and an HdrHistogram record) — over every packet of a capture
// held in memory, as a receiver would see them.
//   match-cost CAPTURE [reps=7]     prints the median ns per message
import Vocabulary
import Capture
import Foundation
import MarketData
import Replay

let arguments = CommandLine.arguments
guard arguments.count > 1 else { print("usage: match-cost CAPTURE [reps]"); exit(2) }
let path = arguments[1]
let reps = arguments.count > 2 ? Int(arguments[2])! : 7
var map = TargetMap()
try map.add("each=127.0.0.1:40000")
let plan = try FeedPlan(path: path, selection: Selection(), map: map, dropUnmapped: false)
let expected = try ExpectedMessages(plan: plan, schedule: Schedule(.speed(1), captureSpan: plan.captureSpan, packets: plan.packets)!)
// (channel, payload) of every packet, copied into one buffer.
var storage: [UInt8] = []
var items: [(channel: Int, offset: Int, length: Int)] = []
var reader = try CaptureReader.open(path)
let channels = Dictionary(uniqueKeysWithValues: plan.streams.enumerated().map { ($1.destination, $0) })
while let p = try reader.next() {
    let d = PacketDecoder.decode(p.data, linkType: p.linkType)
    guard d.status == .transport, let c = channels[Endpoint(address: d.flow.destination, port: d.flow.destinationPort)] else { continue }
    items.append((c, storage.count, d.payload.count))
    for i in 0..<d.payload.count { storage.append(d.payload.getUInt8(at: i)!) }
}
var results: [Double] = []
var messages: UInt64 = 0
storage.withUnsafeBytes { raw in
    for _ in 0..<reps {
        var matcher = FeedMatcher(expected: expected)
        let start = DispatchTime.now().uptimeNanoseconds
        var time: Int64 = 1_800_000_000_000_000_000
        for item in items {
            time &+= 1_000
            matcher.account(channel: item.channel, payload: ByteView(unsafeStart: raw.baseAddress! + item.offset, count: item.length),
                            length: item.length, truncated: false, time: time, anchor: 1_700_000_000_000_000_000)
        }
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start)
        messages = matcher.received + matcher.duplicates
        results.append(elapsed / Double(messages))
    }
}
results.sort()
print(String(format: "RESULT match-cost %d packets %llu messages: median %.1f ns/message (min %.1f max %.1f, %d reps)",
             items.count, messages, results[results.count / 2], results.first!, results.last!, reps))

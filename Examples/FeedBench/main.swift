// Rehearse as a library: synthesize a feed, run an old and a new reference platform in this process,
// replay the feed into both at the same instants and compare their p99 latency. No CLI involved.
import Foundation
import Replay
import Simulators
import Synth
import Transport
import Vocabulary
import Results

var synth = SynthConfiguration()
(synth.channels, synth.packetLimit, synth.rate, synth.lines) = (2, 4_000, 20_000, [.a])
let capture = NSTemporaryDirectory() + "rehearse-example-\(getpid()).pcap"
_ = try OMDSynthesizer.generate(synth, to: capture)
defer { try? FileManager.default.removeItem(atPath: capture) }

let loopback = IPAddress(v4: 0x7F00_0001)
let base = UInt16(20_000 + getpid() % 600 * 16)   // below the ephemeral ports; channel i on port + i
func endpoints(_ port: UInt16) -> [Endpoint] { (0..<2).map { Endpoint(address: loopback, port: port + UInt16($0)) } }
var targets: [BenchTarget] = [], platforms: [FeedSimulator] = []
for (i, (name, profile)) in [("old", FeedProfile.old), ("new", FeedProfile.new)].enumerated() {
    let (input, output) = (base + UInt16(i * 8), base + UInt16(i * 8 + 4))
    platforms.append(try FeedSimulator(listen: endpoints(input), publish: endpoints(output), profile: profile))
    targets.append(BenchTarget(name: name, send: Endpoint(address: loopback, port: input), receive: Endpoint(address: loopback, port: output)))
}
let threads = platforms.map { platform in PinnedThread.start(name: "platform") { _ = platform.run() } }

let bench = try FeedBench(path: capture, selection: Selection(), targets: targets, options: ReplayOptions())
let (result, failure) = bench.run()
platforms.forEach { $0.stop() }
threads.forEach { $0.join() }

for side in result.sides {
    print("\(side.name): p99 \(TimeFormat.duration(side.latency.p99)), \(side.messagesReceived) of \(side.messagesSent) messages back")
}
if let ratios = result.latencyRatios { print("new/old p99: \(TimeFormat.format(ratios.p99, 2))") }
exit(failure == nil && result.sides.allSatisfy { $0.messagesReceived > 0 } ? 0 : 1)

// spsc-ring: Vocabulary's SPSCRing between two pinned threads (producer CPU 0, consumer CPU 1), the same
// shape as ../shared/bench/c/spsc.c's "cached" variant so the two can be run side by side:
//   spsc-ring [N=100000000] [capacity=4096] [reps=5]
// Items of 8 and 64 bytes through the ring's Producer/Consumer ends (one release store per element,
// the other side's index cached). Prints the median Mops/s per item size and checks the sum of the
// values (nothing lost, nothing repeated).
import Foundation
import Transport
import Vocabulary

struct Item64: BitwiseCopyable {
    var v: UInt64
    var pad: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64)
}

let arguments = CommandLine.arguments
let n = arguments.count > 1 ? Int(arguments[1])! : 100_000_000
let capacity = arguments.count > 2 ? Int(arguments[2])! : 4096
let reps = arguments.count > 3 ? Int(arguments[3])! : 5

final class Sink: @unchecked Sendable { var sum: UInt64 = 0 }

func check(_ sum: UInt64) {
    if sum != UInt64(n) * UInt64(n - 1) / 2 { FileHandle.standardError.write("BAD SUM\n".data(using: .utf8)!); exit(1) }
}

func run8() -> Double {
    let ring = SPSCRing<UInt64>(capacity: capacity)
    let sink = Sink()
    let start = Date()
    let consumer = PinnedThread.start(name: "spsc-consumer", cpu: 1) {
        var c = ring.makeConsumer()
        var sum: UInt64 = 0
        var i = 0
        while i < n { if let e = c.pop() { sum &+= e; i &+= 1 } }
        sink.sum = sum
    }
    let producer = PinnedThread.start(name: "spsc-producer", cpu: 0) {
        var p = ring.makeProducer()
        for i in 0..<n { while !p.push(UInt64(i)) {} }
    }
    producer.join()
    consumer.join()
    let rate = Double(n) / Date().timeIntervalSince(start) / 1e6
    check(sink.sum)
    return rate
}

func run64() -> Double {
    let ring = SPSCRing<Item64>(capacity: capacity)
    let sink = Sink()
    let start = Date()
    let consumer = PinnedThread.start(name: "spsc-consumer", cpu: 1) {
        var c = ring.makeConsumer()
        var sum: UInt64 = 0
        var i = 0
        while i < n { if let e = c.pop() { sum &+= e.v; i &+= 1 } }
        sink.sum = sum
    }
    let producer = PinnedThread.start(name: "spsc-producer", cpu: 0) {
        var p = ring.makeProducer()
        for i in 0..<n {
            let v = UInt64(i)
            while !p.push(Item64(v: v, pad: (v, v, v, v, v, v, v))) {}
        }
    }
    producer.join()
    consumer.join()
    let rate = Double(n) / Date().timeIntervalSince(start) / 1e6
    check(sink.sum)
    return rate
}

func report(_ name: String, _ values: [Double]) {
    let sorted = values.sorted()
    print(String(format: "RESULT %@ median=%.1f min=%.1f max=%.1f Mops/s (n=%d)", name, sorted[sorted.count / 2], sorted.first!, sorted.last!, values.count))
}

report("Swift spsc cached item=8B cap=\(capacity)", (0..<reps).map { _ in run8() })
report("Swift spsc cached item=64B cap=\(capacity)", (0..<reps).map { _ in run64() })

import Vocabulary
import Capture
import Foundation
import Synth
import TestSupport
import Testing
import Transport
@testable import Replay
import Results


/// Every UDP payload of a capture by destination, in order.
func payloadsByDestination(_ path: String) throws -> [Endpoint: [[UInt8]]] {
    var reader = try CaptureReader.open(path)
    var result: [Endpoint: [[UInt8]]] = [:]
    while let packet = try reader.next() {
        let d = PacketDecoder.decode(packet.data, linkType: packet.linkType)
        guard d.status == .transport, d.flow.ipProtocol == 17 else { continue }
        result[Endpoint(address: d.flow.destination, port: d.flow.destinationPort), default: []].append(d.payload.bytes)
    }
    return result
}

/// Receives on a background thread from before the replay starts (a loopback socket buffer holds only
/// a few hundred datagrams) until `expected` datagrams arrived or `idle` ms pass without any.
final class Collector: @unchecked Sendable {
    let receiver: UDPReceiver
    let expected: Int
    private(set) var got: [Int: [[UInt8]]] = [:]
    private(set) var failures: [String] = []
    private let done = DispatchSemaphore(value: 0)

    init(_ receiver: UDPReceiver, expected: Int, idle: Int = 1_000) {
        self.receiver = receiver
        self.expected = expected
        Thread.detachNewThread { [self] in
            var total = 0
            while total < expected {
                guard let n = try? receiver.receive(timeoutMilliseconds: idle), n > 0 else { break }
                for i in 0..<n {
                    guard let d = receiver.datagram(at: i) else { failures.append("datagram \(i) of \(n) missing"); continue }
                    if d.truncated { failures.append("truncated") }
                    if d.kernelTime < 1_700_000_000_000_000_000 { failures.append("no kernel timestamp") }
                    got[d.endpointIndex, default: []].append(d.payload.bytes)
                }
                if receiver.datagram(at: n) != nil { failures.append("datagram(at: count) is not nil") }
                total += n
            }
            done.signal()
        }
    }

    /// Waits for the collector to finish and returns what arrived per endpoint.
    func wait() -> [Int: [[UInt8]]] {
        done.wait()
        #expect(failures.isEmpty, "\(failures.prefix(3))")
        return got
    }
}

/// Compares payload lists without printing them (they are long).
func sameSequence(_ a: [[UInt8]]?, _ b: [[UInt8]]?) -> Bool { (a ?? []) == (b ?? []) }

extension ByteView {
    var bytes: [UInt8] { (0..<count).map { self.getUInt8(at: $0)! } }
}

@Suite("Replay over loopback", .serialized)
struct ReplayLoopbackTests {
    func loopbackReceiver(count: Int) throws -> UDPReceiver {
        try UDPReceiver(endpoints: Array(repeating: Endpoint("127.0.0.1:0")!, count: count))
    }

    @Test("every payload arrives byte for byte, in order, at the target its stream is mapped to",
          arguments: [Pacing.maximum, .speed(4), .packetsPerSecond(50_000), .megabitsPerSecond(200)])
    func deliversExactPayloads(pacing: Pacing) throws {
        let (path, _) = try synthCapture()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let expected = try payloadsByDestination(path)
        let destinations = expected.keys.sorted()
        let receiver = try loopbackReceiver(count: destinations.count)
        var map = TargetMap()
        for (i, d) in destinations.enumerated() { try map.add("\(d)=127.0.0.1:\(receiver.boundPorts[i])") }
        let plan = try FeedPlan(path: path, selection: Selection(), map: map, dropUnmapped: false)
        #expect(plan.streams.map(\.destination) == destinations)
        var options = ReplayOptions()
        options.pacing = pacing
        let player = try FeedPlayer(plan: plan, options: options)
        let total = expected.values.reduce(0) { $0 + $1.count }
        let collector = Collector(receiver, expected: total)
        let (result, failure) = player.run()
        #expect(failure == nil)
        #expect(result.packets == UInt64(total))
        #expect(result.targets.map(\.packets).reduce(0, +) == UInt64(total), "\(result.targets)")
        #expect(result.lateness.count == UInt64(total))
        let got = collector.wait()
        for (i, d) in destinations.enumerated() {
            #expect(got[i]?.count == expected[d]?.count, "stream \(d)")
            #expect(sameSequence(got[i], expected[d]), "stream \(d): payloads differ")
        }
        if case .speed(let x) = pacing {
            // The run lasts at least the scaled span (deadlines are never early).
            #expect(result.wallNs >= Int64(Double(plan.captureSpan) / x) - 1)
        }
    }

    @Test("several targets per stream: each gets every packet; catch-all and unmapped streams")
    func fanOutAndUnmapped() throws {
        let (path, _) = try synthCapture(channels: 2, packets: 200)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let expected = try payloadsByDestination(path)
        let destinations = expected.keys.sorted()
        // Only the first stream mapped: the plan refuses to start and lists the other.
        var partial = TargetMap()
        try partial.add("\(destinations[0])=127.0.0.1:9")
        #expect(throws: FeedPlan.PlanError.self) { try FeedPlan(path: path, selection: Selection(), map: partial, dropUnmapped: false) }
        do {
            _ = try FeedPlan(path: path, selection: Selection(), map: partial, dropUnmapped: false)
        } catch {
            #expect(error.description.contains(destinations[1].description))
        }
        let old = try loopbackReceiver(count: 1)
        let new = try loopbackReceiver(count: 1)
        var map = TargetMap()
        try map.add("*=127.0.0.1:\(old.boundPorts[0]),127.0.0.1:\(new.boundPorts[0])")
        let plan = try FeedPlan(path: path, selection: Selection(), map: map, dropUnmapped: false)
        var options = ReplayOptions()
        options.pacing = .maximum
        let total = expected.values.reduce(0) { $0 + $1.count }
        let oldCollector = Collector(old, expected: total)
        let newCollector = Collector(new, expected: total)
        let (result, _) = try FeedPlayer(plan: plan, options: options).run()
        #expect(result.targets.count == 2)
        #expect(result.targets.allSatisfy { $0.packets == UInt64(total) && $0.failed == 0 })
        #expect(oldCollector.wait()[0]?.count == total)
        #expect(newCollector.wait()[0]?.count == total)

        // Dropping unmapped streams sends only the mapped one.
        let one = try loopbackReceiver(count: 1)
        var single = TargetMap()
        try single.add("\(destinations[0])=127.0.0.1:\(one.boundPorts[0])")
        let dropPlan = try FeedPlan(path: path, selection: Selection(), map: single, dropUnmapped: true)
        #expect(dropPlan.unmapped == [destinations[1]])
        #expect(dropPlan.unmappedPackets == UInt64(expected[destinations[1]]!.count))
        let oneCollector = Collector(one, expected: expected[destinations[0]]!.count)
        let (dropped, _) = try FeedPlayer(plan: dropPlan, options: options).run()
        #expect(dropped.packets == UInt64(expected[destinations[0]]!.count))
        #expect(sameSequence(oneCollector.wait()[0], expected[destinations[0]]))
    }

    @Test("loops continue the timeline and repeat the capture; a gzip capture replays too")
    func loopsAndGzip() throws {
        let (path, _) = try synthCapture(channels: 1, packets: 150, gzip: true)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let expected = try payloadsByDestination(path)
        let receiver = try loopbackReceiver(count: 1)
        var map = TargetMap()
        try map.add("*=127.0.0.1:\(receiver.boundPorts[0])")
        let plan = try FeedPlan(path: path, selection: Selection(), map: map, dropUnmapped: false)
        var options = ReplayOptions()
        options.pacing = .packetsPerSecond(100_000)
        options.loops = 3
        let collector = Collector(receiver, expected: 450)
        let (result, failure) = try FeedPlayer(plan: plan, options: options).run()
        #expect(failure == nil)
        #expect(result.loopsCompleted == 3)
        #expect(result.packets == 450)
        #expect(result.wallNs >= 4_490_000)  // 449 gaps of 10 µs
        let got = collector.wait()[0] ?? []
        let once = expected.values.first!
        #expect(got.count == 450)
        #expect(sameSequence(got, once + once + once))
    }

    @Test("time window and stream selection")
    func selection() throws {
        let (path, _) = try synthCapture(channels: 3, packets: 600)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let all = try FeedPlan(path: path, selection: Selection(), map: { var m = TargetMap(); try! m.add("each=127.0.0.1:40000"); return m }(), dropUnmapped: false)
        #expect(all.streams.count == 3)
        #expect(all.streams.map { $0.targets.map { all.targets[$0].port } } == [[40000], [40001], [40002]])
        var selection = Selection()
        selection.streams = [all.streams[1].destination]
        selection.from = all.captureSpan / 4
        selection.to = all.captureSpan / 2
        var map = TargetMap()
        try map.add("*=127.0.0.1:40000")
        let some = try FeedPlan(path: path, selection: selection, map: map, dropUnmapped: false)
        #expect(some.streams.count == 1)
        #expect(some.packets > 0 && some.packets < all.streams[1].packets)
        #expect(some.firstTime >= all.firstTime + all.captureSpan / 4)
        #expect(some.lastTime < all.firstTime + all.captureSpan / 2)
        selection.streams = [Endpoint("239.9.9.9:1")!]
        #expect(throws: FeedPlan.PlanError.self) { try FeedPlan(path: path, selection: selection, map: map, dropUnmapped: false) }
    }

    @Test("a target that refuses (nothing listening) is counted, not fatal")
    func refusedTarget() throws {
        let (path, _) = try synthCapture(channels: 1, packets: 100)
        defer { try? FileManager.default.removeItem(atPath: path) }
        // Bind then close to get a port where nothing listens.
        let port = try UDPReceiver(endpoints: [Endpoint("127.0.0.1:0")!]).boundPorts[0]
        var map = TargetMap()
        try map.add("*=127.0.0.1:\(port)")
        let plan = try FeedPlan(path: path, selection: Selection(), map: map, dropUnmapped: false)
        var options = ReplayOptions()
        options.pacing = .packetsPerSecond(20_000)
        let (result, _) = try FeedPlayer(plan: plan, options: options).run()
        #expect(result.packets == 100)
        let target = result.targets[0]
        #expect(target.refused > 0)
        #expect(target.packets + target.failed == 100, "every datagram is sent or counted as failed")
        #expect(target.lastError?.contains("refused") == true, "\(target.lastError ?? "nil")")
    }
}

@Suite struct TargetMapTests {
    @Test func parsesAndRejects() throws {
        var m = TargetMap()
        try m.add("239.1.1.1:51001=127.0.0.1:61001,127.0.0.1:62001")
        #expect(m.resolve([Endpoint("239.1.1.1:51001")!]) == [[Endpoint("127.0.0.1:61001")!, Endpoint("127.0.0.1:62001")!]])
        #expect(throws: TargetMap.ParseError.self) { try m.add("239.1.1.1:51001=127.0.0.1:61001") }
        #expect(throws: TargetMap.ParseError.self) { try m.add("nonsense") }
        #expect(throws: TargetMap.ParseError.self) { try m.add("*=127.0.0.1") }
        #expect(throws: TargetMap.ParseError.self) { try m.add("*=127.0.0.1:0") }
        #expect(throws: TargetMap.ParseError.self) { try m.add("each=127.0.0.1:1,127.0.0.1:2") }
        try m.add("each=127.0.0.1:7000")
        #expect(throws: TargetMap.ParseError.self) { try m.add("*=127.0.0.1:8000") }
        #expect(throws: TargetMap.ParseError.self) { try m.add("each=127.0.0.1:7000") }
        let r = m.resolve([Endpoint("239.1.1.1:51001")!, Endpoint("239.1.1.2:51002")!, Endpoint("239.1.1.3:51003")!])
        #expect(r[1] == [Endpoint("127.0.0.1:7000")!])
        #expect(r[2] == [Endpoint("127.0.0.1:7001")!])
    }
}

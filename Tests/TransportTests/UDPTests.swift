import Vocabulary
import Capture
import Foundation
import Testing
@testable import Transport

@Suite("UDP sockets on loopback", .serialized)
struct UDPTests {
    @Test("kernel receive timestamps are arrival times, not read times")
    func kernelTimestamps() throws {
        let receiver = try UDPReceiver(endpoints: [Endpoint("127.0.0.1:0")!])
        let sender = try UDPSender(target: Endpoint(address: IPAddress(v4: 0x7F00_0001), port: receiver.boundPorts[0]))
        var sentAt: [Int64] = []
        for i in 0..<3 {
            sentAt.append(Clock.realtime())
            #expect(sender.send([UInt8(i), 1, 2, 3]) == 1)
            usleep(20_000)
        }
        usleep(50_000)
        var stamps: [Int64] = []
        while stamps.count < 3 {
            let n = try receiver.receive(timeoutMilliseconds: 500)
            if n == 0 { break }
            for i in 0..<n { stamps.append(try #require(receiver.datagram(at: i)).kernelTime) }
        }
        #expect(stamps.count == 3)
        for (s, k) in zip(sentAt, stamps) {
            #expect(k >= s - 1_000_000 && k < s + 10_000_000, "stamp \(k - s) ns after the send")
        }
    }

    @Test("payload, source and truncation are reported; out-of-range index is nil")
    func datagramFields() throws {
        var options = ReceiverOptions()
        options.slotSize = 64
        let receiver = try UDPReceiver(endpoints: [Endpoint("127.0.0.1:0")!, Endpoint("127.0.0.1:0")!], options: options)
        let a = try UDPSender(target: Endpoint(address: IPAddress(v4: 0x7F00_0001), port: receiver.boundPorts[1]))
        #expect(a.send(Array(repeating: 7, count: 100)) == 1)
        #expect(try receiver.receive(timeoutMilliseconds: 1_000) == 1)
        let d = try #require(receiver.datagram(at: 0))
        #expect(d.endpointIndex == 1)
        #expect(d.truncated)
        #expect(d.length == 100)
        #expect(d.payload.count == 64)
        #expect(d.source.address == IPAddress(v4: 0x7F00_0001))
        #expect(receiver.datagram(at: 1) == nil)
        #expect(receiver.datagram(at: -1) == nil)
        #expect(try receiver.receive(timeoutMilliseconds: 10) == 0)
    }

    @Test("multicast is refused without an interface; with 127.0.0.1 and TTL 0 it loops back")
    func multicastPinned() throws {
        let group = Endpoint("239.255.77.1:0")!
        #expect(throws: TransportError.self) { try UDPSender(target: Endpoint(address: group.address, port: 40_001)) }
        var receive = ReceiverOptions()
        receive.multicastInterface = IPAddress(v4: 0x7F00_0001)
        let receiver = try UDPReceiver(endpoints: [group], options: receive)
        var send = SenderOptions()
        send.multicastInterface = IPAddress(v4: 0x7F00_0001)
        send.multicastTTL = 0
        let sender = try UDPSender(target: Endpoint(address: group.address, port: receiver.boundPorts[0]), options: send)
        #expect(sender.send([1, 2, 3]) == 1)
        #expect(try receiver.receive(timeoutMilliseconds: 1_000) == 1)
        #expect(receiver.datagram(at: 0)?.payload.count == 3)
    }

    @Test("binding an address in use or not local fails with the endpoint named")
    func bindErrors() throws {
        #expect(throws: TransportError.self) { try UDPReceiver(endpoints: [Endpoint("192.0.2.55:40000")!]) }
        do {
            _ = try UDPReceiver(endpoints: [Endpoint("192.0.2.55:40000")!])
        } catch {
            #expect(error.description.contains("192.0.2.55:40000"))
        }
    }
}

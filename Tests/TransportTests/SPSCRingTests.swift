import Synchronization
import Testing
import Vocabulary
import Transport

@Suite("SPSC ring")
struct SPSCRingTests {
    @Test("every capacity and start offset: fills, refuses when full, drains in order",
          arguments: [1, 2, 3, 5, 16])
    func wrapAround(capacity: Int) {
        let ring = SPSCRing<Int>(capacity: capacity)
        #expect(ring.capacity >= capacity && ring.capacity & (ring.capacity - 1) == 0)
        var next = 0, expected = 0
        for start in 0..<(ring.capacity * 2 + 1) {
            // Advance the indices by `start` so every slot position is the first one once.
            for _ in 0..<(start % ring.capacity) { #expect(ring.push(next)); next += 1; #expect(ring.pop() == expected); expected += 1 }
            for _ in 0..<ring.capacity { #expect(ring.push(next)); next += 1 }
            #expect(!ring.push(-1))
            #expect(ring.count == ring.capacity)
            for _ in 0..<ring.capacity { #expect(ring.pop() == expected); expected += 1 }
            #expect(ring.pop() == nil)
        }
    }

    @Test("batched mode publishes only on batch boundaries and publish()")
    func batched() {
        let ring = SPSCRing<Int>(capacity: 8)
        for i in 0..<3 { #expect(ring.enqueue(i, batch: 4)) }
        #expect(ring.dequeue(batch: 4) == nil)  // not published yet
        #expect(ring.enqueue(3, batch: 4))       // fourth: published
        for i in 0..<4 { #expect(ring.dequeue(batch: 4) == i) }
        #expect(ring.enqueue(4, batch: 4))
        ring.publish()
        #expect(ring.dequeue(batch: 4) == 4)
        // Slot 4 goes back to the producer only at a batch boundary or when the consumer finds the ring empty.
        for i in 0..<7 { #expect(ring.enqueue(10 + i, batch: 4)) }
        #expect(!ring.enqueue(17, batch: 4))
        for i in 0..<7 { #expect(ring.dequeue(batch: 4) == 10 + i) }
        #expect(ring.dequeue(batch: 4) == nil)  // empty: gives every slot back
        for i in 0..<8 { #expect(ring.enqueue(20 + i, batch: 4)) }
        #expect(!ring.enqueue(99, batch: 4))
    }

    @Test("staged mode: nothing visible until a batch fills or is flushed; batches wrap; a full ring refuses a whole batch")
    func staged() {
        let ring = SPSCRing<Int>(capacity: 8, stagingCapacity: 3)
        #expect(ring.stagingCapacity == 3)
        ring.stage(0)
        ring.stage(1)
        #expect(ring.dequeue() == nil)           // staged only
        ring.stage(2)                            // third: the batch goes in
        for i in 0..<3 { #expect(ring.dequeue() == i) }
        ring.stage(3)
        ring.flushStaged()
        #expect(ring.dequeue() == 3)
        #expect(ring.dequeue() == nil)
        // Whole batches across the wrap point, in order.
        var next = 4, expected = 4
        for _ in 0..<20 {
            for _ in 0..<3 { ring.stage(next); next += 1 }
            for _ in 0..<3 { #expect(ring.dequeue() == expected); expected += 1 }
        }
        // enqueue(contentsOf:) is all or nothing.
        let five = [100, 101, 102, 103, 104]
        #expect(five.withUnsafeBufferPointer { ring.enqueue(contentsOf: $0) })
        #expect(!five.withUnsafeBufferPointer { ring.enqueue(contentsOf: $0) })  // 3 free slots: refused
        #expect(ring.count == 5)
        for value in five { #expect(ring.dequeue() == value) }
        #expect(ring.dequeue() == nil)
    }

    @Test("two threads, millions of items: nothing lost, reordered or duplicated", arguments: [0, 1, 2])
    func stress(mode: Int) async {
        let batched = mode >= 1, staged = mode == 2
        let ring = SPSCRing<UInt64>(capacity: 1024)
        let total: UInt64 = 3_000_000
        let producer = Thread {
            var i: UInt64 = 0
            while i < total {
                if staged {
                    ring.stage(i)
                    i += 1
                } else if batched ? ring.enqueue(i) : ring.push(i) { i += 1 } else { sched_yield() }
            }
            if staged { ring.flushStaged() } else if batched { ring.publish() }
        }
        producer.start()
        var expected: UInt64 = 0
        var errors = 0
        while expected < total {
            if let value = batched ? ring.dequeue() : ring.pop() {
                if value != expected { errors += 1 }
                expected += 1
            } else {
                sched_yield()
            }
        }
        #expect(errors == 0)
        #expect(ring.pop() == nil)
    }

    @Test("producer and consumer ends: every capacity and start offset, full and empty at every wrap position",
          arguments: [1, 2, 4, 8, 64])
    func endsWrapAround(capacity: Int) {
        let ring = SPSCRing<Int>(capacity: capacity)
        var producer = ring.makeProducer()
        var consumer = ring.makeConsumer()
        var next = 0, expected = 0
        for start in 0..<(ring.capacity * 2 + 1) {
            for _ in 0..<(start % ring.capacity) {
                let pushed = producer.push(next); next += 1
                let popped = consumer.pop(); expected += 1
                #expect(pushed && popped == expected - 1)
            }
            for _ in 0..<ring.capacity { let pushed = producer.push(next); next += 1; #expect(pushed) }
            let overfull = producer.push(-1)
            #expect(!overfull)
            #expect(ring.count == ring.capacity)
            for _ in 0..<ring.capacity { let popped = consumer.pop(); #expect(popped == expected); expected += 1 }
            let empty = consumer.pop()
            #expect(empty == nil)
        }
    }

    @Test("producer and consumer ends on two threads, 20 million items: in order, none lost or repeated")
    func endsStress() {
        let ring = SPSCRing<UInt64>(capacity: 4096)
        let total: UInt64 = 20_000_000
        let producer = Thread {
            var p = ring.makeProducer()
            var i: UInt64 = 0
            var spins = 0
            while i < total {
                if p.push(i) { i &+= 1; spins = 0 } else { spins += 1; if spins > 100 { sched_yield() } }
            }
        }
        producer.start()
        var consumer = ring.makeConsumer()
        var expected: UInt64 = 0
        var errors = 0
        var spins = 0
        while expected < total {
            if let value = consumer.pop() {
                if value != expected { errors += 1 }
                expected &+= 1
                spins = 0
            } else {
                spins += 1
                if spins > 100 { sched_yield() }
            }
        }
        #expect(errors == 0)
        #expect(expected == total)
        let empty = consumer.pop()
        #expect(empty == nil)
    }
}

import Foundation

import Synchronization

/// A bounded single-producer / single-consumer ring of plain values (descriptors, never payloads).
///
/// Contract: exactly one thread calls ``push(_:)`` and exactly one (other) thread calls ``pop()``.
/// The producer publishes an element with a releasing store of `tail` after writing the slot; the
/// consumer reads `tail` with an acquiring load before reading the slot, and gives the slot back with a
/// releasing store of `head`, which the producer acquires before overwriting it. Each side caches the
/// other side's index and reloads it only when the ring looks full (producer) or empty (consumer), so a
/// steady stream costs one relaxed load and one releasing store per element on each side. The two
/// indices sit on separate cache lines (padding between them) so the cores do not share a line.
///
/// `@unchecked Sendable`: safe under the single-producer/single-consumer contract above — every slot is
/// written by the producer only while the consumer cannot read it, and vice versa.
public final class SPSCRing<Element: BitwiseCopyable>: @unchecked Sendable {
    @usableFromInline let slots: UnsafeMutablePointer<Element>
    /// Capacity − 1 (capacity is a power of two).
    @usableFromInline let mask: Int
    public let capacity: Int

    @usableFromInline let padding0: (Int, Int, Int, Int, Int, Int, Int, Int) = (0, 0, 0, 0, 0, 0, 0, 0)
    /// Next slot to write. Written by the producer only.
    @usableFromInline let tail = Atomic<Int>(0)
    /// The producer's last view of `head`.
    @usableFromInline let cachedHead = Atomic<Int>(0)
    /// Producer: slots written but not yet published (batched mode).
    @usableFromInline let localTail = Atomic<Int>(0)
    @usableFromInline let padding1: (Int, Int, Int, Int, Int, Int, Int, Int) = (0, 0, 0, 0, 0, 0, 0, 0)
    /// Next slot to read. Written by the consumer only.
    @usableFromInline let head = Atomic<Int>(0)
    /// The consumer's last view of `tail`.
    @usableFromInline let cachedTail = Atomic<Int>(0)
    /// Consumer: slots read but not yet given back (batched mode).
    @usableFromInline let localHead = Atomic<Int>(0)
    @usableFromInline let padding2: (Int, Int, Int, Int, Int, Int, Int, Int) = (0, 0, 0, 0, 0, 0, 0, 0)

    /// - Parameter capacity: rounded up to a power of two (at least 1).
    public init(capacity requested: Int) {
        precondition(requested > 0, "ring capacity must be positive")
        var capacity = 1
        while capacity < requested { capacity <<= 1 }
        self.capacity = capacity
        mask = capacity - 1
        slots = UnsafeMutablePointer<Element>.allocate(capacity: capacity)
    }

    deinit {
        slots.deallocate()
    }

    /// Producer only. Appends `element`; false when the ring is full.
    @inlinable @inline(__always)
    public func push(_ element: Element) -> Bool {
        let t = tail.load(ordering: .relaxed)
        if t &- cachedHead.load(ordering: .relaxed) == capacity {
            let h = head.load(ordering: .acquiring)
            cachedHead.store(h, ordering: .relaxed)
            if t &- h == capacity { return false }
        }
        (slots + (t & mask)).initialize(to: element)
        tail.store(t &+ 1, ordering: .releasing)
        return true
    }

    /// Consumer only. Removes the oldest element; nil when the ring is empty.
    @inlinable @inline(__always)
    public func pop() -> Element? {
        let h = head.load(ordering: .relaxed)
        if h == cachedTail.load(ordering: .relaxed) {
            let t = tail.load(ordering: .acquiring)
            cachedTail.store(t, ordering: .relaxed)
            if h == t { return nil }
        }
        let element = (slots + (h & mask)).pointee
        head.store(h &+ 1, ordering: .releasing)
        return element
    }

    // MARK: Batched mode — one publication per `batch` elements, so the cores exchange the index and
    // slot cache lines once per batch instead of once per element. Use either these or push/pop.

    /// Producer only. Writes `element`; it becomes visible at the next ``publish()`` or after `batch`
    /// elements. False when the ring is full (the batch written so far is published first).
    @inlinable @inline(__always)
    public func enqueue(_ element: Element, batch: Int = 64) -> Bool {
        let t = localTail.load(ordering: .relaxed)
        if t &- cachedHead.load(ordering: .relaxed) == capacity {
            publish()
            let h = head.load(ordering: .acquiring)
            cachedHead.store(h, ordering: .relaxed)
            if t &- h == capacity { return false }
        }
        (slots + (t & mask)).initialize(to: element)
        localTail.store(t &+ 1, ordering: .relaxed)
        if (t &+ 1) & (batch &- 1) == 0 { tail.store(t &+ 1, ordering: .releasing) }
        return true
    }

    /// Producer only. Makes every enqueued element visible to the consumer.
    @inlinable @inline(__always)
    public func publish() {
        tail.store(localTail.load(ordering: .relaxed), ordering: .releasing)
    }

    /// Consumer only. Takes the oldest published element; nil when none is published. Slots are
    /// given back to the producer every `batch` elements and whenever the ring looks empty.
    @inlinable @inline(__always)
    public func dequeue(batch: Int = 64) -> Element? {
        let h = localHead.load(ordering: .relaxed)
        if h == cachedTail.load(ordering: .relaxed) {
            head.store(h, ordering: .releasing)
            let t = tail.load(ordering: .acquiring)
            cachedTail.store(t, ordering: .relaxed)
            if h == t { return nil }
        }
        let element = (slots + (h & mask)).pointee
        localHead.store(h &+ 1, ordering: .relaxed)
        if (h &+ 1) & (batch &- 1) == 0 { head.store(h &+ 1, ordering: .releasing) }
        return element
    }

    /// Elements waiting (approximate while both sides run).
    public var count: Int { tail.load(ordering: .acquiring) &- head.load(ordering: .acquiring) }
}

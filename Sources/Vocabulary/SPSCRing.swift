import Synchronization

/// A bounded single-producer / single-consumer ring of plain values (descriptors, never payloads).
///
/// Contract: exactly one thread calls ``push(_:)`` and exactly one (other) thread calls ``pop()``.
/// The producer publishes an element with a releasing store of `tail` after writing the slot; the
/// consumer reads `tail` with an acquiring load before reading the slot, and gives the slot back with a
/// releasing store of `head`, which the producer acquires before overwriting it. Each side caches the
/// other side's index and reloads it only when the ring looks full (producer) or empty (consumer), so a
/// steady stream costs one relaxed load and one releasing store per element on each side. The shared
/// indices and each side's private ones sit on separate cache lines so the cores share only what they must.
///
/// `@unchecked Sendable`: safe under the single-producer/single-consumer contract above — every slot is
/// written by the producer only while the consumer cannot read it, and vice versa.
public final class SPSCRing<Element: BitwiseCopyable>: @unchecked Sendable {
    @usableFromInline let slots: UnsafeMutablePointer<Element>
    /// Capacity − 1 (capacity is a power of two).
    @usableFromInline let mask: Int
    public let capacity: Int

    // Four groups, each on its own pair of cache lines (128 bytes apart: the adjacent-line prefetcher
    // fetches lines in pairs): the two shared indices, and each side's private bookkeeping. A private
    // field beside a shared one made every enqueue steal the line the consumer was polling.
    @usableFromInline let padding0 = CacheLinePair()
    /// Next slot to read, published by the consumer. Written by the consumer only.
    @usableFromInline let head = Atomic<Int>(0)
    @usableFromInline let padding1 = CacheLinePair()
    /// Next slot to write, published by the producer. Written by the producer only.
    @usableFromInline let tail = Atomic<Int>(0)
    @usableFromInline let padding2 = CacheLinePair()
    /// Producer only: its last view of `head`, and slots written but not yet published (batched mode).
    @usableFromInline let cachedHead = Atomic<Int>(0)
    @usableFromInline let localTail = Atomic<Int>(0)
    /// Producer only (staged mode): elements waiting in `staging`.
    @usableFromInline let stagedCount = Atomic<Int>(0)
    @usableFromInline let padding3 = CacheLinePair()
    /// Consumer only: its last view of `tail`, and slots read but not yet given back (batched mode).
    @usableFromInline let cachedTail = Atomic<Int>(0)
    @usableFromInline let localHead = Atomic<Int>(0)
    @usableFromInline let padding4 = CacheLinePair()

    /// Producer only (staged mode): the batch being gathered on the producer's side.
    @usableFromInline let staging: UnsafeMutablePointer<Element>
    /// Elements per staged batch.
    public let stagingCapacity: Int

    /// - Parameters:
    ///   - capacity: rounded up to a power of two (at least 1).
    ///   - stagingCapacity: elements per batch in staged mode (``stage(_:)``), at most `capacity`.
    public init(capacity requested: Int, stagingCapacity: Int = 64) {
        precondition(requested > 0, "ring capacity must be positive")
        var capacity = 1
        while capacity < requested { capacity <<= 1 }
        self.capacity = capacity
        mask = capacity - 1
        slots = UnsafeMutablePointer<Element>.allocate(capacity: capacity)
        self.stagingCapacity = max(1, min(stagingCapacity, capacity))
        staging = UnsafeMutablePointer<Element>.allocate(capacity: self.stagingCapacity)
    }

    deinit {
        slots.deallocate()
        staging.deallocate()
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

    /// Producer only (batched mode). Writes all of `elements` in one copy and publishes them; false,
    /// writing nothing, when the ring lacks room for all of them.
    @inlinable
    public func enqueue(contentsOf elements: UnsafeBufferPointer<Element>) -> Bool {
        guard let source = elements.baseAddress else { return true }
        let n = elements.count
        let t = localTail.load(ordering: .relaxed)
        if capacity &- (t &- cachedHead.load(ordering: .relaxed)) < n {
            let h = head.load(ordering: .acquiring)
            cachedHead.store(h, ordering: .relaxed)
            if capacity &- (t &- h) < n { return false }
        }
        let start = t & mask
        let first = Swift.min(n, capacity &- start)
        (slots + start).initialize(from: source, count: first)
        if first < n { slots.initialize(from: source + first, count: n &- first) }
        localTail.store(t &+ n, ordering: .relaxed)
        tail.store(t &+ n, ordering: .releasing)
        return true
    }

    // MARK: Staged mode — the producer gathers `stagingCapacity` elements in a buffer of its own and
    // copies them into the ring in one go. Writing element by element into slots the consumer's core
    // had just read stalled the producer; a batch copy measured ~8 % faster for `inspect` end to end.
    // The consumer uses ``dequeue(batch:)``.

    /// Producer only. Adds `element` to the staged batch; a full batch goes into the ring, waiting
    /// (``IdleBackoff``) while the ring lacks room for it.
    @inlinable @inline(__always)
    public func stage(_ element: Element) {
        let n = stagedCount.load(ordering: .relaxed)
        (staging + n).initialize(to: element)
        stagedCount.store(n &+ 1, ordering: .relaxed)
        if _slowPath(n &+ 1 == stagingCapacity) { flushStaged() }
    }

    /// Producer only. Copies the staged elements into the ring and publishes them, waiting
    /// (``IdleBackoff``) while the ring lacks room.
    public func flushStaged() {
        let n = stagedCount.load(ordering: .relaxed)
        guard n > 0 else { return }
        let batch = UnsafeBufferPointer(start: staging, count: n)
        var backoff = IdleBackoff()
        while !enqueue(contentsOf: batch) { backoff.wait() }
        stagedCount.store(0, ordering: .relaxed)
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

extension SPSCRing {
    /// The producer's end: its own index and its cached view of the consumer's live in this value (in
    /// registers inside a loop), so a push touches shared memory only to write the slot and publish.
    /// One producer per ring (noncopyable: it cannot be duplicated by accident).
    public struct Producer: ~Copyable {
        @usableFromInline let ring: SPSCRing
        @usableFromInline let slots: UnsafeMutablePointer<Element>
        @usableFromInline let mask: Int
        @usableFromInline let capacity: Int
        @usableFromInline var tail: Int
        @usableFromInline var cachedHead: Int

        init(_ ring: SPSCRing) {
            self.ring = ring
            slots = ring.slots
            mask = ring.mask
            capacity = ring.capacity
            tail = ring.tail.load(ordering: .relaxed)
            cachedHead = ring.head.load(ordering: .acquiring)
        }

        /// Appends `element` and publishes it (release); false when the ring is full.
        @inlinable @inline(__always)
        public mutating func push(_ element: Element) -> Bool {
            if tail &- cachedHead == capacity {
                cachedHead = ring.head.load(ordering: .acquiring)
                if tail &- cachedHead == capacity { return false }
            }
            (slots + (tail & mask)).initialize(to: element)
            tail &+= 1
            ring.tail.store(tail, ordering: .releasing)
            return true
        }
    }

    /// The consumer's end, the mirror of ``Producer``. One consumer per ring.
    public struct Consumer: ~Copyable {
        @usableFromInline let ring: SPSCRing
        @usableFromInline let slots: UnsafeMutablePointer<Element>
        @usableFromInline let mask: Int
        @usableFromInline var head: Int
        @usableFromInline var cachedTail: Int

        init(_ ring: SPSCRing) {
            self.ring = ring
            slots = ring.slots
            mask = ring.mask
            head = ring.head.load(ordering: .relaxed)
            cachedTail = ring.tail.load(ordering: .acquiring)
        }

        /// Removes the oldest element (acquire); nil when the ring is empty.
        @inlinable @inline(__always)
        public mutating func pop() -> Element? {
            if head == cachedTail {
                cachedTail = ring.tail.load(ordering: .acquiring)
                if head == cachedTail { return nil }
            }
            let element = (slots + (head & mask)).pointee
            head &+= 1
            ring.head.store(head, ordering: .releasing)
            return element
        }
    }

    /// The producer's end. Take it once, on the producing thread; do not mix with ``push(_:)``/``enqueue(_:batch:)``.
    public func makeProducer() -> Producer { Producer(self) }
    /// The consumer's end. Take it once, on the consuming thread; do not mix with ``pop()``/``dequeue(batch:)``.
    public func makeConsumer() -> Consumer { Consumer(self) }
}

/// 128 bytes of nothing: keeps the fields around it on different pairs of cache lines.
@usableFromInline
struct CacheLinePair: Sendable {
    @usableFromInline let words: (Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int) =
        (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    @usableFromInline init() {}
}

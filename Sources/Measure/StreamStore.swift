/// The per-stream accumulators of one inspection, in storage of its own: updating a packet's stream is
/// a bounds check and a pointer access, where an array would also check on every write that its
/// buffer is not shared (a runtime call per packet). Noncopyable, so no copy can share the storage.
struct StreamStore: ~Copyable {
    private var base: UnsafeMutablePointer<StreamAccumulator>
    private var capacity: Int
    /// Number of streams.
    private(set) var count = 0

    init(capacity: Int = 64) {
        self.capacity = max(1, capacity)
        base = .allocate(capacity: self.capacity)
    }

    deinit {
        base.deinitialize(count: count)
        base.deallocate()
    }

    /// Adds a stream at index ``count``.
    mutating func append(_ stream: StreamAccumulator) {
        if count == capacity {
            let larger = UnsafeMutablePointer<StreamAccumulator>.allocate(capacity: capacity * 2)
            larger.moveInitialize(from: base, count: count)
            base.deallocate()
            base = larger
            capacity *= 2
        }
        (base + count).initialize(to: stream)
        count += 1
    }

    /// The stream at `index` (0 ..< ``count``; anything else traps).
    subscript(index: Int) -> StreamAccumulator {
        @inline(__always) _read {
            precondition(UInt(bitPattern: index) < UInt(bitPattern: count), "stream index out of range")
            yield base[index]
        }
        @inline(__always) _modify {
            precondition(UInt(bitPattern: index) < UInt(bitPattern: count), "stream index out of range")
            yield &base[index]
        }
    }

    /// Every stream, in index order (a copy).
    var elements: [StreamAccumulator] { Array(UnsafeBufferPointer(start: base, count: count)) }
}

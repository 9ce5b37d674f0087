import Vocabulary
/// Per-stream state of one inspection (accumulators, OMD statistics), in storage of its own:
/// updating a packet's entry is a bounds check and a pointer access, where an array would also check
/// on every write that its buffer is not shared (a runtime call per packet). Noncopyable, so no copy
/// can share the storage.
struct DenseStore<Element>: ~Copyable {
    private var base: UnsafeMutablePointer<Element>
    private var capacity: Int
    /// Number of entries.
    private(set) var count = 0

    init(capacity: Int = 64) {
        self.capacity = max(1, capacity)
        base = .allocate(capacity: self.capacity)
    }

    /// A store holding `elements`, in order.
    init(_ elements: [Element]) {
        self.init(capacity: elements.count)
        for element in elements { append(element) }
    }

    deinit {
        base.deinitialize(count: count)
        base.deallocate()
    }

    /// Adds an entry at index ``count``.
    mutating func append(_ element: Element) {
        if count == capacity {
            let larger = UnsafeMutablePointer<Element>.allocate(capacity: capacity * 2)
            larger.moveInitialize(from: base, count: count)
            base.deallocate()
            base = larger
            capacity *= 2
        }
        (base + count).initialize(to: element)
        count += 1
    }

    /// The entry at `index` (0 ..< ``count``; anything else traps).
    subscript(index: Int) -> Element {
        @inline(__always) _read {
            precondition(UInt(bitPattern: index) < UInt(bitPattern: count), "index out of range")
            yield base[index]
        }
        @inline(__always) _modify {
            precondition(UInt(bitPattern: index) < UInt(bitPattern: count), "index out of range")
            yield &base[index]
        }
    }

    /// Every entry, in index order (a copy).
    var elements: [Element] { Array(UnsafeBufferPointer(start: base, count: count)) }
}

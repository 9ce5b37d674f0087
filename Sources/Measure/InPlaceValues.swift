/// A fixed number of values changed in place through a reference: `values[i].field += 1` is a bounds
/// check and a store, where an array element changed through `inout` first asks the runtime whether
/// the array's buffer is shared (a call per access). For the offline comparison's per-packet state
/// (a line and a pairing per packet), held by one pass and handed back as an array at its end.
final class InPlaceValues<Element> {
    private let base: UnsafeMutablePointer<Element>
    /// The number of values.
    let count: Int

    /// The values of `array`, in order.
    init(_ array: consuming [Element]) {
        count = array.count
        base = .allocate(capacity: max(count, 1))
        array.withUnsafeBufferPointer { source in
            if let start = source.baseAddress { base.initialize(from: start, count: count) }
        }
    }

    deinit {
        base.deinitialize(count: count)
        base.deallocate()
    }

    /// The value at `index` (0 ..< count: checked).
    subscript(index: Int) -> Element {
        @inline(__always) get {
            precondition(index >= 0 && index < count, "index out of range")
            return base[index]
        }
        @inline(__always) _modify {
            precondition(index >= 0 && index < count, "index out of range")
            yield &base[index]
        }
    }

    /// The values, copied into an array.
    var array: [Element] { Array(UnsafeBufferPointer(start: base, count: count)) }
}

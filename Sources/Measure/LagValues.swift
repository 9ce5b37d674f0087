/// A growable run of lags (ns) that one ``PairWalk`` appends to per common message: a reference, so an
/// append is a capacity check and a store, where an array kept in a value changed through two levels
/// of `inout` also asked the runtime, per message, whether its buffer was shared. Only its walk holds it
/// (a walk copied for its figures is read, not appended to).
final class LagValues {
    private var base: UnsafeMutablePointer<Int64>
    private var capacity: Int
    /// Values held.
    private(set) var count = 0

    init(capacity: Int = 64) {
        self.capacity = max(capacity, 1)
        base = .allocate(capacity: self.capacity)
    }

    deinit { base.deallocate() }

    var isEmpty: Bool { count == 0 }

    @inline(__always)
    func append(_ value: Int64) {
        if _slowPath(count == capacity) { grow() }
        base[count] = value
        count &+= 1
    }

    @inline(never)
    private func grow() {
        let bigger = UnsafeMutablePointer<Int64>.allocate(capacity: capacity << 1)
        bigger.moveInitialize(from: base, count: count)
        base.deallocate()
        base = bigger
        capacity <<= 1
    }

    /// Forgets the values, keeping the storage.
    func removeAll() { count = 0 }

    /// Every value, in the order appended.
    @inline(__always)
    func forEach(_ body: (Int64) -> Void) {
        for i in 0..<count { body(base[i]) }
    }

    /// The values in ascending order.
    func sorted() -> [Int64] { UnsafeBufferPointer(start: base, count: count).sorted() }
}

/// A power-of-two run of `Element`s indexed modulo its count: every index is in bounds by
/// construction (the low bits of any integer), so an access is a mask and a pointer access, where an
/// array nested in a value kept in another array would also check on every write that its buffer is
/// not shared (a runtime call per message). A reference: the ring that owns it is changed in place and
/// never copied apart.
final class MaskedRing<Element: BitwiseCopyable> {
    private let base: UnsafeMutablePointer<Element>
    /// The count minus one (the count is a power of two).
    let mask: UInt32
    var count: Int { Int(mask) + 1 }

    /// `count` (a power of two, at least 1) copies of `element`.
    init(count: Int, repeating element: Element) {
        precondition(count > 0 && count & (count - 1) == 0 && count <= 1 << 32, "a masked ring's count is a power of two up to 2³²")
        mask = UInt32(count - 1)
        base = .allocate(capacity: count)
        base.initialize(repeating: element, count: count)
    }

    deinit { base.deallocate() }

    /// The element at `index` modulo the count.
    subscript(index: UInt32) -> Element {
        @inline(__always) get { base[Int(index & mask)] }
        @inline(__always) _modify { yield &base[Int(index & mask)] }
    }

    /// Every element, in index order.
    func forEach(_ body: (Element) -> Void) {
        for i in 0..<count { body(base[i]) }
    }
}

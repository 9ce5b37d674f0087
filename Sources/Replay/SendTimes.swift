/// The actual send time of every packet of one pass (monotonic ns, taken when the sender's batch was
/// handed to the kernel), indexed like the plan's packets: what lets a bench tell the platform's own
/// time (receive − actual send) apart from the sender's lateness (actual − scheduled send). Allocated
/// once before the run (8 bytes per packet); the sender writes one slot per packet and allocates
/// nothing. Read only after the run that wrote it has returned.
/// `@unchecked Sendable`: written by the one sending thread during `FeedPlayer.run`, read after it returned.
public final class SendTimes: @unchecked Sendable {
    let slots: UnsafeMutableBufferPointer<Int64>

    /// Room for `packets` packets, none sent yet.
    public init(packets: Int) {
        slots = .allocate(capacity: max(0, packets))
        slots.initialize(repeating: 0)
    }

    deinit { slots.deallocate() }

    /// Packets it has room for.
    public var count: Int { slots.count }

    /// When packet `index` was handed to the kernel (monotonic ns), or nil when it was not sent.
    public subscript(index: Int) -> Int64? {
        guard index >= 0, index < slots.count else { return nil }
        let t = slots[index]
        return t == 0 ? nil : t
    }
}

import Synchronization

/// Progress of a long pass (over a file, or generating one), written by the worker (relaxed stores every few thousand
/// packets) and read by whoever draws it. Lock-free.
public final class ProgressCounter: Sendable {
    private let done = Atomic<Int>(0)
    private let total = Atomic<Int>(0)
    public init() {}
    /// Units processed so far (bytes of the file, nanoseconds of capture time generated).
    public var completed: Int { done.load(ordering: .relaxed) }
    /// Units in all (0 when unknown).
    public var expected: Int { total.load(ordering: .relaxed) }
    public func set(completed value: Int) { done.store(value, ordering: .relaxed) }
    public func set(expected value: Int) { total.store(value, ordering: .relaxed) }
}

/// One of COUNT shards of a piece of work (`--shard INDEX/COUNT`, INDEX from 0 as Kubernetes'
/// `JOB_COMPLETION_INDEX`): every shard owns the items whose number, taken modulo COUNT, is its
/// INDEX. COUNT processes, one per shard, together cover every item exactly once; `rehearse merge`
/// puts their results together.
public struct Shard: Codable, Sendable, Equatable, Hashable, CustomStringConvertible {
    public let index: Int
    public let count: Int

    /// `index` in 0..<`count`; nil otherwise.
    public init?(index: Int, count: Int) {
        guard count >= 1, index >= 0, index < count else { return nil }
        self.index = index
        self.count = count
    }

    /// "INDEX/COUNT" (e.g. "0/4"); nil when it is not two numbers with INDEX below COUNT.
    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let i = Int(parts[0].trimmingWhitespace), let n = Int(parts[1].trimmingWhitespace) else { return nil }
        self.init(index: i, count: n)
    }

    /// True when item number `item` is this shard's.
    @inlinable public func owns(_ item: Int) -> Bool { item % count == index }

    public var description: String { "\(index)/\(count)" }
}

extension Substring {
    fileprivate var trimmingWhitespace: Substring {
        var s = self
        while s.first == " " { s.removeFirst() }
        while s.last == " " { s.removeLast() }
        return s
    }
}

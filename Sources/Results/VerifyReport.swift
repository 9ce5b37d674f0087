import Vocabulary

/// One line of the pre-rollout checklist.
public struct CheckItem: Codable, Sendable, Equatable {
    /// The platform (scenario target) it belongs to.
    public var target: String
    /// What is checked, e.g. `gateway 10.1.0.5:9001 TCP connect`, `line A 239.1.1.1:51001`.
    public var item: String
    public var passed: Bool
    /// Not tried because a step before it failed (neither passed nor a failure of its own).
    public var skipped: Bool
    /// Why it passed or failed, for people.
    public var detail: String
    public var elapsedNs: Int64

    /// Memberwise.
    public init(target: String, item: String, passed: Bool, detail: String, elapsedNs: Int64, skipped: Bool = false) {
        self.skipped = skipped
        self.target = target
        self.item = item
        self.passed = passed
        self.detail = detail
        self.elapsedNs = elapsedNs
    }
}

/// The pre-rollout checklist (schema `rehearse.verify/1`): every item with its verdict and reason.
public struct VerifyReport: Codable, Sendable {
    public var schema = "rehearse.verify/1"
    public var scenario: String
    public var name: String
    /// Every item passed (and there was at least one).
    public var passed: Bool
    /// Items that failed on their own.
    public var failed: Int
    /// Items not tried because a step before them failed.
    public var skipped: Int
    public var items: [CheckItem]

    public init(scenario: String, name: String, items: [CheckItem]) {
        self.scenario = scenario
        self.name = name
        self.items = items
        failed = items.filter { !$0.passed && !$0.skipped }.count
        skipped = items.filter(\.skipped).count
        passed = failed == 0 && skipped == 0 && !items.isEmpty
    }
}

import Vocabulary
import MarketData

/// One line's gaps judged against the retransmission service's limits: what a feed handler on this line
/// alone could have asked the RTS for (recoverable) and what only a refresh could have resynchronised
/// (lost to the RTS). Messages are counted as detected in each gap (a late arrival that filled part of a
/// gap afterwards is still counted here).
public struct LineRecoverability: Codable, Sendable, Equatable {
    /// Gap messages within every limit: a gap no larger than the window, asked for in requests of at
    /// most the request size, within the day's request budget (gaps in order of detection, all
    /// channels of the line together).
    public var recoverable: UInt64 = 0
    /// Gap messages in gaps larger than the window: gone from the RTS before the gap was seen.
    public var beyondWindow: UInt64 = 0
    /// Gap messages whose requests would have exceeded the day's budget.
    public var beyondBudget: UInt64 = 0
    /// Gap messages of gaps past the per-channel gap history (not classified).
    public var unclassified: UInt64 = 0
    /// Requests the recoverable gaps need.
    public var requests: Int = 0
    public init() {}

    /// Classifies the gaps of every channel of one line (`gaps[c]`: channel c's recorded gaps,
    /// `gapMessages[c]`: all its gap messages). Returns one figure per channel; the budget is shared.
    public static func classify(gaps: [[SequenceGap]], gapMessages: [UInt64], limits: RecoveryLimits) -> [LineRecoverability] {
        var out = Array(repeating: LineRecoverability(), count: gaps.count)
        var all: [(channel: Int, gap: SequenceGap)] = []
        for (c, list) in gaps.enumerated() {
            for g in list { all.append((c, g)) }
            let recorded = list.reduce(UInt64(0)) { $0 + $1.size }
            out[c].unclassified = gapMessages[c] > recorded ? gapMessages[c] - recorded : 0
        }
        all.sort { $0.gap.timestamp < $1.gap.timestamp }
        var used = 0
        for (c, g) in all {
            let size = g.size
            if size > UInt64(limits.window) {
                out[c].beyondWindow += size
                continue
            }
            let requests = Int((size + UInt64(limits.maximumPerRequest) - 1) / UInt64(limits.maximumPerRequest))
            if used + requests > limits.dailyRequests {
                out[c].beyondBudget += size
                continue
            }
            used += requests
            out[c].requests += requests
            out[c].recoverable += size
        }
        return out
    }
}

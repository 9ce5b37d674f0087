import Vocabulary
/// What the generator wrote, per line and channel, and what its injected faults did. Tests compare
/// `inspect`'s findings against these figures.
public struct SynthSummary: Sendable, Codable, Equatable {
    public struct LineChannel: Sendable, Codable, Equatable {
        public var line: FeedLine
        public var channel: Int
        public var packets = 0
        public var dataPackets = 0
        public var heartbeats = 0
        /// Messages sent on the line (duplicated ones counted again, dropped ones not).
        public var messages = 0
        public var messagesByType: [UInt16: Int] = [:]
        public var droppedPackets = 0
        public var droppedMessages = 0
        public var duplicatedPackets = 0
        public var reorderedPackets = 0
        public var pausedPackets = 0
        public var compressedPackets = 0
    }
    public var packets = 0
    public var bytes = 0
    /// Messages generated per channel (what a complete line carries).
    public var messagesPerChannel: [Int] = []
    public var firstTimestamp: Int64 = 0
    public var lastTimestamp: Int64 = 0
    public var lines: [LineChannel] = []

    public func line(_ line: FeedLine, channel: Int) -> LineChannel? {
        lines.first { $0.line == line && $0.channel == channel }
    }
}

import Vocabulary
import Capture
import MarketData

/// `rehearse inspect --json` output. Schema: docs/json/inspect.md. Additive changes keep the version;
/// anything that renames, removes or changes the meaning of a field bumps it.
public struct InspectReport: Codable, Sendable {
    public static let schemaVersion = "rehearse.inspect/2"
    public var schema = InspectReport.schemaVersion
    public var files: [FileReport]
    public init(files: [FileReport]) { self.files = files }
}

/// A point in time: integer nanoseconds since 1970 and the same as ISO-8601 UTC text.
public struct TimePoint: Codable, Sendable, Equatable {
    public var ns: Int64
    public var utc: String
    public init(_ ns: Int64) {
        self.ns = ns
        utc = TimeFormat.iso8601(ns)
    }
}

/// The busiest window of one size.
public struct PeakReport: Codable, Sendable, Equatable {
    public var windowNs: Int64
    public var packets: UInt64
    public var packetsPerSecond: Double
    public var packetsStart: TimePoint
    public var bytes: UInt64
    public var bitsPerSecond: Double
    public var bytesStart: TimePoint
    public init(_ w: PeakWindow) {
        windowNs = w.size
        packets = w.peakCount
        packetsPerSecond = w.peakPacketsPerSecond
        packetsStart = TimePoint(w.peakCountStart)
        bytes = w.peakBytes
        bitsPerSecond = w.peakBitsPerSecond
        bytesStart = TimePoint(w.peakBytesStart)
    }
}

public struct InterfaceReport: Codable, Sendable, Equatable {
    public var index: Int
    public var section: Int
    public var linkType: UInt32
    public var linkTypeName: String
    public var snapLength: Int
    /// Timestamp resolution in the file, e.g. "1e-9 s" or "2^-30 s".
    public var timestampResolution: String
    public var timestampOffsetSeconds: Int64
    public var name: String?
}

public struct LinkTypeCount: Codable, Sendable, Equatable {
    public var linkType: UInt32
    public var name: String
    public var packets: UInt64
}

public struct IssueReport: Codable, Sendable, Equatable {
    public var kind: String
    public var offset: Int?
    public var message: String
}

public struct TypeCount: Codable, Sendable, Equatable {
    public var type: UInt16
    public var name: String
    public var count: UInt64
}

public struct GapReport: Codable, Sendable, Equatable {
    public var first: UInt32
    public var last: UInt32
    public var size: UInt64
    public var detectedAt: TimePoint
}

public struct SequenceReport: Codable, Sendable, Equatable {
    public var nextExpected: UInt64?
    public var gaps: UInt64
    public var gapMessages: UInt64
    public var missingMessages: UInt64
    public var recoveredMessages: UInt64
    public var reorderedPackets: UInt64
    public var duplicatePackets: UInt64
    public var duplicateMessages: UInt64
    public var resets: UInt64
    public var unannouncedResets: UInt64
    public var staleHeartbeats: UInt64
    /// The first gaps (at most 100 here; `gaps` counts all).
    public var gapList: [GapReport]
}

public struct OMDReport: Codable, Sendable, Equatable {
    public var packets: UInt64
    public var dataPackets: UInt64
    public var heartbeats: UInt64
    public var messages: UInt64
    public var compressedPackets: UInt64
    public var messagesByType: [TypeCount]
    public var unknownMessages: UInt64
    public var unknownTypes: [TypeCount]
    public var sequence: SequenceReport
    public var errors: OMDErrorCounts
    public var totalErrors: UInt64
    public var disasterRecoverySignals: [UInt32]
    public var firstSendTime: TimePoint?
    public var lastSendTime: TimePoint?

    public init(_ s: OMDStreamStatistics) {
        packets = s.packets
        dataPackets = s.sequence.statistics.packets
        heartbeats = s.sequence.statistics.heartbeats
        messages = s.sequence.statistics.messages
        compressedPackets = s.compressedPackets
        messagesByType = s.knownTypeCounts.map { TypeCount(type: $0.type, name: OMDMessageType.name($0.type), count: $0.count) }
        unknownTypes = s.unknownTypeCounts.map { TypeCount(type: $0.type, name: OMDMessageType.name($0.type), count: $0.count) }
        unknownMessages = unknownTypes.reduce(0) { $0 + $1.count }
        let q = s.sequence.statistics
        sequence = SequenceReport(
            nextExpected: s.sequence.expected, gaps: q.gaps, gapMessages: q.gapMessages, missingMessages: q.missingMessages,
            recoveredMessages: q.recoveredMessages, reorderedPackets: q.reorderedPackets, duplicatePackets: q.duplicatePackets,
            duplicateMessages: q.duplicateMessages, resets: q.resets, unannouncedResets: q.unannouncedResets,
            staleHeartbeats: q.staleHeartbeats,
            gapList: s.sequence.gapHistory.prefix(100).map {
                GapReport(first: $0.first, last: $0.last, size: $0.size, detectedAt: TimePoint($0.timestamp))
            })
        errors = s.errors
        totalErrors = s.errors.total
        disasterRecoverySignals = s.disasterRecoverySignals
        firstSendTime = s.firstSendTime.map { TimePoint(Int64(bitPattern: $0)) }
        lastSendTime = s.firstSendTime == nil ? nil : TimePoint(Int64(bitPattern: s.lastSendTime))
    }
}

public struct StreamReport: Codable, Sendable, Equatable {
    public var `protocol`: String
    public var source: String
    public var sourcePort: UInt16
    public var destination: String
    public var destinationPort: UInt16
    public var packets: UInt64
    public var bytes: UInt64
    public var payloadBytes: UInt64
    /// First and last packet time; absent when no packet of the stream had a time of its own.
    public var first: TimePoint?
    public var last: TimePoint?
    public var spanNs: Int64
    public var averagePacketsPerSecond: Double?
    public var peaks: [PeakReport]
    public var omd: OMDReport?
    /// For UDP streams: "omd" when its first packets were consistently OMD, else "unknown" (no feed
    /// protocol Rehearse knows was recognised; detection never guesses). Absent for TCP.
    public var feedProtocol: String?
    /// A stream recognised as one of the other feed protocols (MoldUDP64, IEX-TP, Cboe PITCH, NYSE XDP): its
    /// sequencing as that protocol states it.
    public var feed: FeedReport?
}

/// The sequencing of a stream in a feed protocol other than OMD (`inspect --json` `streams[].feed`).
public struct FeedReport: Codable, Sendable, Equatable {
    public var `protocol`: String
    /// The session as the protocol names it (MoldUDP64's 10 characters, IEX-TP's SessionID, Cboe's unit).
    public var session: String?
    public var firstSequence: UInt64?
    public var lastSequence: UInt64?
    /// What the sequence numbers count, and so what gaps, missing and duplicates count: "message",
    /// or "packet" for protocols that number packets (CME MDP 3.0, EOBI).
    public var sequenceUnit: String
    /// Independently sequenced sessions in the stream (EOBI: products); nil where the protocol has
    /// one per stream.
    public var sessions: Int?
    public var packets: UInt64
    public var messages: UInt64
    public var heartbeats: UInt64
    public var gaps: UInt64
    public var missingMessages: UInt64
    public var duplicateMessages: UInt64
    /// Session changes (each a new sequence).
    public var resets: UInt64
    /// MoldUDP64 End of Session seen.
    public var endOfSession: Bool
    /// Datagrams that failed the protocol's checks after it was recognised.
    public var malformed: UInt64
    /// Messages by type, heartbeat packets excluded, by type code (names per the protocol's
    /// specification: ITCH 5.0 for MoldUDP64, DEEP/TOPS, PITCH, XDP, MDP 3.0 templates, EOBI templates).
    public var messagesByType: [TypeCount]

    public init(_ f: FeedStream) {
        let q = f.statistics
        `protocol` = f.feedProtocol?.rawValue ?? "unknown"
        session = f.sessionText
        firstSequence = f.firstSequence
        lastSequence = f.lastSequence
        sequenceUnit = f.feedProtocol?.sequencesPackets == true ? "packet" : "message"
        sessions = f.feedProtocol?.sessionsInterleave == true ? f.sessions : nil
        packets = f.packets
        messages = f.messages
        heartbeats = f.heartbeats
        gaps = q.gaps
        missingMessages = q.missingMessages
        duplicateMessages = q.duplicateMessages
        resets = f.sessionChanges
        endOfSession = f.endOfSession
        malformed = f.malformed
        let p = f.feedProtocol ?? .omd
        messagesByType = f.messageTypes.sorted { $0.key < $1.key }.map { TypeCount(type: $0.key, name: p.typeName($0.key), count: $0.value) }
    }
}

/// Everything `inspect` reports about one file.
public struct FileReport: Codable, Sendable, Equatable {
    public var path: String
    /// "pcap" or "pcapng"; nil when the file could not be opened as either.
    public var format: String?
    public var formatDetail: String?
    public var compressed: Bool
    public var fileBytes: Int?
    public var sections: Int
    public var sectionComments: [String]
    public var interfaces: [InterfaceReport]
    public var linkTypes: [LinkTypeCount]
    public var packets: UInt64
    public var bytes: UInt64
    public var capturedBytes: UInt64
    public var first: TimePoint?
    public var last: TimePoint?
    public var spanNs: Int64?
    public var averagePacketsPerSecond: Double?
    public var averageBitsPerSecond: Double?
    public var peaks: [PeakReport]
    public var decode: DecodeCounts
    public var filter: String?
    public var streams: [StreamReport]
    public var omdTotals: OMDTotals?
    public var warnings: [IssueReport]
    /// Set when reading stopped on an error: every figure above covers the packets before it.
    public var error: IssueReport?
    /// True when `error` is set: the figures are partial.
    public var partial: Bool
    /// Set by `inspect --shard`: the shard's streams' places and sums, for `rehearse merge`. Absent
    /// from a whole inspection and a merged one.
    public var shard: InspectShardPart? = nil
}

/// A shard's part of an inspection (`inspect --shard INDEX/COUNT`): its `streams` are those whose
/// number, in order of first appearance, modulo COUNT is INDEX; every other figure is the file's.
public struct InspectShardPart: Codable, Sendable, Equatable {
    public var shard: Shard
    /// Streams of the whole file (every shard's).
    public var streamsTotal: Int
    /// Each listed stream's place in the whole file's list (key order).
    public var positions: [Int]
    /// The OMD totals over this shard's streams (zero streams included).
    public var omdTotals: OMDTotals
}

/// OMD figures summed over all OMD streams of a file.
public struct OMDTotals: Codable, Sendable, Equatable {
    public var streams: Int
    public var packets: UInt64
    public var heartbeats: UInt64
    public var messages: UInt64
    public var gaps: UInt64
    public var missingMessages: UInt64
    public var duplicateMessages: UInt64
    public var resets: UInt64
    public var unknownMessages: UInt64
    public var errors: UInt64
}

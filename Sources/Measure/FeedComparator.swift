import Vocabulary
import Capture
import Histogram
import MarketData

/// One side of a comparison: a capture, optionally narrowed by a BPF filter (to pick one line of a
/// capture that holds both).
public struct CompareSource: Sendable {
    public var name: String
    public var path: String
    public var filter: String?
    public init(name: String, path: String, filter: String? = nil) {
        self.name = name
        self.path = path
        self.filter = filter
    }
}

/// One line of one channel, as read.
struct LineChannel {
    let destination: Endpoint
    /// Sequenced messages recorded, duplicates included.
    var messages: UInt64 = 0
    /// The current sequence epoch (a Sequence Reset after data starts the next) and its messages.
    var epoch: UInt64 = 0
    var epochMessages: UInt64 = 0
    var statistics = OMDStreamStatistics()
    var events = LineEvents()
    var firstTime: Int64 = .max
    var lastTime: Int64 = .min
    var longestSilence: Int64 = 0
    var silences: UInt64 = 0
    /// Messages by business key (``CompareMatch/keys`` only).
    var keyed: KeyedTable?
    /// The line's feed protocol, decided over its first ``FeedStream/probePackets`` datagrams as
    /// `inspect` decides it (nil until then, and for good when none was recognised: the line is then
    /// not compared, detection never guesses).
    var feedProtocol: FeedProtocol?
    var decided = false
    /// The protocol was named by the user (`--protocol`), not detected.
    var named = false
    /// Copies of the first datagrams (payload, time) while the protocol is being decided, accounted
    /// once it is.
    var probe: [([UInt8], Int64)] = []
    /// Sequencing of a protocol other than OMD (its figures for ``LineReport``).
    var feed: FeedStream?
    /// Interleaved sessions (EOBI products) seen: each is an epoch of its own, in session order.
    var sessions: Set<UInt64> = []
    /// Sequence epochs (1 + mid-day resets, or the interleaved sessions).
    var epochCount: Int { sessions.isEmpty ? Int(epoch) + 1 : sessions.count }
}

/// How messages of the two sides are paired.
public enum CompareMatch: String, Sendable, Codable, CaseIterable {
    /// By (channel, SeqNum): lines A and B of one platform, primary and standby.
    case sequence
    /// By business key as well — orders by (OrderbookID, OrderID, Side), trades by TradeID — for
    /// platforms whose sequence numbers do not align (old against new).
    case keys
}

/// The comparison of one channel across the two sides.
public struct ChannelComparison: Codable, Sendable {
    public var channel: Int
    public var a: String
    public var b: String
    public var messagesA: UInt64
    public var messagesB: UInt64
    /// Sequence numbers seen on both sides.
    public var onBoth: UInt64
    public var missingOnA: UInt64
    public var missingOnB: UInt64
    /// Same sequence number, different message bytes.
    public var mismatches: UInt64
    public var firstMismatchSequence: UInt32?
    /// Which side delivered each common message first.
    public var aFirst: UInt64
    public var bFirst: UInt64
    public var ties: UInt64
    /// How far behind the later side was, per common message (ns).
    public var lag: LatencySummary
    /// B − A per common message, median (ns): positive when B trails A.
    public var medianBMinusA: Int64
    /// The longest run of consecutive sequence numbers present on one side only.
    public var longestOneSidedRun: UInt64
    public var longestOneSidedRunSide: String?
    public var longestOneSidedRunFirst: UInt32?
    /// Mean B − A (ns) per tenth of the run, by A's time (nil: no common message in that tenth).
    public var lagByTenth: [Int64?]
    /// The lag distribution at HdrHistogram's percentile ticks (plots).
    public var lagSpectrum: PercentileSpectrum?
    /// The same, whole: HdrHistogram V2 compressed in base64 (docs/formats/histograms.md).
    public var lagHistogram: String?
    /// The first few mismatched messages, field by field (`SeqNum 1234: AddOrder: Price 9773 ≠ 9774`).
    public var mismatchExamples: [String] = []
    /// Where they are: (sequence epoch, SeqNum).
    public var mismatchSamples: [MismatchSample] = []
    /// Sequence epochs compared (1 + mid-day Sequence Resets; EOBI: one per product).
    public var epochs: Int
    /// The feed protocol of each line (docs/formats/feeds.md); for CME MDP 3.0 and EOBI, which number
    /// packets, the counts above and the SeqNums are packets, each packet's messages compared as one.
    public var protocolA: String?
    public var protocolB: String?
    public var lineA: LineReport
    public var lineB: LineReport
}

/// A mismatched message's place: its sequence epoch (0 before any mid-day reset) and SeqNum.
public struct MismatchSample: Codable, Sendable, Equatable {
    public var epoch: Int
    public var sequence: UInt32
}

/// Per-line findings (gaps, duplicates, resets, stalls) for one channel.
public struct LineReport: Codable, Sendable {
    public var packets: UInt64
    public var messages: UInt64
    public var gaps: UInt64
    public var missingMessages: UInt64
    public var duplicateMessages: UInt64
    public var resets: UInt64
    public var heartbeats: UInt64
    /// Silences longer than the stall limit (no packet, heartbeats included).
    public var stalls: UInt64
    public var longestSilenceNs: Int64
    public var disasterRecoverySignals: [UInt32]
    /// OMD lines: the line's gaps against the retransmission service's limits — missed but
    /// recoverable from the RTS, or lost to it (docs/json/compare.md).
    public var recoverability: LineRecoverability?
    /// Silences, duplicate runs, DR signals and mid-day resets in time.
    public var events: LineEvents
}

/// The result of `rehearse compare` (schema `rehearse.compare/1`).
public struct ComparisonReport: Codable, Sendable {
    public static let schemaVersion = "rehearse.compare/1"
    public var schema = ComparisonReport.schemaVersion
    public var a: String
    public var b: String
    public var stallLimitNs: Int64
    public var channels: [ChannelComparison]
    /// Streams of one side with no partner on the other (channel counts differ).
    public var unpairedA: [String]
    public var unpairedB: [String]
    public var messagesCompared: UInt64
    /// Classified events (failovers, bursts, resets, losses), channel by channel.
    public var findings: [FeedFinding]
    /// "sequence" or "keys".
    public var match: CompareMatch
    /// Per channel, the business-key comparison (`--match keys` only).
    public var keyed: [KeyedChannelComparison]?
    public var errors: [String]
    /// Capture warnings (a truncated last record: the packets before it are compared).
    public var warnings: [String] = []
    /// A `--a`/`--b` expression libpcap could not compile (a usage error, not a capture fault).
    public var filterError: String?
    /// Set by `compare --shard`: what `rehearse merge` needs besides the channels. Absent from a
    /// whole comparison and from a merged one.
    public var shard: CompareShardPart?
}

/// A shard's part of a comparison (`compare --shard INDEX/COUNT`): the channels it holds are those
/// whose number modulo COUNT is INDEX; this says what the merge needs besides them.
public struct CompareShardPart: Codable, Sendable, Equatable {
    public var shard: Shard
    /// The two sides as given: capture path and `--a`/`--b` expression.
    public var captures: [String]
    /// Channels of the whole comparison (every shard's).
    public var channelsTotal: Int
    public var recoveryLimits: RecoveryLimitsRecord
    /// The report's first `readWarnings` warnings are the captures' (the same in every shard); the
    /// rest are its channels', listed in `channelWarnings`.
    public var readWarnings: Int
    public var channelWarnings: [ChannelNote]
    /// Each OMD line's gaps (the first ``SequenceTracker/gapHistoryLimit`` of a channel) and gap
    /// messages: the recoverability of a line is judged over all its channels, in the merge.
    public var gaps: [ShardLineGaps]
}

/// A note about one channel.
public struct ChannelNote: Codable, Sendable, Equatable {
    public var channel: Int
    public var text: String
}

/// One line of one channel: its recorded gaps and its gap messages (recoverability's input).
public struct ShardLineGaps: Codable, Sendable, Equatable {
    public var channel: Int
    /// "A" or "B".
    public var side: String
    public var gaps: [SequenceGap]
    public var gapMessages: UInt64
}

/// ``RecoveryLimits`` as a result records them.
public struct RecoveryLimitsRecord: Codable, Sendable, Equatable {
    public var window: Int
    public var maximumPerRequest: Int
    public var dailyRequests: Int
    public init(_ l: RecoveryLimits) {
        (window, maximumPerRequest, dailyRequests) = (l.window, l.maximumPerRequest, l.dailyRequests)
    }
    public var limits: RecoveryLimits {
        var l = RecoveryLimits()
        (l.window, l.maximumPerRequest, l.dailyRequests) = (window, maximumPerRequest, dailyRequests)
        return l
    }
}

/// Compares two feeds message by message, keyed by (channel, SeqNum): lines A and B of one platform,
/// primary and standby, or old and new. Channel i is the i-th OMD stream of each side in destination
/// order. Packetisation may differ freely; only messages are compared.
public enum FeedComparator {
    /// `progress` counts the capture bytes read (both files, when there are two, and both passes).
    ///
    /// Two passes: the first finds every stream of each side, decides its protocol and its time span
    /// (which channels exist, in what order, and where each line's run starts and ends); the second
    /// reads both sides together in time order and pairs each channel's messages through a bounded
    /// window (``ChannelPairing``), so memory depends on the channels and the horizon, not on the
    /// length of the captures. With `shard`, the second pass accounts the shard's channels only.
    public static func compare(_ a: CompareSource, _ b: CompareSource, stallLimit: Int64 = 4_000_000_000,
                               match: CompareMatch = .sequence, progress: ProgressCounter? = nil,
                               feedProtocol forced: FeedProtocol? = nil, protocolRules rules: [CaptureInspector.ProtocolRule] = [],
                               recoveryLimits: RecoveryLimits = RecoveryLimits(), shard: Shard? = nil,
                               pairing limits: PairingLimits = PairingLimits()) -> ComparisonReport {
        var errors: [String] = []
        let sizeA = progress == nil ? 0 : CaptureTimeline.size(a.path)
        let sizeB = progress == nil || a.path == b.path ? 0 : CaptureTimeline.size(b.path)
        progress?.set(expected: 2 * (sizeA + sizeB))
        var warnings: [String] = []
        var filterError: String?
        let keyed = match == .keys
        // The first pass. One read splits one capture by the sides' filters; the same capture named
        // twice without filters is compared with itself (each side reads it whole).
        let found: [[LineChannel]]
        if a.path == b.path && (a.filter != nil || b.filter != nil) {
            found = read(path: a.path, filters: [a.filter, b.filter], names: [a.name, b.name], stallLimit: stallLimit,
                         errors: &errors, warnings: &warnings, filterError: &filterError, progress: progress, forced: forced, rules: rules)
        } else {
            found = [read(path: a.path, filters: [a.filter], names: [a.name], stallLimit: stallLimit,
                          errors: &errors, warnings: &warnings, filterError: &filterError, progress: progress, forced: forced, rules: rules)[0],
                     read(path: b.path, filters: [b.filter], names: [b.name], stallLimit: stallLimit,
                          errors: &errors, warnings: &warnings, filterError: &filterError, progress: progress, progressBase: sizeA,
                          forced: forced, rules: rules)[0]]
        }
        let total = min(found[0].count, found[1].count)
        let unpaired = found.map { $0.dropFirst(total).map(\.destination.description) }
        let end = (found[0] + found[1]).map(\.lastTime).max() ?? .min
        // c: the channel's place here; number(c): its channel number (a shard holds some channels).
        let numbers = shard.map { s in (0..<total).filter(s.owns) } ?? Array(0..<total)
        func number(_ c: Int) -> Int { numbers[c] }
        // The second pass, over the channels held, both sides in time order. A horizon narrower than
        // the sides' distance in time would pair nothing: it is widened by that distance.
        var window = limits
        let starts = found.map { side in numbers.map { side[$0].firstTime }.min() ?? .max }
        if starts[0] != .max && starts[1] != .max {
            let apart = starts[0].subtractingReportingOverflow(starts[1])
            let distance = apart.overflow || apart.partialValue == .min ? Int64.max : abs(apart.partialValue)
            let widened = limits.horizon.addingReportingOverflow(distance)
            window.horizon = widened.overflow ? .max : widened.partialValue
        }
        var sides: [[LineChannel]] = [[], []]
        var pairings: [ChannelPairing] = []
        for c in numbers {
            let found = (a: found[0][c], b: found[1][c])
            pairings.append(ChannelPairing(tenthStart: found.a.firstTime, tenthSpan: max(found.a.lastTime - found.a.firstTime, 0) / 10 + 1,
                                           limits: window))
            for (side, line) in [found.a, found.b].enumerated() {
                var fresh = LineChannel(destination: line.destination)
                fresh.decided = true
                fresh.named = line.named
                fresh.feedProtocol = line.feedProtocol
                if let p = line.feedProtocol, p != .omd { fresh.feed = FeedStream(forced: p) }
                if keyed { fresh.keyed = KeyedTable() }
                sides[side].append(fresh)
            }
        }
        stream(a, b, lines: &sides, pairings: &pairings, stallLimit: stallLimit, progress: progress, progressBase: sizeA + sizeB)
        let sideA = sides[0], sideB = sides[1]
        var channels: [ChannelComparison] = []
        var findings: [FeedFinding] = []
        var compared: UInt64 = 0
        var keyedChannels: [KeyedChannelComparison] = []
        let readWarnings = warnings.count
        var channelWarnings: [ChannelNote] = []
        for c in 0..<sideA.count {
            var la = sideA[c], lb = sideB[c]
            closeSilence(&la, end: end, stallLimit: stallLimit)
            closeSilence(&lb, end: end, stallLimit: stallLimit)
            let (r, unsettled) = pair(c, la, lb, pairings[c])
            if la.feedProtocol != lb.feedProtocol {
                channelWarnings.append(ChannelNote(channel: number(c), text: "channel \(number(c)): \(la.destination) is \(la.feedProtocol?.rawValue ?? "-") on \(a.name) but \(lb.destination) is "
                                + "\(lb.feedProtocol?.rawValue ?? "-") on \(b.name): paired by position, their messages cannot match"))
            }
            if let unsettled {
                channelWarnings.append(ChannelNote(channel: number(c), text: "channel \(number(c)): \(unsettled)"))
            }
            compared &+= r.onBoth
            if let ka = la.keyed, let kb = lb.keyed { keyedChannels.append(KeyedChannelComparison.pair(number(c), ka, kb)) }
            channels.append(r)
            findings += FeedFindings.classify(channel: number(c), a: la.events, b: lb.events, missingOnA: r.missingOnA, missingOnB: r.missingOnB,
                                              mismatches: r.mismatches, firstMismatch: r.firstMismatchSequence, lagByTenth: r.lagByTenth)
        }
        warnings += channelWarnings.map(\.text)
        if channels.contains(where: { !$0.mismatchSamples.isEmpty }) {
            describeMismatches(&channels, a, b, sideA, sideB)
        }
        // Each OMD line's gaps (the RTS is OMD's), the recoverability input of every channel of a side together.
        let gaps: [[ShardLineGaps]] = [sideA, sideB].enumerated().map { side, lines in
            (0..<channels.count).filter { lines[$0].feed == nil && lines[$0].feedProtocol == .omd }.map {
                ShardLineGaps(channel: number($0), side: side == 0 ? "A" : "B", gaps: lines[$0].statistics.sequence.gapHistory,
                              gapMessages: lines[$0].statistics.sequence.statistics.gapMessages)
            }
        }
        for i in channels.indices { channels[i].channel = number(i) }
        var report = ComparisonReport(a: a.name, b: b.name, stallLimitNs: stallLimit, channels: channels,
                                      unpairedA: unpaired[0], unpairedB: unpaired[1],
                                      messagesCompared: compared, findings: findings, match: match, keyed: keyed ? keyedChannels : nil,
                                      errors: errors, warnings: warnings, filterError: filterError)
        if let shard {
            // The day's request budget is shared by every channel of a line: judged when the shards are merged.
            report.shard = CompareShardPart(shard: shard, captures: [a, b].map { $0.path + ($0.filter.map { " [\($0)]" } ?? "") }, channelsTotal: total,
                                            recoveryLimits: RecoveryLimitsRecord(recoveryLimits), readWarnings: readWarnings,
                                            channelWarnings: channelWarnings, gaps: gaps[0] + gaps[1])
        } else {
            judgeRecoverability(&report, gaps: gaps, limits: recoveryLimits)
        }
        return report
    }

    /// Each side's OMD lines' gaps against the RTS's limits, every channel of a side together (the
    /// budget is the line's), set on the report's channels.
    static func judgeRecoverability(_ report: inout ComparisonReport, gaps: [[ShardLineGaps]], limits: RecoveryLimits) {
        let place = Dictionary(uniqueKeysWithValues: report.channels.enumerated().map { ($1.channel, $0) })
        for (side, lines) in gaps.enumerated() {
            let judged = LineRecoverability.classify(gaps: lines.map(\.gaps), gapMessages: lines.map(\.gapMessages), limits: limits)
            for (k, line) in lines.enumerated() {
                guard let i = place[line.channel] else { continue }
                if side == 0 { report.channels[i].lineA.recoverability = judged[k] } else { report.channels[i].lineB.recoverability = judged[k] }
            }
        }
    }

    /// Reads the mismatched messages' bytes again (a second pass, only when there are mismatches) and
    /// describes each difference field by field.
    static func describeMismatches(_ channels: inout [ChannelComparison], _ a: CompareSource, _ b: CompareSource,
                                   _ sideA: [LineChannel], _ sideB: [LineChannel]) {
        func key(_ epoch: Int, _ sequence: UInt32) -> UInt64 { UInt64(epoch) << 32 | UInt64(sequence) }
        var wantedA: [Endpoint: Set<UInt64>] = [:], wantedB: [Endpoint: Set<UInt64>] = [:]
        // Field-level detail is OMD's; another protocol's mismatches are said as such.
        for c in channels where !c.mismatchSamples.isEmpty && sideA[c.channel].feedProtocol == .omd {
            let keys = Set(c.mismatchSamples.map { key($0.epoch, $0.sequence) })
            wantedA[sideA[c.channel].destination] = keys
            wantedB[sideB[c.channel].destination] = keys
        }
        let bytesA = MismatchDetail.collect(path: a.path, filter: a.filter, wanted: wantedA)
        let bytesB = MismatchDetail.collect(path: b.path, filter: b.filter, wanted: wantedB)
        for i in channels.indices where !channels[i].mismatchSamples.isEmpty {
            if sideA[channels[i].channel].feedProtocol != .omd {
                let unit = sideA[channels[i].channel].feedProtocol?.sequencesPackets == true ? "packet" : "SeqNum"
                channels[i].mismatchExamples = channels[i].mismatchSamples.map { "\(unit) \($0.sequence)" + ($0.epoch > 0 ? " (epoch \($0.epoch))" : "") + ": message bytes differ" }
                continue
            }
            let da = sideA[channels[i].channel].destination, db = sideB[channels[i].channel].destination
            channels[i].mismatchExamples = channels[i].mismatchSamples.map { sample in
                let k = key(sample.epoch, sample.sequence)
                let label = "SeqNum \(sample.sequence)" + (sample.epoch > 0 ? " (after reset \(sample.epoch))" : "")
                guard let x = bytesA[da]?[k], let y = bytesB[db]?[k] else { return label + ": differs (bytes not found again)" }
                return label + ": " + MismatchDetail.describe(x, y)
            }
        }
    }

    /// A line silent from its last packet to the end of the comparison for longer than the stall limit stopped.
    static func closeSilence(_ line: inout LineChannel, end: Int64, stallLimit: Int64) {
        guard line.lastTime != .min, end - line.lastTime > stallLimit else { return }
        line.silences &+= 1
        line.longestSilence = max(line.longestSilence, end - line.lastTime)
        line.events.silence(endingAt: end, length: end - line.lastTime, open: true)
    }

    /// The first pass: every feed stream of each side, in destination order, its protocol decided and
    /// its time span found (its first and last packet of the protocol, as the second pass accounts
    /// them), reading `path` once: a packet belongs to the first side whose filter it passes (no
    /// filter: every packet). Streams no protocol fits, or none of whose datagrams is of the one
    /// named, are left out and said.
    static func read(path: String, filters: [String?], names: [String], stallLimit: Int64, errors: inout [String],
                     warnings: inout [String], filterError: inout String?, progress: ProgressCounter? = nil,
                     progressBase: Int = 0, forced: FeedProtocol? = nil, rules: [CaptureInspector.ProtocolRule] = []) -> [[LineChannel]] {
        // A capture, or a directory of them read one after another as one timeline.
        let files: [String]
        do { files = try CaptureTimeline.files(path) } catch {
            errors.append(error.description)
            return filters.map { _ in [] }
        }
        let errorsAtStart = errors.count
        var discovery = Discovery(filters: filters, names: names, stallLimit: stallLimit, forced: forced, rules: rules, progress: progress)
        discovery.before = progressBase
        for file in files {
            var reader: CaptureReader
            do { reader = try CaptureReader.open(file) } catch {
                // A file of a timeline that cannot be opened: said, and the others read.
                errors.append(error.description)
                continue
            }
            discovery.start(file: file)
            do {
                try reader.forEachPacket(into: &discovery)
            } catch {
                errors.append("\(error) (figures up to it are kept)")
            }
            warnings += discovery.warnings
            discovery.warnings = []
            if let e = discovery.filterError {
                filterError = e
                break
            }
            warnings += reader.warnings.map { "\($0) (the packets before it are compared)" }
            discovery.end(consumed: reader.bytesConsumed)
        }
        let analyzer = discovery.analyzer
        var lines = discovery.finish()
        for k in lines.indices {
            for i in lines[k].indices { decide(&lines[k][i], stallLimit: stallLimit, analyzer: analyzer) }
        }
        // A protocol the user named that none of a stream's datagrams passes: nothing to compare there.
        for (k, side) in lines.enumerated() {
            func empty(_ l: LineChannel) -> Bool { l.named && (l.feed?.packets ?? l.statistics.packets) == 0 }
            for named in FeedProtocol.allCases {
                let empties = side.filter { empty($0) && $0.feedProtocol == named }.map(\.destination).sorted()
                guard !empties.isEmpty else { continue }
                warnings.append("\(names[k]): \(empties.count) stream\(empties.count == 1 ? "" : "s") not compared, no datagram of \(empties.count == 1 ? "it" : "them") "
                                + "is a valid \(named.rawValue) packet (\(empties.prefix(5).map(\.description).joined(separator: ", "))"
                                + "\(empties.count > 5 ? ", …" : "")); `rehearse inspect` shows what they carry")
            }
            lines[k] = side.filter { !empty($0) }
        }
        // Streams whose first packets were not consistently one protocol are not compared, and said so.
        for (k, side) in lines.enumerated() {
            let dropped = side.filter { $0.feedProtocol == nil }.map(\.destination).sorted()
            guard !dropped.isEmpty else { continue }
            warnings.append("\(names[k]): \(dropped.count) stream\(dropped.count == 1 ? "" : "s") not compared, no feed protocol recognised "
                            + "consistently over their first packets (\(dropped.prefix(5).map(\.description).joined(separator: ", "))"
                            + "\(dropped.count > 5 ? ", …" : "")); `rehearse inspect` shows what they carry")
            lines[k] = side.filter { $0.feedProtocol != nil }
        }
        // A side that selected nothing is said, not reported as a silent zero (a read fault says enough).
        for (k, side) in lines.enumerated() where side.isEmpty && errors.count == errorsAtStart && filterError == nil {
            errors.append("\(names[k]): no feed stream in \(path)" + (filters[k].map { " matching \"\($0)\"" } ?? ""))
        }
        // Sorted by position (a line is kilobytes: a sort moving the lines themselves moved gigabytes
        // for 65,535 channels), then each line moved once.
        return lines.map { side in side.indices.sorted { side[$0].destination < side[$1].destination }.map { side[$0] } }
    }

    /// Decides a line's protocol on its first datagrams (OMD when every one frames as OMD, else the
    /// one other protocol they all pass, else none) and accounts them by it.
    static func decide(_ line: inout LineChannel, stallLimit: Int64, analyzer: OMDStreamAnalyzer) {
        guard !line.decided else { return }
        line.decided = true
        let probe = line.probe
        line.probe = []
        guard !probe.isEmpty else { return }
        var detector = FeedProtocolDetector()
        for (bytes, _) in probe {
            bytes.withUnsafeBytes { detector.add(ByteView(unsafeStart: $0.baseAddress, count: $0.count)) }
        }
        detector.finish()
        line.feedProtocol = detector.feedProtocol
        guard let p = line.feedProtocol else { return }
        if p != .omd { line.feed = FeedStream(forced: p) }
        // The first pass pairs nothing: its messages are counted only.
        var scratch = ChannelPairing.none
        for (bytes, time) in probe {
            bytes.withUnsafeBytes { raw in
                let view = ByteView(unsafeStart: raw.baseAddress, count: raw.count)
                if p == .omd {
                    if let packet = OMDPacket(view), packet.packetSize == raw.count {
                        account(&line, &scratch, side: 0, packet, payload: view, declared: raw.count, time: time, stallLimit: stallLimit,
                                analyzer: analyzer)
                    }
                } else {
                    accountOther(&line, &scratch, side: 0, p, payload: view, time: time, stallLimit: stallLimit)
                }
            }
        }
    }

    /// A datagram of a line in a protocol other than OMD: its sequencing (``FeedStream``), silences,
    /// and each sequenced unit recorded by sequence number with the hash of its bytes. A session
    /// change or a reset starts a new epoch; interleaved sessions (EOBI) are tabled apart.
    static func accountOther(_ line: inout LineChannel, _ pairing: inout ChannelPairing, side: Int, _ p: FeedProtocol, payload: ByteView,
                             time t: Int64, stallLimit: Int64) {
        silence(&line, t, stallLimit: stallLimit)
        let before = line.feed?.sessionChanges ?? 0
        line.feed?.add(payload, timestamp: t)
        guard let h = p.header(payload) else { return }
        defer { if pairing.pairs { pairing.endPacket(at: t) } }
        if p.sessionsInterleave {
            line.sessions.insert(h.session)
            p.forEachSequenced(payload, h) { sequence, bytes in
                record(&line, &pairing, side: side, epoch: h.session, UInt32(truncatingIfNeeded: sequence), time: t, hash: hash(bytes))
            }
            return
        }
        if (line.feed?.sessionChanges ?? 0) != before && line.epochMessages > 0 { newEpoch(&line, &pairing, side: side, at: t) }
        let epoch = line.epoch
        p.forEachSequenced(payload, h) { sequence, bytes in
            record(&line, &pairing, side: side, epoch: epoch, UInt32(truncatingIfNeeded: sequence), time: t, hash: hash(bytes))
        }
    }

    /// A reset after data: the line's next sequence epoch.
    static func newEpoch(_ line: inout LineChannel, _ pairing: inout ChannelPairing, side: Int, at t: Int64) {
        line.epoch &+= 1
        line.epochMessages = 0
        line.events.reset(at: t)
        pairing.moved(side: side, to: line.epoch)
    }

    /// One sequenced message of line `side` (0 A, 1 B) of a channel: counted, and paired with the other
    /// line's (a duplicate is an event of the line; the first pass only counts).
    @inline(__always)
    static func record(_ line: inout LineChannel, _ pairing: inout ChannelPairing, side: Int, epoch: UInt64, _ sequence: UInt32,
                       time t: Int64, hash h: UInt64, message: OMDMessage? = nil) {
        line.messages &+= 1
        line.epochMessages &+= 1
        guard pairing.pairs else { return }
        if pairing.recordInPacket(side: side, epoch: epoch, sequence, time: t, hash: h) == .duplicate {
            line.events.duplicate(at: t)
        } else if let message, line.keyed != nil {
            line.keyed!.record(message, time: t)
        }
    }

    /// Silence since the line's previous packet, and its first and last time.
    @inline(__always)
    static func silence(_ line: inout LineChannel, _ t: Int64, stallLimit: Int64) {
        if line.lastTime != .min {
            let silence = t &- line.lastTime
            if silence > line.longestSilence { line.longestSilence = silence }
            if silence > stallLimit {
                line.silences &+= 1
                line.events.silence(endingAt: t, length: silence)
            }
        }
        line.lastTime = t
        if t < line.firstTime { line.firstTime = t }
    }

    // Transparent: always inlined into the pass's per-packet step (`@inline(__always)` left it a call
    // of ten arguments per packet, the inliner's size limits reached).
    @_transparent
    static func account(_ line: inout LineChannel, _ pairing: inout ChannelPairing, side: Int, _ p: OMDPacket, payload: ByteView,
                        declared: Int, time t: Int64, stallLimit: Int64, analyzer: OMDStreamAnalyzer) {
        silence(&line, t, stallLimit: stallLimit)
        guard !p.isHeartbeat, !p.isCompressed else {
            // Heartbeats and compressed packets: accounted by the line's analyzer, nothing paired.
            analyzer.process(payload, declaredLength: declared, timestamp: t, into: &line.statistics)
            return
        }
        // One walk over the messages accounts them for the line (the analyzer's steps) and pairs them.
        analyzer.begin(p, payloadCount: payload.count, declaredLength: declared, into: &line.statistics)
        var flagged = false
        var messages = SequencedMessages(p)
        while let item = messages.next() {
            analyzer.tally(size: item.message.size, type: item.message.type, flagged: &flagged, into: &line.statistics)
            switch item.control {
            case .none: break
            case .disasterRecovery(let status): line.events.signal(status, at: t)
            case .reset:
                // A reset after data starts a new epoch.
                if line.epochMessages > 0 { newEpoch(&line, &pairing, side: side, at: t) }
                continue
            }
            record(&line, &pairing, side: side, epoch: line.epoch, item.sequence, time: t, hash: hash(item.message.bytes), message: item.message)
        }
        // The block is read again only for a flagged packet's second look.
        analyzer.end(block: _slowPath(flagged) ? p.messageBlock : .empty, count: p.messageCount, sequenceNumber: p.sequenceNumber, error: messages.error,
                     flagged: flagged, timestamp: t, into: &line.statistics)
        if pairing.pairs { pairing.endPacket(at: t) }
    }

    /// A 64-bit hash of the message bytes, in two lanes: the words at 0, 16, 32, … into one and those
    /// at 8, 24, … into the other, each step `(lane ^ word) · odd constant`, the last word the one ending
    /// at the last byte (it may overlap the one before; the length is in the seed). Each lane's chain is
    /// an xor and a multiplication every other word, so the two overlap; there is no key or rotation a
    /// word and no shifting of a tail. Every step is a bijection of its lane and the lanes are joined
    /// by a bijection of each, so two messages of one length that differ in one word read (outside the
    /// bytes the last word shares with the one before) always hash apart; any other difference
    /// collides only by a 64-bit coincidence.
    @inline(__always)
    package static func hash(_ bytes: ByteView) -> UInt64 {
        // Plain loads, no nested function: a debug build (the tests' watch) calls what is written.
        let n = bytes.count
        var a: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(truncatingIfNeeded: n)
        var b: UInt64 = 0x6A09_E667_F3BC_C909
        if _fastPath(n >= 8) {
            var i = 0
            while i &+ 16 < n {
                // Two words, both wholly before the last.
                a = (a ^ UInt64(littleEndian: bytes.load(i, as: UInt64.self))) &* 0xff51_afd7_ed55_8ccd
                b = (b ^ UInt64(littleEndian: bytes.load(i &+ 8, as: UInt64.self))) &* 0xc4ce_b9fe_1a85_ec53
                i &+= 16
            }
            if i &+ 8 < n { a = (a ^ UInt64(littleEndian: bytes.load(i, as: UInt64.self))) &* 0xff51_afd7_ed55_8ccd }
            b = (b ^ UInt64(littleEndian: bytes.load(n &- 8, as: UInt64.self))) &* 0xc4ce_b9fe_1a85_ec53
        } else if n >= 4 {
            // 4–7 bytes: the four at the start and the four ending at the last byte.
            let low = UInt64(UInt32(littleEndian: bytes.load(0, as: UInt32.self)))
            let high = UInt64(UInt32(littleEndian: bytes.load(n &- 4, as: UInt32.self)))
            a = (a ^ (low | high << 32)) &* 0xff51_afd7_ed55_8ccd
        } else {
            var word: UInt64 = 0, i = 0
            while i < n { word |= UInt64(bytes.load(i, as: UInt8.self)) << UInt64(i &* 8); i &+= 1 }
            a = (a ^ word) &* 0xff51_afd7_ed55_8ccd
        }
        var h = a &+ (b << 32 | b >> 32)
        h = (h ^ (h >> 32)) &* 0xBF58_476D_1CE4_E5B9
        return h ^ (h >> 29)
    }

    static func line(_ l: LineChannel) -> LineReport {
        if let f = l.feed {
            let q = f.statistics
            return LineReport(packets: f.packets, messages: f.messages, gaps: q.gaps, missingMessages: q.missingMessages,
                              duplicateMessages: q.duplicateMessages, resets: f.sessionChanges, heartbeats: f.heartbeats,
                              stalls: l.silences, longestSilenceNs: l.longestSilence, disasterRecoverySignals: [], events: l.events)
        }
        let q = l.statistics.sequence.statistics
        return LineReport(packets: l.statistics.packets, messages: l.messages, gaps: q.gaps, missingMessages: q.missingMessages,
                          duplicateMessages: q.duplicateMessages, resets: q.resets, heartbeats: q.heartbeats,
                          stalls: l.silences, longestSilenceNs: l.longestSilence,
                          disasterRecoverySignals: l.statistics.disasterRecoverySignals, events: l.events)
    }

    /// Channel `channel`'s comparison from its lines and their pairing, settled to the end; and what
    /// its window could not pair, said (nil: nothing).
    static func pair(_ channel: Int, _ a: LineChannel, _ b: LineChannel, _ pairing: consuming ChannelPairing) -> (ChannelComparison, String?) {
        let (epochWalks, early) = pairing.finish()
        var w = pairing.walk
        w.join(epochWalks)
        let (lag, medianSigned) = w.figures()
        var comparison = ChannelComparison(
            channel: channel, a: a.destination.description, b: b.destination.description,
            messagesA: a.messages, messagesB: b.messages, onBoth: w.both, missingOnA: w.missingA, missingOnB: w.missingB,
            mismatches: w.mismatches, firstMismatchSequence: w.firstMismatch, aFirst: w.aFirst, bFirst: w.bFirst, ties: w.ties,
            lag: lag.summary, medianBMinusA: medianSigned, longestOneSidedRun: w.longest,
            longestOneSidedRunSide: w.longest == 0 ? nil : (w.longestSide == 1 ? "A only" : "B only"),
            longestOneSidedRunFirst: w.longest == 0 ? nil : w.longestFirst,
            lagByTenth: w.lagByTenth,
            lagSpectrum: lag.spectrum, mismatchSamples: w.mismatchSamples,
            epochs: max(a.epochCount, b.epochCount), lineA: line(a), lineB: line(b))
        comparison.lagHistogram = lag.base64V2Compressed
        comparison.protocolA = a.feedProtocol?.rawValue
        comparison.protocolB = b.feedProtocol?.rawValue
        var notes: [String] = []
        let late = pairing.late
        if late.a + late.b > 0 {
            notes.append("\(late.a + late.b) message\(late.a + late.b == 1 ? "" : "s") (A \(late.a), B \(late.b)) arrived after "
                         + "\(late.a + late.b == 1 ? "its" : "their") sequence number was settled, more than the horizon "
                         + "(\(TimeFormat.duration(pairing.limits.horizon))) behind the other line's copy or the window's start: not compared "
                         + "(`--horizon` widens it)")
        }
        if early > 0 {
            notes.append("\(early) message\(early == 1 ? "" : "s") settled before the horizon, the window's "
                         + "\(pairing.limits.window) sequence numbers being full: counted missing on the other line")
        }
        return (comparison, notes.isEmpty ? nil : notes.joined(separator: "; "))
    }
}

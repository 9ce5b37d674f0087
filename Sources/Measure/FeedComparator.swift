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

/// First sighting of each sequence number of one channel on one line: time and message hash.
struct SequenceTable {
    var base: UInt32 = 0
    var times: [Int64] = []
    var hashes: [UInt64] = []
    var messages: UInt64 = 0
    var duplicates: UInt64 = 0
    static let limit = 50_000_000

    /// Records a message; false when it was seen already (a duplicate). A sequence number more than
    /// ``limit`` away from the rest is counted but not kept.
    @discardableResult
    mutating func record(_ sequence: UInt32, time: Int64, hash: UInt64) -> Bool {
        messages &+= 1
        if times.isEmpty { base = sequence }
        var offset = Int(Int32(bitPattern: sequence &- base))
        if offset < 0 {
            let grow = -offset
            guard times.count + grow <= Self.limit else { return true }
            times.insert(contentsOf: repeatElement(.min, count: grow), at: 0)
            hashes.insert(contentsOf: repeatElement(0, count: grow), at: 0)
            base = sequence
            offset = 0
        }
        if offset == times.count {
            // The common case: the next sequence number.
            times.append(time)
            hashes.append(hash)
            return true
        }
        if offset > times.count {
            guard offset < Self.limit else { return true }
            times.append(contentsOf: repeatElement(.min, count: offset - times.count + 1))
            hashes.append(contentsOf: repeatElement(0, count: offset - hashes.count + 1))
        }
        if times[offset] != .min { duplicates &+= 1; return false }
        times[offset] = time
        hashes[offset] = hash
        return true
    }

    func time(_ sequence: UInt32) -> Int64? {
        let o = Int(Int32(bitPattern: sequence &- base))
        guard o >= 0, o < times.count, times[o] != .min else { return nil }
        return times[o]
    }
}

/// One line of one channel, as read.
struct LineChannel {
    let destination: Endpoint
    /// One table per sequence epoch: a Sequence Reset after the first message starts the next.
    var epochs = [SequenceTable()]
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
    /// Interleaved sessions (EOBI products): one table each, made epochs in session order at the end.
    var sessionTables: [UInt64: SequenceTable] = [:]
    var messages: UInt64 { epochs.reduce(0) { $0 &+ $1.messages } }
}

/// What one read of a capture does (``FeedComparator/read``).
enum ReadPass: Equatable {
    /// Every stream, wholly accounted.
    case all
    /// Every stream found and its protocol decided, nothing accounted past that (a shard's first
    /// pass: which channels exist, in what order).
    case discover
    /// Only the streams with these destinations (per side), wholly accounted (a shard's channels).
    case only([Set<Endpoint>])
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
    /// `progress` counts the capture bytes read (both files, when there are two).
    public static func compare(_ a: CompareSource, _ b: CompareSource, stallLimit: Int64 = 4_000_000_000,
                               match: CompareMatch = .sequence, progress: ProgressCounter? = nil,
                               feedProtocol forced: FeedProtocol? = nil, protocolRules rules: [CaptureInspector.ProtocolRule] = [],
                               recoveryLimits: RecoveryLimits = RecoveryLimits(), shard: Shard? = nil) -> ComparisonReport {
        var errors: [String] = []
        let sizeA = progress == nil ? 0 : CaptureTimeline.size(a.path)
        let sizeB = progress == nil || a.path == b.path ? 0 : CaptureTimeline.size(b.path)
        progress?.set(expected: sizeA + sizeB)
        var warnings: [String] = []
        var filterError: String?
        let keyed = match == .keys
        // One read splits one capture by the sides' filters; the same capture named twice without
        // filters is compared with itself (each side reads it whole).
        func readSides(_ pass: ReadPass, _ errors: inout [String], _ warnings: inout [String]) -> [[LineChannel]] {
            if a.path == b.path && (a.filter != nil || b.filter != nil) {
                return read(path: a.path, filters: [a.filter, b.filter], names: [a.name, b.name], stallLimit: stallLimit, keyed: keyed,
                            errors: &errors, warnings: &warnings, filterError: &filterError, progress: progress, forced: forced, rules: rules,
                            pass: pass)
            }
            func only(_ k: Int) -> ReadPass { if case .only(let sets) = pass { .only([sets[k]]) } else { pass } }
            return [read(path: a.path, filters: [a.filter], names: [a.name], stallLimit: stallLimit, keyed: keyed,
                         errors: &errors, warnings: &warnings, filterError: &filterError, progress: progress, forced: forced, rules: rules,
                         pass: only(0))[0],
                    read(path: b.path, filters: [b.filter], names: [b.name], stallLimit: stallLimit, keyed: keyed,
                         errors: &errors, warnings: &warnings, filterError: &filterError, progress: progress, progressBase: sizeA,
                         forced: forced, rules: rules, pass: only(1))[0]]
        }
        let sides: [[LineChannel]]
        // A shard: a first pass finds every channel (and the end of the comparison, and what is
        // unpaired) as one process would; the second accounts the shard's channels only.
        var shardChannels: [Int]?
        var channelsTotal = 0
        var unpaired: [[String]] = [[], []]
        var end: Int64
        if let shard {
            // The first pass's lines are let go before the second (a line is kilobytes).
            let wanted: [Set<Endpoint>]
            do {
                let all = readSides(.discover, &errors, &warnings)
                let total = min(all[0].count, all[1].count)
                channelsTotal = total
                let mine = (0..<total).filter(shard.owns)
                shardChannels = mine
                unpaired = all.map { $0.dropFirst(total).map(\.destination.description) }
                end = (all[0] + all[1]).map(\.lastTime).max() ?? .min
                wanted = [Set(mine.map { all[0][$0].destination }), Set(mine.map { all[1][$0].destination })]
            }
            // The read's own errors and warnings were said by the first pass.
            var ignoredErrors: [String] = [], ignoredWarnings: [String] = []
            sides = readSides(.only(wanted), &ignoredErrors, &ignoredWarnings)
        } else {
            sides = readSides(.all, &errors, &warnings)
            end = (sides[0] + sides[1]).map(\.lastTime).max() ?? .min
            let total = min(sides[0].count, sides[1].count)
            unpaired = sides.map { $0.dropFirst(total).map(\.destination.description) }
        }
        let sideA = sides[0], sideB = sides[1]
        var channels: [ChannelComparison] = []
        var findings: [FeedFinding] = []
        var compared: UInt64 = 0
        var keyedChannels: [KeyedChannelComparison] = []
        let readWarnings = warnings.count
        var channelWarnings: [ChannelNote] = []
        // c: the channel's place here; number(c): its channel number (a shard holds some channels).
        func number(_ c: Int) -> Int { shardChannels?[c] ?? c }
        for c in 0..<min(sideA.count, sideB.count) {
            var la = sideA[c], lb = sideB[c]
            closeSilence(&la, end: end, stallLimit: stallLimit)
            closeSilence(&lb, end: end, stallLimit: stallLimit)
            let r = pair(c, la, lb)
            if la.feedProtocol != lb.feedProtocol {
                channelWarnings.append(ChannelNote(channel: number(c), text: "channel \(number(c)): \(la.destination) is \(la.feedProtocol?.rawValue ?? "-") on \(a.name) but \(lb.destination) is "
                                + "\(lb.feedProtocol?.rawValue ?? "-") on \(b.name): paired by position, their messages cannot match"))
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
            report.shard = CompareShardPart(shard: shard, captures: [a, b].map { $0.path + ($0.filter.map { " [\($0)]" } ?? "") }, channelsTotal: shardChannels.map { _ in channelsTotal } ?? channels.count,
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

    /// Every OMD stream of each side, in destination order, reading `path` once: a packet belongs to
    /// the first side whose filter it passes (no filter: every packet).
    static func read(path: String, filters: [String?], names: [String], stallLimit: Int64, keyed: Bool, errors: inout [String],
                     warnings: inout [String], filterError: inout String?, progress: ProgressCounter? = nil,
                     progressBase: Int = 0, forced: FeedProtocol? = nil, rules: [CaptureInspector.ProtocolRule] = [],
                     pass: ReadPass = .all) -> [[LineChannel]] {
        // A capture, or a directory of them read one after another as one timeline.
        let files: [String]
        do { files = try CaptureTimeline.files(path) } catch {
            errors.append(error.description)
            return filters.map { _ in [] }
        }
        let errorsAtStart = errors.count
        let compiled = filters.map { $0.map(PacketFilter.init(expression:)) }
        var tables = filters.map { _ in FlowTable(capacity: 64) }
        var lines: [[LineChannel]] = filters.map { _ in [] }
        // Flow table index → line index, or -1 for a stream this pass leaves alone.
        var slots: [[Int]] = filters.map { _ in [] }
        let discovering = pass == .discover
        let analyzer = OMDStreamAnalyzer()
        // A plain loop rather than forEachPacket's closure: state captured by a closure is boxed and
        // every access to it pays a dynamic exclusivity check.
        var tick = 0
        var before = progressBase  // bytes of the timeline's earlier files
        var previous: (file: String, end: Int64)?
        files: for file in files {
            var reader: CaptureReader
            do { reader = try CaptureReader.open(file) } catch {
                // A file of a timeline that cannot be opened: said, and the others read.
                errors.append(error.description)
                continue
            }
            var firstOfFile = true
            var lastTime = Int64.min
            do {
                packets: while let packet = try reader.next() {
                    tick &+= 1
                    if _slowPath(tick & 0xFFFF == 0), let progress { progress.set(completed: before + packet.recordOffset) }
                    if _slowPath(firstOfFile) {
                        firstOfFile = false
                        if let p = previous, packet.timestamp < p.end, packet.hasTimestamp {
                            warnings.append("\(file) starts at \(TimeFormat.iso8601(packet.timestamp)), before \(p.file) ends (\(TimeFormat.iso8601(p.end))): read after it, as the directory's time order has it")
                        }
                    }
                    if packet.hasTimestamp { lastTime = packet.timestamp }
                    var side = -1
                    for (k, filter) in compiled.enumerated() {
                        guard let filter else { side = k; break }
                        do { try filter.prepare(for: packet.linkType) } catch { filterError = "\(names[k]): \(error)"; break files }
                        if filter.matches(packet) { side = k; break }
                    }
                    guard side >= 0 else { continue }
                    let d = PacketDecoder.decode(packet.data, linkType: packet.linkType)
                    guard d.status == .transport, d.flow.ipProtocol == 17, d.payload.count == d.declaredPayloadLength else { continue }
                    let key = FlowKey(ipProtocol: 17, source: .zero, sourcePort: 0, destination: d.flow.destination,
                                      destinationPort: d.flow.destinationPort)
                    let (flow, inserted) = tables[side].findOrInsert(key)
                    if inserted {
                        if case .only(let wanted) = pass, !wanted[side].contains(Endpoint(address: d.flow.destination, port: d.flow.destinationPort)) {
                            slots[side].append(-1)
                            continue
                        }
                        var line = LineChannel(destination: Endpoint(address: d.flow.destination, port: d.flow.destinationPort))
                        if keyed { line.keyed = KeyedTable() }
                        // The user named the protocol (for this stream by a rule its first packet passes, the
                        // first rule winning, or for every stream): no detection, every datagram read as it.
                        if let named = rules.first(where: { $0.filter.matches(packet) })?.feedProtocol ?? forced {
                            line.decided = true
                            line.named = true
                            line.feedProtocol = named
                            if named != .omd { line.feed = FeedStream(forced: named) }
                        }
                        lines[side].append(line)
                        slots[side].append(lines[side].count - 1)
                    }
                    let i = slots[side][flow]
                    guard i >= 0 else { continue }
                    guard _fastPath(lines[side][i].decided) else {
                        lines[side][i].probe.append((d.payload.bytes, packet.timestamp))
                        if lines[side][i].probe.count >= FeedStream.probePackets {
                            decide(&lines[side][i], stallLimit: stallLimit, analyzer: analyzer)
                        }
                        continue
                    }
                    // Discovering: a decided line needs one valid packet (one the user named a protocol for
                    // may have none: it is then not compared), not its accounting.
                    if _slowPath(discovering) && (lines[side][i].feed?.packets ?? lines[side][i].statistics.packets) > 0 {
                        // Only the line's last time (the end of the comparison is every line's latest), as accounting leaves it.
                        if lines[side][i].feedProtocol != .omd || OMDPacket(d.payload)?.packetSize == d.declaredPayloadLength {
                            lines[side][i].lastTime = packet.timestamp
                        }
                        continue
                    }
                    if _fastPath(lines[side][i].feedProtocol == .omd) {
                        // A cheap OMD check (header and PktSize); framing errors are the analyzer's to count.
                        guard let p = OMDPacket(d.payload), p.packetSize == d.declaredPayloadLength else { continue }
                        account(&lines[side][i], p, payload: d.payload, declared: d.declaredPayloadLength, time: packet.timestamp,
                                stallLimit: stallLimit, analyzer: analyzer)
                    } else if let p = lines[side][i].feedProtocol {
                        accountOther(&lines[side][i], p, payload: d.payload, time: packet.timestamp, stallLimit: stallLimit)
                    }
                }
            } catch {
                errors.append("\(error) (figures up to it are kept)")
            }
            warnings += reader.warnings.map { "\($0) (the packets before it are compared)" }
            before += reader.bytesConsumed
            progress?.set(completed: before)
            if lastTime != .min { previous = (file, lastTime) }
        }
        for k in lines.indices {
            for i in lines[k].indices {
                decide(&lines[k][i], stallLimit: stallLimit, analyzer: analyzer)
                finishSessions(&lines[k][i])
            }
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
        for (bytes, time) in probe {
            bytes.withUnsafeBytes { raw in
                let view = ByteView(unsafeStart: raw.baseAddress, count: raw.count)
                if p == .omd {
                    if let packet = OMDPacket(view), packet.packetSize == raw.count {
                        account(&line, packet, payload: view, declared: raw.count, time: time, stallLimit: stallLimit, analyzer: analyzer)
                    }
                } else {
                    accountOther(&line, p, payload: view, time: time, stallLimit: stallLimit)
                }
            }
        }
    }

    /// Interleaved sessions' tables become the line's epochs, in session order (both lines of a feed
    /// carry the same products, so their epochs pair up).
    static func finishSessions(_ line: inout LineChannel) {
        guard !line.sessionTables.isEmpty else { return }
        line.epochs = line.sessionTables.sorted { $0.key < $1.key }.map(\.value)
        line.sessionTables = [:]
    }

    /// A datagram of a line in a protocol other than OMD: its sequencing (``FeedStream``), silences,
    /// and each sequenced unit recorded by sequence number with the hash of its bytes. A session
    /// change or a reset starts a new epoch; interleaved sessions (EOBI) are tabled apart.
    static func accountOther(_ line: inout LineChannel, _ p: FeedProtocol, payload: ByteView, time t: Int64, stallLimit: Int64) {
        silence(&line, t, stallLimit: stallLimit)
        let before = line.feed?.sessionChanges ?? 0
        line.feed?.add(payload, timestamp: t)
        guard let h = p.header(payload) else { return }
        if p.sessionsInterleave {
            p.forEachSequenced(payload, h) { sequence, bytes in
                if !line.sessionTables[h.session, default: SequenceTable()].record(UInt32(truncatingIfNeeded: sequence), time: t, hash: hash(bytes)) {
                    line.events.duplicate(at: t)
                }
            }
            return
        }
        if (line.feed?.sessionChanges ?? 0) != before && line.epochs[line.epochs.count - 1].messages > 0 {
            line.epochs.append(SequenceTable())
            line.events.reset(at: t)
        }
        p.forEachSequenced(payload, h) { sequence, bytes in
            if !line.epochs[line.epochs.count - 1].record(UInt32(truncatingIfNeeded: sequence), time: t, hash: hash(bytes)) {
                line.events.duplicate(at: t)
            }
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

    @inline(__always)
    static func account(_ line: inout LineChannel, _ p: OMDPacket, payload: ByteView, declared: Int, time t: Int64, stallLimit: Int64,
                        analyzer: OMDStreamAnalyzer) {
        silence(&line, t, stallLimit: stallLimit)
        analyzer.process(payload, declaredLength: declared, timestamp: t, into: &line.statistics)
        guard !p.isHeartbeat, !p.isCompressed else { return }
        var messages = SequencedMessages(p)
        while let item = messages.next() {
            switch item.control {
            case .none: break
            case .disasterRecovery(let status): line.events.signal(status, at: t)
            case .reset:
                // A reset after data starts a new epoch.
                if line.epochs[line.epochs.count - 1].messages > 0 {
                    line.epochs.append(SequenceTable())
                    line.events.reset(at: t)
                }
                continue
            }
            if !line.epochs[line.epochs.count - 1].record(item.sequence, time: t, hash: hash(item.message.bytes)) {
                line.events.duplicate(at: t)
            } else if line.keyed != nil {
                line.keyed!.record(item.message, time: t)
            }
        }
    }

    /// A 64-bit hash of the message bytes, eight bytes at a time (multiply-rotate mixing).
    @inline(__always)
    package static func hash(_ bytes: ByteView) -> UInt64 {
        bytes.withUnsafeBytes { raw in
            var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(raw.count)
            var i = 0
            while i + 8 <= raw.count {
                let w = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                h = ((h ^ w) &* 0xff51_afd7_ed55_8ccd)
                h = (h << 31) | (h >> 33)
                i += 8
            }
            var tail: UInt64 = 0
            var shift: UInt64 = 0
            while i < raw.count { tail |= UInt64(raw[i]) << shift; shift += 8; i += 1 }
            h = (h ^ tail) &* 0xc4ce_b9fe_1a85_ec53
            return h ^ (h >> 29)
        }
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

    static func pair(_ channel: Int, _ a: LineChannel, _ b: LineChannel) -> ChannelComparison {
        var w = PairWalk(tenthStart: a.firstTime, tenthSpan: max(a.lastTime - a.firstTime, 0) / 10 + 1)
        let epochs = max(a.epochs.count, b.epochs.count)
        for e in 0..<epochs {
            w.epoch = e
            w.walk(e < a.epochs.count ? a.epochs[e] : SequenceTable(), e < b.epochs.count ? b.epochs[e] : SequenceTable())
        }
        let (lag, medianSigned) = w.figures()
        var comparison = ChannelComparison(
            channel: channel, a: a.destination.description, b: b.destination.description,
            messagesA: a.messages, messagesB: b.messages, onBoth: w.both, missingOnA: w.missingA, missingOnB: w.missingB,
            mismatches: w.mismatches, firstMismatchSequence: w.firstMismatch, aFirst: w.aFirst, bFirst: w.bFirst, ties: w.ties,
            lag: lag.summary, medianBMinusA: medianSigned, longestOneSidedRun: w.longest,
            longestOneSidedRunSide: w.longest == 0 ? nil : (w.longestSide == 1 ? "A only" : "B only"),
            longestOneSidedRunFirst: w.longest == 0 ? nil : w.longestFirst,
            lagByTenth: zip(w.tenthSums, w.tenthCounts).map { $1 > 0 ? Int64($0 / Double($1)) : nil },
            lagSpectrum: lag.spectrum, mismatchSamples: w.mismatchSamples,
            epochs: epochs, lineA: line(a), lineB: line(b))
        comparison.lagHistogram = lag.base64V2Compressed
        comparison.protocolA = a.feedProtocol?.rawValue
        comparison.protocolB = b.feedProtocol?.rawValue
        return comparison
    }
}

/// The walk over the union of both sides' sequence numbers, epoch by epoch, with its tallies.
struct PairWalk {
    /// The differences B − A (ns) of a channel's first ``rawLimit`` common messages, kept as values:
    /// summarised with exactly a histogram's figures (``LatencyFigures``) without a histogram's
    /// 46,000 buckets, so a channel of a few messages costs microseconds. Beyond the limit they go
    /// into the histograms below (``spill()``).
    var differences: [Int64] = []
    var rawLimit = 65_536
    /// After a spill: every lag (|B − A|), and the differences by sign as magnitudes — where B came
    /// later or at once (≥ 0) and where B came first (< 0) — for the median difference at the lag's
    /// precision (one histogram of the shifted difference, ±1 h around 2⁴², had 2-second buckets
    /// there, and its median came out as the largest lag).
    var lag: LatencyHistogram?
    var bLater: LatencyHistogram?
    var bEarlier: LatencyHistogram?
    var both: UInt64 = 0, missingA: UInt64 = 0, missingB: UInt64 = 0, mismatches: UInt64 = 0
    var aFirst: UInt64 = 0, bFirst: UInt64 = 0, ties: UInt64 = 0
    var firstMismatch: UInt32?
    /// The first few mismatched (epoch, SeqNum), for field-level detail.
    var mismatchSamples: [MismatchSample] = []
    var epoch = 0
    var run: UInt64 = 0, runSide = 0, runFirst: UInt32 = 0
    var longest: UInt64 = 0, longestSide = 0, longestFirst: UInt32 = 0
    let tenthStart: Int64, tenthSpan: Int64
    var tenthSums = [Double](repeating: 0, count: 10)
    var tenthCounts = [Int](repeating: 0, count: 10)

    init(tenthStart: Int64, tenthSpan: Int64) {
        self.tenthStart = tenthStart
        self.tenthSpan = tenthSpan
    }

    /// Moves the kept differences into the histograms (made at the first spill: a channel past
    /// ``rawLimit`` common messages), in one tight loop over local copies; the buffer is then
    /// reused for the next batch.
    @inline(never)
    mutating func spill() {
        var all = lag.take() ?? LatencyHistogram.latency()
        var later = bLater.take() ?? LatencyHistogram.latency()
        var earlier = bEarlier.take() ?? LatencyHistogram.latency()
        for d in differences {
            all.recordLatency(d.magnitude)
            if d >= 0 { later.recordLatency(UInt64(d)) } else { earlier.recordLatency(d.magnitude) }
        }
        differences.removeAll(keepingCapacity: true)
        (lag, bLater, bEarlier) = (all, later, earlier)
    }

    /// The lag's figures, and the median of B − A (HdrHistogram's rank for the 50th percentile, at
    /// the lag's precision; 0 when no message was on both sides) — the same from kept values as
    /// from the histograms.
    mutating func figures() -> (lag: LatencyFigures, medianBMinusA: Int64) {
        func rank(_ total: UInt64) -> UInt64 { LatencyHistogram.rank(atPercentile: 50, of: total) }
        if lag != nil && !differences.isEmpty { spill() }
        if let lag {
            let earlier = bEarlier?.totalCount ?? 0, total = earlier + (bLater?.totalCount ?? 0)
            let r = rank(total)
            // Ascending: B's earliest arrivals (the largest magnitudes of bEarlier) first.
            let median = r <= earlier ? -Int64(bEarlier!.value(atRank: earlier - r + 1)) : Int64(bLater?.value(atRank: r - earlier) ?? 0)
            return (LatencyFigures(lag), total == 0 ? 0 : median)
        }
        guard !differences.isEmpty else { return (LatencyFigures(sortedValues: []), 0) }
        let ceiling = LatencyHistogram.latencyCeiling
        let signed = differences.sorted()
        let magnitudes = signed.map { min($0.magnitude, ceiling) }.sorted()
        let earlier = signed.firstIndex { $0 >= 0 } ?? signed.count
        let r = Int(rank(UInt64(signed.count)))
        let median: Int64
        if r <= earlier {
            let ascending = signed[..<earlier].reversed().map { min($0.magnitude, ceiling) }
            median = -Int64(LatencyFigures.value(atRank: earlier - r + 1, sortedValues: ascending[...]))
        } else {
            let later = signed[earlier...].map { min(UInt64($0), ceiling) }
            median = Int64(LatencyFigures.value(atRank: r - earlier, sortedValues: later[...]))
        }
        return (LatencyFigures(sortedValues: magnitudes), median)
    }

    mutating func walk(_ ta: SequenceTable, _ tb: SequenceTable) {
        run = 0
        runSide = 0
        let starts = [ta, tb].filter { !$0.times.isEmpty }
        guard !starts.isEmpty else { return }
        let low = starts.map(\.base).min { Int32(bitPattern: $0 &- $1) < 0 }!
        let high = starts.map { $0.base &+ UInt32($0.times.count - 1) }.max { Int32(bitPattern: $0 &- $1) < 0 }!
        var s = low
        while true {
            let oa = Int(Int32(bitPattern: s &- ta.base)), ob = Int(Int32(bitPattern: s &- tb.base))
            let timeA = oa >= 0 && oa < ta.times.count ? ta.times[oa] : .min
            let timeB = ob >= 0 && ob < tb.times.count ? tb.times[ob] : .min
            var side = 0
            if timeA != .min && timeB != .min {
                both &+= 1
                if ta.hashes[oa] != tb.hashes[ob] {
                    mismatches &+= 1
                    if firstMismatch == nil { firstMismatch = s }
                    if mismatchSamples.count < MismatchDetail.sampleLimit { mismatchSamples.append(MismatchSample(epoch: epoch, sequence: s)) }
                }
                let d = timeB &- timeA
                if d > 0 { aFirst &+= 1 } else if d < 0 { bFirst &+= 1 } else { ties &+= 1 }
                differences.append(d)
                if _slowPath(differences.count > rawLimit) { spill() }
                let tenth = min(max(Int((timeA - tenthStart) / tenthSpan), 0), 9)
                tenthSums[tenth] += Double(d)
                tenthCounts[tenth] += 1
            } else if timeA != .min {
                missingB &+= 1; side = 1
            } else if timeB != .min {
                missingA &+= 1; side = 2
            }
            if side != 0 && side == runSide { run &+= 1 } else { run = side == 0 ? 0 : 1; runSide = side; runFirst = s }
            if run > longest { longest = run; longestSide = runSide; longestFirst = runFirst }
            if s == high { break }
            s &+= 1
        }
    }
}

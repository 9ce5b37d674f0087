import Foundation
import Vocabulary
import MarketData
import Orchestration
import Capture
import Measure

/// The names `--protocol` takes, for help texts.
let feedProtocolNames = FeedProtocol.allCases.map(\.rawValue).joined(separator: ", ")

/// `--protocol NAME` read as a feed protocol (case-insensitive), or a usage error listing the names;
/// `given` is the option's text as the user wrote it and `forms` what it may be, for the message.
func parseFeedProtocol(_ name: String, given: String? = nil, forms: String = "one of") throws -> FeedProtocol {
    guard let p = FeedProtocol(rawValue: name.trimmingCharacters(in: .whitespaces).lowercased()) else {
        throw RehearseError(.usage, "--protocol \(given ?? name): expected \(forms) \(feedProtocolNames)")
    }
    return p
}

/// Repeated `--protocol` options: at most one bare NAME (every stream not matched by a rule) and any
/// number of 'BPF=NAME' rules (the streams whose first packet passes the expression; the first
/// matching rule wins). Each expression is compiled now, so a bad one is a usage error naming it.
func parseProtocolOptions(_ texts: [String]) throws -> (forced: FeedProtocol?, rules: [CaptureInspector.ProtocolRule]) {
    var forced: FeedProtocol?
    var rules: [CaptureInspector.ProtocolRule] = []
    for text in texts {
        // 'BPF=NAME': the expression may itself hold '=' ("udp[8] = 1"), so the name is after the last one.
        let split = text.lastIndex(of: "=")
        let name = split.map { String(text[text.index(after: $0)...]) } ?? text
        let p = try parseFeedProtocol(name, given: text, forms: "NAME or 'BPF=NAME' with NAME one of")
        guard let split else {
            if forced != nil { throw RehearseError(.usage, "--protocol \(text): a protocol for every stream is already given") }
            forced = p
            continue
        }
        let filter = PacketFilter(expression: String(text[..<split]))
        do { try filter.prepare(for: .ethernet) } catch {
            throw RehearseError(.usage, "--protocol \(text): \(error.description)")
        }
        rules.append(.init(filter: filter, feedProtocol: p))
    }
    return (forced, rules)
}

/// `--shard INDEX/COUNT`, or a usage error saying what it takes.
func parseShard(_ text: String) throws -> Shard {
    guard let shard = Shard(text) else {
        throw RehearseError(.usage, "--shard \(text): expected INDEX/COUNT with 0 ≤ INDEX < COUNT, e.g. 0/4 (INDEX as Kubernetes' JOB_COMPLETION_INDEX)")
    }
    return shard
}

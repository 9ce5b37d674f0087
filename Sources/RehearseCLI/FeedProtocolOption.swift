import Foundation
import MarketData
import Orchestration

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

/// The failure taxonomy: every way a Rehearse job can end, each with exactly one exit code (its raw
/// value). The README's "Exit codes" lists the failures behind each; `Failure+Classification.swift`
/// is the one place that maps the library's errors onto these cases.
public enum ExitStatus: Int32, Sendable, CaseIterable, Codable {
    /// Everything asked for was done and every limit held.
    case success = 0
    /// The job ran and a limit in the scenario failed: a regression, loss, latency, a failed checklist
    /// item, an error alert.
    case limitFailed = 1
    /// The command line, a scenario file or a local resource named in them is wrong: an unknown option
    /// or key, a bad value, an address this host cannot bind, an interface it does not have.
    case usage = 2
    /// An input cannot be used: a capture, log or history that is missing, damaged or unreadable, or
    /// an output that cannot be written.
    case input = 3
    /// A target failed: unreachable, refused a connection or a logon, left a Logon unanswered, dropped
    /// a session, or a send to it failed.
    case target = 4
    /// The measurement cannot say: the test host, not the target, was measured (the sender missed its
    /// schedule or the host stalled beyond the scenario's `validity:` shares). Neither a pass nor a
    /// platform failure; the message names what the host did, with the figures.
    case inconclusive = 5
    /// Stopped by Ctrl-C or SIGTERM; the partial results were reported (and, for run and capacity, stored).
    case interrupted = 130

    /// One line for people: what the code means.
    public var meaning: String {
        switch self {
        case .success: "success"
        case .limitFailed: "a limit failed"
        case .usage: "usage or configuration error"
        case .input: "input error"
        case .target: "target error"
        case .inconclusive: "inconclusive: the test host, not the target, was measured"
        case .interrupted: "interrupted"
        }
    }

    /// The more severe of two outcomes, for a job made of several steps: interrupted, then input,
    /// target, usage, then a failed limit, then inconclusive, then success.
    public func worst(_ other: ExitStatus) -> ExitStatus {
        func rank(_ s: ExitStatus) -> Int {
            switch s {
            case .success: 0
            case .inconclusive: 1
            case .limitFailed: 2
            case .usage: 3
            case .target: 4
            case .input: 5
            case .interrupted: 6
            }
        }
        return rank(other) > rank(self) ? other : self
    }
}

/// A failure to report to the user: its kind (hence its exit code) and a message naming what failed
/// and where (file and byte offset, endpoint, option or scenario key).
public struct RehearseError: Error, CustomStringConvertible, Sendable {
    public let status: ExitStatus
    public let message: String

    public init(_ status: ExitStatus, _ message: String) {
        self.status = status
        self.message = message
    }

    public var description: String { message }
}

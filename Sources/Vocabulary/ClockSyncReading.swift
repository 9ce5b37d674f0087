/// This host's clock against its time reference, as its synchronisation daemon reports it (read by
/// `ClockSync` in Engines; recorded in a replay's result with `--start-at`).
public struct ClockSyncReading: Codable, Sendable, Equatable {
    /// "chrony" (`chronyc -c tracking`, System time) or "ptp4l" (`pmc … TIME_STATUS_NP`, master_offset).
    public var source: String
    /// The offset the daemon reports, ns, with its sign as the daemon gives it.
    public var offsetNs: Int64
    public init(source: String, offsetNs: Int64) {
        self.source = source
        self.offsetNs = offsetNs
    }
}

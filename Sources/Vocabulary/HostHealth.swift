/// How healthy the test host was while it measured: the hiccup meter's figures (how late threads that
/// asked to wake every millisecond actually woke: scheduler stalls, VM steal, interrupts), the CPU time
/// stolen by the hypervisor and the kernel's UDP receive drops over the same span. A measurement taken
/// on a host that stalled for a large share of what is judged measures the host, not the platform.
public struct HostHealth: Codable, Sendable, Equatable {
    /// Hiccup threads that ran (one per CPU in use, each pinned to its CPU).
    public var threads: Int
    /// The wake-up interval the meter asked for, ns.
    public var intervalNs: Int64
    /// Wake-up lateness over every thread: actual wake − requested wake, ns.
    public var hiccups: LatencySummary
    /// Share of CPU time stolen by the hypervisor over the span (`/proc/stat` steal ÷ total), 0…100;
    /// nil where `/proc/stat` cannot be read.
    public var stealPercent: Double?
    /// UDP datagrams the kernel dropped for a full receive buffer or a bad checksum over the span
    /// (`/proc/net/snmp` Udp RcvbufErrors + InErrors, host-wide); nil where it cannot be read.
    public var kernelReceiveDrops: UInt64?
    /// Span covered, ns.
    public var spanNs: Int64

    /// Memberwise.
    public init(threads: Int, intervalNs: Int64, hiccups: LatencySummary, stealPercent: Double?, kernelReceiveDrops: UInt64?,
                spanNs: Int64) {
        self.threads = threads
        self.intervalNs = intervalNs
        self.hiccups = hiccups
        self.stealPercent = stealPercent
        self.kernelReceiveDrops = kernelReceiveDrops
        self.spanNs = spanNs
    }

    /// One line for people: "host: hiccups p99 120 µs · p99.9 1.20 ms · max 4.50 ms · steal 0.3 % · kernel drops 0".
    public var line: String {
        var parts = ["hiccups p99 \(TimeFormat.duration(hiccups.p99))", "p99.9 \(TimeFormat.duration(hiccups.p999))",
                     "max \(TimeFormat.duration(hiccups.max))"]
        if hiccups.count == 0 { parts = ["hiccups not measured"] }
        parts.append(stealPercent.map { "steal \(TimeFormat.format($0, 1)) %" } ?? "steal n/a")
        parts.append(kernelReceiveDrops.map { "kernel UDP drops \($0)" } ?? "kernel UDP drops n/a")
        return "host: " + parts.joined(separator: " · ")
    }
}

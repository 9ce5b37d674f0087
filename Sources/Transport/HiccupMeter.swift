#if canImport(Glibc)
import Glibc
#endif
import CShims
import Foundation
import Histogram
import Results
import Synchronization
import Vocabulary

/// Measures the test host while a run measures the target (the jHiccup idea): one thread per CPU in
/// use, pinned to it, asks to wake every ``interval`` and records how late it actually woke into a
/// latency histogram; CPU steal (`/proc/stat`) and the kernel's UDP receive drops (`/proc/net/snmp`)
/// are read at the start and the end. The threads sleep between wake-ups: on an idle CPU the meter
/// costs a few microseconds of CPU per millisecond per thread.
/// `@unchecked Sendable`: each histogram is written by its own thread only and read after `join()`.
public final class HiccupMeter: @unchecked Sendable {
    public let interval: Int64
    private let stopFlag = Atomic<Bool>(false)
    private var histograms: [LatencyHistogram]
    private var threads: [PinnedThread] = []
    private let started: Int64
    private let startCPU: CPUTimes?
    private let startDrops: UInt64?
    private var stopped: HostHealth?

    /// Starts measuring on `cpus` CPUs (default: every CPU this process may use, at most 8) every
    /// `interval` ns (default 1 ms).
    public init(cpus: Int? = nil, interval: Int64 = 1_000_000) {
        self.interval = max(100_000, interval)
        let count = max(1, min(cpus ?? PinnedThread.availableCPUs, 8))
        histograms = Array(repeating: LatencyHistogram.latency(), count: count)
        startCPU = CPUTimes.read()
        startDrops = Self.udpReceiveDrops()
        started = Clock.monotonic()
        for i in 0..<count {
            threads.append(PinnedThread.start(name: "rehearse-hiccup", cpu: i) { [self] in measure(slot: i) })
        }
    }

    private func measure(slot: Int) {
        _ = rh_set_timer_slack(1)
        var h = LatencyHistogram.latency()
        let interval = self.interval
        var next = Clock.monotonic() &+ interval
        while !stopFlag.load(ordering: .relaxed) {
            Clock.sleep(untilMonotonic: next)
            let woke = Clock.monotonic()
            h.recordLatency(woke &- next)
            next = woke &+ interval
        }
        histograms[slot] = h
    }

    /// Stops the threads and returns the host's health over the span (idempotent).
    public func stop() -> HostHealth {
        if let stopped { return stopped }
        stopFlag.store(true, ordering: .relaxed)
        threads.forEach { $0.join() }
        var all = LatencyHistogram.latency()
        for h in histograms { all.add(h) }
        var steal: Double?
        if let a = startCPU, let b = CPUTimes.read(), b.total > a.total {
            steal = Double(b.steal &- a.steal) * 100 / Double(b.total &- a.total)
        }
        let drops = Self.udpReceiveDrops().flatMap { end in startDrops.map { end >= $0 ? end - $0 : 0 } }
        let health = HostHealth(threads: histograms.count, intervalNs: interval, hiccups: LatencySummary(all), stealPercent: steal,
                                kernelReceiveDrops: drops, spanNs: Clock.monotonic() - started)
        stopped = health
        return health
    }

    /// Host-wide UDP RcvbufErrors + InErrors from `/proc/net/snmp` (nil where it cannot be read).
    static func udpReceiveDrops() -> UInt64? {
        guard let text = try? String(contentsOfFile: "/proc/net/snmp", encoding: .utf8) else { return nil }
        let lines = text.split(separator: "\n").filter { $0.hasPrefix("Udp: ") }
        guard lines.count >= 2 else { return nil }
        let names = lines[0].split(separator: " ").dropFirst()
        let values = lines[1].split(separator: " ").dropFirst()
        var total: UInt64 = 0
        var found = false
        for (name, value) in zip(names, values) where name == "RcvbufErrors" || name == "InErrors" {
            total &+= UInt64(value) ?? 0
            found = true
        }
        return found ? total : nil
    }
}

/// The aggregate `cpu` line of `/proc/stat`, in clock ticks.
struct CPUTimes {
    var total: UInt64
    var steal: UInt64

    static func read() -> CPUTimes? {
        guard let text = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("cpu ") }) else { return nil }
        // user nice system idle iowait irq softirq steal (guest time is already in user and nice).
        let fields = line.split(separator: " ").dropFirst().prefix(8).compactMap { UInt64($0) }
        guard fields.count == 8 else { return nil }
        return CPUTimes(total: fields.reduce(0, +), steal: fields[7])
    }
}

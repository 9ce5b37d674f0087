#if canImport(Glibc)
import Glibc
#endif
import CShims
import Foundation
import Histogram
import Synchronization
import Vocabulary

/// Measures the test host while a run measures the target (the jHiccup idea): one thread per CPU in
/// use, pinned to it, asks to wake every ``interval`` and records how late it actually woke into a
/// latency histogram; CPU steal (`/proc/stat`) and the kernel's UDP receive drops (`/proc/net/snmp`)
/// are read at the start and the end. The threads sleep between wake-ups: on an idle CPU the meter
/// costs a few microseconds of CPU per millisecond per thread. ``sample()`` gives the health since the
/// previous sample (a watch interval) while the meter keeps running; ``stop()`` the whole span.
/// `@unchecked Sendable`: each slot's histograms are written by its own thread and handed over through
/// an acquire/release handshake (``sample()``) or read after `join()` (``stop()``).
public final class HiccupMeter: @unchecked Sendable {
    public let interval: Int64
    private let stopFlag = Atomic<Bool>(false)
    /// Incremented by ``sample()``: each thread hands over its interval histogram when it sees a new value.
    private let sampleEpoch = Atomic<Int>(0)
    private let slots: [Slot]
    private var threads: [PinnedThread] = []
    private let started: Int64
    private let startCPU: CPUTimes?
    private let startDrops: UInt64?
    private let sampler: Mutex<SamplerState>
    private let stopped = Mutex<HostHealth?>(nil)

    /// One meter thread's figures.
    private final class Slot: @unchecked Sendable {
        /// The epoch of the last interval histogram handed over.
        let published = Atomic<Int>(0)
        var interval = LatencyHistogram.latency()
        var total = LatencyHistogram.latency()
    }

    /// Where the previous sample ended.
    private struct SamplerState: Sendable {
        var time: Int64
        var cpu: CPUTimes?
        var drops: UInt64?
    }

    /// Starts measuring on `cpus` CPUs (default: every CPU this process may use, at most 8) every
    /// `interval` ns (default 1 ms).
    public init(cpus: Int? = nil, interval: Int64 = 1_000_000) {
        self.interval = max(100_000, interval)
        let count = max(1, min(cpus ?? PinnedThread.availableCPUs, 8))
        slots = (0..<count).map { _ in Slot() }
        startCPU = CPUTimes.read()
        startDrops = Self.udpReceiveDrops()
        started = Clock.monotonic()
        sampler = Mutex(SamplerState(time: started, cpu: startCPU, drops: startDrops))
        for i in 0..<count {
            threads.append(PinnedThread.start(name: "rehearse-hiccup", cpu: i) { [self] in measure(slot: slots[i]) })
        }
    }

    private func measure(slot: Slot) {
        _ = rh_set_timer_slack(1)
        var total = LatencyHistogram.latency()
        var current = LatencyHistogram.latency()
        var epoch = 0
        let interval = self.interval
        var next = Clock.monotonic() &+ interval
        while !stopFlag.load(ordering: .relaxed) {
            Clock.sleep(untilMonotonic: next)
            let woke = Clock.monotonic()
            total.recordLatency(woke &- next)
            current.recordLatency(woke &- next)
            next = woke &+ interval
            let asked = sampleEpoch.load(ordering: .acquiring)
            if asked != epoch {
                epoch = asked
                slot.interval = current
                current.reset()
                slot.published.store(asked, ordering: .releasing)
            }
        }
        slot.total = total
    }

    /// The host's health since the previous sample (or the start), while the meter keeps running: each
    /// thread hands over its histogram at its next wake-up (a thread stalled for longer than a second is
    /// left out of this sample and counted in the next). Call from one thread at a time.
    public func sample() -> HostHealth {
        // The sample spans from the previous request to this one: each thread hands its histogram over at
        // its first wake-up after a request, so that is what its figures cover (not when we got them).
        let asked = Clock.monotonic()
        let epoch = sampleEpoch.wrappingAdd(1, ordering: .releasing).newValue
        let deadline = asked + 1_000_000_000
        var all = LatencyHistogram.latency()
        var pending = Array(slots.indices)
        while !pending.isEmpty && Clock.monotonic() < deadline && !stopFlag.load(ordering: .relaxed) {
            pending.removeAll { i in
                guard slots[i].published.load(ordering: .acquiring) == epoch else { return false }
                all.add(slots[i].interval)
                return true
            }
            if !pending.isEmpty { Clock.sleep(untilMonotonic: Clock.monotonic() + interval / 2) }
        }
        let cpu = CPUTimes.read(), drops = Self.udpReceiveDrops()
        return sampler.withLock { last in
            let health = health(all, from: last.cpu, to: cpu, drops: last.drops, to: drops, span: asked - last.time)
            last = SamplerState(time: asked, cpu: cpu, drops: drops)
            return health
        }
    }

    /// Stops the threads and returns the host's health over the whole span (idempotent).
    public func stop() -> HostHealth {
        if let done = stopped.withLock({ $0 }) { return done }
        stopFlag.store(true, ordering: .relaxed)
        threads.forEach { $0.join() }
        var all = LatencyHistogram.latency()
        for slot in slots { all.add(slot.total) }
        let result = health(all, from: startCPU, to: CPUTimes.read(), drops: startDrops, to: Self.udpReceiveDrops(),
                            span: Clock.monotonic() - started)
        stopped.withLock { $0 = result }
        return result
    }

    private func health(_ hiccups: LatencyHistogram, from a: CPUTimes?, to b: CPUTimes?, drops startDrops: UInt64?, to endDrops: UInt64?,
                        span: Int64) -> HostHealth {
        var steal: Double?
        if let a, let b, b.total > a.total {
            steal = Double(b.steal &- a.steal) * 100 / Double(b.total &- a.total)
        }
        let drops = endDrops.flatMap { end in startDrops.map { end >= $0 ? end - $0 : 0 } }
        return HostHealth(threads: slots.count, intervalNs: interval, hiccups: LatencySummary(hiccups), stealPercent: steal,
                          kernelReceiveDrops: drops, spanNs: span)
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
struct CPUTimes: Sendable {
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

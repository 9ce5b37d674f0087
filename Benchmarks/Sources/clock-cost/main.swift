// clock-cost: what the three clocks and the host measurement cost (issue 15), for scripts/clock-cost.sh.
//   clock-cost record on|off CAPTURE [meter]   one --max replay of CAPTURE to a local sink, recording each
//                                              packet's actual send time (on) or not (off), with the hiccup
//                                              meter running (meter) or not; prints "packets wall_ns cpu_ns"
//   clock-cost meter SECONDS                   the hiccup meter alone for SECONDS while this thread sleeps;
//                                              prints "cpu_ns wall_ns wakeups" (CPU time as the kernel
//                                              accounts it: on a tick-accounted VM a timer-driven thread is
//                                              over-charged, so "busy" below is the figure to trust)
//   clock-cost busy SECONDS [meter]            one busy loop per CPU, pinned, for SECONDS, with the hiccup
//                                              meter running or not; prints the loops' total iterations
//                                              (what the meter takes from other work)
#if canImport(Glibc)
import Glibc
#endif
import Vocabulary
import Capture
import Foundation
import Replay
import Synchronization
import Transport

func cpuNanoseconds() -> Int64 {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    func ns(_ t: timeval) -> Int64 { Int64(t.tv_sec) * 1_000_000_000 + Int64(t.tv_usec) * 1_000 }
    return ns(usage.ru_utime) + ns(usage.ru_stime)
}

let arguments = CommandLine.arguments
guard arguments.count >= 3 else { print("usage: clock-cost record on|off CAPTURE [meter] | clock-cost meter SECONDS"); exit(2) }
switch arguments[1] {
case "record":
    guard arguments.count >= 4 else { exit(2) }
    let record = arguments[2] == "on"
    let sink = try UDPReceiver(endpoints: [Endpoint("127.0.0.1:0")!])
    var map = TargetMap()
    try map.add("*=127.0.0.1:\(sink.boundPorts[0])")
    let plan = try FeedPlan(path: arguments[3], selection: Selection(), map: map, dropUnmapped: false)
    var options = ReplayOptions()
    options.pacing = .maximum
    let player = try FeedPlayer(plan: plan, options: options)
    let times = record ? SendTimes(packets: Int(plan.packets)) : nil
    let meter = arguments.count > 4 && arguments[4] == "meter" ? HiccupMeter() : nil
    let cpu = cpuNanoseconds(), start = Clock.monotonic()
    let (result, _) = player.run(sendTimes: times)
    let wall = Clock.monotonic() - start, used = cpuNanoseconds() - cpu
    _ = meter?.stop()
    print(result.packets, wall, used)
case "meter":
    let seconds = Double(arguments[2]) ?? 5
    let cpu = cpuNanoseconds(), start = Clock.monotonic()
    let meter = HiccupMeter()
    Clock.sleep(untilMonotonic: start + Int64(seconds * 1e9))
    let health = meter.stop()
    print(cpuNanoseconds() - cpu, Clock.monotonic() - start, health.hiccups.count)
case "busy":
    let seconds = Double(arguments[2]) ?? 5
    let meter = arguments.count > 3 && arguments[3] == "meter" ? HiccupMeter() : nil
    let stop = Atomic<Bool>(false)
    let counts = Mutex<UInt64>(0)
    let threads = (0..<PinnedThread.availableCPUs).map { cpu in
        PinnedThread.start(name: "busy", cpu: cpu) {
            var n: UInt64 = 0
            while !stop.load(ordering: .relaxed) {
                for _ in 0..<1_000 { n &+= 1; Sink.keep(n) }
            }
            counts.withLock { $0 &+= n }
        }
    }
    Clock.sleep(untilMonotonic: Clock.monotonic() + Int64(seconds * 1e9))
    stop.store(true, ordering: .relaxed)
    threads.forEach { $0.join() }
    _ = meter?.stop()
    print(counts.withLock { $0 })
default:
    exit(2)
}

/// Keeps the busy loop's work from being optimised away.
enum Sink {
    @inline(never) static func keep(_ value: UInt64) { if value == .max { print(value) } }
}

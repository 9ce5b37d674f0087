// clock-cost: what the three clocks and the host measurement cost (issue 15), for scripts/clock-cost.sh.
//   clock-cost record on|off CAPTURE [meter]   one --max replay of CAPTURE to a local sink, recording each
//                                              packet's actual send time (on) or not (off), with the hiccup
//                                              meter running (meter) or not; prints "packets wall_ns cpu_ns"
//   clock-cost meter SECONDS                   the hiccup meter alone for SECONDS while this thread sleeps;
//                                              prints "cpu_ns wall_ns wakeups"
#if canImport(Glibc)
import Glibc
#endif
import Vocabulary
import Capture
import Foundation
import Replay
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
default:
    exit(2)
}

import Vocabulary
import Foundation
import TestSupport
import Testing

/// Parses Prometheus text with the Prometheus client's own parser (an independent reader) and checks
/// every histogram: buckets cumulative, `+Inf` equal to `_count`, `_sum` present. Prints one line per
/// sample (`name{labels} value`, labels sorted); exits 1 with the reason when the text is not valid.
let prometheusReader = """
import sys
from prometheus_client.parser import text_string_to_metric_families
text = sys.stdin.read()
for family in text_string_to_metric_families(text):
    if family.type == 'histogram':
        series = {}
        for s in family.samples:
            key = tuple(sorted((k, v) for k, v in s.labels.items() if k != 'le'))
            series.setdefault(key, {'buckets': [], 'sum': None, 'count': None})
            if s.name.endswith('_bucket'): series[key]['buckets'].append((float(s.labels['le']), s.value))
            elif s.name.endswith('_sum'): series[key]['sum'] = s.value
            elif s.name.endswith('_count'): series[key]['count'] = s.value
        for key, h in series.items():
            b = sorted(h['buckets'])
            if not b or b[-1][0] != float('inf'): sys.exit(f'{family.name}{key}: no +Inf bucket')
            if any(b[i][1] > b[i + 1][1] for i in range(len(b) - 1)): sys.exit(f'{family.name}{key}: buckets not cumulative')
            if h['count'] != b[-1][1] or h['sum'] is None: sys.exit(f'{family.name}{key}: _count {h["count"]} != +Inf {b[-1][1]} or no _sum')
    for s in family.samples:
        labels = ','.join(f'{k}="{v}"' for k, v in sorted(s.labels.items()))
        print(f'{s.name}{{{labels}}} {s.value:g}')
"""

/// `prometheusReader`'s lines for `text`, or the reason it refused it.
func parsePrometheus(_ text: String) throws -> (valid: Bool, lines: [String], error: String) {
    let input = NSTemporaryDirectory() + "rehearse-metrics-\(UUID().uuidString).txt"
    try text.write(toFile: input, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(atPath: input) }
    let r = try runPython("import sys; sys.stdin = open(sys.argv[1]); exec(sys.argv[2])", [input, prometheusReader])
    return (r.status == 0, r.output.split(separator: "\n").map(String.init), r.error)
}

/// Waits until `port` serves the watch's figures (the watch opened its feeds before it starts serving).
func awaitServer(port: Int, seconds: Double = 15) -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if httpGet(port: port, path: "/metrics")?.contains("rehearse_watch_messages_on_both_total") == true { return true }
        usleep(50_000)
    }
    return false
}

@Suite("watch as a process: primary against standby on loopback", .serialized)
struct WatchCommandTests {
    let directory = NSTemporaryDirectory() + "rehearse-watch-\(UUID().uuidString)"

    func feed(_ faults: [String]) throws -> String {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = directory + "/feed.pcap"
        let r = try CLI.run(["synth", "-o", path, "--channels", "2", "--duration", "2s", "--rate", "6000", "--seed", "5"]
                            + faults.flatMap { ["--fault", $0] })
        #expect(r.status == 0, "\(r.stderr)")
        return path
    }

    @Test("replayed lines A and B: watch settles what the offline compare finds, serves Prometheus text, alerts on the standby's loss, reports on Ctrl-C, exits 1")
    func standbyLoss() throws {
        let path = try feed(["B1:gap@1s:6"])
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let port = freePortBlock(16)
        let metricsPort = port + 10
        let marker = directory + "/alerted"
        let watch = try Background(["watch", "--primary", "127.0.0.1:\(port)-\(port + 1)", "--standby", "127.0.0.1:\(port + 2)-\(port + 3)",
                                    "--interval", "500ms", "--horizon", "300ms", "--stall", "10s", "--metrics", "127.0.0.1:\(metricsPort)",
                                    "--alert-command", "echo \"$REHEARSE_ALERT_KIND $REHEARSE_ALERT_LEVEL\" >> \(marker)", "--json"],
                                   keepStandardError: true)
        #expect(awaitServer(port: metricsPort))
        // Figures from the first second: every channel and line, at zero, before anything arrived.
        let first = try parsePrometheus(httpBody(httpGet(port: metricsPort, path: "/metrics") ?? ""))
        #expect(first.valid, "\(first.error)")
        #expect(first.lines.contains("rehearse_watch_messages_on_both_total{channel=\"1\"} 0"), "\(first.lines)")
        #expect(first.lines.contains("rehearse_watch_line_started{channel=\"1\",line=\"standby\"} 0"))
        let uptime = first.lines.first { $0.hasPrefix("rehearse_watch_uptime_seconds{}") }.flatMap { Double($0.split(separator: " ")[1]) }
        #expect((uptime ?? 99) < 5, "\(first.lines)")
        // Streams sorted by destination: A0, A1, B0, B1 → port, port+1, port+2, port+3.
        let r = try CLI.run(["replay", path, "--to", "each=127.0.0.1:\(port)", "--speed", "2", "--json"])
        #expect(r.replayed, "\(r.stderr)")
        usleep(1_200_000)  // past the horizon and at least one interval
        let metrics = httpGet(port: metricsPort, path: "/metrics") ?? ""
        #expect(metrics.contains("HTTP/1.1 200 OK") && metrics.contains("text/plain; version=0.0.4"))
        #expect(metrics.contains("# TYPE rehearse_watch_missing_total counter"))
        #expect(metrics.contains("rehearse_watch_missing_total{channel=\"1\",line=\"standby\"} "))
        #expect(!metrics.contains("rehearse_watch_missing_total{channel=\"1\",line=\"standby\"} 0\n"))
        #expect(httpGet(port: metricsPort, path: "/nothing")?.contains("404 Not Found") == true)
        // The lag per channel is a histogram (cumulative buckets, _sum, _count = messages on both lines).
        let parsed = try parsePrometheus(httpBody(metrics))
        #expect(parsed.valid, "\(parsed.error)")
        let lagCount = parsed.lines.first { $0.hasPrefix("rehearse_watch_lag_seconds_count{channel=\"1\"}") }
        let onBoth = parsed.lines.first { $0.hasPrefix("rehearse_watch_messages_on_both_total{channel=\"1\"}") }
        #expect(lagCount != nil && lagCount?.split(separator: " ").last == onBoth?.split(separator: " ").last, "\(parsed.lines)")
        #expect(lagCount?.hasSuffix(" 0") == false)
        let post = httpGet(port: metricsPort, path: "/metrics", method: "POST") ?? ""
        #expect(post.hasPrefix("HTTP/1.1 405 Method Not Allowed") && post.contains("Allow: GET, HEAD"), "\(post)")
        let (status, output) = watch.interrupt()
        let errors = watch.standardError
        #expect(status == 1, "\(errors)")
        let report = try json(output)
        #expect(report["schema"] as? String == "rehearse.watch/1" && report["stoppedBy"] as? String == "interrupted")
        let channels = try #require(report["channels"] as? [[String: Any]])
        // The offline comparison of the same capture.
        let compared = try CLI.run(["compare", path, "--a", "dst net 239.1.1.0/24", "--b", "dst net 239.1.2.0/24", "--json"])
        // The same standby loss fails compare as it fails watch; within --max-missing it does not.
        let offline = try json(compared.stdout)
        let expected = try #require(offline["channels"] as? [[String: Any]])
        let lost = expected.reduce(0) { $0 + ($1["missingOnB"] as? Int ?? 0) }
        #expect(lost > 0 && compared.status == 1, "\(compared.stderr)")
        #expect(compared.stderr.contains("B missed \(lost) messages A carried (allowed 0; channel 1: \(lost))"), "\(compared.stderr)")
        let allowed = try CLI.run(["compare", path, "--a", "dst net 239.1.1.0/24", "--b", "dst net 239.1.2.0/24", "--max-missing", "\(lost)"])
        #expect(allowed.status == 0, "\(allowed.stderr)")
        #expect(channels.count == 2 && expected.count == 2)
        for (live, off) in zip(channels, expected) {
            #expect(live["missingOnStandby"] as? Int == off["missingOnB"] as? Int)
            #expect(live["missingOnPrimary"] as? Int == 0 && live["mismatches"] as? Int == 0)
            #expect(live["onBoth"] as? Int == off["onBoth"] as? Int)
        }
        #expect((channels[1]["missingOnStandby"] as? Int ?? 0) > 0)
        #expect(report["receiveDrops"] as? Int == 0)
        #expect(errors.contains("error rehearse.watch standbyMissing"))
        #expect((try? String(contentsOfFile: marker, encoding: .utf8))?.contains("standbyMissing error") == true)
    }

    @Test("a standby that never starts, a capture interface that does not exist, a join that fails, unpaired endpoints: clear errors and exit codes")
    func badInput() throws {
        let port = freePortBlock(16)
        // Only the primary gets traffic: the standby never starts → error alert, exit 1.
        let path = try feed([])
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let watch = try Background(["watch", "--primary", "127.0.0.1:\(port)", "--standby", "127.0.0.1:\(port + 1)", "--interval", "200ms",
                                    "--stall", "500ms", "--duration", "3s", "--metrics", "127.0.0.1:\(port + 10)"], keepStandardError: true)
        #expect(awaitServer(port: port + 10))
        let r = try CLI.run(["replay", path, "--to", "239.1.1.1:51001=127.0.0.1:\(port)", "--drop-unmapped", "--speed", "4"])
        #expect(r.replayed, "\(r.stderr)")
        let (status, output) = watch.wait()
        #expect(status == 1)
        #expect(output.contains("never started"))
        #expect(watch.standardError.contains("error rehearse.watch standbyStopped: channel 0 standby 127.0.0.1:\(port + 1) has not started"))

        var e = try CLI.run(["watch", "--primary", "127.0.0.1:\(port)", "--standby", "127.0.0.1:\(port + 1)", "--interface", "nosuch0", "--capture",
                             "--duration", "1s"])
        #expect(e.status == 2 && e.stderr.contains("nosuch0") && e.stderr.contains("no such interface"), "\(e.stderr)")
        // The old spelling still works; --capture without an interface is named.
        e = try CLI.run(["watch", "--primary", "127.0.0.1:\(port)", "--standby", "127.0.0.1:\(port + 1)", "--capture-interface", "nosuch0",
                         "--duration", "1s"])
        #expect(e.status == 2 && e.stderr.contains("nosuch0") && e.stderr.contains("no such interface"), "\(e.stderr)")
        e = try CLI.run(["watch", "--primary", "127.0.0.1:\(port)", "--standby", "127.0.0.1:\(port + 1)", "--capture", "--duration", "1s"])
        #expect(e.status == 2 && e.stderr.contains("--capture needs --interface"), "\(e.stderr)")
        e = try CLI.run(["watch", "--primary", "239.255.43.1:\(port)", "--standby", "239.255.43.2:\(port)", "--interface", "10.255.255.254",
                         "--duration", "1s"])
        #expect(e.status == 2 && e.stderr.contains("239.255.43.1:\(port)"), "\(e.stderr)")
        e = try CLI.run(["watch", "--primary", "127.0.0.1:\(port)-\(port + 1)", "--standby", "127.0.0.1:\(port + 2)", "--duration", "1s"])
        #expect(e.status == 2 && e.stderr.contains("same number"))
        e = try CLI.run(["watch", "--primary", "10.255.255.254:\(port)", "--standby", "127.0.0.1:\(port)", "--duration", "1s"])
        #expect(e.status == 2 && e.stderr.contains("10.255.255.254:\(port)"), "\(e.stderr)")
    }

    @Test("libpcap live capture on lo with the endpoint filter sees what the sockets see", .enabled(if: getuid() == 0, "live capture needs root"))
    func liveCapture() throws {
        let path = try feed(["B0:gap@1s:4"])
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let port = freePortBlock(16)
        // A listener absorbs the datagrams (no ICMP refusals); the watch reads them off lo.
        let sink = try Background(["listen", "--on", "127.0.0.1:\(port)-\(port + 3)", "--duration", "30s", "--idle", "2s"])
        let watch = try Background(["watch", "--primary", "127.0.0.1:\(port)-\(port + 1)", "--standby", "127.0.0.1:\(port + 2)-\(port + 3)",
                                    "--interface", "lo", "--capture", "--interval", "500ms", "--horizon", "300ms", "--json",
                                    "--metrics", "127.0.0.1:\(port + 10)"])
        #expect(awaitServer(port: port + 10))
        usleep(200_000)
        let r = try CLI.run(["replay", path, "--to", "each=127.0.0.1:\(port)", "--speed", "2"])
        #expect(r.replayed, "\(r.stderr)")
        usleep(800_000)
        let (status, output) = watch.interrupt()
        _ = sink.wait(limit: 30)
        #expect(status == 1)
        let report = try json(output)
        let channels = try #require(report["channels"] as? [[String: Any]])
        let offline = try json(try CLI.run(["compare", path, "--a", "dst net 239.1.1.0/24", "--b", "dst net 239.1.2.0/24", "--json"]).stdout)
        let expected = try #require(offline["channels"] as? [[String: Any]])
        // A starved capture thread can lose packets in the kernel's capture buffer: those are counted as
        // drops inside the host, and then (only then) the figures may fall short of the offline ones.
        let drops = report["receiveDrops"] as? Int ?? -1
        for (live, off) in zip(channels, expected) {
            if drops == 0 {
                #expect(live["missingOnStandby"] as? Int == off["missingOnB"] as? Int, "\(live)")
                #expect(live["onBoth"] as? Int == off["onBoth"] as? Int)
            } else {
                #expect(drops > 0 && (live["onBoth"] as? Int ?? .max) <= (off["onBoth"] as? Int ?? 0))
            }
        }
    }

    @Test("this host is measured every interval; a lag limit it is too unhealthy to judge (--max-lag 1us) makes a clean watch inconclusive (exit 5), never a standby failure")
    func hostTooUnhealthyToJudge() throws {
        let path = try feed([])
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let port = freePortBlock(16)
        let metricsPort = port + 10
        let watch = try Background(["watch", "--primary", "127.0.0.1:\(port)-\(port + 1)", "--standby", "127.0.0.1:\(port + 2)-\(port + 3)",
                                    "--interval", "300ms", "--horizon", "300ms", "--stall", "10s", "--max-lag", "1us",
                                    "--metrics", "127.0.0.1:\(metricsPort)", "--json"], keepStandardError: true)
        #expect(awaitServer(port: metricsPort))
        let r = try CLI.run(["replay", path, "--to", "each=127.0.0.1:\(port)", "--speed", "4"])
        #expect(r.replayed, "\(r.stderr)")
        usleep(1_000_000)
        // No thread wakes within 100 ns (10 % of 1 µs) of when it asked: every interval is unjudged.
        let metrics = httpGet(port: metricsPort, path: "/metrics") ?? ""
        #expect(metrics.contains("rehearse_watch_interval_valid 0\n"), "\(metrics)")
        #expect(metrics.contains("rehearse_watch_host_hiccup_p999_seconds "))
        // Every series the Grafana dashboard queries is served.
        let dashboard = try String(contentsOfFile: CLI.packageRoot + "/deploy/grafana/watch.json", encoding: .utf8)
        let queried = Set(dashboard.matches(of: /rehearse_watch_[a-z0-9_]+/).map { String($0.output) })
        #expect(queried.count >= 10, "\(queried)")
        for name in queried { #expect(metrics.contains("\n\(name){") || metrics.contains("\n\(name) "), "the dashboard queries \(name)") }
        let (status, output) = watch.interrupt()
        let errors = watch.standardError
        #expect(status == 5, "\(errors)")
        #expect(errors.contains("warning rehearse.watch hostUnhealthy: this host stalled: host hiccups p99.9"), "\(errors)")
        #expect(errors.contains("rehearse: inconclusive:") && !errors.contains("standbyLag"), "\(errors)")
        let report = try json(output)
        let host = try #require(report["host"] as? [String: Any])
        let hiccups = try #require(host["hiccups"] as? [String: Any])
        #expect((host["threads"] as? Int ?? 0) >= 1 && (hiccups["count"] as? Int ?? 0) > 100)
        #expect((report["intervalsInconclusive"] as? Int ?? 0) >= 2 && report["intervalsJudged"] as? Int == 0)
        for c in try #require(report["channels"] as? [[String: Any]]) {
            #expect(c["missingOnStandby"] as? Int == 0 && (c["onBoth"] as? Int ?? 0) > 1000)
        }
    }

    @Test("multicast lines joined on 127.0.0.1 (replayed with the interface pinned and TTL 0): every message matched, nothing missing")
    func multicast() throws {
        let path = try feed([])
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let port = freePortBlock(8)
        let watch = try Background(["watch", "--primary", "239.255.44.1:\(port),239.255.44.2:\(port)",
                                    "--standby", "239.255.44.3:\(port),239.255.44.4:\(port)", "--interface", "127.0.0.1",
                                    "--interval", "500ms", "--json", "--metrics", "127.0.0.1:\(port + 5)"])
        #expect(awaitServer(port: port + 5))
        let r = try CLI.run(["replay", path, "--to", "239.1.1.1:51001=239.255.44.1:\(port)", "--to", "239.1.1.2:51002=239.255.44.2:\(port)",
                             "--to", "239.1.2.1:51001=239.255.44.3:\(port)", "--to", "239.1.2.2:51002=239.255.44.4:\(port)",
                             "--interface", "127.0.0.1", "--ttl", "0", "--speed", "4"])
        #expect(r.replayed, "\(r.stderr)")
        usleep(2_500_000)  // past the 2 s horizon
        let (status, output) = watch.interrupt()
        #expect(status == 0, "\(output)")
        let report = try json(output)
        let channels = try #require(report["channels"] as? [[String: Any]])
        #expect(channels.count == 2)
        for c in channels {
            #expect((c["onBoth"] as? Int ?? 0) > 1000)
            #expect(c["missingOnStandby"] as? Int == 0 && c["missingOnPrimary"] as? Int == 0 && c["mismatches"] as? Int == 0)
        }
        #expect(report["receiveDrops"] as? Int == 0)
    }
}

import ArgumentParser
import Orchestration
import Vocabulary
import MarketData
import Capture
import Foundation
import Simulators
import Synth
import Transport

/// `rehearse sim …`: reference platforms for demos and tests.
struct Sim: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a reference platform (market-data relay or FIX gateway) with a latency and capacity profile and faults.",
        subcommands: [SimFeed.self, SimGateway.self])
}

/// `rehearse sim feed --listen A --publish B --profile P`.
struct SimFeed: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "feed",
        abstract: "A reference OMD market-data platform: receives packets and republishes their messages after a profiled delay behind a service-time capacity.",
        discussion: """
        Channel i is received on the i-th --listen port and published to the --publish port + i; with N \
        --publish endpoints, to the (i mod N)-th one's port + i: the host of bench shard i mod N (--shard). Profiles: \
        old (lognormal median 80 µs, 2.5 µs/message service, keeps packetisation) and new (lognormal median \
        30 µs, 1 µs/message, re-packetises). Runs until --duration or Ctrl-C, then prints its counters.
        """)

    @Option(help: "ADDRESS:PORT, ADDRESS:FIRST-LAST (ports step) or A.B.C.D-E:FIRST-LAST (group and port step together) to receive channels on.")
    var listen: String
    @Option(help: "ADDRESS:PORT channel 0 is published to (channel i to PORT+i). Repeat for bench shards on several hosts: with N of them, channel i goes to the (i mod N)-th, PORT+i (the host benching shard i mod N).")
    var publish: [String]
    @Option(help: "Built-in profile: old or new.")
    var profile = "new"
    @Option(help: "Override the profile's per-message delay: fixed:50us, uniform:10us-80us or lognormal:40us,0.5.")
    var delay: String?
    @Option(help: "Override the profile's service time per message (e.g. 2us); capacity = 1 / service time.")
    var serviceTime: String?
    @Option(help: "Messages the platform queues at most behind its service time; past it, arriving messages are dropped (counted as queue overflows): an overloaded platform that loses rather than lags.")
    var queueLimit: Int?
    @Option(help: "Re-packetise output: yes or no (default: the profile's).")
    var repacketise: String?
    @Option(help: "Probability that an output packet is dropped (packets carrying a Sequence Reset or DR Signal are spared by every fault).")
    var drop = 0.0
    @Option(help: "Probability that an output packet is sent twice.")
    var duplicate = 0.0
    @Option(help: "Probability that an output packet is sent after the next one.")
    var reorder = 0.0
    @Option(help: "Gap drill: MESSAGES@EVERY, e.g. 1000@500ms — every EVERY each channel loses whole packets until MESSAGES messages are gone (the retransmission service still has them).")
    var gap: String?
    @Option(help: "Pause publishing: AT:FOR after the first packet, e.g. 2s:500ms.")
    var pause: String?
    @Option(help: "Stop after this long (default: until Ctrl-C).")
    var duration: String?
    @Option(help: "Interface for multicast publishing: IPv4 address or name.")
    var interface: String?
    @Option(help: "Multicast TTL.")
    var ttl = 1
    @Option(help: "Random seed for delays and faults.")
    var seed: UInt64 = 1
    @Flag(help: "Relay every datagram unchanged, whatever its feed protocol (another venue's feed: MoldUDP64, CME MDP 3.0, …), after the profile's delay and service time per datagram; the faults apply per datagram.")
    var relay = false
    @Option(help: "Serve retransmission (OMD RTS, TCP) on ADDRESS:PORT: every message published, by its channel (ChannelID = channel index from 0). Repeat for a secondary; --rts-fault picks one by its order.")
    var rts: [String] = []
    @Option(help: "A fault of the retransmission service: down, refuse-logon, not-available, slow:DURATION, disconnect-mid-answer, garbage, wrong-sequence, wrong-range, silent, corrupt; FAULT@N for the N-th --rts only (from 0). Repeatable.")
    var rtsFault: [String] = []
    @Option(help: "Messages the retransmission service holds per channel.")
    var rtsWindow = RecoveryLimits().window
    @Option(help: "Messages one retransmission request may ask for.")
    var rtsMaxRequest = RecoveryLimits().maximumPerRequest
    @Option(help: "Retransmission requests per user per day.")
    var rtsDailyRequests = RecoveryLimits().dailyRequests
    @Option(help: "Time a retransmission client has to log on.")
    var rtsLogonTimeout = "5s"
    @Option(help: "Interval of the retransmission service's heartbeats.")
    var rtsHeartbeat = "30s"
    @Option(help: "Time a client has to echo a heartbeat before it is disconnected.")
    var rtsHeartbeatTimeout = "5s"
    @Option(help: "Publish the Refresh Service: per channel, snapshot cycles (the latest message of each book; no trades) ending with Refresh Complete (203, the real-time SN they are synchronised to), channel i to ADDRESS:PORT+i.")
    var refresh: String?
    @Option(help: "Time between refresh cycles.")
    var refreshCycle = "1s"
    @Flag(help: "Refresh cycles never end (no Refresh Complete): a fault for the client's refresh timeout.")
    var refreshNeverCompletes = false
    @Flag(help: "Print the counters as JSON.")
    var json = false

    /// The retransmission service the options describe, if any.
    func retransmissionServer(channels: Int, sender: SenderOptions) throws -> RetransmissionServer? {
        guard !rts.isEmpty || refresh != nil else {
            guard rtsFault.isEmpty else { throw RehearseError(.usage, "--rts-fault needs --rts") }
            if refreshNeverCompletes { throw RehearseError(.usage, "--refresh-never-completes needs --refresh") }
            return nil
        }
        guard !relay else { throw RehearseError(.usage, "--rts and --refresh serve OMD messages; --relay passes other venues' datagrams unchanged: not both") }
        var refreshSettings: RefreshSettings?
        if let refresh {
            guard let base = Endpoint(refresh), base.port > 0, Int(base.port) + channels - 1 <= 65_535 else {
                throw RehearseError(.usage, "--refresh \(refresh): not ADDRESS:PORT (channel i on PORT+i)")
            }
            var r = RefreshSettings(endpoints: (0..<channels).map { Endpoint(address: base.address, port: base.port + UInt16($0)) })
            guard let cycle = try parseDurationOption(refreshCycle, "--refresh-cycle"), cycle >= 1_000_000 else {
                throw RehearseError(.usage, "--refresh-cycle must be at least 1ms")
            }
            r.cycle = cycle
            r.sender = sender
            r.neverComplete = refreshNeverCompletes
            refreshSettings = r
        }
        let endpoints = try rts.map { text in
            guard let e = Endpoint(text) else { throw RehearseError(.usage, "--rts \(text): not ADDRESS:PORT") }
            return e
        }
        var faults = Array(repeating: [RetransmissionFault](), count: endpoints.count)
        for text in rtsFault {
            let parts = text.split(separator: "@", maxSplits: 1).map(String.init)
            guard let fault = RetransmissionFault(parts[0], parseDuration: Duration.parseNanoseconds) else {
                throw RehearseError(.usage, "--rts-fault \(text): use down, refuse-logon, not-available, slow:DURATION, disconnect-mid-answer, garbage, wrong-sequence, wrong-range, silent or corrupt, with @N for one --rts")
            }
            if parts.count == 2 {
                guard let n = Int(parts[1]), faults.indices.contains(n) else {
                    throw RehearseError(.usage, "--rts-fault \(text): @N names the N-th --rts, from 0 to \(endpoints.count - 1)")
                }
                faults[n].append(fault)
            } else {
                for i in faults.indices { faults[i].append(fault) }
            }
        }
        var limits = RetransmissionLimits()
        for (name, v) in [("--rts-window", rtsWindow), ("--rts-max-request", rtsMaxRequest), ("--rts-daily-requests", rtsDailyRequests)] where v < 1 {
            throw RehearseError(.usage, "\(name) \(v): 1 or more")
        }
        limits.window = rtsWindow
        limits.maximumPerRequest = rtsMaxRequest
        limits.dailyRequests = rtsDailyRequests
        for (name, text, path) in [("--rts-logon-timeout", rtsLogonTimeout, \RetransmissionLimits.logonTimeout),
                                   ("--rts-heartbeat", rtsHeartbeat, \RetransmissionLimits.heartbeatInterval),
                                   ("--rts-heartbeat-timeout", rtsHeartbeatTimeout, \RetransmissionLimits.heartbeatTimeout)] {
            guard let d = try parseDurationOption(text, name), d > 0 else { throw RehearseError(.usage, "\(name) must be above 0") }
            limits[keyPath: path] = d
        }
        do {
            return try RetransmissionServer(endpoints: endpoints, channels: channels, limits: limits, faults: faults, refresh: refreshSettings)
        } catch { throw RehearseError(error) }
    }

    /// Where each of `channels` channels is published: channel i to the (i mod N)-th of the N `--publish`
    /// endpoints, its port + i (exit 2 naming the option when one is not ADDRESS:PORT or a block runs past 65535).
    static func publishMap(_ publish: [String], channels: Int) throws -> [Endpoint] {
        guard !publish.isEmpty else { throw RehearseError(.usage, "--publish: give at least one ADDRESS:PORT") }
        let bases = try publish.map { text in
            guard let base = Endpoint(text), base.port > 0 else { throw RehearseError(.usage, "--publish \(text): not ADDRESS:PORT") }
            return base
        }
        return try (0..<channels).map { i in
            let base = bases[i % bases.count]
            guard Int(base.port) + i <= 65_535 else { throw RehearseError(.usage, "--publish \(base): channel \(i)'s port is past 65535") }
            return Endpoint(address: base.address, port: base.port + UInt16(i))
        }
    }

    func run() throws {
        let listenEndpoints = try parseEndpoints(listen, option: "--listen")
        let publishEndpoints = try Self.publishMap(publish, channels: listenEndpoints.count)
        guard var p = FeedProfile.builtIn[profile] else { throw RehearseError(.usage, "--profile \(profile): use old or new") }
        if let delay { p.delay = try parseDelay(delay) }
        if let s = try parseDurationOption(serviceTime, "--service-time") { p.serviceTime = s }
        if let queueLimit {
            guard queueLimit > 0 else { throw RehearseError(.usage, "--queue-limit \(queueLimit): at least 1 message") }
            p.queueLimit = queueLimit
        }
        if let r = repacketise {
            guard r == "yes" || r == "no" else { throw RehearseError(.usage, "--repacketise: yes or no") }
            p.repacketise = r == "yes"
        }
        var faults = FeedFaults()
        for (name, v) in [("--drop", drop), ("--duplicate", duplicate), ("--reorder", reorder)] where !(0...1).contains(v) {
            throw RehearseError(.usage, "\(name) \(v): a probability 0…1")
        }
        faults.dropRate = drop
        faults.duplicateRate = duplicate
        faults.reorderRate = reorder
        if let pause { (faults.pauseAt, faults.pauseFor) = try parseAtFor(pause, "--pause") }
        if let gap {
            let parts = gap.split(separator: "@").map(String.init)
            guard parts.count == 2, let n = Int(parts[0]), n > 0, let every = Duration.parseNanoseconds(parts[1]), every > 0 else {
                throw RehearseError(.usage, "--gap \(gap): MESSAGES@EVERY, e.g. 1000@500ms")
            }
            if relay { throw RehearseError(.usage, "--gap counts OMD messages; --relay passes datagrams unchanged: not both") }
            faults.gapMessages = n
            faults.gapEvery = every
        }
        var send = SenderOptions()
        send.multicastTTL = ttl
        if let interface {
            let r = try resolveInterface(interface)
            send.multicastInterface = r.address
            send.multicastInterfaceIndex = r.index
        }
        var receive = ReceiverOptions()
        receive.multicastInterface = send.multicastInterface
        let limit = try parseDurationOption(duration, "--duration")
        let simulator: FeedSimulator
        do {
            simulator = try FeedSimulator(listen: listenEndpoints, publish: publishEndpoints, profile: p, faults: faults,
                                          receiverOptions: receive, senderOptions: send, seed: seed, relay: relay)
        } catch { throw RehearseError(error) }
        let server = try retransmissionServer(channels: listenEndpoints.count, sender: send)
        simulator.retransmission = server?.feed
        if !json {
            print("sim feed (\(p.name): delay \(p.delay), service \(TimeFormat.duration(p.serviceTime))/message, \(p.repacketise ? "re-packetises" : "keeps packets")): "
                  + "\(listen) → " + (publish.count == 1 ? "\(publishEndpoints.first!)…\(publishEndpoints.last!.port)"
                                                        : publishEndpoints.map(\.description).joined(separator: ", ")))
        }
        if let server, !json, !server.endpoints.isEmpty {
            let where_ = zip(server.endpoints, server.faults).map { e, f in "\(e)\(f.isEmpty ? "" : " (\(f.map(\.description).joined(separator: ", ")))")" }
            print("retransmission (RTS) on \(where_.joined(separator: ", ")): window \(Text.count(UInt64(server.limits.window))) messages per channel, "
                  + "\(Text.count(UInt64(server.limits.maximumPerRequest))) per request, \(server.limits.dailyRequests) requests per day")
        }
        if let server, !json, let r = server.refresh {
            print("refresh: a cycle every \(TimeFormat.duration(r.cycle)) per channel to \(r.endpoints.first!)…\(r.endpoints.last!.port)"
                  + (r.neverComplete ? " (never completing)" : ""))
        }
        let rtsThread = server.map { server in PinnedThread.start(name: "rehearse-rts") { _ = server.run() } }
        var s = runInBackground({ simulator.run(duration: limit) }, onInterrupt: simulator.stop)
        if let server, let rtsThread {
            server.stop()
            rtsThread.join()
            s.retransmission = server.finalStatistics
        }
        if json { print(try jsonText(s)) } else {
            if let r = s.retransmission, r.refreshCycles > 0 { print("refresh: \(Text.count(r.refreshCycles)) cycles in \(Text.count(r.refreshPackets)) packets") }
            if let r = s.retransmission, server?.endpoints.isEmpty == false {
                print("retransmission: \(r.connections) connections, \(r.logons) logons (refused \(r.refusedLogons), already connected \(r.duplicateSessions)), "
                      + "\(r.requests) requests: accepted \(r.accepted), not available \(r.notAvailable), range too big \(r.rangeTooBig), too many \(r.tooManyRequests), unknown channel \(r.unknownChannel); "
                      + "\(Text.count(r.messagesSent)) messages in \(Text.count(r.packetsSent)) packets; heartbeats \(r.heartbeatsSent) (missed echoes \(r.heartbeatTimeouts)), logon timeouts \(r.logonTimeouts), bad requests \(r.badRequests)")
            }
            print("in: \(Text.count(s.packetsIn)) packets, \(Text.count(s.messagesIn)) messages, \(Text.count(s.heartbeatsIn)) heartbeats, \(Text.count(s.garbageIn)) garbage")
            print("out: \(Text.count(s.packetsOut)) packets, \(Text.count(s.messagesOut)) messages; dropped \(s.droppedPackets), duplicated \(s.duplicatedPackets), reordered \(s.reorderedPackets); queue max \(s.maximumQueue), overflows \(s.queueOverflows), send errors \(s.sendErrors)")
        }
    }
}

/// `--delay` text as a distribution.
func parseDelay(_ text: String) throws -> DelayDistribution {
    guard let d = DelayDistribution(text, parseDuration: Duration.parseNanoseconds) else {
        throw RehearseError(.usage, "--delay \(text): use fixed:50us, uniform:10us-80us or lognormal:40us,0.5")
    }
    return d
}

/// `AT:FOR` (e.g. `2s:500ms`) as two durations in ns.
func parseAtFor(_ text: String, _ option: String) throws -> (Int64, Int64) {
    let parts = text.split(separator: ":").map(String.init)
    guard parts.count == 2, let at = Duration.parseNanoseconds(parts[0]), let length = Duration.parseNanoseconds(parts[1]) else {
        throw RehearseError(.usage, "\(option) \(text): AT:FOR, e.g. 2s:500ms")
    }
    return (at, length)
}

/// `rehearse sim gateway --listen ADDR --profile P`.
struct SimGateway: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gateway",
        abstract: "A reference FIX gateway: logon, heartbeats, orders, cancels and replaces answered with execution reports, fills from a price-time book, a per-session throttle.",
        discussion: """
        Profiles: old (lognormal median 250 µs, 20 µs per message, 2,000 messages/s per session) and new \
        (lognormal median 80 µs, 5 µs per message, 5,000/s). Runs until --duration or Ctrl-C, then prints its counters.
        """)

    @Option(help: "ADDRESS:PORT to accept FIX sessions on.")
    var listen: String
    @Option(help: "Built-in profile: old or new.")
    var profile = "new"
    @Option(help: "Override the per-message delay: fixed:50us, uniform:10us-80us or lognormal:40us,0.5.")
    var delay: String?
    @Option(help: "Override the service time per message (e.g. 10us).")
    var serviceTime: String?
    @Option(help: "Messages per second per session before rejects (0: no throttle).")
    var throttle: Int?
    @Option(help: "Drop every connection this long after the first logon (e.g. 2s).")
    var disconnectAt: String?
    @Option(help: "Stop answering: AT:FOR after the first logon, e.g. 1s:500ms.")
    var stall: String?
    @Option(help: "Refuse every logon with this reason.")
    var rejectLogon: String?
    @Option(help: "Leave the first N Logons unanswered, the connection open (a hung gateway); 'all' never answers.")
    var ignoreLogons: String?
    @Flag(help: "Send a ResendRequest after each logon (the client should answer with a gap fill).")
    var resendRequest = false
    @Flag(help: "Answer every Cancel/Replace with a session-level Reject.")
    var rejectReplaces = false
    @Option(help: "Stop after this long (default: until Ctrl-C).")
    var duration: String?
    @Flag(help: "Print the counters as JSON.")
    var json = false

    func run() throws {
        guard let endpoint = Endpoint(listen) else { throw RehearseError(.usage, "--listen \(listen): not ADDRESS:PORT") }
        guard var p = GatewayProfile.builtIn[profile] else { throw RehearseError(.usage, "--profile \(profile): use old or new") }
        if let delay { p.delay = try parseDelay(delay) }
        if let s = try parseDurationOption(serviceTime, "--service-time") { p.serviceTime = s }
        if let throttle {
            guard throttle >= 0 else { throw RehearseError(.usage, "--throttle: 0 or more") }
            p.throttle = throttle
        }
        var faults = GatewayFaults()
        faults.disconnectAt = try parseDurationOption(disconnectAt, "--disconnect-at")
        faults.rejectLogon = rejectLogon
        if let ignoreLogons {
            guard let n = ignoreLogons == "all" ? Int.max : Int(ignoreLogons), n >= 0 else {
                throw RehearseError(.usage, "--ignore-logons \(ignoreLogons): a count (0 or more) or 'all'")
            }
            faults.ignoreFirstLogons = n
        }
        faults.resendRequestAfterLogon = resendRequest
        faults.rejectReplacesAtSessionLevel = rejectReplaces
        if let stall { (faults.stallAt, faults.stallFor) = try parseAtFor(stall, "--stall") }
        let limit = try parseDurationOption(duration, "--duration")
        let simulator: GatewaySimulator
        do { simulator = try GatewaySimulator(listen: endpoint, profile: p, faults: faults) } catch { throw RehearseError(error) }
        if !json { print("sim gateway (\(p.name): delay \(p.delay), service \(TimeFormat.duration(p.serviceTime))/message, throttle \(p.throttle)/s per session) on \(listen)") }
        let s = runInBackground({ simulator.run(duration: limit) }, onInterrupt: simulator.stop)
        if json { print(try jsonText(s)) } else {
            print("connections \(s.connections), logons \(s.logons) (refused \(s.rejectedLogons)), application messages \(Text.count(s.applicationMessages)): acks \(s.acks), fills \(s.fills), rejects \(s.rejects) (throttled \(s.throttled)), cancel rejects \(s.cancelRejects); framing errors \(s.framingErrors), disconnects \(s.disconnects)")
        }
    }
}

import ArgumentParser
import Orchestration
import Vocabulary
import MarketData
import Engines
import Transport

/// The recovery client's settings, shared by every command with `--recover` (listen, watch).
struct RecoverySettings: ParsableArguments {
    @Option(help: "Logon Username for the retransmission service (at most 12 characters).")
    var recoverUser = "rehearse"
    @Option(help: "Messages per retransmission request (the specification's limit; lowered by itself when a server answers 'range too big').")
    var recoverMaxRequest = RecoveryLimits().maximumPerRequest
    @Option(help: "Retransmission requests allowed in the run (the specification's daily limit).")
    var recoverDailyRequests = RecoveryLimits().dailyRequests
    @Option(help: "Time a retransmission server has to answer (and between the packets of an answer) before the next is tried.")
    var recoverTimeout = "2s"

    /// The client's options for the servers in `text` (ADDRESS:PORT[,ADDRESS:PORT…]); nil without it.
    func options(_ text: String?, option: String) throws -> RecoveryOptions? {
        guard let text else { return nil }
        let servers = try text.split(separator: ",").map { part in
            guard let e = Endpoint(String(part)), e.port > 0 else { throw RehearseError(.usage, "\(option) \(part): not ADDRESS:PORT") }
            return e
        }
        guard !servers.isEmpty else { throw RehearseError(.usage, "\(option): give ADDRESS:PORT[,ADDRESS:PORT…]") }
        return try options(servers: servers)
    }

    /// `options` with the Refresh Service `text` (ADDRESS:PORT, channel i on PORT+i, `channels` of them)
    /// joined on `receiver`'s interface; a client with no server when `options` is nil. Nil without `text`.
    func withRefresh(_ text: String?, timeout: String, channels: Int, receiver: ReceiverOptions, _ options: RecoveryOptions?) throws -> RecoveryOptions? {
        guard let text else { return options }
        guard let base = Endpoint(text), base.port > 0, Int(base.port) + channels - 1 <= 65_535 else {
            throw RehearseError(.usage, "--refresh \(text): not ADDRESS:PORT (channel i on PORT+i)")
        }
        var o = try options ?? self.options(servers: [])
        o.refresh = (0..<channels).map { Endpoint(address: base.address, port: base.port + UInt16($0)) }
        o.refreshReceiver.multicastInterface = receiver.multicastInterface
        o.refreshReceiver.multicastInterfaceIndex = receiver.multicastInterfaceIndex
        guard let t = try parseDurationOption(timeout, "--refresh-timeout"), t > 0 else { throw RehearseError(.usage, "--refresh-timeout must be above 0") }
        o.refreshTimeout = t
        o.drainTimeout = max(o.drainTimeout, t)
        return o
    }

    /// The client's options for `servers` (none: refresh only).
    func options(servers: [Endpoint]) throws -> RecoveryOptions {
        guard !recoverUser.isEmpty, recoverUser.utf8.count <= 12 else { throw RehearseError(.usage, "--recover-user \(recoverUser): 1 to 12 characters") }
        guard recoverMaxRequest >= 1, recoverDailyRequests >= 1 else {
            throw RehearseError(.usage, "--recover-max-request and --recover-daily-requests: 1 or more")
        }
        guard let timeout = try parseDurationOption(recoverTimeout, "--recover-timeout"), timeout > 0 else {
            throw RehearseError(.usage, "--recover-timeout must be above 0")
        }
        var o = RecoveryOptions(servers: servers)
        o.username = recoverUser
        o.maximumPerRequest = recoverMaxRequest
        o.dailyRequests = recoverDailyRequests
        o.responseTimeout = timeout
        o.connectTimeout = timeout
        o.drainTimeout = timeout
        return o
    }
}

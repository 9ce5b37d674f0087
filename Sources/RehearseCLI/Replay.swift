import ArgumentParser
import Orchestration
import Vocabulary
import Capture
import Foundation
import Replay
import Results
import Transport

/// `rehearse replay CAPTURE --to MAP…`: send a capture's UDP streams to explicit targets on schedule.
struct ReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Send a capture's UDP payloads to explicit targets at recorded speed, N× speed, a fixed rate or top speed.",
        discussion: """
        Captured destinations are never used: every selected stream needs a --to mapping, or the replay \
        refuses to start and lists the unmapped streams. Forms: CAPTURED=HOST:PORT[,HOST:PORT…] \
        (several targets each get every packet at the same deadline), *=HOST:PORT (all other streams), \
        each=HOST:BASEPORT (the i-th other stream, in destination order, to BASEPORT+i). \
        Exit codes: 0 ok · 2 bad options, mapping or rate · 3 bad capture · 4 a target refused or a send failed · \
        5 inconclusive: the sender could not hold the pacing asked (more than 10 % behind the schedule) · 130 interrupted.
        """)

    @Argument(help: "Capture file (.pcap, .pcapng, optionally .gz).")
    var capture: String
    @Option(name: .customLong("to"), help: "CAPTURED=TARGET mapping (repeatable).")
    var mappings: [String] = []
    @Flag(help: "Skip streams without a mapping instead of refusing to start.")
    var dropUnmapped = false
    @OptionGroup var pacing: PacingOptions
    @OptionGroup var select: SelectionArguments
    @OptionGroup var sender: SenderArguments
    @Option(help: "Send only this shard's streams, INDEX/COUNT (INDEX from 0, as Kubernetes' JOB_COMPLETION_INDEX): the streams whose number in captured-destination order, modulo COUNT, is INDEX, to the targets the whole replay would give them, on the whole replay's schedule. COUNT hosts started together (--start-at) send what one would; `rehearse merge` puts their --json results together.")
    var shard: String?
    @Flag(help: "Print the result as JSON (schema rehearse.replay/1).")
    var json = false

    func run() throws {
        var map = TargetMap()
        for m in mappings {
            do { try map.add(m) } catch { throw RehearseError(.usage, "--to \(error.description)") }
        }
        var selection = try select.selection()
        selection.shard = try shard.map(parseShard)
        if selection.shard != nil && (pacing.pps != nil || pacing.mbps != nil) {
            throw RehearseError(.usage, "--shard keeps the capture's timing (--speed) or sends at once (--max): a rate (--pps, --mbps) is one sender's, not shared by several")
        }
        var options = ReplayOptions()
        options.pacing = try pacing.pacing()
        options.loops = pacing.loop
        options.startAt = try pacing.startInstant()
        try sender.apply(to: &options)
        let plan: FeedPlan
        do { plan = try FeedPlan(path: capture, selection: selection, map: map, dropUnmapped: dropUnmapped) } catch {
            throw planError(error)
        }
        let player: FeedPlayer
        do { player = try FeedPlayer(plan: plan, options: options) } catch { throw RehearseError(error) }
        if !json { print(ReplayText.plan(plan, options)) }
        var (result, failure) = runWithProgress(player, expected: plan.packets * options.loops)
        result.error = failure?.description
        if json {
            print(try jsonText(result))
        } else {
            print(ReplayText.result(result))
            if let failure { printError("rehearse: \(failure.description) (results above are up to that point)") }
        }
        let (status, inconclusive) = ReplayOutcome.verdict(result, failure: failure)
        if let inconclusive { printError("rehearse: inconclusive: \(inconclusive)") }
        if status != .success { throw ExitCode(status.rawValue) }
    }
}

/// Runs a player while the calling thread draws progress and forwards Ctrl-C.
func runWithProgress(_ player: FeedPlayer, expected: UInt64) -> (ReplayResult, CaptureError?) {
    let control = ReplayControl()
    var line = ProgressLine(enabled: ProgressDisplay.isInteractive)
    let started = Clock.monotonic()
    let outcome = runInBackground({ player.run(control: control) }, interval: 100_000, onInterrupt: control.stop) {
        guard line.enabled, let anchor = control.anchor else { return }
        line.draw(ProgressLine.replay(label: "replay", sent: control.sent, total: expected,
                                      seconds: Double(max(1, Clock.monotonic() - max(anchor, started))) / 1e9, latenessP99: control.latenessP99))
    }
    line.clear()
    return outcome
}

func jsonText<T: Encodable>(_ value: T) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    return String(decoding: try encoder.encode(value), as: UTF8.self)
}

import Foundation
import Reporting
import Vocabulary

/// The shards of one capacity ramp meeting after each step in a directory every shard reaches (the
/// Job's shared volume, an NFS mount): each writes its step there, waits for every other shard's, and
/// judges the merged step — the same figures on every shard — so that together they follow the
/// ramp one process would (``CapacityPlan``: the bisection towards the knee included) and start the
/// next step at one instant: the last shard's end of step plus ``CapacityRamp/stepGuard``.
public struct RampRendezvous: Sendable {
    /// This ramp's own place in the directory (named by its start, so ramps sharing it stay apart).
    public let directory: String
    let shard: Shard
    /// How long a shard waits for the others' step, ns.
    let patience: Int64

    /// One shard's step as the others read it: measured, or failed (the ramp then ends on every shard).
    struct Entry: Codable {
        let shard: Shard
        /// When the shard's step (its drain included) ended, ns since 1970 UTC.
        let finished: Int64
        let step: CapacityStep?
        /// Why the step could not be measured (the leg's error) and its exit status.
        var failure: String?
        var status: Int32?
    }

    /// The ramp starting at `startAt` of `shard`'s shards, meeting in `directory` (made when missing).
    public init(directory: String, shard: Shard, startAt: Int64, patience: Int64 = 60_000_000_000) throws(RehearseError) {
        let own = (directory as NSString).appendingPathComponent("ramp-\(startAt)")
        do { try FileManager.default.createDirectory(atPath: own, withIntermediateDirectories: true) } catch {
            throw RehearseError(.input, "--rendezvous \(directory): cannot make \(own): \(error.localizedDescription)")
        }
        self.directory = own
        self.shard = shard
        self.patience = patience
    }

    func path(step k: Int, shard index: Int) -> String { directory + "/step-\(k + 1)-shard-\(index).json" }

    /// Writes this shard's step `k` (from 0), ended at `finished` — or why it failed, so that the
    /// others end the ramp too rather than wait: written aside, then renamed into place.
    func publish(step k: Int, _ step: CapacityStep?, failure: RehearseError? = nil, finished: Int64) throws(RehearseError) {
        let file = path(step: k, shard: shard.index)
        do {
            let entry = Entry(shard: shard, finished: finished, step: step, failure: failure?.message, status: failure?.status.rawValue)
            let data = try JSONEncoder().encode(entry)
            try data.write(to: URL(fileURLWithPath: file), options: .atomic)
        } catch {
            throw RehearseError(.input, "--rendezvous: cannot write \(file): \(error.localizedDescription)")
        }
    }

    /// Every shard's step `k`, in shard order, once all are there (looked for every 20 ms). Fails with
    /// another shard's failure of that step (its status, its message named), naming the shards still
    /// missing after ``patience`` (or once `stopped()`), or a file that is not a step of this ramp.
    func gather(step k: Int, stopped: () -> Bool) throws(RehearseError) -> [(finished: Int64, step: CapacityStep)] {
        let deadline = Clock.monotonic() &+ patience
        var entries = [Entry?](repeating: nil, count: shard.count)
        while true {
            for i in 0..<shard.count where entries[i] == nil {
                let file = path(step: k, shard: i)
                guard let data = FileManager.default.contents(atPath: file) else { continue }
                guard let entry = try? JSONDecoder().decode(Entry.self, from: data), entry.shard == Shard(index: i, count: shard.count),
                      entry.step != nil || entry.failure != nil else {
                    throw RehearseError(.input, "--rendezvous: \(file) is not shard \(i)/\(shard.count)'s step \(k + 1)")
                }
                if let failure = entry.failure {
                    throw RehearseError(entry.status.flatMap(ExitStatus.init(rawValue:)) ?? .input,
                                        "shard \(i)/\(shard.count)'s step \(k + 1) failed: \(failure)")
                }
                entries[i] = entry
            }
            if entries.allSatisfy({ $0 != nil }) { return entries.map { ($0!.finished, $0!.step!) } }
            if stopped() || Clock.monotonic() > deadline {
                let missing = entries.indices.filter { entries[$0] == nil }.map { "\($0)/\(shard.count)" }
                throw RehearseError(.input, "--rendezvous \(directory): step \(k + 1) of shard\(missing.count == 1 ? "" : "s") "
                                    + missing.joined(separator: ", ") + (stopped() ? " not there when stopped" : " not there after \(TimeFormat.duration(patience))"))
            }
            usleep(20_000)
        }
    }
}

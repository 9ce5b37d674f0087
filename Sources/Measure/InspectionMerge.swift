import Vocabulary

extension InspectReport {
    /// The inspections of every shard of one inspection (`inspect --shard INDEX/COUNT`, one file
    /// each) put together: what one process reports of the same captures — each file's own figures
    /// (the same in every shard: every shard reads every packet), its streams in order, the OMD
    /// totals summed over them.
    public static func merge(_ parts: [InspectReport]) throws(MergeError) -> InspectReport {
        guard let first = parts.first else { throw MergeError("nothing to merge") }
        guard parts.allSatisfy({ $0.files.count == first.files.count }) else {
            throw MergeError("inspections of different numbers of files given together")
        }
        var merged = first
        for f in first.files.indices {
            let files = parts.map { $0.files[f] }
            try MergeError.checkComplete(files.map { $0.shard?.shard }, what: "an inspection of \(files[0].path)")
            func fileWide(_ r: FileReport) -> FileReport {
                var r = r
                r.streams = []
                r.omdTotals = nil
                r.shard = nil
                return r
            }
            let head = files[0].shard!
            for r in files where fileWide(r) != fileWide(files[0]) || r.shard!.streamsTotal != head.streamsTotal {
                throw MergeError("shard \(r.shard!.shard) of \(r.path) is of another inspection than shard \(head.shard) of \(files[0].path) (its file, options or what they read differ)")
            }
            var placed: [(Int, StreamReport)] = []
            for r in files {
                guard r.shard!.positions.count == r.streams.count else { throw MergeError("shard \(r.shard!.shard) of \(r.path): streams and their places differ in number") }
                placed += zip(r.shard!.positions, r.streams)
            }
            placed.sort { $0.0 < $1.0 }
            guard placed.map(\.0) == Array(0..<head.streamsTotal) else {
                throw MergeError("\(files[0].path): the shards hold \(placed.count) of its \(head.streamsTotal) streams: a shard's result is incomplete")
            }
            var total = OMDTotals(streams: 0, packets: 0, heartbeats: 0, messages: 0, gaps: 0, missingMessages: 0,
                                  duplicateMessages: 0, resets: 0, unknownMessages: 0, errors: 0)
            for r in files { total.add(r.shard!.omdTotals) }
            var file = fileWide(files[0])
            file.streams = placed.map(\.1)
            file.omdTotals = total.streams > 0 ? total : nil
            merged.files[f] = file
        }
        return merged
    }
}

extension OMDTotals {
    mutating func add(_ o: OMDTotals) {
        streams += o.streams
        packets += o.packets
        heartbeats += o.heartbeats
        messages += o.messages
        gaps += o.gaps
        missingMessages += o.missingMessages
        duplicateMessages += o.duplicateMessages
        resets += o.resets
        unknownMessages += o.unknownMessages
        errors += o.errors
    }
}

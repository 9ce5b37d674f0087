import Vocabulary
/// The busiest window of one size: its count, bytes and where it starts.
public struct PeakWindow: Sendable, Equatable {
    /// Window length, ns.
    public let size: Int64
    public fileprivate(set) var peakCount: UInt64 = 0
    public fileprivate(set) var peakCountStart: Int64 = 0
    public fileprivate(set) var peakBytes: UInt64 = 0
    public fileprivate(set) var peakBytesStart: Int64 = 0

    public init(size: Int64) { self.size = size }

    /// Peak packets per second implied by the busiest window.
    public var peakPacketsPerSecond: Double { Double(peakCount) * 1e9 / Double(size) }
    /// Peak bits per second implied by the busiest window (by bytes).
    public var peakBitsPerSecond: Double { Double(peakBytes) * 8e9 / Double(size) }

    /// The busiest window; of equal ones the earliest, whatever order they are offered in. One compare
    /// each for the common window (below the peak); the tie rule only on a tie.
    @inline(__always)
    fileprivate mutating func offer(count: UInt64, bytes: UInt64, start: Int64) {
        if _slowPath(count >= peakCount), count != peakCount || (count > 0 && start < peakCountStart) { peakCount = count; peakCountStart = start }
        if _slowPath(bytes >= peakBytes), bytes != peakBytes || (bytes > 0 && start < peakBytesStart) { peakBytes = bytes; peakBytesStart = start }
    }
}

/// Peak packet and byte counts in 1 s, 100 ms, 10 ms and 1 ms windows aligned to multiples of their
/// size since 1970 (so the same capture always yields the same peaks).
///
/// Because aligned windows nest exactly (ten 1 ms windows make a 10 ms window, and so on), a packet
/// only touches the 1 ms bucket — a compare and two adds; each coarser bucket is fed when the finer
/// one closes. A timestamp up to a second behind the current bucket is counted in it; one further
/// back starts new buckets where it is (each level closes a bucket whenever a packet falls outside it).
public struct RateWindows: Sendable {
    public static let sizes: [Int64] = [1_000_000_000, 100_000_000, 10_000_000, 1_000_000]
    @usableFromInline var end: Int64 = .min {     // end of the current 1 ms bucket
        didSet { lowest = end &- 1_001_000_000 }
    }
    /// `end` − 1.001 s: a packet from here to `end` stays in the current bucket (one subtraction and
    /// one unsigned compare per packet).
    @usableFromInline var lowest: Int64 = Int64.min &- 1_001_000_000
    @usableFromInline var count: UInt64 = 0
    @usableFromInline var bytes: UInt64 = 0
    /// Open buckets (start, count, bytes), by level.
    typealias Buckets = InlineArray<4, (start: Int64, count: UInt64, bytes: UInt64)>
    /// Peaks and open buckets, finest first: 1 ms, 10 ms, 100 ms, 1 s. Inline (no allocation): a
    /// capture can hold hundreds of thousands of streams, each with its windows.
    var peaks: InlineArray<4, PeakWindow> = [PeakWindow(size: 1_000_000), PeakWindow(size: 10_000_000), PeakWindow(size: 100_000_000),
                                              PeakWindow(size: 1_000_000_000)]
    /// Open bucket (start, count, bytes) of the coarser levels 10 ms, 100 ms, 1 s (index 1…3).
    var open = Buckets(repeating: (.min, 0, 0))

    public init() {}

    @inlinable @inline(__always)
    public mutating func add(_ timestamp: Int64, bytes b: Int) {
        // Time going back by a second or more (after a packet decades ahead; a clock step) leaves the
        // current windows: see ``roll(_:)``. Smaller steps back (interfaces merged slightly out of
        // order) count in the current 1 ms window.
        // One unsigned compare: inside [end − 1.001 s, end) stays in the current bucket.
        if _slowPath(UInt64(bitPattern: timestamp &- lowest) >= 1_001_000_000) { roll(timestamp) }
        count &+= 1
        bytes &+= UInt64(truncatingIfNeeded: b)
    }

    /// The open buckets left by a jump of a second or more: a jump back into them resumes them, so
    /// one packet decades ahead (or behind) neither splits the windows it interrupted nor moves them.
    var parked: (end: Int64, count: UInt64, bytes: UInt64, open: Buckets)?

    @usableFromInline
    mutating func roll(_ timestamp: Int64) {
        // Called only outside [end − 1.001 s, end): a jump is `timestamp` at least a second past `end`,
        // or behind that range — as an unsigned distance from `end`, one compare for both.
        if _slowPath(end != .min && UInt64(bitPattern: timestamp &- end) >= 1_000_000_000) {
            jump(timestamp)
            return
        }
        closeMillisecond()
        end = Self.floor(timestamp, 1_000_000) &+ 1_000_000
    }

    /// Time moved a second or more either way: park or resume (see ``parked``).
    @inline(never)
    mutating func jump(_ timestamp: Int64) {
        let current = (end: end, count: count, bytes: bytes, open: open)
        if let p = parked, Self.floor(timestamp, 1_000_000_000) == Self.floor(p.end &- 1_000_000, 1_000_000_000) {
            // Back into the windows the jump left: resume them, park these.
            (end, count, bytes, open) = (p.end, p.count, p.bytes, p.open)
            parked = current
            if timestamp >= end || timestamp < end &- 1_000_000 { closeMillisecond(); end = Self.floor(timestamp, 1_000_000) &+ 1_000_000 }
            return
        }
        // Somewhere new: whatever was parked is done; park these and start afresh.
        if let p = parked { closeParked(p) }
        parked = current
        (count, bytes) = (0, 0)
        open = Buckets(repeating: (.min, 0, 0))
        end = Self.floor(timestamp, 1_000_000) &+ 1_000_000
    }

    /// Folds parked buckets into the peaks (the current ones are set aside meanwhile).
    private mutating func closeParked(_ p: (end: Int64, count: UInt64, bytes: UInt64, open: Buckets)) {
        let current = (end: end, count: count, bytes: bytes, open: open)
        (end, count, bytes, open) = (p.end, p.count, p.bytes, p.open)
        closeMillisecond()
        for level in 1..<peaks.count { close(level: level) }
        (end, count, bytes, open) = (current.end, current.count, current.bytes, current.open)
        parked = nil
    }

    private static func floor(_ t: Int64, _ size: Int64) -> Int64 {
        var s = t - t % size
        if t < 0 && t % size != 0 { s -= size }
        return s
    }

    /// Offers the closing 1 ms bucket and feeds it into the coarser levels.
    private mutating func closeMillisecond() {
        guard end != .min else { return }
        let start = end &- 1_000_000
        peaks[0].offer(count: count, bytes: bytes, start: start)
        feed(level: 1, start: start, count: count, bytes: bytes)
        count = 0
        bytes = 0
    }

    /// Adds a finer bucket starting at `start` to level `level`'s open bucket, closing that bucket
    /// first (and cascading it upwards) when `start` lies beyond it.
    private mutating func feed(level: Int, start: Int64, count: UInt64, bytes: UInt64) {
        let size = peaks[level].size
        let current = open[level].start
        // Mostly still inside the open (aligned) bucket: no division to find it again.
        if !(current != .min && start >= current && start &- current < size) {
            let bucket = Self.floor(start, size)
            if current != bucket {
                close(level: level)
                open[level].start = bucket
            }
        }
        open[level].count &+= count
        open[level].bytes &+= bytes
    }

    private mutating func close(level: Int) {
        let o = open[level]
        guard o.start != .min else { return }
        peaks[level].offer(count: o.count, bytes: o.bytes, start: o.start)
        if level + 1 < peaks.count { feed(level: level + 1, start: o.start, count: o.count, bytes: o.bytes) }
        open[level] = (.min, 0, 0)
    }

    /// Folds every open bucket into the peaks; call once after the last packet.
    public mutating func close() {
        if let p = parked { closeParked(p) }
        closeMillisecond()
        end = .min
        for level in 1..<peaks.count { close(level: level) }
    }

    public var second: PeakWindow { peaks[3] }
    public var hundredMilliseconds: PeakWindow { peaks[2] }
    public var tenMilliseconds: PeakWindow { peaks[1] }
    public var millisecond: PeakWindow { peaks[0] }

    /// 1 s, 100 ms, 10 ms, 1 ms.
    public var all: [PeakWindow] { [peaks[3], peaks[2], peaks[1], peaks[0]] }
}

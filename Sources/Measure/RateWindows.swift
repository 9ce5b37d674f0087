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

    fileprivate mutating func offer(count: UInt64, bytes: UInt64, start: Int64) {
        if count > peakCount { peakCount = count; peakCountStart = start }
        if bytes > peakBytes { peakBytes = bytes; peakBytesStart = start }
    }
}

/// Peak packet and byte counts in 1 s, 100 ms, 10 ms and 1 ms windows aligned to multiples of their
/// size since 1970 (so the same capture always yields the same peaks).
///
/// Because aligned windows nest exactly (ten 1 ms windows make a 10 ms window, and so on), a packet
/// only touches the 1 ms bucket — a compare and two adds; each coarser bucket is fed when the finer
/// one closes. A timestamp that goes backwards is counted in the current bucket.
public struct RateWindows: Sendable {
    public static let sizes: [Int64] = [1_000_000_000, 100_000_000, 10_000_000, 1_000_000]
    @usableFromInline var end: Int64 = .min       // end of the current 1 ms bucket
    @usableFromInline var count: UInt64 = 0
    @usableFromInline var bytes: UInt64 = 0
    /// Peaks and open buckets, finest first: 1 ms, 10 ms, 100 ms, 1 s.
    var peaks = [PeakWindow(size: 1_000_000), PeakWindow(size: 10_000_000), PeakWindow(size: 100_000_000),
                 PeakWindow(size: 1_000_000_000)]
    /// Open bucket (start, count, bytes) of the coarser levels 10 ms, 100 ms, 1 s (index 1…3).
    var open: [(start: Int64, count: UInt64, bytes: UInt64)] = Array(repeating: (.min, 0, 0), count: 4)

    public init() {}

    @inlinable @inline(__always)
    public mutating func add(_ timestamp: Int64, bytes b: Int) {
        if _slowPath(timestamp >= end) { roll(timestamp) }
        count &+= 1
        bytes &+= UInt64(truncatingIfNeeded: b)
    }

    @usableFromInline
    mutating func roll(_ timestamp: Int64) {
        closeMillisecond()
        end = Self.floor(timestamp, 1_000_000) &+ 1_000_000
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
        let bucket = Self.floor(start, peaks[level].size)
        if open[level].start != bucket {
            close(level: level)
            open[level].start = bucket
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
        closeMillisecond()
        end = .min
        for level in 1..<peaks.count { close(level: level) }
    }

    public var second: PeakWindow { peaks[3] }
    public var hundredMilliseconds: PeakWindow { peaks[2] }
    public var tenMilliseconds: PeakWindow { peaks[1] }
    public var millisecond: PeakWindow { peaks[0] }

    /// 1 s, 100 ms, 10 ms, 1 ms.
    public var all: [PeakWindow] { peaks.reversed() }
}

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
    // Open buckets of the coarser levels: 10 ms, 100 ms, 1 s.
    var counts: (UInt64, UInt64, UInt64) = (0, 0, 0)
    var byteCounts: (UInt64, UInt64, UInt64) = (0, 0, 0)
    var bucketIndex: (Int64, Int64, Int64) = (.min, .min, .min)
    public private(set) var second = PeakWindow(size: 1_000_000_000)
    public private(set) var hundredMilliseconds = PeakWindow(size: 100_000_000)
    public private(set) var tenMilliseconds = PeakWindow(size: 10_000_000)
    public private(set) var millisecond = PeakWindow(size: 1_000_000)

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
        let start = Self.floor(timestamp, 1_000_000)
        end = start &+ 1_000_000
        // Coarser buckets that the new millisecond no longer belongs to are closed.
        closeLevels(for: start)
    }

    private static func floor(_ t: Int64, _ size: Int64) -> Int64 {
        var s = t - t % size
        if t < 0 && t % size != 0 { s -= size }
        return s
    }

    private mutating func closeMillisecond() {
        guard end != .min else { return }
        let start = end &- 1_000_000
        millisecond.offer(count: count, bytes: bytes, start: start)
        // Feed the 10 ms bucket the closing millisecond belongs to.
        let i10 = Self.floor(start, 10_000_000)
        if bucketIndex.0 != i10 { closeLevel0(); bucketIndex.0 = i10 }
        counts.0 &+= count; byteCounts.0 &+= bytes
        count = 0
        bytes = 0
    }

    private mutating func closeLevels(for start: Int64) {
        if bucketIndex.0 != .min && Self.floor(start, 10_000_000) != bucketIndex.0 { closeLevel0(); bucketIndex.0 = .min }
    }

    private mutating func closeLevel0() {
        guard bucketIndex.0 != .min else { return }
        tenMilliseconds.offer(count: counts.0, bytes: byteCounts.0, start: bucketIndex.0)
        let i100 = Self.floor(bucketIndex.0, 100_000_000)
        if bucketIndex.1 != i100 { closeLevel1(); bucketIndex.1 = i100 }
        counts.1 &+= counts.0; byteCounts.1 &+= byteCounts.0
        counts.0 = 0; byteCounts.0 = 0
    }

    private mutating func closeLevel1() {
        guard bucketIndex.1 != .min else { return }
        hundredMilliseconds.offer(count: counts.1, bytes: byteCounts.1, start: bucketIndex.1)
        let i1s = Self.floor(bucketIndex.1, 1_000_000_000)
        if bucketIndex.2 != i1s { closeLevel2(); bucketIndex.2 = i1s }
        counts.2 &+= counts.1; byteCounts.2 &+= byteCounts.1
        counts.1 = 0; byteCounts.1 = 0
    }

    private mutating func closeLevel2() {
        guard bucketIndex.2 != .min else { return }
        second.offer(count: counts.2, bytes: byteCounts.2, start: bucketIndex.2)
        counts.2 = 0; byteCounts.2 = 0
    }

    /// Folds every open bucket into the peaks; call once after the last packet.
    public mutating func close() {
        closeMillisecond()
        end = .min
        closeLevel0(); bucketIndex.0 = .min
        closeLevel1(); bucketIndex.1 = .min
        closeLevel2(); bucketIndex.2 = .min
    }

    /// 1 s, 100 ms, 10 ms, 1 ms.
    public var all: [PeakWindow] { [second, hundredMilliseconds, tenMilliseconds, millisecond] }
}

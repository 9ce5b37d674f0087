/// Peak counts in fixed time windows aligned to multiples of the window size since 1970 (so the same
/// capture always yields the same peaks). One `add` costs a compare and two adds per window.
/// A timestamp that goes backwards is counted in the current window.
@frozen
public struct PeakWindow: Sendable {
    public let size: Int64
    @usableFromInline var end: Int64 = .min
    @usableFromInline var count: UInt64 = 0
    @usableFromInline var bytes: UInt64 = 0
    public private(set) var peakCount: UInt64 = 0
    public private(set) var peakCountStart: Int64 = 0
    public private(set) var peakBytes: UInt64 = 0
    public private(set) var peakBytesStart: Int64 = 0

    public init(size: Int64) {
        precondition(size > 0)
        self.size = size
    }

    @inlinable @inline(__always)
    public mutating func add(_ timestamp: Int64, bytes b: Int) {
        if _slowPath(timestamp >= end) { roll(timestamp) }
        count &+= 1
        bytes &+= UInt64(truncatingIfNeeded: b)
    }

    @usableFromInline
    mutating func roll(_ timestamp: Int64) {
        close()
        var start = timestamp - timestamp % size
        if timestamp < 0 && timestamp % size != 0 { start -= size }
        end = start &+ size
        count = 0
        bytes = 0
    }

    /// Folds the current window into the peaks (call before reading them).
    public mutating func close() {
        if count > peakCount { peakCount = count; peakCountStart = end &- size }
        if bytes > peakBytes { peakBytes = bytes; peakBytesStart = end &- size }
    }

    /// Peak packets per second implied by the busiest window.
    public var peakPacketsPerSecond: Double { Double(peakCount) * 1e9 / Double(size) }
    /// Peak bits per second implied by the busiest window (by bytes).
    public var peakBitsPerSecond: Double { Double(peakBytes) * 8e9 / Double(size) }
}

/// The four standard windows: 1 s, 100 ms, 10 ms, 1 ms.
@frozen
public struct RateWindows: Sendable {
    public static let sizes: [Int64] = [1_000_000_000, 100_000_000, 10_000_000, 1_000_000]
    public var second = PeakWindow(size: 1_000_000_000)
    public var hundredMilliseconds = PeakWindow(size: 100_000_000)
    public var tenMilliseconds = PeakWindow(size: 10_000_000)
    public var millisecond = PeakWindow(size: 1_000_000)

    public init() {}

    @inlinable @inline(__always)
    public mutating func add(_ timestamp: Int64, bytes: Int) {
        second.add(timestamp, bytes: bytes)
        hundredMilliseconds.add(timestamp, bytes: bytes)
        tenMilliseconds.add(timestamp, bytes: bytes)
        millisecond.add(timestamp, bytes: bytes)
    }

    public mutating func close() {
        second.close(); hundredMilliseconds.close(); tenMilliseconds.close(); millisecond.close()
    }

    public var all: [PeakWindow] { [second, hundredMilliseconds, tenMilliseconds, millisecond] }
}

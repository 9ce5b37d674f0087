#if canImport(Glibc)
import Glibc
#endif

/// Clock readings in integer nanoseconds. Pacing uses the monotonic clock; kernel receive timestamps
/// (SO_TIMESTAMPNS) are on the realtime clock, so latency measurement converts between the two with a
/// ``ClockOffset`` taken once at the start of a run.
public enum Clock {
    /// CLOCK_MONOTONIC, ns.
    @inlinable @inline(__always)
    public static func monotonic() -> Int64 {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return Int64(t.tv_sec) &* 1_000_000_000 &+ Int64(t.tv_nsec)
    }

    /// CLOCK_REALTIME, ns since 1970.
    @inlinable @inline(__always)
    public static func realtime() -> Int64 {
        var t = timespec()
        clock_gettime(CLOCK_REALTIME, &t)
        return Int64(t.tv_sec) &* 1_000_000_000 &+ Int64(t.tv_nsec)
    }

    /// Sleeps until the monotonic clock reads `deadline` (returns at once when it has passed).
    public static func sleep(untilMonotonic deadline: Int64) {
        guard deadline > 0 else { return }
        var t = timespec(tv_sec: Int(deadline / 1_000_000_000), tv_nsec: Int(deadline % 1_000_000_000))
        while clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t, nil) == EINTR {}
    }

    /// Waits until the monotonic clock reads `deadline`: sleeps until `spin` ns before it, then spins.
    /// Returns the clock reading at which it stopped waiting (≥ deadline).
    @inlinable @inline(__always)
    public static func wait(until deadline: Int64, spin: Int64) -> Int64 {
        var now = monotonic()
        if deadline &- now > spin { sleep(untilMonotonic: deadline &- spin); now = monotonic() }
        while now < deadline { now = monotonic() }
        return now
    }
}

/// realtime − monotonic, measured as the reading with the tightest bracket of several tries.
public struct ClockOffset: Sendable, Equatable {
    public let realtimeMinusMonotonic: Int64

    public init(realtimeMinusMonotonic: Int64) { self.realtimeMinusMonotonic = realtimeMinusMonotonic }

    /// Measures the offset now.
    public static func measure() -> ClockOffset {
        var best = Int64.max
        var offset: Int64 = 0
        for _ in 0..<16 {
            let a = Clock.monotonic()
            let r = Clock.realtime()
            let b = Clock.monotonic()
            if b - a < best { best = b - a; offset = r - (a + (b - a) / 2) }
        }
        return ClockOffset(realtimeMinusMonotonic: offset)
    }

    @inlinable public func realtime(fromMonotonic t: Int64) -> Int64 { t &+ realtimeMinusMonotonic }
}

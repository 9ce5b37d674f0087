import Vocabulary
/// How fast a replay goes.
public enum Pacing: Sendable, Equatable, CustomStringConvertible {
    /// The capture's own timing scaled by a factor (2 = twice as fast).
    case speed(Double)
    /// A fixed packet rate.
    case packetsPerSecond(Double)
    /// A fixed bit rate (UDP payload bits, as sent), in megabits per second.
    case megabitsPerSecond(Double)
    /// As fast as the sender can go.
    case maximum

    public var description: String {
        switch self {
        case .speed(let x): return "×\(x)"
        case .packetsPerSecond(let n): return "\(n) packets/s"
        case .megabitsPerSecond(let n): return "\(n) Mbit/s"
        case .maximum: return "max"
        }
    }
}

/// An exact non-negative rational `numerator / denominator` built from a decimal rate, so schedules
/// are computed in integers (a Double deadline drifts once it exceeds 2^53 ns ≈ 104 days).
public struct Ratio: Sendable, Equatable {
    public let numerator: UInt64
    public let denominator: UInt64

    /// `value` to one part in 10^9 (rates from 1e-9 up to ~1.8e10 are exact to that precision).
    public init?(_ value: Double) {
        guard value.isFinite, value > 0, value < 1.8e10 else { return nil }
        var d: UInt64 = 1_000_000_000
        var n = UInt64((value * Double(d)).rounded())
        guard n > 0 else { return nil }
        let g = Ratio.gcd(n, d)
        n /= g; d /= g
        numerator = n
        denominator = d
    }

    static func gcd(_ a: UInt64, _ b: UInt64) -> UInt64 {
        var (a, b) = (a, b)
        while b != 0 { (a, b) = (b, a % b) }
        return a
    }
}

/// `value × multiplier / divisor` in 128-bit arithmetic, saturating at `Int64.max`.
@inlinable @inline(__always)
func scale(_ value: UInt64, _ multiplier: UInt64, _ divisor: UInt64) -> Int64 {
    let product = value.multipliedFullWidth(by: multiplier)
    if product.high >= divisor { return .max }
    let (q, _) = divisor.dividingFullWidth(product)
    return q > UInt64(Int64.max) ? .max : Int64(q)
}

/// One deadline per packet, as an offset in nanoseconds from the start of the run, computed from the
/// start every time (never accumulated), in integers: a run of 10^10 packets or of 30 days of capture
/// time neither drifts nor overflows (a deadline that would not fit saturates at `Int64.max`).
///
/// - `speed(X)`: offset = (capture time − first capture time) / X; across loops the timeline is
///   continuous: loop k starts one loop period (span + one average packet gap) after loop k−1.
/// - `packetsPerSecond(N)`: offset = index / N (index counted across loops).
/// - `megabitsPerSecond(N)`: offset = bits sent before the packet / N (bytes counted across loops).
/// - `maximum`: every deadline is 0 (send at once).
public struct Schedule: Sendable, Equatable {
    public let pacing: Pacing
    @usableFromInline let kind: UInt8   // 0 speed, 1 pps, 2 mbps, 3 max
    @usableFromInline let multiplier: UInt64
    @usableFromInline let divisor: UInt64
    /// Capture-time length of one loop (span + one average gap), ns.
    public let loopPeriod: UInt64
    /// Last − first capture time of the selected packets, ns.
    public let captureSpan: UInt64

    /// Nil when the rate is not a finite number > 0.
    /// - Parameters:
    ///   - captureSpan: last − first capture time of the selected packets, ns.
    ///   - packets: number of selected packets (for the loop period's average gap).
    public init?(_ pacing: Pacing, captureSpan: Int64 = 0, packets: UInt64 = 1) {
        self.pacing = pacing
        let span = UInt64(max(0, captureSpan))
        self.captureSpan = span
        loopPeriod = span &+ (packets > 1 ? span / (packets - 1) : 0)
        switch pacing {
        case .speed(let x):
            guard let r = Ratio(x) else { return nil }
            kind = 0; multiplier = r.denominator; divisor = r.numerator
        case .packetsPerSecond(let n):
            guard let r = Ratio(n) else { return nil }
            // index / (num/den) s = index × den × 1e9 / num ns
            kind = 1
            let (m, overflow) = r.denominator.multipliedReportingOverflow(by: 1_000_000_000)
            guard !overflow else { return nil }
            multiplier = m; divisor = r.numerator
        case .megabitsPerSecond(let n):
            guard let r = Ratio(n) else { return nil }
            // bytes × 8 / (num/den × 1e6) s = bytes × 8000 × den / num ns
            kind = 2
            let (m, overflow) = r.denominator.multipliedReportingOverflow(by: 8_000)
            guard !overflow else { return nil }
            multiplier = m; divisor = r.numerator
        case .maximum:
            kind = 3; multiplier = 1; divisor = 1
        }
    }

    /// The deadline of a packet, ns after the start.
    /// - Parameters:
    ///   - captureOffset: the packet's capture time minus the first selected packet's (≥ 0; earlier
    ///     packets in a capture whose time goes backwards count as 0).
    ///   - loop: which pass over the capture (0 first).
    ///   - index: packets sent before this one, all loops counted.
    ///   - bytesBefore: payload bytes sent before this one, all loops counted.
    @inlinable @inline(__always)
    public func offset(captureOffset: Int64, loop: UInt64, index: UInt64, bytesBefore: UInt64) -> Int64 {
        switch kind {
        case 0:
            let (loopStart, o1) = loop.multipliedReportingOverflow(by: loopPeriod)
            let (position, o2) = loopStart.addingReportingOverflow(UInt64(max(0, captureOffset)))
            if o1 || o2 { return .max }
            return scale(position, multiplier, divisor)
        case 1: return scale(index, multiplier, divisor)
        case 2: return scale(bytesBefore, multiplier, divisor)
        default: return 0
        }
    }

    /// Deadline of the last packet of `loops` passes over `packets` packets of `bytes` payload bytes:
    /// the wall time the schedule asks for, ns.
    public func scaledSpan(loops: UInt64, packets: UInt64, bytes: UInt64) -> Int64 {
        guard loops > 0, packets > 0 else { return 0 }
        switch kind {
        case 0:
            let (a, o) = (loops - 1).multipliedReportingOverflow(by: loopPeriod)
            let (p, o2) = a.addingReportingOverflow(captureSpan)
            return o || o2 ? .max : scale(p, multiplier, divisor)
        case 1:
            let (n, o) = loops.multipliedReportingOverflow(by: packets)
            return o ? .max : scale(n - 1, multiplier, divisor)
        case 2:
            let (n, o) = loops.multipliedReportingOverflow(by: bytes)
            return o ? .max : scale(n, multiplier, divisor)
        default: return 0
        }
    }
}

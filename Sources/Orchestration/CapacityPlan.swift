import Reporting
import Scenario
import Vocabulary

/// The course of a capacity ramp, from the steps judged so far: each of `capacity.speeds` in turn
/// while they hold; once one breaks on the target, a bisection between the last that held and it
/// until they are within `capacity.resolution`. A step the test host could not measure ends the
/// ramp. One rule for one process's ramp, for shards that meet after each step
/// (``RampRendezvous``), and for the merge, which keeps the steps one process would have run.
public struct CapacityPlan: Sendable {
    public let speeds: [Double]
    public let resolution: Double

    public init(_ settings: CapacitySettings) {
        speeds = settings.speeds
        resolution = settings.resolution
    }

    /// The next speed after `steps` (judged, in the order run); nil when the ramp is done.
    public func next(after steps: [CapacityStep]) -> Double? {
        // The ramp: the listed speeds while every step held.
        let broke = steps.firstIndex { !$0.passed } ?? steps.count
        guard broke < steps.count else { return broke < speeds.count ? speeds[broke] : nil }
        // A step broke: bisect towards the knee when the target broke it and a lower step held.
        let bad = steps[broke]
        guard bad.validity?.valid != false, broke > 0 else { return nil }
        var low = steps[broke - 1].speed, high = bad.speed
        for step in steps[(broke + 1)...] {
            if step.passed { low = step.speed } else if step.validity?.valid == false { return nil } else { high = step.speed }
        }
        return high / low - 1 > resolution ? (low + high) / 2 : nil
    }
}

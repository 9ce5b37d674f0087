import CShims
#if canImport(Glibc)
import Glibc
#endif

/// How a pipeline stage waits for its ring: a few CPU-relax spins (the other side is usually about to
/// publish), then short sleeps. Sleeping, not `sched_yield`, matters on small machines whose two CPUs
/// are hyperthreads of one core: a stage spinning or yielding in a loop takes the core's resources from
/// the stage doing the work — a polling consumer measurably slowed the producer that fed it. A sleep is
/// safe when the ring holds far more than the sleep's worth of items (the inspect ring: 32 K items,
/// about 1 ms of work; the sleep: 50 µs plus timer slack).
public struct IdleBackoff {
    @usableFromInline var attempts = 0
    @usableFromInline let spins: Int
    @usableFromInline let sleepMicroseconds: UInt32

    public init(spins: Int = 4, sleepMicroseconds: UInt32 = 50) {
        self.spins = spins
        self.sleepMicroseconds = sleepMicroseconds
    }

    /// Waits a little; call each time the ring was found empty (consumer) or full (producer).
    @inlinable
    public mutating func wait() {
        attempts &+= 1
        if attempts <= spins { rh_cpu_relax() } else { usleep(sleepMicroseconds) }
    }

    /// Call after progress: the next wait starts with spins again.
    @inlinable @inline(__always)
    public mutating func reset() { attempts = 0 }
}

#ifndef RH_CPU_H
#define RH_CPU_H

/// Tells the CPU this is a spin-wait loop (x86 PAUSE, ARM YIELD): the sibling hardware thread gets the
/// core's resources meanwhile, and leaving the loop does not flush the pipeline.
static inline __attribute__((always_inline)) void rh_cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

/// Asks the CPU to bring the cache line at `p` in ahead of its use (a hint: never faults, dropped for an
/// address not mapped yet).
static inline __attribute__((always_inline)) void rh_prefetch(const void *p) {
    __builtin_prefetch(p, 0, 3);
}

#endif

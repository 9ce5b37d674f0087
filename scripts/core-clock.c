/* The clock the core runs at now, measured: a chain of dependent 64-bit multiplies (3 cycles each on
 * every x86-64 core of the last fifteen years) timed with CLOCK_MONOTONIC. Cloud and virtual machines
 * change their cores' clock with the host's load (2.1 to 3.0 GHz seen on one machine in one hour), and
 * a throughput is only comparable with the clock it ran at: the bench scripts print this beside theirs.
 *   cc -O2 -o core-clock scripts/core-clock.c && ./core-clock   → "2.94" (GHz), or "unknown" */
#include <stdio.h>
#include <time.h>

int main(void) {
#if defined(__x86_64__)
    const long iterations = 200000000L; /* 2.4 G cycles: about a second */
    unsigned long x = 3;
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (long i = 0; i < iterations; i++) {
        __asm__ volatile("imul %0, %0\n\timul %0, %0\n\timul %0, %0\n\timul %0, %0" : "+r"(x));
    }
    clock_gettime(CLOCK_MONOTONIC, &b);
    double seconds = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
    printf("%.2f\n", 12.0 * (double)iterations / seconds / 1e9);
    return x == 5 ? 2 : 0; /* keeps x alive (squares of an odd number: never 5) */
#else
    puts("unknown");
    return 0;
#endif
}

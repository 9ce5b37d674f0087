#ifndef RH_THREAD_H
#define RH_THREAD_H
/// Pins the calling thread to one CPU (CPU_SET is a macro Swift cannot import). Returns 0 or an errno.
int rh_pin_current_thread(int cpu);
/// Number of CPUs this process may run on.
int rh_available_cpus(void);
/// Names the calling thread (15 characters at most, as Linux allows).
void rh_name_current_thread(const char *name);
#endif
#ifndef RH_THREAD_AFFINITY
#define RH_THREAD_AFFINITY
/// Copies the calling thread's CPU affinity mask into `buffer` (`size` bytes, at least 128). 0 or an errno.
int rh_save_affinity(void *buffer, int size);
/// Restores a mask saved by rh_save_affinity. 0 or an errno.
int rh_restore_affinity(const void *buffer, int size);
#endif
#ifndef RH_THREAD_SLACK
#define RH_THREAD_SLACK
/// Sets the calling thread's timer slack (ns): how late the kernel may wake a sleeper to batch wakeups
/// (default 50 µs). A pacing thread wants 1. Returns 0 or an errno.
int rh_set_timer_slack(unsigned long nanoseconds);
#endif

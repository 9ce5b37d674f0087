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

#ifndef RH_THREAD_H
#define RH_THREAD_H
/// Pins the calling thread to one CPU (CPU_SET is a macro Swift cannot import). Returns 0 or an errno.
int rh_pin_current_thread(int cpu);
/// Number of CPUs this process may run on.
int rh_available_cpus(void);
/// Names the calling thread (15 characters at most, as Linux allows).
void rh_name_current_thread(const char *name);
#endif

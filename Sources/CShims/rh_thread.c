#define _GNU_SOURCE
#include "rh_thread.h"
#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <errno.h>

int rh_pin_current_thread(int cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return pthread_setaffinity_np(pthread_self(), sizeof set, &set);
}

int rh_available_cpus(void) {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) != 0) return 1;
    return CPU_COUNT(&set);
}

void rh_name_current_thread(const char *name) {
    char shortName[16];
    strncpy(shortName, name, 15);
    shortName[15] = 0;
    pthread_setname_np(pthread_self(), shortName);
}

int rh_save_affinity(void *buffer, int size) {
    if (size < (int)sizeof(cpu_set_t)) return EINVAL;
    return pthread_getaffinity_np(pthread_self(), sizeof(cpu_set_t), (cpu_set_t *)buffer);
}

int rh_restore_affinity(const void *buffer, int size) {
    if (size < (int)sizeof(cpu_set_t)) return EINVAL;
    return pthread_setaffinity_np(pthread_self(), sizeof(cpu_set_t), (const cpu_set_t *)buffer);
}

#include <sys/prctl.h>
int rh_set_timer_slack(unsigned long nanoseconds) {
    return prctl(PR_SET_TIMERSLACK, nanoseconds, 0, 0, 0) == 0 ? 0 : errno;
}

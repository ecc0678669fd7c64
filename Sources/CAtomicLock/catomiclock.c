#include "catomiclock.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

int32_t tl_lock_cached_pid = 0;

static pthread_once_t registered = PTHREAD_ONCE_INIT;

static void refresh_in_child(void) { __atomic_store_n(&tl_lock_cached_pid, (int32_t)getpid(), __ATOMIC_RELAXED); }

static void register_handler(void) { pthread_atfork(NULL, NULL, refresh_in_child); }

int32_t tl_lock_refresh_pid(void) {
    pthread_once(&registered, register_handler);  // before the cache is filled: a fork after it refreshes
    int32_t pid = (int32_t)getpid();
    __atomic_store_n(&tl_lock_cached_pid, pid, __ATOMIC_RELAXED);
    return pid;
}

int tl_lock_owner_dead(uint32_t pid) {
    if (pid == 0 || pid > INT32_MAX) return 0;
    int saved = errno;  // the caller's errno survives a wait for the lock
    int dead = kill((pid_t)pid, 0) == -1 && errno == ESRCH;
    if (!dead) {
        siginfo_t info = {0};
        dead = waitid(P_PID, (id_t)pid, &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == (pid_t)pid;
    }
    errno = saved;
    return dead;
}

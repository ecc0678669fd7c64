#ifndef TCPLUA_CATOMICLOCK_H
#define TCPLUA_CATOMICLOCK_H

/// The shared dict's zone lock, nginx's `ngx_shmtx` idea: a 32-bit word in shared memory holding 0 (free) or
/// the owner's pid. Static inline, so that Swift inlines the fast path; what makes system calls or keeps
/// process state is in catomiclock.c.

#include <stdint.h>

/// This process's pid, cached (getpid() is a system call); 0 until the first tl_lock_self().
extern int32_t tl_lock_cached_pid;

/// Sets the cache from getpid() and, once per process, registers the pthread_atfork child handler that
/// refreshes it in every child forked afterwards. Returns the pid.
int32_t tl_lock_refresh_pid(void);

/// The pid to write into a lock word: the cache, filled on first use.
static inline uint32_t tl_lock_self(void) {
    int32_t pid = __atomic_load_n(&tl_lock_cached_pid, __ATOMIC_RELAXED);
    if (__builtin_expect(pid == 0, 0)) pid = tl_lock_refresh_pid();
    return (uint32_t)pid;
}

/// One compare-and-swap `expected` -> `desired`, with acquire ordering on success; 1 when it was done.
static inline int tl_lock_cas(uint32_t *word, uint32_t expected, uint32_t desired) {
    return __atomic_compare_exchange_n(word, &expected, desired, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

/// The uncontended lock: 0 -> `pid`; 1 when taken.
static inline int tl_lock_try(uint32_t *word, uint32_t pid) {
    return __atomic_load_n(word, __ATOMIC_RELAXED) == 0 && tl_lock_cas(word, 0, pid);
}

/// The word's current value (0 or the owner's pid).
static inline uint32_t tl_lock_owner(uint32_t *word) { return __atomic_load_n(word, __ATOMIC_RELAXED); }

/// Releases the lock: every store made under it is visible to the next owner.
static inline void tl_lock_release(uint32_t *word) { __atomic_store_n(word, 0, __ATOMIC_RELEASE); }

/// A spin-wait hint to the CPU (`pause` on x86, `yield` on arm64).
static inline void tl_cpu_pause(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

/// True when process `pid` is gone: kill(pid, 0) fails with ESRCH, or it is a child of this process that
/// has died and is not reaped yet (a zombie answers kill; the master, parent of the workers, must not wait
/// on its own unreaped child). A live process of another user (EPERM) is alive.
int tl_lock_owner_dead(uint32_t pid);

#endif

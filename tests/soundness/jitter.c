/* jitter.c - libjitter.so, a test-only LD_PRELOAD library for native runs
 * of the test programs (tests/soundness/test_soundness.py): before each
 * synchronization or blocking call, and at each thread's start, it may
 * yield or sleep a few microseconds at random, so that native runs show
 * many of the interleavings a program can have. RACELAB_JITTER_SEED seeds
 * it (printed by the test, for a rerun). It changes no call's meaning:
 * each wrapper delays, then calls the real function. Standard output is
 * made line-buffered, as racelab makes it, so that the last line printed
 * is the same in both. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <threads.h>
#include <time.h>
#include <unistd.h>

#define EXPORT __attribute__((visibility("default")))

static uint64_t seed;
static atomic_uint_fast64_t streams;
static __thread uint64_t rng;

static uint64_t next(void) {
    if (!rng)
        rng = (seed ^ (0x9e3779b97f4a7c15ull * (atomic_fetch_add(&streams, 1) + 1))) | 1;
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* Half the time nothing, else a yield or a sleep of up to 300 us. */
static void jitter(void) {
    uint64_t r = next();
    if ((r & 3) < 2)
        return;
    if ((r & 3) == 2) {
        syscall(SYS_sched_yield); /* not the wrapper below */
        return;
    }
    struct timespec ts = {0, (long)((r >> 8) % 300000)};
    nanosleep(&ts, NULL);
}

__attribute__((constructor)) static void start(void) {
    const char *s = getenv("RACELAB_JITTER_SEED");
    seed = s ? strtoull(s, NULL, 10) : 1;
    setvbuf(stdout, NULL, _IOLBF, 0);
}

#define NEXT(name) ((__typeof__(&name))dlsym(RTLD_NEXT, #name))

/* A wrapper: jitter, then the real function with the same arguments. */
#define WRAP(ret, name, params, args)                                                              \
    EXPORT ret name params {                                                                       \
        static __typeof__(&name) real;                                                             \
        if (!real)                                                                                 \
            real = NEXT(name);                                                                     \
        jitter();                                                                                  \
        return real args;                                                                          \
    }

WRAP(int, pthread_mutex_lock, (pthread_mutex_t * m), (m))
WRAP(int, pthread_mutex_trylock, (pthread_mutex_t * m), (m))
WRAP(int, pthread_mutex_unlock, (pthread_mutex_t * m), (m))
WRAP(int, pthread_cond_wait, (pthread_cond_t * c, pthread_mutex_t *m), (c, m))
WRAP(int, pthread_cond_timedwait,
     (pthread_cond_t * c, pthread_mutex_t *m, const struct timespec *ts), (c, m, ts))
WRAP(int, pthread_cond_signal, (pthread_cond_t * c), (c))
WRAP(int, pthread_cond_broadcast, (pthread_cond_t * c), (c))
WRAP(int, pthread_rwlock_rdlock, (pthread_rwlock_t * l), (l))
WRAP(int, pthread_rwlock_wrlock, (pthread_rwlock_t * l), (l))
WRAP(int, pthread_rwlock_unlock, (pthread_rwlock_t * l), (l))
WRAP(int, pthread_spin_lock, (pthread_spinlock_t * l), (l))
WRAP(int, pthread_spin_unlock, (pthread_spinlock_t * l), (l))
WRAP(int, pthread_barrier_wait, (pthread_barrier_t * b), (b))
WRAP(int, pthread_join, (pthread_t t, void **ret), (t, ret))
WRAP(int, sem_wait, (sem_t * s), (s))
WRAP(int, sem_post, (sem_t * s), (s))
WRAP(int, sched_yield, (void), ())
WRAP(ssize_t, read, (int fd, void *buf, size_t n), (fd, buf, n))
WRAP(ssize_t, write, (int fd, const void *buf, size_t n), (fd, buf, n))
WRAP(int, mtx_lock, (mtx_t * m), (m))
WRAP(int, mtx_unlock, (mtx_t * m), (m))
WRAP(int, cnd_wait, (cnd_t * c, mtx_t *m), (c, m))
WRAP(int, cnd_signal, (cnd_t * c), (c))
WRAP(int, thrd_join, (thrd_t t, int *res), (t, res))

/* A thread's start: a delay before its routine, as before any call. */
typedef struct {
    void *(*fn)(void *);
    void *arg;
} start_of;

static void *started(void *p) {
    start_of s = *(start_of *)p;
    free(p);
    jitter();
    return s.fn(s.arg);
}

EXPORT int pthread_create(pthread_t *t, const pthread_attr_t *a, void *(*fn)(void *), void *arg) {
    static __typeof__(&pthread_create) real;
    if (!real)
        real = NEXT(pthread_create);
    start_of *s = malloc(sizeof *s);
    if (!s)
        return real(t, a, fn, arg);
    *s = (start_of){fn, arg};
    jitter();
    int rc = real(t, a, started, s);
    if (rc != 0)
        free(s);
    return rc;
}

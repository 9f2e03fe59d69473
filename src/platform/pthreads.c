/* pthreads.c - the default platform table: pthreads, nanosleep and
 * CLOCK_MONOTONIC. The only file above libc that calls pthreads. */
#include "racelab/platform.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "platform_impl.h"

typedef struct {
    pthread_t pt;
    rl_thread_fn fn;
    void *arg;
} pt_thread;

_Static_assert(sizeof(pt_thread) <= RL_PLATFORM_STORAGE, "thread storage too small");
_Static_assert(sizeof(pthread_mutex_t) <= RL_PLATFORM_STORAGE, "mutex storage too small");
_Static_assert(sizeof(pthread_cond_t) <= RL_PLATFORM_STORAGE, "cond storage too small");

#define PT_THREAD(t) ((pt_thread *)(void *)(t)->impl)
#define PT_MUTEX(m) ((pthread_mutex_t *)(void *)(m)->impl)
#define PT_COND(c) ((pthread_cond_t *)(void *)(c)->impl)

/* Thread ids: every operation on it is relaxed, because all it must give
 * is a distinct number to each caller, which an atomic read-modify-write
 * does in any order; nothing is published through it. */
static atomic_uint next_id = 1;
/* Threads started whose function has not returned; its one reader is
 * rl_platform_install, which refuses while it is not 0. Every operation
 * on it is relaxed, and must stay so: the count orders nothing, and the
 * check needs nothing ordered by it.
 *  - The check is sound with relaxed operations because the program's own
 *    synchronization orders what it reads: install's contract is "join
 *    them first", and pthread_join makes the decrement of a joined thread
 *    happen before the install, so by coherence the install's load reads
 *    that decrement or a later value; a thread not yet returned has its
 *    increment, which its creator made before the install (in the same
 *    thread, or ordered by the program), not yet undone: install refuses.
 *  - Ordering more would be bookkeeping synchronizing the threads it
 *    counts. Release/acquire (acq_rel increments, release decrements, an
 *    acquire load) makes the end of every thread happen before the start
 *    of every thread created after it: the unsynchronized billing's data
 *    race disappears from ThreadSanitizer when its merchants do not
 *    overlap (tests/cli/test_lesson.sh fails, even unpinned, on a loaded
 *    machine; seq_cst did the same, see 70019d3). A release decrement
 *    read by an acquire load in install alone passes that test, but
 *    orders a thread that returned and was not joined before everything
 *    after an install, hiding the data race of a program that forgot the
 *    join (checked by hand: such a race is reported with the count
 *    relaxed, and not with that release and acquire). */
static atomic_uint running;

unsigned rl__pthreads_running(void) {
    /* relaxed: see `running`; the caller's join orders the decrements */
    return atomic_load_explicit(&running, memory_order_relaxed);
}
static _Thread_local unsigned my_id;

static unsigned pt_self(void) {
    if (my_id == 0) /* relaxed: only distinct (see next_id) */
        my_id = atomic_fetch_add_explicit(&next_id, 1, memory_order_relaxed);
    return my_id;
}

static void *trampoline(void *p) {
    rl_thread *t = p;
    my_id = t->id;
    PT_THREAD(t)->fn(PT_THREAD(t)->arg);
    /* relaxed: before the join, which orders it before any install; it
     * must order nothing itself (see `running`) */
    atomic_fetch_sub_explicit(&running, 1, memory_order_relaxed);
    return NULL;
}

static rl_err pt_thread_create(rl_thread *t, rl_thread_fn fn, void *arg) {
    pt_thread *pt = PT_THREAD(t);
    pt->fn = fn;
    pt->arg = arg;
    t->id = atomic_fetch_add_explicit(&next_id, 1, memory_order_relaxed); /* only distinct */
    /* relaxed: an acquire here would read from the release of a thread
     * that ended and order it before the one created now (see `running`) */
    atomic_fetch_add_explicit(&running, 1, memory_order_relaxed);
    if (pthread_create(&pt->pt, NULL, trampoline, t) != 0) {
        atomic_fetch_sub_explicit(&running, 1, memory_order_relaxed); /* undoes the above */
        return RL_ESYS;
    }
    char short_name[16];
    snprintf(short_name, sizeof short_name, "%s", t->name);
    (void)pthread_setname_np(pt->pt, short_name); /* cosmetic: debuggers show it */
    return RL_OK;
}

static void pt_thread_join(rl_thread *t) {
    int rc = pthread_join(PT_THREAD(t)->pt, NULL);
    if (rc != 0)
        rl_fatal("joining thread '%s' failed: %s", t->name, strerror(rc));
}

static rl_err pt_mutex_init(rl_mutex *m) {
    return pthread_mutex_init(PT_MUTEX(m), NULL) == 0 ? RL_OK : RL_ESYS;
}

static void pt_mutex_destroy(rl_mutex *m) { (void)pthread_mutex_destroy(PT_MUTEX(m)); }

static void pt_mutex_lock(rl_mutex *m) {
    int rc = pthread_mutex_lock(PT_MUTEX(m));
    if (rc != 0)
        rl_fatal("locking mutex '%s' failed: %s", m->name, strerror(rc));
}

static bool pt_mutex_trylock(rl_mutex *m) { return pthread_mutex_trylock(PT_MUTEX(m)) == 0; }

static void pt_mutex_unlock(rl_mutex *m) {
    int rc = pthread_mutex_unlock(PT_MUTEX(m));
    if (rc != 0)
        rl_fatal("unlocking mutex '%s' failed: %s", m->name, strerror(rc));
}

static rl_err pt_cond_init(rl_cond *c) {
    return pthread_cond_init(PT_COND(c), NULL) == 0 ? RL_OK : RL_ESYS;
}

static void pt_cond_destroy(rl_cond *c) { (void)pthread_cond_destroy(PT_COND(c)); }

static void pt_cond_wait(rl_cond *c, rl_mutex *m) {
    int rc = pthread_cond_wait(PT_COND(c), PT_MUTEX(m));
    if (rc != 0)
        rl_fatal("waiting on '%s' failed: %s", c->name, strerror(rc));
}

static void pt_cond_signal(rl_cond *c) { (void)pthread_cond_signal(PT_COND(c)); }
static void pt_cond_broadcast(rl_cond *c) { (void)pthread_cond_broadcast(PT_COND(c)); }

static void pt_sleep_ns(uint64_t ns) {
    struct timespec ts = {.tv_sec = (time_t)(ns / 1000000000u), .tv_nsec = (long)(ns % 1000000000u)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

static void pt_yield(void) { (void)sched_yield(); }

static uint64_t pt_now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static _Noreturn void pt_fatal(const char *message) {
    fprintf(stderr, "racelab: fatal: %s\n", message);
    fflush(stderr);
    abort();
}

static const rl_platform pthreads_table = {
    .name = "pthreads",
    .thread_create = pt_thread_create,
    .thread_join = pt_thread_join,
    .thread_self = pt_self,
    .mutex_init = pt_mutex_init,
    .mutex_destroy = pt_mutex_destroy,
    .mutex_lock = pt_mutex_lock,
    .mutex_trylock = pt_mutex_trylock,
    .mutex_unlock = pt_mutex_unlock,
    .cond_init = pt_cond_init,
    .cond_destroy = pt_cond_destroy,
    .cond_wait = pt_cond_wait,
    .cond_signal = pt_cond_signal,
    .cond_broadcast = pt_cond_broadcast,
    .sleep_ns = pt_sleep_ns,
    .yield = pt_yield,
    .now_ns = pt_now_ns,
    .access_begin = NULL,
    .access_end = NULL,
    .note = NULL,
    .fatal = pt_fatal,
};

const rl_platform *rl_platform_pthreads(void) { return &pthreads_table; }

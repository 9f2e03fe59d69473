/* preload.c - librlpreload.so: racelab's interposer, loaded into a user's
 * unmodified pthread program (LD_PRELOAD) by `racelab explore -- PROG`.
 *
 * It is the one place in racelab that calls pthreads below the platform
 * table: it *is* the threading library as the program sees it. Every
 * pthread call the program makes (and sleep, usleep, nanosleep,
 * sched_yield, the semaphores) comes here first. The program's threads
 * stay real threads, with their own stacks and thread-local storage, but
 * they pass a baton: exactly one runs at a time, and at each call whose
 * outcome depends on other threads (lock, wait, join, yield, ...) the
 * holder decides who runs next, following the plan racelab wrote (see
 * proto.h and policy.h), and hands the baton over through a futex.
 *
 * What a step means (who can go, the choice, its effect, the loop) is the
 * scheduling core's (core/core.h), shared with the in-process explorer;
 * this file is its front end for a real program: the baton, the fork
 * server, the table of objects and the interposed calls themselves.
 *
 * The locks, conditions, semaphores, barriers and once-controls are
 * modelled (the core's objects), keyed by their address: the real objects
 * are never touched while exploring (only one thread runs, so the model
 * is the truth), and a thread blocked in the model simply does not get the
 * baton. Timed waits take no real time: a waiter that nothing woke may
 * time out at any decision (a choice the search explores; by default only
 * when no other thread can run). A signal wakes any one of the threads
 * waiting when it was sent: which one is the schedule's choice.
 *
 * Without racelab's environment (RACELAB_EXPLORE_*) every call goes
 * straight to the real function: the library is inert. Built without any
 * sanitizer: it runs inside the user's program. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <dlfcn.h>
#include <execinfo.h>
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <threads.h>
#include <time.h>
#include <unistd.h>

#include "../core/core.h"
#include "proto.h"
#include "present.h"
#include "races.h"

#define EXPORT __attribute__((visibility("default")))
/* The call's place in the program: the return address, or, inside a C11
 * wrapper (thrd_*, mtx_*, cnd_*, call_once), the wrapper's own caller. */
static __thread __attribute__((tls_model("initial-exec"))) uint64_t c11_caller;
#define CALLER (c11_caller ? c11_caller : (uint64_t)(uintptr_t)__builtin_return_address(0))

/* ---- the real functions ---- */

static struct {
    int (*create)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);
    int (*join)(pthread_t, void **);
    int (*detach)(pthread_t);
    void (*exit)(void *) __attribute__((noreturn));
    int (*mutex_init)(pthread_mutex_t *, const pthread_mutexattr_t *);
    int (*mutex_destroy)(pthread_mutex_t *);
    int (*mutex_lock)(pthread_mutex_t *);
    int (*mutex_trylock)(pthread_mutex_t *);
    int (*mutex_timedlock)(pthread_mutex_t *, const struct timespec *);
    int (*mutex_unlock)(pthread_mutex_t *);
    int (*rw_init)(pthread_rwlock_t *, const pthread_rwlockattr_t *);
    int (*rw_destroy)(pthread_rwlock_t *);
    int (*rw_rdlock)(pthread_rwlock_t *);
    int (*rw_wrlock)(pthread_rwlock_t *);
    int (*rw_tryrdlock)(pthread_rwlock_t *);
    int (*rw_trywrlock)(pthread_rwlock_t *);
    int (*rw_timedrdlock)(pthread_rwlock_t *, const struct timespec *);
    int (*rw_timedwrlock)(pthread_rwlock_t *, const struct timespec *);
    int (*rw_unlock)(pthread_rwlock_t *);
    int (*spin_init)(pthread_spinlock_t *, int);
    int (*spin_destroy)(pthread_spinlock_t *);
    int (*spin_lock)(pthread_spinlock_t *);
    int (*spin_trylock)(pthread_spinlock_t *);
    int (*spin_unlock)(pthread_spinlock_t *);
    int (*cond_init)(pthread_cond_t *, const pthread_condattr_t *);
    int (*cond_destroy)(pthread_cond_t *);
    int (*cond_wait)(pthread_cond_t *, pthread_mutex_t *);
    int (*cond_timedwait)(pthread_cond_t *, pthread_mutex_t *, const struct timespec *);
    int (*cond_signal)(pthread_cond_t *);
    int (*cond_broadcast)(pthread_cond_t *);
    int (*sem_init)(sem_t *, int, unsigned);
    int (*sem_destroy)(sem_t *);
    int (*sem_wait)(sem_t *);
    int (*sem_trywait)(sem_t *);
    int (*sem_timedwait)(sem_t *, const struct timespec *);
    int (*sem_post)(sem_t *);
    int (*barrier_init)(pthread_barrier_t *, const pthread_barrierattr_t *, unsigned);
    int (*barrier_destroy)(pthread_barrier_t *);
    int (*barrier_wait)(pthread_barrier_t *);
    int (*once)(pthread_once_t *, void (*)(void));
    unsigned (*sleep)(unsigned);
    int (*usleep)(useconds_t);
    int (*nanosleep)(const struct timespec *, struct timespec *);
    int (*clock_nanosleep)(clockid_t, int, const struct timespec *, struct timespec *);
    int (*yield)(void);
    int (*cond_clockwait)(pthread_cond_t *, pthread_mutex_t *, clockid_t, const struct timespec *);
    int (*mutex_clocklock)(pthread_mutex_t *, clockid_t, const struct timespec *);
    int (*rw_clockrdlock)(pthread_rwlock_t *, clockid_t, const struct timespec *);
    int (*rw_clockwrlock)(pthread_rwlock_t *, clockid_t, const struct timespec *);
    int (*sem_clockwait)(sem_t *, clockid_t, const struct timespec *);
    ssize_t (*read)(int, void *, size_t);
    ssize_t (*write)(int, const void *, size_t);
    ssize_t (*recv)(int, void *, size_t, int);
    ssize_t (*recvfrom)(int, void *, size_t, int, struct sockaddr *, socklen_t *);
    ssize_t (*send)(int, const void *, size_t, int);
    ssize_t (*sendto)(int, const void *, size_t, int, const struct sockaddr *, socklen_t);
    int (*accept)(int, struct sockaddr *, socklen_t *);
    int (*accept4)(int, struct sockaddr *, socklen_t *, int);
    int (*poll)(struct pollfd *, nfds_t, int);
    int (*ppoll)(struct pollfd *, nfds_t, const struct timespec *, const sigset_t *);
    int (*select)(int, fd_set *, fd_set *, fd_set *, struct timeval *);
    int (*pselect)(int, fd_set *, fd_set *, fd_set *, const struct timespec *, const sigset_t *);
    int (*epoll_wait)(int, struct epoll_event *, int, int);
    int (*epoll_pwait)(int, struct epoll_event *, int, int, const sigset_t *);
    pid_t (*waitpid)(pid_t, int *, int);
    pid_t (*wait)(int *);
    void (*abort)(void) __attribute__((noreturn));
} real;

#define LOOKUP(field, name) real.field = dlsym(RTLD_NEXT, name)
#define LOOKUPV(field, name, ver)                                                                  \
    do {                                                                                           \
        real.field = dlvsym(RTLD_NEXT, name, ver);                                                 \
        if (!real.field)                                                                           \
            real.field = dlsym(RTLD_NEXT, name);                                                   \
    } while (0)

static void lookup_all(void) {
    LOOKUP(create, "pthread_create");
    LOOKUP(join, "pthread_join");
    LOOKUP(detach, "pthread_detach");
    LOOKUP(exit, "pthread_exit");
    LOOKUP(mutex_init, "pthread_mutex_init");
    LOOKUP(mutex_destroy, "pthread_mutex_destroy");
    LOOKUP(mutex_lock, "pthread_mutex_lock");
    LOOKUP(mutex_trylock, "pthread_mutex_trylock");
    LOOKUP(mutex_timedlock, "pthread_mutex_timedlock");
    LOOKUP(mutex_unlock, "pthread_mutex_unlock");
    LOOKUP(rw_init, "pthread_rwlock_init");
    LOOKUP(rw_destroy, "pthread_rwlock_destroy");
    LOOKUP(rw_rdlock, "pthread_rwlock_rdlock");
    LOOKUP(rw_wrlock, "pthread_rwlock_wrlock");
    LOOKUP(rw_tryrdlock, "pthread_rwlock_tryrdlock");
    LOOKUP(rw_trywrlock, "pthread_rwlock_trywrlock");
    LOOKUP(rw_timedrdlock, "pthread_rwlock_timedrdlock");
    LOOKUP(rw_timedwrlock, "pthread_rwlock_timedwrlock");
    LOOKUP(rw_unlock, "pthread_rwlock_unlock");
    LOOKUP(spin_init, "pthread_spin_init");
    LOOKUP(spin_destroy, "pthread_spin_destroy");
    LOOKUP(spin_lock, "pthread_spin_lock");
    LOOKUP(spin_trylock, "pthread_spin_trylock");
    LOOKUP(spin_unlock, "pthread_spin_unlock");
    /* the condition functions exist in two versions; the program links
     * the current one */
    LOOKUPV(cond_init, "pthread_cond_init", "GLIBC_2.3.2");
    LOOKUPV(cond_destroy, "pthread_cond_destroy", "GLIBC_2.3.2");
    LOOKUPV(cond_wait, "pthread_cond_wait", "GLIBC_2.3.2");
    LOOKUPV(cond_timedwait, "pthread_cond_timedwait", "GLIBC_2.3.2");
    LOOKUPV(cond_signal, "pthread_cond_signal", "GLIBC_2.3.2");
    LOOKUPV(cond_broadcast, "pthread_cond_broadcast", "GLIBC_2.3.2");
    LOOKUP(sem_init, "sem_init");
    LOOKUP(sem_destroy, "sem_destroy");
    LOOKUP(sem_wait, "sem_wait");
    LOOKUP(sem_trywait, "sem_trywait");
    LOOKUP(sem_timedwait, "sem_timedwait");
    LOOKUP(sem_post, "sem_post");
    LOOKUP(barrier_init, "pthread_barrier_init");
    LOOKUP(barrier_destroy, "pthread_barrier_destroy");
    LOOKUP(barrier_wait, "pthread_barrier_wait");
    LOOKUP(once, "pthread_once");
    LOOKUP(sleep, "sleep");
    LOOKUP(usleep, "usleep");
    LOOKUP(nanosleep, "nanosleep");
    LOOKUP(clock_nanosleep, "clock_nanosleep");
    LOOKUP(yield, "sched_yield");
    LOOKUP(cond_clockwait, "pthread_cond_clockwait");
    LOOKUP(mutex_clocklock, "pthread_mutex_clocklock");
    LOOKUP(rw_clockrdlock, "pthread_rwlock_clockrdlock");
    LOOKUP(rw_clockwrlock, "pthread_rwlock_clockwrlock");
    LOOKUP(sem_clockwait, "sem_clockwait");
    LOOKUP(read, "read");
    LOOKUP(write, "write");
    LOOKUP(recv, "recv");
    LOOKUP(recvfrom, "recvfrom");
    LOOKUP(send, "send");
    LOOKUP(sendto, "sendto");
    LOOKUP(accept, "accept");
    LOOKUP(accept4, "accept4");
    LOOKUP(poll, "poll");
    LOOKUP(ppoll, "ppoll");
    LOOKUP(select, "select");
    LOOKUP(pselect, "pselect");
    LOOKUP(epoll_wait, "epoll_wait");
    LOOKUP(epoll_pwait, "epoll_pwait");
    LOOKUP(waitpid, "waitpid");
    LOOKUP(wait, "wait");
    LOOKUP(abort, "abort");
}

/* ---- state ---- */

typedef rl__core_obj obj; /* the model of a synchronization object (core/core.h) */

#define NOBJ 16384 /* a power of two */

typedef struct xthread {
    rl__core_thread c; /* the model's part (core/core.h) */
    _Atomic uint32_t go; /* the baton: set by whoever hands it over */
    pthread_t handle;
    bool has_handle, detached;
    uint32_t serial; /* its number in creation order (main 0): its name */
    void *(*fn)(void *);
    void *arg;
    bool create_traced; /* after create: its create line is in the trace already */
    _Atomic pid_t tid;  /* its kernel thread id, once it started (for a debugger) */
    uintptr_t stack_lo, stack_hi; /* its stack: its own accesses there are not steps, */
    /* but for the pages of it another thread used (each then shared: its
     * accesses there are steps and checked for races, as on any memory);
     * more than fit: all of it */
    uintptr_t shared_page[8];
    uint8_t nshared;
    bool all_shared;
    /* its latest loads and atomic operations since its last write or thread
     * call: place, address and the value seen (a spin repeats one) */
    struct {
        uint64_t where;
        uintptr_t addr;
        uint64_t value;
        uint32_t size;
        uint64_t stack; /* a repeat of an earlier read: the hash of its stack (0: none) */
    } seen[4];
    uint32_t nseen;
    /* a spin with nothing it read changed (in X.core.awaiting): what it read and
     * saw, until one of them changes; woken: by the change of woke_addr
     * (its step then needed the write that made it) */
    struct {
        uintptr_t addr;
        uint32_t size;
        uint64_t value;
    } await_on[4];
    uint32_t nawait;
    bool woken;
    uintptr_t woke_addr;
    uint32_t woke_size;
    bool fence_acq, fence_rel; /* it made an acquire, a release fence: its relaxed
                                  atomics are taken as acquire, release (never fewer
                                  orderings than the program has) */
    /* partial-order reduction (footprints on): the mutexes and spin locks
     * it holds (latest last), the step its start was made in + 1 (until its
     * first step), whether its last step yielded, and its pending memory
     * access's width and kind */
    rl__held held;
    uint32_t spawned_at;
    bool after_yield;
    uint32_t mem_size;
    uint8_t mem_kind;
    uint64_t where;     /* the pending operation's place: the call's return address */
    uint64_t callers[RL_CALLERS]; /* when tracing: the return addresses beyond it */
    uint64_t callers_for;         /* the `where` they were taken for (0: none) */
    /* a system call that may block: what it waits for */
    struct {
        int fd;              /* read, write, accept: the descriptor */
        short events;        /* POLLIN or POLLOUT */
        struct pollfd *fds;  /* poll */
        nfds_t nfds;
        pid_t pid;           /* waitpid */
        int wait_options;
        bool now;            /* cannot block: a non-blocking descriptor or flag */
        bool outside;        /* waits for what racelab does not schedule: a child
                                process, a socket's peer (anything but a pipe) */
    } io;
} xthread;

static struct {
    bool on;          /* racelab's environment is there */
    bool instrumented; /* the program calls the memory hooks (racelab cc) */
    bool races_on;     /* and its data races are looked for (races.h) */
    /* and its plain loads and stores are steps: not when a data race fails
     * the schedule (see plain_access) */
    bool plain_points;
    bool footprints;   /* each step's footprint is recorded (partial-order reduction) */
    bool reduced;      /* for a reduced search: a move that is progress closes fairness windows */
    /* the last decision (the last run's) let its thread go on to a memory
     * access, and nothing of the model changed since (see repeat_step):
     * then the steps before repeat_until may repeat it, by repeat_thread
     * (0: none may) */
    uint32_t repeat_thread;
    uint64_t repeat_until;
    uint64_t out_mark; /* how much the program had printed at the last decision */
    uintptr_t main_stack_lo, main_stack_hi;
    uintptr_t stacks_lo, stacks_hi; /* every thread stack of this copy lies within */
    bool in_child;    /* this process runs one schedule */
    bool server;      /* this process became the fork server */
    bool forking_schedule; /* serve() is forking a schedule's copy */
    uint32_t child_forks;  /* this copy's own fork()s */
    /* the pipes open when the server started: it keeps a write end of each
     * open, which the program natively would not have (see pipe_at_end) */
    struct {
        dev_t dev;
        ino_t ino;
    } server_pipes[64];
    uint32_t nserver_pipes;
    int ctl, outfd;
    rl__shm *shm;
    rl__present runs_present, steps_present; /* this copy's, of the region's tables */
    xthread threads[RL_EX_MAX_THREADS];
    rl__core core; /* the scheduling core: threads, step, signals, fairness */
    uint32_t next_dev; /* deviations: the next one to follow */
    rl__pct pct;       /* PCT: this run's state */
    rl__delays delays; /* delay bounding: this run's state */
    obj objs[NOBJ];
} X;

/* this thread's index, -1: not one of ours (initial-exec: a load, not a
 * call, on every memory access; the interposer is loaded at start) */
static __thread __attribute__((tls_model("initial-exec"))) int self_index = -1;

/* Happens-before edges for the race detector (races.h), when it is on. */
static void hb_release(const void *key) {
    if (X.races_on)
        rl__races_release((uint32_t)self_index, (uintptr_t)key);
}
static void hb_acquire(const void *key) {
    if (X.races_on)
        rl__races_acquire((uint32_t)self_index, (uintptr_t)key);
}

/* ---- plumbing ---- */

static long futex(_Atomic uint32_t *addr, int op, uint32_t val) {
    return syscall(SYS_futex, addr, op, val, NULL, NULL, 0);
}

static void hand_to(xthread *next) {
    /* release: pairs with the acquire exchange in next's await_baton, so
     * everything this thread did (the scheduler's state in X included)
     * happens before next runs on */
    atomic_store_explicit(&next->go, 1, memory_order_release);
    futex(&next->go, FUTEX_WAKE_PRIVATE, 1);
}

static void await_baton(xthread *self) {
    /* acquire: pairs with the release in hand_to of the thread that gave
     * the baton */
    while (atomic_exchange_explicit(&self->go, 0, memory_order_acquire) == 0)
        futex(&self->go, FUTEX_WAIT_PRIVATE, 0);
}

/* Hand the baton from self to next and wait for it to come back. */
static void switch_to(xthread *self, xthread *next) {
    if (next == self)
        return;
    hand_to(next);
    await_baton(self);
}

static bool controlled(void) { return X.in_child && self_index >= 0; }

/* This process ends now, as _exit does (racelab's own ends: the program's
 * _exit is interposed below). */
__attribute__((noreturn)) static void quit(int status) {
    for (;;)
        syscall(SYS_exit_group, status);
}

/* Flush what the program printed, if nobody holds the stream (a thread
 * stuck with a stream locked keeps its partial output). */
static void flush_streams(void) {
    FILE *fs[] = {stdout, stderr};
    for (int i = 0; i < 2; i++)
        if (ftrylockfile(fs[i]) == 0) {
            fflush_unlocked(fs[i]);
            funlockfile(fs[i]);
        }
}

/* End this schedule now with a failure the interposer found. */
__attribute__((noreturn, format(printf, 2, 3))) static void finish(uint32_t kind, const char *fmt,
                                                                    ...) {
    rl__shm *s = X.shm;
    if (s->fail == RL_PFAIL_NONE) {
        s->fail = kind;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(s->message, sizeof s->message, fmt, ap);
        va_end(ap);
    }
    flush_streams();
    quit(0); /* the failure is in the shared region, not in the status */
}


/* ---- objects ---- */

static obj *find(const void *addr, uint8_t k) {
    X.repeat_until = 0; /* an object looked at may be about to change */
    uintptr_t a = (uintptr_t)addr;
    size_t h = (size_t)((a >> 3) * 0x9e3779b97f4a7c15ull) & (NOBJ - 1);
    for (size_t i = 0; i < NOBJ; i++) {
        obj *o = &X.objs[(h + i) & (NOBJ - 1)];
        if (o->addr == a) {
            if (o->kind != k) /* the memory was reused for another kind of object */
                *o = (obj){.addr = a, .kind = (uint8_t)k};
            return o;
        }
        if (o->addr == 0) {
            *o = (obj){.addr = a, .kind = (uint8_t)k};
            return o;
        }
    }
    finish(RL_PFAIL_TOO_MANY, "the program uses more than %d synchronization objects", NOBJ);
}

static void forget(const void *addr) {
    X.repeat_until = 0;
    uintptr_t a = (uintptr_t)addr;
    for (size_t i = 0; i < NOBJ; i++)
        if (X.objs[i].addr == a) {
            X.objs[i].kind = RL_OBJ_NONE; /* keeps the probe chain; reused as any kind */
            return;
        }
}

/* A mutex's type: from glibc's own record of it (a statically initialised
 * recursive mutex has no init call to see). */
static obj *mutex_obj(pthread_mutex_t *m) {
    obj *o = find(m, RL_OBJ_MUTEX);
    if (o->owner == 0 && o->count == 0) {
        int type = m->__data.__kind & 3;
        o->recursive = type == PTHREAD_MUTEX_RECURSIVE;
        o->errorcheck = type == PTHREAD_MUTEX_ERRORCHECK;
    }
    return o;
}

/* ---- tracing and decisions ---- */

static void trace(xthread *t, uint8_t op, obj *o, uint64_t where, bool has_value, int64_t value,
                  uint32_t other) {
    rl__shm *s = X.shm;
    if (!s->trace_on || s->ntrace >= s->trace_cap)
        return;
    rl__ptrace *p = &rl__shm_trace(s)[s->ntrace++];
    if ((op == RL_POP_SPAWN || op == RL_POP_RESUME || op == RL_POP_JOIN ||
         op == RL_POP_DETACH) &&
        other < RL_EX_MAX_THREADS)
        other = X.threads[other].serial; /* the slot's thread now */
    *p = (rl__ptrace){.step = (uint32_t)X.core.step, .thread = (uint8_t)t->c.index, .op = op,
                      .marks = X.core.preempted ? 4u /* RL_MARK_PREEMPT */ : 0,
                      .has_value = has_value, .value = value, .obj = o ? o->addr : 0,
                      .where = where, .other = other, .serial = t->serial};
    if (where && where == t->callers_for)
        memcpy(p->callers, t->callers, sizeof p->callers);
}

/* When tracing, on t's own thread: the return addresses beyond `where` (a
 * call in a library's wrapper, std::mutex::lock at -O0, is shown where the
 * program called the wrapper; racelab picks the frame). */
static void take_callers(xthread *t, uint64_t where) {
    t->callers_for = 0;
    if (!X.shm->trace_on || !where)
        return;
    void *frames[16];
    /* the unwinder locks its own mutexes: real ones, not the program's */
    int self = self_index;
    self_index = -1;
    int n = backtrace(frames, 16);
    self_index = self;
    for (int i = 0; i < n; i++)
        if ((uint64_t)(uintptr_t)frames[i] == where) {
            for (int k = 0; k < RL_CALLERS; k++)
                t->callers[k] = i + 1 + k < n ? (uint64_t)(uintptr_t)frames[i + 1 + k] : 0;
            t->callers_for = where;
            return;
        }
}

/* ---- system calls that may block ---- */

/* Whether fd is a pipe at its end as the program natively sees it: made
 * before the first thread, so the fork server holds a write end of it, with
 * no write end left in this copy and no child process of its own that
 * could hold one. Natively its reader would see end of file; here the
 * server's write end keeps it open, so racelab gives the reader its end. */
static bool pipe_at_end(int fd) {
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISFIFO(st.st_mode) || X.child_forks)
        return false;
    bool known = false;
    for (uint32_t i = 0; i < X.nserver_pipes && !known; i++)
        known = X.server_pipes[i].dev == st.st_dev && X.server_pipes[i].ino == st.st_ino;
    if (!known)
        return false;
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return false;
    bool writer = false;
    struct dirent *e;
    while (!writer && (e = readdir(d))) {
        int other = atoi(e->d_name);
        struct stat os;
        if (e->d_name[0] == '.' || other == dirfd(d) || fstat(other, &os) != 0 ||
            os.st_dev != st.st_dev || os.st_ino != st.st_ino)
            continue;
        int fl = fcntl(other, F_GETFL);
        writer = fl >= 0 && (fl & O_ACCMODE) != O_RDONLY;
    }
    closedir(d);
    return !writer;
}

static int epoll_ends(int epfd, struct epoll_event *ev, int max);

/* A wait on several descriptors at once: poll, select, epoll_wait. */
static bool polls(uint8_t op) {
    return op == RL_POP_POLL || op == RL_POP_SELECT || op == RL_POP_EPOLL;
}

/* Whether one of them waits to read a pipe at its end (see pipe_at_end). */
static bool any_at_end(const struct pollfd *fds, nfds_t n) {
    for (nfds_t k = 0; k < n; k++)
        if ((fds[k].events & POLLIN) && fds[k].fd >= 0 && pipe_at_end(fds[k].fd))
            return true;
    return false;
}

/* Whether t's pending system call would return now rather than block (an
 * error counts: the real call reports it). Another thread's poll of the
 * descriptor: what the program's threads did so far decides it, so the
 * answer follows from the schedule. */
static bool io_ready(const xthread *t) {
    if (t->io.now)
        return true;
    if (t->c.op == RL_POP_EPOLL) {
        struct epoll_event ev;
        return real.poll(t->io.fds, 1, 0) != 0 || epoll_ends(t->io.fds[0].fd, &ev, 1) > 0;
    }
    if (polls(t->c.op))
        return t->io.nfds > 0 &&
               (real.poll(t->io.fds, t->io.nfds, 0) != 0 || any_at_end(t->io.fds, t->io.nfds));
    if (t->c.op == RL_POP_WAITPID) {
        siginfo_t si;
        memset(&si, 0, sizeof si);
        pid_t pid = t->io.pid;
        idtype_t type = pid > 0 ? P_PID : pid == -1 ? P_ALL : P_PGID;
        id_t id = pid > 0 ? (id_t)pid : pid < -1 ? (id_t)-pid : 0;
        int opts = WEXITED | WNOHANG | WNOWAIT | (t->io.wait_options & WUNTRACED ? WSTOPPED : 0) |
                   (t->io.wait_options & WCONTINUED);
        return waitid(type, id, &si, opts) != 0 || si.si_pid != 0;
    }
    struct pollfd p = {.fd = t->io.fd, .events = t->io.events};
    return real.poll(&p, 1, 0) != 0 || (t->c.op == RL_POP_READ && pipe_at_end(t->io.fd));
}

static bool waits_outside(const xthread *t) {
    return t->c.state == RL_CORE_LIVE &&
           ((t->c.op >= RL_POP_READ && t->c.op <= RL_POP_WAITPID) || polls(t->c.op));
}

/* No thread can go, but some wait for the kernel: for another process, a
 * peer or a child, that racelab does not schedule. Wait for real until one
 * of them could go on (the schedule's time limit bounds it). false: none
 * waits so. */
static bool await_outside(void) {
    enum { MAXP = 64 };
    struct pollfd p[MAXP];
    nfds_t n = 0;
    int pidfds[MAXP], npid = 0;
    bool any = false, guess = false;
    for (uint32_t i = 0; i < X.core.nthreads; i++) {
        const xthread *t = &X.threads[i];
        if (!waits_outside(t))
            continue;
        any = true;
        if (polls(t->c.op)) {
            for (nfds_t k = 0; k < t->io.nfds && n < MAXP; k++)
                p[n++] = (struct pollfd){.fd = t->io.fds[k].fd, .events = t->io.fds[k].events};
        } else if (t->c.op == RL_POP_WAITPID) {
            int fd = t->io.pid > 0 ? (int)syscall(SYS_pidfd_open, t->io.pid, 0) : -1;
            if (fd >= 0 && n < MAXP && npid < MAXP) {
                pidfds[npid++] = fd;
                p[n++] = (struct pollfd){.fd = fd, .events = POLLIN};
            } else {
                if (fd >= 0)
                    close(fd);
                guess = true; /* any child, or a group: look again soon */
            }
        } else if (n < MAXP) {
            p[n++] = (struct pollfd){.fd = t->io.fd, .events = t->io.events};
        }
    }
    if (any)
        (void)real.poll(p, n, guess || n == MAXP ? 10 : -1);
    for (int k = 0; k < npid; k++)
        close(pidfds[k]);
    return any;
}

/* The core's hooks for what it does not model (core/core.h). */

/* A system call: it goes when it would return now. The outside world's
 * timing must not change the choices: a wait on it goes on only when no
 * thread of the program can (outside_ready). */
static bool other_can_go(void *ctx, const rl__core_thread *c, bool timeouts) {
    (void)ctx;
    const xthread *t = (const xthread *)c;
    return (!t->io.outside && io_ready(t)) || (t->c.timed && timeouts);
}

static uint64_t outside_ready(void *ctx) {
    (void)ctx;
    uint64_t all = 0;
    for (uint32_t i = 0; i < X.core.nthreads; i++)
        if (waits_outside(&X.threads[i]) && X.threads[i].io.outside && io_ready(&X.threads[i])) {
            all |= 1ull << i;
            X.shm->outside_last = 1;
        }
    return all;
}

static bool await_outside_hook(void *ctx) {
    (void)ctx;
    return await_outside();
}

/* ---- footprints (partial-order reduction) ---- */

/* What a step touched, when racelab asks (X.footprints): its thread's
 * objects told apart by kind and address. A step recorded in one schedule
 * is compared with steps of the next; the same choices from the same
 * server give the same addresses (dpor.c checks the runs repeat). */
enum { FP_MUTEX = 1, FP_COND, FP_MEM, FP_THREAD, FP_TABLE, FP_OBJ, FP_OUTPUT };

static uint64_t fp_object(unsigned kind, uintptr_t addr) {
    return ((uint64_t)addr ^ (uint64_t)kind << 56) * 0x9e3779b97f4a7c15ull; /* one-to-one */
}

/* The record of the step being made (X.core.step - 1); NULL before the
 * first step (what main does then is ordered before every thread), with
 * footprints off, or past the room (said in the region). */
static rl__step *fp_current(void) {
    if (!X.footprints || X.core.step == 0)
        return NULL;
    if (X.core.step > X.shm->step_cap) {
        X.shm->footprints_full = 1;
        return NULL;
    }
    return &rl__shm_steps(X.shm)[X.core.step - 1].step;
}

static void fp_touch(rl__step *st, const xthread *t, unsigned okind, uintptr_t addr,
                     uint8_t kind) {
    if (st)
        rl__step_touch(st, fp_object(okind, addr), addr, 0, kind, &t->held);
}

/* A memory access, by 8-byte words; a wider one than two words, or one on
 * another thread's stack (whose own accesses there are not steps), is
 * dependent on every step. */
/* Whether a lies on another thread's stack than t's. */
static bool on_other_stack(const xthread *t, uintptr_t a) {
    if (a < X.stacks_lo || a >= X.stacks_hi)
        return false;
    for (uint32_t i = 0; i < X.core.nthreads; i++)
        if (&X.threads[i] != t && a >= X.threads[i].stack_lo && a < X.threads[i].stack_hi)
            return true;
    return false;
}

static void fp_memory(rl__step *st, const xthread *t, uintptr_t a, uint32_t size, uint8_t kind) {
    if (!st)
        return;
    if (size > 16 || on_other_stack(t, a)) {
        st->global = true;
        return;
    }
    for (uintptr_t w = a & ~(uintptr_t)7; w < a + (size ? size : 1); w += 8)
        fp_touch(st, t, FP_MEM, w, kind);
}

static void fp_took(xthread *t, const obj *o) {
    if (X.footprints)
        rl__held_take(&t->held, o->addr);
}
static void fp_released(xthread *t, const obj *o) { rl__held_drop(&t->held, o->addr); }

/* What t's operation op on o touches, into st: applied (its result in
 * t->c), or pending (a blocked thread's, which never happened). Anything
 * not modelled here (a system call, the process's end) is dependent on
 * every step. A yield or sleep touches nothing (apply makes one that held
 * its thread back, and the step after it, dependent on every step). */
static void fp_op(rl__step *st, xthread *t, uint8_t op, obj *o, bool pending) {
    if (!st)
        return;
    uintptr_t at = o ? o->addr : 0;
    /* a lock taken (not a recursive one taken again): what the thread
     * touches from here is under it (the races are between the acquires) */
    bool took = !pending && (op == RL_POP_LOCK || op == RL_POP_SPINLOCK ||
                             ((op == RL_POP_TRYLOCK || op == RL_POP_SPINTRY) && t->c.result_ok) ||
                             (op == RL_POP_TIMEDLOCK && !t->c.timed_out));
    switch (op) {
    case RL_POP_LOCK:
    case RL_POP_SPINLOCK:
    case RL_POP_TIMEDLOCK:
    case RL_POP_TRYLOCK:
    case RL_POP_SPINTRY:
        /* a try, or a wait that may time out, depends on the release's
         * order whatever it gave */
        fp_touch(st, t, FP_MUTEX, at,
                 op == RL_POP_LOCK || op == RL_POP_SPINLOCK ? RL_TOUCH_ACQUIRE : RL_TOUCH_TRY);
        if (took && !(o->recursive && o->count > 1))
            fp_took(t, o);
        break;
    case RL_POP_UNLOCK:
    case RL_POP_SPINUNLOCK: fp_touch(st, t, FP_MUTEX, at, RL_TOUCH_RELEASE); break;
    case RL_POP_WAIT:
    case RL_POP_TIMEDWAIT:
        fp_touch(st, t, FP_COND, at, RL_TOUCH_WRITE);
        if (t->c.wait_mutex)
            fp_touch(st, t, FP_MUTEX, t->c.wait_mutex->addr, RL_TOUCH_RELEASE);
        break;
    case RL_POP_WAKE: /* the mutex taken back, then the condition under it */
        if (t->c.wait_mutex) {
            fp_touch(st, t, FP_MUTEX, t->c.wait_mutex->addr, RL_TOUCH_ACQUIRE);
            if (!pending && t->c.wait_depth <= 1)
                fp_took(t, t->c.wait_mutex);
        }
        fp_touch(st, t, FP_COND, at, RL_TOUCH_WRITE);
        break;
    case RL_POP_SIGNAL: fp_touch(st, t, FP_COND, at, RL_TOUCH_WRITE); break;
    case RL_POP_BROADCAST: fp_touch(st, t, FP_COND, at, RL_TOUCH_READ); break;
    case RL_POP_JOIN:
        fp_touch(st, t, FP_THREAD, X.threads[t->c.join_target].serial, RL_TOUCH_READ);
        fp_touch(st, t, FP_TABLE, 0, RL_TOUCH_WRITE); /* its slot may be reused */
        break;
    case RL_POP_EXIT: /* its slot is free from here only if nobody will join it */
        fp_touch(st, t, FP_THREAD, t->serial, RL_TOUCH_WRITE);
        if (t->detached)
            fp_touch(st, t, FP_TABLE, 0, RL_TOUCH_WRITE);
        break;
    case RL_POP_SPAWN:
    case RL_POP_DETACH: fp_touch(st, t, FP_TABLE, 0, RL_TOUCH_WRITE); break;
    case RL_POP_START:
    case RL_POP_RESUME: break; /* a thread goes on: ordered by its spawn (spawned_at) */
    case RL_POP_LOAD: fp_memory(st, t, at, t->mem_size, RL_TOUCH_READ); break;
    case RL_POP_STORE: fp_memory(st, t, at, t->mem_size, RL_TOUCH_WRITE); break;
    case RL_POP_ATOMIC:
        fp_memory(st, t, at, t->mem_size, t->mem_kind == 2 ? RL_TOUCH_READ : RL_TOUCH_WRITE);
        break;
    /* a rwlock taken (for reading too) and a semaphore's wait are acquires,
     * an unlock and a post releases: an acquire that could go only after
     * a release comes after it (never a race), one that could go before
     * commutes with it; a try, or a wait that may time out, depends on
     * the order whatever it gave. Not
     * in the thread's locks: readers share a rwlock, a semaphore has no
     * owner */
    case RL_POP_RDLOCK:
    case RL_POP_WRLOCK:
    case RL_POP_SEMWAIT: fp_touch(st, t, FP_OBJ, at, RL_TOUCH_ACQUIRE); break;
    case RL_POP_TRYRDLOCK:
    case RL_POP_TRYWRLOCK:
    case RL_POP_TIMEDRDLOCK:
    case RL_POP_TIMEDWRLOCK:
    case RL_POP_SEMTRY:
    case RL_POP_SEMTIMED:
        fp_touch(st, t, FP_OBJ, at, RL_TOUCH_TRY);
        break;
    case RL_POP_RWUNLOCK:
    case RL_POP_SEMPOST: fp_touch(st, t, FP_OBJ, at, RL_TOUCH_RELEASE); break;
    case RL_POP_BARRIER:
    case RL_POP_ONCE: fp_touch(st, t, FP_OBJ, at, RL_TOUCH_WRITE); break;
    case RL_POP_YIELD:
    case RL_POP_SLEEP: break; /* nothing; one that held the thread back: see apply */
    default: st->global = true; break;
    }
}

/* How much the program has printed: written, and waiting in its streams. */
static uint64_t out_mark(void) {
    off_t at = lseek(STDOUT_FILENO, 0, SEEK_CUR);
    return (uint64_t)(at < 0 ? 0 : at) + __fpending(stdout) + __fpending(stderr);
}

/* The step being made printed (found at the next decision, or the end):
 * steps that print are ordered, as what they print is. */
static void fp_output(void) {
    if (!X.footprints)
        return;
    uint64_t now = out_mark();
    if (now == X.out_mark)
        return;
    X.out_mark = now;
    rl__step *st = fp_current();
    if (st)
        fp_touch(st, &X.threads[st->thread], FP_OUTPUT, 0, RL_TOUCH_WRITE);
}

/* A new step is decided: its record, and who else would take its signal. */
static void fp_begin(const rl__choice *ch) {
    fp_output(); /* the step before it ends here */
    rl__shm *s = X.shm;
    xthread *t = &X.threads[ch->chosen];
    if (X.core.step >= s->step_cap) {
        s->footprints_full = 1;
        return;
    }
    rl__pstep *ps = &rl__shm_steps(s)[X.core.step];
    ps->step = (rl__step){.thread = (uint8_t)ch->chosen, .spawned_at = t->spawned_at};
    ps->contested = rl__core_contested(&X.core, ch->decision.enabled);
    t->spawned_at = 0;
}

/* At a deadlock: what each blocked thread waits to do. At the process's
 * end (but for `ender`'s, the thread ending it; -1: none): what each
 * thread still there would have done next, had the exit waited. Those
 * steps are never made, but they race with the steps made: another order
 * may let them go. */
static void fp_pending(int ender) {
    if (!X.footprints)
        return;
    rl__shm *s = X.shm;
    s->npending = 0;
    for (uint32_t i = 0; i < X.core.nthreads; i++) {
        xthread *t = &X.threads[i];
        if (t->c.state != RL_CORE_LIVE || (int)i == ender)
            continue;
        rl__step *st = &s->pending[s->npending++];
        *st = (rl__step){.thread = (uint8_t)i, .spawned_at = t->spawned_at};
        fp_op(st, t, t->c.op, t->c.o, true);
    }
}

static void describe_deadlock(void) {
    fp_pending(-1);
    char msg[512] = "deadlock:";
    X.core.preempted = false; /* the lines below are where threads wait, not steps */
    bool first = true;
    for (uint32_t i = 0; i < X.core.nthreads; i++) {
        xthread *t = &X.threads[i];
        if (t->c.state != RL_CORE_LIVE)
            continue;
        /* objects by address: racelab names them from the symbols */
        rl__blocked b = rl__core_blocked(&X.core, &t->c);
        char object[32], part[160];
        snprintf(object, sizeof object, "%#lx", b.o ? (unsigned long)b.o->addr : 0ul);
        const char *other = b.holder >= 0 ? X.shm->threads[b.holder].name : "nobody";
        rl__core_blocked_text(&t->c, &b, X.shm->threads[i].name, object, other, part,
                              sizeof part);
        if (strlen(msg) + strlen(part) + 2 < sizeof msg)
            snprintf(msg + strlen(msg), sizeof msg - strlen(msg), "%s %s", first ? "" : ";",
                     part);
        first = false;
        /* the blocked call itself ends the trace of this thread */
        trace(t, t->c.op == RL_POP_WAKE ? RL_POP_WAIT : t->c.op, t->c.o, t->where, false, 0,
              t->c.op == RL_POP_JOIN ? t->c.join_target : 0);
        if (X.shm->trace_on && X.shm->ntrace)
            rl__shm_trace(X.shm)[X.shm->ntrace - 1].marks |= 8u; /* RL_MARK_BLOCKED */
    }
    finish(RL_PFAIL_DEADLOCK, "%s", msg);
}

/* The core's choose hook: the plan racelab wrote for this schedule. */
static unsigned plan_choice(void *ctx, uint64_t step, uint64_t enabled, uint64_t lazy,
                            int current) {
    (void)ctx;
    (void)step; /* X.core.step */
    rl__shm *s = X.shm;
    unsigned def = rl__default_choice(enabled, lazy, current);
    switch (s->plan_kind) {
    case RL_PLAN_PREFIX:
        return X.core.step < s->plan_n ? s->prefix[X.core.step] : def;
    case RL_PLAN_DEVIATIONS:
        if (X.next_dev < s->plan_n && s->deviations[X.next_dev].step == X.core.step)
            return s->deviations[X.next_dev++].thread;
        return def;
    case RL_PLAN_PCT:
        return rl__pct_choose(&X.pct, X.core.step, rl__eager(enabled, lazy), current);
    case RL_PLAN_DELAYS:
        return rl__delays_choose(&X.delays, X.core.step, rl__eager(enabled, lazy), current);
    default:
        return def;
    }
}

/* A thread's name for the core's messages (core/fair.h). */
static const char *thread_name(void *ctx, unsigned i) {
    (void)ctx;
    return X.shm->threads[i].name;
}

static void no_fit(void *ctx, uint64_t step, unsigned asked, uint64_t enabled) {
    (void)ctx;
    X.shm->no_fit = 1;
    rl__choice_no_fit_text(X.shm->message, sizeof X.shm->message, "program", step, asked,
                           enabled);
}


/* Record a decision: one more step of the last run when it is the same. */
static void append_decision(rl__shm *s, const rl__decision *d) {
    rl__drun *runs = rl__shm_runs(s);
    const rl__decision *last = s->nruns ? &runs[s->nruns - 1].d : NULL;
    if (last && last->enabled == d->enabled && last->lazy == d->lazy &&
        last->current == d->current && last->chosen == d->chosen) {
        runs[s->nruns - 1].more++;
        return;
    }
    if (s->nruns >= s->decision_cap)
        return; /* never: there are no more runs than steps */
    rl__present_entry(&X.runs_present, runs, sizeof *runs, s->decision_cap * sizeof *runs,
                      s->nruns);
    runs[s->nruns++] = (rl__drun){.d = *d};
}

/* Up to which step the decision just made (thread `chosen` goes on) may
 * be repeated without the core: not the last step allowed, not past the
 * decisions' room, not where the plan has something to say (a prefix not
 * yet followed, a deviation, PCT or delays, whose choices depend on the
 * step), and not when steps are traced, footprinted or stopped at. */
static void repeat_budget(const rl__shm *s, unsigned chosen) {
    uint64_t until = s->max_steps ? s->max_steps - 1 : 0;
    if (s->decision_cap < until)
        until = s->decision_cap;
    if (s->trace_on || s->stop_at || X.footprints)
        until = 0;
    switch (s->plan_kind) {
    case RL_PLAN_PREFIX:
        if (X.core.step + 1 < s->plan_n) /* the next step is still the prefix's */
            until = 0;
        break;
    case RL_PLAN_DEVIATIONS:
        if (X.next_dev < s->plan_n && s->deviations[X.next_dev].step < until)
            until = s->deviations[X.next_dev].step;
        break;
    default: until = 0;
    }
    X.repeat_thread = chosen;
    X.repeat_until = until;
}

static bool record(void *ctx, const rl__choice *ch) {
    (void)ctx;
    rl__shm *s = X.shm;
    uint64_t step = X.core.step;
    if (X.footprints)
        rl__present_entry(&X.steps_present, rl__shm_steps(s), sizeof(rl__pstep),
                          s->step_cap * sizeof(rl__pstep), step);
    append_decision(s, &ch->decision);
    const rl__core_thread *goes = X.core.threads[ch->chosen];
    X.repeat_until = 0;
    if (ch->fits && !ch->preempted && !ch->timed_out &&
        ch->decision.current == (int8_t)ch->chosen && !goes->spinning &&
        (goes->op == RL_POP_LOAD || goes->op == RL_POP_STORE || goes->op == RL_POP_ATOMIC))
        repeat_budget(s, ch->chosen);
    if (s->stop_at && step + 1 == s->stop_at) {
        /* the last step of the replay is chosen: stop here for a debugger
         * (any process may attach), its thread about to go */
        prctl(PR_SET_PTRACER, PR_SET_PTRACER_ANY, 0, 0, 0);
        xthread *next = &X.threads[ch->chosen];
        while (!atomic_load_explicit(&next->tid, memory_order_acquire))
            real.yield(); /* a new thread: until it has started */
        s->stopped_serial = next->serial;
        s->stopped_tid = next->tid;
        __atomic_store_n(&s->stopped_pid, (int32_t)getpid(), __ATOMIC_RELEASE);
        raise(SIGSTOP);
    }
    if (X.footprints)
        fp_begin(ch);
    s->preemptions += ch->preempted;
    s->nsteps = step + 1;
    return true; /* the region holds max_steps decisions: all of them */
}

/* Another thread goes before the creator: the create itself happened
 * before this step, within the creator's last. */
static void passed_over(void *ctx, rl__core_thread *caller, rl__core_thread *chosen) {
    (void)ctx;
    (void)chosen;
    xthread *t = (xthread *)caller;
    if (t->c.op != RL_POP_RESUME || t->create_traced)
        return;
    bool preempted = X.core.preempted;
    X.core.preempted = false;
    X.core.step--;
    trace(t, RL_POP_SPAWN, NULL, t->where, false, 0, t->c.join_target);
    X.core.step++;
    X.core.preempted = preempted;
    t->create_traced = true;
}

/* Whether t's move op (applied) is progress for fairness under reduction:
 * a synchronization call that did something (a lock taken or released, a
 * signal, a post, a thread made or joined...), not a try or timed wait that
 * took nothing, and not a memory access: a loop that only reads, writes
 * and yields may be waiting (for a flag, in a test-and-set or a counting
 * poll), and is held back as a spin. */
static bool progress(const xthread *t, uint8_t op) {
    switch (op) {
    case RL_POP_YIELD:
    case RL_POP_SLEEP:
    case RL_POP_LOAD:
    case RL_POP_STORE:
    case RL_POP_ATOMIC: return false;
    case RL_POP_TRYLOCK:
    case RL_POP_SPINTRY:
    case RL_POP_TRYRDLOCK:
    case RL_POP_TRYWRLOCK:
    case RL_POP_SEMTRY: return t->c.result_ok;
    case RL_POP_TIMEDLOCK:
    case RL_POP_TIMEDRDLOCK:
    case RL_POP_TIMEDWRLOCK:
    case RL_POP_SEMTIMED:
    case RL_POP_TIMEDWAIT: return !t->c.timed_out;
    default: return true;
    }
}

/* The core's apply, and the step's trace line. */
static bool apply(void *ctx, rl__core_thread *c, bool timed_out) {
    (void)ctx;
    xthread *t = (xthread *)c;
    uint8_t op = t->c.op;
    obj *o = t->c.o;
    rl__step *st = fp_current();
    /* a spin makes way as a yield does, unless a write it awaited woke it
     * (a spin awaiting a write goes only when no other thread could) */
    bool spins_on = t->c.spinning;
    bool yields = op == RL_POP_YIELD || op == RL_POP_SLEEP || spins_on;
    if (st && t->after_yield)
        st->global = true; /* after a yield that held it back: after the others' moves */
    if (t->woken) { /* woken by a write to what it read: it comes after that write */
        t->woken = false;
        if (st)
            fp_memory(st, t, t->woke_addr, t->woke_size, RL_TOUCH_NEEDED);
    }
    if (op == RL_POP_WAIT || op == RL_POP_TIMEDWAIT) {
        trace(t, op, o, t->where, false, 0, 0); /* before it becomes a wake */
        fp_op(st, t, op, o, false);
        if (t->c.wait_mutex)
            fp_released(t, t->c.wait_mutex);
    }
    if (!rl__core_apply(&X.core, c, timed_out))
        return false;
    /* A yield that held the thread back (fairness: threads that could go
     * at its previous yield could go all along since and did not move)
     * depends on every step, and so does the thread's next step (the
     * reduced search then proves nothing: dpor.c's fair_held). A yield
     * that held nothing back touches nothing: a sleep between a read and a
     * write changes nothing. Under reduction a thread's fairness window
     * closes at any synchronization that did something (progress()), so
     * that only a loop of memory accesses, yields and failed tries is held
     * back: a sleep in each of a thread's critical sections is no spin. */
    t->after_yield = yields && X.core.fair.below[t->c.index];
    if (t->after_yield) {
        X.shm->fair_yield = 1;
        if (st)
            st->global = true;
    }
    if (X.reduced && progress(t, op))
        rl__fair_progress(&X.core.fair, t->c.index);
    if (op != RL_POP_WAIT && op != RL_POP_TIMEDWAIT)
        fp_op(st, t, op, o, false);
    switch (op) {
    case RL_POP_TRYLOCK:
    case RL_POP_SPINTRY:
    case RL_POP_TRYRDLOCK:
    case RL_POP_TRYWRLOCK:
    case RL_POP_SEMTRY: trace(t, op, o, t->where, true, t->c.result_ok, 0); break;
    case RL_POP_TIMEDLOCK:
    case RL_POP_TIMEDRDLOCK:
    case RL_POP_TIMEDWRLOCK:
    case RL_POP_SEMTIMED: trace(t, op, o, t->where, true, t->c.timed_out, 0); break;
    case RL_POP_WAKE: trace(t, op, o, t->where, t->c.timed, t->c.timed_out, 0); break;
    case RL_POP_YIELD:
    case RL_POP_SLEEP: trace(t, op, NULL, t->where, false, 0, 0); break;
    case RL_POP_JOIN: trace(t, op, NULL, t->where, false, 0, t->c.join_target); break;
    case RL_POP_READ:
    case RL_POP_WRITE:
    case RL_POP_ACCEPT: trace(t, op, NULL, t->where, false, t->io.fd, 0); break;
    case RL_POP_WAITPID: trace(t, op, NULL, t->where, false, t->io.pid, 0); break;
    case RL_POP_POLL:
    case RL_POP_SELECT:
    case RL_POP_EPOLL:
        trace(t, op, NULL, t->where, t->c.timed, t->c.timed_out, (uint32_t)t->io.nfds);
        break;
    case RL_POP_RESUME:
        trace(t, t->create_traced ? RL_POP_RESUME : RL_POP_SPAWN, NULL, t->where, false, 0,
              t->c.join_target);
        t->create_traced = false;
        break;
    default: trace(t, op, o, t->where, false, 0, 0); break;
    }
    return true;
}

/* The schedule is over: the process ends with it. */
static void end(void *ctx, rl__core_end why, rl__core_thread *caller, bool exiting) {
    (void)ctx;
    (void)caller;
    (void)exiting;
    if (why == RL_CORE_DEADLOCK)
        describe_deadlock();
    if (why == RL_CORE_LIVELOCK) {
        /* fair to every thread and still not done: the failure names the
         * spinners, the threads that yielded or slept in the last tenth */
        char text[256];
        rl__fair_livelock_text(&X.core.fair, rl__core_live(&X.core), X.shm->max_steps,
                               thread_name, NULL, text, sizeof text);
        finish(RL_PFAIL_LIVELOCK, "%s", text);
    }
    /* every thread ended: the process ends with the last of them */
    fp_output();
    flush_streams();
    quit(0);
}

/* Hand the baton on; wait for it to come back unless this thread ended. */
static void switch_hook(void *ctx, rl__core_thread *from, rl__core_thread *to, bool exiting) {
    (void)ctx;
    if (exiting) {
        self_index = -1; /* what this thread does from here is not ours */
        hand_to((xthread *)to);
        return;
    }
    switch_to((xthread *)from, (xthread *)to);
}

static void refresh_spinners(void *ctx);

static const rl__core_hooks hooks = {
    .other_can_go = other_can_go,
    .outside_ready = outside_ready,
    .await_outside = await_outside_hook,
    .refresh = refresh_spinners,
    .choose = plan_choice,
    .no_fit = no_fit,
    .record = record,
    .passed_over = passed_over,
    .apply = apply,
    .end = end,
    .switch_to = switch_hook,
};

/* A visible operation of the calling thread. */
static void point(uint8_t op, obj *o, uint64_t where) {
    xthread *t = &X.threads[self_index];
    t->c.op = op;
    t->c.o = o;
    t->where = where;
    t->nseen = 0; /* a step: what it saw before no longer marks a spin */
    take_callers(t, where);
    rl__core_schedule_from(&X.core, &t->c);
}
/* An operation that takes effect within the current step. */
static void immediate(uint8_t op, obj *o, uint64_t where, uint32_t other) {
    xthread *t = &X.threads[self_index];
    X.repeat_until = 0; /* it changed the model: the next step is decided afresh */
    bool preempted = X.core.preempted;
    X.core.preempted = false;
    t->nseen = 0; /* a thread call: progress, no spin */
    take_callers(t, where); /* its pending operation was applied: they are free */
    trace(t, op, o, where, false, 0, other);
    if (X.footprints) {
        fp_op(fp_current(), t, op, o, false);
        if ((op == RL_POP_UNLOCK || op == RL_POP_SPINUNLOCK) && o && !o->owner)
            fp_released(t, o);
    }
    X.core.preempted = preempted;
}

__attribute__((noreturn, format(printf, 1, 2))) static void misuse(const char *fmt, ...) {
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    finish(RL_PFAIL_MISUSE, "%s: %s", X.shm->threads[self_index].name, msg);
}

/* The calling thread is about to end the process (op: exit, or abort):
 * a decision point, natively others may still run until it is over;
 * once it is made, the threads still there never make their next steps,
 * which race with it (a step that depends on every other). */
static void ending(uint8_t op, uint64_t where) {
    if (controlled()) {
        point(op, NULL, where);
        fp_pending(self_index);
    }
}

/* exit(), or main returned: an atexit handler, because main's return
 * reaches exit inside libc, where no call can be interposed. */
static void process_exit(void) { ending(RL_POP_EXIT_PROCESS, 0); }

/* _exit() ends the process as exit() does, without its handlers (libc's
 * exit reaches its own _exit, not this). */
EXPORT void _exit(int status) {
    ending(RL_POP_EXIT_PROCESS, CALLER);
    quit(status);
}

EXPORT void _Exit(int status) {
    ending(RL_POP_EXIT_PROCESS, CALLER);
    quit(status);
}

/* ---- the fork server ---- */

/* A thread dies of a signal (a crash, an assertion's abort inside libc
 * where no call is interposed, a raise) in the middle of its step: under
 * the reduced search the process ends with that step, which so depends
 * on every other, and the threads still there never make their next
 * steps, which race with them (as at exit). Then the signal is raised
 * again, its default action back: the process dies of it, as it would
 * have (returning would swallow one that was raised, not caused). */
static void on_fatal(int sig) {
    if (controlled() && X.footprints) {
        rl__step *st = fp_current();
        if (st)
            st->global = true;
        fp_pending(self_index);
    }
    raise(sig);
}

/* In the fork server of a program built by racelab cc (its copies
 * inherit it): on_fatal for the signals that kill a program, where the
 * program left them at their default (its own handlers, set before or
 * after, are left alone: a crash then records nothing). Once per signal
 * in a copy, then the default again. */
static void catch_fatal(void) {
    static const int sigs[] = {SIGABRT, SIGSEGV, SIGBUS, SIGFPE, SIGILL};
    for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++) {
        struct sigaction old;
        if (sigaction(sigs[i], NULL, &old) != 0 || old.sa_handler != SIG_DFL ||
            (old.sa_flags & SA_SIGINFO))
            continue;
        struct sigaction sa = {.sa_handler = on_fatal, .sa_flags = SA_RESETHAND | SA_NODEFER};
        sigemptyset(&sa.sa_mask);
        sigaction(sigs[i], &sa, NULL);
    }
}

static void init_run(void) {
    rl__shm *s = X.shm;
    X.in_child = true;
    rl__core_reset(&X.core);
    X.core.hooks = &hooks;
    X.core.max_steps = s->max_steps;
    X.core.cur = 0;
    X.next_dev = 0;
    X.pct = s->pct;
    X.delays = s->delays;
    s->fail = RL_PFAIL_NONE;
    s->no_fit = 0;
    s->message[0] = '\0';
    s->nsteps = 0;
    s->nruns = 0;
    s->preemptions = 0;
    s->outside_last = 0;
    s->weak_order = 0;
    s->spin_awaited = 0;
    s->fair_yield = 0;
    s->ntrace = 0;
    s->nthreads = 1;
    X.threads[0] = (xthread){.has_handle = true, .handle = pthread_self(),
                             .tid = s->stop_at ? (pid_t)syscall(SYS_gettid) : 0,
                             .stack_lo = X.main_stack_lo,
                             .stack_hi = X.main_stack_hi};
    X.stacks_lo = X.main_stack_hi ? X.main_stack_lo : UINTPTR_MAX; /* none known: empty */
    X.stacks_hi = X.main_stack_hi;
    s->instrumented = X.instrumented;
    X.races_on = X.instrumented && s->races;
    X.plain_points = !X.races_on || s->races_listed || s->plain_points;
    X.footprints = s->footprints != 0;
    X.reduced = s->footprints == 2;
    X.runs_present = X.steps_present = (rl__present){0};
    s->races_incomplete = 0;
    s->nraces = 0;
    s->races_unlisted = 0;
    if (X.races_on)
        rl__races_reset(&s->races_incomplete);
    rl__core_new_thread(&X.core, &X.threads[0].c, 0, RL_POP_NONE);
    snprintf(s->threads[0].name, RL_NAME_MAX, "main");
    s->threads[0].start = 0;
    s->nserials = 1;
    s->serial_start[0] = 0;
    self_index = 0;
    /* line-buffered, as on a terminal, so that what the program prints keeps
     * its order with its error output; only while nothing was printed yet
     * (setvbuf is for a stream not used) */
    if (__fbufsize(stdout) == 0)
        setvbuf(stdout, NULL, _IOLBF, 0);
    if (X.footprints)
        X.out_mark = out_mark();
}

/* Wait for pid, the copy running a schedule; returns its status. It is
 * killed (*timed_out) only when it made no step for limit_ns: a schedule
 * that keeps making steps is bounded by --max-steps, which counts steps,
 * so a busy machine, slowing every step, never decides a verdict; one that
 * makes none spins or waits where racelab sees no call. */
static int wait_limited(pid_t pid, uint64_t limit_ns, uint32_t *timed_out, uint32_t *cut) {
    int status = 0;
    *timed_out = 0;
    *cut = 0;
    int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    if (pidfd >= 0) {
        /* the copy's end, or a message from racelab: RL_MSG_CUT */
        struct pollfd p[2] = {{.fd = pidfd, .events = POLLIN}, {.fd = X.ctl, .events = POLLIN}};
        int ms = !limit_ns                          ? -1
                 : limit_ns / 1000000u > INT_MAX ? INT_MAX
                                                   : (int)(limit_ns / 1000000u);
        uint64_t seen = __atomic_load_n(&X.shm->nsteps, __ATOMIC_RELAXED);
        for (;;) {
            int r;
            while ((r = real.poll(p, 2, ms ? ms : 1)) < 0 && errno == EINTR)
                ;
            if (r != 0 && (p[0].revents || r < 0))
                break;
            if (r != 0) {
                char m;
                if (real.read(X.ctl, &m, 1) != 1 || m == RL_MSG_CUT) {
                    /* the search's deadline (or racelab is gone) */
                    kill(pid, SIGKILL);
                    *cut = 1;
                    break;
                }
                continue;
            }
            uint64_t now = __atomic_load_n(&X.shm->nsteps, __ATOMIC_RELAXED);
            if (now == seen && !__atomic_load_n(&X.shm->stopped_pid, __ATOMIC_ACQUIRE)) {
                kill(pid, SIGKILL);
                *timed_out = 1;
                break;
            }
            seen = now;
        }
        close(pidfd);
    }
    while (real.waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    return status;
}

/* pthread_atfork's child handler. A copy made by serve() for a schedule
 * is controlled; any other fork() (the program's own) makes a process
 * racelab does not explore: it runs natively, and only the explored
 * process's exit counts. */
static void forked(void) {
    if (X.forking_schedule)
        return;
    X.child_forks = 0;
    if (X.shm)
        __atomic_fetch_add(&X.shm->forks, 1, __ATOMIC_RELAXED);
    X.on = false;
    X.in_child = false;
    X.server = false;
    self_index = -1;
}

static void forked_parent(void) {
    if (!X.forking_schedule)
        X.child_forks++;
}

/* The pipes open now (in the server, at the program's first thread). */
static void note_server_pipes(void) {
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) && X.nserver_pipes < sizeof X.server_pipes / sizeof X.server_pipes[0]) {
        struct stat st;
        if (e->d_name[0] != '.' && fstat(atoi(e->d_name), &st) == 0 && S_ISFIFO(st.st_mode)) {
            X.server_pipes[X.nserver_pipes].dev = st.st_dev;
            X.server_pipes[X.nserver_pipes++].ino = st.st_ino;
        }
    }
    closedir(d);
}

static void stack_of(pthread_t th, uintptr_t *lo, uintptr_t *hi);

/* Called at the program's first thread creation: from now on this
 * process forks one copy per schedule and returns only in the copies. */
static void serve(void) {
    X.server = true;
    if (X.instrumented) /* main's stack, the same in every copy (racelab cc's hooks skip it) */
        stack_of(pthread_self(), &X.main_stack_lo, &X.main_stack_hi);
    note_server_pipes();
    if (X.instrumented) /* the reduced search: what a crash leaves undone races too */
        catch_fatal();
    X.shm->instrumented = X.instrumented; /* racelab knows it before the first schedule */
    uintptr_t where[] = {(uintptr_t)__builtin_frame_address(0), (uintptr_t)sbrk(0),
                         (uintptr_t)&X, (uintptr_t)getauxval(AT_PHDR), (uintptr_t)&environ};
    uint64_t layout = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < sizeof where / sizeof *where; i++)
        layout = (layout ^ where[i]) * 0x100000001b3ull;
    X.shm->layout = layout;
    char m = RL_MSG_READY;
    if (real.write(X.ctl, &m, 1) != 1)
        quit(0);
    for (;;) {
        ssize_t got;
        while ((got = real.read(X.ctl, &m, 1)) == 1 && m == RL_MSG_CUT)
            ; /* a schedule's end asked for after it ended by itself */
        if (got != 1 || m != RL_MSG_GO)
            quit(0);
        if (ftruncate(X.outfd, 0) != 0 || lseek(X.outfd, 0, SEEK_SET) != 0)
            quit(0);
        X.forking_schedule = true;
        pid_t pid = fork();
        X.forking_schedule = false;
        if (pid == 0) {
            close(X.ctl);
            dup2(X.outfd, STDOUT_FILENO);
            dup2(X.outfd, STDERR_FILENO);
            init_run();
            return;
        }
        uint32_t timed_out = 0, cut = 0;
        int status = pid > 0 ? wait_limited(pid, X.shm->time_limit_ns, &timed_out, &cut) : -1;
        X.shm->status = status;
        X.shm->timed_out = timed_out;
        X.shm->cut = cut;
        m = RL_MSG_DONE;
        if (real.write(X.ctl, &m, 1) != 1)
            quit(0);
    }
}

__attribute__((constructor)) static void start(void) {
    lookup_all();
    const char *ctl = getenv(RL_ENV_CTL), *shm = getenv(RL_ENV_SHM), *out = getenv(RL_ENV_OUT);
    if (!ctl || !shm || !out)
        return; /* not run by racelab: inert */
    X.ctl = atoi(ctl);
    X.outfd = atoi(out);
    int shmfd = atoi(shm);
    rl__shm *head = mmap(NULL, sizeof(rl__shm), PROT_READ, MAP_SHARED, shmfd, 0);
    if (head == MAP_FAILED)
        return;
    size_t size = rl__shm_size(head->decision_cap, head->trace_cap, head->step_cap);
    munmap(head, sizeof(rl__shm));
    X.shm = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, shmfd, 0);
    if (X.shm == MAP_FAILED || X.shm->version != RL_PROTO_VERSION) {
        X.shm = NULL;
        return;
    }
    uint32_t pid = (uint32_t)getpid();
    if (X.shm->loaded_pid && X.shm->loaded_pid != pid) {
        /* a process the program started (the variables reach it): it runs
         * natively, counted so that racelab can say it did not follow it */
        __atomic_fetch_add(&X.shm->others, 1, __ATOMIC_RELAXED);
        munmap(X.shm, size);
        X.shm = NULL;
        unsetenv(RL_ENV_CTL);
        unsetenv(RL_ENV_SHM);
        unsetenv(RL_ENV_OUT);
        return;
    }
    /* the program itself, or what it exec'd (same process: followed, so a
     * wrapper script that ends in exec is explored as the program it runs) */
    X.shm->loaded_pid = pid;
    X.on = true;
    /* a fork() of the program's own runs outside the scheduler */
    pthread_atfork(NULL, forked_parent, forked);
    /* pthread_exit unwinds with libgcc_s, which glibc loads on first use:
     * load it once here rather than in every schedule's copy */
    (void)dlopen("libgcc_s.so.1", RTLD_NOW | RTLD_GLOBAL);
    atexit(process_exit);
    /* the main thread is thread 0 from the start: what it locks before its
     * first thread is held in the model too */
    self_index = 0;
    rl__core_reset(&X.core);
    rl__core_new_thread(&X.core, &X.threads[0].c, 0, RL_POP_NONE);
}

/* ---- threads ---- */

/* A C11 thread's start routine and argument, for its pthread start. */
typedef struct {
    thrd_start_t fn;
    void *arg;
} c11_thread;

static void *c11_start(void *p) {
    c11_thread t = *(c11_thread *)p;
    free(p);
    return (void *)(intptr_t)t.fn(t.arg);
}

static void thread_end(uint64_t where);

/* A thread's stack, [lo, hi); both 0 when unknown. */
static void stack_of(pthread_t th, uintptr_t *lo, uintptr_t *hi) {
    pthread_attr_t a;
    void *addr;
    size_t size;
    *lo = *hi = 0;
    if (pthread_getattr_np(th, &a) != 0)
        return;
    if (pthread_attr_getstack(&a, &addr, &size) == 0) {
        *lo = (uintptr_t)addr;
        *hi = (uintptr_t)addr + size;
    }
    pthread_attr_destroy(&a);
}

/* ---- memory, in a program built by racelab cc (tsan_hooks.c) ---- */

void rl__mem_seen(void);
void rl__mem_access(const volatile void *addr, size_t size, int kind, int mo, uint64_t where);

void rl__mem_seen(void) { X.instrumented = true; }

/* Mark the trace line of thread slot t's memory access in step `step` as
 * one side of a data race (RL_MARK_RACE). */
static void mark_race(uint32_t step, uint32_t t) {
    rl__shm *s = X.shm;
    uint64_t n = s->ntrace < s->trace_cap ? s->ntrace : s->trace_cap;
    for (uint64_t i = n; i-- > 0;) {
        rl__ptrace *p = &rl__shm_trace(s)[i];
        if (p->step == step && p->thread == t && (p->op == RL_POP_LOAD || p->op == RL_POP_STORE)) {
            p->marks |= 32u; /* RL_MARK_RACE */
            return;
        }
    }
}

/* A data race, listed (--races list): once per pair of places. */
static void list_race(uintptr_t a, const rl__race_side *other, const xthread *t, bool write,
                      uint64_t where) {
    rl__shm *s = X.shm;
    rl__prace r = {.addr = a,
                   .where = {other->where, where},
                   .serial = {X.threads[other->thread].serial, t->serial},
                   .write = {other->write, write}};
    for (uint32_t i = 0; i < s->nraces; i++)
        if (s->race_list[i].addr == a && s->race_list[i].where[0] == r.where[0] &&
            s->race_list[i].where[1] == r.where[1])
            return;
    if (s->nraces < RL_RACES_MAX)
        s->race_list[s->nraces++] = r;
    else
        s->races_unlisted = 1;
}

/* The value of up to 8 bytes at addr (a wider access: 0). */
static uint64_t value_at(const volatile void *addr, size_t size) {
    const void *p = (const void *)addr;
    uint8_t v1;
    uint16_t v2;
    uint32_t v4;
    uint64_t v8 = 0;
    switch (size) { /* fixed sizes: a load each, not a call to memcpy */
    case 1: memcpy(&v1, p, 1); return v1;
    case 2: memcpy(&v2, p, 2); return v2;
    case 4: memcpy(&v4, p, 4); return v4;
    case 8: memcpy(&v8, p, 8); return v8;
    default:
        if (size < sizeof v8)
            memcpy(&v8, p, size);
        return v8;
    }
}

/* A memory access as a step decided by the core (not repeated). */
static __attribute__((noinline)) void mem_point(uint8_t op, uintptr_t a, uint64_t where) {
    obj m = {.addr = a}; /* lives while the step is pending: for its trace */
    point(op, &m, where);
}

/* A plain access that was no step, into the trace as a line of the step it
 * was made in (after that step's other lines), marked as one side of a
 * data race: the trace shows both accesses, as it does where they are
 * steps. */
static void trace_side(uint32_t thread, bool write, uintptr_t a, uint64_t where, uint32_t step) {
    rl__shm *s = X.shm;
    if (!s->trace_on || s->ntrace >= s->trace_cap)
        return;
    rl__ptrace *tr = rl__shm_trace(s);
    uint64_t at = s->ntrace;
    while (at > 0 && tr[at - 1].step > step)
        at--;
    memmove(&tr[at + 1], &tr[at], (size_t)(s->ntrace - at) * sizeof *tr);
    s->ntrace++;
    tr[at] = (rl__ptrace){.step = step, .thread = (uint8_t)thread,
                          .op = write ? RL_POP_STORE : RL_POP_LOAD, .marks = 32u /* RL_MARK_RACE */,
                          .obj = a, .where = where, .serial = X.threads[thread].serial};
}

/* t's access of a (a write or a read, at where) races with *other's. */
static __attribute__((noinline, cold)) void race_found(const xthread *t, uintptr_t a, bool write,
                                                       uint64_t where, const rl__race_side *other) {
    if (X.plain_points) { /* both were steps: their trace lines are marked */
        mark_race(other->step, other->thread);
        mark_race((uint32_t)X.core.step, t->c.index);
    } else { /* neither was: both go into the trace, marked */
        trace_side(other->thread, other->write, a, other->where, other->step);
        trace_side(t->c.index, write, a, where, (uint32_t)X.core.step);
    }
    if (X.shm->races_listed)
        list_race(a, other, t, write, where);
    else
        finish(RL_PFAIL_RACE,
               "data race on %#lx: %s's %s in step %u and %s's %s in step %llu are not "
               "ordered by any synchronization",
               (unsigned long)a, X.shm->threads[other->thread].name,
               other->write ? "store" : "load", other->step, X.shm->threads[t->c.index].name,
               write ? "store" : "load", (unsigned long long)X.core.step);
}

/* The quick way through most memory accesses: t's last step was a memory
 * access that the default order let it make as the running thread, and
 * since then nothing of the model changed (no other thread moved; a thread
 * call or an object looked at clears X.repeat_until; a memory access changes
 * no object, and this one is not a spin). The decision is then the same
 * one again (the same threads can go, t goes on), made and recorded
 * without asking the core, unless the plan has something to say at this
 * step (a prefix not yet followed, a deviation here, PCT or delays, whose
 * choices depend on the step), or the step is traced, has its footprint
 * recorded, is the last one allowed, or is where a debugger stops. */
static bool repeat_step(const xthread *t) {
    uint64_t step = X.core.step;
    if (X.repeat_thread != t->c.index || step >= X.repeat_until)
        return false;
    rl__shm *s = X.shm;
    rl__shm_runs(s)[s->nruns - 1].more++;
    s->nsteps = step + 1;
    X.core.step = step + 1;
    X.core.preempted = false;
    return true;
}

/* Whether t's access of its own stack at a is one another thread could see:
 * on a page of it another thread used. */
static bool stack_shared(const xthread *t, uintptr_t a) {
    if (t->all_shared)
        return true;
    for (uint8_t i = 0; i < t->nshared; i++)
        if (t->shared_page[i] == a >> 12)
            return true;
    return false;
}

/* t uses a, on some other thread's stack: that page of it is shared from
 * now on (its owner's accesses there are steps). Before, the owner's were
 * not seen: a race between one of them and this access is not found (the
 * verdict says so). */
static __attribute__((noinline)) void share_stack(const xthread *t, uintptr_t a) {
    for (uint32_t i = 0; i < X.core.nthreads; i++) {
        xthread *o = &X.threads[i];
        if (o == t || a < o->stack_lo || a >= o->stack_hi || stack_shared(o, a))
            continue;
        if (o->nshared < sizeof o->shared_page / sizeof o->shared_page[0])
            o->shared_page[o->nshared++] = a >> 12;
        else
            o->all_shared = true;
    }
}

/* Whether every value t read since its last write or thread call (the
 * latest four) is still there: its next turn of the loop would see
 * all of them again. */
static bool unchanged(const xthread *t, uint32_t nseen) {
    for (uint32_t i = 0; i < nseen && i < 4; i++)
        if (value_at((const volatile void *)t->seen[i].addr, t->seen[i].size) != t->seen[i].value)
            return false;
    return true;
}

/* A hash of the 256 bytes of t's stack from `from` (the memory hook's
 * frame) up: the hook's frame and the innermost frames of the code that
 * reads, where a count kept in memory (as at -O0), or a callee-saved
 * register the hook saved, differs from one turn of a loop to the next.
 * 0: the stack is not known. */
__attribute__((no_sanitize_address)) static uint64_t stack_hash(const xthread *t, uintptr_t from) {
    if (from < t->stack_lo || from >= t->stack_hi)
        return 0;
    uintptr_t to = t->stack_hi - from > 256 ? from + 256 : t->stack_hi;
    uint64_t h = 1469598103934665603ull;
    for (uintptr_t p = (from + 7) & ~(uintptr_t)7; p + 8 <= to; p += 8)
        h = (h ^ *(const volatile uint64_t *)p) * 1099511628211ull;
    return h | 1;
}

/* t spins with nothing it read changed: a turn more would do exactly what
 * the last did, so it waits for another thread to write what it read
 * (the core leaves it out of the threads that can go; it goes anyway
 * when no other can). */
static void await_write(xthread *t, uint32_t nseen) {
    t->nawait = 0;
    for (uint32_t i = 0; i < nseen && i < 4; i++, t->nawait++) {
        t->await_on[i].addr = t->seen[i].addr;
        t->await_on[i].size = t->seen[i].size;
        t->await_on[i].value = t->seen[i].value;
    }
    t->woken = false;
    X.core.awaiting |= 1ull << t->c.index;
    X.shm->spin_awaited = 1;
    X.repeat_until = 0; /* the threads that can go changed */
}

/* writer is about to store to [a, a + size): if a spinner read any of
 * it, the next step is decided by the core, which asks refresh_spinners
 * whether the value changed (a store of the value it saw changes nothing:
 * two spinners that swap in the same 1 do not wake each other). */
static __attribute__((noinline)) void watch_spinners(const xthread *writer, uintptr_t a,
                                                     size_t size) {
    for (uint64_t m = X.core.awaiting; m; m &= m - 1) {
        const xthread *t = &X.threads[__builtin_ctzll(m)];
        for (uint32_t i = 0; i < t->nawait && t != writer; i++)
            if (a < t->await_on[i].addr + t->await_on[i].size && t->await_on[i].addr < a + size)
                X.repeat_until = 0;
    }
}

/* The core's refresh, before each decision: a spinner one of whose words
 * no longer holds what it saw may go again, its step needing the write
 * that changed it (ordered after every write to that word). */
static void refresh_spinners(void *ctx) {
    (void)ctx;
    for (uint64_t m = X.core.awaiting; m; m &= m - 1) {
        xthread *t = &X.threads[__builtin_ctzll(m)];
        for (uint32_t i = 0; i < t->nawait; i++)
            if (value_at((const volatile void *)t->await_on[i].addr, t->await_on[i].size) !=
                t->await_on[i].value) {
                t->c.spinning = false; /* it goes on a change: no yield */
                t->woken = true;
                t->woke_addr = t->await_on[i].addr;
                t->woke_size = t->await_on[i].size;
                X.core.awaiting &= ~(1ull << t->c.index);
                break;
            }
    }
}

/* Which of t's latest reads (a mask of its four) a load of a (size bytes,
 * at where) repeats: the same place, address and value, a turn of a spin. */
static unsigned repeated(const xthread *t, uintptr_t a, size_t size, uint64_t where) {
    if (!t->nseen || size > sizeof(uint64_t))
        return 0;
    uint64_t now = value_at((const volatile void *)a, size);
    unsigned like = 0;
    for (uint32_t i = 0; i < t->nseen && i < 4; i++)
        like |= (unsigned)(t->seen[i].where == where && t->seen[i].addr == a &&
                           t->seen[i].value == now) << i;
    return like;
}

/* t read a (size bytes, at where, its stack then `stack`, 0 when not
 * taken) as its read number n since its last write or thread call:
 * nothing else runs until its next step, so it saw what is there now. */
static void note_seen(xthread *t, uint32_t n, uintptr_t a, size_t size, uint64_t where,
                      uint64_t stack) {
    t->seen[n % 4].where = where;
    t->seen[n % 4].addr = a;
    t->seen[n % 4].value = value_at((const volatile void *)a, size);
    t->seen[n % 4].size = (uint32_t)size;
    t->seen[n % 4].stack = stack;
    t->nseen = n + 1;
}

/* A plain load or store where a data race fails the schedule: no step,
 * checked for races only. A schedule then switches threads only at
 * synchronization calls and atomic operations, which is enough: up to
 * its first data race, a run's plain accesses of a word are all ordered
 * by those (else that is a race), so every order of the plain accesses
 * between them reads what the order of those makes it read; and the first
 * race of any run is between two accesses that no synchronization orders
 * in any run with the same order of synchronization, where the detector
 * sees it whatever the plain accesses' order (as CHESS has it: schedule
 * at synchronization, and check the rest for races). A load that repeats
 * one of the thread's latest (a spin on plain memory, itself a race with
 * the write it waits for) stays a step, so that the spinner makes way;
 * so does an access of another thread's stack, whose owner's accesses
 * there were not seen before (its step, dependent on all, lets the search
 * put it before them, where they are seen). */
static void plain_access(xthread *t, uintptr_t a, size_t size, bool write, uint64_t where) {
    rl__race_side other;
    if (rl__races_access((uint32_t)self_index, a, size, write, (uint32_t)X.core.step, where,
                         &other))
        race_found(t, a, write, where, &other);
    if (write) {
        t->nseen = 0; /* what it read before is no loop's turn */
        if (X.core.awaiting)
            watch_spinners(t, a, size);
        return;
    }
    if (size <= sizeof(uint64_t))
        note_seen(t, t->nseen, a, size, where, 0);
}

/* An access of memory (a load, a store, an atomic operation) by the
 * calling thread: a step, unless it is on the thread's own stack (on a
 * page no other thread used). A load
 * or atomic operation that repeats one of its latest (same place, same
 * address, same value, no write by it or thread call since) is a spin:
 * the core lets the others go first, as after a yield (fairness), so a
 * spin-wait makes way for the thread it waits for. */
void rl__mem_access(const volatile void *addr, size_t size, int kind, int mo, uint64_t where) {
    enum { READ, WRITE, ALOAD, ASTORE, ARMW, FENCE }; /* tsan_hooks.c's kinds */
    if (!controlled())
        return;
    xthread *t = &X.threads[self_index];
    /* an order weaker than seq_cst (tsan's 0 relaxed .. 4 acq_rel; 5
     * seq_cst) allows reorderings no interleaving shows: the verdict says
     * they were not tried (a relaxed fence does nothing at all) */
    if (kind >= ALOAD && mo != 5 && !(kind == FENCE && mo == 0))
        X.shm->weak_order = 1;
    if (kind == FENCE) { /* no step: it orders this thread's atomics */
        t->fence_acq |= mo == 1 || mo == 2 || mo >= 4;
        t->fence_rel |= mo >= 3;
        return;
    }
    uintptr_t a = (uintptr_t)addr;
    bool own = a >= t->stack_lo && a < t->stack_hi;
    if (own && ((!t->nshared && !t->all_shared) || !stack_shared(t, a)))
        return;
    uint32_t nseen = t->nseen; /* point() forgets them: any other step is progress */
    /* the earlier reads it repeats */
    unsigned like = kind != WRITE && kind != ASTORE ? repeated(t, a, size, where) : 0;
    if (!X.plain_points && (kind == WRITE || (kind == READ && !like)) &&
        (own || !on_other_stack(t, a))) {
        plain_access(t, a, size, kind == WRITE, where);
        return;
    }
    bool spin = like != 0, within = false;
    uint64_t stack = 0;
    if (spin && unchanged(t, nseen)) {
        /* A turn of a loop that sees all it saw in the last. If the
         * stack is what it was at this read's last repeat, the turn did
         * nothing of its own either (a count kept in memory, as at -O0,
         * would differ): it waits for a write to what it read. The first
         * repeat has its stack noted: made within the step it is in
         * (nothing can have changed since) when that step is another
         * read (a write between the two is the same as one before that
         * step, which the step's footprint orders), else a step as any
         * other (a write between two turns of a one-read loop is not
         * the same as one before both: a count of them would tell).
         * With another stack than before, it spins on as a yield. */
        stack = stack_hash(t, (uintptr_t)__builtin_frame_address(0));
        bool known = false, again = false;
        for (unsigned i = 0; i < 4; i++)
            if (like >> i & 1u && t->seen[i].stack) {
                known = true;
                again |= t->seen[i].stack == stack;
            }
        if (stack && again)
            await_write(t, nseen);
        else if (stack && !known) {
            spin = false;
            within = t->where != where; /* its step is at another place */
        }
    }
    t->c.spinning = spin;
    uint8_t op = kind == READ ? RL_POP_LOAD : kind == WRITE ? RL_POP_STORE : RL_POP_ATOMIC;
    if (within)
        fp_memory(fp_current(), t, a, (uint32_t)size, kind == ARMW ? RL_TOUCH_WRITE : RL_TOUCH_READ);
    else if (spin || !repeat_step(t)) {
        t->mem_size = (uint32_t)size;
        t->mem_kind = (uint8_t)kind;
        mem_point(op, a, where);
    } else {
        t->mem_size = (uint32_t)size;
        t->mem_kind = (uint8_t)kind;
        t->c.op = op; /* as point() would have it */
        t->where = where;
        t->nseen = 0;
    }
    t->c.spinning = false;
    if (X.core.awaiting && kind != READ && kind != ALOAD)
        watch_spinners(t, a, size);
    /* made (not only reached: what a step does is its own): on another
     * thread's stack, that page of it is shared from now on */
    if (!own && a >= X.stacks_lo && a < X.stacks_hi)
        share_stack(t, a);
    if (X.races_on && (kind == READ || kind == WRITE)) {
        rl__race_side other;
        if (rl__races_access((uint32_t)self_index, a, size, kind == WRITE, (uint32_t)X.core.step,
                             where, &other))
            race_found(t, a, kind == WRITE, where, &other);
    }
    if (kind >= ALOAD) { /* an atomic: its memory order's edges */
        bool acq = mo == 1 || mo == 2 || mo >= 4 || t->fence_acq;
        bool rel = mo >= 3 || t->fence_rel;
        if (kind != ASTORE && acq)
            hb_acquire((const void *)a);
        if (kind != ALOAD && rel)
            hb_release((const void *)a);
    }
    if (kind == WRITE || kind == ASTORE || size > sizeof(uint64_t))
        return;
    note_seen(t, nseen, a, size, where, stack);
}

static void *trampoline(void *arg) {
    xthread *t = arg;
    self_index = (int)t->c.index;
    /* only what this run needs: its stack for a program built by racelab
     * cc, its kernel id for a debugger (a thread starts in every schedule) */
    if (X.instrumented) {
        stack_of(pthread_self(), &t->stack_lo, &t->stack_hi);
        /* before the baton: one thread runs at a time from here */
        if (t->stack_lo < X.stacks_lo)
            X.stacks_lo = t->stack_lo;
        if (t->stack_hi > X.stacks_hi)
            X.stacks_hi = t->stack_hi;
    }
    if (X.shm->stop_at)
        atomic_store_explicit(&t->tid, (pid_t)syscall(SYS_gettid), memory_order_release);
    await_baton(t); /* until the schedule starts it: nothing of it runs before */
    void *ret = t->fn(t->arg);
    /* returned: no call to point at, and no unwinding needed (pthread_exit
     * would load libgcc_s into every schedule's copy to unwind) */
    thread_end(0);
    return ret;
}

EXPORT int pthread_create(pthread_t *th, const pthread_attr_t *attr, void *(*fn)(void *),
                          void *arg) {
    if (X.on && !X.in_child && !X.server)
        serve(); /* returns in each schedule's copy, with the model reset */
    if (!controlled())
        return real.create(th, attr, fn, arg);
    xthread *me = &X.threads[self_index];
    /* a slot: one whose thread ended and was joined (or detached), else a
     * new one; only threads that may still be joined count against the
     * limit */
    uint32_t slot = X.core.nthreads;
    for (uint32_t i = 1; i < X.core.nthreads && slot == X.core.nthreads; i++)
        if (X.threads[i].c.state == RL_CORE_DONE && (!X.threads[i].has_handle || X.threads[i].detached))
            slot = i;
    if (slot == RL_EX_MAX_THREADS)
        finish(RL_PFAIL_TOO_MANY, "the program has more than %d threads at once (not yet "
                                  "joined): the explorer supports at most %d (main included)",
               RL_EX_MAX_THREADS, RL_EX_MAX_THREADS);
    xthread *child = &X.threads[slot];
    uint32_t serial = X.shm->nserials < RL_SERIAL_MAX ? X.shm->nserials++ : RL_SERIAL_MAX - 1;
    *child = (xthread){.fn = fn, .arg = arg, .serial = serial,
                       .spawned_at = (uint32_t)X.core.step}; /* its spawner's step + 1 */
    if (X.footprints)
        fp_op(fp_current(), me, RL_POP_SPAWN, NULL, false);
    rl__core_new_thread(&X.core, &child->c, slot, RL_POP_START);
    if (X.races_on) /* the creator's past happens before all of the new thread */
        rl__races_spawn((uint32_t)self_index, slot);
    rl__pthread_info *info = &X.shm->threads[slot];
    info->start = fn == c11_start ? (uint64_t)(uintptr_t)((c11_thread *)arg)->fn
                                  : (uint64_t)(uintptr_t)fn;
    X.shm->serial_start[serial] = info->start;
    snprintf(info->name, RL_NAME_MAX, "T%u", serial);
    int rc = real.create(&child->handle, attr, trampoline, child);
    if (rc != 0) {
        child->c.state = RL_CORE_DONE; /* never ran: its slot is free again */
        return rc;
    }
    X.shm->nthreads = X.core.nthreads;
    child->has_handle = true;
    *th = child->handle;
    child->where = info->start + 1; /* its start: the routine's first line */
    /* a choice: the creator goes on, or the new thread starts first (or
     * any other): nothing of the child has run yet. The create is traced
     * as the creator's step when it goes on at once (apply), else within
     * the step before (schedule_from) */
    me->c.join_target = child->c.index;
    me->create_traced = false;
    point(RL_POP_RESUME, NULL, CALLER);
    return 0;
}

static xthread *by_handle(pthread_t th) {
    for (uint32_t i = 0; i < X.core.nthreads; i++)
        if (X.threads[i].has_handle && pthread_equal(X.threads[i].handle, th))
            return &X.threads[i];
    return NULL;
}

EXPORT int pthread_join(pthread_t th, void **ret) {
    if (!controlled())
        return real.join(th, ret);
    xthread *t = by_handle(th);
    if (!t)
        return real.join(th, ret);
    if (t->c.index == (uint32_t)self_index)
        return EDEADLK;
    X.threads[self_index].c.join_target = t->c.index;
    point(RL_POP_JOIN, NULL, CALLER);
    if (X.races_on) /* all of the joined thread happens before what follows */
        rl__races_join((uint32_t)self_index, t->c.index);
    t->has_handle = false; /* joined: its handle may be reused */
    return real.join(th, ret);
}

EXPORT int pthread_detach(pthread_t th) {
    if (controlled()) {
        xthread *t = by_handle(th);
        if (t) {
            t->detached = true;
            immediate(RL_POP_DETACH, NULL, CALLER, t->c.index);
        }
    }
    return real.detach(th);
}

EXPORT void pthread_exit(void *ret) {
    thread_end(CALLER);
    real.exit(ret);
}

/* The calling thread ends: hand the baton on for good. */
static void thread_end(uint64_t where) {
    if (controlled()) {
        xthread *t = &X.threads[self_index];
        immediate(RL_POP_EXIT, NULL, where, 0);
        t->c.state = RL_CORE_DONE;
        t->c.op = RL_POP_NONE;
        rl__core_hand_on(&X.core, &t->c);
    }
}

/* ---- mutexes ---- */

EXPORT int pthread_mutex_init(pthread_mutex_t *m, const pthread_mutexattr_t *a) {
    int rc = real.mutex_init(m, a);
    if (X.on && rc == 0)
        forget(m); /* a new mutex: its type is read on first use */
    return rc;
}

EXPORT int pthread_mutex_destroy(pthread_mutex_t *m) {
    if (X.on) {
        obj *o = find(m, RL_OBJ_MUTEX);
        if (controlled() && o->owner)
            misuse("destroys mutex %p while it is held", (void *)m);
        forget(m);
    }
    return real.mutex_destroy(m);
}

static int lock_common(pthread_mutex_t *m, uint8_t op, uint64_t where) {
    obj *o = mutex_obj(m);
    uint32_t me = (uint32_t)self_index + 1;
    if (o->owner == me && !o->recursive) {
        if (o->errorcheck)
            return op == RL_POP_TRYLOCK ? EBUSY : EDEADLK;
        if (op != RL_POP_TRYLOCK)
            misuse("locks mutex %p that it already holds: it would wait forever", (void *)m);
    }
    if (!X.in_child) { /* before the first thread: only main runs */
        if (o->owner && o->owner != me)
            return EBUSY;
        o->owner = me;
        o->count++;
        return 0;
    }
    point(op, o, where); /* a try-lock's result is decided in its step */
    xthread *t = &X.threads[self_index];
    if (op == RL_POP_TRYLOCK ? !t->c.result_ok : t->c.timed_out)
        return op == RL_POP_TRYLOCK ? EBUSY : ETIMEDOUT;
    hb_acquire(m);
    return 0;
}

EXPORT int pthread_mutex_lock(pthread_mutex_t *m) {
    if (!X.on || (X.in_child && self_index < 0))
        return real.mutex_lock(m);
    return lock_common(m, RL_POP_LOCK, CALLER);
}

EXPORT int pthread_mutex_trylock(pthread_mutex_t *m) {
    if (!X.on || (X.in_child && self_index < 0))
        return real.mutex_trylock(m);
    return lock_common(m, RL_POP_TRYLOCK, CALLER);
}

EXPORT int pthread_mutex_timedlock(pthread_mutex_t *m, const struct timespec *ts) {
    if (!X.on || (X.in_child && self_index < 0))
        return real.mutex_timedlock(m, ts);
    return lock_common(m, RL_POP_TIMEDLOCK, CALLER);
}

EXPORT int pthread_mutex_clocklock(pthread_mutex_t *m, clockid_t clk, const struct timespec *ts) {
    if (!X.on || (X.in_child && self_index < 0))
        return real.mutex_clocklock(m, clk, ts);
    return lock_common(m, RL_POP_TIMEDLOCK, CALLER);
}

/* Whether the critical section the calling thread now ends on o made no
 * step (rl__core_took): then the release is a step of its own, made while
 * o is still held, for another thread's try-lock or timed lock may come in
 * between and find o busy; where the section made a step, another thread
 * could go there, and the release ends that step as before. Either way the
 * steps follow from the thread's own operations alone, the same in every
 * search and replay. */
static bool section_stepless(const obj *o) { return rl__core_took(&X.threads[self_index].c, o); }

EXPORT int pthread_mutex_unlock(pthread_mutex_t *m) {
    if (!X.on || (X.in_child && self_index < 0))
        return real.mutex_unlock(m);
    obj *o = mutex_obj(m);
    uint32_t me = (uint32_t)self_index + 1;
    if (o->owner != me) {
        if (o->errorcheck || o->recursive)
            return EPERM;
        if (X.in_child)
            misuse("unlocks mutex %p that it does not hold (%s)", (void *)m,
                   o->owner ? "another thread holds it" : "nobody holds it");
        return EPERM;
    }
    bool own_step = X.in_child && o->count == 1 && section_stepless(o);
    if (own_step) /* a step of its own, still held */
        point(RL_POP_UNLOCK, o, CALLER);
    if (--o->count == 0)
        o->owner = 0;
    if (X.in_child) {
        hb_release(m);
        if (!own_step)
            immediate(RL_POP_UNLOCK, o, CALLER, 0);
        else if (X.footprints)
            fp_released(&X.threads[self_index], o);
    }
    return 0;
}

/* An object made or unmade: the model forgets what it knew of it. */
static void renewed(const void *addr) {
    if (X.on)
        forget(addr);
}

/* ---- read-write locks ---- */

EXPORT int pthread_rwlock_init(pthread_rwlock_t *l, const pthread_rwlockattr_t *a) {
    renewed(l);
    return real.rw_init(l, a);
}

EXPORT int pthread_rwlock_destroy(pthread_rwlock_t *l) {
    renewed(l);
    return real.rw_destroy(l);
}

static int rw_common(pthread_rwlock_t *l, uint8_t op, uint64_t where) {
    obj *o = find(l, RL_OBJ_RWLOCK);
    uint32_t me = (uint32_t)self_index + 1;
    bool write = op == RL_POP_WRLOCK || op == RL_POP_TRYWRLOCK || op == RL_POP_TIMEDWRLOCK;
    if (o->owner == me)
        return EDEADLK;
    if (!X.in_child) {
        if (o->owner || (write && o->count))
            return EBUSY;
        if (write)
            o->owner = me;
        else
            o->count++;
        return 0;
    }
    point(op, o, where); /* a try's result is decided in its step */
    xthread *t = &X.threads[self_index];
    bool tried = op == RL_POP_TRYRDLOCK || op == RL_POP_TRYWRLOCK;
    if (tried ? !t->c.result_ok : t->c.timed_out)
        return tried ? EBUSY : ETIMEDOUT;
    hb_acquire(l);
    return 0;
}

#define RW_PASS(call)                                                                              \
    if (!X.on || (X.in_child && self_index < 0))                                                   \
    return call

EXPORT int pthread_rwlock_rdlock(pthread_rwlock_t *l) {
    RW_PASS(real.rw_rdlock(l));
    return rw_common(l, RL_POP_RDLOCK, CALLER);
}
EXPORT int pthread_rwlock_wrlock(pthread_rwlock_t *l) {
    RW_PASS(real.rw_wrlock(l));
    return rw_common(l, RL_POP_WRLOCK, CALLER);
}
EXPORT int pthread_rwlock_tryrdlock(pthread_rwlock_t *l) {
    RW_PASS(real.rw_tryrdlock(l));
    return rw_common(l, RL_POP_TRYRDLOCK, CALLER);
}
EXPORT int pthread_rwlock_trywrlock(pthread_rwlock_t *l) {
    RW_PASS(real.rw_trywrlock(l));
    return rw_common(l, RL_POP_TRYWRLOCK, CALLER);
}
/* A timed read or write lock: it may time out while it cannot take the
 * lock (a choice of the schedule, as for the other timed waits). */
EXPORT int pthread_rwlock_timedrdlock(pthread_rwlock_t *l, const struct timespec *ts) {
    RW_PASS(real.rw_timedrdlock(l, ts));
    return rw_common(l, RL_POP_TIMEDRDLOCK, CALLER);
}
EXPORT int pthread_rwlock_timedwrlock(pthread_rwlock_t *l, const struct timespec *ts) {
    RW_PASS(real.rw_timedwrlock(l, ts));
    return rw_common(l, RL_POP_TIMEDWRLOCK, CALLER);
}

EXPORT int pthread_rwlock_clockrdlock(pthread_rwlock_t *l, clockid_t clk,
                                      const struct timespec *ts) {
    RW_PASS(real.rw_clockrdlock(l, clk, ts));
    return rw_common(l, RL_POP_TIMEDRDLOCK, CALLER);
}
EXPORT int pthread_rwlock_clockwrlock(pthread_rwlock_t *l, clockid_t clk,
                                      const struct timespec *ts) {
    RW_PASS(real.rw_clockwrlock(l, clk, ts));
    return rw_common(l, RL_POP_TIMEDWRLOCK, CALLER);
}

EXPORT int pthread_rwlock_unlock(pthread_rwlock_t *l) {
    RW_PASS(real.rw_unlock(l));
    obj *o = find(l, RL_OBJ_RWLOCK);
    uint32_t me = (uint32_t)self_index + 1;
    bool writer = o->owner == me;
    if (!writer && o->count == 0) {
        if (X.in_child)
            misuse("unlocks read-write lock %p that it does not hold", (void *)l);
        return EPERM;
    }
    bool own_step = X.in_child && section_stepless(o);
    if (own_step) /* a step of its own, still held */
        point(RL_POP_RWUNLOCK, o, CALLER);
    if (writer)
        o->owner = 0;
    else
        o->count--;
    if (X.in_child) {
        hb_release(l);
        if (!own_step)
            immediate(RL_POP_RWUNLOCK, o, CALLER, 0);
    }
    return 0;
}

/* ---- spin locks ---- */

EXPORT int pthread_spin_init(pthread_spinlock_t *l, int shared) {
    renewed((void *)l);
    return real.spin_init(l, shared);
}

EXPORT int pthread_spin_destroy(pthread_spinlock_t *l) {
    renewed((void *)l);
    return real.spin_destroy(l);
}

EXPORT int pthread_spin_lock(pthread_spinlock_t *l) {
    RW_PASS(real.spin_lock(l));
    obj *o = find((void *)l, RL_OBJ_SPIN);
    uint32_t me = (uint32_t)self_index + 1;
    if (o->owner == me)
        misuse("locks spin lock %p that it already holds: it would spin forever", (void *)l);
    if (!X.in_child) {
        o->owner = me;
        o->count = 1;
        return 0;
    }
    point(RL_POP_SPINLOCK, o, CALLER);
    hb_acquire((void *)l);
    return 0;
}

EXPORT int pthread_spin_trylock(pthread_spinlock_t *l) {
    RW_PASS(real.spin_trylock(l));
    obj *o = find((void *)l, RL_OBJ_SPIN);
    if (X.in_child) {
        point(RL_POP_SPINTRY, o, CALLER); /* taken or not in its step */
        if (!X.threads[self_index].c.result_ok)
            return EBUSY;
        hb_acquire((void *)l);
        return 0;
    }
    if (o->owner)
        return EBUSY;
    o->owner = (uint32_t)self_index + 1;
    o->count = 1;
    return 0;
}

EXPORT int pthread_spin_unlock(pthread_spinlock_t *l) {
    RW_PASS(real.spin_unlock(l));
    obj *o = find((void *)l, RL_OBJ_SPIN);
    if (o->owner != (uint32_t)self_index + 1 && X.in_child)
        misuse("unlocks spin lock %p that it does not hold", (void *)l);
    bool own_step = X.in_child && section_stepless(o);
    if (own_step) /* a step of its own, still held */
        point(RL_POP_SPINUNLOCK, o, CALLER);
    o->owner = 0;
    o->count = 0;
    if (X.in_child) {
        hb_release((void *)l);
        if (!own_step)
            immediate(RL_POP_SPINUNLOCK, o, CALLER, 0);
        else if (X.footprints)
            fp_released(&X.threads[self_index], o);
    }
    return 0;
}

/* ---- conditions ---- */

EXPORT int pthread_cond_init(pthread_cond_t *c, const pthread_condattr_t *a) {
    renewed(c);
    return real.cond_init(c, a);
}

EXPORT int pthread_cond_destroy(pthread_cond_t *c) {
    renewed(c);
    return real.cond_destroy(c);
}

static int wait_common(pthread_cond_t *c, pthread_mutex_t *m, bool timed, uint64_t where) {
    obj *mo = mutex_obj(m);
    if (mo->owner != (uint32_t)self_index + 1)
        misuse("waits on condition %p without holding mutex %p", (void *)c, (void *)m);
    if (!X.in_child)
        misuse("waits on condition %p with no other thread to signal it", (void *)c);
    xthread *t = &X.threads[self_index];
    t->c.wait_mutex = mo;
    hb_release(m); /* the wait releases the mutex... */
    point(timed ? RL_POP_TIMEDWAIT : RL_POP_WAIT, find(c, RL_OBJ_COND), where);
    if (!t->c.timed_out)
        hb_acquire(c); /* ...woken by a signal, it saw what came before it */
    hb_acquire(m);     /* ...and takes the mutex back */
    return t->c.timed_out ? ETIMEDOUT : 0;
}

EXPORT int pthread_cond_wait(pthread_cond_t *c, pthread_mutex_t *m) {
    RW_PASS(real.cond_wait(c, m));
    return wait_common(c, m, false, CALLER);
}

EXPORT int pthread_cond_timedwait(pthread_cond_t *c, pthread_mutex_t *m,
                                  const struct timespec *ts) {
    RW_PASS(real.cond_timedwait(c, m, ts));
    return wait_common(c, m, true, CALLER);
}

EXPORT int pthread_cond_clockwait(pthread_cond_t *c, pthread_mutex_t *m, clockid_t clk,
                                  const struct timespec *ts) {
    RW_PASS(real.cond_clockwait(c, m, clk, ts));
    return wait_common(c, m, true, CALLER);
}

EXPORT int pthread_cond_signal(pthread_cond_t *c) {
    RW_PASS(real.cond_signal(c));
    obj *o = find(c, RL_OBJ_COND);
    /* one of those waiting now will wake: it leaves a signal for them to
     * take (none waiting, or all sure to wake already: it is lost) */
    if (!rl__core_signal(&X.core, o))
        misuse("internal: more signals pending than threads waiting");
    if (X.in_child) {
        hb_release(c);
        immediate(RL_POP_SIGNAL, o, CALLER, UINT32_MAX);
    }
    return 0;
}

EXPORT int pthread_cond_broadcast(pthread_cond_t *c) {
    RW_PASS(real.cond_broadcast(c));
    obj *o = find(c, RL_OBJ_COND);
    rl__core_broadcast(&X.core, o); /* every waiter on it will wake */
    if (X.in_child) {
        hb_release(c);
        immediate(RL_POP_BROADCAST, o, CALLER, 0);
    }
    return 0;
}

/* ---- semaphores ---- */

EXPORT int sem_init(sem_t *s, int shared, unsigned value) {
    int rc = real.sem_init(s, shared, value);
    if (X.on && rc == 0) {
        obj *o = find(s, RL_OBJ_SEM);
        o->count = value;
    }
    return rc;
}

EXPORT int sem_destroy(sem_t *s) {
    renewed(s);
    return real.sem_destroy(s);
}

static obj *sem_obj(sem_t *s) {
    uintptr_t a = (uintptr_t)s;
    for (size_t i = 0; i < NOBJ; i++)
        if (X.objs[i].addr == a && X.objs[i].kind == RL_OBJ_SEM)
            return &X.objs[i];
    /* not made by sem_init under us: take its value as it is now */
    obj *o = find(s, RL_OBJ_SEM);
    int v = 0;
    sem_getvalue(s, &v);
    o->count = v > 0 ? (uint32_t)v : 0;
    return o;
}

static int semwait_common(sem_t *s, uint8_t op, uint64_t where) {
    obj *o = sem_obj(s);
    if (!X.in_child) {
        if (o->count == 0) {
            if (op == RL_POP_SEMTRY) {
                errno = EAGAIN;
                return -1;
            }
            misuse("waits on semaphore %p with no other thread to post it", (void *)s);
        }
        o->count--;
        return 0;
    }
    point(op, o, where); /* a try's result is decided in its step */
    xthread *t = &X.threads[self_index];
    if (op == RL_POP_SEMTRY ? !t->c.result_ok : t->c.timed_out) {
        errno = op == RL_POP_SEMTRY ? EAGAIN : ETIMEDOUT;
        return -1;
    }
    hb_acquire(s);
    return 0;
}

EXPORT int sem_wait(sem_t *s) {
    RW_PASS(real.sem_wait(s));
    return semwait_common(s, RL_POP_SEMWAIT, CALLER);
}
EXPORT int sem_trywait(sem_t *s) {
    RW_PASS(real.sem_trywait(s));
    return semwait_common(s, RL_POP_SEMTRY, CALLER);
}
EXPORT int sem_timedwait(sem_t *s, const struct timespec *ts) {
    RW_PASS(real.sem_timedwait(s, ts));
    return semwait_common(s, RL_POP_SEMTIMED, CALLER);
}

EXPORT int sem_clockwait(sem_t *s, clockid_t clk, const struct timespec *ts) {
    RW_PASS(real.sem_clockwait(s, clk, ts));
    return semwait_common(s, RL_POP_SEMTIMED, CALLER);
}

EXPORT int sem_post(sem_t *s) {
    RW_PASS(real.sem_post(s));
    obj *o = sem_obj(s);
    o->count++;
    if (X.in_child) {
        hb_release(s);
        immediate(RL_POP_SEMPOST, o, CALLER, 0);
    }
    return 0;
}

/* ---- barriers and once ---- */

EXPORT int pthread_barrier_init(pthread_barrier_t *b, const pthread_barrierattr_t *a,
                                unsigned count) {
    int rc = real.barrier_init(b, a, count);
    if (X.on && rc == 0) {
        obj *o = find(b, RL_OBJ_BARRIER);
        *o = (obj){.addr = o->addr, .kind = RL_OBJ_BARRIER, .limit = count};
    }
    return rc;
}

EXPORT int pthread_barrier_destroy(pthread_barrier_t *b) {
    renewed(b);
    return real.barrier_destroy(b);
}

EXPORT int pthread_barrier_wait(pthread_barrier_t *b) {
    RW_PASS(real.barrier_wait(b));
    obj *o = find(b, RL_OBJ_BARRIER);
    xthread *t = &X.threads[self_index];
    bool last = ++o->count >= o->limit;
    if (last) {
        o->count = 0;
        o->generation++;
    }
    if (!X.in_child) {
        if (!last)
            misuse("waits at barrier %p with no other thread to arrive", (void *)b);
        return PTHREAD_BARRIER_SERIAL_THREAD;
    }
    t->c.barrier_gen = last ? o->generation - 1 : o->generation;
    hb_release(b); /* every arrival happens before every departure */
    point(RL_POP_BARRIER, o, CALLER);
    hb_acquire(b);
    return last ? PTHREAD_BARRIER_SERIAL_THREAD : 0;
}

EXPORT int pthread_once(pthread_once_t *ctl, void (*fn)(void)) {
    RW_PASS(real.once(ctl, fn));
    obj *o = find(ctl, RL_OBJ_ONCE);
    if (!X.in_child) {
        if (o->once == 0) {
            o->once = 1;
            c11_caller = 0;
            fn();
            o->once = 2;
        }
        return 0;
    }
    xthread *t = &X.threads[self_index];
    point(RL_POP_ONCE, o, CALLER);
    if (t->c.run_once) {
        t->c.run_once = false;
        c11_caller = 0; /* the routine's own calls are its own */
        fn();
        o->once = 2;
        hb_release(ctl); /* the routine happens before every return of once */
    }
    hb_acquire(ctl);
    return 0;
}

/* ---- sleeping and yielding: a decision point, no real time ---- */

EXPORT unsigned sleep(unsigned s) {
    if (!controlled())
        return real.sleep(s);
    point(RL_POP_SLEEP, NULL, CALLER);
    return 0;
}

EXPORT int usleep(useconds_t us) {
    if (!controlled())
        return real.usleep(us);
    point(RL_POP_SLEEP, NULL, CALLER);
    return 0;
}

EXPORT int nanosleep(const struct timespec *req, struct timespec *rem) {
    if (!controlled())
        return real.nanosleep(req, rem);
    point(RL_POP_SLEEP, NULL, CALLER);
    if (rem)
        *rem = (struct timespec){0, 0};
    return 0;
}

EXPORT int clock_nanosleep(clockid_t clk, int flags, const struct timespec *req,
                           struct timespec *rem) {
    if (!controlled())
        return real.clock_nanosleep(clk, flags, req, rem);
    point(RL_POP_SLEEP, NULL, CALLER);
    return 0;
}

EXPORT int sched_yield(void) {
    if (!controlled())
        return real.yield();
    point(RL_POP_YIELD, NULL, CALLER);
    return 0;
}

/* ---- C11 <threads.h> ----
 * glibc implements these over its pthreads internally, where no call can
 * be interposed: each is interposed here and made the same pthread call,
 * which racelab schedules (the types are glibc's pthread types in C11
 * dress: thrd_t is pthread_t, mtx_t and cnd_t have the pthread objects'
 * size, once_flag holds a pthread_once_t). The step's place is the C11
 * call's caller. */

#define C11_CALL(expr)                                                                             \
    ({                                                                                             \
        c11_caller = (uint64_t)(uintptr_t)__builtin_return_address(0);                             \
        __typeof__(expr) r_ = (expr);                                                              \
        c11_caller = 0;                                                                            \
        r_;                                                                                        \
    })

static int c11_result(int rc) {
    switch (rc) {
    case 0: return thrd_success;
    case EBUSY: return thrd_busy;
    case ETIMEDOUT: return thrd_timedout;
    case ENOMEM: return thrd_nomem;
    default: return thrd_error;
    }
}

EXPORT int thrd_create(thrd_t *thr, thrd_start_t fn, void *arg) {
    c11_thread *t = malloc(sizeof *t);
    if (!t)
        return thrd_nomem;
    *t = (c11_thread){fn, arg};
    int rc = C11_CALL(pthread_create((pthread_t *)thr, NULL, c11_start, t));
    if (rc != 0)
        free(t);
    return c11_result(rc);
}

EXPORT int thrd_join(thrd_t thr, int *res) {
    void *ret = NULL;
    int rc = C11_CALL(pthread_join((pthread_t)thr, &ret));
    if (rc == 0 && res)
        *res = (int)(intptr_t)ret;
    return c11_result(rc);
}

EXPORT int thrd_detach(thrd_t thr) { return c11_result(C11_CALL(pthread_detach((pthread_t)thr))); }

EXPORT void thrd_exit(int res) {
    c11_caller = (uint64_t)(uintptr_t)__builtin_return_address(0);
    pthread_exit((void *)(intptr_t)res);
}

EXPORT void thrd_yield(void) { (void)C11_CALL(sched_yield()); }

EXPORT int thrd_sleep(const struct timespec *dur, struct timespec *rem) {
    int rc = C11_CALL(nanosleep(dur, rem));
    return rc == 0 ? 0 : errno == EINTR ? -1 : -2;
}

EXPORT int mtx_init(mtx_t *m, int type) {
    pthread_mutexattr_t a;
    if (pthread_mutexattr_init(&a) != 0)
        return thrd_error;
    if ((type & mtx_recursive) && pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE) != 0)
        return thrd_error;
    int rc = pthread_mutex_init((pthread_mutex_t *)m, &a);
    pthread_mutexattr_destroy(&a);
    return c11_result(rc);
}

EXPORT void mtx_destroy(mtx_t *m) { (void)C11_CALL(pthread_mutex_destroy((pthread_mutex_t *)m)); }

EXPORT int mtx_lock(mtx_t *m) { return c11_result(C11_CALL(pthread_mutex_lock((pthread_mutex_t *)m))); }

EXPORT int mtx_trylock(mtx_t *m) {
    return c11_result(C11_CALL(pthread_mutex_trylock((pthread_mutex_t *)m)));
}

EXPORT int mtx_timedlock(mtx_t *restrict m, const struct timespec *restrict ts) {
    return c11_result(C11_CALL(pthread_mutex_timedlock((pthread_mutex_t *)m, ts)));
}

EXPORT int mtx_unlock(mtx_t *m) {
    return c11_result(C11_CALL(pthread_mutex_unlock((pthread_mutex_t *)m)));
}

EXPORT int cnd_init(cnd_t *c) { return c11_result(pthread_cond_init((pthread_cond_t *)c, NULL)); }

EXPORT void cnd_destroy(cnd_t *c) { (void)pthread_cond_destroy((pthread_cond_t *)c); }

EXPORT int cnd_signal(cnd_t *c) { return c11_result(C11_CALL(pthread_cond_signal((pthread_cond_t *)c))); }

EXPORT int cnd_broadcast(cnd_t *c) {
    return c11_result(C11_CALL(pthread_cond_broadcast((pthread_cond_t *)c)));
}

EXPORT int cnd_wait(cnd_t *c, mtx_t *m) {
    return c11_result(C11_CALL(pthread_cond_wait((pthread_cond_t *)c, (pthread_mutex_t *)m)));
}

EXPORT int cnd_timedwait(cnd_t *restrict c, mtx_t *restrict m, const struct timespec *restrict ts) {
    return c11_result(
        C11_CALL(pthread_cond_timedwait((pthread_cond_t *)c, (pthread_mutex_t *)m, ts)));
}

EXPORT void call_once(once_flag *flag, void (*fn)(void)) {
    _Static_assert(sizeof(once_flag) == sizeof(pthread_once_t), "once_flag is a pthread_once_t");
    (void)C11_CALL(pthread_once((pthread_once_t *)flag, fn));
}

/* ---- system calls that may block ----
 * Each is a decision point. A thread whose call would block waits in the
 * model, like a thread waiting for a lock, and gives the turn away while
 * it would be in the kernel; it can be chosen again once the call would
 * return (io_ready). The real call then runs and does not block. */

static bool nonblocking(int fd) {
    int fl = fcntl(fd, F_GETFL);
    return fl >= 0 && (fl & O_NONBLOCK);
}

static bool is_pipe(int fd) {
    struct stat st;
    return fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode);
}

static void io_wait(uint8_t op, int fd, short events, bool now, uint64_t where) {
    xthread *t = &X.threads[self_index];
    memset(&t->io, 0, sizeof t->io);
    t->io.fd = fd;
    t->io.events = events;
    t->io.now = now || nonblocking(fd);
    t->io.outside = !t->io.now && !is_pipe(fd);
    t->c.timed = false;
    point(op, NULL, where);
}

EXPORT ssize_t read(int fd, void *buf, size_t n) {
    if (!controlled())
        return real.read(fd, buf, n);
    io_wait(RL_POP_READ, fd, POLLIN, false, CALLER);
    struct pollfd p = {.fd = fd, .events = POLLIN};
    if (n && real.poll(&p, 1, 0) == 0 && pipe_at_end(fd))
        return 0; /* its end, though the server's write end is open */
    return real.read(fd, buf, n);
}

EXPORT ssize_t recv(int fd, void *buf, size_t n, int flags) {
    if (!controlled())
        return real.recv(fd, buf, n, flags);
    io_wait(RL_POP_READ, fd, POLLIN, flags & MSG_DONTWAIT, CALLER);
    return real.recv(fd, buf, n, flags);
}

EXPORT ssize_t recvfrom(int fd, void *buf, size_t n, int flags, struct sockaddr *from,
                        socklen_t *len) {
    if (!controlled())
        return real.recvfrom(fd, buf, n, flags, from, len);
    io_wait(RL_POP_READ, fd, POLLIN, flags & MSG_DONTWAIT, CALLER);
    return real.recvfrom(fd, buf, n, flags, from, len);
}

EXPORT int accept(int fd, struct sockaddr *addr, socklen_t *len) {
    if (!controlled())
        return real.accept(fd, addr, len);
    io_wait(RL_POP_ACCEPT, fd, POLLIN, false, CALLER);
    return real.accept(fd, addr, len);
}

EXPORT int accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags) {
    if (!controlled())
        return real.accept4(fd, addr, len, flags);
    io_wait(RL_POP_ACCEPT, fd, POLLIN, false, CALLER);
    return real.accept4(fd, addr, len, flags);
}

/* A blocking write returns when all is written, a reader making room as it
 * goes: here each part is its own step, written without blocking once
 * there is room. */
static ssize_t write_all(int fd, const void *buf, size_t n, int flags, bool sock,
                         const struct sockaddr *to, socklen_t tolen, uint64_t where) {
    bool now = (flags & MSG_DONTWAIT) || nonblocking(fd);
    size_t done = 0;
    do {
        io_wait(RL_POP_WRITE, fd, POLLOUT, now, where);
        /* a blocking descriptor made non-blocking for this part only */
        int fl = now ? -1 : fcntl(fd, F_GETFL);
        if (fl >= 0)
            (void)fcntl(fd, F_SETFL, fl | O_NONBLOCK);
        ssize_t w = sock ? real.sendto(fd, (const char *)buf + done, n - done, flags, to, tolen)
                         : real.write(fd, (const char *)buf + done, n - done);
        int err = errno;
        if (fl >= 0)
            (void)fcntl(fd, F_SETFL, fl);
        errno = err;
        if (now) /* it could not block: one call, as natively */
            return w;
        if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
            return done ? (ssize_t)done : -1;
        if (w > 0)
            done += (size_t)w;
    } while (done < n);
    return (ssize_t)done;
}

EXPORT ssize_t write(int fd, const void *buf, size_t n) {
    if (!controlled() || n == 0)
        return real.write(fd, buf, n);
    return write_all(fd, buf, n, 0, false, NULL, 0, CALLER);
}

EXPORT ssize_t send(int fd, const void *buf, size_t n, int flags) {
    if (!controlled() || n == 0)
        return real.send(fd, buf, n, flags);
    return write_all(fd, buf, n, flags, true, NULL, 0, CALLER);
}

EXPORT ssize_t sendto(int fd, const void *buf, size_t n, int flags, const struct sockaddr *to,
                      socklen_t tolen) {
    if (!controlled() || n == 0)
        return real.sendto(fd, buf, n, flags, to, tolen);
    return write_all(fd, buf, n, flags, true, to, tolen, CALLER);
}

/* A wait on several descriptors (op: poll, select or epoll_wait's), with
 * a time-out (timed) or none: a step that goes once one of them is ready,
 * or times out as a choice. `outside`: whether it waits for another
 * process (-1: unless all of fds are pipes). Then fds' revents as the real
 * call gives them (a pipe at its end, see pipe_at_end, reads as hung up);
 * how many are set, 0 for a time-out. */
static int poll_common(struct pollfd *fds, nfds_t nfds, bool timed, int outside, uint8_t op,
                       uint64_t where) {
    xthread *t = &X.threads[self_index];
    memset(&t->io, 0, sizeof t->io);
    t->io.fds = fds;
    t->io.nfds = nfds;
    t->io.outside = outside > 0;
    for (nfds_t k = 0; k < nfds && outside < 0; k++)
        t->io.outside |= fds[k].fd >= 0 && !is_pipe(fds[k].fd);
    t->c.timed = timed; /* its time-out is a choice, as for timed waits */
    point(op, NULL, where);
    if (t->c.timed_out) {
        for (nfds_t k = 0; k < nfds; k++)
            fds[k].revents = 0;
        return 0;
    }
    int n = real.poll(fds, nfds, 0);
    for (nfds_t k = 0; n >= 0 && k < nfds; k++)
        if (fds[k].revents == 0 && (fds[k].events & POLLIN) && fds[k].fd >= 0 &&
            pipe_at_end(fds[k].fd)) {
            fds[k].revents = POLLHUP;
            n++;
        }
    return n;
}

EXPORT int poll(struct pollfd *fds, nfds_t nfds, int timeout) {
    if (!controlled() || timeout == 0)
        return real.poll(fds, nfds, timeout);
    return poll_common(fds, nfds, timeout > 0, -1, RL_POP_POLL, CALLER);
}

EXPORT int ppoll(struct pollfd *fds, nfds_t nfds, const struct timespec *ts,
                 const sigset_t *mask) {
    if (!controlled() || (ts && ts->tv_sec == 0 && ts->tv_nsec == 0))
        return real.ppoll(fds, nfds, ts, mask);
    return poll_common(fds, nfds, ts != NULL, -1, RL_POP_POLL, CALLER);
}

/* select and pselect: the sets as poll's descriptors, waited for as poll
 * is, and the sets rewritten from what is ready. With no descriptor, a
 * sleep (a decision point, no real time), as nanosleep. */
static int select_common(int nfds, fd_set *r, fd_set *w, fd_set *e, bool timed, uint64_t where) {
    if (nfds <= 0 || (!r && !w && !e)) {
        point(RL_POP_SLEEP, NULL, where);
        return 0;
    }
    struct pollfd fds[FD_SETSIZE];
    nfds_t n = 0;
    for (int fd = 0; fd < nfds && fd < FD_SETSIZE; fd++) {
        short ev = (short)((r && FD_ISSET(fd, r) ? POLLIN : 0) |
                           (w && FD_ISSET(fd, w) ? POLLOUT : 0) |
                           (e && FD_ISSET(fd, e) ? POLLPRI : 0));
        if (ev)
            fds[n++] = (struct pollfd){.fd = fd, .events = ev};
    }
    int got = poll_common(fds, n, timed, -1, RL_POP_SELECT, where);
    if (got < 0)
        return -1;
    for (nfds_t k = 0; k < n; k++)
        if (fds[k].revents & POLLNVAL) {
            errno = EBADF;
            return -1;
        }
    int count = 0;
    for (nfds_t k = 0; k < n; k++) {
        int fd = fds[k].fd;
        short rv = fds[k].revents;
        if (r && FD_ISSET(fd, r) && !(rv & (POLLIN | POLLHUP | POLLERR)))
            FD_CLR(fd, r);
        if (w && FD_ISSET(fd, w) && !(rv & (POLLOUT | POLLERR)))
            FD_CLR(fd, w);
        if (e && FD_ISSET(fd, e) && !(rv & POLLPRI))
            FD_CLR(fd, e);
        count += (r && FD_ISSET(fd, r)) + (w && FD_ISSET(fd, w)) + (e && FD_ISSET(fd, e));
    }
    return count;
}

EXPORT int select(int nfds, fd_set *r, fd_set *w, fd_set *e, struct timeval *tv) {
    if (!controlled() || (tv && tv->tv_sec == 0 && tv->tv_usec == 0) ||
        ((nfds <= 0 || (!r && !w && !e)) && !tv))
        return real.select(nfds, r, w, e, tv);
    return select_common(nfds, r, w, e, tv != NULL, CALLER);
}

EXPORT int pselect(int nfds, fd_set *r, fd_set *w, fd_set *e, const struct timespec *ts,
                   const sigset_t *mask) {
    if (!controlled() || (ts && ts->tv_sec == 0 && ts->tv_nsec == 0) ||
        ((nfds <= 0 || (!r && !w && !e)) && !ts))
        return real.pselect(nfds, r, w, e, ts, mask);
    return select_common(nfds, r, w, e, ts != NULL, CALLER);
}

/* Epoll set epfd as /proc records it: calls each(ctx, fd, events, data)
 * for its descriptors, while it returns true. false: no record. */
static bool epoll_set(int epfd, bool (*each)(void *, int, uint32_t, uint64_t), void *ctx) {
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/self/fdinfo/%d", epfd);
    FILE *f = fopen(path, "re");
    if (!f)
        return false;
    int fd;
    unsigned events;
    unsigned long long data;
    bool go = true;
    while (go && fgets(line, sizeof line, f))
        if (sscanf(line, "tfd: %d events: %x data: %llx", &fd, &events, &data) == 3)
            go = each(ctx, fd, events, data);
    fclose(f);
    return true;
}

static bool pipe_in_set(void *ctx, int fd, uint32_t events, uint64_t data) {
    (void)events;
    (void)data;
    return *(bool *)ctx = is_pipe(fd);
}

/* Whether every descriptor in epoll set epfd is a pipe (no other process
 * is waited for). */
static bool epoll_of_pipes(int epfd) {
    bool all = true;
    return epoll_set(epfd, pipe_in_set, &all) && all;
}

typedef struct {
    struct epoll_event *ev;
    int max, n;
} ends;

static bool end_in_set(void *ctx, int fd, uint32_t events, uint64_t data) {
    ends *e = ctx;
    if ((events & EPOLLIN) && pipe_at_end(fd))
        e->ev[e->n++] = (struct epoll_event){.events = EPOLLHUP, .data.u64 = data};
    return e->n < e->max;
}

/* The pipes of epoll set epfd at their end (see pipe_at_end), as the
 * events natively reported for them: hung up. How many, up to max. */
static int epoll_ends(int epfd, struct epoll_event *ev, int max) {
    ends e = {ev, max, 0};
    if (max > 0)
        (void)epoll_set(epfd, end_in_set, &e);
    return e.n;
}

/* epoll_wait and epoll_pwait: a wait for the epoll descriptor to be
 * readable (it is when one of its set is ready), then the real call
 * without waiting. */
static int epoll_common(int epfd, struct epoll_event *ev, int max, bool timed, uint64_t where) {
    struct pollfd fd = {.fd = epfd, .events = POLLIN};
    xthread *t = &X.threads[self_index];
    int got = poll_common(&fd, 1, timed, !epoll_of_pipes(epfd), RL_POP_EPOLL, where);
    if (got < 0 || t->c.timed_out)
        return got;
    int n = real.epoll_wait(epfd, ev, max, 0);
    return n == 0 ? epoll_ends(epfd, ev, max) : n;
}

EXPORT int epoll_wait(int epfd, struct epoll_event *ev, int max, int timeout) {
    if (!controlled() || timeout == 0)
        return real.epoll_wait(epfd, ev, max, timeout);
    return epoll_common(epfd, ev, max, timeout > 0, CALLER);
}

EXPORT int epoll_pwait(int epfd, struct epoll_event *ev, int max, int timeout,
                       const sigset_t *mask) {
    if (!controlled() || timeout == 0)
        return real.epoll_pwait(epfd, ev, max, timeout, mask);
    return epoll_common(epfd, ev, max, timeout > 0, CALLER);
}

/* Until a child of pid's kind (waitpid's pid) could be reaped. */
static void child_wait(pid_t pid, int options, uint64_t where) {
    xthread *t = &X.threads[self_index];
    memset(&t->io, 0, sizeof t->io);
    t->io.pid = pid;
    t->io.wait_options = options;
    t->io.outside = true;
    t->c.timed = false;
    point(RL_POP_WAITPID, NULL, where);
}

EXPORT pid_t waitpid(pid_t pid, int *status, int options) {
    if (!controlled() || (options & WNOHANG))
        return real.waitpid(pid, status, options);
    child_wait(pid, options, CALLER);
    return real.waitpid(pid, status, options);
}

EXPORT pid_t wait(int *status) {
    if (!controlled())
        return real.wait(status);
    child_wait(-1, 0, CALLER);
    return real.wait(status);
}

/* abort() ends the process, like exit(): a decision point, so that another
 * thread ending the process first (natively it may, while this one is on
 * its way to abort) is a schedule too. */
EXPORT void abort(void) {
    ending(RL_POP_ABORT, CALLER);
    real.abort();
}

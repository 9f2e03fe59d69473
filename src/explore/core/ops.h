/* ops.h - the scheduling core's operations: what a thread is about to
 * do when the scheduler decides. Internal; plain data, shared by the
 * in-process explorer, the interposer and racelab's reading of the
 * interposer's traces. */
#ifndef RACELAB_EXPLORE_CORE_OPS_H
#define RACELAB_EXPLORE_CORE_OPS_H

#include <stdint.h>

/* The operations both front ends schedule, for decisions and traces: one
 * list, so a step means the same to the in-process explorer and to the
 * interposer. The values are shared with racelab through the interposer's
 * trace records (proto.h): new ones go at the end. */
enum {
    RL_POP_NONE,
    RL_POP_LOCK,
    RL_POP_TRYLOCK,
    RL_POP_TIMEDLOCK,
    RL_POP_UNLOCK,
    RL_POP_RDLOCK,
    RL_POP_WRLOCK,
    RL_POP_TRYRDLOCK,
    RL_POP_TRYWRLOCK,
    RL_POP_RWUNLOCK,
    RL_POP_SPINLOCK,
    RL_POP_SPINTRY,
    RL_POP_SPINUNLOCK,
    RL_POP_WAIT,
    RL_POP_TIMEDWAIT,
    RL_POP_WAKE,
    RL_POP_SIGNAL,
    RL_POP_BROADCAST,
    RL_POP_SEMWAIT,
    RL_POP_SEMTRY,
    RL_POP_SEMTIMED,
    RL_POP_SEMPOST,
    RL_POP_BARRIER,
    RL_POP_ONCE,
    RL_POP_SPAWN,
    RL_POP_JOIN,
    RL_POP_DETACH,
    RL_POP_EXIT,
    RL_POP_YIELD,
    RL_POP_SLEEP,
    RL_POP_EXIT_PROCESS, /* exit(), or main returning: the process is ending */
    RL_POP_START,        /* a new thread's first step: nothing of it ran before */
    RL_POP_RESUME,       /* its creator going on after pthread_create */
    RL_POP_TIMEDRDLOCK,
    RL_POP_TIMEDWRLOCK,
    /* system calls that may block, on a descriptor or a child process */
    RL_POP_READ,
    RL_POP_WRITE,
    RL_POP_ACCEPT,
    RL_POP_POLL,
    RL_POP_WAITPID,
    RL_POP_ABORT, /* abort(): the process dies, unless it ends first */
    /* racelab's own targets only */
    RL_POP_LOCK_WHEN, /* a lock taken once the mutex is free and the caller's predicate holds */
    RL_POP_ACCESS,    /* a declared shared access */
    /* system calls that may block, waiting on several descriptors as poll does */
    RL_POP_SELECT, /* select, pselect */
    RL_POP_EPOLL,  /* epoll_wait, epoll_pwait: its epoll descriptor */
    /* memory, in a program built by racelab cc (its ThreadSanitizer hooks) */
    RL_POP_LOAD,   /* a plain load */
    RL_POP_STORE,  /* a plain store */
    RL_POP_ATOMIC, /* an atomic operation */
    RL_POP_COUNT
};

/* An operation's name, for traces and messages. */
static inline const char *rl__pop_name(uint8_t op) {
    static const char *const names[RL_POP_COUNT] = {
        [RL_POP_LOCK] = "lock",
        [RL_POP_TRYLOCK] = "trylock",
        [RL_POP_TIMEDLOCK] = "timedlock",
        [RL_POP_UNLOCK] = "unlock",
        [RL_POP_RDLOCK] = "rdlock",
        [RL_POP_WRLOCK] = "wrlock",
        [RL_POP_TRYRDLOCK] = "tryrdlock",
        [RL_POP_TRYWRLOCK] = "trywrlock",
        [RL_POP_RWUNLOCK] = "unlock",
        [RL_POP_SPINLOCK] = "spin_lock",
        [RL_POP_SPINTRY] = "spin_trylock",
        [RL_POP_SPINUNLOCK] = "spin_unlock",
        [RL_POP_WAIT] = "wait",
        [RL_POP_TIMEDWAIT] = "timedwait",
        [RL_POP_WAKE] = "wake",
        [RL_POP_SIGNAL] = "signal",
        [RL_POP_BROADCAST] = "broadcast",
        [RL_POP_SEMWAIT] = "sem_wait",
        [RL_POP_SEMTRY] = "sem_trywait",
        [RL_POP_SEMTIMED] = "sem_timedwait",
        [RL_POP_SEMPOST] = "sem_post",
        [RL_POP_BARRIER] = "barrier",
        [RL_POP_ONCE] = "once",
        [RL_POP_SPAWN] = "create",
        [RL_POP_JOIN] = "join",
        [RL_POP_DETACH] = "detach",
        [RL_POP_EXIT] = "exit",
        [RL_POP_YIELD] = "yield",
        [RL_POP_SLEEP] = "sleep",
        [RL_POP_EXIT_PROCESS] = "exit process",
        [RL_POP_START] = "start",
        [RL_POP_RESUME] = "after create",
        [RL_POP_TIMEDRDLOCK] = "timedrdlock",
        [RL_POP_TIMEDWRLOCK] = "timedwrlock",
        [RL_POP_READ] = "read",
        [RL_POP_WRITE] = "write",
        [RL_POP_ACCEPT] = "accept",
        [RL_POP_POLL] = "poll",
        [RL_POP_WAITPID] = "waitpid",
        [RL_POP_ABORT] = "abort",
        [RL_POP_LOCK_WHEN] = "lock",
        [RL_POP_ACCESS] = "access",
        [RL_POP_SELECT] = "select", [RL_POP_EPOLL] = "epoll_wait",
        [RL_POP_LOAD] = "load", [RL_POP_STORE] = "store", [RL_POP_ATOMIC] = "atomic",
    };
    return op < RL_POP_COUNT && names[op] ? names[op] : "?";
}

#endif

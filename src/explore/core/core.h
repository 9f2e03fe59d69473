/* core.h - the scheduling core: one implementation of what a step means,
 * for the in-process explorer (scheduler.c: racelab's targets on fibers)
 * and for the interposer inside a user's program (preload.c: real threads
 * passing a baton). Internal.
 *
 * The core keeps the model: each thread's pending operation (ops.h) and
 * the state of the objects it works on (owner, count, generation, ...).
 * It decides which threads can go (enabling, with timed operations that
 * may also time out, and fairness), asks the front end for a choice,
 * applies the chosen operation's effect, and runs the loop that decides
 * and applies until the calling thread is chosen. What differs between the
 * front ends is behind hooks: how a choice is asked (a search's chooser, a
 * plan in shared memory), recorded and traced, how the turn passes to
 * another thread (a fiber switch, a futex baton) and how a schedule ends.
 *
 * Built into racelab and into the interposer (which runs inside the
 * user's program without sanitizers), it depends on libc and the headers
 * beside it only: no I/O, nothing that allocates. */
#ifndef RACELAB_EXPLORE_CORE_CORE_H
#define RACELAB_EXPLORE_CORE_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy.h"
#include "choice.h"
#include "fair.h"
#include "ops.h"
#include "signals.h"

enum { RL_CORE_FREE, RL_CORE_LIVE, RL_CORE_DONE }; /* a thread's state */

/* What an object is. */
enum {
    RL_OBJ_NONE,
    RL_OBJ_MUTEX,
    RL_OBJ_RWLOCK,
    RL_OBJ_SPIN,
    RL_OBJ_COND,
    RL_OBJ_SEM,
    RL_OBJ_BARRIER,
    RL_OBJ_ONCE
};

/* A synchronization object as the model sees it. */
typedef struct rl__core_obj {
    uintptr_t addr; /* the interposer's key: the program's object (0: an empty slot) */
    uint8_t kind;   /* RL_OBJ_* */
    bool recursive, errorcheck;
    uint32_t owner;      /* mutex, spin lock, a rwlock's writer: thread index + 1; 0: none */
    uint32_t count;      /* recursion depth, readers, semaphore value, barrier arrivals */
    uint32_t limit;      /* barrier: how many must arrive */
    uint64_t generation; /* barrier: rounds completed */
    uint32_t once;       /* 0 not run, 1 running, 2 done */
} rl__core_obj;

/* A thread as the model sees it: each front end's thread record starts
 * with one. */
typedef struct rl__core_thread {
    uint32_t index;           /* its slot, 0 to RL_EX_MAX_THREADS - 1 */
    uint8_t state;            /* RL_CORE_FREE, LIVE, DONE */
    uint8_t op;               /* the pending operation, RL_POP_* */
    rl__core_obj *o;          /* its object, NULL for none */
    rl__core_obj *wait_mutex; /* a condition wait: the mutex it takes back */
    uint32_t wait_depth;      /* that mutex's recursion depth, restored on waking */
    uint32_t join_target;     /* join: the thread awaited (its slot) */
    bool signalled;           /* waiting: woken by a broadcast or a signal it took */
    bool timed;               /* waiting: it may time out */
    bool timed_out;           /* its last operation timed out */
    bool result_ok;           /* its last try operation succeeded */
    bool run_once;            /* once: this thread runs the routine */
    bool spinning;            /* a load or atomic operation that repeats one it made
                                 since its last write, at the same place, seeing the same
                                 value: a spin, which makes way as a yield does (unless
                                 what it waited for changed: rl__core.awaiting) */
    uint64_t wait_seq;        /* waiting: its number (core/signals.h) */
    uint64_t barrier_gen;     /* barrier: the round it waits to see completed */
    bool (*ready)(void *ctx); /* RL_POP_LOCK_WHEN: when it may take the mutex */
    void *ready_ctx;
} rl__core_thread;

/* Why a schedule ended. */
typedef enum {
    RL_CORE_ALL_DONE, /* every thread ended */
    RL_CORE_DEADLOCK, /* threads live, none can go */
    RL_CORE_LIVELOCK, /* max_steps made, still not done */
    RL_CORE_NO_ROOM   /* the front end could not record a decision */
} rl__core_end;

typedef struct rl__core rl__core;

/* What differs between the front ends. `ctx` is rl__core.ctx. */
typedef struct rl__core_hooks {
    /* t's pending operation is one the core does not model (a system
     * call): whether it can go now, or (timeouts) by timing out. NULL:
     * such operations always go. */
    bool (*other_can_go)(void *ctx, const rl__core_thread *t, bool timeouts);
    /* Nothing of the program can go: threads that can go on only by the
     * outside world (another process, a peer), ready now (0: none). NULL:
     * there are none. */
    uint64_t (*outside_ready)(void *ctx);
    /* Nothing can go at all: wait for the outside world until one of
     * those may. false: nobody waits for it. NULL: nobody ever does. */
    bool (*await_outside)(void *ctx);
    /* Before each decision: take out of rl__core.awaiting the threads
     * whose wait is over (what they read changed). NULL: none ever waits. */
    void (*refresh)(void *ctx);
    /* The thread asked for at step `step` (0-based), among `enabled`
     * (`lazy`: those that would go by timing out), `current` the thread
     * that may go on without a preemption (-1: none). */
    unsigned (*choose)(void *ctx, uint64_t step, uint64_t enabled, uint64_t lazy, int current);
    /* The choice asked for could not go (said once per schedule). */
    void (*no_fit)(void *ctx, uint64_t step, unsigned asked, uint64_t enabled);
    /* Step c->step is decided (not yet counted): record it. false: no
     * room, the schedule ends with RL_CORE_NO_ROOM. */
    bool (*record)(void *ctx, const rl__choice *ch);
    /* Another thread than `caller` was chosen while caller waits with its
     * operation pending (NULL: nothing to do). */
    void (*passed_over)(void *ctx, rl__core_thread *caller, rl__core_thread *chosen);
    /* The front end's application of t's pending operation: its traces and
     * footprints around rl__core_apply, whose result it returns. */
    bool (*apply)(void *ctx, rl__core_thread *t, bool timed_out);
    /* The schedule is over; `caller` is the thread asking (it ended when
     * `exiting`). Never returns. */
    void (*end)(void *ctx, rl__core_end why, rl__core_thread *caller, bool exiting);
    /* The turn passes from `from` to `to`. Returns when `from` is chosen
     * again; when `exiting` (from has ended) it gives the turn away for
     * good and may return only to let from's real thread end. */
    void (*switch_to)(void *ctx, rl__core_thread *from, rl__core_thread *to, bool exiting);
} rl__core_hooks;

struct rl__core {
    rl__core_thread *threads[RL_EX_MAX_THREADS]; /* slots, set by the front end */
    uint32_t nthreads;                           /* slots in use: 0 to nthreads - 1 */
    int cur;                                     /* the thread holding the turn (-1: none) */
    uint64_t step;                               /* decisions made this schedule */
    uint64_t max_steps;
    bool preempted; /* the step being applied is a preemption */
    bool no_fit;    /* a choice did not fit this schedule */
    /* spinners with nothing they read changed: none can go until the front
     * end takes it out (hooks.refresh), unless no other thread can go; then
     * it makes way as a yield does. Applying a thread's step takes it out. */
    uint64_t awaiting;
    rl__signals signals;
    rl__fair fair;
    const rl__core_hooks *hooks;
    void *ctx;
};

/* A new schedule: no steps, no threads, nobody signalled or yielded. */
void rl__core_reset(rl__core *c);

/* Thread slot t is (re)used by a new thread, live with `op` pending. */
void rl__core_new_thread(rl__core *c, rl__core_thread *t, uint32_t slot, uint8_t op);

/* Whether a waiter on a condition may wake: broadcast to, or a signal to take. */
bool rl__core_woken(const rl__core *c, const rl__core_thread *t);

/* Whether t can perform its pending operation now, or (timeouts) by
 * timing out. */
bool rl__core_can_go(const rl__core *c, const rl__core_thread *t, bool timeouts);

/* The threads that can go, fairly (core/fair.h), and among them (*lazy)
 * those that would go by timing out: a time-out is a choice like any
 * other (natively the deadline may pass at any moment), never the
 * default one. */
uint64_t rl__core_enabled(rl__core *c, uint64_t *lazy);

/* Whether t's latest step took o: a lock of any kind (taken, for a try),
 * or the mutex back after a condition wait. The critical section it now
 * ends on o made no step. */
bool rl__core_took(const rl__core_thread *t, const rl__core_obj *o);

/* A signal on condition o: leaves a token for its waiters (core/signals.h).
 * false: the bound on tokens is broken (an internal error). */
bool rl__core_signal(rl__core *c, const rl__core_obj *o);

/* A broadcast on condition o: every waiter on it will wake. */
void rl__core_broadcast(rl__core *c, const rl__core_obj *o);

/* The effect of t's pending operation, chosen (timing out when
 * `timed_out`): ownership, counts, waking, fairness. A try operation
 * sets t->result_ok, a timed one t->timed_out. false when t did not run:
 * it began to wait (its operation is RL_POP_WAKE now), so another choice
 * is due. */
bool rl__core_apply(rl__core *c, rl__core_thread *t, bool timed_out);

/* On t's thread, its operation pending: decide and apply until t is
 * chosen, and return once its operation is applied. */
void rl__core_schedule_from(rl__core *c, rl__core_thread *t);

/* t has ended: decide and apply until another thread can run, and give it
 * the turn for good. */
void rl__core_hand_on(rl__core *c, rl__core_thread *t);

/* Of the runnable threads `enabled`, those that would take a signal's
 * token where another of them would take one of the same condition: which
 * of them wakes is a choice (partial-order reduction branches on it). */
uint64_t rl__core_contested(const rl__core *c, uint64_t enabled);

/* The live threads. */
uint64_t rl__core_live(const rl__core *c);

/* What a thread that cannot go waits for, as data: the front ends name
 * the objects and threads (by name in-process, by address in a program)
 * and the core says it in words. */
typedef enum {
    RL_BLOCKED_HELD,        /* o is held by holder */
    RL_BLOCKED_RELOCK,      /* woken, it waits to take back mutex o, held by holder */
    RL_BLOCKED_UNSIGNALLED, /* it waits on condition o, and nothing will signal it */
    RL_BLOCKED_UNREADY,     /* a lock-when whose predicate never came true */
    RL_BLOCKED_JOIN,        /* it waits for thread `holder` to end */
    RL_BLOCKED_IN           /* it waits in its operation on o (a semaphore, a barrier, ...) */
} rl__blocked_why;

typedef struct {
    rl__blocked_why why;
    const rl__core_obj *o; /* the object waited for (NULL: none) */
    int holder;            /* the thread that holds it, or that a join awaits; -1: none */
} rl__blocked;

rl__blocked rl__core_blocked(const rl__core *c, const rl__core_thread *t);

/* One thread's part of a deadlock message: "WHO waits for lock OBJECT
 * held by OTHER", "WHO waits to join OTHER", ... (OTHER: the holder's or
 * the awaited thread's name). */
void rl__core_blocked_text(const rl__core_thread *t, const rl__blocked *b, const char *who,
                           const char *object, const char *other, char *out, size_t cap);

/* The trace note of a blocked thread's last line: "blocked: H holds it". */
void rl__core_blocked_note(const rl__blocked *b, const char *other, char *out, size_t cap);

#endif

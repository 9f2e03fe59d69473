/* lockstep.c - the lockstep gate (see racelab/lockstep.h).
 *
 * The gate keeps a state per participant. "Quiescent" means every
 * participant is stuck: parked, finished, waiting on a condition, yielding,
 * or blocked on a mutex whose owner is itself parked or blocked (one that
 * has not entered yet counts as running). Whenever a participant parks,
 * blocks or leaves, the gate checks for quiescence and, if so, moves every
 * PARKED participant back to RUNNING and wakes them.
 *
 * A participant waiting outside the platform (on a lock in a database
 * server) is OUTSIDE: stuck only when the server says it waits on a lock
 * and every session holding that lock belongs to a participant that is
 * itself stuck. A holder the gate does not know (a connection of no
 * participant) counts as running. The waiter calls rl_outside_wait again
 * every few milliseconds, so a wait the server registers late is still
 * seen.
 * The gate's own mutex and condition are used through the pthreads table
 * directly, below the wrapper, so its bookkeeping is invisible to itself. */
#include "racelab/lockstep.h"

#include <stdlib.h>

typedef enum { RUNNING, PARKED, BLOCKED, OUTSIDE, DONE } pstate;

typedef struct {
    pstate state;
    unsigned tid;         /* platform id of the participant's thread */
    rl_mutex *waiting_on; /* BLOCKED in mutex_lock: on which mutex */
    uint64_t session;     /* its database session, 0 if none (rl_session_bind) */
    rl_outside outside; /* OUTSIDE: how to ask the server */
} participant_t;

struct rl_lockstep {
    const rl_platform *inner;
    const rl_platform *previous;
    rl_platform table;
    rl_mutex mu;
    rl_cond changed;
    size_t n;
    participant_t p[];
};

static rl_lockstep *active; /* set while installed; see the contract */
static _Thread_local long participant = -1;

/* Whether participant i is stuck until a parked participant moves. A
 * participant blocked on a mutex is stuck only while that mutex's owner is
 * itself parked or blocked: a free mutex, or one held by a running thread,
 * will be acquired without anybody's release. Waiting on a condition or
 * yielding counts as stuck. */
static bool stuck_at(const rl_lockstep *ls, size_t i, size_t depth);

/* OUTSIDE participant i: blocked in the server, by stuck participants only. */
static bool stuck_outside(const rl_lockstep *ls, size_t i, size_t depth) {
    const participant_t *p = &ls->p[i];
    uint64_t holders[RL_HOLDERS_MAX];
    size_t n = 0;
    if (!p->outside.probe || !p->outside.probe(p->outside.ctx, holders, &n) || n == 0)
        return false; /* not (yet) waiting on a lock: the server is working for it */
    if (depth > ls->n)
        return true; /* a cycle of waits among participants: a deadlock, stuck for good */
    for (size_t h = 0; h < n; h++) {
        size_t j = 0;
        while (j < ls->n && !(ls->p[j].session == holders[h] && holders[h] != 0))
            j++;
        if (j == ls->n || j == i)
            return false; /* held by a session no participant owns: it runs on its own */
        if (!stuck_at(ls, j, depth + 1))
            return false;
    }
    return true;
}

static bool stuck(const rl_lockstep *ls, size_t i) { return stuck_at(ls, i, 0); }

static bool stuck_at(const rl_lockstep *ls, size_t i, size_t depth) {
    const participant_t *p = &ls->p[i];
    if (p->state == PARKED || p->state == DONE)
        return true;
    if (p->state == OUTSIDE)
        return stuck_outside(ls, i, depth);
    if (p->state != BLOCKED)
        return false;
    if (!p->waiting_on)
        return true;
    /* relaxed, read under the gate's mutex: an owner that is parked or
     * blocked went through set_state, under that mutex, after storing its
     * id, so the mutex orders the store before this load and the id is
     * exact; a stale value can only come from an owner still running
     * (or a free mutex), and then the waiter is not stuck either way */
    unsigned owner = atomic_load_explicit(&p->waiting_on->owner, memory_order_relaxed);
    for (size_t j = 0; owner != 0 && j < ls->n; j++)
        if (j != i && ls->p[j].tid == owner)
            return ls->p[j].state == PARKED || ls->p[j].state == BLOCKED;
    return false;
}

static void release_if_quiescent(rl_lockstep *ls) {
    for (size_t i = 0; i < ls->n; i++)
        if (!stuck(ls, i))
            return;
    bool any = false;
    for (size_t i = 0; i < ls->n; i++)
        if (ls->p[i].state == PARKED) {
            ls->p[i].state = RUNNING;
            any = true;
        }
    if (any)
        ls->inner->cond_broadcast(&ls->changed);
}

static void set_state(rl_lockstep *ls, size_t i, pstate s, rl_mutex *waiting_on) {
    ls->inner->mutex_lock(&ls->mu);
    ls->p[i].state = s;
    ls->p[i].waiting_on = waiting_on;
    if (s != RUNNING)
        release_if_quiescent(ls);
    ls->inner->mutex_unlock(&ls->mu);
}

static void wrapped_lock(rl_mutex *m) {
    rl_lockstep *ls = active;
    if (participant < 0 || ls->inner->mutex_trylock(m)) {
        if (participant < 0)
            ls->inner->mutex_lock(m);
        return; /* a free mutex never counts as blocking */
    }
    set_state(ls, (size_t)participant, BLOCKED, m);
    ls->inner->mutex_lock(m);
    set_state(ls, (size_t)participant, RUNNING, NULL);
}

static void wrapped_wait(rl_cond *c, rl_mutex *m) {
    rl_lockstep *ls = active;
    if (participant < 0) {
        ls->inner->cond_wait(c, m);
        return;
    }
    set_state(ls, (size_t)participant, BLOCKED, NULL);
    ls->inner->cond_wait(c, m);
    set_state(ls, (size_t)participant, RUNNING, NULL);
}

/* A participant that yields is waiting for someone else (a spinlock
 * waiter): count it as not running for the moment, like a blocked one. */
static void wrapped_yield(void) {
    rl_lockstep *ls = active;
    if (participant < 0) {
        ls->inner->yield();
        return;
    }
    set_state(ls, (size_t)participant, BLOCKED, NULL);
    ls->inner->yield();
    set_state(ls, (size_t)participant, RUNNING, NULL);
}

static void wrapped_session_bind(uint64_t session) {
    rl_lockstep *ls = active;
    if (participant < 0)
        return;
    ls->inner->mutex_lock(&ls->mu);
    ls->p[participant].session = session;
    ls->inner->mutex_unlock(&ls->mu);
}

/* Called again and again while the participant waits in the server: each
 * call is a chance to find everyone stuck. */
static void wrapped_outside_wait(const rl_outside *w) {
    rl_lockstep *ls = active;
    if (participant < 0)
        return;
    ls->inner->mutex_lock(&ls->mu);
    participant_t *p = &ls->p[participant];
    p->state = OUTSIDE;
    p->outside = *w;
    release_if_quiescent(ls);
    ls->inner->mutex_unlock(&ls->mu);
}

static void wrapped_outside_done(void) {
    rl_lockstep *ls = active;
    if (participant < 0)
        return;
    ls->inner->mutex_lock(&ls->mu);
    ls->p[participant].state = RUNNING;
    ls->p[participant].outside = (rl_outside){0};
    ls->inner->mutex_unlock(&ls->mu);
}

bool rl_lockstep_available(void) {
    /* real threads only; a wrapper underneath (the recorder) keeps seeing
     * everything the gate forwards */
    return !active && rl_platform_layout(rl_platform_current()) == rl_platform_pthreads();
}

rl_err rl_lockstep_begin(size_t participants, rl_lockstep **out) {
    if (!out || participants == 0)
        return RL_EINVAL;
    if (active)
        return RL_EBUSY;
    if (!rl_lockstep_available())
        return RL_EINVAL;
    rl_lockstep *ls = calloc(1, sizeof *ls + participants * sizeof ls->p[0]);
    if (!ls)
        return RL_ENOMEM;
    ls->inner = rl_platform_current();
    ls->n = participants;
    rl_err e = rl_mutex_init(&ls->mu, "lockstep");
    if (e == RL_OK && (e = rl_cond_init(&ls->changed, "lockstep")) != RL_OK)
        rl_mutex_destroy(&ls->mu);
    if (e != RL_OK) {
        free(ls);
        return e;
    }
    ls->table = *ls->inner;
    ls->table.name = "lockstep";
    ls->table.layout = ls->inner; /* objects stay pthreads objects */
    ls->table.mutex_lock = wrapped_lock;
    ls->table.cond_wait = wrapped_wait;
    ls->table.yield = wrapped_yield;
    ls->table.session_bind = wrapped_session_bind;
    ls->table.outside_wait = wrapped_outside_wait;
    ls->table.outside_done = wrapped_outside_done;
    active = ls;
    ls->previous = rl_platform_install(&ls->table);
    *out = ls;
    return RL_OK;
}

void rl_lockstep_end(rl_lockstep *ls) {
    if (!ls)
        return;
    rl_platform_install(ls->previous);
    active = NULL;
    rl_cond_destroy(&ls->changed);
    rl_mutex_destroy(&ls->mu);
    free(ls);
}

/* The policy: a NULL gate or a participant out of range is fatal. */
static void check(const char *call, const rl_lockstep *ls, size_t i) {
    if (!ls)
        rl_fatal("%s: NULL lockstep gate", call);
    if (i >= ls->n)
        rl_fatal("%s: participant %zu of %zu", call, i, ls->n);
}

void rl_lockstep_enter(rl_lockstep *ls, size_t i) {
    check("rl_lockstep_enter", ls, i);
    participant = (long)i;
    ls->inner->mutex_lock(&ls->mu);
    ls->p[i].tid = ls->inner->thread_self();
    ls->p[i].state = RUNNING;
    ls->inner->mutex_unlock(&ls->mu);
}

void rl_lockstep_leave(rl_lockstep *ls, size_t i) {
    check("rl_lockstep_leave", ls, i);
    participant = -1;
    set_state(ls, i, DONE, NULL);
}

void rl_lockstep_park(rl_lockstep *ls, size_t i) {
    check("rl_lockstep_park", ls, i);
    ls->inner->mutex_lock(&ls->mu);
    ls->p[i].state = PARKED;
    release_if_quiescent(ls);
    while (ls->p[i].state == PARKED)
        ls->inner->cond_wait(&ls->changed, &ls->mu);
    ls->inner->mutex_unlock(&ls->mu);
}

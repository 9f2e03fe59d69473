/* lockstep.c - the lockstep gate (see racelab/lockstep.h).
 *
 * The gate keeps a state per participant. "Quiescent" means no participant
 * is RUNNING (one that has not entered yet counts as running). Whenever a
 * participant parks, blocks or leaves, the gate checks for quiescence and,
 * if so, moves every PARKED participant back to RUNNING and wakes them.
 * The gate's own mutex and condition are used through the pthreads table
 * directly, below the wrapper, so its bookkeeping is invisible to itself. */
#include "racelab/lockstep.h"

#include <stdlib.h>

typedef enum { RUNNING, PARKED, BLOCKED, DONE } pstate;

struct rl_lockstep {
    const rl_platform *inner;
    const rl_platform *previous;
    rl_platform table;
    rl_mutex mu;
    rl_cond changed;
    size_t n;
    pstate state[];
};

static rl_lockstep *active; /* set while installed; see the contract */
static _Thread_local long participant = -1;

static void release_if_quiescent(rl_lockstep *ls) {
    for (size_t i = 0; i < ls->n; i++)
        if (ls->state[i] == RUNNING)
            return;
    bool any = false;
    for (size_t i = 0; i < ls->n; i++)
        if (ls->state[i] == PARKED) {
            ls->state[i] = RUNNING;
            any = true;
        }
    if (any)
        ls->inner->cond_broadcast(&ls->changed);
}

static void set_state(rl_lockstep *ls, size_t i, pstate s) {
    ls->inner->mutex_lock(&ls->mu);
    ls->state[i] = s;
    if (s != RUNNING)
        release_if_quiescent(ls);
    ls->inner->mutex_unlock(&ls->mu);
}

static void wrapped_lock(rl_mutex *m) {
    rl_lockstep *ls = active;
    if (participant < 0) {
        ls->inner->mutex_lock(m);
        return;
    }
    set_state(ls, (size_t)participant, BLOCKED);
    ls->inner->mutex_lock(m);
    set_state(ls, (size_t)participant, RUNNING);
}

static void wrapped_wait(rl_cond *c, rl_mutex *m) {
    rl_lockstep *ls = active;
    if (participant < 0) {
        ls->inner->cond_wait(c, m);
        return;
    }
    set_state(ls, (size_t)participant, BLOCKED);
    ls->inner->cond_wait(c, m);
    set_state(ls, (size_t)participant, RUNNING);
}

rl_err rl_lockstep_begin(size_t participants, rl_lockstep **out) {
    if (!out || participants == 0 || rl_platform_current() != rl_platform_pthreads())
        return RL_EINVAL;
    if (active)
        return RL_EBUSY;
    rl_lockstep *ls = calloc(1, sizeof *ls + participants * sizeof ls->state[0]);
    if (!ls)
        return RL_ENOMEM;
    ls->inner = rl_platform_pthreads();
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
    ls->table.mutex_lock = wrapped_lock;
    ls->table.cond_wait = wrapped_wait;
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

void rl_lockstep_enter(rl_lockstep *ls, size_t i) {
    if (i >= ls->n)
        rl_fatal("lockstep: participant %zu of %zu", i, ls->n);
    participant = (long)i;
    set_state(ls, i, RUNNING);
}

void rl_lockstep_leave(rl_lockstep *ls, size_t i) {
    participant = -1;
    set_state(ls, i, DONE);
}

void rl_lockstep_park(rl_lockstep *ls, size_t i) {
    ls->inner->mutex_lock(&ls->mu);
    ls->state[i] = PARKED;
    release_if_quiescent(ls);
    while (ls->state[i] == PARKED)
        ls->inner->cond_wait(&ls->changed, &ls->mu);
    ls->inner->mutex_unlock(&ls->mu);
}

static void park_merchant(void *ctx, rl_merchant *m, size_t bill) {
    (void)bill;
    rl_lockstep_park(ctx, m->index);
}

rl_pause rl_lockstep_pause(rl_lockstep *ls) { return (rl_pause){.fn = park_merchant, .ctx = ls}; }

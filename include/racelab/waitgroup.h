/* racelab/waitgroup.h - a counter that threads wait on until it reaches
 * zero, with the semantics of Go's sync.WaitGroup. Built on the platform's
 * mutex and condition variable, so the explorer sees every step.
 *
 * Concurrency contract:
 * - add, done and wait may be called from any threads at once.
 * - An add with a positive delta while the counter is zero must happen
 *   before the wait it is meant to hold back (as in Go).
 * - A counter below zero is a programming error: fatal, with the name.
 * - destroy only when no thread is inside add, done or wait.
 *
 * Arguments (the policy of every layer-2 header): a call that returns
 * rl_err reports a NULL or out-of-range argument as RL_EINVAL; destroy
 * (and rl_locked_list_free, rl_lockstep_end) accepts NULL and does
 * nothing; every other call given NULL, or an argument out of range, is a
 * programming error: fatal, naming the call, as in the platform.
 */
#ifndef RACELAB_WAITGROUP_H
#define RACELAB_WAITGROUP_H

#include "racelab/platform.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct rl_waitgroup {
    rl_mutex mu;
    rl_cond zero;
    long count;
    const char *name;
} rl_waitgroup;

/* RL_EINVAL for NULL, RL_ESYS if the platform refuses. name is kept. */
rl_err rl_waitgroup_init(rl_waitgroup *wg, const char *name);
void rl_waitgroup_destroy(rl_waitgroup *wg);
/* Adds delta (may be negative); wakes the waiters when it reaches zero;
 * fatal if it goes below zero. Never blocks beyond the internal mutex. */
void rl_waitgroup_add(rl_waitgroup *wg, long delta);
/* Same as add(wg, -1). */
void rl_waitgroup_done(rl_waitgroup *wg);
/* Blocks until the counter is zero. Returns at once if it already is. */
void rl_waitgroup_wait(rl_waitgroup *wg);

#ifdef __cplusplus
}
#endif
#endif

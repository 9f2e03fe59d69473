/* racelab/once.h - layer 2: run a function exactly once, like Go's
 * sync.Once. Built on the platform mutex.
 *
 * Concurrency contract: rl_once_do may be called from any threads at once;
 * exactly one call runs fn; every other call blocks until that fn has
 * returned, then returns without running it. fn must not call rl_once_do
 * on the same rl_once (that is a self-deadlock, and fatal). destroy only
 * when no call is running.
 *
 * Arguments (the policy of every layer-2 header): a call that returns
 * rl_err reports a NULL or out-of-range argument as RL_EINVAL; destroy
 * (and rl_locked_list_free, rl_lockstep_end) accepts NULL and does
 * nothing; every other call given NULL, or an argument out of range, is a
 * programming error: fatal, naming the call, as in the platform.
 */
#ifndef RACELAB_ONCE_H
#define RACELAB_ONCE_H

#include "racelab/platform.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct rl_once {
    rl_mutex mu;
    bool done;
} rl_once;

rl_err rl_once_init(rl_once *o, const char *name);
void rl_once_destroy(rl_once *o);
/* Returns true in the one caller whose fn ran. */
bool rl_once_do(rl_once *o, void (*fn)(void *arg), void *arg);
/* Whether fn has run (and returned). */
bool rl_once_done(rl_once *o);

#ifdef __cplusplus
}
#endif
#endif

/* racelab/var.h - layer 2: a named shared variable whose every access is
 * visible.
 *
 * Scenarios keep their shared flags and counters in rl_var instead of plain
 * variables. Each access is atomic, so ThreadSanitizer sees no data race
 * and a check-then-act bug stays what it is, a race condition; and each
 * access is bracketed by rl_access_begin/end, so the explorer can schedule
 * between a check and its act and name the variable in its trace.
 *
 * Concurrency contract: every function may be called from any threads at
 * once after rl_var_init; init itself must happen before the variable is
 * shared. Nothing here blocks.
 *
 * Arguments (the policy of every layer-2 header): a call that returns
 * rl_err reports a NULL or out-of-range argument as RL_EINVAL; destroy
 * (and rl_locked_list_free, rl_lockstep_end) accepts NULL and does
 * nothing; every other call given NULL, or an argument out of range, is a
 * programming error: fatal, naming the call, as in the platform.
 */
#ifndef RACELAB_VAR_H
#define RACELAB_VAR_H

#include "racelab/platform.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct rl_var {
    _Atomic int64_t value;
    const char *name;
} rl_var;

/* name is kept, not copied; NULL gives "var". */
void rl_var_init(rl_var *v, const char *name, int64_t value);
/* A read. */
int64_t rl_var_load(rl_var *v);
/* A write. */
void rl_var_store(rl_var *v, int64_t value);
/* Atomically write value and return the previous one. */
int64_t rl_var_exchange(rl_var *v, int64_t value);
/* Atomically: if the value equals *expected, write desired and return
 * true; otherwise store the value seen in *expected and return false. */
bool rl_var_compare_and_set(rl_var *v, int64_t *expected, int64_t desired);
/* Atomically add delta (wrapping) and return the new value. */
int64_t rl_var_add(rl_var *v, int64_t delta);

#ifdef __cplusplus
}
#endif
#endif

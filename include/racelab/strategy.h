/* racelab/strategy.h - layer 4: writing a billing strategy of your own.
 *
 * A strategy is an rl_strategy (racelab/merchant.h): a name, whether it
 * promises the expected table, and ops whose bill_cycle bills each of a
 * merchant's customers once. racelab's own strategies are made of the
 * pieces below; a strategy of yours can be too, and then runs under
 * `racelab bill`'s machinery (rl_run with your rl_strategy), the lockstep
 * gate and the explorer like theirs:
 *
 *     static rl_err my_cycle(rl_merchant *m) {
 *         for (size_t i = 0; i < m->spec->nbills; i++)
 *             rl_bill_outcome(m, i, rl_bill_locked(m, i, RL_LOCK_ROW));
 *         return m->stats.first_error;
 *     }
 *
 * Each function is called on the merchant's own thread; none is
 * thread-safe on one merchant (a merchant is single-threaded), all are on
 * different merchants of one run.
 *
 * Arguments (the policy of every layer-4 header): a call that returns
 * rl_err reports a NULL or out-of-range argument as RL_EINVAL; free and
 * destroy accept NULL and do nothing; a lookup (by name, by index, or
 * whether something was seen) answers "not found" (NULL, false, the
 * count) for what it does not know, NULL included, and the name of a
 * value out of range is "?"; every other call given NULL, or an index out
 * of range, is a programming error: fatal, naming the call.
 */
#ifndef RACELAB_STRATEGY_H
#define RACELAB_STRATEGY_H

#include <stddef.h>

#include "racelab/merchant.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The amount of bill i of merchant m (i < m->spec->nbills). */
static inline rl_money rl_bill_amount(const rl_merchant *m, size_t i) {
    return m->spec->bills[i].amount;
}

/* The slow step of bill i (think of a call to a card network): the run's
 * pause hook when one is set (the lockstep gate, the explorer), else a
 * sleep of the run's delay +/- its jitter. Never fails. */
void rl_bill_slow_step(rl_merchant *m, size_t i);

/* Count what became of bill i in m->stats (RL_OK: applied; anything else:
 * refused, the first refusal kept with the bank's words). Call it once per
 * bill: the run's checks and `racelab bill`'s report read these counts. */
void rl_bill_outcome(rl_merchant *m, size_t i, rl_err e);

/* Bill i the naive way: read the balance and its version, the slow step,
 * write balance + amount with the version read (a write over a version it
 * did not read counts as a lost update). Racy on its own; correct when the
 * caller holds a lock every writer of that customer takes. The bank's
 * errors; RL_EOVERFLOW when the sum does not fit. */
rl_err rl_bill_read_wait_write(rl_merchant *m, size_t i);

/* Bill i under a lock of the bank held across read, slow step and write:
 * take it (waiting), rl_bill_read_wait_write, commit, or roll back on any
 * error. Blocks while another merchant holds the lock. */
rl_err rl_bill_locked(rl_merchant *m, size_t i, rl_lock_kind kind);

#ifdef __cplusplus
}
#endif
#endif

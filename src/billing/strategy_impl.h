/* strategy_impl.h - what strategy implementations share. Internal. */
#ifndef RACELAB_BILLING_STRATEGY_IMPL_H
#define RACELAB_BILLING_STRATEGY_IMPL_H

#include "racelab/merchant.h"

/* The slow step of bill `bill`: the pause hook if one is set, else a sleep
 * of delay +/- jitter. */
void rl__slow_step(rl_merchant *m, size_t bill);

/* Count the outcome of one bill in m->stats. */
void rl__bill_outcome(rl_merchant *m, size_t bill, rl_err e);

/* One bill the naive way: read the balance, the slow step, write balance +
 * amount with the version read. Racy on its own; correct when the caller
 * holds a lock that every writer of that customer takes. */
rl_err rl__read_wait_write(rl_merchant *m, size_t i);

/* One bill under a lock of the bank, held across read, slow step and
 * write: take it, read-wait-write, commit (roll back on any error). */
rl_err rl__bill_locked(rl_merchant *m, size_t i, rl_lock_kind kind);

/* Amount of bill i of merchant m. */
static inline rl_money rl__amount(const rl_merchant *m, size_t i) { return m->spec->bills[i].amount; }

extern const rl_strategy rl__strategy_racy;
extern const rl_strategy rl__strategy_mutex;
extern const rl_strategy rl__strategy_global;
extern const rl_strategy rl__strategy_staggered;
extern const rl_strategy rl__strategy_atomic;
extern const rl_strategy rl__strategy_cas;
extern const rl_strategy rl__strategy_trylock;
extern const rl_strategy rl__strategy_processor;
extern const rl_strategy rl__strategy_advisory;
extern const rl_strategy rl__strategy_repeatable_read;
extern const rl_strategy rl__strategy_serializable;
extern const rl_strategy rl__strategy_batch;
extern const rl_strategy rl__strategy_unsynchronized;

#endif

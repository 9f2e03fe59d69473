/* strategy_impl.h - what strategy implementations share. Internal. */
#ifndef RACELAB_BILLING_STRATEGY_IMPL_H
#define RACELAB_BILLING_STRATEGY_IMPL_H

#include "racelab/merchant.h"

/* The slow step of bill `bill`: the pause hook if one is set, else a sleep
 * of delay +/- jitter. */
void rl__slow_step(rl_merchant *m, size_t bill);

/* Count the outcome of one bill in m->stats. */
void rl__bill_outcome(rl_merchant *m, size_t bill, rl_err e);

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

#endif

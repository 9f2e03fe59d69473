/* strategy_impl.h - what strategy implementations share. Internal. */
#ifndef RACELAB_BILLING_STRATEGY_IMPL_H
#define RACELAB_BILLING_STRATEGY_IMPL_H

#include "racelab/merchant.h"
#include "racelab/strategy.h"

/* The pieces every strategy is made of are public: racelab/strategy.h. */
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

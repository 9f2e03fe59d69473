/* atomic.c - slow step first, then one atomic add: no read-then-write
 * window exists, so nothing can come between them. */
#include "../strategy_impl.h"

static rl_err atomic_cycle(rl_merchant *m) {
    for (size_t i = 0; i < m->spec->nbills; i++) {
        rl_bill_slow_step(m, i);
        rl_bill_outcome(m, i, rl_bank_add(m->bank, m->accts[i], rl_bill_amount(m, i), NULL));
    }
    return m->stats.first_error;
}

static const rl_merchant_ops atomic_ops = {.bill_cycle = atomic_cycle};

const rl_strategy rl__strategy_atomic = {
    .name = "atomic",
    .summary = "wait first, then one atomic add per bill",
    .correct = true,
    .holds_lock_in_slow_step = false,
    .ops = &atomic_ops,
};

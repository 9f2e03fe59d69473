/* cas.c - optimistic billing: read, slow step, then compare-and-set the
 * balance computed from what was read. If another merchant wrote in
 * between, the compare fails, nothing is written, and the bill is retried
 * from the balance the bank reported, without repeating the slow step (the
 * charge is already decided; only its booking is retried). After
 * max_retries conflicts the bill fails with RL_ERETRY, unapplied. */
#include "../strategy_impl.h"

static rl_err cas_bill(rl_merchant *m, size_t i) {
    rl_money balance, next;
    rl_err e = rl_bank_get(m->bank, m->accts[i], &balance, NULL);
    if (e != RL_OK)
        return e;
    rl__slow_step(m, i);
    for (unsigned attempt = 0;; attempt++) {
        e = rl_money_add(balance, rl__amount(m, i), &next);
        if (e != RL_OK)
            return e;
        e = rl_bank_compare_and_set(m->bank, m->accts[i], balance, next, &balance);
        if (e != RL_ECONFLICT)
            return e;
        if (attempt == m->billing->opts.max_retries)
            return RL_ERETRY;
        m->stats.retries++;
    }
}

static rl_err cas_cycle(rl_merchant *m) {
    for (size_t i = 0; i < m->spec->nbills; i++)
        rl__bill_outcome(m, i, cas_bill(m, i));
    return m->stats.first_error;
}

static const rl_merchant_ops cas_ops = {.bill_cycle = cas_cycle};

const rl_strategy rl__strategy_cas = {
    .name = "cas",
    .summary = "read, wait, compare-and-set; retry from the value seen, up to a bound",
    .correct = true,
    .holds_lock_in_slow_step = false,
    .ops = &cas_ops,
};

/* cas.c - optimistic billing: read the balance and its version, slow step,
 * then write the new balance only if the version is still the one read
 * (UPDATE ... WHERE version = $read in a database). If another merchant
 * wrote in between, nothing is written, and the bill is retried from what
 * the account holds now, without repeating the slow step (the charge is
 * already decided; only its booking is retried). After max_retries
 * conflicts the bill fails with RL_ERETRY, unapplied. */
#include "../strategy_impl.h"

static rl_err cas_bill(rl_merchant *m, size_t i) {
    rl_money balance, next;
    uint64_t version;
    rl_err e = rl_bank_get(m->bank, m->accts[i], &balance, &version);
    if (e != RL_OK)
        return e;
    rl_bill_slow_step(m, i);
    for (unsigned attempt = 0;; attempt++) {
        e = rl_money_add(balance, rl_bill_amount(m, i), &next);
        if (e != RL_OK)
            return e;
        e = rl_bank_set_if_version(m->bank, m->accts[i], next, version, &balance, &version);
        if (e != RL_ECONFLICT)
            return e;
        if (attempt == m->billing->opts.max_retries)
            return RL_ERETRY;
        m->stats.retries++;
    }
}

static rl_err cas_cycle(rl_merchant *m) {
    for (size_t i = 0; i < m->spec->nbills; i++)
        rl_bill_outcome(m, i, cas_bill(m, i));
    return m->stats.first_error;
}

static const rl_merchant_ops cas_ops = {.bill_cycle = cas_cycle};

const rl_strategy rl__strategy_cas = {
    .name = "cas",
    .summary = "read, wait, write if the version is unchanged; retry from a fresh read, up to a "
               "bound",
    .correct = true,
    .holds_lock_in_slow_step = false,
    .ops = &cas_ops,
};

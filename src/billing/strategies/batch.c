/* batch.c - atomic adds, sent many at a time: a merchant does the slow
 * step of each bill, then hands the bank up to BATCH bills at once
 * (rl_bank_add_batch). Each bill is still its own atomic add; in
 * PostgreSQL the batch costs one round trip (libpq pipeline mode), in
 * SQLite one transaction, in memory nothing is saved. Correct for the same
 * reason as `atomic`: there is no read-then-write window. */
#include "../strategy_impl.h"

#define BATCH 64

static void flush(rl_merchant *m, size_t first, size_t n) {
    rl_acct a[BATCH] = {0};
    rl_money d[BATCH] = {0};
    rl_err r[BATCH];
    for (size_t k = 0; k < n; k++) {
        a[k] = m->accts[first + k];
        d[k] = rl_bill_amount(m, first + k);
    }
    (void)rl_bank_add_batch(m->bank, a, d, n, r);
    for (size_t k = 0; k < n; k++)
        rl_bill_outcome(m, first + k, r[k]);
}

static rl_err batch_cycle(rl_merchant *m) {
    size_t n = m->spec->nbills, first = 0;
    for (size_t i = 0; i < n; i++) {
        rl_bill_slow_step(m, i);
        if (i + 1 - first == BATCH || i + 1 == n) {
            flush(m, first, i + 1 - first);
            first = i + 1;
        }
    }
    return m->stats.first_error;
}

static const rl_merchant_ops batch_ops = {.bill_cycle = batch_cycle};

const rl_strategy rl__strategy_batch = {
    .name = "batch",
    .summary = "wait for each bill, then send up to 64 atomic adds at once (one round trip in "
               "PostgreSQL)",
    .correct = true,
    .holds_lock_in_slow_step = false,
    .ops = &batch_ops,
};

/* trylock.c - a lock per customer, but a merchant never waits for a busy
 * one while others are free: it tries each customer's lock (FOR UPDATE
 * NOWAIT in a database), bills the ones it gets, and comes back to the
 * busy ones later. When every customer left is busy it blocks on one of
 * them rather than spinning: no code here busy-waits on a try-lock. */
#include <stdlib.h>

#include "../strategy_impl.h"

/* Bill i with its customer's lock held (the transaction is open); ends it. */
static void bill_held(rl_merchant *m, size_t i) {
    rl_bill_outcome(m, i, rl_bank_finish(m->bank, rl_bill_read_wait_write(m, i)));
}

static rl_err trylock_cycle(rl_merchant *m) {
    size_t n = m->spec->nbills;
    size_t *pending = malloc(n * sizeof *pending);
    if (!pending) {
        for (size_t i = 0; i < n; i++)
            rl_bill_outcome(m, i, RL_ENOMEM);
        return RL_ENOMEM;
    }
    for (size_t i = 0; i < n; i++)
        pending[i] = i;
    size_t left = n;
    while (left > 0) {
        size_t kept = 0;
        for (size_t k = 0; k < left; k++) {
            size_t i = pending[k];
            rl_err e = rl_bank_lock(m->bank, RL_LOCK_ROW, m->accts[i], false);
            if (e == RL_OK)
                bill_held(m, i);
            else if (e == RL_EBUSY)
                pending[kept++] = i; /* busy: come back to it */
            else
                rl_bill_outcome(m, i, e);
        }
        if (kept > 0 && kept == left) {
            /* a whole pass found every customer left busy: wait for one */
            size_t i = pending[0];
            rl_err e = rl_bank_lock(m->bank, RL_LOCK_ROW, m->accts[i], true);
            if (e == RL_OK)
                bill_held(m, i);
            else
                rl_bill_outcome(m, i, e);
            pending[0] = pending[--kept];
        }
        left = kept;
    }
    free(pending);
    return m->stats.first_error;
}

static const rl_merchant_ops trylock_ops = {.bill_cycle = trylock_cycle};

const rl_strategy rl__strategy_trylock = {
    .name = "trylock",
    .summary = "try each customer's lock (NOWAIT), come back to busy ones, block when only busy "
               "ones are left",
    .correct = true,
    .holds_lock_in_slow_step = true,
    .lock = RL_LOCK_ROW,
    .ops = &trylock_ops,
};

/* trylock.c - a lock per customer, but a merchant never waits for a busy
 * one while others are free: it tries each customer's lock, bills the ones
 * it gets, and comes back to the busy ones later. When every customer left
 * is busy it blocks on one of them rather than spinning: no code here
 * busy-waits on a try-lock. */
#include <stdlib.h>

#include "../strategy_impl.h"

static rl_err setup(rl_billing *b) { return rl__locks_create(b, b->data->ncustomers); }

/* Bill i with its customer's lock held; releases it. */
static void bill_locked(rl_merchant *m, size_t i, rl_mutex *lock) {
    rl_err e = rl__read_wait_write(m, i);
    rl_mutex_unlock(lock);
    rl__bill_outcome(m, i, e);
}

static rl_err trylock_cycle(rl_merchant *m) {
    rl__locks *l = m->billing->shared;
    size_t n = m->spec->nbills;
    size_t *pending = malloc(n * sizeof *pending);
    if (!pending) {
        for (size_t i = 0; i < n; i++)
            rl__bill_outcome(m, i, RL_ENOMEM);
        return RL_ENOMEM;
    }
    for (size_t i = 0; i < n; i++)
        pending[i] = i;
    size_t left = n;
    while (left > 0) {
        size_t kept = 0;
        for (size_t k = 0; k < left; k++) {
            size_t i = pending[k];
            rl_mutex *lock = &l->locks[m->customers[i]];
            if (rl_mutex_trylock(lock))
                bill_locked(m, i, lock);
            else
                pending[kept++] = i; /* busy: come back to it */
        }
        if (kept == left) {
            /* a whole pass found every customer left busy: wait for one */
            size_t i = pending[0];
            rl_mutex *lock = &l->locks[m->customers[i]];
            rl_mutex_lock(lock);
            bill_locked(m, i, lock);
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
    .summary = "try each customer's lock, come back to busy ones, block when only busy ones are left",
    .correct = true,
    .holds_lock_in_slow_step = true,
    .ops = &trylock_ops,
    .setup = setup,
    .teardown = rl__locks_destroy,
};

/* trylock.c - a lock per customer, but a merchant never waits for a busy
 * one while others are free: it tries each customer's lock, bills the ones
 * it gets, and comes back to the busy ones later. When every customer left
 * is busy it blocks on one of them rather than spinning: no code here
 * busy-waits on a try-lock. */
#include <stdlib.h>

#include "../strategy_impl.h"

typedef struct {
    size_t nlocks;
    rl_mutex locks[];
} locks;

static rl_err setup(rl_billing *b) {
    size_t n = b->data->ncustomers;
    locks *l = malloc(sizeof *l + n * sizeof l->locks[0]);
    if (!l)
        return RL_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        rl_err e = rl_mutex_init(&l->locks[i], b->data->customers[i].name);
        if (e != RL_OK) {
            while (i-- > 0)
                rl_mutex_destroy(&l->locks[i]);
            free(l);
            return e;
        }
    }
    l->nlocks = n;
    b->shared = l;
    return RL_OK;
}

static void teardown(rl_billing *b) {
    locks *l = b->shared;
    for (size_t i = 0; i < l->nlocks; i++)
        rl_mutex_destroy(&l->locks[i]);
    free(l);
    b->shared = NULL;
}

/* Bill i with its customer's lock held; releases it. */
static void bill_locked(rl_merchant *m, size_t i, rl_mutex *lock) {
    rl_money balance, next = 0;
    uint64_t version;
    rl_err e = rl_bank_get(m->bank, m->accts[i], &balance, &version);
    if (e == RL_OK) {
        rl__slow_step(m, i);
        e = rl_money_add(balance, rl__amount(m, i), &next);
    }
    if (e == RL_OK)
        e = rl_bank_set(m->bank, m->accts[i], next, version, NULL);
    rl_mutex_unlock(lock);
    rl__bill_outcome(m, i, e);
}

static rl_err trylock_cycle(rl_merchant *m) {
    locks *l = m->billing->shared;
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
    .teardown = teardown,
};

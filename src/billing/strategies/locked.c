/* locked.c - the lock-holding strategies. The lock belongs to the
 * billing, around read, slow step and write; putting it inside the bank's
 * get and set would leave the gap between them open (the exercise's hint).
 *
 *   mutex      one lock per customer: merchants billing different customers
 *              proceed in parallel, but all start with the same customer
 *              and queue behind each other (a pipeline: (M + C - 1) slow
 *              steps for M merchants and C customers).
 *   staggered  the same locks, but merchant m starts its list m/M of the
 *              way in, so merchants rarely want the same customer at the
 *              same time (max(M, C) slow steps when the lists align).
 *   global     one lock for everything: billing is serial, whatever the data.
 */
#include "../strategy_impl.h"

static rl_err mutex_setup(rl_billing *b) { return rl__locks_create(b, b->data->ncustomers); }
static rl_err global_setup(rl_billing *b) { return rl__locks_create(b, 1); }

static rl_err bill_in_order(rl_merchant *m, size_t offset) {
    rl__locks *l = m->billing->shared;
    size_t n = m->spec->nbills;
    for (size_t k = 0; k < n; k++) {
        size_t i = (k + offset) % n;
        rl_mutex *lock = &l->locks[l->n == 1 ? 0 : m->customers[i]];
        rl_mutex_lock(lock);
        rl_err e = rl__read_wait_write(m, i);
        rl_mutex_unlock(lock);
        rl__bill_outcome(m, i, e);
    }
    return m->stats.first_error;
}

static rl_err locked_cycle(rl_merchant *m) { return bill_in_order(m, 0); }

static rl_err staggered_cycle(rl_merchant *m) {
    size_t merchants = m->billing->data->nmerchants;
    return bill_in_order(m, m->index * m->spec->nbills / merchants);
}

static const rl_merchant_ops locked_ops = {.bill_cycle = locked_cycle};
static const rl_merchant_ops staggered_ops = {.bill_cycle = staggered_cycle};

const rl_strategy rl__strategy_mutex = {
    .name = "mutex",
    .summary = "a lock per customer, held across read, wait and write",
    .correct = true,
    .holds_lock_in_slow_step = true,
    .ops = &locked_ops,
    .setup = mutex_setup,
    .teardown = rl__locks_destroy,
};

const rl_strategy rl__strategy_staggered = {
    .name = "staggered",
    .summary = "a lock per customer as mutex, but each merchant starts at another customer",
    .correct = true,
    .holds_lock_in_slow_step = true,
    .ops = &staggered_ops,
    .setup = mutex_setup,
    .teardown = rl__locks_destroy,
};

const rl_strategy rl__strategy_global = {
    .name = "global",
    .summary = "one lock for all billing, held across read, wait and write",
    .correct = true,
    .holds_lock_in_slow_step = true,
    .ops = &locked_ops,
    .setup = global_setup,
    .teardown = rl__locks_destroy,
};

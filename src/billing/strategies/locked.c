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
#include <stdlib.h>

#include "../strategy_impl.h"

typedef struct {
    size_t nlocks;
    rl_mutex locks[];
} locks;

static rl_err make_locks(rl_billing *b, size_t n) {
    locks *l = malloc(sizeof *l + n * sizeof l->locks[0]);
    if (!l)
        return RL_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        const char *name = n == 1 ? "billing" : b->data->customers[i].name;
        rl_err e = rl_mutex_init(&l->locks[i], name);
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

static rl_err mutex_setup(rl_billing *b) { return make_locks(b, b->data->ncustomers); }
static rl_err global_setup(rl_billing *b) { return make_locks(b, 1); }

static void locks_teardown(rl_billing *b) {
    locks *l = b->shared;
    for (size_t i = 0; i < l->nlocks; i++)
        rl_mutex_destroy(&l->locks[i]);
    free(l);
    b->shared = NULL;
}

static rl_err bill_in_order(rl_merchant *m, size_t offset) {
    locks *l = m->billing->shared;
    size_t n = m->spec->nbills;
    for (size_t k = 0; k < n; k++) {
        size_t i = (k + offset) % n;
        rl_mutex *lock = &l->locks[l->nlocks == 1 ? 0 : m->customers[i]];
        rl_money balance, next = 0;
        uint64_t version;
        rl_mutex_lock(lock);
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
    .teardown = locks_teardown,
};

const rl_strategy rl__strategy_staggered = {
    .name = "staggered",
    .summary = "a lock per customer as mutex, but each merchant starts at another customer",
    .correct = true,
    .holds_lock_in_slow_step = true,
    .ops = &staggered_ops,
    .setup = mutex_setup,
    .teardown = locks_teardown,
};

const rl_strategy rl__strategy_global = {
    .name = "global",
    .summary = "one lock for all billing, held across read, wait and write",
    .correct = true,
    .holds_lock_in_slow_step = true,
    .ops = &locked_ops,
    .setup = global_setup,
    .teardown = locks_teardown,
};

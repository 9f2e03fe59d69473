/* locked.c - the lock-holding strategies. The lock belongs to the
 * billing, around read, slow step and write; putting it inside the bank's
 * get and set would leave the gap between them open (the exercise's hint).
 * The locks are the bank's (rl_bank_lock): platform mutexes in memory, row
 * and table locks in a database, held until the transaction commits.
 *
 *   mutex      the customer's row lock (SELECT ... FOR UPDATE): merchants
 *              billing different customers proceed in parallel, but all
 *              start with the same customer and queue behind each other (a
 *              pipeline: (M + C - 1) slow steps for M merchants and C
 *              customers).
 *   staggered  the same locks, but merchant m starts its list m/M of the
 *              way in, so merchants rarely want the same customer at the
 *              same time (max(M, C) slow steps when the lists align).
 *   global     one lock for everything (a table lock): billing is serial,
 *              whatever the data.
 *   advisory   an application lock per customer, held in the database
 *              (pg_advisory_xact_lock) rather than on the row; the row is
 *              then read and written plainly.
 */
#include "../strategy_impl.h"

static rl_err bill_in_order(rl_merchant *m, size_t offset, rl_lock_kind kind) {
    size_t n = m->spec->nbills;
    for (size_t k = 0; k < n; k++) {
        size_t i = (k + offset) % n;
        rl_bill_outcome(m, i, rl_bill_locked(m, i, kind));
    }
    return m->stats.first_error;
}

static rl_err locked_cycle(rl_merchant *m) { return bill_in_order(m, 0, RL_LOCK_ROW); }
static rl_err global_cycle(rl_merchant *m) { return bill_in_order(m, 0, RL_LOCK_ALL); }
static rl_err advisory_cycle(rl_merchant *m) { return bill_in_order(m, 0, RL_LOCK_ADVISORY); }

static rl_err staggered_cycle(rl_merchant *m) {
    size_t merchants = m->billing->data->nmerchants;
    return bill_in_order(m, m->index * m->spec->nbills / merchants, RL_LOCK_ROW);
}

static const rl_merchant_ops locked_ops = {.bill_cycle = locked_cycle};
static const rl_merchant_ops staggered_ops = {.bill_cycle = staggered_cycle};
static const rl_merchant_ops global_ops = {.bill_cycle = global_cycle};
static const rl_merchant_ops advisory_ops = {.bill_cycle = advisory_cycle};

const rl_strategy rl__strategy_mutex = {
    .name = "mutex",
    .summary = "a lock per customer (the row, FOR UPDATE), held across read, wait and write",
    .correct = true,
    .holds_lock_in_slow_step = true,
    .lock = RL_LOCK_ROW,
    .ops = &locked_ops,
};

const rl_strategy rl__strategy_staggered = {
    .name = "staggered",
    .summary = "a lock per customer as mutex, but each merchant starts at another customer",
    .correct = true,
    .holds_lock_in_slow_step = true,
    .lock = RL_LOCK_ROW,
    .ops = &staggered_ops,
};

const rl_strategy rl__strategy_global = {
    .name = "global",
    .summary = "one lock for all billing (a table lock), held across read, wait and write",
    .correct = true,
    .holds_lock_in_slow_step = true,
    .lock = RL_LOCK_ALL,
    .ops = &global_ops,
};

const rl_strategy rl__strategy_advisory = {
    .name = "advisory",
    .summary = "an application lock per customer (pg_advisory_xact_lock), held across the bill",
    .correct = true,
    .holds_lock_in_slow_step = true,
    .lock = RL_LOCK_ADVISORY,
    .ops = &advisory_ops,
};

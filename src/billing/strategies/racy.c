/* racy.c - read, slow step, write: the exercise's failure case. Each bank
 * call is atomic, so there is no data race; the read and the write are
 * not atomic together, so concurrent merchants overwrite each other. */
#include "../strategy_impl.h"
#include "racelab/dbbank.h"

static rl_err racy_cycle(rl_merchant *m) {
    for (size_t i = 0; i < m->spec->nbills; i++)
        rl_bill_outcome(m, i, rl_bill_read_wait_write(m, i));
    return m->stats.first_error;
}

static const rl_merchant_ops racy_ops = {.bill_cycle = racy_cycle};

const rl_strategy rl__strategy_racy = {
    .name = "racy",
    .summary = "read, wait, write back: no data race, but concurrent merchants lose updates",
    .correct = false,
    .holds_lock_in_slow_step = false,
    .ops = &racy_ops,
};

/* unsynchronized: the same code on the unsynchronized bank, whose
 * balances are plain memory: besides the race condition, a data race
 * (undefined behaviour), kept for the lesson (make demo-tsan). Never in
 * the registry's lists: only by name. */
const rl_strategy rl__strategy_unsynchronized = {
    .name = "unsynchronized",
    .summary = "racy on plain memory: a data race too (undefined behaviour, for the lesson; "
               "make demo-tsan)",
    .correct = false,
    .holds_lock_in_slow_step = false,
    .ops = &racy_ops,
    .bank_flags = RL_BANK_UNSYNCHRONIZED,
};

/* isolation.c - the naive read, slow step, write, but inside a transaction
 * at a stronger isolation level, and let the engine find the conflict.
 * When two merchants bill the same customer at once, PostgreSQL aborts
 * the later writer with SQLSTATE 40001 ("could not serialize access due to
 * concurrent update"), SQLite with SQLITE_BUSY, the memory bank the same
 * way (first updater wins): nothing of that transaction is applied, and the
 * merchant runs the whole transaction again, slow step included, up to
 * max_retries times; past that the bill is refused (RL_ERETRY). */
#include "../strategy_impl.h"

static rl_err txn_bill(rl_merchant *m, size_t i, rl_isolation iso) {
    for (unsigned attempt = 0;; attempt++) {
        rl_err e = rl_bank_begin(m->bank, iso);
        if (e == RL_OK)
            e = rl_bill_read_wait_write(m, i);
        e = rl_bank_finish(m->bank, e);
        if (e != RL_ESERIAL)
            return e;
        m->stats.aborts++;
        if (attempt == m->billing->opts.max_retries)
            return RL_ERETRY;
        m->stats.retries++;
    }
}

static rl_err rr_cycle(rl_merchant *m) {
    for (size_t i = 0; i < m->spec->nbills; i++)
        rl_bill_outcome(m, i, txn_bill(m, i, RL_ISO_REPEATABLE_READ));
    return m->stats.first_error;
}

static rl_err ser_cycle(rl_merchant *m) {
    for (size_t i = 0; i < m->spec->nbills; i++)
        rl_bill_outcome(m, i, txn_bill(m, i, RL_ISO_SERIALIZABLE));
    return m->stats.first_error;
}

static const rl_merchant_ops rr_ops = {.bill_cycle = rr_cycle};
static const rl_merchant_ops ser_ops = {.bill_cycle = ser_cycle};

const rl_strategy rl__strategy_repeatable_read = {
    .name = "repeatable-read",
    .summary = "read, wait, write in a repeatable-read transaction; the engine aborts the loser, "
               "retried whole",
    .correct = true,
    .holds_lock_in_slow_step = false,
    .ops = &rr_ops,
};

const rl_strategy rl__strategy_serializable = {
    .name = "serializable",
    .summary = "read, wait, write in a serializable transaction; the engine aborts the loser, "
               "retried whole",
    .correct = true,
    .holds_lock_in_slow_step = false,
    .ops = &ser_ops,
};

/* racelab/run.h - one billing run: a bank opened from a data set, one
 * merchant per merchant spec, the strategy, serial or concurrent.
 *
 * Serial: merchants bill one after another on the calling thread; its
 * result is the correct answer. Concurrent: one thread per merchant, a
 * wait group, then every thread joined.
 *
 * Concurrency contract: rl_run installs nothing unless lockstep is asked
 * for; with lockstep it installs the gate for the duration of the run, so
 * the usual rl_platform_install conditions apply. Results are plain data.
 *
 * Arguments (the policy of every layer-4 header): a call that returns
 * rl_err reports a NULL or out-of-range argument as RL_EINVAL; free and
 * destroy accept NULL and do nothing; a lookup (by name, by index, or
 * whether something was seen) answers "not found" (NULL, false, the
 * count) for what it does not know, NULL included, and the name of a
 * value out of range is "?"; every other call given NULL, or an index out
 * of range, is a programming error: fatal, naming the call.
 */
#ifndef RACELAB_RUN_H
#define RACELAB_RUN_H

#include "racelab/merchant.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum rl_mode { RL_MODE_SERIAL, RL_MODE_CONCURRENT } rl_mode;

typedef struct rl_run_config {
    const rl_dataset *data;      /* NULL: the default data set */
    const rl_strategy *strategy; /* required */
    rl_mode mode;
    rl_billing_opts opts;
    /* Concurrent only: every merchant reads a customer before any writes
     * it, whenever its strategy allows, and no merchant reads its next
     * customer before every merchant has written (see racelab/lockstep.h). */
    bool lockstep;
    /* Where the balances live: NULL or "memory", "sqlite:PATH", or a
     * PostgreSQL URL (racelab/dbbank.h). A database gets a scratch bank,
     * made anew and loaded with the data set at the start of each run;
     * each merchant bills through its own connection. A run replaces only
     * a scratch bank of an earlier run (RL_EEXIST otherwise, why saying
     * what is there), or with replace_bank every racelab_* table there
     * (see "Replacing a bank" in racelab/dbbank.h). */
    const char *bank;
    bool replace_bank;
    /* Fault injection (PostgreSQL): when kill_session is set, merchant
     * number kill_merchant has its server session terminated
     * (rl_bank_terminate) at the start of the slow step of its bill
     * kill_bill, both counted from 0. Its transaction is rolled back by the
     * server and its remaining bills fail with RL_ECONN; the result says
     * which bills were applied. */
    bool kill_session;
    size_t kill_merchant, kill_bill;
} rl_run_config;

/* rl_run_config with the default data, serial, default options. */
rl_run_config rl_run_config_default(const rl_strategy *s);

typedef struct rl_run_row {
    const char *customer;
    rl_money start, expected, final;
} rl_run_row;

/* One bill of the run and what became of it. */
typedef struct rl_run_bill {
    const char *merchant, *customer;
    rl_money amount;
    rl_err outcome; /* RL_OK applied; RL_EUNKNOWN maybe; anything else not applied */
} rl_run_bill;

typedef struct rl_run_result {
    size_t ncustomers;
    rl_run_row *rows; /* heap, ncustomers long; freed by rl_run_result_free */
    bool matches;     /* every final balance equals the expected one */
    uint64_t lost_updates; /* stale writes the bank saw during the run */
    uint64_t retries, aborts, billed, failed;
    rl_err first_error;         /* first refused bill, or RL_OK */
    char error_detail[RL_BANK_ERRMSG_MAX]; /* the database's words for it, or "" */
    const char *error_merchant; /* who got it, or NULL */
    const char *error_customer;
    uint64_t wall_ns;
    /* Every bill, merchant by merchant in data-set order (heap, freed with
     * the result). */
    rl_run_bill *bills;
    size_t nbills;
    /* Bills that could not be done because a database connection was lost
     * (RL_ECONN: not applied) or whose fate is unknown (RL_EUNKNOWN). Such
     * a run did not do its job: the command exits 3. */
    uint64_t lost_connection, unknown;
    /* Every final balance is its start plus exactly the bills applied
     * (plus some of the unknown ones): nothing half-applied, nothing
     * applied without being reported. A strategy that loses updates is not
     * consistent. */
    bool consistent;
    const char *bank_kind; /* "memory", "sqlite", "postgresql" (static) */
    /* How the bank maps the strategy's lock when that is not what its
     * name says ("SQLite has no row locks: ..."), else "". */
    char note[256];
} rl_run_result;

/* Run once. Errors before any bill (invalid data or config, lockstep with
 * serial mode, a bank that cannot be reached, setup failure) are returned
 * and nothing is billed; *out is then empty. Refused bills during the run are not errors of rl_run: they
 * are counted in the result. On RL_OK, free *out with rl_run_result_free.
 * why (may be NULL) receives a sentence when an error is returned. */
rl_err rl_run(const rl_run_config *cfg, rl_run_result *out, char *why, size_t why_len);
void rl_run_result_free(rl_run_result *r);

const char *rl_mode_name(rl_mode m);

#ifdef __cplusplus
}
#endif
#endif

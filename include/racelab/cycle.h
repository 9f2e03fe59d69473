/* racelab/cycle.h - layer 4: billing cycles across processes.
 *
 * In a real system the merchants are separate processes, often on
 * separate machines, billing through one database. Here a bank in a
 * database (SQLite or PostgreSQL: the memory bank lives in one process)
 * holds the data set's accounts; each merchant bills its customers for a
 * billing cycle (any number: 1, 2, ...), each bill applied exactly once
 * through the bank's ledger (rl_bank_apply_once), and marks the cycle
 * finished when every bill went through. Running the same merchant and
 * cycle again, after a crash or not, applies nothing twice. The check
 * reads the ledger back and names every violation.
 *
 * Every function takes the data set the bank was made with (the same
 * merchants and customers on every command).
 *
 * Arguments (the policy of every layer-4 header): a call that returns
 * rl_err reports a NULL or out-of-range argument as RL_EINVAL; free and
 * destroy accept NULL and do nothing; a lookup (by name, by index, or
 * whether something was seen) answers "not found" (NULL, false, the
 * count) for what it does not know, NULL included, and the name of a
 * value out of range is "?"; every other call given NULL, or an index out
 * of range, is a programming error: fatal, naming the call.
 */
#ifndef RACELAB_CYCLE_H
#define RACELAB_CYCLE_H

#include <stddef.h>
#include <stdint.h>

#include "racelab/bank.h"
#include "racelab/dataset.h"
#include "racelab/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A fresh bank for d: racelab's tables made anew, the accounts loaded.
 * Without force, RL_EEXIST when url holds any table named racelab_* (a
 * bank, a scratch bank, a user's own table), why saying what is there:
 * nothing is touched. With force every such table is dropped (see
 * "Replacing a bank" in racelab/dbbank.h). */
rl_err rl_cycle_init(const char *url, const rl_dataset *d, bool force, rl_bank **out, char *why,
                     size_t why_len);

/* Attach to the bank url holds; RL_EINVAL when its accounts are not d's
 * customers (a bank made for another data set), with why saying so. */
rl_err rl_cycle_attach(const char *url, const rl_dataset *d, rl_bank **out, char *why,
                       size_t why_len);

/* rl_cycle_attach, and while the server cannot be reached (RL_ECONN),
 * again: after 50 ms, then twice as long each time (at most 1 s), for at
 * most budget_ns (0: 30 s). note (may be NULL) hears of the first
 * failure. For a merchant started before its database. What trying again
 * cannot mend (RL_EINVAL: a malformed URL, an unknown role or database, an
 * SQLite file that cannot be opened) returns at once. */
rl_err rl_cycle_attach_wait(const char *url, const rl_dataset *d, uint64_t budget_ns,
                            void (*note)(void *ctx, const char *text), void *ctx, rl_bank **out,
                            char *why, size_t why_len);

/* How a merchant changes a balance: the strategies of the threads, in
 * SQL, each bill in its own transaction. With the ledger (the default)
 * the bill's ledger row is written in that same transaction, so a bill
 * applied before (a rerun, a crash after the commit) is found and skipped;
 * with no_ledger nothing stops a rerun applying a bill again. */
typedef enum rl_cycle_strategy {
    RL_CYCLE_ATOMIC,   /* balance = balance + bill, one statement (the default) */
    RL_CYCLE_MUTEX,    /* the row locked (FOR UPDATE) across read, slow step, write */
    RL_CYCLE_GLOBAL,   /* the table locked across read, slow step, write */
    RL_CYCLE_ADVISORY, /* an advisory lock per customer across the bill */
    RL_CYCLE_TRYLOCK,  /* FOR UPDATE NOWAIT; a busy customer is billed later, and
                          waited for when only busy ones are left */
    RL_CYCLE_CAS,      /* read, slow step, write if the version is unchanged; a
                          conflict reads again and writes again */
    RL_CYCLE_REPEATABLE_READ, /* read, slow step, write in a repeatable-read
                                 transaction, run again when the engine aborts it */
    RL_CYCLE_SERIALIZABLE,    /* the same at serializable */
    RL_CYCLE_RACY,     /* read, slow step, write the value read plus the bill:
                          loses updates when merchants meet, ledger or not */
    RL_CYCLE_NSTRATEGIES
} rl_cycle_strategy;

/* A strategy's name ("atomic", "mutex", ...); by name, "ledger" being
 * the old name of atomic. False for a name that is none. */
const char *rl_cycle_strategy_name(rl_cycle_strategy s);
bool rl_cycle_strategy_find(const char *name, rl_cycle_strategy *out);

/* One bill's outcome, for a per-bill line (rl_cycle_opts.each). */
typedef enum rl_bill_outcome {
    RL_BILL_APPLIED,
    RL_BILL_ALREADY, /* in the ledger already: applied by an earlier run */
    RL_BILL_REFUSED  /* refused by the bank (an overflow): not applied */
} rl_bill_outcome;

typedef struct rl_cycle_opts {
    rl_cycle_strategy strategy;
    bool no_ledger; /* balances only: a rerun applies every bill again */
    /* A bill that lost to another merchant (a changed version, an aborted
     * transaction) is tried again, at most max_retries times (0: 1000);
     * past that it fails with RL_ERETRY, unapplied. */
    unsigned max_retries;
    uint64_t delay_ns; /* each bill's slow step (between reading and writing for racy) */
    /* For crash tests (with the ledger): the process kills itself (SIGKILL)
     * in the middle of bill `die_at` (0-based), after its ledger row and
     * balance change were sent in a transaction that is not committed.
     * -1: never. */
    long die_at;
    /* May be NULL: called after each bill. */
    void (*each)(void *ctx, size_t bill, const char *customer, rl_money amount,
                 rl_bill_outcome outcome);
    /* May be NULL: what happens to the connection ("lost ...; reconnected"). */
    void (*note)(void *ctx, const char *text);
    void *ctx;
    /* With the ledger, a merchant reconnects when the connection is lost (a server
     * restarted): to url, waiting 50 ms, then twice as long each time (at
     * most 1 s), for at most reconnect_ns in all (0: 30 s); then the bill
     * is sent again, which the ledger makes safe (a bill that went through
     * before the loss is found in the ledger and skipped). NULL url: no
     * reconnecting. */
    const char *url;
    uint64_t reconnect_ns;
    /* Force the race: at each bill, wait until `meet` merchants are there
     * (rl_bank_meet on a connection of its own; 0: no meeting), for at
     * most 60 s: between reading and writing where a strategy reads first
     * (racy, cas, repeatable-read, serializable), before taking the lock
     * where it locks, before the statement for atomic. */
    size_t meet;
} rl_cycle_opts;

typedef struct rl_cycle_summary {
    size_t bills, applied, already, refused;
    size_t conflicts; /* another merchant got there first: a changed version, an
                         aborted transaction, a busy lock */
    size_t retries;   /* bills written again after a conflict */
    size_t reconnects;
    uint64_t elapsed_ns; /* billing only, from the first bill to the last */
    bool finished; /* every bill applied (now or before): the cycle is marked finished */
} rl_cycle_summary;

/* Merchant `merchant` of d bills its customers for cycle `cycle` on *b
 * (which a reconnection replaces). RL_ENOENT when d has no such merchant.
 * A connection lost for good (past the reconnection time, or without the
 * ledger) or a server error stops the cycle (RL_ECONN, RL_EDB, ...):
 * what was applied stays applied, and running the cycle again completes
 * it. */
rl_err rl_cycle_bill(rl_bank **b, const rl_dataset *d, const char *merchant, uint64_t cycle,
                     const rl_cycle_opts *o, rl_cycle_summary *out, char *why, size_t why_len);

/* One account, as the check sees it. */
typedef struct rl_cycle_account {
    const char *name;
    rl_money start, balance;
    rl_money by_ledger; /* start plus every bill in the ledger */
    rl_money by_cycles; /* start plus every bill of every finished cycle */
} rl_cycle_account;

typedef struct rl_cycle_report {
    rl_cycle_account *accounts; /* d's customers, in order */
    size_t naccounts;
    size_t ledger_rows, finished_cycles;
    char **violations; /* one sentence each; none when the bank is right */
    size_t nviolations;
} rl_cycle_report;

/* Check b against d: every balance is its start plus exactly the bills in
 * the ledger ("wrong balance"); every ledger row is a bill of d, to the
 * right customer, for the right amount ("unexpected"); no bill of a
 * finished cycle is missing from the ledger ("missing"); the accounts are
 * d's customers ("unknown account", "missing account"); every balance is
 * what the finished cycles make it, plus the ledger's bills of cycles under
 * way ("wrong total": updates lost or doubled); no balance below
 * zero where d's bills never take it there ("negative"). An error only
 * when the bank cannot be read. Free with rl_cycle_report_free. */
rl_err rl_cycle_check(rl_bank *b, const rl_dataset *d, rl_cycle_report *out);
void rl_cycle_report_free(rl_cycle_report *r);

#ifdef __cplusplus
}
#endif
#endif

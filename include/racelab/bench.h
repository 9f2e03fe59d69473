/* racelab/bench.h - what each fix costs, measured side by side in one run
 * and compared with the best possible.
 *
 * Makespan: M merchants bill C customers each, one bill at a time, each
 * bill with a slow step of length s. Bounds: serial takes M*C*s; a
 * strategy holding a customer's lock through the slow step needs at least
 * max(M, C)*s (each customer is locked M times, each merchant bills C
 * times); one that keeps the slow step outside every lock needs at least
 * C*s (every merchant busy all the time).
 *
 * Every result is checked against the expected balances after the timing:
 * a strategy that ends wrong is flagged and never counted as the best,
 * however fast it was.
 *
 * Concurrency contract: one benchmark at a time per process; it runs the
 * strategies on real threads (pthreads table).
 *
 * Every entry point blocks its caller for the whole measurement (seconds,
 * as the options say), reporting progress through the callback it is
 * given, if any. On RL_OK the result is the caller's, to free with its
 * _free function. On an error (RL_EINVAL for a NULL or zero option,
 * RL_ENOMEM, a bank's error) why says what, and the result holds nothing
 * to free: it is zeroed (when it is not NULL), so freeing it anyway is
 * harmless, as is freeing NULL or freeing twice.
 *
 * (Throughput is described below, with its options.)
 */
#ifndef RACELAB_BENCH_H
#define RACELAB_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "racelab/run.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct rl_makespan_opts {
    size_t merchants, customers; /* default 5 x 5 */
    uint64_t delay_ns;           /* the slow step s, default 10 ms */
    uint64_t seed;               /* data set seed, default 1 */
    /* The strategies to run, each concurrently, after the serial run;
     * NULL: every registered strategy. */
    const rl_strategy *const *strategies;
    size_t nstrategies;
    const char *bank; /* where the balances live (racelab/dbbank.h); NULL: memory */
    /* A database gets a scratch bank (see "Replacing a bank" in
     * racelab/dbbank.h); with replace_bank any racelab_* table there is
     * replaced. */
    bool replace_bank;
    /* May be NULL: called before each row is measured (for a progress
     * line): its name, its index from 0, the number of rows. */
    void (*row_progress)(void *ctx, const char *row, size_t index, size_t rows);
    void *progress_ctx;
} rl_makespan_opts;

typedef struct rl_makespan_row {
    char name[32];       /* strategy name, or "serial" */
    bool promises;       /* the strategy promises the expected balances */
    bool correct;        /* it delivered them in this run */
    bool holds_lock;     /* holds a customer's lock through the slow step */
    uint64_t wall_ns;
    double x_serial;     /* wall / (M*C*s) */
    double x_lock_bound; /* wall / (max(M,C)*s) */
    double x_free_bound; /* wall / (C*s) */
    uint64_t lost_updates, retries;
} rl_makespan_row;

typedef struct rl_makespan_result {
    size_t merchants, customers;
    uint64_t delay_ns, seed;
    uint64_t serial_bound_ns, lock_bound_ns, free_bound_ns;
    size_t nrows;
    rl_makespan_row *rows; /* heap; rows[0] is the serial run */
    long best_lock;        /* index of the fastest correct lock-holding row, -1 if none */
    long best_overall;     /* index of the fastest correct row */
} rl_makespan_result;

rl_makespan_opts rl_makespan_opts_default(void);
/* Every strategy once, after one serial run (see the top for the
 * bounds and for what the caller owns afterwards). */
rl_err rl_bench_makespan(const rl_makespan_opts *o, rl_makespan_result *out, char *why,
                         size_t why_len);
void rl_makespan_result_free(rl_makespan_result *r);

/* Throughput: billing with no slow step, as fast as it goes. Each thread
 * runs one merchant that bills accounts drawn from a seeded pool (uniform,
 * or Zipf with exponent 0.99: a few hot accounts), window after window of
 * 4096 bills, until the time is up. Every strategy runs through the bank;
 * two references run on a flat array of balances: "plain", threads doing
 * an unsynchronized read and write (wrong: the speed limit), and "serial",
 * one thread doing the same (correct: the baseline). After the timing the
 * expected balances are recomputed from exactly the bills applied and
 * every row is checked. */
typedef enum rl_skew { RL_SKEW_UNIFORM, RL_SKEW_ZIPF } rl_skew;

typedef struct rl_throughput_opts {
    const unsigned *threads; /* thread counts to run (default {1, 2}) */
    size_t nthreads;
    size_t accounts;  /* default 1,000,000 */
    /* Where the accounts live (racelab/dbbank.h): NULL or "memory" adds
     * the flat references; a database bank is billed through one
     * connection per thread (its racelab tables made anew: a scratch
     * bank, replacing only a scratch bank unless replace_bank; see
     * "Replacing a bank" in racelab/dbbank.h). */
    const char *bank;
    bool replace_bank;
    /* PostgreSQL only: the pgbench program to run as the reference (one
     * row per thread count: pgbench's own clients running exactly the
     * atomic bill's UPDATE on the same table), or NULL for none. */
    const char *pgbench;
    size_t window; /* bills per merchant cycle; 0: 4096 in memory, 128 in a database */
    rl_skew skew;
    uint64_t duration_ns; /* per row, default 1 s */
    uint64_t seed;        /* default 1 */
    const rl_strategy *const *strategies; /* NULL: every registered strategy */
    size_t nstrategies;
    /* May be NULL: called before each row is measured, as for makespan
     * ("atomic at 4 threads"). */
    void (*row_progress)(void *ctx, const char *row, size_t index, size_t rows);
    void *progress_ctx;
} rl_throughput_opts;

typedef struct rl_throughput_row {
    char name[32];
    unsigned threads;
    bool reference;  /* plain, serial or pgbench: not a strategy */
    bool external;   /* pgbench: counted by pgbench, not checked by racelab */
    bool promises;   /* promises correct balances */
    bool correct;    /* every balance as expected after the run */
    bool complete;   /* no bill was refused (else correctness cannot be judged) */
    uint64_t bills;  /* applied */
    uint64_t wrong_accounts, lost_updates, refused;
    uint64_t elapsed_ns;
    double per_second;
    double x_plain;  /* against plain at the same thread count (NaN: not measured) */
    double x_serial; /* against the single-thread serial loop (NaN: not measured) */
    double x_ref;    /* against pgbench at the same thread count (NaN: not measured) */
} rl_throughput_row;

typedef struct rl_throughput_result {
    size_t accounts;
    rl_skew skew;
    uint64_t duration_ns, seed;
    uint64_t setup_ns;     /* opening the accounts */
    size_t bank_bytes;     /* the bank holding them (in this process) */
    const char *bank_kind; /* "memory", "sqlite", "postgresql" */
    size_t nrows;
    rl_throughput_row *rows; /* heap */
    long best;               /* index of the fastest correct strategy row at the most threads */
} rl_throughput_result;

rl_throughput_opts rl_throughput_opts_default(void);
/* Every strategy at every thread count for o->duration_ns each (see the
 * top for what the caller owns afterwards). */
rl_err rl_bench_throughput(const rl_throughput_opts *o, rl_throughput_result *out, char *why,
                           size_t why_len);

/* The reference of the database benchmarks: pgbench (the program at
 * `program`) with `clients` clients, each transaction the atomic bill of
 * racelab's PostgreSQL bank (UPDATE racelab_accounts SET balance = balance
 * + delta ... RETURNING, prepared) on a random account of 0 .. accounts-1
 * of the bank at conninfo, for duration_ns (whole seconds). *tps is
 * pgbench's figure. RL_ESYS with why when pgbench cannot run. */
rl_err rl_bench_pgbench(const char *program, const char *conninfo, unsigned clients,
                        uint64_t duration_ns, size_t accounts, double *tps, char *why,
                        size_t why_len);
void rl_throughput_result_free(rl_throughput_result *r);
const char *rl_skew_name(rl_skew s);

/* The explorer's own speed: complete schedules per second on whole
 * bounded searches of bill:racy and bill:mutex at 2 x 2 (each search
 * repeated until `duration_ns` has passed), the time the bounded search
 * takes to find bill:racy's first failure at 5 x 5 (searching only, not
 * minimizing), over `repeats` runs, optionally a program's schedules
 * per second under `racelab explore --`; then proofs with and without
 * partial-order reduction, and searches among many threads. */
typedef struct rl_explorer_bench {
    /* May be NULL: called before each measurement (for a progress line):
     * its name, its index from 0, the number of measurements. */
    void (*row_progress)(void *ctx, const char *row, size_t index, size_t rows);
    void *progress_ctx;
    uint64_t duration_ns; /* default 1 s */
    unsigned repeats;     /* default 20 */
    /* Optional: a user's program (argv, NULL-terminated), explored with
     * the bounded search at bound 3, over and over for duration_ns. */
    char *const *program;
    struct {
        uint64_t schedules, elapsed_ns;
        double per_second;
    } racy, mutex; /* 2 x 2, every schedule within 2 preemptions */
    uint64_t first_failure_median_ns, first_failure_max_ns; /* 5 x 5 */
    uint64_t first_failure_schedules;
    struct {
        uint64_t schedules, elapsed_ns;
        double per_second;
        /* This machine's floor for a schedule of a program with two
         * threads: a fork whose child starts and joins two threads and
         * exits, then the wait for it; per second, median of many. */
        double floor_per_second;
    } prog; /* the program's, when one was given */
    /* Proofs: every schedule of a case, with partial-order reduction and
     * without, each search stopped at proof_cap schedules (then the count
     * is a lower bound and complete is false). */
    uint64_t proof_cap; /* default 1,000,000 */
    struct {
        const char *target;
        unsigned merchants, customers;
        struct {
            uint64_t schedules, elapsed_ns;
            bool complete;
        } reduced, unreduced;
    } proofs[4];
    size_t nproofs;
    /* Many threads: startup:unordered (one thread of N must be late),
     * schedules until the first failure by delay bounding (1 delay), PCT
     * (depth 1, seed 1) and the preemption-bounded search (bound 2), each
     * stopped at 1,000 schedules (found false). */
    struct {
        unsigned threads;
        struct {
            uint64_t schedules;
            bool found;
        } delays, pct, bounded;
    } many[2];
} rl_explorer_bench;

/* Fills b's measurements (its options are read first); blocks for tens of
 * seconds, more with a larger proof_cap. Nothing in b is allocated: there
 * is nothing to free, whatever it returns. RL_EINVAL for a NULL b. */
rl_err rl_bench_explorer(rl_explorer_bench *b, char *why, size_t why_len);

#ifdef __cplusplus
}
#endif
#endif

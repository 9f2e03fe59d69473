/* racelab/merchant.h - layer 4: the merchant interface and the billing
 * strategies that implement it.
 *
 * A merchant can do one thing: run its billing cycle against a bank, that
 * is, bill each of its customers once. How it keeps other merchants from
 * overwriting its bills is its strategy. Every strategy has a slow step per
 * bill (think of a call to a card network) between reading a balance and
 * writing it; where that step sits relative to any lock is what the
 * strategies differ in:
 *
 *   racy       read, slow step, write. No data race (the bank's get and
 *              set are each atomic), yet concurrent merchants lose updates.
 *   mutex      the customer's lock (a row lock in a database), held across
 *              read, slow step and write.
 *   staggered  as mutex, but merchant m starts its list m/M of the way in.
 *   global     one lock for all billing, held the same way.
 *   atomic     slow step, then one atomic add: there is no window at all.
 *   cas        read with the version, slow step, write if the version is
 *              unchanged; on conflict retry from what the account holds
 *              now, up to a bound; past it the bill fails, unapplied.
 *   trylock    try each customer's lock, come back to busy ones.
 *   processor  shared nothing: one processor applies every bill.
 *   advisory   an application lock per customer, held across the bill.
 *   repeatable-read, serializable
 *              read, slow step, write in a transaction at that isolation
 *              level; the engine aborts the loser, which retries whole.
 *   batch      slow step for each bill, then the atomic adds sent together.
 * The registry below is the one list of names (rl_strategy_at). One more
 * is found by name only, never listed, so that no loop over the registry
 * runs it:
 *   unsynchronized  racy on a bank of plain memory: a data race besides
 *              the race condition (undefined behaviour, for the lesson).
 *
 * Concurrency contract: each rl_merchant is used by one thread at a time;
 * any number of merchants of the same run may bill concurrently; their
 * shared state (rl_billing) is set up before and torn down after.
 *
 * Arguments (the policy of every layer-4 header): a call that returns
 * rl_err reports a NULL or out-of-range argument as RL_EINVAL; free and
 * destroy accept NULL and do nothing; a lookup (by name, by index, or
 * whether something was seen) answers "not found" (NULL, false, the
 * count) for what it does not know, NULL included, and the name of a
 * value out of range is "?"; every other call given NULL, or an index out
 * of range, is a programming error: fatal, naming the call.
 */
#ifndef RACELAB_MERCHANT_H
#define RACELAB_MERCHANT_H

#include <stdbool.h>
#include <stdint.h>

#include "racelab/bank.h"
#include "racelab/dataset.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct rl_merchant rl_merchant;
typedef struct rl_billing rl_billing;

/* A hook that replaces the sleep of the slow step: the lockstep gate and
 * tests use it to force interleavings. bill is the index in the merchant's
 * bill list. */
typedef struct rl_pause {
    void (*fn)(void *ctx, rl_merchant *m, size_t bill);
    void *ctx;
} rl_pause;

typedef struct rl_billing_opts {
    uint64_t delay_ns;    /* length of the slow step (default 5 ms) */
    unsigned jitter_pct;  /* each slow step lasts delay +/- jitter % (0..100) */
    uint64_t seed;        /* for the jitter: same seed, same delays */
    unsigned max_retries; /* cas: retries per bill before it fails (default 100) */
    rl_pause pause;       /* when fn is set, called instead of sleeping */
    /* When fn is set, called after each bill's outcome, on the merchant's
     * thread: the lockstep gate parks there too, so that no merchant reads
     * its next customer before every merchant has written its last one. */
    rl_pause settle;
    /* May be NULL: called after each bill with its outcome (RL_OK:
     * applied), on the merchant's own thread: it must be thread-safe. */
    void (*billed)(void *ctx, rl_err outcome);
    void *billed_ctx;
} rl_billing_opts;

/* delay 5 ms, no jitter, seed 1, 100 retries, no pause. */
rl_billing_opts rl_billing_opts_default(void);

typedef struct rl_cycle_stats {
    uint64_t billed;  /* bills applied */
    uint64_t failed;  /* bills refused (overflow, retries exhausted): unapplied */
    uint64_t retries; /* attempts repeated: compare-and-set conflicts, transactions rerun */
    uint64_t aborts;  /* transactions the engine aborted (RL_ESERIAL) */
    rl_err first_error;
    size_t first_error_bill;
    char first_error_detail[RL_BANK_ERRMSG_MAX]; /* the database's words, or "" */
} rl_cycle_stats;

/* The merchant interface. */
typedef struct rl_merchant_ops {
    /* Bill each customer of m once. Returns RL_OK when every bill was
     * applied, else the first error; m->stats counts the rest. A failing
     * bill does not stop the cycle and leaves its balance untouched. */
    rl_err (*bill_cycle)(rl_merchant *m);
} rl_merchant_ops;

struct rl_merchant {
    const rl_merchant_ops *ops;
    const rl_merchant_spec *spec; /* name and bills */
    size_t index;                 /* position among the run's merchants */
    rl_bank *bank;
    const rl_acct *accts;    /* bank handle of each bill's customer */
    const size_t *customers; /* data-set index of each bill's customer */
    rl_billing *billing;     /* the run's shared strategy state */
    rl_cycle_stats stats;
    uint64_t rng; /* jitter state, seeded per merchant */
    rl_err *outcomes; /* may be NULL; else each bill's outcome, one per bill */
};

static inline rl_err rl_merchant_bill_cycle(rl_merchant *m) { return m->ops->bill_cycle(m); }

/* A merchant of billing b (its strategy's ops, its options' seed): the
 * index-th, billing spec's bills through bank (its own connection where
 * the bank has them), accts[i] and customers[i] the bank handle and the
 * data-set index of bill i's customer (customers may be NULL), no
 * per-bill outcomes kept. Statistics zero. Nothing is allocated: the
 * arrays stay the caller's and must outlive the merchant. */
rl_merchant rl_merchant_make(rl_billing *b, const rl_merchant_spec *spec, size_t index,
                             rl_bank *bank, const rl_acct *accts, const size_t *customers);

typedef struct rl_strategy {
    const char *name;
    const char *summary; /* one line for help texts */
    bool correct;        /* promises the expected table under every schedule */
    bool holds_lock_in_slow_step; /* serialises on a customer during the slow step */
    rl_lock_kind lock;            /* which bank lock, when holds_lock_in_slow_step */
    const rl_merchant_ops *ops;
    /* Flags for the bank it bills (racelab/dbbank.h), 0 for most; the
     * unsynchronized strategy's RL_BANK_UNSYNCHRONIZED. */
    unsigned bank_flags;
    /* Create and destroy the state merchants share for one run (locks, a
     * processor thread, ...). May be NULL when there is none. */
    rl_err (*setup)(rl_billing *b);
    void (*teardown)(rl_billing *b);
} rl_strategy;

/* One run's billing context, shared by its merchants. */
struct rl_billing {
    const rl_strategy *strategy;
    rl_bank *bank;
    const rl_dataset *data;
    rl_billing_opts opts;
    const rl_acct *accts; /* bank handle of each data-set customer */
    void *shared;         /* the strategy's own state */
};

/* The registry, in a fixed order; NULL for an unknown name or index. */
const rl_strategy *rl_strategy_find(const char *name);
size_t rl_strategy_count(void);
const rl_strategy *rl_strategy_at(size_t i);

#ifdef __cplusplus
}
#endif
#endif

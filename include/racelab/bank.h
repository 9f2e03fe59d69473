/* racelab/bank.h - layer 3: customer balances keyed by name.
 *
 * The bank is an interface (rl_bank_ops); merchants and scenarios only use
 * the rl_bank_* calls below and never see how balances are stored. The one
 * implementation today is the in-memory hash map (rl_membank_create).
 *
 * Every account carries a version that each successful write bumps. A
 * write says which version its writer read (rl_bank_set's read_version);
 * when the account has moved on since, the write replaces a value its
 * writer never saw. The bank counts that write as a lost update at the
 * moment it happens (rl_bank_lost_updates), instead of inferring losses
 * from final balances. Each such write destroys at least one earlier
 * update.
 *
 * Concurrency contract:
 * - get, set, add and compare_and_set may be called from any threads at
 *   once; each is atomic on its own: a get never sees half a write, and
 *   add / compare_and_set are indivisible read-modify-writes. A get
 *   followed by a set is NOT atomic: that gap is the race condition this
 *   project is about, and it is free of data races.
 * - open, lookup, name, count and snapshot may run concurrently with the
 *   above, except open: accounts are opened before the bank is shared.
 * - snapshot reads each account atomically; it is a consistent picture of
 *   all accounts only while no write is running.
 * - destroy only when no other call is running.
 * Every access is bracketed by rl_access_begin/end, so the explorer sees
 * it as one step and traces can show its value and whether it was stale.
 *
 * Errors: RL_EINVAL (NULL, unknown handle, empty or over-long name),
 * RL_ENOENT (unknown customer), RL_EEXIST (opening a name twice),
 * RL_EOVERFLOW (a result that does not fit rl_money), RL_ECONFLICT
 * (compare_and_set saw another value). On any error the balance and the
 * version are unchanged.
 */
#ifndef RACELAB_BANK_H
#define RACELAB_BANK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "racelab/error.h"
#include "racelab/platform.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef int64_t rl_money;
/* An account handle, valid for the bank that gave it. Handles are numbered
 * 0 .. count-1 in the order the accounts were opened. */
typedef uint32_t rl_acct;

#define RL_BANK_NAME_MAX 63
/* A read_version meaning "I read nothing": a blind write, never counted. */
#define RL_VERSION_BLIND UINT64_MAX

typedef struct rl_bank rl_bank;

typedef struct rl_balance {
    const char *name; /* owned by the bank; valid until it is destroyed */
    rl_money balance;
    uint64_t version;
} rl_balance;

/* What an implementation provides. Each data operation fills the outcome
 * fields of `ev` (value, versions, stale) and returns the same code it
 * stores in ev->result. Generic argument checks happen before the call. */
typedef struct rl_bank_ops {
    const char *kind;
    rl_err (*open)(rl_bank *b, const char *name, rl_money start, rl_acct *out);
    rl_err (*lookup)(rl_bank *b, const char *name, rl_acct *out);
    const char *(*name)(rl_bank *b, rl_acct a); /* NULL for an unknown handle */
    size_t (*count)(rl_bank *b);
    rl_err (*get)(rl_bank *b, rl_acct a, rl_access *ev);
    rl_err (*set)(rl_bank *b, rl_acct a, rl_money value, uint64_t read_version, rl_access *ev);
    rl_err (*add)(rl_bank *b, rl_acct a, rl_money delta, rl_access *ev);
    rl_err (*compare_and_set)(rl_bank *b, rl_acct a, rl_money expected, rl_money desired,
                              rl_access *ev);
    uint64_t (*lost_updates)(rl_bank *b);
    size_t (*memory_bytes)(rl_bank *b);
    void (*destroy)(rl_bank *b);
} rl_bank_ops;

/* Implementations embed this as their first member. */
struct rl_bank {
    const rl_bank_ops *ops;
};

/* The in-memory bank: a uthash map from name to a dense array of accounts.
 * capacity is a hint (0 is fine). */
rl_err rl_membank_create(size_t capacity, rl_bank **out);

void rl_bank_destroy(rl_bank *b);

/* Open an account with a starting balance; out may be NULL. */
rl_err rl_bank_open(rl_bank *b, const char *name, rl_money start, rl_acct *out);
rl_err rl_bank_lookup(rl_bank *b, const char *name, rl_acct *out);
/* The account's name, or NULL for an unknown handle. */
const char *rl_bank_name(rl_bank *b, rl_acct a);
size_t rl_bank_count(rl_bank *b);

/* Read the balance and the version it belongs to (version may be NULL). */
rl_err rl_bank_get(rl_bank *b, rl_acct a, rl_money *balance, uint64_t *version);
/* Write value. read_version is the version the writer's value was computed
 * from (RL_VERSION_BLIND if none). *lost (may be NULL) tells whether this
 * write replaced a value its writer never read. RL_EINVAL if read_version
 * is newer than the account. */
rl_err rl_bank_set(rl_bank *b, rl_acct a, rl_money value, uint64_t read_version, bool *lost);
/* Atomically add delta; *new_balance (may be NULL) receives the result. */
rl_err rl_bank_add(rl_bank *b, rl_acct a, rl_money delta, rl_money *new_balance);
/* Atomically: if the balance equals expected, set it to desired and return
 * RL_OK; otherwise change nothing, store the balance seen in *observed
 * (may be NULL) and return RL_ECONFLICT. */
rl_err rl_bank_compare_and_set(rl_bank *b, rl_acct a, rl_money expected, rl_money desired,
                               rl_money *observed);

/* Copy up to cap balances in handle order; *n receives the number of
 * accounts (RL_EINVAL if cap is smaller, with nothing copied). */
rl_err rl_bank_snapshot(rl_bank *b, rl_balance *out, size_t cap, size_t *n);
/* Stale writes so far (see the top of this header). */
uint64_t rl_bank_lost_updates(rl_bank *b);
/* Bytes the bank holds (accounts, index and names). */
size_t rl_bank_memory_bytes(rl_bank *b);

/* a + b, or RL_EOVERFLOW. */
rl_err rl_money_add(rl_money a, rl_money b, rl_money *out);

#ifdef __cplusplus
}
#endif
#endif

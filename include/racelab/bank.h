/* racelab/bank.h - layer 3: customer balances keyed by name.
 *
 * The bank is an interface (rl_bank_ops); merchants and scenarios only use
 * the rl_bank_* calls below and never see how balances are stored. Three
 * backends implement it: the in-memory hash map (rl_membank_create),
 * SQLite and PostgreSQL (rl_bank_create_url, racelab/dbbank.h).
 *
 * Handles and connections. An rl_bank * is one connection to a store of
 * accounts. rl_bank_connect gives another connection to the same store
 * (a database session of its own); each thread that runs transactions
 * needs its own connection, as each merchant has. The in-memory bank also
 * lets any number of threads share one handle for the plain operations
 * (get, set, add, compare-and-set), which is what the explorer's targets
 * and the scenarios do.
 *
 * Every account carries a version that each successful write bumps. A
 * write says which version its writer read (rl_bank_set's read_version);
 * when the account has moved on since, the write replaces a value its
 * writer never saw. The bank counts that write as a lost update at the
 * moment it happens (rl_bank_lost_updates), instead of inferring losses
 * from final balances. Each such write destroys at least one earlier
 * update. A database backend learns the replaced version from the write
 * itself (UPDATE ... RETURNING version).
 *
 * Transactions and locks, the way a database programmer writes them:
 * rl_bank_begin opens a transaction at an isolation level; rl_bank_lock
 * takes a lock held until the transaction ends (a row lock, SELECT ... FOR
 * UPDATE; an application lock per customer, pg_advisory_xact_lock; or one
 * lock for all accounts); rl_bank_commit / rl_bank_rollback end it. In
 * memory the locks are platform mutexes (so the explorer and the lockstep
 * gate see them), repeatable read and serializable make a write fail with
 * RL_ESERIAL when its row changed since it was read (first updater wins,
 * as PostgreSQL does), and writes apply at once: rollback releases locks
 * but does not undo a write, so a memory transaction writes last.
 *
 * Concurrency contract:
 * - get, set, add, compare_and_set and set_if_version are each atomic on
 *   their own: a get never sees half a write, and the others are
 *   indivisible read-modify-writes. A get followed by a set is NOT atomic:
 *   that gap is the race condition this project is about, and it is free
 *   of data races.
 * - one connection is used by one thread at a time (except the plain
 *   operations on a memory handle, above); any number of connections of
 *   one store may be used at once.
 * - open, open_all, lookup, name, count and snapshot: accounts are opened
 *   before the bank is shared; the rest may run concurrently with writes.
 * - snapshot reads each account atomically; it is a consistent picture of
 *   all accounts only while no write is running.
 * - destroy a connection when its thread is done with it; destroy the
 *   handle the store was created with last, when no other call runs.
 * Every access is bracketed by rl_access_begin/end, so the explorer sees
 * it as one step and traces can show its value and whether it was stale.
 *
 * Errors: RL_EINVAL (NULL, unknown handle, empty or over-long name, a
 * transaction call out of place), RL_ENOENT (unknown customer), RL_EEXIST
 * (opening a name twice), RL_EOVERFLOW (a result that does not fit
 * rl_money; SQLSTATE 22003 in PostgreSQL), RL_ECONFLICT (compare_and_set
 * or set_if_version saw another value), RL_EBUSY (a lock asked for without
 * waiting is taken), RL_ESERIAL (the engine aborted the transaction: retry
 * it whole), RL_EDB (the database refused), RL_ECONN (the connection is
 * gone, and nothing of this call or of the open transaction was applied),
 * RL_EUNKNOWN (the connection went while a commit, or a write outside a
 * transaction, was on its way: it may or may not have been applied; no
 * client can know without asking the database again), RL_ENOTSUP. On any error the balance and the version are
 * unchanged, and an error inside a transaction ends it: the bank rolls it
 * back before returning, so nothing is half-applied. rl_bank_errmsg gives
 * the server's own words for the last error of a connection.
 *
 * Arguments (the policy of every layer-3 header): a call that returns
 * rl_err reports a NULL or out-of-range argument as RL_EINVAL (an
 * unknown account as RL_ENOENT); destroy and rollback accept NULL and do
 * nothing; a query given a NULL bank answers as for an empty bank that
 * can do nothing (false, 0, "?" or ""), never a crash.
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

/* Who starts with what: an account to open. */
typedef struct rl_customer {
    const char *name;
    rl_money start;
} rl_customer;

typedef enum rl_isolation {
    RL_ISO_READ_COMMITTED, /* PostgreSQL's default: each statement sees what is committed */
    RL_ISO_REPEATABLE_READ,
    RL_ISO_SERIALIZABLE
} rl_isolation;

typedef enum rl_lock_kind {
    RL_LOCK_ROW,      /* the customer's row: SELECT ... FOR UPDATE */
    RL_LOCK_ADVISORY, /* an application lock named after the customer */
    RL_LOCK_ALL       /* one lock for all billing: a table lock */
} rl_lock_kind;

/* A job of the processor's queue (rl_bank_queue_*): a bill to apply. */
typedef struct rl_job {
    uint64_t id;  /* given by the queue */
    uint64_t tag; /* the pusher's: who asked, for what */
    rl_acct acct;
    rl_money amount;
} rl_job;

/* Where a connection is blocked, as the backend sees it (rl_bank_waiting). */
#define RL_BANK_HOLDERS_MAX RL_HOLDERS_MAX

typedef struct rl_balance {
    const char *name; /* owned by the bank; valid until it is destroyed */
    rl_money balance;
    uint64_t version;
} rl_balance;

/* A bill's key in the ledger: who billed, in which billing cycle, which
 * of their bills. */
typedef struct rl_bill_key {
    const char *merchant;
    uint64_t cycle;
    uint32_t bill;
} rl_bill_key;

/* A row of the ledger; merchant is valid during the callback only. */
typedef struct rl_ledger_row {
    rl_bill_key key;
    rl_acct acct;
    rl_money amount;
} rl_ledger_row;

/* What an implementation provides. Each data operation fills the outcome
 * fields of `ev` (value, versions, stale) and returns the same code it
 * stores in ev->result. Generic argument checks happen before the call,
 * and the generic layer keeps the transaction state (rl_bank.in_txn): the
 * backend's begin/lock/commit/rollback are called only where they apply,
 * and after an error inside a transaction it calls rollback. */
typedef struct rl_bank_ops {
    const char *kind; /* "memory", "sqlite", "postgresql" */
    rl_err (*open)(rl_bank *b, const char *name, rl_money start, rl_acct *out);
    /* May be NULL: open is called for each. */
    rl_err (*open_all)(rl_bank *b, const rl_customer *c, size_t n, rl_acct *out);
    rl_err (*lookup)(rl_bank *b, const char *name, rl_acct *out);
    const char *(*name)(rl_bank *b, rl_acct a); /* NULL for an unknown handle */
    size_t (*count)(rl_bank *b);
    rl_err (*get)(rl_bank *b, rl_acct a, rl_access *ev);
    rl_err (*set)(rl_bank *b, rl_acct a, rl_money value, uint64_t read_version, rl_access *ev);
    rl_err (*add)(rl_bank *b, rl_acct a, rl_money delta, rl_access *ev);
    rl_err (*compare_and_set)(rl_bank *b, rl_acct a, rl_money expected, rl_money desired,
                              rl_access *ev);
    rl_err (*set_if_version)(rl_bank *b, rl_acct a, rl_money value, uint64_t version,
                             rl_access *ev);
    /* May be NULL: add for each. Fills results[n]; returns RL_OK when the
     * batch went through (each bill's own result aside). */
    rl_err (*add_batch)(rl_bank *b, const rl_acct *a, const rl_money *delta, size_t n,
                        rl_err *results);
    /* May be NULL: get for each. n is the number of accounts. */
    rl_err (*snapshot)(rl_bank *b, rl_balance *out, size_t n);
    uint64_t (*lost_updates)(rl_bank *b);
    size_t (*memory_bytes)(rl_bank *b);
    rl_err (*connect)(rl_bank *b, const char *who, rl_bank **out);
    /* May be NULL: connect for each. */
    rl_err (*connect_all)(rl_bank *b, const char *const *who, size_t n, rl_bank **out);
    rl_err (*begin)(rl_bank *b, rl_isolation iso);
    rl_err (*lock)(rl_bank *b, rl_lock_kind kind, rl_acct a, bool wait);
    rl_err (*commit)(rl_bank *b);
    void (*rollback)(rl_bank *b);
    /* May be NULL (never waits outside the platform): see rl_bank_waiting. */
    bool (*waiting)(rl_bank *b, uint64_t *holders, size_t *nholders);
    uint64_t (*session)(rl_bank *b);
    /* May be NULL: end this connection's server session from outside. */
    rl_err (*terminate)(rl_bank *b);
    /* The ledger (rl_bank_apply_once); NULL where the backend has none
     * (memory). Fills ev like add; *applied false when the key was there. */
    rl_err (*apply_once)(rl_bank *b, const rl_bill_key *k, rl_acct a, rl_money amount,
                         rl_access *ev, bool *applied);
    /* The ledger row alone, in the open transaction; *recorded false
     * when the key was there. NULL where apply_once is. */
    rl_err (*ledger_record)(rl_bank *b, const rl_bill_key *k, rl_acct a, rl_money amount,
                            bool *recorded);
    /* Every ledger row, in key order; every finished cycle (its bills'
     * count in key.bill), in key order; a cycle marked finished. */
    rl_err (*ledger_scan)(rl_bank *b, void (*each)(void *ctx, const rl_ledger_row *r),
                          void *ctx);
    rl_err (*cycle_scan)(rl_bank *b, void (*each)(void *ctx, const rl_bill_key *k), void *ctx);
    rl_err (*cycle_finish)(rl_bank *b, const rl_bill_key *k);
    /* Record k in racelab_meet (once) for the merchant whose connection
     * is `session` (rl_bank_session); how many are there at k's round:
     * arrived, or (meet_sees_waiters) waiting for a lock. */
    rl_err (*meet)(rl_bank *b, const rl_bill_key *k, uint64_t session, size_t *met);
    bool meet_sees_waiters;
    /* The job queue; NULL where the backend has none (memory). */
    rl_err (*queue_push)(rl_bank *b, uint64_t tag, rl_acct a, rl_money amount);
    rl_err (*queue_take)(rl_bank *b, rl_job *out);
    rl_err (*queue_drop)(rl_bank *b, uint64_t id);
    /* May be NULL: how this backend maps a lock kind, when it is not what
     * the name says ("SQLite has no row locks: ..."). */
    const char *(*lock_note)(rl_bank *b, rl_lock_kind kind);
    void (*destroy)(rl_bank *b);
} rl_bank_ops;

#define RL_BANK_ERRMSG_MAX 256

/* Implementations embed this as their first member and zero the rest. */
struct rl_bank {
    const rl_bank_ops *ops;
    /* The handle the store was created with (itself for that one): the
     * identity of the store, which every connection shares. */
    rl_bank *root;
    bool in_txn;          /* kept by the generic layer */
    rl_isolation iso;     /* of the open transaction */
    char errmsg[RL_BANK_ERRMSG_MAX]; /* the backend's words for the last error */
};

/* The in-memory bank: a uthash map from name to a dense array of accounts.
 * capacity is a hint (0 is fine). */
rl_err rl_membank_create(size_t capacity, rl_bank **out);

/* The same bank with no synchronization at all, kept for the lesson of the
 * data race: get and set are plain loads and stores of plain memory, so
 * two threads that use one account at once race on it (undefined
 * behaviour in C, and what ThreadSanitizer reports); add,
 * compare-and-set and set-if-version are refused (RL_ENOTSUP). Lost
 * updates are counted as in the real bank. Never for real work. Its kind
 * is "memory, unsynchronized". */
rl_err rl_membank_create_unsynchronized(size_t capacity, rl_bank **out);

/* Close a connection; for the handle that created the store, also free
 * the store (last, see the contract). An open transaction is rolled back. */
void rl_bank_destroy(rl_bank *b);

/* "memory", "sqlite" or "postgresql". */
const char *rl_bank_kind(const rl_bank *b);

/* A new connection to b's store, for one thread. who names it to the
 * backend (PostgreSQL's application_name "racelab:who"); may be NULL. */
rl_err rl_bank_connect(rl_bank *b, const char *who, rl_bank **out);

/* n new connections at once, out[i] named who[i] (PostgreSQL opens them
 * in parallel: each costs the server a process start). All or nothing: on
 * error none is left open. */
rl_err rl_bank_connect_all(rl_bank *b, const char *const *who, size_t n, rl_bank **out);

/* Open an account with a starting balance; out may be NULL. */
rl_err rl_bank_open(rl_bank *b, const char *name, rl_money start, rl_acct *out);
/* Open n accounts at once (one transaction on a database); out[n] may be
 * NULL. All or nothing: on error no account of the batch exists. */
rl_err rl_bank_open_all(rl_bank *b, const rl_customer *c, size_t n, rl_acct *out);
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
/* n atomic adds sent together: each is applied on its own (its own
 * transaction, its own result in results[i]: RL_OK, RL_EOVERFLOW, ...),
 * but PostgreSQL gets them all in one round trip (libpq pipeline mode)
 * and SQLite in one transaction. Outside a transaction only. Returns the
 * first error of the batch, or one that stopped it (RL_ECONN: the results
 * say which bills are not applied or unknown). A database batch is one
 * visible access to the platform, not n. */
rl_err rl_bank_add_batch(rl_bank *b, const rl_acct *a, const rl_money *delta, size_t n,
                         rl_err *results);
/* Atomically: if the balance equals expected, set it to desired and return
 * RL_OK; otherwise change nothing, store the balance seen in *observed
 * (may be NULL) and return RL_ECONFLICT. */
rl_err rl_bank_compare_and_set(rl_bank *b, rl_acct a, rl_money expected, rl_money desired,
                               rl_money *observed);

/* Write value if the account is still at `version` (the optimistic
 * write: UPDATE ... WHERE version = $read). Otherwise change nothing,
 * store what the account holds now in *now / *now_version (either may be
 * NULL; a database reads it afresh) and return RL_ECONFLICT. */
rl_err rl_bank_set_if_version(rl_bank *b, rl_acct a, rl_money value, uint64_t version,
                              rl_money *now, uint64_t *now_version);

/* ---- transactions ----
 * begin: RL_EINVAL inside a transaction. lock: takes the lock (blocking
 * when wait, else RL_EBUSY at once), opening a read-committed
 * transaction first if none is open; held until commit or rollback;
 * taking a lock already held is a no-op. commit: RL_ESERIAL when the
 * engine refuses to commit (nothing applied); RL_EINVAL outside a
 * transaction. rollback: a no-op outside one. Any error of any call inside
 * a transaction has already rolled it back when it returns. */
rl_err rl_bank_begin(rl_bank *b, rl_isolation iso);
rl_err rl_bank_lock(rl_bank *b, rl_lock_kind kind, rl_acct a, bool wait);
rl_err rl_bank_commit(rl_bank *b);
void rl_bank_rollback(rl_bank *b);
bool rl_bank_in_txn(const rl_bank *b);
/* Commit when e is RL_OK, else roll back; returns the first error. */
rl_err rl_bank_finish(rl_bank *b, rl_err e);

const char *rl_isolation_name(rl_isolation iso);     /* "read committed", ... */
const char *rl_lock_kind_name(rl_lock_kind kind);    /* "row", "advisory", "all" */
/* A sentence when the backend maps `kind` to something other than what
 * its name says (SQLite has no row locks), else NULL. */
const char *rl_bank_lock_note(rl_bank *b, rl_lock_kind kind);

/* ---- the job queue (the processor strategy in a database) ----
 * A table of bills waiting to be applied. push adds one (committed on its
 * own outside a transaction). take removes the oldest job no other
 * transaction has taken (FOR UPDATE SKIP LOCKED) inside the caller's
 * transaction, opening a read-committed one if none is open: if that
 * transaction rolls back, the job is back in the queue; RL_EEMPTY when
 * there is none. drop removes job id (a job that was refused). The memory
 * bank has no queue: RL_ENOTSUP, and rl_bank_has_queue is false. */
bool rl_bank_has_queue(const rl_bank *b);

/* ---- the ledger: each bill applied exactly once ----
 * A database bank keeps a ledger, racelab_ledger, with one row per bill
 * applied, its key unique. rl_bank_apply_once writes the bill's row and
 * adds its amount to a's balance in one transaction (the open one, or one
 * of its own): both or neither, whatever crashes. When the key is in the
 * ledger already, nothing changes and *applied is false: running a
 * merchant's cycle again applies nothing twice. A refused bill
 * (RL_EOVERFLOW) leaves no row. new_balance and applied may be NULL.
 * RL_ENOTSUP where there is no ledger (the memory bank). */
bool rl_bank_has_ledger(const rl_bank *b);
rl_err rl_bank_apply_once(rl_bank *b, const rl_bill_key *k, rl_acct a, rl_money amount,
                          rl_money *new_balance, bool *applied);
/* The ledger row of bill k alone, inside the open transaction (RL_EINVAL
 * when none is open), for a strategy that changes the balance itself in
 * the same transaction: *recorded is false when the key is in the ledger
 * already (the bill was applied before: roll back and skip it). Committed
 * or rolled back with the balance change. */
rl_err rl_bank_ledger_record(rl_bank *b, const rl_bill_key *k, rl_acct a, rl_money amount,
                             bool *recorded);
/* Call each for every ledger row, in key order. */
rl_err rl_bank_ledger_scan(rl_bank *b, void (*each)(void *ctx, const rl_ledger_row *r), void *ctx);
/* A merchant's billing cycle is finished: k->merchant, k->cycle, and in
 * k->bill how many bills it has (racelab_cycles; marking it again changes
 * nothing). rl_bank_cycle_scan calls each for every finished cycle. */
rl_err rl_bank_cycle_finish(rl_bank *b, const rl_bill_key *k);
rl_err rl_bank_cycle_scan(rl_bank *b, void (*each)(void *ctx, const rl_bill_key *k), void *ctx);
/* A barrier across processes, in the database: k->merchant arrives at the
 * round (k->cycle, k->bill) and waits until n merchants are there
 * (polling every 2 ms). RL_ETIMEDOUT after timeout_ns. For forcing races
 * between merchant processes: all read, then all write. b holds the
 * meeting, outside any transaction (a meeting inside one would not be
 * seen before it commits); merchant is the merchant's own connection,
 * which may be in a transaction (may be b). Where rl_bank_meet_sees_waiters
 * (PostgreSQL), a merchant whose connection waits for a lock counts as
 * there: it cannot come before the lock's holder goes on, so merchants
 * meet between reading and writing under a lock too, and a lock that
 * works shows as no loss rather than as a meeting that never ends.
 * SQLite's waiters cannot be seen (they retry in a busy handler). */
rl_err rl_bank_meet(rl_bank *b, rl_bank *merchant, const rl_bill_key *k, size_t n,
                    uint64_t timeout_ns);
bool rl_bank_meet_sees_waiters(const rl_bank *b);
rl_err rl_bank_queue_push(rl_bank *b, uint64_t tag, rl_acct a, rl_money amount);
rl_err rl_bank_queue_take(rl_bank *b, rl_job *out);
rl_err rl_bank_queue_drop(rl_bank *b, uint64_t id);

/* ---- what the backend says ---- */

/* The server's own words for the error a call of this connection just
 * returned ("" when the backend adds nothing to rl_strerror). Read it
 * right after the failing call, from the thread that made it. */
const char *rl_bank_errmsg(const rl_bank *b);
/* The backend's session id of this connection (PostgreSQL's backend pid;
 * a connection number elsewhere); 0 for none. */
uint64_t rl_bank_session(rl_bank *b);
/* End connection b's session from the server's side, as an administrator
 * would (pg_terminate_backend), and wait until it is gone: b's next call
 * fails with RL_ECONN, and an open transaction of b is rolled back by the
 * server. For fault injection; callable from any thread. RL_ENOTSUP where
 * the backend has no server (memory, SQLite). */
rl_err rl_bank_terminate(rl_bank *b);
/* Whether connection b is blocked right now on a lock another session
 * holds, and on whose: up to RL_BANK_HOLDERS_MAX session ids into
 * holders. May be called from another thread while b waits (it asks the
 * server over a connection of its own). Always false for the memory bank,
 * whose locks are platform mutexes. */
bool rl_bank_waiting(rl_bank *b, uint64_t *holders, size_t *nholders);

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

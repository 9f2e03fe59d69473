/* sqlitebank.c - the bank in an SQLite database file (see racelab/dbbank.h).
 *
 * One table, racelab_accounts (id, name, balance, version), in WAL mode so
 * that readers never wait for the writer. Every connection is its own
 * sqlite3 handle, used by one thread at a time (opened NOMUTEX).
 *
 * How the bank's calls map to SQLite:
 * - get is a SELECT; set, add and the two compare-and-sets are one UPDATE
 *   each, with RETURNING, so the version a write replaced comes back with
 *   it and a lost update is counted when it happens.
 * - SQLite has no row locks and no advisory locks: every lock kind is the
 *   database's write lock, taken by BEGIN IMMEDIATE (rl_bank_lock_note
 *   says so). A transaction is begun lazily by its first statement:
 *   BEGIN IMMEDIATE when that is a lock, BEGIN DEFERRED otherwise.
 * - Every SQLite transaction is serializable. A deferred transaction that
 *   read, and then tries to write after another connection committed a
 *   write, gets SQLITE_BUSY (BUSY_SNAPSHOT) at once: the engine aborting
 *   the loser, reported as RL_ESERIAL.
 * - Money stays exact: balance carries CHECK (typeof(balance) =
 *   'integer'), because SQLite turns an integer overflow into a float;
 *   the check refuses it, reported as RL_EOVERFLOW.
 * - Waiting for the write lock happens in SQLite's busy handler, which
 *   tells the platform about the wait (rl_outside_wait) and naps. The bank
 *   remembers which connection holds the write lock of an explicit
 *   transaction, so the lockstep gate can tell who a waiter waits for.
 */
#include <inttypes.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend.h"
#include "dbcommon.h"
#include "racelab/dbbank.h"

/* How long a connection waits for the write lock before it gives up. */
#define BUSY_LIMIT_US (60u * 1000000u)

typedef struct sqstore {
    rl__dbstore db; /* names and counters: first */
    char *path;
    _Atomic uint64_t writer; /* session holding the write lock of a transaction, or 0 */
    _Atomic uint64_t sessions;
} sqstore;

enum {
    S_GET, S_SET, S_ADD, S_CAS, S_SETV, S_INS, S_SNAP, S_PUSH, S_TAKE, S_DROP, S_LEDGER, S_NSTMT
};

static const char *const sql_text[S_NSTMT] = {
    [S_GET] = "SELECT balance, version FROM racelab_accounts WHERE id = ?1",
    [S_SET] = "UPDATE racelab_accounts SET balance = ?2, version = version + 1 WHERE id = ?1 "
              "RETURNING version",
    [S_ADD] = "UPDATE racelab_accounts SET balance = balance + ?2, version = version + 1 "
              "WHERE id = ?1 RETURNING balance, version",
    [S_CAS] = "UPDATE racelab_accounts SET balance = ?3, version = version + 1 "
              "WHERE id = ?1 AND balance = ?2 RETURNING version",
    [S_SETV] = "UPDATE racelab_accounts SET balance = ?3, version = version + 1 "
               "WHERE id = ?1 AND version = ?2 RETURNING version",
    [S_INS] = "INSERT INTO racelab_accounts (id, name, balance, version) VALUES (?1, ?2, ?3, 0)",
    [S_SNAP] = "SELECT id, balance, version FROM racelab_accounts ORDER BY id",
    [S_PUSH] = "INSERT INTO racelab_jobs (tag, account, amount) VALUES (?1, ?2, ?3)",
    /* one writer at a time: the oldest job is nobody else's */
    [S_TAKE] = "DELETE FROM racelab_jobs WHERE id = (SELECT min(id) FROM racelab_jobs) "
               "RETURNING id, tag, account, amount",
    [S_DROP] = "DELETE FROM racelab_jobs WHERE id = ?1",
    [S_LEDGER] = "INSERT INTO racelab_ledger (merchant, cycle, bill, account, amount) "
                 "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING",
};

typedef struct sqconn {
    rl__dbconn conn; /* first */
    sqstore *st;
    sqlite3 *db;
    sqlite3_stmt *stmt[S_NSTMT];
    uint64_t session;
    /* transaction state */
    bool pending_begin; /* begun by the caller, no statement sent yet */
    bool write_locked;  /* this connection holds the write lock */
    /* waiting in the busy handler */
    bool nowait;
    _Atomic bool waiting;
    bool told;       /* the platform was told about this wait */
    unsigned waited_us;
    rl_outside outside;
} sqconn;

#define SQ(b) ((sqconn *)(b))

static const rl_bank_ops sq_ops;

/* ---- errors ---- */

/* The extended codes a reader of racelab's output meets. */
static const char *code_name(int rc) {
    switch (rc) {
    case SQLITE_BUSY: return "SQLITE_BUSY";
    case SQLITE_BUSY_SNAPSHOT: return "SQLITE_BUSY_SNAPSHOT: another connection committed since "
                                      "this transaction read";
    case SQLITE_LOCKED: return "SQLITE_LOCKED";
    case SQLITE_CONSTRAINT_CHECK: return "SQLITE_CONSTRAINT_CHECK";
    case SQLITE_CONSTRAINT_UNIQUE: return "SQLITE_CONSTRAINT_UNIQUE";
    default: return NULL;
    }
}

static rl_err sq_fail(sqconn *c, int rc) {
    const char *name = code_name(rc);
    if (name)
        rl__errmsg(&c->conn.base, "%s (%s)", sqlite3_errmsg(c->db), name);
    else
        rl__errmsg_copy(&c->conn.base, sqlite3_errmsg(c->db));
    switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        if (c->nowait)
            return RL_EBUSY;
        /* inside a transaction the engine refused to serialize it; outside
         * one the write lock stayed taken past the limit */
        return c->conn.base.in_txn ? RL_ESERIAL : RL_EDB;
    case SQLITE_CONSTRAINT:
        if (rc == SQLITE_CONSTRAINT_CHECK)
            return RL_EOVERFLOW; /* balance would have become a float */
        if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY)
            return RL_EEXIST;
        return RL_EDB;
    case SQLITE_CANTOPEN:
    case SQLITE_NOTADB:
        return RL_ECONN;
    case SQLITE_NOMEM:
        return RL_ENOMEM;
    default:
        return RL_EDB;
    }
}

/* ---- waiting for the write lock ---- */

static bool sq_waiting(rl_bank *b, uint64_t *holders, size_t *n) {
    sqconn *c = SQ(b);
    *n = 0;
    if (!atomic_load(&c->waiting))
        return false;
    uint64_t w = atomic_load(&c->st->writer);
    if (w != 0 && w != c->session)
        holders[(*n)++] = w;
    return true; /* with no holder known: a writer in the middle of one statement */
}

static bool probe(void *ctx, uint64_t *holders, size_t *n) {
    return sq_waiting(ctx, holders, n);
}

static int busy_handler(void *ctx, int count) {
    sqconn *c = ctx;
    if (c->nowait || c->waited_us >= BUSY_LIMIT_US)
        return 0;
    atomic_store(&c->waiting, true);
    if (rl_outside_watched()) {
        rl_session_bind(c->session);
        rl_outside_wait(&c->outside);
        c->told = true;
    }
    unsigned nap = count < 10 ? 100 : 1000;
    rl__db_nap(nap);
    c->waited_us += nap;
    return 1;
}

/* Step a statement to its first row or its end; the wait, if any, is over
 * when this returns. */
static int step_stmt(sqconn *c, sqlite3_stmt *s) {
    c->waited_us = 0;
    if (rl_outside_watched())
        rl_session_bind(c->session); /* so a waiter can tell this session holds the lock */
    int rc = sqlite3_step(s);
    if (atomic_load(&c->waiting)) {
        atomic_store(&c->waiting, false);
        if (c->told)
            rl_outside_done();
        c->told = false;
    }
    return rc;
}

static int exec_sql(sqconn *c, const char *sql) {
    sqlite3_stmt *s;
    int rc = sqlite3_prepare_v2(c->db, sql, -1, &s, NULL);
    if (rc != SQLITE_OK)
        return rc;
    while ((rc = step_stmt(c, s)) == SQLITE_ROW)
        ;
    sqlite3_finalize(s);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* ---- transactions ---- */

static void mark_writer(sqconn *c) {
    if (c->conn.base.in_txn && !c->write_locked) {
        c->write_locked = true;
        atomic_store(&c->st->writer, c->session);
    }
}

static void end_txn(sqconn *c) {
    if (c->write_locked) {
        uint64_t me = c->session;
        atomic_compare_exchange_strong(&c->st->writer, &me, 0);
    }
    c->write_locked = false;
    c->pending_begin = false;
}

/* Send the BEGIN a transaction was opened with, now that a statement
 * needs it. */
static rl_err ensure_begun(sqconn *c, bool immediate) {
    if (!c->conn.base.in_txn || !c->pending_begin)
        return RL_OK;
    int rc = exec_sql(c, immediate ? "BEGIN IMMEDIATE" : "BEGIN DEFERRED");
    if (rc != SQLITE_OK)
        return sq_fail(c, rc);
    c->pending_begin = false;
    if (immediate)
        mark_writer(c);
    return RL_OK;
}

static rl_err sq_begin(rl_bank *b, rl_isolation iso) {
    (void)iso; /* every SQLite transaction is serializable */
    SQ(b)->pending_begin = true;
    return RL_OK;
}

static rl_err sq_lock(rl_bank *b, rl_lock_kind kind, rl_acct a, bool wait) {
    sqconn *c = SQ(b);
    (void)kind; /* all kinds are the write lock */
    if (kind != RL_LOCK_ALL && a >= c->st->db.names.count)
        return RL_EINVAL;
    if (c->write_locked)
        return RL_OK;
    if (!c->pending_begin) {
        rl__errmsg(b, "SQLite takes its write lock only at the start of a transaction");
        return RL_ENOTSUP;
    }
    c->nowait = !wait;
    rl_err e = ensure_begun(c, true);
    c->nowait = false;
    if (e == RL_EBUSY)
        c->pending_begin = false; /* no transaction was opened */
    return e;
}

static rl_err sq_commit(rl_bank *b) {
    sqconn *c = SQ(b);
    rl_err e = RL_OK;
    if (!c->pending_begin) {
        int rc = exec_sql(c, "COMMIT");
        if (rc != SQLITE_OK)
            e = sq_fail(c, rc);
    }
    if (e == RL_OK)
        end_txn(c);
    return e;
}

static void sq_rollback(rl_bank *b) {
    sqconn *c = SQ(b);
    /* some errors end the transaction inside SQLite already */
    if (!c->pending_begin && !sqlite3_get_autocommit(c->db))
        (void)exec_sql(c, "ROLLBACK");
    end_txn(c);
}

/* ---- data ---- */


/* Prepare statement k for a call: reset, bind the account, begin a
 * pending transaction. */
static rl_err use(sqconn *c, int k, rl_acct a, sqlite3_stmt **out) {
    if (a >= c->st->db.names.count)
        return RL_EINVAL;
    rl_err e = ensure_begun(c, false);
    if (e != RL_OK)
        return e;
    sqlite3_stmt *s = c->stmt[k];
    sqlite3_reset(s);
    sqlite3_bind_int64(s, 1, (sqlite3_int64)a);
    *out = s;
    return RL_OK;
}

static rl_err read_row(sqconn *c, rl_acct a, rl_money *bal, uint64_t *ver) {
    sqlite3_stmt *s;
    rl_err e = use(c, S_GET, a, &s);
    if (e != RL_OK)
        return e;
    int rc = step_stmt(c, s);
    if (rc == SQLITE_ROW) {
        *bal = sqlite3_column_int64(s, 0);
        *ver = (uint64_t)sqlite3_column_int64(s, 1);
        sqlite3_reset(s);
        return RL_OK;
    }
    e = rc == SQLITE_DONE ? RL_EINVAL : sq_fail(c, rc);
    sqlite3_reset(s);
    return e;
}

static rl_err sq_get(rl_bank *b, rl_acct a, rl_access *ev) {
    sqconn *c = SQ(b);
    rl_money bal = 0;
    uint64_t ver = 0;
    rl_err e = read_row(c, a, &bal, &ver);
    if (e == RL_OK) {
        ev->value = bal;
        ev->version_before = ev->version_after = ver;
    }
    return rl__access_done(ev, e);
}

/* Run a write whose RETURNING gives (version) or (balance, version).
 * *matched is false when no row matched its condition. */
static rl_err run_write(sqconn *c, sqlite3_stmt *s, bool *matched, rl_money *bal, uint64_t *ver,
                        bool returns_balance) {
    int rc = step_stmt(c, s);
    *matched = rc == SQLITE_ROW;
    if (rc == SQLITE_ROW) {
        if (returns_balance) {
            *bal = sqlite3_column_int64(s, 0);
            *ver = (uint64_t)sqlite3_column_int64(s, 1);
        } else {
            *ver = (uint64_t)sqlite3_column_int64(s, 0);
        }
        rc = step_stmt(c, s); /* to the end: the statement is complete */
    }
    rl_err e = rc == SQLITE_DONE ? RL_OK : sq_fail(c, rc);
    sqlite3_reset(s);
    if (e == RL_OK && *matched)
        mark_writer(c);
    return e;
}

/* An UPDATE ... RETURNING of one row by id with one more parameter x;
 * RL_EINVAL when no row has that id. */
static rl_err update(sqconn *c, int k, rl_acct a, int64_t x, bool returns_balance, rl_money *bal,
                     uint64_t *ver) {
    sqlite3_stmt *s;
    rl_err e = use(c, k, a, &s);
    if (e != RL_OK)
        return e;
    sqlite3_bind_int64(s, 2, x);
    bool matched;
    e = run_write(c, s, &matched, bal, ver, returns_balance);
    return e == RL_OK && !matched ? RL_EINVAL : e;
}

static rl_err sq_set(rl_bank *b, rl_acct a, rl_money value, uint64_t read_version, rl_access *ev) {
    rl_money bal;
    uint64_t ver = 0;
    rl_err e = update(SQ(b), S_SET, a, value, false, &bal, &ver);
    if (e == RL_OK) {
        ev->value = value;
        rl__db_wrote(b, ev, read_version, ver);
    }
    return rl__access_done(ev, e);
}

static rl_err sq_add(rl_bank *b, rl_acct a, rl_money delta, rl_access *ev) {
    rl_money bal = 0;
    uint64_t ver = 0;
    rl_err e = update(SQ(b), S_ADD, a, delta, true, &bal, &ver);
    if (e == RL_OK) {
        ev->value = bal;
        rl__db_wrote(b, ev, RL_VERSION_BLIND, ver);
    }
    return rl__access_done(ev, e);
}

/* The ledger's row for bill k, in the open transaction: *inserted false
 * when the key was there already (nothing written). */
static rl_err insert_ledger_row(sqconn *c, const rl_bill_key *k, rl_acct a, rl_money amount,
                                bool *inserted) {
    sqlite3_stmt *s = c->stmt[S_LEDGER];
    sqlite3_reset(s);
    sqlite3_bind_text(s, 1, k->merchant, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s, 2, (sqlite3_int64)k->cycle);
    sqlite3_bind_int64(s, 3, (sqlite3_int64)k->bill);
    sqlite3_bind_int64(s, 4, (sqlite3_int64)a);
    sqlite3_bind_int64(s, 5, amount);
    int rc = step_stmt(c, s);
    rl_err e = rc == SQLITE_DONE ? RL_OK : sq_fail(c, rc);
    sqlite3_reset(s);
    *inserted = e == RL_OK && sqlite3_changes(c->db) == 1;
    return e;
}

/* The ledger row, then the balance, in one transaction: the caller's, or
 * one of its own (BEGIN IMMEDIATE: the write lock first, so two merchants
 * never both insert and then wait for each other). */
static rl_err sq_apply_once(rl_bank *b, const rl_bill_key *k, rl_acct a, rl_money amount,
                            rl_access *ev, bool *applied) {
    sqconn *c = SQ(b);
    if (a >= c->st->db.names.count)
        return rl__access_done(ev, RL_EINVAL);
    bool own = !c->conn.base.in_txn;
    rl_err e = RL_OK;
    if (own) {
        int rc = exec_sql(c, "BEGIN IMMEDIATE");
        if (rc != SQLITE_OK)
            return rl__access_done(ev, sq_fail(c, rc));
    } else if ((e = ensure_begun(c, true)) != RL_OK) {
        return rl__access_done(ev, e);
    }
    e = insert_ledger_row(c, k, a, amount, applied);
    if (*applied) {
        rl_money bal = 0;
        uint64_t ver = 0;
        e = update(c, S_ADD, a, amount, true, &bal, &ver);
        if (e == RL_OK) {
            ev->value = bal;
            rl__db_wrote(b, ev, RL_VERSION_BLIND, ver);
        }
    }
    if (own) {
        if (e == RL_OK) {
            int rc = exec_sql(c, "COMMIT");
            if (rc != SQLITE_OK)
                e = sq_fail(c, rc);
        }
        if (e != RL_OK && !sqlite3_get_autocommit(c->db))
            (void)exec_sql(c, "ROLLBACK");
    }
    if (e != RL_OK)
        *applied = false;
    return rl__access_done(ev, e);
}

/* The ledger row alone, in the caller's transaction (which it makes a
 * writing one). */
static rl_err sq_ledger_record(rl_bank *b, const rl_bill_key *k, rl_acct a, rl_money amount,
                               bool *recorded) {
    sqconn *c = SQ(b);
    if (a >= c->st->db.names.count)
        return RL_EINVAL;
    rl_err e = ensure_begun(c, false);
    if (e != RL_OK)
        return e;
    if ((e = insert_ledger_row(c, k, a, amount, recorded)) == RL_OK)
        mark_writer(c); /* an insert takes the write lock, a row or not */
    return e;
}

/* A query's rows, one at a time, with text and integer parameters bound
 * by the caller through bind (may be NULL). */
static rl_err sq_rows(sqconn *c, const char *sql, void (*bind)(sqlite3_stmt *s, const void *arg),
                      const void *arg, void (*row)(sqlite3_stmt *s, void *ctx), void *ctx) {
    sqlite3_stmt *s;
    int rc = sqlite3_prepare_v2(c->db, sql, -1, &s, NULL);
    if (rc != SQLITE_OK)
        return sq_fail(c, rc);
    if (bind)
        bind(s, arg);
    while ((rc = step_stmt(c, s)) == SQLITE_ROW)
        if (row)
            row(s, ctx);
    rl_err e = rc == SQLITE_DONE ? RL_OK : sq_fail(c, rc);
    sqlite3_finalize(s);
    return e;
}

typedef struct {
    void (*ledger)(void *ctx, const rl_ledger_row *r);
    void (*cycle)(void *ctx, const rl_bill_key *k);
    void *ctx;
} scan;

static void ledger_row(sqlite3_stmt *s, void *ctx) {
    scan *sc = ctx;
    rl_ledger_row r = {.key = {.merchant = (const char *)sqlite3_column_text(s, 0),
                               .cycle = (uint64_t)sqlite3_column_int64(s, 1),
                               .bill = (uint32_t)sqlite3_column_int64(s, 2)},
                       .acct = (rl_acct)sqlite3_column_int64(s, 3),
                       .amount = sqlite3_column_int64(s, 4)};
    sc->ledger(sc->ctx, &r);
}

static void cycle_row(sqlite3_stmt *s, void *ctx) {
    scan *sc = ctx;
    rl_bill_key k = {.merchant = (const char *)sqlite3_column_text(s, 0),
                     .cycle = (uint64_t)sqlite3_column_int64(s, 1),
                     .bill = (uint32_t)sqlite3_column_int64(s, 2)};
    sc->cycle(sc->ctx, &k);
}

static rl_err sq_ledger_scan(rl_bank *b, void (*each)(void *ctx, const rl_ledger_row *r),
                             void *ctx) {
    scan sc = {.ledger = each, .ctx = ctx};
    return sq_rows(SQ(b),
                   "SELECT merchant, cycle, bill, account, amount FROM racelab_ledger "
                   "ORDER BY merchant, cycle, bill",
                   NULL, NULL, ledger_row, &sc);
}

static rl_err sq_cycle_scan(rl_bank *b, void (*each)(void *ctx, const rl_bill_key *k),
                            void *ctx) {
    scan sc = {.cycle = each, .ctx = ctx};
    return sq_rows(SQ(b), "SELECT merchant, cycle, bills FROM racelab_cycles ORDER BY merchant, cycle",
                   NULL, NULL, cycle_row, &sc);
}

static void bind_cycle(sqlite3_stmt *s, const void *arg) {
    const rl_bill_key *k = arg;
    sqlite3_bind_text(s, 1, k->merchant, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s, 2, (sqlite3_int64)k->cycle);
    sqlite3_bind_int64(s, 3, (sqlite3_int64)k->bill);
}

static void count_row(sqlite3_stmt *s, void *ctx) { *(size_t *)ctx = (size_t)sqlite3_column_int64(s, 0); }

static void bind_round(sqlite3_stmt *s, const void *arg) {
    const rl_bill_key *k = arg;
    sqlite3_bind_int64(s, 1, (sqlite3_int64)k->cycle);
    sqlite3_bind_int64(s, 2, (sqlite3_int64)k->bill);
}

static rl_err sq_meet(rl_bank *b, const rl_bill_key *k, uint64_t session, size_t *met) {
    (void)session; /* a merchant waiting for SQLite's lock cannot be seen */
    rl_err e = sq_rows(SQ(b),
                       "INSERT INTO racelab_meet (merchant, cycle, bill) VALUES (?1, ?2, ?3) "
                       "ON CONFLICT DO NOTHING",
                       bind_cycle, k, NULL, NULL);
    if (e == RL_OK)
        e = sq_rows(SQ(b), "SELECT count(*) FROM racelab_meet WHERE cycle = ?1 AND bill = ?2",
                    bind_round, k, count_row, met);
    return e;
}

static rl_err sq_cycle_finish(rl_bank *b, const rl_bill_key *k) {
    return sq_rows(SQ(b),
                   "INSERT INTO racelab_cycles (merchant, cycle, bills) VALUES (?1, ?2, ?3) "
                   "ON CONFLICT DO NOTHING",
                   bind_cycle, k, NULL, NULL);
}

/* A batch in one transaction: the write lock taken once, one commit. An
 * overflow refuses only its bill (the statement fails, the transaction
 * goes on). */
static rl_err sq_add_batch(rl_bank *b, const rl_acct *a, const rl_money *delta, size_t n,
                           rl_err *results) {
    sqconn *c = SQ(b);
    int rc = exec_sql(c, "BEGIN IMMEDIATE");
    if (rc != SQLITE_OK)
        return sq_fail(c, rc);
    for (size_t i = 0; i < n; i++) {
        if (a[i] >= c->st->db.names.count) {
            results[i] = RL_EINVAL;
            continue;
        }
        sqlite3_stmt *s = c->stmt[S_ADD];
        sqlite3_reset(s);
        sqlite3_bind_int64(s, 1, (sqlite3_int64)a[i]);
        sqlite3_bind_int64(s, 2, delta[i]);
        bool matched;
        rl_money bal;
        uint64_t ver;
        results[i] = run_write(c, s, &matched, &bal, &ver, true);
    }
    if ((rc = exec_sql(c, "COMMIT")) != SQLITE_OK) {
        rl_err e = sq_fail(c, rc);
        (void)exec_sql(c, "ROLLBACK");
        for (size_t i = 0; i < n; i++)
            if (results[i] == RL_OK)
                results[i] = e;
        return e;
    }
    return RL_OK;
}

/* The two compare-and-sets: on no match, read afresh what the row holds. */
static rl_err conditional(sqconn *c, int k, rl_acct a, int64_t cond, rl_money value,
                          rl_access *ev) {
    sqlite3_stmt *s;
    rl_err e = use(c, k, a, &s);
    if (e != RL_OK)
        return rl__access_done(ev, e);
    sqlite3_bind_int64(s, 2, cond);
    sqlite3_bind_int64(s, 3, value);
    bool matched;
    rl_money bal;
    uint64_t ver = 0;
    e = run_write(c, s, &matched, &bal, &ver, false);
    if (e != RL_OK)
        return rl__access_done(ev, e);
    if (!matched) {
        e = read_row(c, a, &bal, &ver);
        if (e != RL_OK)
            return rl__access_done(ev, e);
        ev->value = bal;
        ev->version_before = ev->version_after = ver;
        return rl__access_done(ev, RL_ECONFLICT);
    }
    ev->value = value;
    ev->version_before = ver - 1;
    ev->version_after = ver;
    return rl__access_done(ev, RL_OK);
}

static rl_err sq_cas(rl_bank *b, rl_acct a, rl_money expected, rl_money desired, rl_access *ev) {
    return conditional(SQ(b), S_CAS, a, expected, desired, ev);
}

static rl_err sq_setv(rl_bank *b, rl_acct a, rl_money value, uint64_t version, rl_access *ev) {
    return conditional(SQ(b), S_SETV, a, (int64_t)version, value, ev);
}

/* ---- accounts ---- */

static rl_err insert(sqconn *c, rl_acct id, const char *name, rl_money start) {
    sqlite3_stmt *s = c->stmt[S_INS];
    sqlite3_reset(s);
    sqlite3_bind_int64(s, 1, (sqlite3_int64)id);
    sqlite3_bind_text(s, 2, name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 3, start);
    int rc = step_stmt(c, s);
    sqlite3_reset(s);
    return rc == SQLITE_DONE ? RL_OK : sq_fail(c, rc);
}

static rl_err sq_open_all(rl_bank *b, const rl_customer *cu, size_t n, rl_acct *out) {
    sqconn *c = SQ(b);
    size_t before = c->st->db.names.count;
    int rc = exec_sql(c, "BEGIN IMMEDIATE");
    if (rc != SQLITE_OK)
        return sq_fail(c, rc);
    rl_err e = RL_OK;
    for (size_t i = 0; e == RL_OK && i < n; i++) {
        rl_acct id;
        e = rl__dbnames_add(&c->st->db.names, cu[i].name, &id);
        if (e == RL_OK)
            e = insert(c, id, cu[i].name, cu[i].start);
        if (e == RL_OK && out)
            out[i] = id;
    }
    if (e == RL_OK && (rc = exec_sql(c, "COMMIT")) != SQLITE_OK)
        e = sq_fail(c, rc);
    if (e != RL_OK) {
        (void)exec_sql(c, "ROLLBACK");
        rl__dbnames_truncate(&c->st->db.names, before);
    }
    return e;
}

static rl_err sq_snapshot(rl_bank *b, rl_balance *out, size_t n) {
    sqconn *c = SQ(b);
    sqlite3_stmt *s = c->stmt[S_SNAP];
    sqlite3_reset(s);
    size_t got = 0;
    int rc;
    while ((rc = step_stmt(c, s)) == SQLITE_ROW) {
        sqlite3_int64 id = sqlite3_column_int64(s, 0);
        if (id < 0 || (uint64_t)id >= n)
            continue; /* a row this process did not open: not ours to show */
        out[id] = (rl_balance){.name = rl__dbnames_name(&c->st->db.names, (rl_acct)id),
                               .balance = sqlite3_column_int64(s, 1),
                               .version = (uint64_t)sqlite3_column_int64(s, 2)};
        got++;
    }
    rl_err e = rc == SQLITE_DONE ? RL_OK : sq_fail(c, rc);
    sqlite3_reset(s);
    if (e == RL_OK && got != n) {
        rl__errmsg(b, "the table holds %zu of the %zu accounts", got, n);
        e = RL_EDB;
    }
    return e;
}

/* ---- the job queue ---- */

static rl_err sq_push(rl_bank *b, uint64_t tag, rl_acct a, rl_money amount) {
    sqconn *c = SQ(b);
    sqlite3_stmt *s;
    rl_err e = use(c, S_PUSH, a, &s);
    if (e != RL_OK)
        return e;
    sqlite3_bind_int64(s, 1, (sqlite3_int64)tag);
    sqlite3_bind_int64(s, 2, (sqlite3_int64)a);
    sqlite3_bind_int64(s, 3, amount);
    int rc = step_stmt(c, s);
    e = rc == SQLITE_DONE ? RL_OK : sq_fail(c, rc);
    sqlite3_reset(s);
    if (e == RL_OK)
        mark_writer(c);
    return e;
}

static rl_err sq_take(rl_bank *b, rl_job *out) {
    sqconn *c = SQ(b);
    rl_err e = ensure_begun(c, false);
    if (e != RL_OK)
        return e;
    sqlite3_stmt *s = c->stmt[S_TAKE];
    sqlite3_reset(s);
    int rc = step_stmt(c, s);
    if (rc == SQLITE_ROW) {
        *out = (rl_job){.id = (uint64_t)sqlite3_column_int64(s, 0),
                        .tag = (uint64_t)sqlite3_column_int64(s, 1),
                        .acct = (rl_acct)sqlite3_column_int64(s, 2),
                        .amount = sqlite3_column_int64(s, 3)};
        rc = step_stmt(c, s);
        e = rc == SQLITE_DONE ? RL_OK : sq_fail(c, rc);
        if (e == RL_OK)
            mark_writer(c);
    } else {
        e = rc == SQLITE_DONE ? RL_EEMPTY : sq_fail(c, rc);
    }
    sqlite3_reset(s);
    return e;
}

static rl_err sq_drop(rl_bank *b, uint64_t id) {
    sqconn *c = SQ(b);
    rl_err e = ensure_begun(c, false);
    if (e != RL_OK)
        return e;
    sqlite3_stmt *s = c->stmt[S_DROP];
    sqlite3_reset(s);
    sqlite3_bind_int64(s, 1, (sqlite3_int64)id);
    int rc = step_stmt(c, s);
    e = rc == SQLITE_DONE ? RL_OK : sq_fail(c, rc);
    sqlite3_reset(s);
    if (e == RL_OK)
        mark_writer(c);
    return e;
}


static size_t sq_memory(rl_bank *b) { return sizeof(sqstore) + SQ(b)->st->db.names.bytes; }

static uint64_t sq_session(rl_bank *b) { return SQ(b)->session; }

static const char *sq_lock_note(rl_bank *b, rl_lock_kind kind) {
    (void)b;
    switch (kind) {
    case RL_LOCK_ROW:
        return "SQLite has no row locks: a customer's lock is the database write lock "
               "(BEGIN IMMEDIATE), so only one merchant bills at a time";
    case RL_LOCK_ADVISORY:
        return "SQLite has no advisory locks: a customer's lock is the database write lock "
               "(BEGIN IMMEDIATE), so only one merchant bills at a time";
    case RL_LOCK_ALL:
        return NULL;
    }
    return NULL;
}

/* ---- connections ---- */

static void conn_close(sqconn *c) {
    for (int k = 0; k < S_NSTMT; k++)
        sqlite3_finalize(c->stmt[k]);
    sqlite3_close_v2(c->db);
}

static rl_err conn_open(sqstore *st, bool create, sqconn **out, char *why, size_t why_len) {
    sqconn *c = calloc(1, sizeof *c);
    if (!c)
        return RL_ENOMEM;
    c->conn.base.ops = &sq_ops;
    c->conn.store = &st->db;
    c->st = st;
    c->session = atomic_fetch_add(&st->sessions, 1) + 1;
    c->outside = (rl_outside){.what = "the SQLite write lock", .probe = probe, .ctx = c};
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
    int rc = sqlite3_open_v2(st->path, &c->db, flags, NULL);
    if (rc != SQLITE_OK) {
        /* a file that cannot be opened (a missing directory, a missing file
         * to attach to, no permission) stays so: there is no server to
         * come back, so no use trying again */
        int sys = c->db ? sqlite3_system_errno(c->db) : 0;
        if (why)
            snprintf(why, why_len, "cannot open SQLite database '%s': %s%s%s%s", st->path,
                     c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc), sys ? " (" : "",
                     sys ? strerror(sys) : "", sys ? ")" : "");
        sqlite3_close_v2(c->db);
        free(c);
        return rc == SQLITE_NOMEM ? RL_ENOMEM : RL_EINVAL;
    }
    sqlite3_extended_result_codes(c->db, 1);
    sqlite3_busy_handler(c->db, busy_handler, c);
    *out = c;
    return RL_OK;
}

/* Prepare the statements; a missing table shows up here. */
static rl_err conn_prepare(sqconn *c, char *why, size_t why_len) {
    /* WAL: readers never wait for the writer; NORMAL: durable at each
     * checkpoint, which is enough for a demonstration bank */
    int rc = exec_sql(c, "PRAGMA synchronous = NORMAL");
    for (int k = 0; rc == SQLITE_OK && k < S_NSTMT; k++)
        rc = sqlite3_prepare_v3(c->db, sql_text[k], -1, SQLITE_PREPARE_PERSISTENT, &c->stmt[k],
                                NULL);
    if (rc == SQLITE_OK)
        return RL_OK;
    rl_err e = sq_fail(c, rc);
    if (why)
        snprintf(why, why_len, "SQLite database '%s': %s", c->st->path, c->conn.base.errmsg);
    return e;
}

static rl_err sq_connect(rl_bank *b, const char *who, rl_bank **out) {
    (void)who;
    sqconn *c;
    rl_err e = conn_open(SQ(b)->st, false, &c, b->errmsg, sizeof b->errmsg);
    if (e == RL_OK && (e = conn_prepare(c, b->errmsg, sizeof b->errmsg)) != RL_OK) {
        conn_close(c);
        free(c);
    }
    if (e != RL_OK)
        return e;
    c->conn.base.root = b->root;
    *out = &c->conn.base;
    return RL_OK;
}

static void sq_destroy(rl_bank *b) {
    sqconn *c = SQ(b);
    end_txn(c);
    conn_close(c);
    sqstore *st = (sqstore *)rl__db_release(&c->conn);
    if (!st)
        return;
    free(st->path);
    free(st);
}

static const rl_bank_ops sq_ops = {
    .kind = "sqlite",
    RL__DB_OPS,
    .open_all = sq_open_all,
    .get = sq_get,
    .set = sq_set,
    .add = sq_add,
    .compare_and_set = sq_cas,
    .set_if_version = sq_setv,
    .add_batch = sq_add_batch,
    .snapshot = sq_snapshot,
    .memory_bytes = sq_memory,
    .connect = sq_connect,
    .begin = sq_begin,
    .lock = sq_lock,
    .commit = sq_commit,
    .rollback = sq_rollback,
    .waiting = sq_waiting,
    .session = sq_session,
    .apply_once = sq_apply_once,
    .ledger_record = sq_ledger_record,
    .ledger_scan = sq_ledger_scan,
    .cycle_scan = sq_cycle_scan,
    .cycle_finish = sq_cycle_finish,
    .meet = sq_meet,
    .queue_push = sq_push,
    .queue_take = sq_take,
    .queue_drop = sq_drop,
    .lock_note = sq_lock_note,
    .destroy = sq_destroy,
};

static const char schema[] =
    "CREATE TABLE racelab_accounts ("
    " id INTEGER PRIMARY KEY,"
    " name TEXT NOT NULL UNIQUE,"
    " balance INTEGER NOT NULL CHECK (typeof(balance) = 'integer'),"
    " version INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE racelab_jobs ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " tag INTEGER NOT NULL,"
    " account INTEGER NOT NULL REFERENCES racelab_accounts (id),"
    " amount INTEGER NOT NULL);"
    "CREATE TABLE racelab_ledger ("
    " merchant TEXT NOT NULL,"
    " cycle INTEGER NOT NULL,"
    " bill INTEGER NOT NULL,"
    " account INTEGER NOT NULL REFERENCES racelab_accounts (id),"
    " amount INTEGER NOT NULL,"
    " PRIMARY KEY (merchant, cycle, bill));"
    "CREATE TABLE racelab_cycles ("
    " merchant TEXT NOT NULL,"
    " cycle INTEGER NOT NULL,"
    " bills INTEGER NOT NULL,"
    " PRIMARY KEY (merchant, cycle));"
    "CREATE TABLE racelab_meet ("
    " merchant TEXT NOT NULL,"
    " cycle INTEGER NOT NULL,"
    " bill INTEGER NOT NULL,"
    " PRIMARY KEY (cycle, bill, merchant))";

/* What marks a scratch bank (RL_BANK_SCRATCH). */
static const char scratch_schema[] =
    "CREATE TABLE " RL__DB_SCRATCH_TABLE " (note TEXT NOT NULL);"
    "INSERT INTO " RL__DB_SCRATCH_TABLE " VALUES ('" RL__DB_SCRATCH_NOTE "')";

static rl_err reset_failed(sqconn *c, int rc, char *why, size_t why_len) {
    rl_err e = sq_fail(c, rc);
    if (why)
        snprintf(why, why_len, "SQLite database '%s': %s", c->st->path, c->conn.base.errmsg);
    if (!sqlite3_get_autocommit(c->db))
        (void)exec_sql(c, "ROLLBACK");
    return e;
}

/* The racelab_* tables of the database into f; with count, their rows. */
static int find_tables(sqconn *c, rl__dbfound *f, bool count) {
    sqlite3_stmt *s;
    int rc = sqlite3_prepare_v2(c->db,
                                "SELECT name FROM sqlite_master WHERE type = 'table' "
                                "AND lower(substr(name, 1, 8)) = 'racelab_' ORDER BY name",
                                -1, &s, NULL);
    while (rc == SQLITE_OK && (rc = step_stmt(c, s)) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(s, 0);
        char ref[160];
        size_t n = 0;
        ref[n++] = '"';
        for (const char *p = name; *p && n + 3 < sizeof ref; p++) {
            if (*p == '"')
                ref[n++] = '"';
            ref[n++] = *p;
        }
        ref[n++] = '"';
        ref[n] = '\0';
        rl__dbfound_add(f, name, ref);
        rc = SQLITE_OK;
    }
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE && rc != SQLITE_OK)
        return rc;
    for (size_t i = 0; count && i < f->n; i++) {
        char sql[200];
        snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", f->t[i].ref);
        if ((rc = sqlite3_prepare_v2(c->db, sql, -1, &s, NULL)) != SQLITE_OK)
            return rc;
        if (step_stmt(c, s) == SQLITE_ROW)
            f->t[i].rows = sqlite3_column_int64(s, 0);
        sqlite3_finalize(s);
    }
    return SQLITE_OK;
}

/* Replace the racelab_* tables by a new bank when the flags allow it (see
 * "Replacing a bank" in racelab/dbbank.h): the look, the drops and the
 * new tables in one transaction, under the write lock. */
static rl_err reset(sqconn *c, unsigned flags, char *why, size_t why_len) {
    int rc = exec_sql(c, "PRAGMA journal_mode = WAL");
    if (rc == SQLITE_OK)
        rc = exec_sql(c, "BEGIN IMMEDIATE");
    rl__dbfound f = {.n = 0};
    if (rc == SQLITE_OK)
        rc = find_tables(c, &f, false);
    if (rc != SQLITE_OK)
        return reset_failed(c, rc, why, why_len);
    if (!rl__db_may_replace(&f, flags)) {
        f = (rl__dbfound){.n = 0};
        if ((rc = find_tables(c, &f, true)) != SQLITE_OK)
            return reset_failed(c, rc, why, why_len);
        (void)exec_sql(c, "ROLLBACK");
        rl__db_refusal(&f, why, why_len);
        return RL_EEXIST;
    }
    for (size_t i = 0; rc == SQLITE_OK && i < f.n; i++) {
        char sql[200];
        snprintf(sql, sizeof sql, "DROP TABLE %s", f.t[i].ref);
        rc = exec_sql(c, sql);
    }
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(c->db, schema, NULL, NULL, NULL);
    if (rc == SQLITE_OK && (flags & RL_BANK_SCRATCH))
        rc = sqlite3_exec(c->db, scratch_schema, NULL, NULL, NULL);
    if (rc == SQLITE_OK)
        rc = exec_sql(c, "COMMIT");
    return rc == SQLITE_OK ? RL_OK : reset_failed(c, rc, why, why_len);
}

/* Attach: learn the accounts already in the table. */
static rl_err load_names(sqconn *c, char *why, size_t why_len) {
    sqlite3_stmt *s;
    int rc = sqlite3_prepare_v2(c->db, "SELECT id, name FROM racelab_accounts ORDER BY id", -1,
                                &s, NULL);
    rl_err e = RL_OK;
    if (rc != SQLITE_OK)
        e = sq_fail(c, rc);
    while (e == RL_OK && (rc = step_stmt(c, s)) == SQLITE_ROW) {
        rl_acct id;
        const char *name = (const char *)sqlite3_column_text(s, 1);
        e = rl__dbnames_add(&c->st->db.names, name ? name : "", &id);
        if (e == RL_OK && (sqlite3_int64)id != sqlite3_column_int64(s, 0)) {
            rl__errmsg(&c->conn.base, "racelab_accounts ids are not 0 .. n-1 (account '%s')", name);
            e = RL_EDB;
        }
    }
    if (e == RL_OK && rc != SQLITE_DONE)
        e = sq_fail(c, rc);
    sqlite3_finalize(s);
    if (e != RL_OK && why)
        snprintf(why, why_len, "SQLite database '%s': %s", c->st->path, c->conn.base.errmsg);
    return e;
}

rl_err rl_sqlitebank_create(const char *path, unsigned flags, rl_bank **out, char *why,
                            size_t why_len) {
    if (!path || !*path || !out) {
        if (why)
            snprintf(why, why_len, "an SQLite bank needs a file name (sqlite:PATH)");
        return RL_EINVAL;
    }
    sqstore *st = calloc(1, sizeof *st);
    char *copy = strdup(path);
    if (!st || !copy) {
        free(st);
        free(copy);
        return RL_ENOMEM;
    }
    st->path = copy;
    sqconn *c;
    bool resetting = flags & RL_BANK_RESET;
    rl_err e = conn_open(st, resetting, &c, why, why_len);
    if (e != RL_OK) {
        free(copy);
        free(st);
        return e;
    }
    c->conn.owner = true;
    c->conn.base.root = &c->conn.base;
    if (resetting)
        e = reset(c, flags, why, why_len);
    if (e == RL_OK)
        e = conn_prepare(c, why, why_len);
    if (e == RL_OK && !resetting)
        e = load_names(c, why, why_len);
    if (e != RL_OK) {
        sq_destroy(&c->conn.base);
        return e;
    }
    *out = &c->conn.base;
    return RL_OK;
}

void rl_sqlitebank_remove(const char *path) {
    if (!path)
        return;
    static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
    char name[4096];
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        if ((size_t)snprintf(name, sizeof name, "%s%s", path, suffixes[i]) < sizeof name)
            (void)unlink(name);
    }
}

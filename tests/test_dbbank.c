/* test_dbbank.c - the bank in SQLite and in PostgreSQL: the interface's
 * contract on each engine, its locks and isolation levels, the race forced
 * against the engine with every strategy, and a connection lost in the
 * middle of a run. SQLite runs in a temporary file; PostgreSQL on the
 * throwaway server of CTest's fixture, each test in its own database. */
#include <libpq-fe.h>
#include <limits.h>
#include <sqlite3.h>
#include <unistd.h>

#include "racelab/dbbank.h"
#include "racelab/run.h"
#include "racelab/scenario.h"
#include "testing.h"

typedef struct {
    const char *engine; /* "sqlite" or "postgresql" */
    char *url;
} backend;

static backend sqlite_b = {"sqlite", NULL}, pg_b = {"postgresql", NULL};

static int setup_sqlite(void **state) {
    static char path[] = "/tmp/racelab-test-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0)
        return -1;
    close(fd);
    size_t len = sizeof path + 16;
    sqlite_b.url = malloc(len);
    snprintf(sqlite_b.url, len, "sqlite:%s", path);
    *state = &sqlite_b;
    return 0;
}

static int teardown_sqlite(void **state) {
    (void)state;
    rl_sqlitebank_remove(sqlite_b.url + strlen("sqlite:"));
    free(sqlite_b.url);
    return 0;
}

static int setup_pg(void **state) {
    pg_b.url = rl_test_pg_fresh("racelab_test_dbbank");
    *state = &pg_b;
    return 0;
}

/* The runs' group has a database of its own: the two PostgreSQL groups
 * run at once as two CTest tests. */
static int setup_pg_runs(void **state) {
    pg_b.url = rl_test_pg_fresh("racelab_test_dbbank_runs");
    *state = &pg_b;
    return 0;
}

static int teardown_pg(void **state) {
    (void)state;
    free(pg_b.url);
    return 0;
}


static bool is_pg(const backend *be) { return strcmp(be->engine, "postgresql") == 0; }

static const rl_customer three[] = {{"Dave", 400}, {"Susan", 1200}, {"Mike", 1000}};

/* A test that failed may have left a session holding locks: end them, so
 * that one failure does not block the tests after it. */
static void end_stray_sessions(const backend *be) {
    if (is_pg(be))
        rl_test_pg_sql(be->url, "SELECT pg_terminate_backend(pid, 30000) FROM pg_stat_activity "
                                "WHERE datname = current_database() AND pid <> pg_backend_pid()");
}

static rl_bank *fresh(const backend *be) {
    end_stray_sessions(be);
    rl_bank *b = NULL;
    char why[512] = "";
    rl_err e = rl_bank_create_url(be->url, RL_BANK_RESET | RL_BANK_SCRATCH, 0, &b, why,
                                  sizeof why);
    if (e != RL_OK)
        fail_msg("%s: %s: %s", be->url, rl_strerror(e), why);
    rl_acct ids[3];
    assert_err_equal(rl_bank_open_all(b, three, 3, ids), RL_OK);
    for (rl_acct i = 0; i < 3; i++)
        assert_int_equal(ids[i], i);
    return b;
}

static rl_bank *conn(rl_bank *b, const char *who) {
    rl_bank *c = NULL;
    rl_err e = rl_bank_connect(b, who, &c);
    if (e != RL_OK)
        fail_msg("connect: %s: %s", rl_strerror(e), rl_bank_errmsg(b));
    return c;
}

static rl_money balance(rl_bank *b, rl_acct a) {
    rl_money v = 0;
    assert_err_equal(rl_bank_get(b, a, &v, NULL), RL_OK);
    return v;
}

/* get, set (with a lost update counted), add, both compare-and-sets,
 * overflow refused, snapshot, names. */
static void contract(void **state) {
    const backend *be = *state;
    rl_bank *b = fresh(be);
    assert_string_equal(rl_bank_kind(b), be->engine);
    assert_int_equal(rl_bank_count(b), 3);
    rl_acct a;
    assert_err_equal(rl_bank_lookup(b, "Susan", &a), RL_OK);
    assert_int_equal(a, 1);
    assert_err_equal(rl_bank_lookup(b, "Nobody", &a), RL_ENOENT);
    assert_string_equal(rl_bank_name(b, 2), "Mike");
    assert_err_equal(rl_bank_open(b, "Dave", 1, NULL), RL_EEXIST);

    rl_money v;
    uint64_t ver;
    assert_err_equal(rl_bank_get(b, 0, &v, &ver), RL_OK);
    assert_int_equal(v, 400);
    assert_int_equal(ver, 0);
    bool lost = true;
    assert_err_equal(rl_bank_set(b, 0, 375, ver, &lost), RL_OK);
    assert_false(lost);
    /* a second write computed from the same (now old) read loses the first */
    assert_err_equal(rl_bank_set(b, 0, 350, ver, &lost), RL_OK);
    assert_true(lost);
    assert_int_equal(rl_bank_lost_updates(b), 1);

    rl_money now;
    assert_err_equal(rl_bank_add(b, 1, 100, &now), RL_OK);
    assert_int_equal(now, 1300);
    rl_money observed = 0;
    assert_err_equal(rl_bank_compare_and_set(b, 1, 1200, 5, &observed), RL_ECONFLICT);
    assert_int_equal(observed, 1300);
    assert_err_equal(rl_bank_compare_and_set(b, 1, 1300, 1400, NULL), RL_OK);
    uint64_t nv = 0;
    assert_err_equal(rl_bank_get(b, 1, &v, &ver), RL_OK);
    assert_err_equal(rl_bank_set_if_version(b, 1, 9, ver + 7, &now, &nv), RL_ECONFLICT);
    assert_int_equal(now, 1400); /* read afresh */
    assert_int_equal(nv, ver);
    assert_err_equal(rl_bank_set_if_version(b, 1, 1500, ver, NULL, NULL), RL_OK);
    assert_int_equal(balance(b, 1), 1500);

    /* money stays exact: an overflow is refused, the balance unchanged */
    assert_err_equal(rl_bank_set(b, 2, INT64_MAX - 1, RL_VERSION_BLIND, NULL), RL_OK);
    assert_err_equal(rl_bank_add(b, 2, 5, NULL), RL_EOVERFLOW);
    assert_int_equal(balance(b, 2), INT64_MAX - 1);

    /* a batch: each bill on its own; the overflowing one alone is refused */
    rl_acct ba[3] = {0, 2, 1};
    rl_money bd[3] = {-1, 5, 1};
    rl_err br[3];
    assert_err_equal(rl_bank_add_batch(b, ba, bd, 3, br), RL_EOVERFLOW);
    assert_err_equal(br[0], RL_OK);
    assert_err_equal(br[1], RL_EOVERFLOW);
    assert_err_equal(br[2], RL_OK);
    assert_int_equal(balance(b, 2), INT64_MAX - 1);
    assert_int_equal(balance(b, 0), 349);
    assert_err_equal(rl_bank_add(b, 0, 1, NULL), RL_OK);
    assert_err_equal(rl_bank_add(b, 1, -1, NULL), RL_OK);

    rl_balance snap[3];
    size_t n;
    assert_err_equal(rl_bank_snapshot(b, snap, 3, &n), RL_OK);
    assert_int_equal(n, 3);
    assert_string_equal(snap[0].name, "Dave");
    assert_int_equal(snap[0].balance, 350);
    assert_int_equal(snap[0].version, 4);
    assert_int_equal(snap[1].balance, 1500);
    assert_err_equal(rl_bank_get(b, 7, &v, NULL), RL_EINVAL);
    rl_bank_destroy(b);
}

/* Without RL_BANK_RESET the bank attaches to what the table holds. */
static void attach(void **state) {
    const backend *be = *state;
    rl_bank *b = fresh(be);
    assert_err_equal(rl_bank_add(b, 2, -1, NULL), RL_OK);
    rl_bank_destroy(b);
    char why[512] = "";
    assert_err_equal(rl_bank_create_url(be->url, 0, 0, &b, why, sizeof why), RL_OK);
    assert_int_equal(rl_bank_count(b), 3);
    assert_string_equal(rl_bank_name(b, 2), "Mike");
    assert_int_equal(balance(b, 2), 999);
    rl_bank_destroy(b);
}

/* Run sql on be's database, not through racelab. */
static void run_sql(const backend *be, const char *sql) {
    if (is_pg(be)) {
        rl_test_pg_sql(be->url, sql);
        return;
    }
    sqlite3 *db = NULL;
    char *err = NULL;
    if (sqlite3_open(be->url + strlen("sqlite:"), &db) != SQLITE_OK ||
        sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK)
        fail_msg("%s: %s", sql, err ? err : sqlite3_errmsg(db));
    sqlite3_close(db);
}

/* The rows of a table, or -1 when it is not there; not through racelab. */
static long long rows_of(const backend *be, const char *table) {
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", table);
    long long n = -1;
    if (is_pg(be)) {
        PGconn *c = PQconnectdb(be->url);
        PGresult *r = PQexec(c, sql);
        if (PQresultStatus(r) == PGRES_TUPLES_OK)
            n = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
        PQclear(r);
        PQfinish(c);
        return n;
    }
    sqlite3 *db = NULL;
    sqlite3_stmt *s = NULL;
    if (sqlite3_open(be->url + strlen("sqlite:"), &db) == SQLITE_OK &&
        sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
        n = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    sqlite3_close(db);
    return n;
}

/* A reset with flags that must refuse: RL_EEXIST, why naming `names`,
 * nothing made. */
static void refused(const backend *be, unsigned flags, const char *names) {
    rl_bank *b = NULL;
    char why[512] = "";
    rl_err e = rl_bank_create_url(be->url, RL_BANK_RESET | flags, 0, &b, why, sizeof why);
    if (e != RL_EEXIST)
        fail_msg("%s: a reset (flags %u) gave %s, not RL_EEXIST: %s", be->engine, flags,
                 rl_errname(e), why);
    assert_null(b);
    assert_contains(why, names);
}

static void reset_ok(const backend *be, unsigned flags) {
    rl_bank *b = NULL;
    char why[512] = "";
    rl_err e = rl_bank_create_url(be->url, RL_BANK_RESET | flags, 0, &b, why, sizeof why);
    if (e != RL_OK)
        fail_msg("%s: a reset (flags %u) gave %s: %s", be->engine, flags, rl_errname(e), why);
    rl_bank_destroy(b);
}

static const char drop_all[] = "DROP TABLE IF EXISTS racelab_scratch; "
                               "DROP TABLE IF EXISTS racelab_meet; "
                               "DROP TABLE IF EXISTS racelab_cycles; "
                               "DROP TABLE IF EXISTS racelab_ledger; "
                               "DROP TABLE IF EXISTS racelab_jobs; "
                               "DROP TABLE IF EXISTS racelab_accounts; "
                               "DROP TABLE IF EXISTS racelab_notes";

/* A reset drops nothing of anybody's ("Replacing a bank", dbbank.h): a
 * user's own racelab_accounts, a bank made without RL_BANK_SCRATCH (what
 * 'racelab bank init' makes) with its ledger and a finished cycle, a
 * scratch bank beside a table of the user's, and (to a reset without
 * RL_BANK_SCRATCH) a scratch bank are each refused, named, and still there
 * afterwards, rows and all; a scratch reset replaces a scratch bank, and
 * RL_BANK_FORCE replaces anything. */
static void replacing(void **state) {
    const backend *be = *state;
    end_stray_sessions(be);
    run_sql(be, drop_all);
    /* a table of the user's own, any columns, any rows */
    run_sql(be, "CREATE TABLE racelab_accounts (who text, note text); "
                "INSERT INTO racelab_accounts VALUES ('me', 'mine'), ('you', 'yours')");
    refused(be, 0, "racelab_accounts (2 rows)");
    refused(be, RL_BANK_SCRATCH, "no bank of racelab's: racelab_accounts (2 rows)");
    assert_int_equal(rows_of(be, "racelab_accounts"), 2);
    assert_int_equal(rows_of(be, "racelab_ledger"), -1); /* nothing made */
    reset_ok(be, RL_BANK_FORCE);
    assert_int_equal(rows_of(be, "racelab_accounts"), 0); /* replaced, as asked */

    /* a bank as 'racelab bank init' makes it, billed */
    rl_bank *b = NULL;
    char why[512] = "";
    assert_err_equal(rl_bank_create_url(be->url, RL_BANK_RESET | RL_BANK_FORCE, 0, &b, why,
                                        sizeof why),
                     RL_OK);
    assert_err_equal(rl_bank_open_all(b, three, 3, NULL), RL_OK);
    rl_bill_key k = {.merchant = "Costco", .cycle = 1, .bill = 0};
    assert_err_equal(rl_bank_apply_once(b, &k, 0, -25, NULL, NULL), RL_OK);
    k.bill = 1;
    assert_err_equal(rl_bank_cycle_finish(b, &k), RL_OK);
    rl_bank_destroy(b);
    refused(be, RL_BANK_SCRATCH, "there is a bank there already (3 accounts, 1 ledger row, "
                                 "1 finished cycle)");
    refused(be, 0, "there is a bank there already");
    assert_int_equal(rows_of(be, "racelab_ledger"), 1);
    assert_int_equal(rows_of(be, "racelab_cycles"), 1);
    assert_int_equal(rows_of(be, "racelab_accounts"), 3);

    /* a scratch bank: made again by a scratch reset, refused to one without */
    reset_ok(be, RL_BANK_SCRATCH | RL_BANK_FORCE);
    reset_ok(be, RL_BANK_SCRATCH);
    assert_int_equal(rows_of(be, "racelab_scratch"), 1);
    refused(be, 0, "a scratch bank of an earlier run");
    /* with a table of the user's beside it, not even a scratch reset */
    run_sql(be, "CREATE TABLE racelab_notes (n integer); INSERT INTO racelab_notes VALUES (7)");
    refused(be, RL_BANK_SCRATCH, "racelab_notes (1 row)");
    assert_int_equal(rows_of(be, "racelab_notes"), 1);
    assert_int_equal(rows_of(be, "racelab_scratch"), 1);
    reset_ok(be, RL_BANK_FORCE); /* every racelab_* table */
    assert_int_equal(rows_of(be, "racelab_notes"), -1);
    assert_int_equal(rows_of(be, "racelab_scratch"), -1);
    run_sql(be, drop_all);
}

/* A database without racelab's table: an error with the engine's words. */
static void missing_table(void **state) {
    const backend *be = *state;
    char url[600];
    if (is_pg(be)) { /* the group's database, racelab's tables dropped */
        end_stray_sessions(be);
        run_sql(be, drop_all);
        snprintf(url, sizeof url, "%s", be->url);
    } else {
        snprintf(url, sizeof url, "%s-empty", be->url);
        unlink(url + strlen("sqlite:"));
        FILE *f = fopen(url + strlen("sqlite:"), "w"); /* an empty file is an empty database */
        assert_non_null(f);
        fclose(f);
    }
    rl_bank *b = NULL;
    char why[512] = "";
    assert_err_equal(rl_bank_create_url(url, 0, 0, &b, why, sizeof why), RL_EDB);
    assert_null(b);
    assert_contains(why, "racelab_accounts");
    if (!is_pg(be))
        rl_sqlitebank_remove(url + strlen("sqlite:"));
}

/* A lock asked for without waiting is refused while another connection
 * holds it; PostgreSQL's row locks are per row, SQLite's lock is the
 * whole database. A refused lock leaves no transaction open. */
static void locks(void **state) {
    const backend *be = *state;
    rl_bank *b = fresh(be);
    rl_bank *x = conn(b, "x"), *y = conn(b, "y");
    static const rl_lock_kind kinds[] = {RL_LOCK_ROW, RL_LOCK_ADVISORY, RL_LOCK_ALL};
    for (size_t k = 0; k < 3; k++) {
        assert_err_equal(rl_bank_lock(x, kinds[k], 0, true), RL_OK);
        assert_true(rl_bank_in_txn(x));
        assert_err_equal(rl_bank_lock(y, kinds[k], 0, false), RL_EBUSY);
        assert_false(rl_bank_in_txn(y));
        rl_err other = rl_bank_lock(y, kinds[k], 1, false);
        if (is_pg(be) && kinds[k] != RL_LOCK_ALL)
            assert_err_equal(other, RL_OK); /* another customer's lock is free */
        else
            assert_err_equal(other, RL_EBUSY); /* one lock for everything */
        rl_bank_rollback(y);
        assert_err_equal(rl_bank_commit(x), RL_OK);
        assert_err_equal(rl_bank_lock(y, kinds[k], 0, false), RL_OK);
        assert_err_equal(rl_bank_commit(y), RL_OK);
    }
    if (is_pg(be))
        assert_null(rl_bank_lock_note(b, RL_LOCK_ROW));
    else
        assert_contains(rl_bank_lock_note(b, RL_LOCK_ROW), "no row locks");
    rl_bank_destroy(x);
    rl_bank_destroy(y);
    rl_bank_destroy(b);
}

/* Repeatable read: a transaction that read a row another one changed
 * since cannot write it; the engine aborts it (RL_ESERIAL) and nothing of
 * it is applied. Read committed writes over the change: a lost update. */
static void isolation(void **state) {
    const backend *be = *state;
    for (int iso = RL_ISO_READ_COMMITTED; iso <= RL_ISO_SERIALIZABLE; iso++) {
        rl_bank *b = fresh(be);
        rl_bank *x = conn(b, "x"), *y = conn(b, "y");
        rl_money v;
        uint64_t ver;
        assert_err_equal(rl_bank_begin(x, (rl_isolation)iso), RL_OK);
        assert_err_equal(rl_bank_get(x, 0, &v, &ver), RL_OK);
        assert_err_equal(rl_bank_add(y, 0, 100, NULL), RL_OK); /* commits on its own */
        bool lost = false;
        rl_err e = rl_bank_set(x, 0, v - 25, ver, &lost);
        bool sqlite_txn = !is_pg(be); /* every SQLite transaction is serializable */
        if (iso == RL_ISO_READ_COMMITTED && !sqlite_txn) {
            assert_err_equal(e, RL_OK);
            assert_true(lost);
            assert_err_equal(rl_bank_commit(x), RL_OK);
            assert_int_equal(balance(b, 0), 375); /* y's +100 is gone */
        } else {
            if (e != RL_ESERIAL)
                fail_msg("%s at %s: expected RL_ESERIAL, got %s", be->engine,
                         rl_isolation_name((rl_isolation)iso), rl_errname(e));
            assert_false(rl_bank_in_txn(x)); /* rolled back already */
            assert_true(strlen(rl_bank_errmsg(x)) > 0);
            if (is_pg(be))
                assert_contains(rl_bank_errmsg(x), "40001");
            assert_int_equal(balance(b, 0), 500); /* y's write stands, x's did not apply */
        }
        rl_bank_destroy(x);
        rl_bank_destroy(y);
        rl_bank_destroy(b);
    }
}

/* The processor's queue: a job taken is gone for others while its
 * transaction lasts (SKIP LOCKED), back in the queue when it rolls back,
 * gone for good when it commits. */
static void queue(void **state) {
    const backend *be = *state;
    rl_bank *b = fresh(be);
    rl_bank *x = conn(b, "x"), *y = conn(b, "y");
    rl_job j, k;
    assert_err_equal(rl_bank_queue_take(x, &j), RL_EEMPTY);
    rl_bank_rollback(x);
    assert_err_equal(rl_bank_queue_push(b, 7, 0, -25), RL_OK);
    assert_err_equal(rl_bank_queue_push(b, 8, 1, 100), RL_OK);
    assert_err_equal(rl_bank_queue_take(x, &j), RL_OK);
    assert_int_equal(j.tag, 7);
    assert_int_equal(j.acct, 0);
    assert_int_equal(j.amount, -25);
    if (is_pg(be)) { /* another taker skips the locked job */
        assert_err_equal(rl_bank_queue_take(y, &k), RL_OK);
        assert_int_equal(k.tag, 8);
        rl_bank_rollback(y);
    }
    rl_bank_rollback(x); /* job 7 is queued again */
    assert_err_equal(rl_bank_queue_take(x, &j), RL_OK);
    assert_int_equal(j.tag, 7);
    assert_err_equal(rl_bank_commit(x), RL_OK);
    assert_err_equal(rl_bank_queue_take(y, &k), RL_OK);
    assert_int_equal(k.tag, 8);
    assert_err_equal(rl_bank_queue_drop(y, k.id), RL_OK);
    assert_err_equal(rl_bank_commit(y), RL_OK);
    assert_err_equal(rl_bank_queue_take(x, &j), RL_EEMPTY);
    rl_bank_rollback(x);
    rl_bank_destroy(x);
    rl_bank_destroy(y);
    rl_bank_destroy(b);
    rl_bank *m = NULL;
    assert_err_equal(rl_membank_create(0, &m), RL_OK);
    assert_false(rl_bank_has_queue(m));
    assert_err_equal(rl_bank_queue_push(m, 1, 0, 1), RL_ENOTSUP);
    rl_bank_destroy(m);
}

/* The ledger: a bill applied once whatever repeats it (the same call
 * again, from another connection, inside a transaction that commits); a
 * refused bill leaves no row; a transaction that dies (rolled back, its
 * session terminated) leaves neither the row nor the balance change. */
static void ledger(void **state) {
    const backend *be = *state;
    rl_bank *b = fresh(be);
    rl_bank *x = conn(b, "x"), *y = conn(b, "y");
    assert_true(rl_bank_has_ledger(b));
    rl_bill_key k = {.merchant = "Costco", .cycle = 1, .bill = 0};
    rl_money now = 0;
    bool applied = false;
    assert_err_equal(rl_bank_apply_once(x, &k, 0, 25, &now, &applied), RL_OK);
    assert_true(applied);
    assert_int_equal(now, 425);
    assert_err_equal(rl_bank_apply_once(x, &k, 0, 25, &now, &applied), RL_OK);
    assert_false(applied); /* the same bill again: nothing */
    assert_err_equal(rl_bank_apply_once(y, &k, 0, 25, NULL, &applied), RL_OK);
    assert_false(applied); /* nor from another connection */
    assert_int_equal(balance(b, 0), 425);
    /* another cycle, another merchant: new bills */
    k.cycle = 2;
    assert_err_equal(rl_bank_apply_once(y, &k, 0, 25, NULL, &applied), RL_OK);
    assert_true(applied);
    rl_bill_key t = {.merchant = "Target", .cycle = 2, .bill = 0};
    assert_err_equal(rl_bank_apply_once(y, &t, 0, -50, NULL, &applied), RL_OK);
    assert_true(applied);
    assert_int_equal(balance(b, 0), 400);
    /* refused: no row, so it is refused again, never skipped */
    rl_bill_key big = {.merchant = "Costco", .cycle = 3, .bill = 0};
    assert_err_equal(rl_bank_apply_once(x, &big, 0, INT64_MAX, NULL, &applied), RL_EOVERFLOW);
    assert_false(applied);
    assert_err_equal(rl_bank_apply_once(x, &big, 0, INT64_MAX, NULL, &applied), RL_EOVERFLOW);
    assert_int_equal(balance(b, 0), 400);
    /* in a transaction that rolls back: neither row nor balance */
    rl_bill_key r = {.merchant = "Costco", .cycle = 4, .bill = 0};
    assert_err_equal(rl_bank_begin(x, RL_ISO_READ_COMMITTED), RL_OK);
    assert_err_equal(rl_bank_apply_once(x, &r, 1, 100, NULL, &applied), RL_OK);
    assert_true(applied);
    rl_bank_rollback(x);
    assert_int_equal(balance(b, 1), 1200);
    assert_err_equal(rl_bank_apply_once(x, &r, 1, 100, NULL, &applied), RL_OK);
    assert_true(applied); /* it was never recorded */
    assert_int_equal(balance(b, 1), 1300);
    if (is_pg(be)) {
        /* a session that dies inside its transaction (a merchant killed)
         * leaves nothing; the bill is then applied once by another */
        rl_bill_key d = {.merchant = "Costco", .cycle = 5, .bill = 0};
        assert_err_equal(rl_bank_begin(y, RL_ISO_READ_COMMITTED), RL_OK);
        assert_err_equal(rl_bank_apply_once(y, &d, 2, 7, NULL, &applied), RL_OK);
        assert_true(applied);
        assert_err_equal(rl_bank_terminate(y), RL_OK);
        assert_int_equal(balance(b, 2), 1000);
        assert_err_equal(rl_bank_apply_once(x, &d, 2, 7, NULL, &applied), RL_OK);
        assert_true(applied);
        assert_err_equal(rl_bank_apply_once(x, &d, 2, 7, NULL, &applied), RL_OK);
        assert_false(applied);
        assert_int_equal(balance(b, 2), 1007);
    }
    rl_bank_destroy(x);
    rl_bank_destroy(y);
    rl_bank_destroy(b);
    rl_bank *m = NULL;
    assert_err_equal(rl_membank_create(0, &m), RL_OK);
    assert_false(rl_bank_has_ledger(m));
    assert_err_equal(rl_bank_apply_once(m, &k, 0, 1, NULL, &applied), RL_ENOTSUP);
    rl_bank_destroy(m);
}

static void count_row(void *ctx, const rl_ledger_row *r) {
    (void)r;
    ++*(size_t *)ctx;
}

/* rl_bank_ledger_record: the ledger row alone, in the caller's
 * transaction, for strategies that change the balance themselves. */
static void ledger_record(void **state) {
    const backend *be = *state;
    rl_bank *b = fresh(be);
    rl_bank *x = conn(b, "x");
    rl_bill_key k = {.merchant = "Costco", .cycle = 1, .bill = 0};
    bool recorded = true;
    /* outside a transaction it would commit a row with no balance change */
    assert_err_equal(rl_bank_ledger_record(x, &k, 0, -25, &recorded), RL_EINVAL);
    assert_err_equal(rl_bank_begin(x, RL_ISO_READ_COMMITTED), RL_OK);
    assert_err_equal(rl_bank_ledger_record(x, &k, 0, -25, &recorded), RL_OK);
    assert_true(recorded);
    rl_bank_rollback(x); /* gone with the transaction */
    size_t rows = 0;
    assert_err_equal(rl_bank_ledger_scan(b, count_row, &rows), RL_OK);
    assert_int_equal(rows, 0);
    rows = 0;
    assert_err_equal(rl_bank_begin(x, RL_ISO_READ_COMMITTED), RL_OK);
    assert_err_equal(rl_bank_ledger_record(x, &k, 0, -25, &recorded), RL_OK);
    assert_true(recorded);
    assert_err_equal(rl_bank_set(x, 0, 375, 0, NULL), RL_OK);
    assert_err_equal(rl_bank_commit(x), RL_OK);
    assert_err_equal(rl_bank_ledger_scan(b, count_row, &rows), RL_OK);
    assert_int_equal(rows, 1);
    /* the key is there: not recorded again, and the row is apply_once's too */
    assert_err_equal(rl_bank_begin(x, RL_ISO_READ_COMMITTED), RL_OK);
    assert_err_equal(rl_bank_ledger_record(x, &k, 0, -25, &recorded), RL_OK);
    assert_false(recorded);
    rl_bank_rollback(x);
    bool applied = true;
    assert_err_equal(rl_bank_apply_once(x, &k, 0, -25, NULL, &applied), RL_OK);
    assert_false(applied);
    assert_int_equal(balance(b, 0), 375);
    rl_bank_destroy(x);
    rl_bank_destroy(b);
}

/* rl_bank_waiting names the session that holds the lock a connection
 * waits for. The waiter runs on its own thread; the test looks until the
 * engine reports the wait (it must, since the lock is held throughout). */
typedef struct {
    rl_bank *y;
    rl_err locked;
} waiter_arg;

static void waiter(void *p) {
    waiter_arg *w = p;
    w->locked = rl_bank_lock(w->y, RL_LOCK_ROW, 0, true);
    rl_bank_rollback(w->y);
}

static void waiting(void **state) {
    const backend *be = *state;
    rl_bank *b = fresh(be);
    rl_bank *x = conn(b, "x"), *y = conn(b, "y");
    assert_err_equal(rl_bank_lock(x, RL_LOCK_ROW, 0, true), RL_OK);
    waiter_arg w = {.y = y, .locked = RL_EINVAL};
    rl_thread t;
    assert_err_equal(rl_thread_create(&t, "waiter", waiter, &w), RL_OK);
    uint64_t holders[RL_BANK_HOLDERS_MAX];
    size_t n = 0;
    bool seen = false;
    for (int i = 0; i < 60000 && !seen; i++) { /* a minute at most: a broken probe fails */
        seen = rl_bank_waiting(y, holders, &n);
        if (!seen)
            usleep(1000);
    }
    assert_true(seen);
    bool named = false;
    for (size_t i = 0; i < n; i++)
        named |= holders[i] == rl_bank_session(x);
    assert_true(named);
    assert_false(rl_bank_waiting(x, holders, &n));
    assert_err_equal(rl_bank_commit(x), RL_OK);
    rl_thread_join(&t);
    assert_err_equal(w.locked, RL_OK);
    rl_bank_destroy(x);
    rl_bank_destroy(y);
    rl_bank_destroy(b);
}

/* The race forced against the engine: under the lockstep gate every
 * merchant reads a customer before any writes it. racy loses exactly 20
 * updates and ends with the forced table (each customer start + one bill);
 * every fix gives the exercise's table. */
static void strategies_forced(void **state) {
    const backend *be = *state;
    end_stray_sessions(be);
    static const rl_money forced[] = {375, 1300, 700, 345, -1032};
    for (size_t i = 0; i < rl_strategy_count(); i++) {
        const rl_strategy *s = rl_strategy_at(i);
        rl_run_config cfg = rl_run_config_default(s);
        cfg.mode = RL_MODE_CONCURRENT;
        cfg.lockstep = true;
        cfg.bank = be->url;
        rl_run_result r;
        char why[512] = "";
        rl_err e = rl_run(&cfg, &r, why, sizeof why);
        if (e != RL_OK)
            fail_msg("%s on %s: %s: %s", s->name, be->engine, rl_strerror(e), why);
        if (!s->correct) {
            assert_int_equal(r.lost_updates, 20);
            for (size_t c = 0; c < 5; c++)
                assert_int_equal(r.rows[c].final, forced[c]);
        } else {
            if (!r.matches || r.lost_updates != 0 || r.billed != 25)
                fail_msg("%s on %s under lockstep: matches %d, %llu lost, %llu billed", s->name,
                         be->engine, r.matches, (unsigned long long)r.lost_updates,
                         (unsigned long long)r.billed);
            /* the losers were caught, not lucky: at least the four other
             * merchants conflicted on the first customer */
            if (!strcmp(s->name, "cas"))
                assert_true(r.retries >= 4);
            if (!strcmp(s->name, "repeatable-read") || !strcmp(s->name, "serializable")) {
                assert_true(r.aborts >= 4);
                assert_true(r.retries >= 4);
            }
        }
        rl_run_result_free(&r);
    }
}

/* Serial and free-running concurrent runs of every fix give the table.
 * (The forced run of each, with the same assertions, is strategies_forced's.) */
static void fixes_give_the_table(void **state) {
    const backend *be = *state;
    end_stray_sessions(be);
    for (size_t i = 0; i < rl_strategy_count(); i++)
        if (rl_strategy_at(i)->correct)
            rl_test_strategy_gives_the_table_on(rl_strategy_at(i), 1000000, be->url, false);
}

/* One concurrent run of strategy on be, with fn as every slow step. */
static rl_run_result run_paused(const backend *be, const char *strategy,
                                void (*fn)(void *, rl_merchant *, size_t)) {
    rl_run_config cfg = rl_run_config_default(rl_strategy_find(strategy));
    cfg.mode = RL_MODE_CONCURRENT;
    cfg.bank = be->url;
    cfg.opts.pause = (rl_pause){.fn = fn};
    rl_run_result r;
    char why[512] = "";
    rl_err e = rl_run(&cfg, &r, why, sizeof why);
    if (e != RL_OK)
        fail_msg("%s on %s: %s: %s", strategy, be->engine, rl_strerror(e), why);
    return r;
}

/* A merchant's backend terminated while its transaction is open (it holds
 * the row lock through its slow step): the run goes on without it, the
 * database stays consistent (each balance is its start plus exactly the
 * bills reported applied), and the result says which bills were not. */
static const char *pg_url;

static void terminate_target(void *ctx, rl_merchant *m, size_t bill) {
    (void)ctx;
    if (m->index == 1 && bill == 2) {
        char sql[128];
        snprintf(sql, sizeof sql, "SELECT pg_terminate_backend(%llu, 30000)",
                 (unsigned long long)rl_bank_session(m->bank));
        rl_test_pg_sql(pg_url, sql);
    }
}

static void lost_connection(void **state) {
    const backend *be = *state;
    end_stray_sessions(be);
    pg_url = be->url;
    static const char *const which[] = {"mutex", "racy"};
    for (size_t w = 0; w < 2; w++) {
        rl_run_result r = run_paused(be, which[w], terminate_target);
        /* Target's first two bills applied; the third was in its slow step */
        for (size_t i = 0; i < r.nbills; i++) {
            const rl_run_bill *b = &r.bills[i];
            bool target = !strcmp(b->merchant, "Target");
            size_t k = i - 5; /* Target's bills are the second five */
            if (!target) {
                assert_err_equal(b->outcome, RL_OK);
            } else if (k < 2) {
                assert_err_equal(b->outcome, RL_OK);
            } else if (k == 2 && w == 1) {
                /* racy's UPDATE went out on a connection the server had
                 * already closed: the client cannot know it was not run */
                assert_err_equal(b->outcome, RL_EUNKNOWN);
            } else {
                assert_err_equal(b->outcome, RL_ECONN); /* certainly not applied */
            }
        }
        assert_int_equal(r.billed, 22);
        assert_int_equal(r.unknown, w == 1 ? 1 : 0);
        assert_int_equal(r.lost_connection, w == 1 ? 2 : 3);
        if (w == 0) {
            /* consistent: start plus exactly the applied bills */
            for (size_t c = 0; c < r.ncustomers; c++) {
                rl_money want = r.rows[c].start;
                for (size_t i = 0; i < r.nbills; i++)
                    if (r.bills[i].outcome == RL_OK && !strcmp(r.bills[i].customer, r.rows[c].customer))
                        want += r.bills[i].amount;
                assert_int_equal(r.rows[c].final, want);
            }
        }
        rl_run_result_free(&r);
    }
}

/* The lost-update scenario, variant by variant: which break and which
 * hold, on each engine, and the engine's own words in the table. A run
 * returns an error when the engine did something else than the script
 * documents (a wait, an abort, a conflict, a lost update). */
static void lost_update_scenario(void **state) {
    const backend *be = *state;
    end_stray_sessions(be);
    const rl_scenario *s = rl_scenario_find("lost-update");
    assert_non_null(s);
    assert_true(s->needs_database);
    static const struct {
        const char *variant;
        bool held_pg, held_sqlite;
        const char *pg_says, *sqlite_says;
    } want[] = {
        {"autocommit", false, false, "LOST UPDATE", "LOST UPDATE"},
        {"read-committed", false, true, "LOST UPDATE", "SQLITE_BUSY_SNAPSHOT"},
        {"repeatable-read", true, true, "SQLSTATE 40001", "SQLITE_BUSY_SNAPSHOT"},
        {"serializable", true, true, "SQLSTATE 40001", "SQLITE_BUSY_SNAPSHOT"},
        {"for-update", true, true, "waits for the other's lock", "waits for the other's lock"},
        {"atomic", true, true, "waits for the other's lock", "waits for the other's lock"},
        {"cas", true, true, "conflict", "conflict"},
    };
    assert_int_equal(s->nvariants, sizeof want / sizeof want[0]);
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        rl_scenario_opts o = {.bank = be->url};
        rl_outcome out;
        rl_err e = rl_scenario_run(s, want[i].variant, &o, &out);
        if (e != RL_OK)
            fail_msg("%s on %s: %s: %s", want[i].variant, be->engine, rl_strerror(e), out.verdict);
        bool held = is_pg(be) ? want[i].held_pg : want[i].held_sqlite;
        if (out.held != held)
            fail_msg("%s on %s: held %d, expected %d\n%s", want[i].variant, be->engine, out.held,
                     held, out.story);
        assert_contains(out.story, is_pg(be) ? want[i].pg_says : want[i].sqlite_says);
        assert_contains(out.state, held ? "Dave=350 lost=0" : "Dave=375 lost=1");
    }
    /* in memory there is no engine to show it */
    rl_scenario_opts mem = {.bank = "memory"};
    rl_outcome out;
    assert_err_equal(rl_scenario_run(s, "cas", &mem, &out), RL_ENOTSUP);
    assert_contains(out.verdict, "needs a database");
}

/* The processor's own connection terminated in the middle of a run: the
 * run still ends (no merchant waits for an answer that cannot come), every
 * bill is applied, not applied, or (at most the one being committed)
 * unknown, and the balances agree with that. */
static void kill_processor(void *ctx, rl_merchant *m, size_t bill) {
    (void)ctx;
    if (m->index == 0 && bill == 0)
        rl_test_pg_sql(pg_url, "SELECT pg_terminate_backend(pid, 30000) FROM pg_stat_activity "
                               "WHERE application_name = 'racelab:processor' "
                               "AND datname = current_database()");
}

static void processor_lost(void **state) {
    const backend *be = *state;
    end_stray_sessions(be);
    pg_url = be->url;
    rl_run_result r = run_paused(be, "processor", kill_processor);
    assert_true(r.lost_connection > 0); /* at least the first merchant's bills */
    assert_true(r.unknown <= 1);
    for (size_t c = 0; c < r.ncustomers; c++) {
        rl_money base = r.rows[c].start, maybe = 0;
        for (size_t i = 0; i < r.nbills; i++) {
            if (strcmp(r.bills[i].customer, r.rows[c].customer) != 0)
                continue;
            if (r.bills[i].outcome == RL_OK)
                base += r.bills[i].amount;
            else if (r.bills[i].outcome == RL_EUNKNOWN)
                maybe = r.bills[i].amount;
        }
        if (r.rows[c].final != base && r.rows[c].final != base + maybe)
            fail_msg("%s: final %lld, applied bills make %lld", r.rows[c].customer,
                     (long long)r.rows[c].final, (long long)base);
    }
    rl_run_result_free(&r);
}

/* Which groups to run: all, or the one named by the first argument
 * (CTest runs each as a test of its own, side by side). */
static bool wanted(int argc, char **argv, const char *group) {
    return argc < 2 || !strcmp(argv[1], group);
}

int main(int argc, char **argv) {
/* every backend runs these; the runs are a group of their own on
 * PostgreSQL, which also loses its connection */
#define ON_EVERY_BACKEND                                                                           \
    rl_group_test(contract), rl_group_test(attach), rl_group_test(missing_table),                  \
        rl_group_test(replacing), rl_group_test(locks), rl_group_test(isolation),                  \
        rl_group_test(waiting), rl_group_test(queue), rl_group_test(lost_update_scenario),         \
        rl_group_test(ledger), rl_group_test(ledger_record)
#define RUNS rl_group_test(strategies_forced), rl_group_test(fixes_give_the_table)
    const struct CMUnitTest sqlite_tests[] = {ON_EVERY_BACKEND, RUNS};
    const struct CMUnitTest pg_tests[] = {
        ON_EVERY_BACKEND,
        rl_group_test(lost_connection),
        rl_group_test(processor_lost),
    };
    const struct CMUnitTest pg_runs[] = {RUNS};
    if (argc >= 2 && strcmp(argv[1], "sqlite") && strcmp(argv[1], "postgresql") &&
        strcmp(argv[1], "postgresql-runs")) {
        fprintf(stderr, "usage: %s [sqlite|postgresql|postgresql-runs]\n", argv[0]);
        return 2;
    }
    int failed = 0;
    if (wanted(argc, argv, "sqlite"))
        failed += cmocka_run_group_tests_name("sqlite", sqlite_tests, setup_sqlite, teardown_sqlite);
    if (wanted(argc, argv, "postgresql"))
        failed += cmocka_run_group_tests_name("postgresql", pg_tests, setup_pg, teardown_pg);
    if (wanted(argc, argv, "postgresql-runs"))
        failed += cmocka_run_group_tests_name("postgresql-runs", pg_runs, setup_pg_runs,
                                              teardown_pg);
    return failed;
}

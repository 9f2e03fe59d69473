/* pgbank.c - the bank in PostgreSQL (see racelab/dbbank.h), through libpq.
 *
 * One table, racelab_accounts (id, name, balance bigint, version bigint).
 * Every connection is its own server session; its statements are prepared
 * once, when it connects.
 *
 * How the bank's calls map to SQL (what a database programmer writes):
 *   get             SELECT balance, version ... WHERE id = $1
 *   set             UPDATE ... SET balance = $2, version = version + 1
 *                   WHERE id = $1 RETURNING version
 *   add             UPDATE ... SET balance = balance + $2, ... RETURNING
 *   compare-and-set UPDATE ... WHERE id = $1 AND balance = $2 (or AND
 *                   version = $2): zero rows is a conflict, and the row is
 *                   read afresh to say what it holds now
 *   begin           BEGIN ISOLATION LEVEL ...
 *   row lock        SELECT 1 ... WHERE id = $1 FOR UPDATE [NOWAIT]
 *   advisory lock   SELECT pg_advisory_xact_lock(1918, $1), or
 *                   pg_try_advisory_xact_lock for NOWAIT
 *   lock for all    LOCK TABLE racelab_accounts IN SHARE ROW EXCLUSIVE MODE
 *                   (it excludes itself and every UPDATE; plain reads go on)
 * Outside a transaction each statement commits on its own (autocommit,
 * read committed), so `racy`'s SELECT and UPDATE are two transactions.
 *
 * SQLSTATEs: 40001 and 40P01 (serialization failure, deadlock) are
 * RL_ESERIAL; 22003 (numeric value out of range: a bigint overflow) is
 * RL_EOVERFLOW; 55P03 (lock not available, NOWAIT) is RL_EBUSY; class 08
 * and 57P01 (terminated by an administrator) are RL_ECONN; the rest is
 * RL_EDB. The server's message goes to rl_bank_errmsg.
 *
 * A lost connection: whatever way the server went (an immediate, fast or
 * smart shutdown, pg_terminate_backend, a backend killed), a statement's
 * error is either the server's own (57P01, class 08) or libpq's, which
 * carries no SQLSTATE; either way the connection is closed at once, so
 * nothing more is sent on it, and the call returns RL_ECONN (RL_EUNKNOWN
 * for a commit, or a write outside a transaction, on its way). libpq's own
 * error does not always mark the connection bad (see fail_stmt).
 *
 * Connecting: a login the server refuses for good (SQLSTATE class 28, an
 * unknown role or a wrong password; 3D000, no such database; 42501, no
 * right to connect) is RL_EINVAL, as is a connection string libpq cannot
 * read; anything else that fails is RL_ECONN (the server may come back).
 * The SQLSTATE of a refused login is only in libpq's message, in its
 * verbose form, so connections are made with verbose errors.
 *
 * Waiting: when the installed platform watches outside waits (the
 * lockstep gate), statements are sent asynchronously and the connection
 * polls its socket, calling rl_outside_wait every few milliseconds; the
 * probe asks the server, over a monitor connection of the store, which
 * sessions block this one (pg_blocking_pids). Otherwise a statement simply
 * blocks in libpq.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backend.h"
#include "dbcommon.h"
#include "pq.h"
#include "racelab/dbbank.h"

/* The first key of racelab's advisory locks (the second is the account). */
#define ADVISORY_CLASS "1918"

typedef struct pgstore {
    rl__dbstore db; /* names and counters: first */
    char *conninfo;
    rl__rawlock monitor_lock; /* guards monitor */
    PGconn *monitor;          /* asks pg_blocking_pids for the probes */
} pgstore;

enum {
    P_GET, P_SET, P_ADD, P_CAS, P_SETV, P_LOCK_ROW, P_LOCK_ROW_NW, P_ADV, P_ADV_TRY, P_LOCK_ALL,
    P_LOCK_ALL_NW, P_BEGIN_RC, P_BEGIN_RR, P_BEGIN_SER, P_COMMIT, P_ROLLBACK, P_SNAP, P_PUSH,
    P_TAKE, P_DROP, P_APPLY, P_RECORD, P_NSTMT
};

static const struct {
    const char *name, *sql;
    int nparams;
} stmts[P_NSTMT] = {
    [P_GET] = {"rl_get", "SELECT balance, version FROM racelab_accounts WHERE id = $1", 1},
    [P_SET] = {"rl_set",
               "UPDATE racelab_accounts SET balance = $2, version = version + 1 WHERE id = $1 "
               "RETURNING version",
               2},
    [P_ADD] = {"rl_add",
               "UPDATE racelab_accounts SET balance = balance + $2, version = version + 1 "
               "WHERE id = $1 RETURNING balance, version",
               2},
    [P_CAS] = {"rl_cas",
               "UPDATE racelab_accounts SET balance = $3, version = version + 1 "
               "WHERE id = $1 AND balance = $2 RETURNING version",
               3},
    [P_SETV] = {"rl_setv",
                "UPDATE racelab_accounts SET balance = $3, version = version + 1 "
                "WHERE id = $1 AND version = $2 RETURNING version",
                3},
    [P_LOCK_ROW] = {"rl_lock_row", "SELECT 1 FROM racelab_accounts WHERE id = $1 FOR UPDATE", 1},
    [P_LOCK_ROW_NW] = {"rl_lock_row_nw",
                       "SELECT 1 FROM racelab_accounts WHERE id = $1 FOR UPDATE NOWAIT", 1},
    [P_ADV] = {"rl_adv", "SELECT pg_advisory_xact_lock(" ADVISORY_CLASS ", $1::integer)", 1},
    [P_ADV_TRY] = {"rl_adv_try",
                   "SELECT pg_try_advisory_xact_lock(" ADVISORY_CLASS ", $1::integer)", 1},
    [P_LOCK_ALL] = {"rl_lock_all", "LOCK TABLE racelab_accounts IN SHARE ROW EXCLUSIVE MODE", 0},
    [P_LOCK_ALL_NW] = {"rl_lock_all_nw",
                       "LOCK TABLE racelab_accounts IN SHARE ROW EXCLUSIVE MODE NOWAIT", 0},
    [P_BEGIN_RC] = {"rl_begin_rc", "BEGIN ISOLATION LEVEL READ COMMITTED", 0},
    [P_BEGIN_RR] = {"rl_begin_rr", "BEGIN ISOLATION LEVEL REPEATABLE READ", 0},
    [P_BEGIN_SER] = {"rl_begin_ser", "BEGIN ISOLATION LEVEL SERIALIZABLE", 0},
    [P_COMMIT] = {"rl_commit", "COMMIT", 0},
    [P_ROLLBACK] = {"rl_rollback", "ROLLBACK", 0},
    [P_SNAP] = {"rl_snap", "SELECT id, balance, version FROM racelab_accounts ORDER BY id", 0},
    [P_PUSH] = {"rl_push", "INSERT INTO racelab_jobs (tag, account, amount) VALUES ($1, $2, $3)",
                3},
    [P_TAKE] = {"rl_take",
                "DELETE FROM racelab_jobs WHERE id = (SELECT id FROM racelab_jobs ORDER BY id "
                "FOR UPDATE SKIP LOCKED LIMIT 1) RETURNING id, tag, account, amount",
                0},
    [P_DROP] = {"rl_drop", "DELETE FROM racelab_jobs WHERE id = $1", 1},
    /* one statement, so one transaction when none is open: the ledger row
     * and the balance change together or not at all; a key already there
     * inserts nothing, so the update finds no row */
    [P_APPLY] = {"rl_apply",
                 "WITH ins AS (INSERT INTO racelab_ledger (merchant, cycle, bill, account, amount) "
                 "VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING account, amount) "
                 "UPDATE racelab_accounts SET balance = balance + ins.amount, "
                 "version = version + 1 FROM ins WHERE racelab_accounts.id = ins.account "
                 "RETURNING balance, version",
                 5},
    /* the ledger row alone, inside the caller's transaction */
    [P_RECORD] = {"rl_record",
                  "INSERT INTO racelab_ledger (merchant, cycle, bill, account, amount) "
                  "VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
                  5},
};

typedef struct pgconn {
    rl__dbconn dbc; /* first */
    pgstore *st;
    PGconn *conn;
    uint64_t pid;
    bool dead_before; /* the connection was known lost before the failing call */
    rl_outside outside;
} pgconn;

#define PG(b) ((pgconn *)(b))

static const rl_bank_ops pg_ops;

/* ---- connections and errors ---- */

static void quiet(void *arg, const char *message) {
    (void)arg;
    (void)message; /* NOTICEs ("table does not exist, skipping") are not for the user */
}

/* The connection's connect_timeout in milliseconds (libpq's rules: none
 * when 0, at least 2 s); -1 for none. */
static int connect_timeout_ms(PGconn *c) {
    long s = 0;
    PQconninfoOption *opts = PQconninfo(c);
    for (PQconninfoOption *o = opts; o && o->keyword; o++)
        if (!strcmp(o->keyword, "connect_timeout") && o->val)
            s = strtol(o->val, NULL, 10);
    PQconninfoFree(opts);
    if (s <= 0)
        return -1;
    return (int)(s < 2 ? 2000 : s > 3600 ? 3600000 : s * 1000);
}

static int64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Start connecting, with libpq's errors verbose while connecting (so that
 * a refused login's SQLSTATE is in the message). NULL: out of memory. */
static PGconn *dial_start(const char *conninfo, const char *who) {
    char app[96];
    snprintf(app, sizeof app, "racelab:%s", who ? who : "main");
    /* connect_timeout first, so that the caller's string may override it;
     * application_name last, so each session says whose it is */
    const char *const keys[] = {"connect_timeout", "dbname", "application_name", NULL};
    const char *const vals[] = {"10", conninfo, app, NULL};
    PGconn *c = PQconnectStartParams(keys, vals, 1);
    if (c && PQstatus(c) != CONNECTION_BAD)
        PQsetErrorVerbosity(c, PQERRORS_VERBOSE);
    return c;
}

/* Drive n connections started by dial_start to their end at once (each
 * costs the server a process start: in parallel they cost about one),
 * within connect_timeout; timed_out[i] when c[i]'s time ran out (it is
 * then not made). */
static void dial_finish(PGconn *const *c, size_t n, bool *timed_out) {
    PostgresPollingStatusType *st = malloc((n ? n : 1) * sizeof *st);
    struct pollfd *p = malloc((n ? n : 1) * sizeof *p);
    size_t *which = malloc((n ? n : 1) * sizeof *which);
    int timeout = -1;
    for (size_t i = 0; i < n; i++) {
        timed_out[i] = false;
        if (c[i] && PQstatus(c[i]) != CONNECTION_BAD && timeout < 0)
            timeout = connect_timeout_ms(c[i]);
    }
    int64_t deadline = now_ms() + timeout;
    for (size_t i = 0; st && i < n; i++)
        st[i] = c[i] && PQstatus(c[i]) != CONNECTION_BAD ? PGRES_POLLING_WRITING
                                                         : PGRES_POLLING_FAILED;
    while (st && p && which) {
        size_t k = 0;
        for (size_t i = 0; i < n; i++) {
            if (st[i] == PGRES_POLLING_OK || st[i] == PGRES_POLLING_FAILED)
                continue;
            p[k] = (struct pollfd){.fd = PQsocket(c[i]),
                                   .events = st[i] == PGRES_POLLING_READING ? POLLIN : POLLOUT};
            which[k++] = i;
        }
        if (k == 0)
            break;
        int left = timeout < 0 ? -1 : (int)(deadline - now_ms());
        if (timeout >= 0 && left <= 0) {
            for (size_t j = 0; j < k; j++)
                timed_out[which[j]] = true;
            break;
        }
        int ready = poll(p, (nfds_t)k, left);
        if (ready < 0 && errno != EINTR)
            break;
        for (size_t j = 0; ready > 0 && j < k; j++)
            if (p[j].revents || p[j].fd < 0)
                st[which[j]] = PQconnectPoll(c[which[j]]);
    }
    for (size_t i = 0; i < n; i++) {
        if (c[i] && PQstatus(c[i]) == CONNECTION_OK) {
            PQsetErrorVerbosity(c[i], PQERRORS_DEFAULT);
            PQsetNoticeProcessor(c[i], quiet, NULL);
        }
    }
    free(st);
    free(p);
    free(which);
}

/* Connect (dial_start and dial_finish of one). */
static PGconn *dial(const char *conninfo, const char *who, bool *timed_out) {
    PGconn *c = dial_start(conninfo, who);
    dial_finish(&c, 1, timed_out);
    return c;
}

/* The SQLSTATE in a verbose libpq message ("FATAL:  28000: role ..."):
 * the last one, into state[6]; false when there is none (the server was
 * never reached). */
static bool message_state(const char *msg, char state[6]) {
    bool found = false;
    for (const char *p = strstr(msg, ":  "); p; p = strstr(p + 1, ":  ")) {
        const char *s = p + 3;
        size_t n = 0;
        while (n < 5 && ((s[n] >= '0' && s[n] <= '9') || (s[n] >= 'A' && s[n] <= 'Z')))
            n++;
        if (n == 5 && s[5] == ':') {
            memcpy(state, s, 5);
            state[5] = '\0';
            found = true;
        }
    }
    return found;
}

/* A verbose message as the default one reads: without the SQLSTATE after
 * the severity and without the LOCATION line; on one line. */
static void plain_message(const char *msg, char *out, size_t len) {
    size_t n = 0;
    for (const char *p = msg; *p && n + 1 < len;) {
        if (!strncmp(p, "LOCATION:", 9) && (p == msg || p[-1] == '\n')) {
            p += strcspn(p, "\n");
            continue;
        }
        char st[6];
        if (!strncmp(p, ":  ", 3) && message_state(p, st) && !strncmp(p + 3, st, 5) &&
            p[8] == ':') {
            out[n++] = ':';
            p += 9; /* ":  XXXXX:" -> ":", the space after it stays */
            continue;
        }
        out[n++] = *p == '\n' || *p == '\t' ? ' ' : *p;
        p++;
    }
    while (n > 0 && out[n - 1] == ' ')
        n--;
    out[n] = '\0';
}

/* Whether a refused login can never succeed as asked. */
static bool refused_for_good(const char *state) {
    return !strncmp(state, "28", 2) || !strcmp(state, "3D000") || !strcmp(state, "42501");
}

/* A connection string libpq cannot read, or whose port is no number:
 * RL_EINVAL with libpq's words in why. Connects to nothing. */
static rl_err check_conninfo(const char *conninfo, char *why, size_t why_len) {
    char *err = NULL;
    PQconninfoOption *opts = PQconninfoParse(conninfo, &err);
    rl_err e = RL_OK;
    if (!opts) {
        char one[256];
        plain_message(err ? err : "out of memory", one, sizeof one);
        if (why)
            snprintf(why, why_len, "the PostgreSQL connection string is malformed: %s", one);
        PQfreemem(err);
        return err ? RL_EINVAL : RL_ENOMEM;
    }
    for (PQconninfoOption *o = opts; o->keyword; o++) {
        if (strcmp(o->keyword, "port") != 0 || !o->val)
            continue;
        /* a list, one per host: each empty or a number from 1 to 65535 */
        for (const char *p = o->val; e == RL_OK && *p;) {
            size_t n = strcspn(p, ",");
            char *end;
            long v = strtol(p, &end, 10);
            while (end < p + n && *end == ' ')
                end++;
            if (n > 0 && (end != p + n || v < 1 || v > 65535)) {
                if (why)
                    snprintf(why, why_len, "the PostgreSQL connection string is malformed: "
                                           "port '%.*s' is no port number",
                             (int)n, p);
                e = RL_EINVAL;
            }
            p += n + (p[n] == ',');
        }
    }
    PQconninfoFree(opts);
    return e;
}

static rl_err map_state(const char *state) {
    if (!state)
        return RL_EDB;
    if (!strcmp(state, "40001") || !strcmp(state, "40P01"))
        return RL_ESERIAL;
    if (!strcmp(state, "22003"))
        return RL_EOVERFLOW;
    if (!strcmp(state, "55P03"))
        return RL_EBUSY;
    if (!strcmp(state, "23505"))
        return RL_EEXIST;
    if (!strncmp(state, "08", 2) || !strcmp(state, "57P01") || !strcmp(state, "57P02") ||
        !strcmp(state, "57P03"))
        return RL_ECONN;
    return RL_EDB;
}

/* Whether statement k applies a change when it succeeds outside a
 * transaction, or is the commit: losing the connection during it leaves
 * its effect unknown. */
static bool commits(const pgconn *c, int k) {
    if (k == P_COMMIT)
        return true;
    bool writes = k == P_SET || k == P_ADD || k == P_CAS || k == P_SETV || k == P_PUSH ||
                  k == P_DROP || k == P_APPLY || k == P_RECORD;
    return writes && !c->dbc.base.in_txn;
}

/* The result's error, in b->errmsg, as an rl_err. Clears r. k is the
 * statement that failed (-1: none of the prepared ones).
 *
 * The connection is lost when libpq says so (CONNECTION_BAD), when the
 * server said it ended the session (RL_ECONN by its SQLSTATE), and when
 * the error is libpq's own, with no SQLSTATE: the exchange with the server
 * broke. libpq does not mark the connection bad in every such case. After
 * an immediate shutdown (or a backend's crash, which makes the server end
 * every session so), each backend sends its client a WARNING, a notice,
 * and exits. A client that was idle then and sends its next statement on
 * a Unix socket fails to send (EPIPE: the peer is gone); libpq keeps that
 * error for later and reads on, and the read returns the pending WARNING
 * rather than the end of the stream; libpq then reports the failed send
 * ("server closed the connection unexpectedly", no SQLSTATE) with PQstatus
 * still CONNECTION_OK. A lost connection is closed here, so that nothing
 * more is sent on it: every later call fails at once with RL_ECONN. */
static rl_err fail_stmt(pgconn *c, PGresult *r, int k) {
    if (!c->conn) { /* closed when it was lost */
        PQclear(r);
        rl__errmsg(&c->dbc.base, "the connection to the server was lost");
        return RL_ECONN;
    }
    const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    const char *primary = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    if (primary && state)
        rl__errmsg(&c->dbc.base, "%s (SQLSTATE %s)", primary, state);
    else
        rl__errmsg_copy(&c->dbc.base, r && *PQresultErrorMessage(r) ? PQresultErrorMessage(r)
                                                                 : PQerrorMessage(c->conn));
    rl_err e = map_state(state);
    bool broke = PQstatus(c->conn) == CONNECTION_BAD || !state;
    if (broke) {
        e = k >= 0 && !c->dead_before && commits(c, k) ? RL_EUNKNOWN : RL_ECONN;
        if (!c->dbc.base.errmsg[0])
            rl__errmsg(&c->dbc.base, "the connection to the server was lost");
    }
    if (broke || e == RL_ECONN) {
        PQfinish(c->conn);
        c->conn = NULL;
    }
    PQclear(r);
    return e;
}

static rl_err fail(pgconn *c, PGresult *r) { return fail_stmt(c, r, -1); }

/* Send a prepared statement and wait for its result, telling the platform
 * about the wait when it listens. NULL when the connection failed. */
static PGresult *run(pgconn *c, int k, const char *const *params) {
    c->dbc.base.errmsg[0] = '\0';
    c->dead_before = PQstatus(c->conn) == CONNECTION_BAD; /* then nothing is sent */
    if (!rl_outside_watched())
        return PQexecPrepared(c->conn, stmts[k].name, stmts[k].nparams, params, NULL, NULL, 0);
    rl_session_bind(c->pid);
    if (!PQsendQueryPrepared(c->conn, stmts[k].name, stmts[k].nparams, params, NULL, NULL, 0))
        return NULL;
    bool told = false;
    int ms = 1;
    for (;;) {
        if (!PQconsumeInput(c->conn) || !PQisBusy(c->conn))
            break;
        struct pollfd p = {.fd = PQsocket(c->conn), .events = POLLIN};
        int n = poll(&p, 1, ms);
        if (n == 0) {
            rl_outside_wait(&c->outside);
            told = true;
            if (ms < 8)
                ms *= 2;
        } else if (n < 0 && errno != EINTR) {
            break;
        }
    }
    if (told)
        rl_outside_done();
    PGresult *r = PQgetResult(c->conn), *extra;
    while ((extra = PQgetResult(c->conn)))
        PQclear(extra);
    return r;
}

/* Run k and check its status: tuples for a query, OK for a command. *out
 * (when asked for) is the result on success and NULL on failure. */
static rl_err run_check(pgconn *c, int k, const char *const *params, PGresult **out) {
    if (out)
        *out = NULL;
    PGresult *r = run(c, k, params);
    ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK)
        return fail_stmt(c, r, k);
    if (out)
        *out = r;
    else
        PQclear(r);
    return RL_OK;
}

static int64_t col_i64(const PGresult *r, int row, int col) {
    return strtoll(PQgetvalue(r, row, col), NULL, 10);
}

/* ---- transactions and locks ---- */

static rl_err pg_begin(rl_bank *b, rl_isolation iso) {
    int k = iso == RL_ISO_SERIALIZABLE      ? P_BEGIN_SER
            : iso == RL_ISO_REPEATABLE_READ ? P_BEGIN_RR
                                            : P_BEGIN_RC;
    return run_check(PG(b), k, NULL, NULL);
}

static rl_err pg_lock(rl_bank *b, rl_lock_kind kind, rl_acct a, bool wait) {
    pgconn *c = PG(b);
    if (kind != RL_LOCK_ALL && a >= c->st->db.names.count)
        return RL_EINVAL;
    char id[16];
    snprintf(id, sizeof id, "%" PRIu32, a);
    const char *params[] = {id};
    PGresult *r = NULL;
    rl_err e;
    switch (kind) {
    case RL_LOCK_ROW:
        e = run_check(c, wait ? P_LOCK_ROW : P_LOCK_ROW_NW, params, &r);
        if (e == RL_OK && PQntuples(r) != 1)
            e = RL_EINVAL;
        break;
    case RL_LOCK_ADVISORY:
        e = run_check(c, wait ? P_ADV : P_ADV_TRY, params, &r);
        if (e == RL_OK && !wait && strcmp(PQgetvalue(r, 0, 0), "t") != 0)
            e = RL_EBUSY;
        break;
    default:
        e = run_check(c, wait ? P_LOCK_ALL : P_LOCK_ALL_NW, NULL, NULL);
        break;
    }
    PQclear(r);
    return e;
}

static rl_err pg_commit(rl_bank *b) {
    pgconn *c = PG(b);
    PGresult *r = NULL;
    rl_err e = run_check(c, P_COMMIT, NULL, &r);
    if (e == RL_OK && strcmp(PQcmdStatus(r), "COMMIT") != 0) {
        /* the server ended the transaction as failed */
        rl__errmsg(b, "the server rolled the transaction back (%s)", PQcmdStatus(r));
        e = RL_EDB;
    }
    PQclear(r);
    return e;
}

static void pg_rollback(rl_bank *b) {
    pgconn *c = PG(b);
    if (PQstatus(c->conn) != CONNECTION_OK)
        return; /* the server rolled it back when the connection went */
    char keep[RL_BANK_ERRMSG_MAX];
    memcpy(keep, b->errmsg, sizeof keep); /* the message of the error that got us here */
    PQclear(run(c, P_ROLLBACK, NULL));
    memcpy(b->errmsg, keep, sizeof keep);
}

/* ---- data ---- */


static rl_err read_row(pgconn *c, rl_acct a, rl_money *bal, uint64_t *ver) {
    char id[16];
    snprintf(id, sizeof id, "%" PRIu32, a);
    const char *params[] = {id};
    PGresult *r = NULL;
    rl_err e = run_check(c, P_GET, params, &r);
    if (e != RL_OK)
        return e;
    if (PQntuples(r) != 1) {
        PQclear(r);
        return RL_EINVAL;
    }
    *bal = col_i64(r, 0, 0);
    *ver = (uint64_t)col_i64(r, 0, 1);
    PQclear(r);
    return RL_OK;
}

static rl_err pg_get(rl_bank *b, rl_acct a, rl_access *ev) {
    pgconn *c = PG(b);
    if (a >= c->st->db.names.count)
        return rl__access_done(ev, RL_EINVAL);
    rl_money bal = 0;
    uint64_t ver = 0;
    rl_err e = read_row(c, a, &bal, &ver);
    if (e == RL_OK) {
        ev->value = bal;
        ev->version_before = ev->version_after = ver;
    }
    return rl__access_done(ev, e);
}

/* An UPDATE ... RETURNING with params (id, x[, y]): *matched when a row
 * was written; its RETURNING columns into r. */
static rl_err write_row(pgconn *c, int k, rl_acct a, int64_t x, int64_t y, PGresult **r,
                    bool *matched) {
    char id[16], px[24], py[24];
    snprintf(id, sizeof id, "%" PRIu32, a);
    snprintf(px, sizeof px, "%" PRId64, x);
    snprintf(py, sizeof py, "%" PRId64, y);
    const char *params[] = {id, px, py};
    rl_err e = run_check(c, k, params, r);
    if (e == RL_OK)
        *matched = PQntuples(*r) == 1;
    return e;
}

/* write_row() of one row by id; RL_EINVAL when no row has that id. The
 * RETURNING columns stay in *r (clear it). */
static rl_err update(pgconn *c, int k, rl_acct a, int64_t x, PGresult **r) {
    if (a >= c->st->db.names.count)
        return RL_EINVAL;
    bool matched;
    rl_err e = write_row(c, k, a, x, 0, r, &matched);
    if (e == RL_OK && !matched) {
        PQclear(*r);
        *r = NULL;
        e = RL_EINVAL;
    }
    return e;
}

static rl_err pg_set(rl_bank *b, rl_acct a, rl_money value, uint64_t read_version, rl_access *ev) {
    PGresult *r = NULL;
    rl_err e = update(PG(b), P_SET, a, value, &r);
    if (e == RL_OK) {
        ev->value = value;
        rl__db_wrote(b, ev, read_version, (uint64_t)col_i64(r, 0, 0));
    }
    PQclear(r);
    return rl__access_done(ev, e);
}

/* A bill key as text parameters: merchant, cycle, bill. */
typedef struct {
    char cycle[24], bill[16];
    const char *params[3];
} key_text;

static void key_params(const rl_bill_key *k, key_text *t) {
    snprintf(t->cycle, sizeof t->cycle, "%" PRIu64, k->cycle);
    snprintf(t->bill, sizeof t->bill, "%" PRIu32, k->bill);
    t->params[0] = k->merchant;
    t->params[1] = t->cycle;
    t->params[2] = t->bill;
}

/* A ledger row's five parameters: the key, the account, the amount. */
typedef struct {
    key_text kt;
    char id[16], amt[24];
    const char *params[5];
} row_text;

static void row_params(const rl_bill_key *k, rl_acct a, rl_money amount, row_text *t) {
    key_params(k, &t->kt);
    snprintf(t->id, sizeof t->id, "%" PRIu32, a);
    snprintf(t->amt, sizeof t->amt, "%" PRId64, amount);
    const char *p[] = {t->kt.params[0], t->kt.params[1], t->kt.params[2], t->id, t->amt};
    memcpy(t->params, p, sizeof p);
}

static rl_err pg_ledger_record(rl_bank *b, const rl_bill_key *k, rl_acct a, rl_money amount,
                               bool *recorded) {
    pgconn *c = PG(b);
    if (a >= c->st->db.names.count)
        return RL_EINVAL;
    row_text rt;
    row_params(k, a, amount, &rt);
    PGresult *r = NULL;
    rl_err e = run_check(c, P_RECORD, rt.params, &r);
    if (e == RL_OK) {
        *recorded = strcmp(PQcmdTuples(r), "1") == 0;
        PQclear(r);
    }
    return e;
}

static rl_err pg_apply_once(rl_bank *b, const rl_bill_key *k, rl_acct a, rl_money amount,
                            rl_access *ev, bool *applied) {
    pgconn *c = PG(b);
    if (a >= c->st->db.names.count)
        return rl__access_done(ev, RL_EINVAL);
    row_text rt;
    row_params(k, a, amount, &rt);
    PGresult *r = NULL;
    rl_err e = run_check(c, P_APPLY, rt.params, &r);
    if (e == RL_OK) {
        *applied = PQntuples(r) == 1;
        if (*applied) {
            ev->value = col_i64(r, 0, 0);
            rl__db_wrote(b, ev, RL_VERSION_BLIND, (uint64_t)col_i64(r, 0, 1));
        }
    }
    PQclear(r);
    return rl__access_done(ev, e);
}

/* A query with text parameters, its rows to the caller. */
static rl_err query(pgconn *c, const char *sql, int n, const char *const *params,
                    PGresult **out) {
    *out = NULL; /* on failure too */
    c->dbc.base.errmsg[0] = '\0';
    PGresult *r = PQexecParams(c->conn, sql, n, NULL, params, NULL, NULL, 0);
    ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK)
        return fail(c, r);
    *out = r;
    return RL_OK;
}

static rl_err pg_ledger_scan(rl_bank *b, void (*each)(void *ctx, const rl_ledger_row *r),
                             void *ctx) {
    PGresult *r;
    rl_err e = query(PG(b),
                     "SELECT merchant, cycle, bill, account, amount FROM racelab_ledger "
                     "ORDER BY merchant, cycle, bill",
                     0, NULL, &r);
    for (int i = 0; e == RL_OK && i < PQntuples(r); i++) {
        rl_ledger_row row = {.key = {.merchant = PQgetvalue(r, i, 0),
                                     .cycle = (uint64_t)col_i64(r, i, 1),
                                     .bill = (uint32_t)col_i64(r, i, 2)},
                             .acct = (rl_acct)col_i64(r, i, 3),
                             .amount = col_i64(r, i, 4)};
        each(ctx, &row);
    }
    if (e == RL_OK)
        PQclear(r);
    return e;
}

static rl_err pg_cycle_scan(rl_bank *b, void (*each)(void *ctx, const rl_bill_key *k),
                            void *ctx) {
    PGresult *r;
    rl_err e = query(PG(b), "SELECT merchant, cycle, bills FROM racelab_cycles "
                            "ORDER BY merchant, cycle",
                     0, NULL, &r);
    for (int i = 0; e == RL_OK && i < PQntuples(r); i++) {
        rl_bill_key k = {.merchant = PQgetvalue(r, i, 0), .cycle = (uint64_t)col_i64(r, i, 1),
                         .bill = (uint32_t)col_i64(r, i, 2)};
        each(ctx, &k);
    }
    if (e == RL_OK)
        PQclear(r);
    return e;
}

/* Insert a key's row into racelab_cycles or racelab_meet (once). */
static rl_err insert_key(pgconn *c, const char *sql, const key_text *kt) {
    PGresult *r;
    rl_err e = query(c, sql, 3, kt->params, &r);
    if (e == RL_OK)
        PQclear(r);
    return e;
}

static rl_err pg_cycle_finish(rl_bank *b, const rl_bill_key *k) {
    key_text kt; /* k->bill is the cycle's number of bills */
    key_params(k, &kt);
    return insert_key(PG(b),
                      "INSERT INTO racelab_cycles (merchant, cycle, bills) VALUES ($1, $2, $3) "
                      "ON CONFLICT DO NOTHING",
                      &kt);
}

/* A merchant is there when it has arrived, or when its connection waits
 * for a lock (held, as a rule, by one that arrived): it cannot arrive
 * before the holder goes on. Sessions of racelab's in this database,
 * waiting on a lock, not among the arrived. */
static rl_err pg_meet(rl_bank *b, const rl_bill_key *k, uint64_t session, size_t *met) {
    key_text kt;
    key_params(k, &kt);
    char sess[24];
    snprintf(sess, sizeof sess, "%" PRIu64, session);
    const char *params[] = {kt.params[0], kt.params[1], kt.params[2], sess};
    PGresult *r;
    rl_err e = query(PG(b),
                     "INSERT INTO racelab_meet (merchant, cycle, bill, session) "
                     "VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                     4, params, &r);
    if (e != RL_OK)
        return e;
    PQclear(r);
    e = query(PG(b),
              "SELECT (SELECT count(*) FROM racelab_meet WHERE cycle = $1 AND bill = $2) + "
              "(SELECT count(*) FROM pg_stat_activity a WHERE a.datname = current_database() "
              "AND a.wait_event_type = 'Lock' AND a.application_name LIKE 'racelab:%' "
              "AND a.pid NOT IN (SELECT session FROM racelab_meet WHERE cycle = $1 AND bill = $2))",
              2, kt.params + 1, &r);
    if (e != RL_OK)
        return e;
    *met = (size_t)col_i64(r, 0, 0);
    PQclear(r);
    return RL_OK;
}

static rl_err pg_add(rl_bank *b, rl_acct a, rl_money delta, rl_access *ev) {
    PGresult *r = NULL;
    rl_err e = update(PG(b), P_ADD, a, delta, &r);
    if (e == RL_OK) {
        ev->value = col_i64(r, 0, 0);
        rl__db_wrote(b, ev, RL_VERSION_BLIND, (uint64_t)col_i64(r, 0, 1));
    }
    PQclear(r);
    return rl__access_done(ev, e);
}

/* One round of a batch: the pending bills (results[i] == RL_EUNKNOWN at
 * entry) sent in pipeline mode as one implicit transaction (one Sync at
 * the end, so one commit). Each answered bill's result is filled; when one
 * is refused, the transaction rolls back and the others go back to
 * pending (RL_EAGAIN here) for the next round. Returns RL_ECONN when the
 * connection went (what was not confirmed stays RL_EUNKNOWN). */
static rl_err batch_round(pgconn *c, const rl_acct *a, const rl_money *delta, size_t n,
                          const size_t *order, rl_err *results) {
    if (!PQenterPipelineMode(c->conn))
        return RL_ECONN;
    size_t sent = 0;
    for (size_t o = 0; o < n; o++) {
        size_t i = order[o];
        if (results[i] != RL_EUNKNOWN)
            continue;
        char id[16], d[24];
        snprintf(id, sizeof id, "%" PRIu32, a[i]);
        snprintf(d, sizeof d, "%" PRId64, delta[i]);
        const char *params[] = {id, d};
        if (!PQsendQueryPrepared(c->conn, stmts[P_ADD].name, 2, params, NULL, NULL, 0))
            break;
        results[i] = RL_EBUSY; /* in flight */
        sent++;
    }
    bool synced = PQpipelineSync(c->conn) == 1, refused = false, gone = !synced;
    /* each statement: its result (or PIPELINE_ABORTED after a refusal),
     * then NULL; at the end the Sync's PIPELINE_SYNC, which means the
     * transaction is over (committed unless one was refused) */
    for (size_t o = 0; o < n && !gone; o++) {
        size_t i = order[o];
        if (results[i] != RL_EBUSY)
            continue;
        PGresult *r = PQgetResult(c->conn);
        if (!r) {
            gone = true;
            break;
        }
        ExecStatusType st = PQresultStatus(r);
        if (st == PGRES_TUPLES_OK) {
            results[i] = PQntuples(r) == 1 ? RL_EUNKNOWN : RL_EINVAL; /* done, not yet committed */
            if (results[i] == RL_EINVAL)
                refused = true;
            PQclear(r);
        } else if (st == PGRES_PIPELINE_ABORTED) {
            results[i] = RL_EAGAIN; /* not run: an earlier bill was refused */
            PQclear(r);
        } else {
            results[i] = fail_stmt(c, r, P_SET); /* clears r; P_SET: any write */
            refused = true;
            if (results[i] == RL_ECONN || results[i] == RL_EUNKNOWN)
                gone = true;
            else if (results[i] == RL_ESERIAL)
                results[i] = RL_EAGAIN; /* the whole transaction failed, not this bill */
        }
        PGresult *end = PQgetResult(c->conn); /* the NULL after each result */
        if (end) {
            PQclear(end);
            gone = true;
        }
    }
    if (!gone) {
        PGresult *r = PQgetResult(c->conn);
        gone = !r || PQresultStatus(r) != PGRES_PIPELINE_SYNC;
        PQclear(r);
    }
    (void)PQexitPipelineMode(c->conn);
    for (size_t i = 0; i < n; i++) {
        if (gone) {
            /* sent but not confirmed: the commit may or may not have happened */
            if (results[i] == RL_EBUSY || results[i] == RL_EAGAIN ||
                (results[i] == RL_EUNKNOWN && sent))
                results[i] = RL_EUNKNOWN;
        } else if (results[i] == RL_EUNKNOWN) {
            results[i] = refused ? RL_EAGAIN : RL_OK; /* rolled back, or committed */
        }
    }
    return gone ? RL_ECONN : RL_OK;
}

/* A batch: rounds until every bill has its own result. Each round either
 * commits everything it sent or refuses at least one bill, so it ends;
 * a round the engine aborted (a deadlock with someone else's transaction,
 * SQLSTATE 40P01) is sent again, up to ROUNDS_ABORTED times. The bills go
 * in ascending account order, so two batches take their row locks in the
 * same order and never deadlock with each other. */
#define ROUNDS_ABORTED 16
#define BATCH_MAX 4096

static int by_account(const void *x, const void *y, void *ctx) {
    const rl_acct *a = ctx;
    rl_acct p = a[*(const size_t *)x], q = a[*(const size_t *)y];
    return (p > q) - (p < q);
}

static rl_err pg_add_batch(rl_bank *b, const rl_acct *a, const rl_money *delta, size_t n,
                           rl_err *results) {
    pgconn *c = PG(b);
    c->dbc.base.errmsg[0] = '\0';
    if (n > BATCH_MAX) {
        rl__errmsg(b, "at most %d bills in one batch", BATCH_MAX);
        for (size_t i = 0; i < n; i++)
            results[i] = RL_EINVAL;
        return RL_EINVAL;
    }
    size_t order[BATCH_MAX];
    for (size_t i = 0; i < n; i++)
        order[i] = i;
    qsort_r(order, n, sizeof order[0], by_account, (void *)a);
    for (size_t i = 0; i < n; i++)
        results[i] = a[i] < c->st->db.names.count ? RL_EUNKNOWN : RL_EINVAL;
    if (PQstatus(c->conn) != CONNECTION_OK) {
        for (size_t i = 0; i < n; i++)
            if (results[i] == RL_EUNKNOWN)
                results[i] = RL_ECONN; /* nothing sent */
        return RL_ECONN;
    }
    for (unsigned aborted = 0;;) {
        rl_err e = batch_round(c, a, delta, n, order, results);
        if (e != RL_OK) {
            if (!b->errmsg[0])
                rl__errmsg_copy(b, PQerrorMessage(c->conn));
            return e;
        }
        bool again = false, refused = false;
        for (size_t i = 0; i < n; i++) {
            refused |= results[i] != RL_OK && results[i] != RL_EAGAIN;
            again |= results[i] == RL_EAGAIN;
        }
        if (!again)
            return RL_OK;
        if (!refused && ++aborted > ROUNDS_ABORTED) {
            for (size_t i = 0; i < n; i++)
                if (results[i] == RL_EAGAIN)
                    results[i] = RL_ESERIAL;
            return RL_OK;
        }
        for (size_t i = 0; i < n; i++)
            if (results[i] == RL_EAGAIN)
                results[i] = RL_EUNKNOWN; /* pending for the next round */
    }
}

static rl_err conditional(pgconn *c, int k, rl_acct a, int64_t cond, rl_money value,
                          rl_access *ev) {
    if (a >= c->st->db.names.count)
        return rl__access_done(ev, RL_EINVAL);
    PGresult *r = NULL;
    bool matched;
    rl_err e = write_row(c, k, a, cond, value, &r, &matched);
    if (e != RL_OK)
        return rl__access_done(ev, e);
    if (!matched) {
        PQclear(r);
        rl_money bal = 0;
        uint64_t ver = 0;
        if ((e = read_row(c, a, &bal, &ver)) != RL_OK)
            return rl__access_done(ev, e);
        ev->value = bal;
        ev->version_before = ev->version_after = ver;
        return rl__access_done(ev, RL_ECONFLICT);
    }
    ev->value = value;
    ev->version_after = (uint64_t)col_i64(r, 0, 0);
    ev->version_before = ev->version_after - 1;
    PQclear(r);
    return rl__access_done(ev, RL_OK);
}

static rl_err pg_cas(rl_bank *b, rl_acct a, rl_money expected, rl_money desired, rl_access *ev) {
    return conditional(PG(b), P_CAS, a, expected, desired, ev);
}

static rl_err pg_setv(rl_bank *b, rl_acct a, rl_money value, uint64_t version, rl_access *ev) {
    return conditional(PG(b), P_SETV, a, (int64_t)version, value, ev);
}

/* ---- accounts ---- */

static rl_err simple(pgconn *c, const char *sql) {
    c->dbc.base.errmsg[0] = '\0';
    PGresult *r = PQexec(c->conn, sql);
    if (!r || PQresultStatus(r) != PGRES_COMMAND_OK)
        return fail(c, r);
    PQclear(r);
    return RL_OK;
}

/* COPY's text format: backslash, tab, newline and carriage return escaped. */
static size_t copy_escape(char *out, const char *in) {
    size_t n = 0;
    for (; *in; in++) {
        char e = *in == '\\' ? '\\' : *in == '\t' ? 't' : *in == '\n' ? 'n' : *in == '\r' ? 'r' : 0;
        if (e) {
            out[n++] = '\\';
            out[n++] = e;
        } else {
            out[n++] = *in;
        }
    }
    return n;
}

static rl_err pg_open_all(rl_bank *b, const rl_customer *cu, size_t n, rl_acct *out) {
    pgconn *c = PG(b);
    size_t before = c->st->db.names.count;
    rl_err e = simple(c, "BEGIN");
    if (e != RL_OK)
        return e;
    PGresult *r = PQexec(c->conn, "COPY racelab_accounts (id, name, balance, version) FROM STDIN");
    if (!r || PQresultStatus(r) != PGRES_COPY_IN) {
        e = fail(c, r);
        pg_rollback(b);
        return e;
    }
    PQclear(r);
    char line[2 * RL_BANK_NAME_MAX + 64];
    for (size_t i = 0; e == RL_OK && i < n; i++) {
        rl_acct id;
        e = rl__dbnames_add(&c->st->db.names, cu[i].name, &id);
        if (e != RL_OK)
            break;
        int len = snprintf(line, sizeof line, "%" PRIu32 "\t", id);
        len += (int)copy_escape(line + len, cu[i].name);
        len += snprintf(line + len, sizeof line - (size_t)len, "\t%" PRId64 "\t0\n", cu[i].start);
        if (PQputCopyData(c->conn, line, len) != 1)
            e = RL_ECONN;
        if (out)
            out[i] = id;
    }
    if (PQputCopyEnd(c->conn, e == RL_OK ? NULL : "racelab: batch abandoned") != 1 && e == RL_OK)
        e = RL_ECONN;
    while ((r = PQgetResult(c->conn))) {
        if (e == RL_OK && PQresultStatus(r) != PGRES_COMMAND_OK) {
            e = fail(c, r);
            continue;
        }
        PQclear(r);
    }
    if (e == RL_OK)
        e = simple(c, "COMMIT");
    if (e != RL_OK) {
        if (e == RL_ECONN && !b->errmsg[0])
            rl__errmsg_copy(b, PQerrorMessage(c->conn));
        pg_rollback(b);
        rl__dbnames_truncate(&c->st->db.names, before);
    }
    return e;
}

static rl_err pg_snapshot(rl_bank *b, rl_balance *out, size_t n) {
    pgconn *c = PG(b);
    PGresult *r = NULL;
    rl_err e = run_check(c, P_SNAP, NULL, &r);
    if (e != RL_OK)
        return e;
    size_t got = 0;
    for (int i = 0; i < PQntuples(r); i++) {
        int64_t id = col_i64(r, i, 0);
        if (id < 0 || (uint64_t)id >= n)
            continue; /* a row this process does not know: not ours to show */
        out[id] = (rl_balance){.name = rl__dbnames_name(&c->st->db.names, (rl_acct)id),
                               .balance = col_i64(r, i, 1),
                               .version = (uint64_t)col_i64(r, i, 2)};
        got++;
    }
    PQclear(r);
    if (got != n) {
        rl__errmsg(b, "the table holds %zu of the %zu accounts", got, n);
        return RL_EDB;
    }
    return RL_OK;
}

/* ---- the job queue ---- */

static rl_err pg_push(rl_bank *b, uint64_t tag, rl_acct a, rl_money amount) {
    char t[24], id[16], am[24];
    snprintf(t, sizeof t, "%" PRId64, (int64_t)tag);
    snprintf(id, sizeof id, "%" PRIu32, a);
    snprintf(am, sizeof am, "%" PRId64, amount);
    const char *params[] = {t, id, am};
    return run_check(PG(b), P_PUSH, params, NULL);
}

static rl_err pg_take(rl_bank *b, rl_job *out) {
    PGresult *r = NULL;
    rl_err e = run_check(PG(b), P_TAKE, NULL, &r);
    if (e != RL_OK)
        return e;
    if (PQntuples(r) != 1) {
        PQclear(r);
        return RL_EEMPTY;
    }
    *out = (rl_job){.id = (uint64_t)col_i64(r, 0, 0), .tag = (uint64_t)col_i64(r, 0, 1),
                    .acct = (rl_acct)col_i64(r, 0, 2), .amount = col_i64(r, 0, 3)};
    PQclear(r);
    return RL_OK;
}

static rl_err pg_drop(rl_bank *b, uint64_t id) {
    char i[24];
    snprintf(i, sizeof i, "%" PRIu64, id);
    const char *params[] = {i};
    return run_check(PG(b), P_DROP, params, NULL);
}

static size_t pg_memory(rl_bank *b) { return sizeof(pgstore) + PG(b)->st->db.names.bytes; }

static uint64_t pg_session(rl_bank *b) { return PG(b)->pid; }

/* ---- who blocks whom ---- */

static bool pg_waiting(rl_bank *b, uint64_t *holders, size_t *n) {
    pgconn *c = PG(b);
    pgstore *st = c->st;
    *n = 0;
    rl__rawlock_lock(&st->monitor_lock);
    if (st->monitor && PQstatus(st->monitor) != CONNECTION_OK) {
        PQfinish(st->monitor);
        st->monitor = NULL;
    }
    bool timed_out;
    if (!st->monitor)
        st->monitor = dial(st->conninfo, "monitor", &timed_out);
    PGresult *r = NULL;
    if (st->monitor && PQstatus(st->monitor) == CONNECTION_OK) {
        char pid[24];
        snprintf(pid, sizeof pid, "%" PRIu64, c->pid);
        const char *params[] = {pid};
        r = PQexecParams(st->monitor, "SELECT pg_blocking_pids($1::integer)", 1, NULL, params,
                         NULL, NULL, 0);
    }
    if (r && PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1) {
        /* "{123,456}" */
        const char *p = PQgetvalue(r, 0, 0);
        while (*p && *n < RL_BANK_HOLDERS_MAX) {
            while (*p && (*p < '0' || *p > '9'))
                p++;
            if (!*p)
                break;
            char *end;
            holders[(*n)++] = strtoull(p, &end, 10);
            p = end;
        }
    }
    PQclear(r);
    rl__rawlock_unlock(&st->monitor_lock);
    return *n > 0;
}

static bool probe(void *ctx, uint64_t *holders, size_t *n) { return pg_waiting(ctx, holders, n); }

/* pg_terminate_backend over the monitor connection, waiting (up to 30 s)
 * until the session is gone. */
static rl_err pg_terminate(rl_bank *b) {
    pgconn *c = PG(b);
    pgstore *st = c->st;
    rl_err e = RL_ECONN;
    rl__rawlock_lock(&st->monitor_lock);
    if (!st->monitor || PQstatus(st->monitor) != CONNECTION_OK) {
        bool timed_out;
        PQfinish(st->monitor);
        st->monitor = dial(st->conninfo, "monitor", &timed_out);
    }
    if (st->monitor && PQstatus(st->monitor) == CONNECTION_OK) {
        char pid[24];
        snprintf(pid, sizeof pid, "%" PRIu64, c->pid);
        const char *params[] = {pid};
        PGresult *r = PQexecParams(st->monitor, "SELECT pg_terminate_backend($1::integer, 30000)",
                                   1, NULL, params, NULL, NULL, 0);
        e = r && PQresultStatus(r) == PGRES_TUPLES_OK && !strcmp(PQgetvalue(r, 0, 0), "t")
                ? RL_OK
                : RL_EDB;
        PQclear(r);
    }
    rl__rawlock_unlock(&st->monitor_lock);
    return e;
}

/* ---- making connections ---- */

/* Prepare every statement, in one round trip (pipeline mode): each
 * connection of every run does it. prepare_send sends them all;
 * prepare_read reads the answers (a caller with several connections sends
 * on each, then reads each). The first refusal (a missing table) is the
 * error. */
static rl_err prepare_send(pgconn *c) {
    if (!PQenterPipelineMode(c->conn))
        return fail(c, NULL);
    int sent = 0;
    while (sent < P_NSTMT && PQsendPrepare(c->conn, stmts[sent].name, stmts[sent].sql,
                                           stmts[sent].nparams, NULL) == 1)
        sent++;
    if (sent < P_NSTMT || PQpipelineSync(c->conn) != 1)
        return fail(c, NULL);
    return RL_OK;
}

static rl_err prepare_read(pgconn *c) {
    for (int k = 0; k < P_NSTMT; k++) {
        PGresult *r = PQgetResult(c->conn);
        if (!r || PQresultStatus(r) != PGRES_COMMAND_OK)
            return fail(c, r); /* the connection is closed by its caller */
        PQclear(r);
        if ((r = PQgetResult(c->conn)) != NULL) { /* the NULL after each result */
            PQclear(r);
            return fail(c, NULL);
        }
    }
    PGresult *r = PQgetResult(c->conn);
    if (!r || PQresultStatus(r) != PGRES_PIPELINE_SYNC)
        return fail(c, r);
    PQclear(r);
    return PQexitPipelineMode(c->conn) ? RL_OK : fail(c, NULL);
}

static rl_err conn_prepare(pgconn *c) {
    rl_err e = prepare_send(c);
    return e == RL_OK ? prepare_read(c) : e;
}

static pgconn *conn_new(pgstore *st) {
    pgconn *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->dbc.base.ops = &pg_ops;
    c->dbc.store = &st->db;
    c->st = st;
    c->outside = (rl_outside){.what = "a lock in PostgreSQL", .probe = probe, .ctx = c};
    return c;
}

/* c's dialling is over: RL_OK when it connected; else why says why, and
 * the error says whether trying again can help (RL_ECONN) or not
 * (RL_EINVAL); c->conn is then closed. */
static rl_err conn_dialed(pgconn *c, bool timed_out, char *why, size_t why_len) {
    if (!c->conn || PQstatus(c->conn) != CONNECTION_OK) {
        const char *msg = !c->conn ? "out of memory"
                          : timed_out ? "the server did not answer within connect_timeout"
                                      : PQerrorMessage(c->conn);
        char state[6] = "", plain[RL_BANK_ERRMSG_MAX * 2];
        bool for_good = c->conn && !timed_out && message_state(msg, state) &&
                        refused_for_good(state);
        plain_message(msg, plain, sizeof plain);
        if (why)
            snprintf(why, why_len, "cannot connect to PostgreSQL: %s%s%s%s", plain,
                     state[0] ? " (SQLSTATE " : "", state, state[0] ? ")" : "");
        rl_err e = !c->conn ? RL_ENOMEM : for_good ? RL_EINVAL : RL_ECONN;
        PQfinish(c->conn);
        c->conn = NULL;
        return e;
    }
    c->pid = (uint64_t)PQbackendPID(c->conn);
    return RL_OK;
}

static rl_err conn_open(pgstore *st, const char *who, pgconn **out, char *why, size_t why_len) {
    pgconn *c = conn_new(st);
    if (!c)
        return RL_ENOMEM;
    bool timed_out;
    c->conn = dial(st->conninfo, who, &timed_out);
    rl_err e = conn_dialed(c, timed_out, why, why_len);
    if (e != RL_OK) {
        free(c);
        return e;
    }
    *out = c;
    return RL_OK;
}

static rl_err pg_connect(rl_bank *b, const char *who, rl_bank **out) {
    pgconn *c;
    rl_err e = conn_open(PG(b)->st, who, &c, b->errmsg, sizeof b->errmsg);
    if (e != RL_OK)
        return e;
    if ((e = conn_prepare(c)) != RL_OK) {
        memcpy(b->errmsg, c->dbc.base.errmsg, sizeof b->errmsg);
        PQfinish(c->conn);
        free(c);
        return e;
    }
    c->dbc.base.root = b->root;
    *out = &c->dbc.base;
    return RL_OK;
}

/* n connections at once: dialled together, their statements prepared
 * together. All or nothing. */
static rl_err pg_connect_all(rl_bank *b, const char *const *who, size_t n, rl_bank **out) {
    pgstore *st = PG(b)->st;
    pgconn **cs = calloc(n ? n : 1, sizeof *cs);
    bool *timed_out = calloc(n ? n : 1, sizeof *timed_out);
    PGconn **raw = calloc(n ? n : 1, sizeof *raw);
    rl_err e = cs && timed_out && raw ? RL_OK : RL_ENOMEM;
    for (size_t i = 0; e == RL_OK && i < n; i++) {
        if (!(cs[i] = conn_new(st)) || !(cs[i]->conn = raw[i] = dial_start(st->conninfo, who[i])))
            e = RL_ENOMEM;
    }
    if (e == RL_OK)
        dial_finish(raw, n, timed_out);
    for (size_t i = 0; e == RL_OK && i < n; i++)
        e = conn_dialed(cs[i], timed_out[i], b->errmsg, sizeof b->errmsg);
    for (size_t i = 0; e == RL_OK && i < n; i++)
        if ((e = prepare_send(cs[i])) != RL_OK)
            memcpy(b->errmsg, cs[i]->dbc.base.errmsg, sizeof b->errmsg);
    for (size_t i = 0; e == RL_OK && i < n; i++)
        if ((e = prepare_read(cs[i])) != RL_OK)
            memcpy(b->errmsg, cs[i]->dbc.base.errmsg, sizeof b->errmsg);
    for (size_t i = 0; cs && i < n; i++) {
        if (!cs[i])
            continue;
        if (e != RL_OK) {
            PQfinish(cs[i]->conn);
            free(cs[i]);
            continue;
        }
        cs[i]->dbc.base.root = b->root;
        out[i] = &cs[i]->dbc.base;
    }
    free(cs);
    free(timed_out);
    free(raw);
    return e;
}

static void pg_destroy(rl_bank *b) {
    pgconn *c = PG(b);
    PQfinish(c->conn);
    pgstore *st = (pgstore *)rl__db_release(&c->dbc);
    if (!st)
        return;
    PQfinish(st->monitor);
    rl__rawlock_destroy(&st->monitor_lock);
    free(st->conninfo);
    free(st);
}

static const rl_bank_ops pg_ops = {
    .kind = "postgresql",
    RL__DB_OPS,
    .open_all = pg_open_all,
    .get = pg_get,
    .set = pg_set,
    .add = pg_add,
    .compare_and_set = pg_cas,
    .set_if_version = pg_setv,
    .add_batch = pg_add_batch,
    .snapshot = pg_snapshot,
    .memory_bytes = pg_memory,
    .connect = pg_connect,
    .connect_all = pg_connect_all,
    .begin = pg_begin,
    .lock = pg_lock,
    .commit = pg_commit,
    .rollback = pg_rollback,
    .waiting = pg_waiting,
    .session = pg_session,
    .terminate = pg_terminate,
    .apply_once = pg_apply_once,
    .ledger_record = pg_ledger_record,
    .ledger_scan = pg_ledger_scan,
    .cycle_scan = pg_cycle_scan,
    .cycle_finish = pg_cycle_finish,
    .meet = pg_meet,
    .meet_sees_waiters = true,
    .queue_push = pg_push,
    .queue_take = pg_take,
    .queue_drop = pg_drop,
    .destroy = pg_destroy,
};

static const char schema[] =
    "CREATE TABLE racelab_accounts ("
    " id integer PRIMARY KEY,"
    " name text NOT NULL UNIQUE,"
    " balance bigint NOT NULL,"
    " version bigint NOT NULL DEFAULT 0);"
    "CREATE TABLE racelab_jobs ("
    " id bigserial PRIMARY KEY,"
    " tag bigint NOT NULL,"
    " account integer NOT NULL REFERENCES racelab_accounts (id),"
    " amount bigint NOT NULL);"
    "CREATE TABLE racelab_ledger ("
    " merchant text NOT NULL,"
    " cycle bigint NOT NULL,"
    " bill integer NOT NULL,"
    " account integer NOT NULL REFERENCES racelab_accounts (id),"
    " amount bigint NOT NULL,"
    " PRIMARY KEY (merchant, cycle, bill));"
    "CREATE TABLE racelab_cycles ("
    " merchant text NOT NULL,"
    " cycle bigint NOT NULL,"
    " bills integer NOT NULL,"
    " PRIMARY KEY (merchant, cycle));"
    "CREATE TABLE racelab_meet ("
    " merchant text NOT NULL,"
    " cycle bigint NOT NULL,"
    " bill integer NOT NULL,"
    " session bigint NOT NULL," /* the merchant's backend (pid) */
    " PRIMARY KEY (cycle, bill, merchant))";

/* What marks a scratch bank (RL_BANK_SCRATCH). */
static const char scratch_schema[] =
    "CREATE TABLE " RL__DB_SCRATCH_TABLE " (note text NOT NULL);"
    "INSERT INTO " RL__DB_SCRATCH_TABLE " VALUES ('" RL__DB_SCRATCH_NOTE "')";

/* The racelab_* tables the search path finds, into f; with count, their
 * rows. */
static rl_err find_tables(pgconn *c, rl__dbfound *f, bool count) {
    PGresult *r;
    rl_err e = query(c,
                     "SELECT c.relname, format('%I.%I', n.nspname, c.relname) FROM pg_class c "
                     "JOIN pg_namespace n ON n.oid = c.relnamespace "
                     "WHERE c.relkind IN ('r', 'p') AND left(c.relname, 8) = 'racelab_' "
                     "AND pg_table_is_visible(c.oid) ORDER BY c.relname",
                     0, NULL, &r);
    if (e != RL_OK)
        return e;
    for (int i = 0; i < PQntuples(r); i++)
        rl__dbfound_add(f, PQgetvalue(r, i, 0), PQgetvalue(r, i, 1));
    PQclear(r);
    for (size_t i = 0; count && e == RL_OK && i < f->n; i++) {
        char sql[200];
        snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", f->t[i].ref);
        if ((e = query(c, sql, 0, NULL, &r)) == RL_OK) {
            f->t[i].rows = col_i64(r, 0, 0);
            PQclear(r);
        }
    }
    return e;
}

/* Replace the racelab_* tables by a new bank when the flags allow it (see
 * "Replacing a bank" in racelab/dbbank.h): the look, the drops and the
 * new tables in one transaction, under an advisory lock that every reset
 * takes. A session of someone else's that holds racelab's tables (a stray
 * transaction) makes the reset fail after 30 s rather than hang. */
static rl_err reset(pgconn *c, unsigned flags, char *why, size_t why_len) {
    rl__dbfound f = {.n = 0};
    PGresult *r = NULL;
    rl_err e = simple(c, "BEGIN; SET LOCAL lock_timeout = '30s'");
    if (e == RL_OK)
        e = query(c, "SELECT pg_advisory_xact_lock(" ADVISORY_CLASS ", -1)", 0, NULL, &r);
    PQclear(r);
    if (e == RL_OK)
        e = find_tables(c, &f, false);
    if (e == RL_OK && !rl__db_may_replace(&f, flags)) {
        f = (rl__dbfound){.n = 0};
        if ((e = find_tables(c, &f, true)) == RL_OK) {
            PQclear(PQexec(c->conn, "ROLLBACK"));
            rl__db_refusal(&f, why, why_len);
            return RL_EEXIST;
        }
    }
    /* a scratch bank of today's tables is emptied: cheaper than making them
     * anew, and the same bank */
    if (e == RL_OK && rl__db_is_scratch(&f) && (flags & RL_BANK_SCRATCH) &&
        (e = query(c, "SELECT note FROM " RL__DB_SCRATCH_TABLE, 0, NULL, &r)) == RL_OK) {
        bool current = PQntuples(r) == 1 && !strcmp(PQgetvalue(r, 0, 0), RL__DB_SCRATCH_NOTE);
        PQclear(r);
        if (current) {
            e = simple(c, "TRUNCATE racelab_meet, racelab_cycles, racelab_ledger, racelab_jobs,"
                          " racelab_accounts RESTART IDENTITY");
            if (e == RL_OK)
                e = simple(c, "COMMIT");
            if (e == RL_OK)
                return RL_OK;
        }
    }
    if (e == RL_OK && f.n > 0) {
        char sql[sizeof "DROP TABLE " + RL__DB_TABLES_MAX * (sizeof f.t[0].ref + 2)];
        size_t at = (size_t)snprintf(sql, sizeof sql, "DROP TABLE");
        for (size_t i = 0; i < f.n; i++)
            at += (size_t)snprintf(sql + at, sizeof sql - at, "%s %s", i ? "," : "", f.t[i].ref);
        e = simple(c, sql);
    }
    if (e == RL_OK)
        e = simple(c, schema);
    if (e == RL_OK && (flags & RL_BANK_SCRATCH))
        e = simple(c, scratch_schema);
    if (e == RL_OK)
        e = simple(c, "COMMIT");
    if (e != RL_OK) {
        if (why)
            snprintf(why, why_len, "PostgreSQL: %s", c->dbc.base.errmsg);
        PQclear(PQexec(c->conn, "ROLLBACK")); /* nothing prepared yet: pg_rollback cannot */
    }
    return e;
}

static rl_err load_names(pgconn *c) {
    PGresult *r = PQexec(c->conn, "SELECT id, name FROM racelab_accounts ORDER BY id");
    if (!r || PQresultStatus(r) != PGRES_TUPLES_OK)
        return fail(c, r);
    rl_err e = RL_OK;
    for (int i = 0; e == RL_OK && i < PQntuples(r); i++) {
        rl_acct id;
        e = rl__dbnames_add(&c->st->db.names, PQgetvalue(r, i, 1), &id);
        if (e == RL_OK && (int64_t)id != col_i64(r, i, 0)) {
            rl__errmsg(&c->dbc.base, "racelab_accounts ids are not 0 .. n-1 (account '%s')",
                       PQgetvalue(r, i, 1));
            e = RL_EDB;
        }
    }
    PQclear(r);
    return e;
}

rl_err rl_pgbank_create(const char *conninfo, unsigned flags, rl_bank **out, char *why,
                        size_t why_len) {
    if (!conninfo || !out) {
        if (why)
            snprintf(why, why_len, "a PostgreSQL bank needs a connection string");
        return RL_EINVAL;
    }
    rl_err e = rl__pq_load(why, why_len);
    if (e == RL_OK)
        e = check_conninfo(conninfo, why, why_len);
    if (e != RL_OK)
        return e;
    pgstore *st = calloc(1, sizeof *st);
    char *copy = strdup(conninfo);
    if (!st || !copy || rl__rawlock_init(&st->monitor_lock, "pg monitor") != RL_OK) {
        free(st);
        free(copy);
        return RL_ENOMEM;
    }
    st->conninfo = copy;
    pgconn *c;
    e = conn_open(st, "main", &c, why, why_len);
    if (e != RL_OK) {
        rl__rawlock_destroy(&st->monitor_lock);
        free(copy);
        free(st);
        return e;
    }
    c->dbc.owner = true;
    c->dbc.base.root = &c->dbc.base;
    if ((flags & RL_BANK_RESET) && (e = reset(c, flags, why, why_len)) != RL_OK) {
        pg_destroy(&c->dbc.base);
        return e;
    }
    e = conn_prepare(c);
    if (e == RL_OK && !(flags & RL_BANK_RESET))
        e = load_names(c);
    if (e != RL_OK) {
        if (why)
            snprintf(why, why_len, "PostgreSQL: %s", c->dbc.base.errmsg);
        pg_destroy(&c->dbc.base);
        return e;
    }
    *out = &c->dbc.base;
    return RL_OK;
}

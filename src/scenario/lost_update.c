/* lost_update.c - the lost update in a real database, step by step.
 *
 * Two sessions, T1 (Costco) and T2 (Target), each bill Dave (400) 25, so
 * Dave must end at 350. Each variant is a short script of their
 * statements in a fixed order, in the manner of Hermitage's isolation
 * tests: one session does one thing at a time, and a statement that has
 * to wait for the other session's lock is seen waiting (the engine is
 * asked, rl_bank_waiting) before the script goes on. So every run of a
 * variant interleaves the same way, and what the engine does with that
 * interleaving is what the variant shows:
 *
 *   autocommit       SELECT, then UPDATE to the value read, each on its own
 *   read-committed   the same inside transactions (PostgreSQL's default)
 *   repeatable-read, serializable
 *                    the same at those levels: the engine aborts T2
 *   for-update       SELECT ... FOR UPDATE: T2's read waits for T1's commit
 *   atomic           UPDATE balance = balance - 25: T2 waits, then adds
 *   cas              UPDATE ... WHERE version = $read: T2 sees a conflict and
 *                    retries from a fresh read
 *
 * A transaction the engine aborts (RL_ESERIAL) is retried whole after the
 * script, as its program would. What each engine does is also written
 * down here (which events each variant must show on PostgreSQL and on
 * SQLite: a lost update, an abort, a wait, a conflict); a run that shows
 * anything else is an error of the run, not a verdict, so the printed
 * table is checked, not only printed. The invariant: Dave ends at 350 and
 * no update was lost.
 *
 * Needs a database: by default a new SQLite file in /tmp, removed after. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "racelab/dbbank.h"
#include "scenario_impl.h"

enum { V_AUTOCOMMIT, V_RC, V_RR, V_SER, V_FOR_UPDATE, V_ATOMIC, V_CAS, NVARIANTS };

static const rl_variant variants[NVARIANTS] = {
    [V_AUTOCOMMIT] = {"autocommit", "SELECT, then UPDATE to the value read, each on its own",
                      false},
    [V_RC] = {"read-committed", "SELECT then UPDATE in read-committed transactions", false},
    [V_RR] = {"repeatable-read", "the same at repeatable read: the engine aborts the loser", true},
    [V_SER] = {"serializable", "the same at serializable: the engine aborts the loser", true},
    [V_FOR_UPDATE] = {"for-update", "SELECT ... FOR UPDATE: the second reader waits", true},
    [V_ATOMIC] = {"atomic", "UPDATE balance = balance + bill: one statement", true},
    [V_CAS] = {"cas", "UPDATE ... WHERE version = the one read; retry on a conflict", true},
};

typedef enum { A_BEGIN, A_READ, A_READ_LOCK, A_WRITE, A_WRITE_IF, A_ADD, A_COMMIT } action;

typedef struct {
    int who; /* 0: T1, 1: T2 */
    action act;
} step;

#define MAXSTEPS 8
static const struct {
    int n;
    step s[MAXSTEPS];
} scripts[NVARIANTS] = {
    [V_AUTOCOMMIT] = {4, {{0, A_READ}, {1, A_READ}, {0, A_WRITE}, {1, A_WRITE}}},
    [V_RC] = {8,
              {{0, A_BEGIN}, {0, A_READ}, {1, A_BEGIN}, {1, A_READ}, {0, A_WRITE}, {0, A_COMMIT},
               {1, A_WRITE}, {1, A_COMMIT}}},
    [V_RR] = {8,
              {{0, A_BEGIN}, {0, A_READ}, {1, A_BEGIN}, {1, A_READ}, {0, A_WRITE}, {0, A_COMMIT},
               {1, A_WRITE}, {1, A_COMMIT}}},
    [V_SER] = {8,
               {{0, A_BEGIN}, {0, A_READ}, {1, A_BEGIN}, {1, A_READ}, {0, A_WRITE},
                {0, A_COMMIT}, {1, A_WRITE}, {1, A_COMMIT}}},
    [V_FOR_UPDATE] = {8,
                      {{0, A_BEGIN}, {0, A_READ_LOCK}, {1, A_BEGIN}, {1, A_READ_LOCK},
                       {0, A_WRITE}, {0, A_COMMIT}, {1, A_WRITE}, {1, A_COMMIT}}},
    [V_ATOMIC] = {6,
                  {{0, A_BEGIN}, {0, A_ADD}, {1, A_BEGIN}, {1, A_ADD}, {0, A_COMMIT},
                   {1, A_COMMIT}}},
    [V_CAS] = {4, {{0, A_READ}, {1, A_READ}, {0, A_WRITE_IF}, {1, A_WRITE_IF}}},
};

static rl_isolation isolation_of(size_t v) {
    return v == V_RR ? RL_ISO_REPEATABLE_READ : v == V_SER ? RL_ISO_SERIALIZABLE
                                                           : RL_ISO_READ_COMMITTED;
}

/* What each variant must show, per engine. */
enum { E_LOST = 1, E_ABORT = 2, E_WAIT = 4, E_CONFLICT = 8 };
static const unsigned expect_pg[NVARIANTS] = {
    [V_AUTOCOMMIT] = E_LOST, [V_RC] = E_LOST,        [V_RR] = E_ABORT,  [V_SER] = E_ABORT,
    [V_FOR_UPDATE] = E_WAIT, [V_ATOMIC] = E_WAIT,    [V_CAS] = E_CONFLICT,
};
/* SQLite has no read committed: every transaction is serializable */
static const unsigned expect_sqlite[NVARIANTS] = {
    [V_AUTOCOMMIT] = E_LOST, [V_RC] = E_ABORT,       [V_RR] = E_ABORT,  [V_SER] = E_ABORT,
    [V_FOR_UPDATE] = E_WAIT, [V_ATOMIC] = E_WAIT,    [V_CAS] = E_CONFLICT,
};

#define BILL (-25)
#define START 400

/* One session: a thread of its own that runs what the script hands it. */
typedef struct session {
    const char *name;
    rl_bank *conn;
    rl_thread thread;
    rl_mutex mu;
    rl_cond cv;
    bool has_cmd, done, quit;
    action cmd;
    rl_isolation iso;
    /* results */
    rl_err result;
    rl_money read, wrote;
    uint64_t read_version, wrote_version;
    bool lost;
    bool in_txn_began; /* its transaction began in the script (for a retry) */
} session;

static rl_err perform(session *s, action a) {
    rl_err e;
    switch (a) {
    case A_BEGIN:
        return rl_bank_begin(s->conn, s->iso);
    case A_READ_LOCK:
        if ((e = rl_bank_lock(s->conn, RL_LOCK_ROW, 0, true)) != RL_OK)
            return e;
        return rl_bank_get(s->conn, 0, &s->read, &s->read_version); /* the row, now locked */
    case A_READ:
        return rl_bank_get(s->conn, 0, &s->read, &s->read_version);
    case A_WRITE:
        s->wrote = s->read + BILL;
        return rl_bank_set(s->conn, 0, s->wrote, s->read_version, &s->lost);
    case A_WRITE_IF:
        s->wrote = s->read + BILL;
        e = rl_bank_set_if_version(s->conn, 0, s->wrote, s->read_version, &s->read,
                                   &s->read_version);
        return e;
    case A_ADD:
        return rl_bank_add(s->conn, 0, BILL, &s->wrote);
    case A_COMMIT:
        return rl_bank_commit(s->conn);
    }
    return RL_EINVAL;
}

static void session_main(void *arg) {
    session *s = arg;
    rl_mutex_lock(&s->mu);
    for (;;) {
        while (!s->has_cmd && !s->quit)
            rl_cond_wait(&s->cv, &s->mu);
        if (s->quit)
            break;
        action a = s->cmd;
        s->has_cmd = false;
        rl_mutex_unlock(&s->mu);
        rl_err e = perform(s, a);
        rl_mutex_lock(&s->mu);
        s->result = e;
        s->done = true;
        rl_cond_broadcast(&s->cv);
    }
    rl_mutex_unlock(&s->mu);
}

static void hand(session *s, action a) {
    rl_mutex_lock(&s->mu);
    s->cmd = a;
    s->has_cmd = true;
    s->done = false;
    rl_cond_broadcast(&s->cv);
    rl_mutex_unlock(&s->mu);
}

static bool finished(session *s) {
    rl_mutex_lock(&s->mu);
    bool d = s->done;
    rl_mutex_unlock(&s->mu);
    return d;
}

static void wait_done(session *s) {
    rl_mutex_lock(&s->mu);
    while (!s->done)
        rl_cond_wait(&s->cv, &s->mu);
    rl_mutex_unlock(&s->mu);
}

/* Hand s its next action and wait until it is done or the engine says it
 * waits for a lock. true when it waits. */
#define PATIENCE_MS 60000
static rl_err run_step(session *s, action a, bool *waits, char *why, size_t why_len) {
    hand(s, a);
    *waits = false;
    for (int ms = 0; ms < PATIENCE_MS; ms++) {
        if (finished(s))
            return RL_OK;
        uint64_t holders[RL_BANK_HOLDERS_MAX];
        size_t n;
        if (rl_bank_waiting(s->conn, holders, &n)) {
            *waits = true;
            return RL_OK;
        }
        rl_sleep_ns(1000000); /* looking again; the outcome does not depend on when */
    }
    snprintf(why, why_len, "%s neither finished nor waited for a lock within %d s", s->name,
             PATIENCE_MS / 1000);
    return RL_EDB;
}

static const char *verb(action a, rl_isolation iso, char *buf, size_t len) {
    switch (a) {
    case A_BEGIN: snprintf(buf, len, "BEGIN %s", rl_isolation_name(iso)); break;
    case A_READ: snprintf(buf, len, "SELECT balance"); break;
    case A_READ_LOCK: snprintf(buf, len, "SELECT balance FOR UPDATE"); break;
    case A_WRITE: snprintf(buf, len, "UPDATE balance = read - 25"); break;
    case A_WRITE_IF: snprintf(buf, len, "UPDATE .. WHERE version = read"); break;
    case A_ADD: snprintf(buf, len, "UPDATE balance = balance - 25"); break;
    case A_COMMIT: snprintf(buf, len, "COMMIT"); break;
    }
    return buf;
}

/* What a finished action gave, for the table. */
static void result_text(const session *s, action a, char *buf, size_t len) {
    if (s->result == RL_ESERIAL) {
        snprintf(buf, len, "ABORTED: %s", rl_bank_errmsg(s->conn));
        return;
    }
    if (s->result == RL_ECONFLICT) {
        snprintf(buf, len, "0 rows: conflict, now %" PRId64 " (v%" PRIu64 ")", s->read,
                 s->read_version);
        return;
    }
    if (s->result != RL_OK) {
        snprintf(buf, len, "error: %s", rl_strerror(s->result));
        return;
    }
    switch (a) {
    case A_READ:
    case A_READ_LOCK:
        snprintf(buf, len, "-> %" PRId64 " (v%" PRIu64 ")", s->read, s->read_version);
        break;
    case A_WRITE:
        snprintf(buf, len, "-> %" PRId64 "%s", s->wrote,
                 s->lost ? "  LOST UPDATE: wrote over the other's bill" : "");
        break;
    case A_WRITE_IF:
    case A_ADD:
        snprintf(buf, len, "-> %" PRId64, s->wrote);
        break;
    default:
        snprintf(buf, len, "ok");
    }
}

typedef struct {
    rl_outcome *out;
    int line;
} table;

static void row(table *t, int who, const char *what, const char *result) {
    char cell[320];
    snprintf(cell, sizeof cell, "%s %s", what, result);
    if (who == 0)
        rl_outcome_say(t->out, "%3d  %s", ++t->line, cell);
    else
        rl_outcome_say(t->out, "%3d  %-46s %s", ++t->line, "", cell);
}

/* Finish a session's last action (it waited) and put its row. */
static void settle(table *t, session *s, int who, action a, unsigned *seen) {
    wait_done(s);
    char what[64], res[128];
    verb(a, s->iso, what, sizeof what);
    result_text(s, a, res, sizeof res);
    char cell[256];
    snprintf(cell, sizeof cell, "(%s: waited) %s", what, res);
    row(t, who, "", cell);
    if (s->result == RL_ESERIAL)
        *seen |= E_ABORT;
}

static void events_text(unsigned ev, char *buf, size_t len) {
    snprintf(buf, len, "%s%s%s%s%s", ev & E_LOST ? " lost-update" : "",
             ev & E_ABORT ? " abort" : "", ev & E_WAIT ? " wait" : "",
             ev & E_CONFLICT ? " conflict" : "", ev ? "" : " none");
}

static rl_err run_lost_update(size_t v, const rl_scenario_opts *o, rl_outcome *out) {
    char temp[64] = "", url_buf[96];
    const char *url = o->bank;
    if (!url || strcmp(url, "memory") == 0) {
        if (url) {
            snprintf(out->verdict, sizeof out->verdict,
                     "the lost-update scenario needs a database (sqlite:PATH or postgresql://...)");
            return RL_ENOTSUP;
        }
        snprintf(temp, sizeof temp, "/tmp/racelab-lost-update-XXXXXX");
        int fd = mkstemp(temp);
        if (fd < 0) {
            snprintf(out->verdict, sizeof out->verdict, "cannot make a temporary SQLite file");
            return RL_ESYS;
        }
        close(fd);
        snprintf(url_buf, sizeof url_buf, "sqlite:%s", temp);
        url = url_buf;
    }
    rl_bank *bank = NULL;
    /* a session is "done" (idle) until it is handed something */
    session ss[2] = {{.name = "T1 (Costco)", .done = true}, {.name = "T2 (Target)", .done = true}};
    int made = 0, started = 0; /* sessions with their mutex and condition; threads */
    rl_err e = rl_bank_create_url(url,
                                  RL_BANK_RESET | RL_BANK_SCRATCH |
                                      (o->replace_bank ? RL_BANK_FORCE : 0u),
                                  1, &bank, out->verdict, sizeof out->verdict);
    static const rl_customer dave = {"Dave", START};
    if (e == RL_OK && (e = rl_bank_open_all(bank, &dave, 1, NULL)) != RL_OK)
        snprintf(out->verdict, sizeof out->verdict, "%s", rl_bank_errmsg(bank));
    for (; e == RL_OK && made < 2; made++) {
        session *s = &ss[made];
        s->iso = isolation_of(v);
        if ((e = rl_bank_connect(bank, made ? "T2" : "T1", &s->conn)) != RL_OK) {
            snprintf(out->verdict, sizeof out->verdict, "%s", rl_bank_errmsg(bank));
            break;
        }
        if ((e = rl_mutex_init(&s->mu, s->name)) != RL_OK)
            break;
        if ((e = rl_cond_init(&s->cv, s->name)) != RL_OK) {
            rl_mutex_destroy(&s->mu);
            break;
        }
    }
    /* made counts the sessions whose mutex and condition exist; a session
     * whose set-up stopped half-way has at most its connection */
    for (; e == RL_OK && started < 2; started++)
        e = rl_thread_create(&ss[started].thread, ss[started].name, session_main, &ss[started]);

    const char *engine = bank ? rl_bank_kind(bank) : "?";
    bool pg = strcmp(engine, "postgresql") == 0;
    unsigned seen = 0;
    int pending[2] = {-1, -1}; /* a session's action still waiting */
    bool aborted[2] = {false, false};
    table t = {.out = out};
    if (e == RL_OK) {
        rl_outcome_say(out, "on %s%s; Dave starts at %d, each session bills him %d", engine,
                       temp[0] ? " (a temporary file; --bank chooses the database)" : "", START,
                       BILL);
        if (!pg && (v == V_RC))
            rl_outcome_say(out, "SQLite has no read committed: every transaction is "
                                "serializable");
        rl_outcome_say(out, "%3s  %-46s %s", "", ss[0].name, ss[1].name);
    }
    for (int i = 0; e == RL_OK && i < scripts[v].n; i++) {
        step st = scripts[v].s[i];
        session *s = &ss[st.who];
        if (aborted[st.who])
            continue; /* its transaction is gone; it is retried after the script */
        if (pending[st.who] >= 0) {
            settle(&t, s, st.who, (action)pending[st.who], &seen);
            aborted[st.who] |= s->result == RL_ESERIAL;
            pending[st.who] = -1;
            if (aborted[st.who])
                continue;
        }
        bool waits;
        if ((e = run_step(s, st.act, &waits, out->verdict, sizeof out->verdict)) != RL_OK)
            break;
        char what[64], res[128];
        verb(st.act, s->iso, what, sizeof what);
        if (waits) {
            seen |= E_WAIT;
            pending[st.who] = st.act;
            row(&t, st.who, what, "... waits for the other's lock");
            continue;
        }
        result_text(s, st.act, res, sizeof res);
        row(&t, st.who, what, res);
        if (s->result == RL_ESERIAL) {
            seen |= E_ABORT;
            aborted[st.who] = true;
        } else if (s->result == RL_ECONFLICT) {
            seen |= E_CONFLICT;
            /* retry from what the row holds now (the conflict read it) */
            if ((e = run_step(s, A_WRITE_IF, &waits, out->verdict, sizeof out->verdict)) != RL_OK)
                break;
            wait_done(s);
            result_text(s, A_WRITE_IF, res, sizeof res);
            row(&t, st.who, "retry: UPDATE .. WHERE version = read", res);
        } else if (s->result != RL_OK) {
            snprintf(out->verdict, sizeof out->verdict, "%s: %s: %s", s->name, what,
                     rl_bank_errmsg(s->conn)[0] ? rl_bank_errmsg(s->conn)
                                                : rl_strerror(s->result));
            e = s->result;
        }
        seen |= s->lost ? E_LOST : 0;
    }
    for (int w = 0; e == RL_OK && w < 2; w++)
        if (pending[w] >= 0) {
            settle(&t, &ss[w], w, (action)pending[w], &seen);
            aborted[w] |= ss[w].result == RL_ESERIAL;
        }
    /* an aborted transaction is run again, whole, on its own */
    for (int w = 0; e == RL_OK && w < 2; w++) {
        if (!aborted[w])
            continue;
        rl_outcome_say(out, "     %s retries its transaction:", ss[w].name);
        for (int i = 0; e == RL_OK && i < scripts[v].n; i++) {
            step st = scripts[v].s[i];
            if (st.who != w)
                continue;
            bool waits;
            e = run_step(&ss[w], st.act, &waits, out->verdict, sizeof out->verdict);
            if (e == RL_OK)
                wait_done(&ss[w]);
            char what[64], res[128];
            verb(st.act, ss[w].iso, what, sizeof what);
            result_text(&ss[w], st.act, res, sizeof res);
            row(&t, w, what, res);
            if (e == RL_OK && ss[w].result != RL_OK) {
                snprintf(out->verdict, sizeof out->verdict, "the retry failed: %s",
                         rl_strerror(ss[w].result));
                e = ss[w].result;
            }
        }
    }
    rl_money final = 0;
    if (e == RL_OK && (e = rl_bank_get(bank, 0, &final, NULL)) != RL_OK)
        snprintf(out->verdict, sizeof out->verdict, "%s", rl_bank_errmsg(bank));
    if (e == RL_OK) {
        unsigned want = (pg ? expect_pg : expect_sqlite)[v];
        uint64_t lost = rl_bank_lost_updates(bank);
        rl_outcome_state(out, "Dave=%" PRId64 " lost=%" PRIu64, final, lost);
        if (seen != want) {
            char a[64], b[64];
            events_text(seen, a, sizeof a);
            events_text(want, b, sizeof b);
            snprintf(out->verdict, sizeof out->verdict,
                     "%s did not behave as this script documents: it showed%s, not%s", engine, a,
                     b);
            e = RL_EDB;
        } else if (final == START + 2 * BILL && lost == 0) {
            rl_outcome_verdict(out, true, "Dave ended at %" PRId64 ": both bills applied", final);
        } else {
            rl_outcome_verdict(out, false,
                               "Dave ended at %" PRId64 ", not %d: T1's bill was lost without "
                               "an error to anyone",
                               final, START + 2 * BILL);
        }
    }
    for (int w = 0; w < started; w++) {
        wait_done(&ss[w]); /* idle or finished: nothing is running */
        rl_mutex_lock(&ss[w].mu);
        ss[w].quit = true;
        rl_cond_broadcast(&ss[w].cv);
        rl_mutex_unlock(&ss[w].mu);
        rl_thread_join(&ss[w].thread);
    }
    for (int w = 0; w < 2; w++) {
        rl_bank_destroy(ss[w].conn); /* NULL is fine */
        if (w < made) {
            rl_cond_destroy(&ss[w].cv);
            rl_mutex_destroy(&ss[w].mu);
        }
    }
    rl_bank_destroy(bank);
    if (temp[0])
        rl_sqlitebank_remove(temp);
    return e;
}

const rl_scenario rl__scenario_lost_update = {
    .name = "lost-update",
    .summary = "the lost update in a real database, two sessions step by step, at each "
               "isolation level and with each fix",
    .variants = variants,
    .nvariants = NVARIANTS,
    .defaults = {.retries = 1},
    .takes_bank = true,
    .needs_database = true,
    .run = run_lost_update,
};

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

/* One run of a variant: the database, the two sessions and what the
 * script has seen so far. */
typedef struct {
    size_t v;
    rl_outcome *out;
    char temp[64]; /* the temporary SQLite file, "" if --bank chose */
    char url_buf[96];
    rl_bank *bank;
    session ss[2];
    int made, started; /* sessions with their mutex and condition; threads */
    const char *engine;
    bool pg;
    unsigned seen;                /* E_ events */
    int pending[2];               /* a session's action still waiting, -1 if none */
    bool aborted[2];              /* its transaction was aborted: retried after */
    table t;
} duel;

/* The database: --bank, or a new temporary SQLite file (d->temp). */
static rl_err choose_database(duel *d, const char *bank, const char **url) {
    *url = bank;
    if (bank && strcmp(bank, "memory") != 0)
        return RL_OK;
    if (bank) {
        snprintf(d->out->verdict, sizeof d->out->verdict,
                 "the lost-update scenario needs a database (sqlite:PATH or postgresql://...)");
        return RL_ENOTSUP;
    }
    snprintf(d->temp, sizeof d->temp, "/tmp/racelab-lost-update-XXXXXX");
    int fd = mkstemp(d->temp);
    if (fd < 0) {
        d->temp[0] = '\0'; /* nothing made, nothing to remove */
        snprintf(d->out->verdict, sizeof d->out->verdict, "cannot make a temporary SQLite file");
        return RL_ESYS;
    }
    close(fd);
    snprintf(d->url_buf, sizeof d->url_buf, "sqlite:%s", d->temp);
    *url = d->url_buf;
    return RL_OK;
}

/* Set up: the bank with Dave, two connections, and a thread per session.
 * Whatever is made is counted in d for tear_down, even on failure. */
static rl_err set_up(duel *d, const rl_scenario_opts *o) {
    const char *url;
    rl_err e = choose_database(d, o->bank, &url);
    if (e != RL_OK)
        return e;
    char *verdict = d->out->verdict;
    size_t vlen = sizeof d->out->verdict;
    e = rl_bank_create_url(url,
                           RL_BANK_RESET | RL_BANK_SCRATCH | (o->replace_bank ? RL_BANK_FORCE : 0u),
                           1, &d->bank, verdict, vlen);
    static const rl_customer dave = {"Dave", START};
    if (e == RL_OK && (e = rl_bank_open_all(d->bank, &dave, 1, NULL)) != RL_OK)
        snprintf(verdict, vlen, "%s", rl_bank_errmsg(d->bank));
    for (; e == RL_OK && d->made < 2; d->made++) {
        session *s = &d->ss[d->made];
        s->iso = isolation_of(d->v);
        if ((e = rl_bank_connect(d->bank, d->made ? "T2" : "T1", &s->conn)) != RL_OK) {
            snprintf(verdict, vlen, "%s", rl_bank_errmsg(d->bank));
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
    for (; e == RL_OK && d->started < 2; d->started++)
        e = rl_thread_create(&d->ss[d->started].thread, d->ss[d->started].name, session_main,
                             &d->ss[d->started]);
    d->engine = d->bank ? rl_bank_kind(d->bank) : "?";
    d->pg = strcmp(d->engine, "postgresql") == 0;
    return e;
}

/* The table's head: the engine, the data, the sessions' columns. */
static void head(duel *d) {
    rl_outcome_say(d->out, "on %s%s; Dave starts at %d, each session bills him %d", d->engine,
                   d->temp[0] ? " (a temporary file; --bank chooses the database)" : "", START,
                   BILL);
    if (!d->pg && (d->v == V_RC))
        rl_outcome_say(d->out, "SQLite has no read committed: every transaction is "
                               "serializable");
    rl_outcome_say(d->out, "%3s  %-46s %s", "", d->ss[0].name, d->ss[1].name);
}

/* One step of the script: settle the session's waiting action first, then
 * hand it the step's and put its row (a conflict is retried at once). */
static rl_err play(duel *d, step st) {
    session *s = &d->ss[st.who];
    char *verdict = d->out->verdict;
    size_t vlen = sizeof d->out->verdict;
    if (d->aborted[st.who])
        return RL_OK; /* its transaction is gone; it is retried after the script */
    if (d->pending[st.who] >= 0) {
        settle(&d->t, s, st.who, (action)d->pending[st.who], &d->seen);
        d->aborted[st.who] |= s->result == RL_ESERIAL;
        d->pending[st.who] = -1;
        if (d->aborted[st.who])
            return RL_OK;
    }
    bool waits;
    rl_err e = run_step(s, st.act, &waits, verdict, vlen);
    if (e != RL_OK)
        return e;
    char what[64], res[128];
    verb(st.act, s->iso, what, sizeof what);
    if (waits) {
        d->seen |= E_WAIT;
        d->pending[st.who] = st.act;
        row(&d->t, st.who, what, "... waits for the other's lock");
        return RL_OK;
    }
    result_text(s, st.act, res, sizeof res);
    row(&d->t, st.who, what, res);
    if (s->result == RL_ESERIAL) {
        d->seen |= E_ABORT;
        d->aborted[st.who] = true;
    } else if (s->result == RL_ECONFLICT) {
        d->seen |= E_CONFLICT;
        /* retry from what the row holds now (the conflict read it) */
        if ((e = run_step(s, A_WRITE_IF, &waits, verdict, vlen)) != RL_OK)
            return e;
        wait_done(s);
        result_text(s, A_WRITE_IF, res, sizeof res);
        row(&d->t, st.who, "retry: UPDATE .. WHERE version = read", res);
    } else if (s->result != RL_OK) {
        snprintf(verdict, vlen, "%s: %s: %s", s->name, what,
                 rl_bank_errmsg(s->conn)[0] ? rl_bank_errmsg(s->conn) : rl_strerror(s->result));
        e = s->result;
    }
    d->seen |= s->lost ? E_LOST : 0;
    return e;
}

/* An aborted transaction is run again, whole, on its own. */
static rl_err retry_aborted(duel *d) {
    rl_err e = RL_OK;
    for (int w = 0; e == RL_OK && w < 2; w++) {
        if (!d->aborted[w])
            continue;
        session *s = &d->ss[w];
        rl_outcome_say(d->out, "     %s retries its transaction:", s->name);
        for (int i = 0; e == RL_OK && i < scripts[d->v].n; i++) {
            step st = scripts[d->v].s[i];
            if (st.who != w)
                continue;
            bool waits;
            e = run_step(s, st.act, &waits, d->out->verdict, sizeof d->out->verdict);
            if (e == RL_OK)
                wait_done(s);
            char what[64], res[128];
            verb(st.act, s->iso, what, sizeof what);
            result_text(s, st.act, res, sizeof res);
            row(&d->t, w, what, res);
            if (e == RL_OK && s->result != RL_OK) {
                snprintf(d->out->verdict, sizeof d->out->verdict, "the retry failed: %s",
                         rl_strerror(s->result));
                e = s->result;
            }
        }
    }
    return e;
}

/* Run: the script step by step, the actions still waiting at its end, then
 * the retries of aborted transactions; each row of the table as it goes. */
static rl_err run(duel *d) {
    rl_err e = RL_OK;
    head(d);
    for (int i = 0; e == RL_OK && i < scripts[d->v].n; i++)
        e = play(d, scripts[d->v].s[i]);
    for (int w = 0; e == RL_OK && w < 2; w++)
        if (d->pending[w] >= 0) {
            settle(&d->t, &d->ss[w], w, (action)d->pending[w], &d->seen);
            d->aborted[w] |= d->ss[w].result == RL_ESERIAL;
        }
    if (e == RL_OK)
        e = retry_aborted(d);
    return e;
}

/* Judge: the events seen must be the ones documented for the engine (else
 * the run is in error); then the invariant, Dave at 350 with nothing lost. */
static rl_err judge(duel *d) {
    rl_outcome *out = d->out;
    rl_money final = 0;
    rl_err e = rl_bank_get(d->bank, 0, &final, NULL);
    if (e != RL_OK) {
        snprintf(out->verdict, sizeof out->verdict, "%s", rl_bank_errmsg(d->bank));
        return e;
    }
    unsigned want = (d->pg ? expect_pg : expect_sqlite)[d->v];
    uint64_t lost = rl_bank_lost_updates(d->bank);
    rl_outcome_state(out, "Dave=%" PRId64 " lost=%" PRIu64, final, lost);
    if (d->seen != want) {
        char a[64], b[64];
        events_text(d->seen, a, sizeof a);
        events_text(want, b, sizeof b);
        snprintf(out->verdict, sizeof out->verdict,
                 "%s did not behave as this script documents: it showed%s, not%s", d->engine, a,
                 b);
        return RL_EDB;
    }
    if (final == START + 2 * BILL && lost == 0)
        rl_outcome_verdict(out, true, "Dave ended at %" PRId64 ": both bills applied", final);
    else
        rl_outcome_verdict(out, false,
                           "Dave ended at %" PRId64 ", not %d: T1's bill was lost without "
                           "an error to anyone",
                           final, START + 2 * BILL);
    return RL_OK;
}

/* Tear down what set_up made, whatever state the run stopped in. */
static void tear_down(duel *d) {
    for (int w = 0; w < d->started; w++) {
        session *s = &d->ss[w];
        wait_done(s); /* idle or finished: nothing is running */
        rl_mutex_lock(&s->mu);
        s->quit = true;
        rl_cond_broadcast(&s->cv);
        rl_mutex_unlock(&s->mu);
        rl_thread_join(&s->thread);
    }
    for (int w = 0; w < 2; w++) {
        rl_bank_destroy(d->ss[w].conn); /* NULL is fine */
        if (w < d->made) {
            rl_cond_destroy(&d->ss[w].cv);
            rl_mutex_destroy(&d->ss[w].mu);
        }
    }
    rl_bank_destroy(d->bank);
    if (d->temp[0])
        rl_sqlitebank_remove(d->temp);
}

static rl_err run_lost_update(size_t v, const rl_scenario_opts *o, rl_outcome *out) {
    /* a session is "done" (idle) until it is handed something */
    duel d = {.v = v,
              .out = out,
              .ss = {{.name = "T1 (Costco)", .done = true}, {.name = "T2 (Target)", .done = true}},
              .pending = {-1, -1},
              .t = {.out = out}};
    rl_err e = set_up(&d, o);
    if (e == RL_OK)
        e = run(&d);
    if (e == RL_OK)
        e = judge(&d);
    tear_down(&d);
    return e;
}

const rl_scenario rl__scenario_lost_update = {
    .name = "lost-update",
    .summary = "the lost update in a real database, two sessions step by step, at each "
               "isolation level and with each fix",
    .variants = variants,
    .nvariants = NVARIANTS,
    .defaults = {.retries = 1},
    .knobs = RL_KNOB_RETRIES,
    .takes_bank = true,
    .needs_database = true,
    .run = run_lost_update,
};

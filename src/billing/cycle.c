/* cycle.c - billing cycles across processes (see racelab/cycle.h). */
#include "racelab/cycle.h"

#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "racelab/dbbank.h"
#include "racelab/platform.h"
#include "../util/rng.h"
#include "../util/words.h"

#define WHY(...) (why ? (void)snprintf(why, why_len, __VA_ARGS__) : (void)0)

/* ---- making and finding the bank ---- */

/* Whether b's accounts are exactly d's customers, in d's order. */
static bool same_accounts(rl_bank *b, const rl_dataset *d, char *why, size_t why_len) {
    if (rl_bank_count(b) != d->ncustomers) {
        WHY("the bank holds %zu account%s, the data set %zu customer%s: it was made for "
            "another data set (give the same --merchants and --customers as to 'racelab bank "
            "init')",
            rl_bank_count(b), rl__plural(rl_bank_count(b)), d->ncustomers,
            rl__plural(d->ncustomers));
        return false;
    }
    for (size_t i = 0; i < d->ncustomers; i++) {
        rl_acct a;
        if (rl_bank_lookup(b, d->customers[i].name, &a) != RL_OK || a != (rl_acct)i) {
            WHY("the bank has no account '%s' where the data set has it: it was made for "
                "another data set",
                d->customers[i].name);
            return false;
        }
    }
    return true;
}

/* url names a bank that processes can share: a database, not memory. */
static rl_err shared_bank(const char *url, const rl_dataset *d, rl_bank **out, char *why,
                          size_t why_len) {
    if (!url || !d || !out)
        return RL_EINVAL;
    rl_bank_backend be;
    rl_err e = rl_bank_url_parse(url, &be, NULL, why, why_len);
    if (e == RL_OK && be == RL_BACKEND_MEMORY) {
        WHY("merchants in separate processes need a bank they share: sqlite:PATH or a "
            "PostgreSQL URL, not memory");
        e = RL_EINVAL;
    }
    return e;
}

rl_err rl_cycle_attach(const char *url, const rl_dataset *d, rl_bank **out, char *why,
                       size_t why_len) {
    rl_err e = shared_bank(url, d, out, why, why_len);
    if (e != RL_OK)
        return e;
    rl_bank *b;
    if ((e = rl_bank_create_url(url, 0, 0, &b, why, why_len)) != RL_OK)
        return e;
    if (!same_accounts(b, d, why, why_len)) {
        rl_bank_destroy(b);
        return RL_EINVAL;
    }
    *out = b;
    return RL_OK;
}

rl_err rl_cycle_init(const char *url, const rl_dataset *d, bool force, rl_bank **out, char *why,
                     size_t why_len) {
    rl_err e = shared_bank(url, d, out, why, why_len);
    if (e != RL_OK)
        return e;
    /* without force, any racelab_* table there is somebody's: refused,
     * untouched (see "Replacing a bank" in racelab/dbbank.h) */
    rl_bank *b;
    if ((e = rl_bank_create_url(url, RL_BANK_RESET | (force ? RL_BANK_FORCE : 0u), d->ncustomers,
                                &b, why, why_len)) != RL_OK)
        return e;
    rl_acct *ids = malloc((d->ncustomers ? d->ncustomers : 1) * sizeof *ids);
    if (!ids) {
        rl_bank_destroy(b);
        return RL_ENOMEM;
    }
    e = rl_bank_open_all(b, d->customers, d->ncustomers, ids);
    free(ids);
    if (e != RL_OK) {
        WHY("loading the accounts: %s", rl_bank_errmsg(b));
        rl_bank_destroy(b);
        return e;
    }
    *out = b;
    return RL_OK;
}

/* ---- a merchant's cycle ---- */

static const char *const strategy_names[RL_CYCLE_NSTRATEGIES] = {
    [RL_CYCLE_ATOMIC] = "atomic",
    [RL_CYCLE_MUTEX] = "mutex",
    [RL_CYCLE_GLOBAL] = "global",
    [RL_CYCLE_ADVISORY] = "advisory",
    [RL_CYCLE_TRYLOCK] = "trylock",
    [RL_CYCLE_CAS] = "cas",
    [RL_CYCLE_REPEATABLE_READ] = "repeatable-read",
    [RL_CYCLE_SERIALIZABLE] = "serializable",
    [RL_CYCLE_RACY] = "racy",
};

const char *rl_cycle_strategy_name(rl_cycle_strategy s) {
    return (unsigned)s < RL_CYCLE_NSTRATEGIES ? strategy_names[s] : "?";
}

bool rl_cycle_strategy_find(const char *name, rl_cycle_strategy *out) {
    if (!name || !out)
        return false;
    if (!strcmp(name, "ledger")) {
        *out = RL_CYCLE_ATOMIC;
        return true;
    }
    for (unsigned s = 0; s < RL_CYCLE_NSTRATEGIES; s++)
        if (!strcmp(name, strategy_names[s])) {
            *out = (rl_cycle_strategy)s;
            return true;
        }
    return false;
}

static const rl_merchant_spec *find_merchant(const rl_dataset *d, const char *name) {
    for (size_t m = 0; m < d->nmerchants; m++)
        if (strcmp(d->merchants[m].name, name) == 0)
            return &d->merchants[m];
    return NULL;
}

#define MEET_TIMEOUT_NS 60000000000ull

/* One merchant's cycle under way. */
typedef struct biller {
    rl_bank **bp;
    rl_bank *meeting; /* the connection the merchant meets the others on */
    const rl_dataset *d;
    const rl_cycle_opts *o;
    rl_cycle_summary *out;
    unsigned max_retries;
    uint64_t rng; /* for the back-off's jitter */
} biller;

/* After losing to another merchant: wait a little, more each time (0.1
 * ms doubling to 10 ms, jittered), so that a merchant whose write keeps
 * meeting others' (SQLite refuses a stale writer at once, without
 * waiting) does not spend its retries while one of them holds the lock. */
static void back_off(biller *w, unsigned attempt) {
    uint64_t cap = 100000ull << (attempt < 7 ? attempt : 7);
    if (cap > 10000000ull)
        cap = 10000000ull;
    rl_sleep_ns(cap / 2 + rl__rng_below(&w->rng, cap / 2 + 1));
}

static bool lost(rl_err e) { return e == RL_ECONN || e == RL_EUNKNOWN; }

/* The connection the merchant meets the others on, made before the
 * merchant holds any lock: making one prepares statements that wait for
 * a table lock, its own merchant's included. */
static rl_err meeting_place(biller *w) {
    if (!w->o->meet || w->meeting)
        return RL_OK;
    return rl_bank_connect(*w->bp, "meet", &w->meeting);
}

/* Wait for the other merchants at bill k, on a connection of its own: a
 * meeting inside a transaction would be invisible to the others until it
 * commits. */
static rl_err meet(biller *w, const rl_bill_key *k) {
    if (!w->o->meet)
        return RL_OK;
    rl_err e = meeting_place(w);
    if (e != RL_OK)
        return e;
    e = rl_bank_meet(w->meeting, *w->bp, k, w->o->meet, MEET_TIMEOUT_NS);
    if (lost(e)) { /* the server went: connect again for the next meeting */
        rl_bank_destroy(w->meeting);
        w->meeting = NULL;
    }
    return e;
}

static void slow_step(const biller *w) {
    if (w->o->delay_ns)
        rl_sleep_ns(w->o->delay_ns);
}

/* For crash tests: die at the worst moment of bill k, everything sent
 * and nothing committed. */
static void maybe_die(const biller *w, const rl_bill_key *k) {
    if (w->o->die_at >= 0 && (uint64_t)w->o->die_at == k->bill) {
        fflush(NULL);
        raise(SIGKILL);
    }
}

/* The write of a bill that read `read` at `version`: with the ledger, in
 * a transaction (the open one, or a new read-committed one) with its
 * ledger row first; a key already there rolls back and leaves
 * *outcome RL_BILL_ALREADY. versioned: only if the version is still the
 * one read (RL_ECONFLICT, nothing written, when it is not). Commits any
 * transaction open. */
static rl_err write_bill(biller *w, const rl_bill_key *k, rl_acct a, rl_money amount, rl_money read,
                         uint64_t version, bool versioned, rl_bill_outcome *outcome) {
    rl_bank *b = *w->bp;
    rl_err e = RL_OK;
    if (!w->o->no_ledger) {
        if (!rl_bank_in_txn(b) && (e = rl_bank_begin(b, RL_ISO_READ_COMMITTED)) != RL_OK)
            return e;
        bool recorded;
        if ((e = rl_bank_ledger_record(b, k, a, amount, &recorded)) != RL_OK)
            return e;
        if (!recorded) {
            rl_bank_rollback(b);
            *outcome = RL_BILL_ALREADY;
            return RL_OK;
        }
    }
    rl_money next;
    if ((e = rl_money_add(read, amount, &next)) != RL_OK) {
        rl_bank_rollback(b);
        return e;
    }
    if (versioned) {
        rl_money now;
        uint64_t now_version;
        e = rl_bank_set_if_version(b, a, next, version, &now, &now_version);
        if (e == RL_ECONFLICT && rl_bank_in_txn(b))
            rl_bank_rollback(b);
    } else {
        e = rl_bank_set(b, a, next, version, NULL);
    }
    if (e != RL_OK)
        return e;
    *outcome = RL_BILL_APPLIED;
    if (!rl_bank_in_txn(b))
        return RL_OK;
    maybe_die(w, k);
    return rl_bank_commit(b);
}

/* atomic: one statement, the ledger row with it. */
static rl_err bill_atomic(biller *w, const rl_bill_key *k, rl_acct a, rl_money amount,
                          rl_bill_outcome *outcome) {
    rl_bank *b = *w->bp;
    slow_step(w);
    rl_err e = meet(w, k);
    if (e != RL_OK)
        return e;
    *outcome = RL_BILL_APPLIED;
    if (w->o->no_ledger)
        return rl_bank_add(b, a, amount, NULL);
    bool applied = false;
    if (w->o->die_at >= 0 && (uint64_t)w->o->die_at == k->bill &&
        (e = rl_bank_begin(b, RL_ISO_READ_COMMITTED)) == RL_OK &&
        (e = rl_bank_apply_once(b, k, a, amount, NULL, &applied)) == RL_OK)
        maybe_die(w, k);
    if (e != RL_OK)
        return e;
    e = rl_bank_apply_once(b, k, a, amount, NULL, &applied);
    *outcome = applied ? RL_BILL_APPLIED : RL_BILL_ALREADY;
    return e;
}

/* The lock-holding strategies: take the lock (RL_EBUSY when !wait and it
 * is busy), then read, slow step, write under it. The merchants meet
 * between reading and writing where a merchant waiting for the lock
 * counts as there (PostgreSQL); elsewhere before the lock, the last point
 * where they can all be. A trying merchant (trylock) meets before it too:
 * one that finds a customer busy goes on to its next bill instead of
 * waiting, and could hold that one's lock at the next meeting while the
 * first holder waits at this one. */
static rl_err bill_locked(biller *w, const rl_bill_key *k, rl_acct a, rl_money amount,
                          rl_lock_kind kind, bool trying, bool wait, rl_bill_outcome *outcome) {
    rl_bank *b = *w->bp;
    bool inside = rl_bank_meet_sees_waiters(b) && !trying;
    rl_err e;
    if (!inside && (e = meet(w, k)) != RL_OK)
        return e;
    if ((e = rl_bank_lock(b, kind, a, wait)) != RL_OK)
        return e;
    rl_money read;
    uint64_t version;
    if ((e = rl_bank_get(b, a, &read, &version)) != RL_OK)
        return e;
    slow_step(w);
    if (inside && (e = meet(w, k)) != RL_OK)
        return e;
    return write_bill(w, k, a, amount, read, version, false, outcome);
}

/* A bill lost to another merchant at its attempt `attempt`: counted;
 * RL_ERETRY past the bound, else a back-off and RL_OK (try again). */
static rl_err after_loss(biller *w, unsigned attempt) {
    w->out->conflicts++;
    if (attempt == w->max_retries)
        return RL_ERETRY;
    w->out->retries++;
    back_off(w, attempt);
    return RL_OK;
}

/* cas: read, slow step, meet, write if the version is unchanged; a
 * conflict reads again and writes again (the slow step is not repeated:
 * the charge is decided). */
static rl_err bill_cas(biller *w, const rl_bill_key *k, rl_acct a, rl_money amount,
                       rl_bill_outcome *outcome) {
    for (unsigned attempt = 0;; attempt++) {
        rl_money read;
        uint64_t version;
        rl_err e = rl_bank_get(*w->bp, a, &read, &version);
        if (e == RL_OK && attempt == 0) {
            slow_step(w);
            e = meet(w, k);
        }
        if (e == RL_OK)
            e = write_bill(w, k, a, amount, read, version, true, outcome);
        if (e != RL_ECONFLICT || (e = after_loss(w, attempt)) != RL_OK)
            return e;
    }
}

/* repeatable-read, serializable: the whole bill in one transaction at
 * iso, run again when the engine aborts it. */
static rl_err bill_isolated(biller *w, const rl_bill_key *k, rl_acct a, rl_money amount,
                            rl_isolation iso, rl_bill_outcome *outcome) {
    for (unsigned attempt = 0;; attempt++) {
        rl_bank *b = *w->bp;
        rl_money read;
        uint64_t version;
        rl_err e = rl_bank_begin(b, iso);
        if (e == RL_OK && (e = rl_bank_get(b, a, &read, &version)) == RL_OK) {
            slow_step(w);
            if ((e = meet(w, k)) == RL_OK)
                e = write_bill(w, k, a, amount, read, version, false, outcome);
        }
        if (e != RL_OK && rl_bank_in_txn(b))
            rl_bank_rollback(b);
        if (e != RL_ESERIAL || (e = after_loss(w, attempt)) != RL_OK)
            return e;
    }
}

/* racy: read, slow step, meet, write the value read plus the bill. */
static rl_err bill_racy(biller *w, const rl_bill_key *k, rl_acct a, rl_money amount,
                        rl_bill_outcome *outcome) {
    rl_money read;
    uint64_t version;
    rl_err e = rl_bank_get(*w->bp, a, &read, &version);
    if (e != RL_OK)
        return e;
    slow_step(w);
    if ((e = meet(w, k)) != RL_OK)
        return e;
    return write_bill(w, k, a, amount, read, version, false, outcome);
}

/* One bill by the merchant's strategy. wait: false for trylock's first
 * tries (RL_EBUSY when the customer is busy). */
static rl_err bill_one(biller *w, const rl_bill_key *k, rl_acct a, rl_money amount, bool wait,
                       rl_bill_outcome *outcome) {
    switch (w->o->strategy) {
    case RL_CYCLE_ATOMIC: return bill_atomic(w, k, a, amount, outcome);
    case RL_CYCLE_MUTEX: return bill_locked(w, k, a, amount, RL_LOCK_ROW, false, true, outcome);
    case RL_CYCLE_GLOBAL: return bill_locked(w, k, a, amount, RL_LOCK_ALL, false, true, outcome);
    case RL_CYCLE_ADVISORY:
        return bill_locked(w, k, a, amount, RL_LOCK_ADVISORY, false, true, outcome);
    case RL_CYCLE_TRYLOCK: return bill_locked(w, k, a, amount, RL_LOCK_ROW, true, wait, outcome);
    case RL_CYCLE_CAS: return bill_cas(w, k, a, amount, outcome);
    case RL_CYCLE_REPEATABLE_READ:
        return bill_isolated(w, k, a, amount, RL_ISO_REPEATABLE_READ, outcome);
    case RL_CYCLE_SERIALIZABLE: return bill_isolated(w, k, a, amount, RL_ISO_SERIALIZABLE, outcome);
    case RL_CYCLE_RACY: return bill_racy(w, k, a, amount, outcome);
    case RL_CYCLE_NSTRATEGIES: break;
    }
    return RL_EINVAL;
}

/* Whether to connect again and send the bill again after e: only with the
 * ledger, which makes sending it again safe. */
static bool may_reconnect(const rl_cycle_opts *o, rl_err e) {
    return lost(e) && o->url && !o->no_ledger;
}

/* The connection is gone: connect again, backing off, within the budget.
 * RL_OK with *b a fresh connection; else the last error, *b NULL. */
/* A server's words on one line: line breaks and tabs become one space. */
static void one_line(char *text) {
    char *to = text;
    for (const char *from = text; *from; from++) {
        bool space = *from == '\n' || *from == '\t' || *from == '\r' || *from == ' ';
        if (space && (to == text || to[-1] == ' '))
            continue;
        *to++ = space ? ' ' : *from;
    }
    while (to > text && to[-1] == ' ')
        to--;
    *to = '\0';
}

/* Attach to url, and while the server cannot be reached, again: after 50
 * ms, then twice as long each time (at most 1 s), for at most budget_ns.
 * w (may be NULL): also make its meeting connection. note (may be NULL)
 * hears of the first failure. RL_OK with *b; else the last error, its
 * words in last, *b NULL. */
static rl_err attach_backing_off(const char *url, const rl_dataset *d, uint64_t budget_ns,
                                 biller *w, void (*note)(void *ctx, const char *text), void *ctx,
                                 rl_bank **b, char *last, size_t last_len) {
    uint64_t waited = 0, pause = 50000000ull;
    for (;;) {
        rl_err e = rl_cycle_attach(url, d, b, last, last_len);
        if (e == RL_OK && w && (e = meeting_place(w)) != RL_OK) {
            snprintf(last, last_len, "%s", rl_bank_errmsg(*b));
            rl_bank_destroy(*b);
            *b = NULL;
        }
        one_line(last);
        if (e == RL_OK || !lost(e) || waited >= budget_ns)
            return e;
        if (waited == 0 && note) {
            char text[512];
            snprintf(text, sizeof text, "cannot reach the bank (%s); trying again for up to %.0f s",
                     last, (double)budget_ns / 1e9);
            note(ctx, text);
        }
        rl_sleep_ns(pause);
        waited += pause;
        pause = pause * 2 > 1000000000ull ? 1000000000ull : pause * 2;
    }
}

rl_err rl_cycle_attach_wait(const char *url, const rl_dataset *d, uint64_t budget_ns,
                            void (*note)(void *ctx, const char *text), void *ctx, rl_bank **out,
                            char *why, size_t why_len) {
    if (!url || !d || !out)
        return RL_EINVAL;
    char scratch[256] = "";
    if (!why) {
        why = scratch;
        why_len = sizeof scratch;
    }
    return attach_backing_off(url, d, budget_ns ? budget_ns : 30000000000ull, NULL, note, ctx, out,
                              why, why_len);
}

/* The connection is gone: connect again within the budget. RL_OK with
 * *w->bp a fresh connection; else the last error, *w->bp NULL. */
static rl_err reconnect(biller *w, char *why, size_t why_len) {
    rl_bank **b = w->bp;
    const rl_cycle_opts *o = w->o;
    char lost_why[256]; /* the lost connection's words, before it goes */
    snprintf(lost_why, sizeof lost_why, "%s", rl_bank_errmsg(*b));
    uint64_t budget = o->reconnect_ns ? o->reconnect_ns : 30000000000ull;
    rl_bank_destroy(w->meeting); /* a connection of *b's: before it */
    w->meeting = NULL;
    rl_bank_destroy(*b);
    *b = NULL;
    const rl_platform *clock = rl_platform_pthreads();
    uint64_t t0 = clock->now_ns();
    char last[256] = "";
    rl_err e = attach_backing_off(o->url, w->d, budget, w, NULL, NULL, b, last, sizeof last);
    if (e != RL_OK) {
        if (lost(e))
            WHY("lost the connection (%s) and could not connect again within %.0f s: %s",
                lost_why, (double)budget / 1e9, last);
        else
            WHY("lost the connection (%s) and cannot connect again: %s", lost_why, last);
        return lost(e) ? RL_ECONN : e;
    }
    w->out->reconnects++;
    if (o->note) {
        char text[512];
        snprintf(text, sizeof text, "lost the connection (%s); reconnected after %.0f ms", lost_why,
                 (double)(clock->now_ns() - t0) / 1e6);
        o->note(o->ctx, text);
    }
    return RL_OK;
}

/* Bill i, sent again on a new connection while the connection is lost
 * (if it went through before the loss, the ledger has it and it is
 * skipped). RL_EBUSY: trylock found the customer busy, nothing done. */
static rl_err bill_index(biller *w, const rl_merchant_spec *m, uint64_t cycle, size_t i, bool wait,
                         char *why, size_t why_len) {
    const rl_bill *bill = &m->bills[i];
    for (;;) {
        rl_bank *b = *w->bp;
        rl_acct a;
        rl_err e = rl_bank_lookup(b, bill->customer, &a);
        if (e != RL_OK) {
            WHY("the bank has no account '%s'", bill->customer);
            return e;
        }
        rl_bill_key k = {.merchant = m->name, .cycle = cycle, .bill = (uint32_t)i};
        rl_bill_outcome outcome = RL_BILL_APPLIED;
        e = bill_one(w, &k, a, bill->amount, wait, &outcome);
        if (rl_bank_in_txn(b)) /* whatever stopped the bill: nothing half done */
            rl_bank_rollback(b);
        if (e == RL_EBUSY && !wait) {
            w->out->conflicts++;
            return e;
        }
        if (e == RL_EOVERFLOW) {
            outcome = RL_BILL_REFUSED;
            e = RL_OK;
        }
        if (may_reconnect(w->o, e)) {
            if ((e = reconnect(w, why, why_len)) != RL_OK)
                return e;
            continue;
        }
        if (e != RL_OK) {
            if (e == RL_ETIMEDOUT)
                WHY("meeting the other merchants at bill %zu: they did not all come within 60 s",
                    i + 1);
            else if (e == RL_ERETRY)
                WHY("bill %zu (%s): lost to other merchants %u times in a row", i + 1,
                    bill->customer, w->max_retries + 1);
            else
                WHY("bill %zu (%s): %s", i + 1, bill->customer,
                    *rl_bank_errmsg(b) ? rl_bank_errmsg(b) : rl_strerror(e));
            return e;
        }
        w->out->applied += outcome == RL_BILL_APPLIED;
        w->out->already += outcome == RL_BILL_ALREADY;
        w->out->refused += outcome == RL_BILL_REFUSED;
        if (w->o->each)
            w->o->each(w->o->ctx, i, bill->customer, bill->amount, outcome);
        return RL_OK;
    }
}

/* Every bill of m, in order; trylock comes back to the busy ones, and
 * waits for one when only busy ones are left. */
static rl_err bill_all(biller *w, const rl_merchant_spec *m, uint64_t cycle, char *why,
                       size_t why_len) {
    size_t n = m->nbills;
    size_t *pending = malloc((n ? n : 1) * sizeof *pending);
    if (!pending)
        return RL_ENOMEM;
    for (size_t i = 0; i < n; i++)
        pending[i] = i;
    bool tries = w->o->strategy == RL_CYCLE_TRYLOCK;
    rl_err e = RL_OK;
    size_t left = n;
    while (e == RL_OK && left > 0) {
        size_t kept = 0;
        for (size_t j = 0; e == RL_OK && j < left; j++) {
            e = bill_index(w, m, cycle, pending[j], !tries, why, why_len);
            if (e == RL_EBUSY) {
                pending[kept++] = pending[j];
                e = RL_OK;
            }
        }
        if (e == RL_OK && kept > 0 && kept == left) {
            e = bill_index(w, m, cycle, pending[0], true, why, why_len);
            pending[0] = pending[--kept];
        }
        left = kept;
    }
    free(pending);
    return e;
}

rl_err rl_cycle_bill(rl_bank **bp, const rl_dataset *d, const char *merchant, uint64_t cycle,
                     const rl_cycle_opts *o, rl_cycle_summary *out, char *why, size_t why_len) {
    if (!bp || !*bp || !d || !merchant || !o || !out ||
        (unsigned)o->strategy >= RL_CYCLE_NSTRATEGIES)
        return RL_EINVAL;
    memset(out, 0, sizeof *out);
    const rl_merchant_spec *m = find_merchant(d, merchant);
    if (!m) {
        WHY("the data set has no merchant '%s'", merchant);
        return RL_ENOENT;
    }
    out->bills = m->nbills;
    biller w = {.bp = bp,
                .d = d,
                .o = o,
                .out = out,
                .max_retries = o->max_retries ? o->max_retries : 1000,
                .rng = (uint64_t)getpid() ^ cycle};
    const rl_platform *clock = rl_platform_pthreads();
    uint64_t t0 = clock->now_ns();
    rl_err e = meeting_place(&w);
    if (e != RL_OK)
        WHY("connecting for the meetings: %s", rl_bank_errmsg(*bp));
    else
        e = bill_all(&w, m, cycle, why, why_len);
    rl_bank_destroy(w.meeting);
    if (e != RL_OK)
        return e;
    out->elapsed_ns = clock->now_ns() - t0;
    out->finished = out->refused == 0;
    while (out->finished) {
        rl_bill_key k = {.merchant = m->name, .cycle = cycle, .bill = (uint32_t)m->nbills};
        e = rl_bank_cycle_finish(*bp, &k);
        if (e == RL_OK)
            break;
        if (may_reconnect(o, e)) {
            if ((e = reconnect(&w, why, why_len)) != RL_OK)
                return e;
            continue; /* marking it again changes nothing */
        }
        WHY("marking the cycle finished: %s", rl_bank_errmsg(*bp));
        return e;
    }
    return RL_OK;
}

/* ---- the check ---- */

typedef struct {
    char *merchant;
    uint64_t cycle;
} finished_key;

typedef struct {
    const rl_dataset *d;
    rl_bank *b; /* its name lookups are hashed; the data set's are not */
    rl_cycle_report *r;
    rl_err error;
    finished_key *finished; /* the finished cycles */
    size_t nfinished;
    rl_money *unfinished;        /* per account: the ledger's bills of cycles not finished */
    rl_money *unfinished_debits; /* the same, the negative ones only */
} checker;

static bool is_finished(const checker *c, const rl_bill_key *k) {
    for (size_t i = 0; i < c->nfinished; i++)
        if (c->finished[i].cycle == k->cycle && !strcmp(c->finished[i].merchant, k->merchant))
            return true;
    return false;
}

static void violation(checker *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void violation(checker *c, const char *fmt, ...) {
    rl_cycle_report *r = c->r;
    char **bigger = realloc(r->violations, (r->nviolations + 1) * sizeof *bigger);
    char *text = malloc(256);
    if (!bigger || !text) {
        free(text);
        if (bigger)
            r->violations = bigger;
        c->error = RL_ENOMEM;
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, 256, fmt, ap);
    va_end(ap);
    r->violations = bigger;
    r->violations[r->nviolations++] = text;
}

static void ledger_row(void *ctx, const rl_ledger_row *row) {
    checker *c = ctx;
    c->r->ledger_rows++;
    const rl_merchant_spec *m = find_merchant(c->d, row->key.merchant);
    if (!m || row->key.bill >= m->nbills) {
        violation(c,
                  "unexpected: %s cycle %" PRIu64 " bill %" PRIu32 " is in the ledger, but "
                  "the data set has no such bill",
                  row->key.merchant, row->key.cycle, row->key.bill + 1);
    } else {
        const rl_bill *bill = &m->bills[row->key.bill];
        rl_acct want;
        if (rl_bank_lookup(c->b, bill->customer, &want) != RL_OK)
            want = (rl_acct)c->r->naccounts;
        if (row->acct != want || row->amount != bill->amount)
            violation(c,
                      "unexpected: %s cycle %" PRIu64 " bill %" PRIu32 " is %s %+" PRId64
                      " in the data set but %s %+" PRId64 " in the ledger",
                      m->name, row->key.cycle, row->key.bill + 1, bill->customer, bill->amount,
                      row->acct < c->r->naccounts ? c->r->accounts[row->acct].name : "?",
                      row->amount);
    }
    if (row->acct < c->r->naccounts) {
        c->r->accounts[row->acct].by_ledger += row->amount;
        if (!is_finished(c, &row->key)) {
            c->unfinished[row->acct] += row->amount;
            if (row->amount < 0)
                c->unfinished_debits[row->acct] += row->amount;
        }
    } else
        violation(c, "unknown account: the ledger bills account %u, which the bank does not have",
                  (unsigned)row->acct);
}

/* The ledger rows of one cycle, to find the missing ones. */
typedef struct {
    const rl_bill_key *cycle;
    bool *seen;
    size_t n;
} cycle_rows;

static void mark_seen(void *ctx, const rl_ledger_row *row) {
    cycle_rows *cr = ctx;
    if (!strcmp(row->key.merchant, cr->cycle->merchant) && row->key.cycle == cr->cycle->cycle &&
        row->key.bill < cr->n)
        cr->seen[row->key.bill] = true;
}

typedef struct {
    checker *c;
    rl_bank *b;
} finished_ctx;

static void finished_cycle(void *ctx, const rl_bill_key *k) {
    finished_ctx *f = ctx;
    checker *c = f->c;
    c->r->finished_cycles++;
    finished_key *bigger = realloc(c->finished, (c->nfinished + 1) * sizeof *bigger);
    char *name = strdup(k->merchant);
    if (!bigger || !name) {
        free(name);
        if (bigger)
            c->finished = bigger;
        c->error = RL_ENOMEM;
        return;
    }
    c->finished = bigger;
    c->finished[c->nfinished++] = (finished_key){name, k->cycle};
    const rl_merchant_spec *m = find_merchant(c->d, k->merchant);
    if (!m) {
        violation(c,
                  "unexpected: a finished cycle %" PRIu64 " of '%s', which the data set does "
                  "not have",
                  k->cycle, k->merchant);
        return;
    }
    for (size_t i = 0; i < m->nbills; i++) {
        rl_acct a;
        if (rl_bank_lookup(f->b, m->bills[i].customer, &a) == RL_OK && a < c->r->naccounts)
            c->r->accounts[a].by_cycles += m->bills[i].amount;
    }
    bool *seen = calloc(m->nbills ? m->nbills : 1, sizeof *seen);
    if (!seen) {
        c->error = RL_ENOMEM;
        return;
    }
    cycle_rows cr = {.cycle = k, .seen = seen, .n = m->nbills};
    rl_err e = rl_bank_ledger_scan(f->b, mark_seen, &cr);
    if (e != RL_OK)
        c->error = e;
    for (size_t i = 0; e == RL_OK && i < m->nbills; i++)
        if (!seen[i])
            violation(c,
                      "missing: %s cycle %" PRIu64 " is finished but its bill %zu (%s %+" PRId64
                      ") is not in the ledger",
                      m->name, k->cycle, i + 1, m->bills[i].customer, m->bills[i].amount);
    free(seen);
}

rl_err rl_cycle_check(rl_bank *b, const rl_dataset *d, rl_cycle_report *out) {
    if (!b || !d || !out)
        return RL_EINVAL;
    memset(out, 0, sizeof *out);
    size_t n = rl_bank_count(b);
    rl_balance *bal = calloc(n ? n : 1, sizeof *bal);
    out->accounts = calloc(d->ncustomers ? d->ncustomers : 1, sizeof *out->accounts);
    if (!bal || !out->accounts) {
        free(bal);
        free(out->accounts);
        return RL_ENOMEM;
    }
    rl_err e = rl_bank_snapshot(b, bal, n, &n);
    checker c = {.d = d, .b = b, .r = out};
    c.unfinished = calloc(d->ncustomers ? d->ncustomers : 1, sizeof *c.unfinished);
    c.unfinished_debits = calloc(d->ncustomers ? d->ncustomers : 1, sizeof *c.unfinished_debits);
    if (!c.unfinished || !c.unfinished_debits)
        e = RL_ENOMEM;
    out->naccounts = d->ncustomers;
    for (size_t i = 0; e == RL_OK && i < d->ncustomers; i++) {
        rl_cycle_account *acc = &out->accounts[i];
        acc->name = d->customers[i].name;
        acc->start = acc->by_ledger = acc->by_cycles = d->customers[i].start;
        if (i >= n || strcmp(bal[i].name, acc->name) != 0) {
            violation(&c, "missing account: %s", acc->name);
            continue;
        }
        acc->balance = bal[i].balance;
    }
    for (size_t i = d->ncustomers; e == RL_OK && i < n; i++)
        violation(&c, "unknown account: %s", bal[i].name);
    free(bal);
    /* the finished cycles first: each ledger row then knows whether its
     * cycle is finished */
    finished_ctx f = {.c = &c, .b = b};
    if (e == RL_OK)
        e = rl_bank_cycle_scan(b, finished_cycle, &f);
    if (e == RL_OK)
        e = rl_bank_ledger_scan(b, ledger_row, &c);
    for (size_t i = 0; e == RL_OK && i < out->naccounts; i++) {
        const rl_cycle_account *acc = &out->accounts[i];
        if (acc->balance != acc->by_ledger)
            violation(&c,
                      "wrong balance: %s is %" PRId64 ", its start %" PRId64 " plus the "
                      "ledger's bills make %" PRId64 " (%+" PRId64 " lost or made up)",
                      acc->name, acc->balance, acc->start, acc->by_ledger,
                      acc->by_ledger - acc->balance);
        /* what the finished cycles make it, plus what the ledger holds of
         * cycles still under way: anything else was lost or doubled */
        rl_money want = acc->by_cycles + c.unfinished[i];
        if (acc->balance != want)
            violation(&c,
                      "wrong total: %s is %" PRId64 ", the finished cycles (and the ledger's "
                      "bills of unfinished ones) make %" PRId64 " (%+" PRId64 " lost or doubled)",
                      acc->name, acc->balance, want, want - acc->balance);
        /* the lowest a balance can be: the finished cycles, then every
         * debit of the cycles under way first */
        if (acc->balance < 0 && acc->by_cycles + c.unfinished_debits[i] >= 0)
            violation(&c, "negative: %s is %" PRId64 ", which its bills never make it", acc->name,
                      acc->balance);
    }
    if (e == RL_OK)
        e = c.error;
    for (size_t i = 0; i < c.nfinished; i++)
        free(c.finished[i].merchant);
    free(c.finished);
    free(c.unfinished);
    free(c.unfinished_debits);
    if (e != RL_OK)
        rl_cycle_report_free(out);
    return e;
}

void rl_cycle_report_free(rl_cycle_report *r) {
    if (!r)
        return;
    for (size_t i = 0; i < r->nviolations; i++)
        free(r->violations[i]);
    free(r->violations);
    free(r->accounts);
    memset(r, 0, sizeof *r);
}

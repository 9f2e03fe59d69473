/* cycle.c - billing cycles across processes (see racelab/cycle.h). */
#include "racelab/cycle.h"

#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "racelab/dbbank.h"
#include "racelab/platform.h"

#define WHY(...) (why ? (void)snprintf(why, why_len, __VA_ARGS__) : (void)0)

/* ---- making and finding the bank ---- */

/* Whether b's accounts are exactly d's customers, in d's order. */
static bool same_accounts(rl_bank *b, const rl_dataset *d, char *why, size_t why_len) {
    if (rl_bank_count(b) != d->ncustomers) {
        WHY("the bank holds %zu accounts, the data set %zu customers: it was made for another "
            "data set (give the same --merchants and --customers as to 'racelab bank init')",
            rl_bank_count(b), d->ncustomers);
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
static rl_err shared_bank(const char *url, char *why, size_t why_len) {
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
    if (!url || !d || !out)
        return RL_EINVAL;
    rl_err e = shared_bank(url, why, why_len);
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
    if (!url || !d || !out)
        return RL_EINVAL;
    rl_err e = shared_bank(url, why, why_len);
    if (e != RL_OK)
        return e;
    rl_bank *b;
    if (!force) {
        /* a bank already there is somebody's data: attaching succeeds only
         * when racelab's accounts table exists */
        char scratch[256];
        e = rl_bank_create_url(url, 0, 0, &b, scratch, sizeof scratch);
        if (e == RL_OK) {
            rl_bank_destroy(b);
            WHY("there is a bank there already: 'racelab bank init --force' replaces it");
            return RL_EEXIST;
        }
        /* anything else (no file, no table, no server): making it says why
         * when it cannot be made */
    }
    if ((e = rl_bank_create_url(url, RL_BANK_RESET, d->ncustomers, &b, why, why_len)) != RL_OK)
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

static const rl_merchant_spec *find_merchant(const rl_dataset *d, const char *name) {
    for (size_t m = 0; m < d->nmerchants; m++)
        if (strcmp(d->merchants[m].name, name) == 0)
            return &d->merchants[m];
    return NULL;
}

#define MEET_TIMEOUT_NS 60000000000ull

/* racy: read, the slow step (meeting the others there when asked), write
 * what was read plus the bill. */
static rl_err racy_bill(rl_bank *b, rl_acct a, rl_money amount, const rl_cycle_opts *o,
                        const rl_bill_key *k) {
    rl_money now;
    uint64_t version;
    rl_err e = rl_bank_get(b, a, &now, &version);
    if (e != RL_OK)
        return e;
    if (o->delay_ns)
        rl_sleep_ns(o->delay_ns);
    if (o->meet && (e = rl_bank_meet(b, k, o->meet, MEET_TIMEOUT_NS)) != RL_OK)
        return e;
    rl_money next;
    if ((e = rl_money_add(now, amount, &next)) != RL_OK)
        return e;
    return rl_bank_set(b, a, next, version, NULL);
}

static bool lost(rl_err e) { return e == RL_ECONN || e == RL_EUNKNOWN; }

/* Whether to connect again and send the bill again after e: only with the
 * ledger, which makes sending it again safe. */
static bool may_reconnect(const rl_cycle_opts *o, rl_err e) {
    return lost(e) && o->url && o->strategy == RL_CYCLE_LEDGER;
}

/* The connection is gone: connect again, backing off, within the budget.
 * RL_OK with *b a fresh connection; else the last error, *b NULL. */
static rl_err reconnect(rl_bank **b, const rl_dataset *d, const rl_cycle_opts *o,
                        rl_cycle_summary *out, char *why, size_t why_len) {
    char lost_why[256]; /* the lost connection's words, before it goes */
    snprintf(lost_why, sizeof lost_why, "%s", rl_bank_errmsg(*b));
    uint64_t budget = o->reconnect_ns ? o->reconnect_ns : 30000000000ull;
    uint64_t waited = 0, pause = 50000000ull;
    rl_bank_destroy(*b);
    *b = NULL;
    const rl_platform *clock = rl_platform_pthreads();
    uint64_t t0 = clock->now_ns();
    char last[256] = "";
    for (;;) {
        rl_err e = rl_cycle_attach(o->url, d, b, last, sizeof last);
        if (e == RL_OK) {
            out->reconnects++;
            if (o->note) {
                char text[512];
                snprintf(text, sizeof text, "lost the connection (%s); reconnected after %.0f ms",
                         lost_why, (double)(clock->now_ns() - t0) / 1e6);
                o->note(o->ctx, text);
            }
            return RL_OK;
        }
        if (!lost(e) || waited >= budget) {
            WHY("lost the connection (%s) and could not connect again within %.0f s: %s",
                lost_why, (double)budget / 1e9, last);
            return lost(e) ? RL_ECONN : e;
        }
        clock->sleep_ns(pause);
        waited += pause;
        pause = pause * 2 > 1000000000ull ? 1000000000ull : pause * 2;
    }
}

rl_err rl_cycle_bill(rl_bank **bp, const rl_dataset *d, const char *merchant, uint64_t cycle,
                     const rl_cycle_opts *o, rl_cycle_summary *out, char *why, size_t why_len) {
    if (!bp || !*bp || !d || !merchant || !o || !out)
        return RL_EINVAL;
    memset(out, 0, sizeof *out);
    const rl_merchant_spec *m = find_merchant(d, merchant);
    if (!m) {
        WHY("the data set has no merchant '%s'", merchant);
        return RL_ENOENT;
    }
    out->bills = m->nbills;
    const rl_platform *clock = rl_platform_pthreads();
    uint64_t t0 = clock->now_ns();
    for (size_t i = 0; i < m->nbills; i++) {
        rl_bank *b = *bp;
        const rl_bill *bill = &m->bills[i];
        rl_acct a;
        rl_err e = rl_bank_lookup(b, bill->customer, &a);
        if (e != RL_OK) {
            WHY("the bank has no account '%s'", bill->customer);
            return e;
        }
        rl_bill_outcome outcome;
        rl_bill_key k = {.merchant = m->name, .cycle = cycle, .bill = (uint32_t)i};
        if (o->strategy == RL_CYCLE_RACY) {
            e = racy_bill(b, a, bill->amount, o, &k);
            outcome = RL_BILL_APPLIED;
        } else if (o->strategy == RL_CYCLE_ATOMIC) {
            if (o->delay_ns)
                rl_sleep_ns(o->delay_ns);
            e = rl_bank_add(b, a, bill->amount, NULL);
            outcome = RL_BILL_APPLIED;
        } else {
            if (o->delay_ns)
                rl_sleep_ns(o->delay_ns);
            if (o->meet && (e = rl_bank_meet(b, &k, o->meet, MEET_TIMEOUT_NS)) != RL_OK) {
                WHY("meeting the other merchants at bill %zu: %s", i + 1,
                    e == RL_ETIMEDOUT ? "they did not all come within 60 s" : rl_bank_errmsg(b));
                return e;
            }
            bool applied = false;
            if (o->die_at >= 0 && (size_t)o->die_at == i) {
                /* the worst moment to die: both changes sent, not committed */
                if ((e = rl_bank_begin(b, RL_ISO_READ_COMMITTED)) == RL_OK &&
                    (e = rl_bank_apply_once(b, &k, a, bill->amount, NULL, &applied)) == RL_OK) {
                    fflush(NULL);
                    raise(SIGKILL);
                }
            }
            e = rl_bank_apply_once(b, &k, a, bill->amount, NULL, &applied);
            outcome = applied ? RL_BILL_APPLIED : RL_BILL_ALREADY;
        }
        if (e == RL_EOVERFLOW) {
            outcome = RL_BILL_REFUSED;
            e = RL_OK;
        }
        if (may_reconnect(o, e)) {
            /* send the bill again on a new connection: if it went through
             * before the loss, the ledger has it and it is skipped */
            if ((e = reconnect(bp, d, o, out, why, why_len)) != RL_OK)
                return e;
            i--;
            continue;
        }
        if (e != RL_OK) {
            WHY("bill %zu (%s): %s", i + 1, bill->customer,
                *rl_bank_errmsg(b) ? rl_bank_errmsg(b) : rl_strerror(e));
            return e;
        }
        out->applied += outcome == RL_BILL_APPLIED;
        out->already += outcome == RL_BILL_ALREADY;
        out->refused += outcome == RL_BILL_REFUSED;
        if (o->each)
            o->each(o->ctx, i, bill->customer, bill->amount, outcome);
    }
    out->elapsed_ns = clock->now_ns() - t0;
    out->finished = out->refused == 0;
    while (out->finished) {
        rl_bill_key k = {.merchant = m->name, .cycle = cycle, .bill = (uint32_t)m->nbills};
        rl_err e = rl_bank_cycle_finish(*bp, &k);
        if (e == RL_OK)
            break;
        if (may_reconnect(o, e)) {
            if ((e = reconnect(bp, d, o, out, why, why_len)) != RL_OK)
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
    rl_money *unfinished; /* per account: the ledger's bills of cycles not finished */
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
        violation(c, "unexpected: %s cycle %" PRIu64 " bill %" PRIu32 " is in the ledger, but "
                     "the data set has no such bill",
                  row->key.merchant, row->key.cycle, row->key.bill + 1);
    } else {
        const rl_bill *bill = &m->bills[row->key.bill];
        rl_acct want;
        if (rl_bank_lookup(c->b, bill->customer, &want) != RL_OK)
            want = (rl_acct)c->r->naccounts;
        if (row->acct != want || row->amount != bill->amount)
            violation(c, "unexpected: %s cycle %" PRIu64 " bill %" PRIu32 " is %s %+" PRId64
                         " in the data set but %s %+" PRId64 " in the ledger",
                      m->name, row->key.cycle, row->key.bill + 1, bill->customer, bill->amount,
                      row->acct < c->r->naccounts ? c->r->accounts[row->acct].name : "?",
                      row->amount);
    }
    if (row->acct < c->r->naccounts) {
        c->r->accounts[row->acct].by_ledger += row->amount;
        if (!is_finished(c, &row->key))
            c->unfinished[row->acct] += row->amount;
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
        violation(c, "unexpected: a finished cycle %" PRIu64 " of '%s', which the data set does "
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
            violation(c, "missing: %s cycle %" PRIu64 " is finished but its bill %zu (%s %+" PRId64
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
    if (!c.unfinished)
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
            violation(&c, "wrong balance: %s is %" PRId64 ", its start %" PRId64 " plus the "
                          "ledger's bills make %" PRId64 " (%+" PRId64 " lost or made up)",
                      acc->name, acc->balance, acc->start, acc->by_ledger,
                      acc->by_ledger - acc->balance);
        /* what the finished cycles make it, plus what the ledger holds of
         * cycles still under way: anything else was lost or doubled */
        rl_money want = acc->by_cycles + c.unfinished[i];
        if (acc->balance != want)
            violation(&c, "wrong total: %s is %" PRId64 ", the finished cycles (and the ledger's "
                          "bills of unfinished ones) make %" PRId64 " (%+" PRId64
                          " lost or doubled)",
                      acc->name, acc->balance, want, want - acc->balance);
        if (acc->balance < 0 && acc->by_cycles >= 0)
            violation(&c, "negative: %s is %" PRId64 ", which its bills never make it",
                      acc->name, acc->balance);
    }
    if (e == RL_OK)
        e = c.error;
    for (size_t i = 0; i < c.nfinished; i++)
        free(c.finished[i].merchant);
    free(c.finished);
    free(c.unfinished);
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

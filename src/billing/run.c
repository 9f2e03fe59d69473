/* run.c - set up a bank and merchants, bill serially or concurrently, and
 * collect the outcome against the oracle. */
#include "racelab/run.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "racelab/dbbank.h"
#include "racelab/lockstep.h"
#include "racelab/waitgroup.h"

typedef struct worker {
    rl_merchant m;
    rl_thread thread;
    rl_waitgroup *wg;
    rl_lockstep *gate;
} worker;

/* The slow step with the fault injection in front of it. */
typedef struct fault {
    const rl_run_config *cfg;
    rl_pause inner; /* the slow step it replaces (the gate's park), or none */
    uint64_t delay_ns;
    rl_err result; /* of the termination, for the caller */
} fault;

typedef struct run_state {
    rl_bank *bank;
    rl_acct *accts;       /* per data-set customer */
    rl_acct *bill_accts;  /* all merchants' bills, concatenated */
    size_t *bill_customers;
    rl_err *bill_outcomes;
    size_t nbills;
    worker *workers;
    size_t nworkers;
    rl_money *expected;
    rl_billing billing;
    rl_lockstep *gate;
    bool billing_ready;
    fault fault;
} run_state;

#define WHY(...) (why ? (void)snprintf(why, why_len, __VA_ARGS__) : (void)0)

const char *rl_mode_name(rl_mode m) { return m == RL_MODE_SERIAL ? "serial" : "concurrent"; }

rl_run_config rl_run_config_default(const rl_strategy *s) {
    return (rl_run_config){.data = NULL, .strategy = s, .mode = RL_MODE_SERIAL,
                           .opts = rl_billing_opts_default()};
}

static void park_merchant(void *gate, rl_merchant *m, size_t bill) {
    (void)bill;
    rl_lockstep_park(gate, m->index);
}

static void faulty_step(void *ctx, rl_merchant *m, size_t bill) {
    fault *f = ctx;
    if (m->index == f->cfg->kill_merchant && bill == f->cfg->kill_bill)
        f->result = rl_bank_terminate(m->bank);
    if (f->inner.fn)
        f->inner.fn(f->inner.ctx, m, bill);
    else if (f->delay_ns)
        rl_sleep_ns(f->delay_ns);
}

static void cleanup(run_state *st) {
    if (st->billing_ready && st->billing.strategy->teardown)
        st->billing.strategy->teardown(&st->billing);
    rl_lockstep_end(st->gate);
    for (size_t m = 0; st->workers && m < st->nworkers; m++)
        rl_bank_destroy(st->workers[m].m.bank);
    rl_bank_destroy(st->bank);
    free(st->accts);
    free(st->bill_accts);
    free(st->bill_customers);
    free(st->bill_outcomes);
    free(st->workers);
    free(st->expected);
}

static void merchant_thread(void *arg) {
    worker *w = arg;
    if (w->gate)
        rl_lockstep_enter(w->gate, w->m.index);
    (void)rl_merchant_bill_cycle(&w->m);
    if (w->gate)
        rl_lockstep_leave(w->gate, w->m.index);
    rl_waitgroup_done(w->wg);
}

/* Starts every merchant and waits. Returns RL_ESYS with nothing billed by
 * this call's own failure if a thread cannot start; merchants already
 * started finish their cycles first. */
static rl_err run_concurrent(run_state *st, size_t n, char *why, size_t why_len) {
    rl_waitgroup wg;
    rl_err e = rl_waitgroup_init(&wg, "merchants");
    if (e != RL_OK)
        return e;
    size_t started = 0;
    rl_waitgroup_add(&wg, (long)n);
    for (; started < n; started++) {
        worker *w = &st->workers[started];
        w->wg = &wg;
        w->gate = st->gate;
        e = rl_thread_create(&w->thread, w->m.spec->name, merchant_thread, w);
        if (e != RL_OK) {
            WHY("could not start the thread of merchant '%s'", w->m.spec->name);
            rl_waitgroup_add(&wg, -(long)(n - started));
            for (size_t i = started; st->gate && i < n; i++)
                rl_lockstep_leave(st->gate, i); /* never started: not running */
            break;
        }
    }
    rl_waitgroup_wait(&wg);
    for (size_t i = 0; i < started; i++)
        rl_thread_join(&st->workers[i].thread);
    rl_waitgroup_destroy(&wg);
    return e;
}

static rl_err prepare(const rl_run_config *cfg, const rl_dataset *d, run_state *st, char *why,
                      size_t why_len) {
    rl_err e = rl_dataset_validate(d, why, why_len);
    if (e != RL_OK)
        return e;
    size_t nc = d->ncustomers, nm = d->nmerchants, nbills = 0;
    for (size_t m = 0; m < nm; m++)
        nbills += d->merchants[m].nbills;
    st->accts = calloc(nc, sizeof *st->accts);
    st->expected = calloc(nc, sizeof *st->expected);
    st->bill_accts = calloc(nbills, sizeof *st->bill_accts);
    st->bill_customers = calloc(nbills, sizeof *st->bill_customers);
    st->bill_outcomes = calloc(nbills, sizeof *st->bill_outcomes);
    st->workers = calloc(nm, sizeof *st->workers);
    st->nbills = nbills;
    if (!st->accts || !st->expected || !st->bill_accts || !st->bill_customers ||
        !st->bill_outcomes || !st->workers)
        return RL_ENOMEM;
    e = rl_dataset_expected(d, st->expected);
    if (e != RL_OK) {
        WHY("the expected balances do not fit: %s", rl_strerror(e));
        return e;
    }
    unsigned flags = RL_BANK_RESET | RL_BANK_SCRATCH | cfg->strategy->bank_flags |
                     (cfg->replace_bank ? RL_BANK_FORCE : 0u);
    if ((e = rl_bank_create_url(cfg->bank, flags, nc, &st->bank, why, why_len)) != RL_OK)
        return e;
    if ((e = rl_bank_open_all(st->bank, d->customers, nc, st->accts)) != RL_OK) {
        WHY("could not open the accounts: %s%s%s", rl_strerror(e),
            *rl_bank_errmsg(st->bank) ? ": " : "", rl_bank_errmsg(st->bank));
        return e;
    }
    if (cfg->lockstep && (e = rl_lockstep_begin(nm, &st->gate)) != RL_OK) {
        WHY("could not install the lockstep gate: %s", rl_strerror(e));
        return e;
    }
    st->billing = (rl_billing){.strategy = cfg->strategy, .bank = st->bank, .data = d,
                               .opts = cfg->opts, .accts = st->accts};
    if (st->gate) {
        /* parked between its read and its write, and again after its
         * write: every merchant's reads of a round come after every
         * merchant's writes of the round before, whatever the order the
         * threads run in once released */
        st->billing.opts.pause = (rl_pause){.fn = park_merchant, .ctx = st->gate};
        st->billing.opts.settle = (rl_pause){.fn = park_merchant, .ctx = st->gate};
    }
    if (cfg->kill_session) {
        if (!st->bank->ops->terminate) {
            WHY("--kill-session needs a database server: a %s bank has no sessions to end",
                rl_bank_kind(st->bank));
            return RL_ENOTSUP;
        }
        if (cfg->kill_merchant >= nm || cfg->kill_bill >= d->merchants[cfg->kill_merchant].nbills) {
            WHY("there is no bill %zu of merchant %zu to kill the session at", cfg->kill_bill + 1,
                cfg->kill_merchant + 1);
            return RL_EINVAL;
        }
        /* the jitter of the slow step is dropped on this path: a fault run
         * is about what is applied, not about timing */
        st->fault = (fault){.cfg = cfg, .inner = st->billing.opts.pause,
                            .delay_ns = cfg->opts.delay_ns, .result = RL_ENOTSUP};
        st->billing.opts.pause = (rl_pause){.fn = faulty_step, .ctx = &st->fault};
    }
    if (cfg->strategy->setup && (e = cfg->strategy->setup(&st->billing)) != RL_OK) {
        WHY("strategy '%s' could not set up: %s", cfg->strategy->name, rl_strerror(e));
        return e;
    }
    st->billing_ready = true;
    /* each merchant its own connection, as on a database: made at once */
    const char **names = calloc(nm, sizeof *names);
    rl_bank **conns = calloc(nm, sizeof *conns);
    if (!names || !conns) {
        free(names);
        free(conns);
        return RL_ENOMEM;
    }
    for (size_t m = 0; m < nm; m++)
        names[m] = d->merchants[m].name;
    e = rl_bank_connect_all(st->bank, names, nm, conns);
    free(names);
    if (e != RL_OK) {
        WHY("could not connect the merchants to the bank: %s%s%s", rl_strerror(e),
            *rl_bank_errmsg(st->bank) ? ": " : "", rl_bank_errmsg(st->bank));
        free(conns);
        return e;
    }
    size_t at = 0;
    for (size_t m = 0; m < nm; m++) {
        const rl_merchant_spec *ms = &d->merchants[m];
        for (size_t b = 0; b < ms->nbills; b++) {
            /* the bank's index resolves names; customers were opened in
             * data-set order, so a handle is also the customer's index */
            rl_acct a;
            if ((e = rl_bank_lookup(st->bank, ms->bills[b].customer, &a)) != RL_OK)
                break;
            st->bill_customers[at + b] = a;
            st->bill_accts[at + b] = a;
        }
        if (e != RL_OK) { /* the connections not handed to a worker go */
            for (size_t k = m; k < nm; k++)
                rl_bank_destroy(conns[k]);
            free(conns);
            return e;
        }
        st->workers[m].m = rl_merchant_make(&st->billing, ms, m, conns[m], &st->bill_accts[at],
                                            &st->bill_customers[at]);
        st->workers[m].m.outcomes = &st->bill_outcomes[at];
        st->nworkers = m + 1;
        at += ms->nbills;
    }
    free(conns);
    return RL_OK;
}

/* final == start + applied + some subset of the unknown bills, for every
 * customer (a subset search over at most 12 unknown bills per customer;
 * beyond that it cannot tell, and says not consistent). */
static bool consistent(const rl_run_result *r) {
    for (size_t c = 0; c < r->ncustomers; c++) {
        rl_money base = r->rows[c].start, maybe[12];
        size_t k = 0;
        for (size_t i = 0; i < r->nbills; i++) {
            if (strcmp(r->bills[i].customer, r->rows[c].customer) != 0)
                continue;
            if (r->bills[i].outcome == RL_OK) {
                base += r->bills[i].amount;
            } else if (r->bills[i].outcome == RL_EUNKNOWN) {
                if (k == 12)
                    return false;
                maybe[k++] = r->bills[i].amount;
            }
        }
        bool found = false;
        for (unsigned set = 0; !found && set < (1u << k); set++) {
            rl_money sum = base;
            for (size_t j = 0; j < k; j++)
                if (set & (1u << j))
                    sum += maybe[j];
            found = sum == r->rows[c].final;
        }
        if (!found)
            return false;
    }
    return true;
}

static rl_err collect(run_state *st, const rl_dataset *d, rl_run_result *out) {
    size_t nc = d->ncustomers, n;
    rl_balance *snap = calloc(nc, sizeof *snap);
    out->rows = calloc(nc, sizeof *out->rows);
    rl_err e = (!snap || !out->rows) ? RL_ENOMEM : rl_bank_snapshot(st->bank, snap, nc, &n);
    if (e != RL_OK) {
        free(snap);
        free(out->rows);
        out->rows = NULL;
        return e;
    }
    out->ncustomers = nc;
    out->matches = true;
    for (size_t c = 0; c < nc; c++) {
        out->rows[c] = (rl_run_row){.customer = d->customers[c].name,
                                    .start = d->customers[c].start,
                                    .expected = st->expected[c],
                                    .final = snap[st->accts[c]].balance};
        out->matches &= out->rows[c].final == out->rows[c].expected;
    }
    free(snap);
    out->lost_updates = rl_bank_lost_updates(st->bank);
    out->first_error = RL_OK;
    out->bank_kind = rl_bank_kind(st->bank);
    const rl_strategy *s = st->billing.strategy;
    const char *note = s->holds_lock_in_slow_step ? rl_bank_lock_note(st->bank, s->lock) : NULL;
    snprintf(out->note, sizeof out->note, "%s", note ? note : "");
    out->bills = calloc(st->nbills ? st->nbills : 1, sizeof *out->bills);
    if (!out->bills) {
        free(out->rows);
        out->rows = NULL;
        return RL_ENOMEM;
    }
    out->nbills = st->nbills;
    for (size_t m = 0, at = 0; m < d->nmerchants; m++) {
        const rl_merchant_spec *ms = &d->merchants[m];
        for (size_t b = 0; b < ms->nbills; b++, at++) {
            rl_err o = st->bill_outcomes[at];
            out->bills[at] = (rl_run_bill){.merchant = ms->name, .customer = ms->bills[b].customer,
                                           .amount = ms->bills[b].amount, .outcome = o};
            out->lost_connection += o == RL_ECONN;
            out->unknown += o == RL_EUNKNOWN;
        }
    }
    out->consistent = consistent(out);
    for (size_t m = 0; m < d->nmerchants; m++) {
        const rl_merchant *mm = &st->workers[m].m;
        out->retries += mm->stats.retries;
        out->aborts += mm->stats.aborts;
        out->billed += mm->stats.billed;
        out->failed += mm->stats.failed;
        if (mm->stats.failed && out->first_error == RL_OK) {
            out->first_error = mm->stats.first_error;
            out->error_merchant = mm->spec->name;
            out->error_customer = mm->spec->bills[mm->stats.first_error_bill].customer;
            memcpy(out->error_detail, mm->stats.first_error_detail, sizeof out->error_detail);
        }
    }
    return RL_OK;
}

rl_err rl_run(const rl_run_config *cfg, rl_run_result *out, char *why, size_t why_len) {
    if (!cfg || !out || !cfg->strategy || !cfg->strategy->ops) {
        WHY("no strategy given");
        return RL_EINVAL;
    }
    memset(out, 0, sizeof *out);
    if (cfg->mode != RL_MODE_SERIAL && cfg->mode != RL_MODE_CONCURRENT) {
        WHY("unknown mode");
        return RL_EINVAL;
    }
    if (cfg->lockstep && cfg->mode != RL_MODE_CONCURRENT) {
        WHY("lockstep needs the concurrent mode: a serial run has nobody to wait for");
        return RL_EINVAL;
    }
    if (cfg->opts.jitter_pct > 100) {
        WHY("jitter must be between 0 and 100 %%");
        return RL_EINVAL;
    }
    const rl_dataset *d = cfg->data ? cfg->data : rl_dataset_default();
    run_state st = {0};
    rl_err e = prepare(cfg, d, &st, why, why_len);
    if (e == RL_OK) {
        uint64_t t0 = rl_now_ns();
        if (cfg->mode == RL_MODE_SERIAL) {
            for (size_t m = 0; m < d->nmerchants; m++)
                (void)rl_merchant_bill_cycle(&st.workers[m].m);
        } else {
            e = run_concurrent(&st, d->nmerchants, why, why_len);
        }
        out->wall_ns = rl_now_ns() - t0;
    }
    if (e == RL_OK && cfg->kill_session && st.fault.result != RL_OK) {
        WHY("the session of merchant '%s' could not be terminated (%s): %s",
            d->merchants[cfg->kill_merchant].name, rl_strerror(st.fault.result),
            st.fault.result == RL_ENOTSUP ? "only a PostgreSQL bank has server sessions"
                                          : rl_bank_errmsg(st.bank));
        e = st.fault.result;
    }
    if (e == RL_OK)
        e = collect(&st, d, out);
    cleanup(&st);
    if (e != RL_OK)
        rl_run_result_free(out);
    return e;
}

void rl_run_result_free(rl_run_result *r) {
    if (!r)
        return;
    free(r->rows);
    free(r->bills);
    memset(r, 0, sizeof *r);
}

/* throughput.c - the throughput benchmark (see racelab/bench.h), in
 * memory or in a database.
 *
 * The strategies run their own code: each thread is a merchant whose bill
 * list is a window of bills over its pool (4096 in memory, 128 in a
 * database, where a window takes longer), and it calls the strategy's
 * bill_cycle window after window until the time is up. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/rng.h"
#include "bench_impl.h"
#include "racelab/bench.h"
#include "racelab/dbbank.h"
#include "../util/words.h"

#define WINDOW_MEMORY 4096u
#define WINDOW_DB 128u
#define POOL_WINDOWS 256u /* a pool is this many windows, reused round and round */

#define WHY(...) (why ? (void)snprintf(why, why_len, __VA_ARGS__) : (void)0)

static const unsigned default_threads[] = {1, 2};

rl_throughput_opts rl_throughput_opts_default(void) {
    return (rl_throughput_opts){.threads = default_threads, .nthreads = 2, .accounts = 1000000,
                                .skew = RL_SKEW_UNIFORM, .duration_ns = 1000000000u, .seed = 1};
}

const char *rl_skew_name(rl_skew s) { return s == RL_SKEW_ZIPF ? "zipf" : "uniform"; }

void rl_throughput_result_free(rl_throughput_result *r) {
    if (!r)
        return;
    free(r->rows);
    memset(r, 0, sizeof *r);
}

/* One thread's bills, in the three shapes a merchant needs. */
typedef struct {
    rl_bill *bills;
    rl_acct *accts;
    size_t *customers;
} pool;

typedef struct bench {
    const rl_throughput_opts *o;
    size_t n;
    rl_customer *customers;
    char *names;
    rl_money *start;    /* the balances as the bank holds them before a row */
    rl_money *expected;
    rl_acct *handles;   /* 0 .. n-1 */
    rl_bank *bank;
    bool in_memory;        /* the memory bank: the flat references apply */
    size_t window, pool;   /* bills per cycle, per pool */
    rl_balance *snap;      /* snapshot buffer */
    _Atomic int64_t *flat; /* the references' balances */
    unsigned maxthreads;
    pool *pools;
    rl_merchant_spec *specs; /* one per thread, for the strategies' set-up */
    char merchant_names[64][16];
    double plain_rate[64];
    double ref_rate[65]; /* pgbench by client count, 0 when not measured */
    double serial_rate;
} bench;

/* ---- data ---- */

static rl_err make_accounts(bench *b) {
    size_t n = b->n;
    b->customers = calloc(n, sizeof *b->customers);
    b->names = malloc(n * 16);
    b->start = calloc(n, sizeof *b->start);
    b->expected = calloc(n, sizeof *b->expected);
    b->handles = calloc(n, sizeof *b->handles);
    b->flat = calloc(n, sizeof *b->flat);
    b->snap = calloc(n, sizeof *b->snap);
    if (!b->customers || !b->names || !b->start || !b->expected || !b->handles || !b->flat ||
        !b->snap)
        return RL_ENOMEM;
    uint64_t rng = b->o->seed ^ 0x5eed;
    for (size_t i = 0; i < n; i++) {
        snprintf(b->names + i * 16, 16, "c%u", (unsigned)(i + 1));
        b->customers[i] = (rl_customer){b->names + i * 16, (rl_money)rl__rng_below(&rng, 10000)};
    }
    return RL_OK;
}

/* Zipf(0.99) by inversion of its cumulative distribution. */
static double *zipf_cdf(size_t n) {
    double *cdf = malloc(n * sizeof *cdf), sum = 0;
    if (!cdf)
        return NULL;
    for (size_t i = 0; i < n; i++)
        cdf[i] = sum += 1.0 / pow((double)(i + 1), 0.99);
    for (size_t i = 0; i < n; i++)
        cdf[i] /= sum;
    return cdf;
}

static size_t zipf_draw(const double *cdf, size_t n, uint64_t *rng) {
    double u = (double)(rl__rng_next(rng) >> 11) / 9007199254740992.0;
    size_t lo = 0, hi = n - 1;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cdf[mid] < u)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static rl_err make_pools(bench *b) {
    b->pools = calloc(b->maxthreads, sizeof *b->pools);
    b->specs = calloc(b->maxthreads, sizeof *b->specs);
    if (!b->pools || !b->specs)
        return RL_ENOMEM;
    double *cdf = b->o->skew == RL_SKEW_ZIPF ? zipf_cdf(b->n) : NULL;
    if (b->o->skew == RL_SKEW_ZIPF && !cdf)
        return RL_ENOMEM;
    rl_err e = RL_OK;
    for (unsigned t = 0; e == RL_OK && t < b->maxthreads; t++) {
        pool *p = &b->pools[t];
        p->bills = malloc(b->pool * sizeof *p->bills);
        p->accts = malloc(b->pool * sizeof *p->accts);
        p->customers = malloc(b->pool * sizeof *p->customers);
        if (!p->bills || !p->accts || !p->customers) {
            e = RL_ENOMEM;
            break;
        }
        uint64_t rng = b->o->seed * 0x9e3779b97f4a7c15u + t;
        for (size_t i = 0; i < b->pool; i++) {
            size_t c = cdf ? zipf_draw(cdf, b->n, &rng) : rl__rng_below(&rng, b->n);
            p->bills[i] = (rl_bill){b->customers[c].name,
                                    (rl_money)rl__rng_below(&rng, 2001) - 1000};
            p->accts[i] = (rl_acct)c;
            p->customers[i] = c;
        }
        snprintf(b->merchant_names[t], sizeof b->merchant_names[t], "m%u", t + 1);
        b->specs[t] = (rl_merchant_spec){b->merchant_names[t], p->bills, b->window};
    }
    free(cdf);
    return e;
}

/* The expected balances after each thread applied its first applied[t]
 * bills (its pool, round and round). */
static void expect(bench *b, const rl_money *before, unsigned threads, const uint64_t *applied) {
    memcpy(b->expected, before, b->n * sizeof *before);
    for (unsigned t = 0; t < threads; t++)
        for (uint64_t k = 0; k < applied[t]; k++) {
            size_t i = k % b->pool;
            b->expected[b->pools[t].accts[i]] += b->pools[t].bills[i].amount;
        }
}

/* ---- the runs ---- */

/* Everybody starts at once; a failed start cancels the run. */
typedef struct {
    rl_mutex mu;
    rl_cond opened;
    bool open, cancelled;
} gate;

/* Returns false when the run was cancelled. */
static bool gate_wait(gate *g) {
    rl_mutex_lock(&g->mu);
    while (!g->open)
        rl_cond_wait(&g->opened, &g->mu);
    bool go = !g->cancelled;
    rl_mutex_unlock(&g->mu);
    return go;
}

static void gate_open(gate *g, bool cancelled) {
    rl_mutex_lock(&g->mu);
    g->open = true;
    g->cancelled = cancelled;
    rl_cond_broadcast(&g->opened);
    rl_mutex_unlock(&g->mu);
}

typedef struct worker {
    bench *b;
    unsigned index;
    gate *go;
    uint64_t deadline;
    uint64_t applied;
    rl_thread thread;
    rl_merchant m;  /* strategies */
    rl_merchant_spec window;
} worker;

static void reference_thread(void *arg) {
    worker *w = arg;
    const pool *p = &w->b->pools[w->index];
    _Atomic int64_t *flat = w->b->flat;
    if (!gate_wait(w->go))
        return;
    uint64_t done = 0;
    size_t off = 0;
    do {
        for (size_t i = off; i < off + w->b->window; i++) {
            /* a read and a write, each atomic, not atomic together: the
             * unsynchronized update, free of data races. Relaxed: the
             * reference orders nothing between workers (the cost of that
             * is what it measures); the gate orders the start balances
             * before, and the join the final ones after */
            int64_t v = atomic_load_explicit(&flat[p->accts[i]], memory_order_relaxed);
            atomic_store_explicit(&flat[p->accts[i]], v + p->bills[i].amount,
                                  memory_order_relaxed);
        }
        done += w->b->window;
        off = (off + w->b->window) % w->b->pool;
    } while (rl_now_ns() < w->deadline);
    w->applied = done;
}

static void strategy_thread(void *arg) {
    worker *w = arg;
    const pool *p = &w->b->pools[w->index];
    if (!gate_wait(w->go))
        return;
    size_t off = 0;
    do {
        w->window.bills = p->bills + off;
        w->m.accts = p->accts + off;
        w->m.customers = p->customers + off;
        (void)rl_merchant_bill_cycle(&w->m);
        off = (off + w->b->window) % w->b->pool;
    } while (rl_now_ns() < w->deadline);
    w->applied = w->m.stats.billed + w->m.stats.failed;
}

/* Start `threads` workers running fn, release them together, time them. */
static rl_err race(bench *b, unsigned threads, worker *ws, rl_thread_fn fn, uint64_t *elapsed) {
    gate g = {0};
    rl_err e = rl_mutex_init(&g.mu, "go");
    if (e != RL_OK)
        return e;
    if ((e = rl_cond_init(&g.opened, "go")) != RL_OK) {
        rl_mutex_destroy(&g.mu);
        return e;
    }
    unsigned started = 0;
    for (; started < threads; started++) {
        ws[started].go = &g;
        if ((e = rl_thread_create(&ws[started].thread, "bench", fn, &ws[started])) != RL_OK)
            break;
    }
    uint64_t t0 = rl_now_ns();
    for (unsigned i = 0; i < started; i++)
        ws[i].deadline = t0 + b->o->duration_ns;
    gate_open(&g, e != RL_OK);
    for (unsigned i = 0; i < started; i++)
        rl_thread_join(&ws[i].thread);
    *elapsed = rl_now_ns() - t0;
    rl_cond_destroy(&g.opened);
    rl_mutex_destroy(&g.mu);
    return e;
}

static void judge(rl_throughput_row *row, bench *b, unsigned threads, const uint64_t *applied,
                  const rl_money *before, const rl_money *after, uint64_t elapsed) {
    expect(b, before, threads, applied);
    row->wrong_accounts = 0;
    for (size_t i = 0; i < b->n; i++)
        row->wrong_accounts += after[i] != b->expected[i];
    row->bills = 0;
    for (unsigned t = 0; t < threads; t++)
        row->bills += applied[t];
    row->complete = row->refused == 0;
    row->correct = row->complete && row->wrong_accounts == 0;
    row->elapsed_ns = elapsed;
    row->per_second = (double)row->bills / ((double)elapsed / 1e9);
}

static rl_err run_reference(bench *b, const char *name, unsigned threads, rl_throughput_row *row) {
    for (size_t i = 0; i < b->n; i++) {
        /* relaxed: before the workers start, which orders it */
        atomic_store_explicit(&b->flat[i], b->customers[i].start, memory_order_relaxed);
        b->start[i] = b->customers[i].start;
    }
    worker *ws = calloc(threads, sizeof *ws);
    uint64_t *applied = calloc(threads, sizeof *applied);
    rl_money *after = malloc(b->n * sizeof *after);
    rl_err e = (!ws || !applied || !after) ? RL_ENOMEM : RL_OK;
    uint64_t elapsed = 0;
    for (unsigned t = 0; e == RL_OK && t < threads; t++)
        ws[t] = (worker){.b = b, .index = t};
    if (e == RL_OK)
        e = race(b, threads, ws, reference_thread, &elapsed);
    if (e == RL_OK) {
        for (unsigned t = 0; t < threads; t++)
            applied[t] = ws[t].applied;
        for (size_t i = 0; i < b->n; i++)
            after[i] = atomic_load_explicit(&b->flat[i], memory_order_relaxed); /* joined */
        *row = (rl_throughput_row){.threads = threads, .reference = true,
                                   .promises = threads == 1};
        snprintf(row->name, sizeof row->name, "%s", name);
        judge(row, b, threads, applied, b->start, after, elapsed);
    }
    free(ws);
    free(applied);
    free(after);
    return e;
}

static rl_err snapshot(bench *b, rl_money *out) {
    size_t n;
    rl_err e = rl_bank_snapshot(b->bank, b->snap, b->n, &n);
    for (size_t i = 0; e == RL_OK && i < b->n; i++)
        out[i] = b->snap[b->handles[i]].balance;
    return e;
}

static rl_err run_strategy(bench *b, const rl_strategy *s, unsigned threads,
                           rl_throughput_row *row, char *why, size_t why_len) {
    rl_dataset data = {b->customers, b->n, b->specs, threads};
    rl_billing billing = {.strategy = s, .bank = b->bank, .data = &data,
                          .opts = rl_billing_opts_default(), .accts = b->handles};
    billing.opts.delay_ns = 0;
    billing.opts.max_retries = 1000000; /* practically never refuse: keeps the check exact */
    worker *ws = calloc(threads, sizeof *ws);
    uint64_t *applied = calloc(threads, sizeof *applied);
    rl_money *after = malloc(b->n * sizeof *after);
    rl_err e = (!ws || !applied || !after) ? RL_ENOMEM : snapshot(b, b->start);
    uint64_t before_lost = rl_bank_lost_updates(b->bank), elapsed = 0;
    bool ready = false;
    if (e == RL_OK && s->setup && (e = s->setup(&billing)) != RL_OK)
        WHY("strategy %s could not set up: %s", s->name, rl_strerror(e));
    ready = e == RL_OK;
    for (unsigned t = 0; e == RL_OK && t < threads; t++) {
        ws[t] = (worker){.b = b, .index = t};
        ws[t].window = (rl_merchant_spec){b->specs[t].name, NULL, b->window};
        ws[t].m = rl_merchant_make(&billing, &ws[t].window, t, NULL, NULL, NULL);
        /* each merchant its own connection: it runs its own transactions */
        e = rl_bank_connect(b->bank, b->specs[t].name, &ws[t].m.bank);
    }
    if (e == RL_OK)
        e = race(b, threads, ws, strategy_thread, &elapsed);
    for (unsigned t = 0; ws && t < threads; t++)
        rl_bank_destroy(ws[t].m.bank);
    if (ready && s->teardown)
        s->teardown(&billing);
    if (e == RL_OK)
        e = snapshot(b, after);
    if (e == RL_OK) {
        *row = (rl_throughput_row){.threads = threads, .promises = s->correct};
        snprintf(row->name, sizeof row->name, "%s", s->name);
        for (unsigned t = 0; t < threads; t++) {
            applied[t] = ws[t].applied;
            row->refused += ws[t].m.stats.failed;
        }
        row->lost_updates = rl_bank_lost_updates(b->bank) - before_lost;
        judge(row, b, threads, applied, b->start, after, elapsed);
    }
    free(ws);
    free(applied);
    free(after);
    return e;
}

static void bench_free(bench *b) {
    rl_bank_destroy(b->bank);
    for (unsigned t = 0; b->pools && t < b->maxthreads; t++) {
        free(b->pools[t].bills);
        free(b->pools[t].accts);
        free(b->pools[t].customers);
    }
    free(b->pools);
    free(b->specs);
    free(b->customers);
    free(b->names);
    free(b->start);
    free(b->expected);
    free(b->handles);
    free(b->flat);
    free(b->snap);
}

/* The pgbench reference at t clients, as a row (PostgreSQL only). */
static rl_err run_pgbench(bench *b, unsigned t, rl_throughput_row *row, char *why,
                          size_t why_len) {
    double tps = 0;
    uint64_t elapsed = 0;
    rl_err e = rl__pgbench(b->o->pgbench, b->o->bank, t, b->o->duration_ns, b->n, &tps, &elapsed,
                           why, why_len);
    if (e != RL_OK)
        return e;
    *row = (rl_throughput_row){.threads = t, .reference = true, .external = true,
                               .bills = (uint64_t)(tps * (double)elapsed / 1e9),
                               .elapsed_ns = elapsed, .per_second = tps};
    snprintf(row->name, sizeof row->name, "pgbench");
    b->ref_rate[t] = tps;
    return RL_OK;
}

rl_err rl_bench_throughput(const rl_throughput_opts *o, rl_throughput_result *out, char *why,
                           size_t why_len) {
    if (out)
        memset(out, 0, sizeof *out);
    if (!o || !out || !o->threads || o->nthreads == 0 || o->accounts == 0 ||
        o->accounts > UINT32_MAX || o->duration_ns == 0) {
        WHY("threads, accounts and the duration must be given and positive");
        return RL_EINVAL;
    }
    rl_bank_backend backend;
    rl_err e = rl_bank_url_parse(o->bank ? o->bank : "memory", &backend, NULL, why, why_len);
    if (e != RL_OK)
        return e;
    bench b = {.o = o, .n = o->accounts, .in_memory = backend == RL_BACKEND_MEMORY};
    b.window = o->window ? o->window : b.in_memory ? WINDOW_MEMORY : WINDOW_DB;
    b.pool = b.window * POOL_WINDOWS;
    bool pgbench = backend == RL_BACKEND_POSTGRESQL && o->pgbench;
    for (size_t i = 0; i < o->nthreads; i++) {
        if (o->threads[i] == 0 || o->threads[i] > 64) {
            WHY("thread counts go from 1 to 64");
            return RL_EINVAL;
        }
        if (o->threads[i] > b.maxthreads)
            b.maxthreads = o->threads[i];
    }
    size_t nstrat = o->strategies ? o->nstrategies : rl_strategy_count();
    out->rows = calloc(1 + o->nthreads * (nstrat + 1), sizeof *out->rows);
    e = out->rows ? make_accounts(&b) : RL_ENOMEM;
    if (e == RL_OK)
        e = make_pools(&b);
    if (e == RL_OK) {
        uint64_t t0 = rl_now_ns();
        e = rl_bank_create_url(o->bank,
                               RL_BANK_RESET | RL_BANK_SCRATCH |
                                   (o->replace_bank ? RL_BANK_FORCE : 0u),
                               b.n, &b.bank, why, why_len);
        if (e == RL_OK && (e = rl_bank_open_all(b.bank, b.customers, b.n, b.handles)) != RL_OK)
            WHY("could not open the accounts: %s", rl_bank_errmsg(b.bank));
        out->setup_ns = rl_now_ns() - t0;
        out->bank_bytes = rl_bank_memory_bytes(b.bank);
        out->bank_kind = b.bank ? rl_bank_kind(b.bank) : "?";
    }
    out->accounts = b.n;
    out->skew = o->skew;
    out->duration_ns = o->duration_ns;
    out->seed = o->seed;
    out->best = -1;
    /* in memory, the single-thread loop on a flat array: the baseline */
    if (e == RL_OK && b.in_memory &&
        (e = run_reference(&b, "serial", 1, &out->rows[0])) == RL_OK) {
        out->nrows = 1;
        b.serial_rate = out->rows[0].per_second;
    }
    unsigned most = 0;
    size_t at = 0, rows = o->nthreads * (nstrat + 1);
    for (size_t k = 0; e == RL_OK && k < o->nthreads; k++) {
        unsigned t = o->threads[k];
        most = t > most ? t : most;
        rl_throughput_row *ref = &out->rows[out->nrows];
        char label[64];
        snprintf(label, sizeof label, "%s at %u thread%s", b.in_memory ? "plain" : "pgbench", t,
                 rl__plural(t));
        if (o->row_progress && (b.in_memory || pgbench))
            o->row_progress(o->progress_ctx, label, at, rows);
        at++;
        if (b.in_memory) {
            if ((e = run_reference(&b, "plain", t, ref)) != RL_OK)
                break;
            ref->promises = false;
            out->nrows++;
            b.plain_rate[t - 1] = ref->per_second;
        } else if (pgbench) {
            if ((e = run_pgbench(&b, t, ref, why, why_len)) != RL_OK)
                break;
            out->nrows++;
        }
        for (size_t i = 0; e == RL_OK && i < nstrat; i++) {
            const rl_strategy *s = o->strategies ? o->strategies[i] : rl_strategy_at(i);
            snprintf(label, sizeof label, "%s at %u thread%s", s->name, t, rl__plural(t));
            if (o->row_progress)
                o->row_progress(o->progress_ctx, label, at, rows);
            at++;
            if ((e = run_strategy(&b, s, t, &out->rows[out->nrows], why, why_len)) == RL_OK)
                out->nrows++;
        }
    }
    for (size_t i = 0; i < out->nrows; i++) {
        rl_throughput_row *row = &out->rows[i];
        double plain = b.plain_rate[row->threads - 1], ref = b.ref_rate[row->threads];
        row->x_plain = plain > 0 ? row->per_second / plain : NAN; /* no plain row at this count */
        row->x_serial = b.serial_rate > 0 ? row->per_second / b.serial_rate : NAN;
        row->x_ref = ref > 0 ? row->per_second / ref : NAN;
        if (!row->reference && row->correct && row->threads == most &&
            (out->best < 0 || row->per_second > out->rows[out->best].per_second))
            out->best = (long)i;
    }
    bench_free(&b);
    if (e != RL_OK)
        rl_throughput_result_free(out);
    return e;
}

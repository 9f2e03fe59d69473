/* makespan.c - the makespan benchmark (see racelab/bench.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "racelab/bench.h"

#define WHY(...) (why ? (void)snprintf(why, why_len, __VA_ARGS__) : (void)0)

rl_makespan_opts rl_makespan_opts_default(void) {
    return (rl_makespan_opts){.merchants = 5, .customers = 5, .delay_ns = 10000000, .seed = 1};
}

void rl_makespan_result_free(rl_makespan_result *r) {
    if (!r)
        return;
    free(r->rows);
    memset(r, 0, sizeof *r);
}

static rl_err measure(const rl_makespan_opts *o, const rl_dataset *d, const rl_strategy *s,
                      rl_mode mode, uint64_t delay, const rl_makespan_result *res,
                      rl_makespan_row *row, char *why, size_t why_len) {
    rl_run_config cfg = rl_run_config_default(s);
    cfg.data = d;
    cfg.bank = o->bank;
    cfg.replace_bank = o->replace_bank;
    cfg.mode = mode;
    cfg.opts.delay_ns = delay;
    cfg.opts.jitter_pct = 0;
    rl_run_result r;
    rl_err e = rl_run(&cfg, &r, why, why_len);
    if (e != RL_OK)
        return e;
    snprintf(row->name, sizeof row->name, "%s", mode == RL_MODE_SERIAL ? "serial" : s->name);
    row->promises = mode == RL_MODE_SERIAL || s->correct;
    row->correct = r.matches && r.failed == 0;
    row->holds_lock = mode == RL_MODE_CONCURRENT && s->holds_lock_in_slow_step;
    row->wall_ns = r.wall_ns;
    row->lost_updates = r.lost_updates;
    row->retries = r.retries;
    row->x_serial = (double)r.wall_ns / (double)res->serial_bound_ns;
    row->x_lock_bound = (double)r.wall_ns / (double)res->lock_bound_ns;
    row->x_free_bound = (double)r.wall_ns / (double)res->free_bound_ns;
    rl_run_result_free(&r);
    return RL_OK;
}

rl_err rl_bench_makespan(const rl_makespan_opts *o, rl_makespan_result *out, char *why,
                         size_t why_len) {
    if (out)
        memset(out, 0, sizeof *out);
    if (!o || !out || o->merchants == 0 || o->customers == 0 || o->delay_ns == 0) {
        WHY("merchants, customers and the delay must be positive");
        return RL_EINVAL;
    }
    size_t n = o->strategies ? o->nstrategies : rl_strategy_count();
    rl_dataset *d;
    rl_err e = rl_dataset_generate(o->merchants, o->customers, o->seed, &d);
    if (e != RL_OK) {
        WHY("could not generate %zu merchants x %zu customers", o->merchants, o->customers);
        return e;
    }
    out->rows = calloc(n + 1, sizeof *out->rows);
    if (!out->rows) {
        rl_dataset_free(d);
        return RL_ENOMEM;
    }
    size_t big = o->merchants > o->customers ? o->merchants : o->customers;
    out->merchants = o->merchants;
    out->customers = o->customers;
    out->delay_ns = o->delay_ns;
    out->seed = o->seed;
    out->serial_bound_ns = o->merchants * o->customers * o->delay_ns;
    out->lock_bound_ns = big * o->delay_ns;
    out->free_bound_ns = o->customers * o->delay_ns;
    out->best_lock = out->best_overall = -1;
    /* the serial run: the naive code, one merchant after another */
    if (o->row_progress)
        o->row_progress(o->progress_ctx, "serial", 0, n + 1);
    e = measure(o, d, rl_strategy_find("racy"), RL_MODE_SERIAL, o->delay_ns, out, &out->rows[0], why,
                why_len);
    out->nrows = e == RL_OK ? 1 : 0;
    for (size_t i = 0; e == RL_OK && i < n; i++) {
        const rl_strategy *s = o->strategies ? o->strategies[i] : rl_strategy_at(i);
        if (o->row_progress)
            o->row_progress(o->progress_ctx, s->name, i + 1, n + 1);
        e = measure(o, d, s, RL_MODE_CONCURRENT, o->delay_ns, out, &out->rows[out->nrows], why,
                    why_len);
        if (e == RL_OK)
            out->nrows++;
    }
    rl_dataset_free(d);
    if (e != RL_OK) {
        rl_makespan_result_free(out);
        return e;
    }
    for (size_t i = 0; i < out->nrows; i++) {
        const rl_makespan_row *row = &out->rows[i];
        if (!row->correct) /* a wrong result is never the best, however fast */
            continue;
        if (out->best_overall < 0 || row->wall_ns < out->rows[out->best_overall].wall_ns)
            out->best_overall = (long)i;
        if (row->holds_lock &&
            (out->best_lock < 0 || row->wall_ns < out->rows[out->best_lock].wall_ns))
            out->best_lock = (long)i;
    }
    return RL_OK;
}

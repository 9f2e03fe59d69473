/* merge.c - results read back from their JSON, and the parts of a split
 * search made one result (`racelab merge`, and -j's workers). */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "racelab/explore.h"
#include "../util/jsonread.h"

#define WHY(...) (void)snprintf(why, why_len, __VA_ARGS__)

static void copy_str(char *to, size_t cap, const char *from) {
    snprintf(to, cap, "%s", from ? from : "");
}

static bool kind_of(const char *name, rl_failure_kind *k) {
    for (int i = RL_FAIL_NONE; name && i <= RL_FAIL_RACE; i++)
        if (strcmp(rl_failure_kind_name((rl_failure_kind)i), name) == 0) {
            *k = (rl_failure_kind)i;
            return true;
        }
    return false;
}

static bool flag(const rl__jv *v, const char *key) {
    bool b = false;
    return rl__jv_bool(v, key, &b) && b;
}

static unsigned small(const rl__jv *v, const char *key) {
    uint64_t x = 0;
    return rl__jv_u64(v, key, &x) && x <= 0xffffffffu ? (unsigned)x : 0;
}

static rl_err counterexample(const rl__jv *v, bool program, rl_counterexample *c, char *why,
                             size_t why_len) {
    const rl__jv *trace = rl__jv_get(v, "trace");
    if (!kind_of(rl__jv_str(v, "kind"), &c->kind) || !rl__jv_str(v, "schedule") || !trace ||
        trace->type != RL_JV_ARRAY) {
        WHY("a failure without its kind, schedule or trace");
        return RL_EINVAL;
    }
    copy_str(c->message, sizeof c->message, rl__jv_str(v, "message"));
    c->schedule = strdup(rl__jv_str(v, "schedule"));
    c->steps = calloc(trace->n ? trace->n : 1, sizeof *c->steps);
    if (!c->schedule || !c->steps)
        return RL_ENOMEM;
    c->preemptions = small(v, "preemptions");
    c->deviations = small(v, "deviations");
    c->program = program;
    copy_str(c->outcome.state, sizeof c->outcome.state, rl__jv_str(v, "final_state"));
    copy_str(c->outcome.story, sizeof c->outcome.story,
             rl__jv_str(v, program ? "output" : "story"));
    for (size_t i = 0; i < trace->n; i++) {
        const rl__jv *e = &trace->items[i];
        rl_trace_step *s = &c->steps[c->nsteps++];
        s->index = small(e, "step");
        s->thread = small(e, "thread");
        copy_str(s->thread_name, sizeof s->thread_name, rl__jv_str(e, "thread_name"));
        copy_str(s->op, sizeof s->op, rl__jv_str(e, "op"));
        copy_str(s->object, sizeof s->object, rl__jv_str(e, "object"));
        const rl__jv *value = rl__jv_get(e, "value");
        if (value && value->type == RL_JV_NUMBER) {
            s->has_value = true;
            s->value = strtoll(value->s, NULL, 10);
        }
        copy_str(s->where, sizeof s->where, rl__jv_str(e, "source"));
        copy_str(s->note, sizeof s->note, rl__jv_str(e, "note"));
        s->marks = (flag(e, "preempts") ? RL_MARK_PREEMPT : 0) |
                   (flag(e, "lost_update") ? RL_MARK_LOST : 0) |
                   (flag(e, "error") ? RL_MARK_ERROR : 0) |
                   (flag(e, "stuck") ? RL_MARK_BLOCKED : 0) |
                   (flag(e, "data_race") ? RL_MARK_RACE : 0) |
                   (flag(e, "refused") ? RL_MARK_REFUSED : 0);
        s->overwrote = small(e, "replaced_step");
    }
    return RL_OK;
}

static rl_err read_doc(const rl__jv *d, char *name, size_t name_len, rl_explore_opts *o,
                       rl_explore_result *r, unsigned *part, unsigned *parts, char *why,
                       size_t why_len) {
    const char *search = rl__jv_str(d, "search");
    const rl__jv *states = rl__jv_get(d, "final_states");
    if (!rl__jv_str(d, "target") || !search || !states || states->type != RL_JV_ARRAY ||
        !rl__jv_u64(d, "schedules", &r->schedules)) {
        WHY("not a result of racelab explore --json (no target, search, schedules or "
            "final_states)");
        return RL_EINVAL;
    }
    copy_str(name, name_len, rl__jv_str(d, "target"));
    *o = rl_explore_opts_default();
    o->search = strcmp(search, "pct") == 0      ? RL_SEARCH_PCT
                : strcmp(search, "delays") == 0 ? RL_SEARCH_DELAYS
                : strcmp(search, "replay") == 0 ? RL_SEARCH_REPLAY
                                                : RL_SEARCH_BOUNDED;
    const rl__jv *bound = rl__jv_get(d, "preemption_bound");
    if (bound && bound->type == RL_JV_NULL)
        o->preemptions = RL_PREEMPTIONS_ALL;
    else
        o->preemptions = small(d, "preemption_bound");
    o->delays = small(d, "delay_bound");
    o->depth = small(d, "depth");
    rl__jv_u64(d, "seed", &o->seed);
    rl__jv_u64(d, "iterations", &o->iterations);
    o->reduce = flag(d, "reduction");
    o->keep_going = flag(d, "keep_going");
    const rl__jv *p = rl__jv_get(d, "part");
    *part = p ? small(p, "index") : 0;
    *parts = p ? small(p, "of") : 0;

    r->search = o->search;
    r->bound = o->search == RL_SEARCH_DELAYS ? o->delays : o->preemptions;
    r->exhaustive = flag(d, "exhaustive");
    r->complete = flag(d, "complete");
    rl__jv_u64(d, "pruned_preemptions", &r->pruned);
    r->reduced = flag(d, "reduced");
    rl__jv_u64(d, "redundant_runs", &r->redundant);
    rl__jv_u64(d, "failing_schedules", &r->failing);
    rl__jv_u64(d, "longest_schedule", &r->longest);
    rl__jv_u64(d, "elapsed_ns", &r->elapsed_ns);
    rl__jv_u64(d, "minimize_ns", &r->minimize_ns);
    uint64_t workers = 1;
    rl__jv_u64(d, "workers", &workers); /* not in the JSON of earlier versions */
    r->workers = workers > 0 && workers <= UINT_MAX ? (unsigned)workers : 1;
    r->minimize_stopped = flag(d, "minimize_stopped");
    const char *stopped = rl__jv_str(d, "stopped_by");
    r->stopped = !stopped                               ? RL_STOP_NONE
                 : strcmp(stopped, "schedule_limit") == 0 ? RL_STOP_SCHEDULES
                 : strcmp(stopped, "time_limit") == 0     ? RL_STOP_TIME
                                                          : RL_STOP_INTERRUPT;
    r->program = flag(d, "program");
    r->memory_scheduled = r->program && flag(d, "memory_accesses_scheduled");
    r->plain_checked = r->memory_scheduled && flag(d, "plain_accesses_checked_only");
    r->fair_held = flag(d, "fairness_held_reduced_search");
    r->races_checked = flag(d, "races_checked");
    r->races_incomplete = flag(d, "races_incomplete");
    r->outside_last = flag(d, "outside_last");
    r->weak_orders = flag(d, "weak_memory_orders");
    r->spin_waits = flag(d, "spin_waits");
    r->fair_yields = flag(d, "fair_yields");
    r->failed = flag(d, "failed");
    rl_err e = RL_OK;
    if (r->failed) {
        const rl__jv *f = rl__jv_get(d, "failure"), *m = rl__jv_get(d, "minimized");
        if (!f) {
            WHY("a failed result without its failure");
            return RL_EINVAL;
        }
        if ((e = counterexample(f, r->program, &r->first, why, why_len)) != RL_OK ||
            (m && (e = counterexample(m, r->program, &r->minimized, why, why_len)) != RL_OK))
            return e;
    }
    const rl__jv *order = rl__jv_get(d, "failure_order");
    if (order && order->type == RL_JV_ARRAY && order->n) {
        if (!(r->order = calloc(order->n, sizeof *r->order)))
            return RL_ENOMEM;
        for (size_t i = 0; i < order->n; i++) {
            const rl__jv *x = &order->items[i];
            r->order[i] = x->type == RL_JV_NUMBER ? (uint32_t)strtoul(x->s, NULL, 10) : 0;
        }
        r->norder = order->n;
    }
    if (!(r->states = calloc(states->n ? states->n : 1, sizeof *r->states)))
        return RL_ENOMEM;
    for (size_t i = 0; i < states->n; i++) {
        const rl__jv *x = &states->items[i];
        rl_state_count *c = &r->states[r->nstates++];
        copy_str(c->state, sizeof c->state, rl__jv_str(x, "state"));
        c->held = flag(x, "held");
        rl__jv_u64(x, "schedules", &c->schedules);
    }
    const rl__jv *races = rl__jv_get(d, "data_races");
    if (races && races->type == RL_JV_ARRAY) {
        r->races_listed = true;
        r->races_unlisted = flag(d, "data_races_unlisted");
        if (!(r->races = calloc(races->n ? races->n : 1, sizeof *r->races)))
            return RL_ENOMEM;
        for (size_t i = 0; i < races->n; i++) {
            const rl__jv *x = &races->items[i];
            rl_race *c = &r->races[r->nraces++];
            copy_str(c->variable, sizeof c->variable, rl__jv_str(x, "variable"));
            copy_str(c->first, sizeof c->first, rl__jv_str(x, "first"));
            copy_str(c->second, sizeof c->second, rl__jv_str(x, "second"));
            rl__jv_u64(x, "schedules", &c->schedules);
        }
    }
    return RL_OK;
}

rl_err rl_explore_read_json(const char *text, size_t len, char *name, size_t name_len,
                            rl_explore_opts *o, rl_explore_result *r, unsigned *part,
                            unsigned *parts, char *why, size_t why_len) {
    memset(r, 0, sizeof *r);
    rl__jv *d = rl__jv_parse(text, len, why, why_len);
    if (!d)
        return RL_EINVAL;
    rl_err e = d->type == RL_JV_OBJECT
                   ? read_doc(d, name, name_len, o, r, part, parts, why, why_len)
                   : (WHY("not a result of racelab explore --json (not an object)"), RL_EINVAL);
    rl__jv_free(d);
    if (e == RL_ENOMEM)
        WHY("out of memory");
    if (e != RL_OK)
        rl_explore_result_free(r);
    return e;
}

/* ---- merging ---- */

static int by_schedules(const void *x, const void *y) {
    const rl_state_count *a = x, *b = y;
    if (a->schedules != b->schedules)
        return (a->schedules < b->schedules) - (a->schedules > b->schedules);
    return strcmp(a->state, b->state); /* as the search sorts its own (histogram.h) */
}

static int by_places(const void *x, const void *y) {
    const rl_race *a = x, *b = y;
    int c = strcmp(a->variable, b->variable);
    if (!c)
        c = strcmp(a->first, b->first);
    return c ? c : strcmp(a->second, b->second);
}

rl_err rl_explore_merge(rl_explore_result *parts, size_t n, rl_explore_result *out) {
    memset(out, 0, sizeof *out);
    if (!parts || n == 0)
        return RL_EINVAL;
    size_t nstates = 0, nraces = 0;
    for (size_t i = 0; i < n; i++) {
        nstates += parts[i].nstates;
        nraces += parts[i].nraces;
    }
    out->states = calloc(nstates ? nstates : 1, sizeof *out->states);
    out->races = calloc(nraces ? nraces : 1, sizeof *out->races);
    if (!out->states || !out->races) {
        rl_explore_result_free(out);
        return RL_ENOMEM;
    }
    out->search = parts[0].search;
    out->bound = parts[0].bound;
    out->exhaustive = out->complete = true;
    size_t winner = n;
    for (size_t i = 0; i < n; i++) {
        const rl_explore_result *p = &parts[i];
        out->schedules += p->schedules;
        out->pruned += p->pruned;
        out->redundant += p->redundant;
        out->failing += p->failing;
        out->exhaustive &= p->exhaustive;
        out->complete &= p->complete;
        out->reduced |= p->reduced;
        if (out->stopped == RL_STOP_NONE)
            out->stopped = p->stopped;
        if (p->longest > out->longest)
            out->longest = p->longest;
        if (p->elapsed_ns > out->elapsed_ns)
            out->elapsed_ns = p->elapsed_ns;
        out->workers += p->workers > 1 ? p->workers : 1;
        out->outside_last |= p->outside_last;
        out->weak_orders |= p->weak_orders;
        out->spin_waits |= p->spin_waits;
        out->fair_yields |= p->fair_yields;
        out->program |= p->program;
        out->memory_scheduled |= p->memory_scheduled;
        out->plain_checked |= p->plain_checked;
        out->fair_held |= p->fair_held;
        out->races_checked |= p->races_checked;
        out->races_incomplete |= p->races_incomplete;
        out->races_listed |= p->races_listed;
        out->races_unlisted |= p->races_unlisted;
        if (p->failed && (winner == n || rl_order_cmp(p->order, p->norder, parts[winner].order,
                                                      parts[winner].norder) < 0))
            winner = i;
        for (size_t s = 0; s < p->nstates; s++) {
            size_t k = 0;
            while (k < out->nstates && !(strcmp(out->states[k].state, p->states[s].state) == 0))
                k++;
            if (k == out->nstates)
                out->states[out->nstates++] = (rl_state_count){.held = true};
            rl_state_count *c = &out->states[k];
            memcpy(c->state, p->states[s].state, sizeof c->state);
            c->held &= p->states[s].held;
            c->schedules += p->states[s].schedules;
        }
        for (size_t s = 0; s < p->nraces; s++) {
            size_t k = 0;
            while (k < out->nraces && by_places(&out->races[k], &p->races[s]) != 0)
                k++;
            if (k == out->nraces)
                out->races[out->nraces++] = (rl_race){0};
            rl_race *c = &out->races[k];
            uint64_t had = c->schedules;
            *c = p->races[s];
            c->schedules += had;
        }
    }
    qsort(out->states, out->nstates, sizeof *out->states, by_schedules);
    qsort(out->races, out->nraces, sizeof *out->races, by_places);
    out->complete &= out->exhaustive;
    if (winner < n) { /* the whole search's first failure, moved out of its part */
        rl_explore_result *w = &parts[winner];
        out->failed = true;
        out->first = w->first;
        out->minimized = w->minimized;
        out->minimize_ns = w->minimize_ns;
        out->minimize_stopped = w->minimize_stopped;
        out->order = w->order;
        out->norder = w->norder;
        memset(&w->first, 0, sizeof w->first);
        memset(&w->minimized, 0, sizeof w->minimized);
        w->order = NULL;
        w->norder = 0;
    }
    for (size_t i = 0; i < n; i++)
        rl_explore_result_free(&parts[i]);
    return RL_OK;
}

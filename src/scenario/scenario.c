/* scenario.c - the registry, outcome helpers and the forcing stage. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <stdlib.h>

#include "scenario_impl.h"

static const rl_scenario *const registry[] = {
    &rl__scenario_bill,
    &rl__scenario_overdraft,
    &rl__scenario_close,
    &rl__scenario_idempotent,
    &rl__scenario_locker,
    &rl__scenario_trylock,
    &rl__scenario_processor,
    &rl__scenario_lost_update,
};

#define NSCENARIOS (sizeof registry / sizeof registry[0])

size_t rl_scenario_count(void) { return NSCENARIOS; }

const rl_scenario *rl_scenario_at(size_t i) { return i < NSCENARIOS ? registry[i] : NULL; }

const rl_scenario *rl_scenario_find(const char *name) {
    for (size_t i = 0; name && i < NSCENARIOS; i++)
        if (strcmp(registry[i]->name, name) == 0)
            return registry[i];
    return NULL;
}

size_t rl_scenario_variant(const rl_scenario *s, const char *name) {
    if (!s)
        rl_fatal("rl_scenario_variant: NULL scenario");
    size_t v = 0;
    while (name && v < s->nvariants && strcmp(s->variants[v].name, name) != 0)
        v++;
    return name ? v : s->nvariants;
}

rl_err rl_scenario_check_knobs(const char *name, unsigned knobs, const rl_scenario_opts *opts,
                               char *why, size_t why_len) {
    static const struct {
        unsigned bit;
        const char *flag;
    } k[] = {{RL_KNOB_MERCHANTS, "--merchants"}, {RL_KNOB_CUSTOMERS, "--customers"},
             {RL_KNOB_THREADS, "--threads"},     {RL_KNOB_ITEMS, "--items"},
             {RL_KNOB_RETRIES, "--retries"},     {RL_KNOB_DELAY, "--delay"}};
    if (!opts || !knobs)
        return RL_OK;
    const bool given[] = {opts->merchants, opts->customers, opts->threads, opts->items,
                          opts->retries, opts->delay_ns};
    for (size_t i = 0; i < sizeof k / sizeof k[0]; i++) {
        if (!given[i] || (knobs & k[i].bit))
            continue;
        char takes[96] = "";
        for (size_t j = 0; j < sizeof k / sizeof k[0]; j++)
            if (knobs & k[j].bit)
                snprintf(takes + strlen(takes), sizeof takes - strlen(takes), "%s%s",
                         takes[0] ? ", " : "", k[j].flag);
        if (why)
            snprintf(why, why_len, "%s does not use %s (it takes %s)", name ? name : "it",
                     k[i].flag, takes[0] ? takes : "none of these options");
        return RL_EINVAL;
    }
    return RL_OK;
}

rl_err rl_scenario_run(const rl_scenario *s, const char *variant, const rl_scenario_opts *opts,
                       rl_outcome *out) {
    if (!s || !out)
        return RL_EINVAL;
    memset(out, 0, sizeof *out);
    size_t v = rl_scenario_variant(s, variant);
    if (v == s->nvariants)
        return RL_ENOENT;
    rl_err e = rl_scenario_check_knobs(s->name, s->knobs, opts, out->verdict, sizeof out->verdict);
    if (e != RL_OK)
        return e;
    rl_scenario_opts o = opts ? *opts : (rl_scenario_opts){0};
#define DEFAULT(f)                                                                                 \
    if (o.f == 0)                                                                                  \
    o.f = s->defaults.f
    DEFAULT(delay_ns);
    DEFAULT(retries);
    DEFAULT(threads);
    DEFAULT(items);
    DEFAULT(merchants);
    DEFAULT(customers);
#undef DEFAULT
    if (o.bank && !s->takes_bank && strcmp(o.bank, "memory") != 0) {
        snprintf(out->verdict, sizeof out->verdict,
                 "scenario '%s' keeps its state in memory: --bank does not apply", s->name);
        return RL_ENOTSUP;
    }
    return s->run(v, &o, out);
}

static void append(char *buf, size_t cap, const char *fmt, va_list ap) {
    size_t len = strlen(buf);
    if (len + 1 < cap)
        vsnprintf(buf + len, cap - len, fmt, ap);
}

void rl_outcome_say(rl_outcome *out, const char *fmt, ...) {
    if (!out || !fmt)
        rl_fatal("rl_outcome_say: NULL outcome or format");
    va_list ap;
    va_start(ap, fmt);
    append(out->story, sizeof out->story, fmt, ap);
    va_end(ap);
    size_t len = strlen(out->story);
    if (len + 1 < sizeof out->story)
        strcat(out->story, "\n");
}

void rl_outcome_state(rl_outcome *out, const char *fmt, ...) {
    if (!out || !fmt)
        rl_fatal("rl_outcome_state: NULL outcome or format");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out->state, sizeof out->state, fmt, ap);
    va_end(ap);
}

void rl_outcome_verdict(rl_outcome *out, bool held, const char *fmt, ...) {
    if (!out || !fmt)
        rl_fatal("rl_outcome_verdict: NULL outcome or format");
    out->held = held;
    out->judged = true;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out->verdict, sizeof out->verdict, fmt, ap);
    va_end(ap);
}

rl_err rl__stage_begin(rl__stage *st, const rl_scenario_opts *o, size_t participants) {
    st->gate = NULL;
    if (!o->force || !rl_lockstep_available()) /* the explorer chooses by itself */
        return RL_OK;
    return rl_lockstep_begin(participants, &st->gate);
}

void rl__stage_end(rl__stage *st) {
    rl_lockstep_end(st->gate);
    st->gate = NULL;
}

void rl__stage_enter(rl__stage *st, size_t i) {
    if (st->gate)
        rl_lockstep_enter(st->gate, i);
}

void rl__stage_leave(rl__stage *st, size_t i) {
    if (st->gate)
        rl_lockstep_leave(st->gate, i);
}

rl_err rl__stage_play(rl__stage *st, size_t n, rl__actor (*cast)(void *ctx, size_t i),
                      void *ctx) {
    rl_thread **threads = malloc((n ? n : 1) * sizeof *threads);
    rl_err e = threads ? RL_OK : RL_ENOMEM;
    size_t started = 0;
    for (; e == RL_OK && started < n; started++) {
        rl__actor a = cast(ctx, started);
        threads[started] = a.thread;
        if ((e = rl_thread_create(a.thread, a.name, a.main, a.arg)) != RL_OK)
            break;
    }
    for (size_t i = started; i < n; i++)
        rl__stage_leave(st, i); /* never started: not running */
    for (size_t i = 0; i < started; i++)
        rl_thread_join(threads[i]);
    free(threads);
    return e;
}

void rl__stage_pause(rl__stage *st, size_t i, uint64_t ns) {
    if (st->gate)
        rl_lockstep_park(st->gate, i);
    else if (ns > 0)
        rl_sleep_ns(ns);
}

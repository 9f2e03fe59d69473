/* targets.c - naming what to explore: every scenario variant, plus the
 * explorer's own deadlock targets, which only make sense under a scheduler
 * that can detect a deadlock (on real threads they would just hang). */
#include <stdio.h>
#include <string.h>

#include "explore_impl.h"

static rl_err run_scenario(const rl_target *t, rl_outcome *out) {
    return rl_scenario_run(t->scenario, t->scenario->variants[t->variant].name, &t->opts, out);
}

/* Two threads take two locks; in opposite orders they can deadlock. */
typedef struct {
    rl_mutex first, second;
} two_locks;

static void forward(void *arg) {
    two_locks *l = arg;
    rl_mutex_lock(&l->first);
    rl_mutex_lock(&l->second);
    rl_mutex_unlock(&l->second);
    rl_mutex_unlock(&l->first);
}

static void backward(void *arg) {
    two_locks *l = arg;
    rl_mutex_lock(&l->second);
    rl_mutex_lock(&l->first);
    rl_mutex_unlock(&l->first);
    rl_mutex_unlock(&l->second);
}

static rl_err run_deadlock(const rl_target *t, rl_outcome *out) {
    bool opposite = t->ctx != NULL;
    two_locks l;
    rl_err e = rl_mutex_init(&l.first, "accounts");
    if (e != RL_OK)
        return e;
    if ((e = rl_mutex_init(&l.second, "audit")) != RL_OK) {
        rl_mutex_destroy(&l.first);
        return e;
    }
    rl_thread a, b;
    memset(out, 0, sizeof *out);
    e = rl_thread_create(&a, "transfer", forward, &l);
    if (e == RL_OK) {
        e = rl_thread_create(&b, "report", opposite ? backward : forward, &l);
        if (e == RL_OK)
            rl_thread_join(&b);
        rl_thread_join(&a);
    }
    rl_mutex_destroy(&l.second);
    rl_mutex_destroy(&l.first);
    rl_outcome_state(out, "both finished");
    rl_outcome_verdict(out, true, "both threads took and released both locks");
    return e;
}

static const struct {
    const char *name, *summary;
    bool correct;
    void *ctx;
} own[] = {
    {"deadlock:opposite-order", "two threads take the same two locks in opposite orders", false,
     (void *)1},
    {"deadlock:same-order", "two threads take the same two locks in the same order", true, NULL},
};

#define NOWN (sizeof own / sizeof own[0])

#define WHY(...) (why ? (void)snprintf(why, why_len, __VA_ARGS__) : (void)0)

rl_err rl_target_parse(const char *spec, const rl_scenario_opts *opts, rl_target *out, char *why,
                       size_t why_len) {
    if (!spec || !out) {
        WHY("no target given");
        return RL_EINVAL;
    }
    memset(out, 0, sizeof *out);
    snprintf(out->name, sizeof out->name, "%s", spec);
    for (size_t i = 0; i < NOWN; i++)
        if (strcmp(spec, own[i].name) == 0) {
            out->run = run_deadlock;
            out->ctx = own[i].ctx;
            return RL_OK;
        }
    const char *colon = strchr(spec, ':');
    char scenario[64];
    size_t len = colon ? (size_t)(colon - spec) : strlen(spec);
    if (!colon || len == 0 || len >= sizeof scenario || colon[1] == '\0') {
        WHY("a target is SCENARIO:VARIANT, such as bill:racy or overdraft:cas, not '%s' "
            "('racelab explore --list' names them)",
            spec);
        return RL_ENOENT;
    }
    memcpy(scenario, spec, len);
    scenario[len] = '\0';
    const rl_scenario *s = rl_scenario_find(scenario);
    if (s && s->needs_database) {
        WHY("scenario '%s' runs against a database server, whose threads the explorer cannot "
            "schedule: try 'racelab scenario run %s'",
            scenario, scenario);
        return RL_EINVAL;
    }
    if (!s) {
        WHY("no scenario '%s' ('racelab explore --list' names the targets)", scenario);
        return RL_ENOENT;
    }
    size_t v = rl_scenario_variant(s, colon + 1);
    if (v == s->nvariants) {
        WHY("scenario '%s' has no variant '%s' ('racelab explore --list' names the targets)",
            scenario, colon + 1);
        return RL_ENOENT;
    }
    /* small cases by default: exhaustive search grows fast with size */
    rl_scenario_opts o = {.merchants = 2, .customers = 2, .threads = 2, .items = 2};
    if (opts) {
        if (opts->delay_ns)
            o.delay_ns = opts->delay_ns;
        if (opts->retries)
            o.retries = opts->retries;
        if (opts->threads)
            o.threads = opts->threads;
        if (opts->items)
            o.items = opts->items;
        if (opts->merchants)
            o.merchants = opts->merchants;
        if (opts->customers)
            o.customers = opts->customers;
    }
    o.force = false; /* the explorer chooses the interleaving */
    out->run = run_scenario;
    out->scenario = s;
    out->variant = v;
    out->opts = o;
    return RL_OK;
}

void rl_target_list(void (*each)(void *ctx, const char *name, const char *summary, bool correct),
                    void *ctx) {
    char name[96];
    for (size_t i = 0; i < rl_scenario_count(); i++) {
        const rl_scenario *s = rl_scenario_at(i);
        for (size_t v = 0; !s->needs_database && v < s->nvariants; v++) {
            snprintf(name, sizeof name, "%s:%s", s->name, s->variants[v].name);
            each(ctx, name, s->variants[v].summary, s->variants[v].correct);
        }
    }
    for (size_t i = 0; i < NOWN; i++)
        each(ctx, own[i].name, own[i].summary, own[i].correct);
}

/* ---- a user's program ---- */

static rl_err run_program_directly(const rl_target *t, rl_outcome *out) {
    (void)t;
    (void)out;
    return RL_ENOTSUP; /* programs are run by the search itself (search.c) */
}

rl_err rl_program_target(char *const argv[], const rl_program_opts *o, rl_target *out, char *why,
                         size_t why_len) {
    if (!out)
        return RL_EINVAL;
    memset(out, 0, sizeof *out);
    rl__program *p;
    rl_err e = rl__program_start(argv, o, &p, why, why_len);
    if (e != RL_OK)
        return e;
    out->program = p;
    out->run = run_program_directly;
    snprintf(out->name, sizeof out->name, "%s", rl__program_label(p));
    return RL_OK;
}

void rl_target_free(rl_target *t) {
    if (t && t->program) {
        rl__program_free(t->program);
        t->program = NULL;
    }
}

const char *rl_target_output(const rl_target *t) {
    return t && t->program ? rl__program_output(t->program) : "";
}

void rl_target_custom(rl_target *t, const char *name,
                      rl_err (*run)(const rl_target *t, rl_outcome *out), void *ctx) {
    if (!t)
        return;
    memset(t, 0, sizeof *t);
    snprintf(t->name, sizeof t->name, "%s", name ? name : "custom");
    t->run = run;
    t->ctx = ctx;
}

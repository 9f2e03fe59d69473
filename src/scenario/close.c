/* close.c - idempotent close. A worker owns a resource that must be
 * released exactly once; several threads call close at the same time. A
 * second release is detected and reported (an RL_NOTE_ERROR), neither
 * ignored nor a crash.
 *
 * Invariant: exactly one release, however many threads call close. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "racelab/channel.h"
#include "racelab/once.h"
#include "racelab/var.h"
#include "scenario_impl.h"
#include "../util/words.h"

enum { FLAG, CHECK_THEN_CLOSE, MUTEX, ONCE };

static const rl_variant variants[] = {
    [FLAG] = {"flag", "check a closed flag, then release and set it: two steps", false},
    [CHECK_THEN_CLOSE] = {"check-then-close",
                          "the select-with-default idea: see the done channel open, then release "
                          "and close it",
                          false},
    [MUTEX] = {"mutex", "check, release and set the flag under one lock", true},
    [ONCE] = {"once", "release through rl_once: exactly one caller runs it", true},
};

#define MAX_CLOSERS 64

typedef enum { NOT_RUN, RELEASED, ALREADY_CLOSED, DOUBLE_CLOSE } closed_how;

typedef struct worker {
    size_t variant;
    uint64_t delay_ns;
    rl__stage stage;
    rl_var releases; /* the resource: how many times it was released */
    rl_var closed;   /* FLAG */
    rl_chan *done;   /* CHECK_THEN_CLOSE */
    rl_mutex mu;     /* MUTEX */
    bool closed_under_mu;
    rl_once once; /* ONCE */
    struct closer {
        struct worker *w;
        size_t index;
        char name[24];
        rl_thread thread;
        closed_how how;
        bool released;
    } closers[MAX_CLOSERS];
} worker;

/* The resource's release: counts, and reports a second one. */
static void release(worker *w) {
    if (rl_var_add(&w->releases, 1) > 1)
        rl_note(RL_NOTE_ERROR, "resource released twice");
}

static void release_once(void *arg) {
    struct closer *c = arg;
    /* the slow step inside the release keeps the others waiting on once */
    rl__stage_pause(&c->w->stage, c->index, c->w->delay_ns);
    release(c->w);
    c->released = true;
}

static closed_how worker_close(struct closer *c) {
    worker *w = c->w;
    switch (w->variant) {
    case FLAG:
        if (rl_var_load(&w->closed))
            return ALREADY_CLOSED;
        rl__stage_pause(&w->stage, c->index, w->delay_ns);
        release(w);
        rl_var_store(&w->closed, 1);
        return RELEASED;
    case CHECK_THEN_CLOSE: {
        char sink;
        if (rl_chan_try_recv(w->done, &sink) == RL_ECLOSED)
            return ALREADY_CLOSED;
        /* "default:" of the select: the channel looked open */
        rl__stage_pause(&w->stage, c->index, w->delay_ns);
        release(w);
        return rl_chan_close(w->done) == RL_ECLOSED ? DOUBLE_CLOSE : RELEASED;
    }
    case MUTEX: {
        rl_mutex_lock(&w->mu);
        closed_how how = ALREADY_CLOSED;
        if (!w->closed_under_mu) {
            rl__stage_pause(&w->stage, c->index, w->delay_ns);
            release(w);
            w->closed_under_mu = true;
            how = RELEASED;
        }
        rl_mutex_unlock(&w->mu);
        return how;
    }
    default:
        rl_once_do(&w->once, release_once, c);
        return c->released ? RELEASED : ALREADY_CLOSED;
    }
}

static void closer_main(void *arg) {
    struct closer *c = arg;
    rl__stage_enter(&c->w->stage, c->index);
    c->how = worker_close(c);
    rl__stage_leave(&c->w->stage, c->index);
}

static rl__actor cast_closer(void *ctx, size_t i) {
    worker *w = ctx;
    struct closer *c = &w->closers[i];
    c->w = w;
    c->index = i;
    snprintf(c->name, sizeof c->name, "closer%zu", i + 1);
    return (rl__actor){&c->thread, c->name, closer_main, c};
}

static rl_err run_close(size_t v, const rl_scenario_opts *o, rl_outcome *out) {
    if (o->threads < 1 || o->threads > MAX_CLOSERS)
        return RL_EINVAL;
    worker *w = calloc(1, sizeof *w);
    if (!w)
        return RL_ENOMEM;
    w->variant = v;
    w->delay_ns = o->delay_ns;
    rl_var_init(&w->releases, "releases", 0);
    rl_var_init(&w->closed, "closed", 0);
    rl_err e = rl_chan_create(1, 0, "done", &w->done);
    bool have_mu = false, have_once = false;
    if (e == RL_OK && (e = rl_mutex_init(&w->mu, "worker")) == RL_OK)
        have_mu = true;
    if (e == RL_OK && (e = rl_once_init(&w->once, "release")) == RL_OK)
        have_once = true;
    if (e == RL_OK)
        e = rl__stage_begin(&w->stage, o, o->threads);
    if (e == RL_OK) {
        e = rl__stage_play(&w->stage, o->threads, cast_closer, w);
        rl__stage_end(&w->stage);
    }
    if (e == RL_OK) {
        int64_t releases = atomic_load(&w->releases.value); /* every closer has been joined */
        for (size_t i = 0; i < o->threads; i++) {
            static const char *const how[] = {
                [NOT_RUN] = "never ran",
                [RELEASED] = "released the resource",
                [ALREADY_CLOSED] = "found it closed: nothing to do",
                [DOUBLE_CLOSE] = "released it, then its close failed: already closed (not a crash)",
            };
            rl_outcome_say(out, "closer %zu: %s", i + 1, how[w->closers[i].how]);
        }
        rl_outcome_say(out, "the resource was released %lld time%s", (long long)releases,
                       rl__plural(releases));
        rl_outcome_state(out, "releases=%lld", (long long)releases);
        if (releases == 1)
            rl_outcome_verdict(out, true, "%u closers, exactly one release", o->threads);
        else
            rl_outcome_verdict(out, false,
                               "the resource was released %lld times by %u closers; exactly once "
                               "is the rule",
                               (long long)releases, o->threads);
    }
    if (have_once)
        rl_once_destroy(&w->once);
    if (have_mu)
        rl_mutex_destroy(&w->mu);
    if (w->done)
        rl_chan_destroy(w->done);
    free(w);
    return e;
}

const rl_scenario rl__scenario_close = {
    .name = "close",
    .summary = "idempotent close: several threads close one worker whose resource must be "
               "released once",
    .variants = variants,
    .nvariants = sizeof variants / sizeof variants[0],
    .defaults = {.delay_ns = 1000000, .threads = 4},
    .knobs = RL_KNOB_DELAY | RL_KNOB_THREADS,
    .run = run_close,
};

/* trylock.c - an external system that takes one call at a time and needs a
 * while per call. Several callers call it at once. Waiting for the lock
 * serialises them (every call succeeds, the whole takes a call's time per
 * caller); try-lock answers "busy" at once instead (one succeeds, the rest
 * are told busy, the whole takes about one call's time).
 *
 * Invariant: never two calls inside the system at once, and every caller
 * either got through or was told busy. */
#include <stdio.h>
#include <stdlib.h>

#include "racelab/var.h"
#include "scenario_impl.h"

enum { LOCK, TRYLOCK };

static const rl_variant variants[] = {
    [LOCK] = {"lock", "wait your turn: every call succeeds, one after another", true},
    [TRYLOCK] = {"trylock", "a busy system answers busy at once", true},
};

#define MAX_CALLERS 64

typedef enum { NOT_CALLED, SUCCESS, BUSY } answer;

typedef struct {
    size_t variant;
    uint64_t call_ns;
    rl_mutex lock;
    rl_var inside; /* calls in progress */
    rl__stage stage;
    struct caller {
        void *system;
        size_t index;
        char name[24];
        rl_thread thread;
        answer answer;
    } callers[MAX_CALLERS];
} external;

static answer call(external *x, size_t who) {
    if (x->variant == TRYLOCK) {
        if (!rl_mutex_trylock(&x->lock))
            return BUSY;
    } else {
        rl_mutex_lock(&x->lock);
    }
    if (rl_var_add(&x->inside, 1) > 1)
        rl_note(RL_NOTE_ERROR, "two calls inside the external system at once");
    /* the call itself: it takes a while */
    rl__stage_pause(&x->stage, who, x->call_ns);
    rl_var_add(&x->inside, -1);
    rl_mutex_unlock(&x->lock);
    return SUCCESS;
}

static void caller_main(void *arg) {
    struct caller *c = arg;
    external *x = c->system;
    rl__stage_enter(&x->stage, c->index);
    rl__stage_pause(&x->stage, c->index, 0); /* forced: everybody calls together */
    c->answer = call(x, c->index);
    rl__stage_leave(&x->stage, c->index);
}

static rl__actor cast_caller(void *ctx, size_t i) {
    external *x = ctx;
    struct caller *c = &x->callers[i];
    c->system = x;
    c->index = i;
    snprintf(c->name, sizeof c->name, "caller%zu", i + 1);
    return (rl__actor){&c->thread, c->name, caller_main, c};
}

static rl_err run_trylock(size_t v, const rl_scenario_opts *o, rl_outcome *out) {
    if (o->threads < 1 || o->threads > MAX_CALLERS)
        return RL_EINVAL;
    external *x = calloc(1, sizeof *x);
    if (!x)
        return RL_ENOMEM;
    x->variant = v;
    x->call_ns = o->delay_ns;
    rl_var_init(&x->inside, "inside", 0);
    rl_err e = rl_mutex_init(&x->lock, "external");
    if (e != RL_OK) {
        free(x);
        return e;
    }
    uint64_t t0 = rl_now_ns(), elapsed = 0;
    if ((e = rl__stage_begin(&x->stage, o, o->threads)) == RL_OK) {
        e = rl__stage_play(&x->stage, o->threads, cast_caller, x);
        rl__stage_end(&x->stage);
        elapsed = rl_now_ns() - t0;
    }
    if (e == RL_OK) {
        unsigned success = 0, busy = 0;
        for (size_t i = 0; i < o->threads; i++) {
            answer a = x->callers[i].answer;
            success += a == SUCCESS;
            busy += a == BUSY;
            rl_outcome_say(out, "caller %zu: %s", i + 1,
                           a == SUCCESS ? "success" : a == BUSY ? "busy" : "never called");
        }
        /* time goes in the story, never in the verdict: it is not a test */
        rl_outcome_say(out, "%u calls took %.1f ms (one call takes %.1f ms)", o->threads,
                       (double)elapsed / 1e6, (double)x->call_ns / 1e6);
        rl_outcome_state(out, "success=%u busy=%u", success, busy);
        int64_t inside = atomic_load(&x->inside.value);
        if (success + busy == o->threads && success >= 1 && inside == 0)
            rl_outcome_verdict(out, true, "one call at a time: %u got through, %u were told busy",
                               success, busy);
        else
            rl_outcome_verdict(out, false, "%u successes and %u busy answers for %u callers",
                               success, busy, o->threads);
    }
    rl_mutex_destroy(&x->lock);
    free(x);
    return e;
}

const rl_scenario rl__scenario_trylock = {
    .name = "trylock",
    .summary = "an external system that takes one call at a time: wait for it, or try-lock",
    .variants = variants,
    .nvariants = sizeof variants / sizeof variants[0],
    .defaults = {.delay_ns = 100000000, .threads = 4},
    .knobs = RL_KNOB_DELAY | RL_KNOB_THREADS,
    .run = run_trylock,
};

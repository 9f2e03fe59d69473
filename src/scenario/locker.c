/* locker.c - the list behind any locker (racelab/locker.h's
 * rl_locked_list) with each lock: mutex, read-write lock, spinlock.
 * Several threads append at once.
 *
 * Invariant: the length is threads x items and every appended value is
 * there exactly once. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "racelab/locker.h"
#include "scenario_impl.h"
#include "../util/words.h"

static const rl_variant variants[] = {
    {"mutex", "the list guarded by a mutex", true},
    {"rwlock", "the list guarded by a read-write lock (appends take it for writing)", true},
    {"spinlock", "the list guarded by a spinlock that yields while it waits", true},
};

#define MAX_THREADS 64

typedef struct {
    rl_locked_list list;
    rl__stage stage;
    const rl_scenario_opts *o;
    struct appender {
        void *run;
        size_t index;
        char name[24];
        rl_thread thread;
        rl_err error;
    } appenders[MAX_THREADS];
} shelf;

static void append_all(void *arg) {
    struct appender *a = arg;
    shelf *s = a->run;
    rl__stage_enter(&s->stage, a->index);
    for (unsigned i = 0; i < s->o->items && a->error == RL_OK; i++) {
        a->error = rl_locked_list_append(&s->list, (int64_t)a->index * 1000000 + i);
        rl__stage_pause(&s->stage, a->index, s->o->delay_ns);
    }
    rl__stage_leave(&s->stage, a->index);
}

static rl__actor cast_appender(void *ctx, size_t i) {
    shelf *s = ctx;
    struct appender *a = &s->appenders[i];
    a->run = s;
    a->index = i;
    snprintf(a->name, sizeof a->name, "appender%zu", i + 1);
    return (rl__actor){&a->thread, a->name, append_all, a};
}

static rl_err run_locker(size_t v, const rl_scenario_opts *o, rl_outcome *out) {
    if (o->threads < 1 || o->threads > MAX_THREADS || o->items < 1 || o->items > 1000000)
        return RL_EINVAL;
    shelf *s = calloc(1, sizeof *s);
    if (!s)
        return RL_ENOMEM;
    s->o = o;
    rl_locker *lock = NULL;
    rl_err e = rl_locker_new(variants[v].name, "list", &lock);
    if (e == RL_OK)
        e = rl_locked_list_init(&s->list, lock);
    if (e == RL_OK)
        e = rl__stage_begin(&s->stage, o, o->threads);
    if (e == RL_OK) {
        e = rl__stage_play(&s->stage, o->threads, cast_appender, s);
        rl__stage_end(&s->stage);
    }
    for (size_t i = 0; e == RL_OK && i < o->threads; i++)
        e = s->appenders[i].error;
    if (e == RL_OK) {
        size_t len = rl_locked_list_len(&s->list), want = (size_t)o->threads * o->items, missing = 0;
        /* every value once: count them per (thread, item) */
        unsigned char *seen = calloc(want, 1);
        if (!seen) {
            e = RL_ENOMEM;
        } else {
            size_t dup = 0;
            for (size_t i = 0; i < s->list.len; i++) {
                int64_t x = s->list.vals[i];
                size_t t = (size_t)(x / 1000000), k = (size_t)(x % 1000000);
                if (t < o->threads && k < o->items && seen[t * o->items + k]++ == 0)
                    continue;
                dup++;
            }
            for (size_t i = 0; i < want; i++)
                missing += seen[i] == 0;
            free(seen);
            rl_outcome_say(out, "%u thread%s appended %u value%s each through a %s", o->threads,
                           rl__plural(o->threads), o->items, rl__plural(o->items),
                           lock->ops->kind);
            rl_outcome_say(out, "list length %zu, %zu missing, %zu extra", len, missing, dup);
            rl_outcome_state(out, "length=%zu", len);
            if (len == want && missing == 0 && dup == 0)
                rl_outcome_verdict(out, true, "length %zu = %u x %u, every value once", len,
                                   o->threads, o->items);
            else
                rl_outcome_verdict(out, false, "length %zu, expected %zu (%zu missing)", len,
                                   want, missing);
        }
    }
    rl_locked_list_free(&s->list);
    rl_locker_destroy(lock);
    free(s);
    return e;
}

const rl_scenario rl__scenario_locker = {
    .name = "locker",
    .summary = "an array list behind the locker interface: mutex, read-write lock or spinlock",
    .variants = variants,
    .nvariants = sizeof variants / sizeof variants[0],
    .defaults = {.threads = 4, .items = 100},
    .knobs = RL_KNOB_DELAY | RL_KNOB_THREADS | RL_KNOB_ITEMS,
    .run = run_locker,
};

/* explorer.c (bench) - the explorer's speed (see racelab/bench.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "racelab/bench.h"
#include "racelab/explore.h"

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* Whole bounded searches of t, again and again until duration passed. */
static rl_err repeat_search(const rl_target *t, unsigned bound, uint64_t duration,
                            uint64_t *schedules, uint64_t *elapsed, char *why, size_t why_len) {
    rl_err e = RL_OK;
    rl_explore_opts o = rl_explore_opts_default();
    o.preemptions = bound;
    o.keep_going = true; /* the whole search, failures or not */
    o.minimize = false;
    *schedules = *elapsed = 0;
    while (e == RL_OK && *elapsed < duration) {
        rl_explore_result r;
        if ((e = rl_explore(t, &o, &r, why, why_len)) != RL_OK)
            break;
        *schedules += r.schedules;
        *elapsed += r.elapsed_ns;
        rl_explore_result_free(&r);
    }
    return e;
}

static rl_err whole_searches(const char *spec, uint64_t duration, uint64_t *schedules,
                             uint64_t *elapsed, char *why, size_t why_len) {
    rl_scenario_opts so = {.merchants = 2, .customers = 2};
    rl_target t;
    rl_err e = rl_target_parse(spec, &so, &t, why, why_len);
    return e == RL_OK ? repeat_search(&t, 2, duration, schedules, elapsed, why, why_len) : e;
}

rl_err rl_bench_explorer(rl_explorer_bench *b, char *why, size_t why_len) {
    if (!b)
        return RL_EINVAL;
    uint64_t duration = b->duration_ns ? b->duration_ns : 1000000000u;
    unsigned repeats = b->repeats ? b->repeats : 20;
    rl_err e = whole_searches("bill:racy", duration, &b->racy.schedules, &b->racy.elapsed_ns,
                              why, why_len);
    if (e == RL_OK)
        e = whole_searches("bill:mutex", duration, &b->mutex.schedules, &b->mutex.elapsed_ns,
                           why, why_len);
    if (e != RL_OK)
        return e;
    b->racy.per_second = (double)b->racy.schedules / ((double)b->racy.elapsed_ns / 1e9);
    b->mutex.per_second = (double)b->mutex.schedules / ((double)b->mutex.elapsed_ns / 1e9);

    rl_scenario_opts so = {.merchants = 5, .customers = 5};
    rl_target t;
    if ((e = rl_target_parse("bill:racy", &so, &t, why, why_len)) != RL_OK)
        return e;
    uint64_t *times = calloc(repeats, sizeof *times);
    if (!times)
        return RL_ENOMEM;
    rl_explore_opts o = rl_explore_opts_default();
    o.minimize = false;
    for (unsigned i = 0; i < repeats && e == RL_OK; i++) {
        rl_explore_result r;
        if ((e = rl_explore(&t, &o, &r, why, why_len)) != RL_OK)
            break;
        if (!r.failed) {
            snprintf(why, why_len, "bill:racy at 5 x 5 found no failure");
            e = RL_EINVAL;
        }
        times[i] = r.elapsed_ns;
        b->first_failure_schedules = r.schedules;
        rl_explore_result_free(&r);
    }
    if (e == RL_OK) {
        qsort(times, repeats, sizeof *times, cmp_u64);
        b->first_failure_median_ns = times[repeats / 2];
        b->first_failure_max_ns = times[repeats - 1];
    }
    free(times);
    if (e == RL_OK && b->program) {
        /* a user's program: every schedule is a fork of it */
        rl_target p;
        if ((e = rl_program_target(b->program, NULL, &p, why, why_len)) != RL_OK)
            return e;
        e = repeat_search(&p, 3, duration, &b->prog.schedules, &b->prog.elapsed_ns, why,
                          why_len);
        rl_target_free(&p);
        if (e == RL_OK)
            b->prog.per_second = (double)b->prog.schedules / ((double)b->prog.elapsed_ns / 1e9);
    }
    return e;
}

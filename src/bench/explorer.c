/* explorer.c (bench) - the explorer's speed (see racelab/bench.h). */
#include <stdio.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>

#include "racelab/bench.h"
#include "racelab/explore.h"
#include "racelab/platform.h"
#include "../util/order.h"

static void *nothing(void *arg) { return arg; }

/* The cost of the least a schedule of a two-thread program needs on this
 * machine: a fork, two threads started and joined in the child, its exit,
 * and the parent's wait; schedules per second at that cost (the median
 * round over `duration`), 0 when fork fails. */
static double fork_floor(uint64_t duration) {
    enum { MAX_ROUNDS = 2001 };
    static uint64_t rounds[MAX_ROUNDS];
    size_t n = 0;
    uint64_t end = rl_now_ns() + duration;
    while (n < MAX_ROUNDS && (n < 5 || rl_now_ns() < end)) {
        uint64_t t0 = rl_now_ns();
        pid_t pid = fork();
        if (pid < 0)
            return 0;
        if (pid == 0) {
            pthread_t a, b;
            if (pthread_create(&a, NULL, nothing, NULL) == 0)
                pthread_join(a, NULL);
            if (pthread_create(&b, NULL, nothing, NULL) == 0)
                pthread_join(b, NULL);
            _exit(0);
        }
        while (waitpid(pid, NULL, 0) < 0)
            ;
        rounds[n++] = rl_now_ns() - t0;
    }
    qsort(rounds, n, sizeof *rounds, rl__cmp_u64);
    return 1e9 / (double)rounds[n / 2];
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

static const struct {
    const char *target;
    unsigned merchants, customers;
} cases[] = {{"bill:mutex", 3, 3},
             {"bill:processor", 2, 2},
             {"bill:processor", 3, 1},
             {"bill:processor", 3, 2}};
#define NCASES (sizeof cases / sizeof cases[0])
#define NMANY 2

/* The next measurement begins: tell the progress callback. */
static void begin(rl_explorer_bench *b, size_t *row, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void begin(rl_explorer_bench *b, size_t *row, const char *fmt, ...) {
    size_t rows = 3 + (b->program ? 1 : 0) + 2 * NCASES + 3 * NMANY;
    if (b->row_progress) {
        char text[96];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(text, sizeof text, fmt, ap);
        va_end(ap);
        b->row_progress(b->progress_ctx, text, *row, rows);
    }
    ++*row;
}

/* Every schedule of each proof case, reduced and unreduced. */
static rl_err proofs(rl_explorer_bench *b, size_t *row, char *why, size_t why_len) {
    uint64_t cap = b->proof_cap ? b->proof_cap : 1000000;
    b->nproofs = NCASES;
    for (size_t i = 0; i < b->nproofs; i++) {
        b->proofs[i].target = cases[i].target;
        b->proofs[i].merchants = cases[i].merchants;
        b->proofs[i].customers = cases[i].customers;
        rl_scenario_opts so = {.merchants = cases[i].merchants, .customers = cases[i].customers};
        rl_target t;
        rl_err e = rl_target_parse(cases[i].target, &so, &t, why, why_len);
        for (int reduce = 1; e == RL_OK && reduce >= 0; reduce--) {
            begin(b, row, "every schedule of %s %u x %u, %s", cases[i].target, cases[i].merchants,
                  cases[i].customers, reduce ? "reduced" : "unreduced");
            rl_explore_opts o = rl_explore_opts_default();
            o.preemptions = RL_PREEMPTIONS_ALL;
            o.reduce = reduce;
            o.keep_going = true;
            o.minimize = false;
            o.max_schedules = cap;
            rl_explore_result r;
            if ((e = rl_explore(&t, &o, &r, why, why_len)) != RL_OK)
                break;
            if (r.failed) {
                snprintf(why, why_len, "%s failed: not a proof case", cases[i].target);
                e = RL_EINVAL;
            }
            if (reduce) {
                b->proofs[i].reduced.schedules = r.schedules;
                b->proofs[i].reduced.elapsed_ns = r.elapsed_ns;
                b->proofs[i].reduced.complete = r.complete;
            } else {
                b->proofs[i].unreduced.schedules = r.schedules;
                b->proofs[i].unreduced.elapsed_ns = r.elapsed_ns;
                b->proofs[i].unreduced.complete = r.complete;
            }
            rl_explore_result_free(&r);
        }
        if (e != RL_OK)
            return e;
    }
    return RL_OK;
}

/* One search of startup:unordered: schedules until its first failure. */
static rl_err until_failure(const rl_target *t, rl_explore_opts o, uint64_t *schedules,
                            bool *found, char *why, size_t why_len) {
    o.minimize = false;
    o.max_schedules = 1000;
    rl_explore_result r;
    rl_err e = rl_explore(t, &o, &r, why, why_len);
    if (e != RL_OK)
        return e;
    *schedules = r.schedules;
    *found = r.failed;
    rl_explore_result_free(&r);
    return RL_OK;
}

static rl_err many_threads(rl_explorer_bench *b, size_t *row, char *why, size_t why_len) {
    const unsigned sizes[NMANY] = {10, 20};
    for (size_t i = 0; i < NMANY; i++) {
        b->many[i].threads = sizes[i];
        rl_scenario_opts so = {.threads = sizes[i]};
        rl_target t;
        rl_err e = rl_target_parse("startup:unordered", &so, &t, why, why_len);
        rl_explore_opts o = rl_explore_opts_default();
        o.search = RL_SEARCH_DELAYS;
        o.delays = 1;
        begin(b, row, "startup:unordered, %u threads, 1 delay", sizes[i]);
        if (e == RL_OK)
            e = until_failure(&t, o, &b->many[i].delays.schedules, &b->many[i].delays.found, why,
                              why_len);
        o = rl_explore_opts_default();
        o.search = RL_SEARCH_PCT;
        o.depth = 1;
        o.iterations = 1000;
        begin(b, row, "startup:unordered, %u threads, PCT", sizes[i]);
        if (e == RL_OK)
            e = until_failure(&t, o, &b->many[i].pct.schedules, &b->many[i].pct.found, why,
                              why_len);
        o = rl_explore_opts_default();
        begin(b, row, "startup:unordered, %u threads, 2 preemptions", sizes[i]);
        if (e == RL_OK)
            e = until_failure(&t, o, &b->many[i].bounded.schedules, &b->many[i].bounded.found,
                              why, why_len);
        if (e != RL_OK)
            return e;
    }
    return RL_OK;
}

rl_err rl_bench_explorer(rl_explorer_bench *b, char *why, size_t why_len) {
    if (!b)
        return RL_EINVAL;
    uint64_t duration = b->duration_ns ? b->duration_ns : 1000000000u;
    unsigned repeats = b->repeats ? b->repeats : 20;
    size_t at = 0, *row = &at;
    begin(b, row, "speed, bill:racy 2 x 2");
    rl_err e = whole_searches("bill:racy", duration, &b->racy.schedules, &b->racy.elapsed_ns,
                              why, why_len);
    if (e == RL_OK) {
        begin(b, row, "speed, bill:mutex 2 x 2");
        e = whole_searches("bill:mutex", duration, &b->mutex.schedules, &b->mutex.elapsed_ns,
                           why, why_len);
    }
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
    begin(b, row, "first failure, bill:racy 5 x 5, %u times", repeats);
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
        qsort(times, repeats, sizeof *times, rl__cmp_u64);
        b->first_failure_median_ns = times[repeats / 2];
        b->first_failure_max_ns = times[repeats - 1];
    }
    free(times);
    if (e == RL_OK && b->program) {
        /* what the machine allows a process per schedule, beside it */
        b->prog.floor_per_second = fork_floor(duration);
        /* a user's program: every schedule is a fork of it */
        begin(b, row, "speed, the program");
        rl_target p;
        if ((e = rl_program_target(b->program, NULL, &p, why, why_len)) != RL_OK)
            return e;
        e = repeat_search(&p, 3, duration, &b->prog.schedules, &b->prog.elapsed_ns, why,
                          why_len);
        rl_target_free(&p);
        if (e == RL_OK)
            b->prog.per_second = (double)b->prog.schedules / ((double)b->prog.elapsed_ns / 1e9);
    }
    if (e == RL_OK)
        e = proofs(b, row, why, why_len);
    if (e == RL_OK)
        e = many_threads(b, row, why, why_len);
    return e;
}

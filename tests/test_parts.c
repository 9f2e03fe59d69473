/* test_parts.c - layer 6: a search split into parts (rl_explore_split:
 * the shards of `racelab explore --shard K/N` and the workers of -j).
 * The parts of a bounded search together run exactly the schedules of
 * the whole search, none twice; their states add up to its states; and
 * the failure the whole search reports first is the parts' failure that
 * comes first in the search's order. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "racelab/explore.h"
#include "made_up.h"
#include "racelab_seams.h"
#include "testing.h"

/* Part k of n: the first level's items i with i % n == k. */
typedef struct {
    unsigned k, n;
} part;

static bool owns_mod(void *ctx, uint64_t index) {
    const part *p = ctx;
    return index % p->n == p->k;
}

/* The schedules a search ran, each as a hash of the threads it chose. */
typedef struct {
    uint64_t *hash;
    size_t n, cap;
} ran;

static void note_schedule(const struct rl__run *r, void *ctx) {
    ran *x = ctx;
    uint64_t h = 1469598103934665603ull;
    size_t n = rl__run_steps(r);
    for (size_t j = 0; j < n; j++)
        h = (h ^ (rl__run_thread(r, j) + 1)) * 1099511628211ull;
    h = (h ^ n) * 1099511628211ull;
    if (x->n == x->cap) {
        x->cap = x->cap ? 2 * x->cap : 1024;
        x->hash = realloc(x->hash, x->cap * sizeof *x->hash);
        assert_non_null(x->hash);
    }
    x->hash[x->n++] = h;
}

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static uint64_t state_count(const rl_explore_result *r, const char *state) {
    for (size_t i = 0; i < r->nstates; i++)
        if (strcmp(r->states[i].state, state) == 0)
            return r->states[i].schedules;
    return 0;
}

static bool whole_items;    /* bounded: each item taken run to the bound (rl_explore_split) */
static bool delay_bounding; /* parts_cover_the_search: --delays, not --preemptions */
static bool pct;            /* or --pct, seed 3, depth 3, `bound` x 100 iterations */

/* t explored whole and in n parts, every schedule (keep going) within
 * bound: the parts' schedules are the whole's, each in one part only; the
 * states add up; pruned preemptions too. */
static void parts_cover_the_search(const rl_target *t, unsigned bound, unsigned n) {
    rl_explore_opts o = rl_explore_opts_default();
    o.preemptions = bound;
    if (delay_bounding) {
        o.search = RL_SEARCH_DELAYS;
        o.delays = bound;
    }
    if (pct) { /* never exhaustive: every iteration, in one part */
        o.search = RL_SEARCH_PCT;
        o.seed = 3;
        o.depth = 3;
        o.iterations = bound * 100u;
    }
    o.keep_going = true;
    o.minimize = false;
    ran whole = {0}, parts = {0};
    rl__explore_footprints = true; /* each run's steps, for its hash */
    rl__explore_run_hook = note_schedule;
    rl__explore_run_hook_ctx = &whole;
    rl_explore_result w = rl_test_explore(t, o);
    assert_true(pct ? w.stopped == RL_STOP_NONE && w.schedules == o.iterations : w.exhaustive);
    rl__explore_run_hook_ctx = &parts;
    rl_explore_result p[8];
    uint64_t schedules = 0, pruned = 0;
    part at[8];
    rl_explore_split split[8];
    for (unsigned k = 0; k < n; k++) {
        at[k] = (part){k, n};
        split[k] = (rl_explore_split){.owns = owns_mod, .ctx = &at[k], .first_part = k == 0,
                                      .whole_items = whole_items};
        o.split = &split[k];
        p[k] = rl_test_explore(t, o);
        assert_true(pct ? p[k].stopped == RL_STOP_NONE : p[k].exhaustive);
        schedules += p[k].schedules;
        pruned += p[k].pruned;
    }
    rl__explore_run_hook = NULL;
    rl__explore_footprints = false;
    print_message("  %-28s bound %u: %llu schedules whole, in %u parts:", t->name, bound,
                  (unsigned long long)w.schedules, n);
    for (unsigned k = 0; k < n; k++)
        print_message(" %llu", (unsigned long long)p[k].schedules);
    print_message("\n");
    assert_int_equal(schedules, w.schedules);
    assert_int_equal(pruned, w.pruned);
    assert_int_equal(whole.n, w.schedules);
    assert_int_equal(parts.n, whole.n);
    qsort(whole.hash, whole.n, sizeof *whole.hash, cmp_u64);
    qsort(parts.hash, parts.n, sizeof *parts.hash, cmp_u64);
    /* the same schedules, as many times each (the bounded search runs each
     * once, so in one part only; delay bounding may reach one schedule by
     * two plans, and PCT by two random ones, in the whole search as in the
     * parts) */
    for (size_t i = 0; i < whole.n; i++) {
        if (!delay_bounding && !pct && i && whole.hash[i] == whole.hash[i - 1])
            fail_msg("%s: the whole search ran a schedule twice", t->name);
        if (whole.hash[i] != parts.hash[i])
            fail_msg("%s: the parts ran other schedules than the whole search (or one in "
                     "two parts)",
                     t->name);
    }
    for (size_t i = 0; i < w.nstates; i++) {
        uint64_t sum = 0;
        for (unsigned k = 0; k < n; k++)
            sum += state_count(&p[k], w.states[i].state);
        if (sum != w.states[i].schedules)
            fail_msg("%s: state '%s' in %llu schedules whole, %llu in the parts", t->name,
                     w.states[i].state, (unsigned long long)w.states[i].schedules,
                     (unsigned long long)sum);
    }
    for (unsigned k = 0; k < n; k++)
        rl_explore_result_free(&p[k]);
    rl_explore_result_free(&w);
    free(whole.hash);
    free(parts.hash);
}

static void parts_cover_the_search_exactly(void **state) {
    (void)state;
    rl_target racy = rl_test_target("bill:racy", 2, 2, 0);
    parts_cover_the_search(&racy, 2, 2);
    parts_cover_the_search(&racy, 2, 3);
    parts_cover_the_search(&racy, 1, 5);
    rl_target_free(&racy);
    rl_target close = rl_test_target("close:check-then-close", 0, 0, 2);
    parts_cover_the_search(&close, 3, 4);
    /* each item taken run to the bound before the next (-j's workers) */
    whole_items = true;
    parts_cover_the_search(&racy, 2, 3);
    parts_cover_the_search(&close, 3, 4);
    whole_items = false;
    /* delay bounding splits alike */
    delay_bounding = true;
    rl_target many = rl_test_target("startup:unordered", 0, 0, 6);
    parts_cover_the_search(&many, 2, 3);
    rl_target_free(&many);
    rl_target racy3 = rl_test_target("bill:racy", 3, 2, 0);
    parts_cover_the_search(&racy3, 3, 2);
    delay_bounding = false;
    /* PCT: its first 16 schedules in every part, counted by the first, the
     * rest shared out */
    pct = true;
    parts_cover_the_search(&racy3, 3, 3);
    parts_cover_the_search(&close, 1, 4);
    pct = false;
    rl_target_free(&racy3);
    rl_target_free(&close);
}

/* The failure with the least place the parts run so far have found
 * (the_first_failure_is_the_least_place), which a part taking whole items
 * is told of: it skips its runs after it, as -j's workers do. */
static const rl_explore_result *known_best;

static bool beaten_by_known(void *ctx, const uint32_t *order, size_t n) {
    (void)ctx;
    return known_best && rl_order_cmp(known_best->order, known_best->norder, order, n) < 0;
}

/* Stopping at the first failure: each part stops at its own first one,
 * and the least of their places is the whole search's first failure (the
 * same schedule and message, minimized alike). */
static void the_first_failure_is_the_least_place(void **state) {
    (void)state;
    const struct {
        const char *spec;
        unsigned merchants, customers, threads, bound;
    } cases[] = {
        {"bill:racy", 2, 2, 0, 2},
        {"close:check-then-close", 0, 0, 3, 2},
        {"deadlock:opposite-order", 0, 0, 0, 2},
        {"startup:unordered", 0, 0, 10, 0}, /* 0: --delays 1 */
        {"bill:racy", 3, 2, 0, 0},          /* four failing plans, in three parts */
        {"close:check-then-close", 0, 0, 3, 0},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        rl_target t = rl_test_target(cases[c].spec, cases[c].merchants, cases[c].customers,
                            cases[c].threads);
        rl_explore_opts o = rl_explore_opts_default();
        o.preemptions = cases[c].bound;
        if (cases[c].bound == 0) {
            o.search = RL_SEARCH_DELAYS;
            o.delays = 1;
        }
        rl_explore_result w = rl_test_explore(&t, o);
        assert_true(w.failed);
        /* 2, 3, 4 parts; then 2 and 3 parts taking whole items (the
         * bounded search's parts: each runs its items out of the whole
         * search's order), run last first, each told of the failures the
         * ones before it found */
        static const struct {
            unsigned n;
            bool whole;
        } ways[] = {{2, false}, {3, false}, {4, false}, {2, true}, {3, true}};
        for (size_t way = 0; way < sizeof ways / sizeof *ways; way++) {
            unsigned n = ways[way].n;
            rl_explore_result best = {0};
            bool have = false;
            for (unsigned i = 0; i < n; i++) {
                bool whole = ways[way].whole;
                unsigned k = whole ? n - 1 - i : i;
                part at = {k, n};
                rl_explore_split split = {.owns = owns_mod, .ctx = &at, .first_part = k == 0,
                                          .whole_items = whole,
                                          .beaten = whole ? beaten_by_known : NULL};
                o.split = &split;
                known_best = have ? &best : NULL;
                rl_explore_result p = rl_test_explore(&t, o);
                o.split = NULL;
                known_best = NULL;
                if (p.failed) {
                    assert_non_null(p.order);
                    if (!have || rl_order_cmp(p.order, p.norder, best.order, best.norder) < 0) {
                        rl_explore_result_free(&best);
                        best = p;
                        have = true;
                        continue;
                    }
                }
                rl_explore_result_free(&p);
            }
            if (!have)
                fail_msg("%s in %u parts: no part failed", cases[c].spec, n);
            assert_string_equal(best.first.schedule, w.first.schedule);
            assert_string_equal(best.first.message, w.first.message);
            assert_string_equal(best.minimized.schedule, w.minimized.schedule);
            rl_explore_result_free(&best);
        }
        rl_explore_result_free(&w);
        rl_target_free(&t);
    }
}

/* What cannot be split (a replay; a reduced search's part that does not
 * say which) is refused, not run whole. */
static void only_a_bounded_search_splits(void **state) {
    (void)state;
    rl_target t = rl_test_target("bill:racy", 2, 2, 0);
    part at = {0, 2};
    rl_explore_split split = {.owns = owns_mod, .ctx = &at, .first_part = true};
    rl_explore_opts o = rl_explore_opts_default();
    o.split = &split;
    rl_explore_result r;
    char why[256] = "";
    o.search = RL_SEARCH_REPLAY;
    o.replay = "-";
    assert_int_equal(rl_explore(&t, &o, &r, why, sizeof why), RL_EINVAL);
    assert_contains(why, "bounded search");
    o.search = RL_SEARCH_BOUNDED;
    o.preemptions = RL_PREEMPTIONS_ALL; /* reduced: its parts are numbered, or tasks */
    assert_int_equal(rl_explore(&t, &o, &r, why, sizeof why), RL_EINVAL);
    assert_contains(why, "part K of N");
    split.part = 3;
    split.parts = 2;
    assert_int_equal(rl_explore(&t, &o, &r, why, sizeof why), RL_EINVAL);
    split.part = split.parts = 0;
    o.reduce = false;
    o.keep_going = true;
    o.minimize = false;
    assert_int_equal(rl_explore(&t, &o, &r, why, sizeof why), RL_OK);
    assert_true(r.schedules > 0);
    rl_explore_result_free(&r);
    rl_target_free(&t);
}

/* ---- the reduced search's tasks ---- */

/* One worker in this process, its tasks fed by a coordinator through a
 * queue: up to `ahead` tasks are taken from the coordinator before any
 * result goes back, and the results go back last first, so the
 * coordinator sees them in about the worst order workers could give. */
typedef struct {
    rl_explore_coord *coord;
    unsigned ahead;
    void *queued[8];
    size_t queued_len[8];
    unsigned nqueued, next;
    void *held[8];
    size_t held_len[8];
    unsigned nheld;
    void *current;
    bool ended;
} feeder;

static void *copy_of(const void *msg, size_t len) {
    void *c = malloc(len ? len : 1);
    assert_non_null(c);
    memcpy(c, msg, len);
    return c;
}

static bool feed_back(void *ctx, const void *msg, size_t len) {
    feeder *f = ctx;
    assert_true(f->nheld < 8);
    f->held[f->nheld] = copy_of(msg, len);
    f->held_len[f->nheld++] = len;
    return true;
}

static bool feed_next(void *ctx, const void **msg, size_t *len) {
    feeder *f = ctx;
    free(f->current);
    f->current = NULL;
    if (f->next == f->nqueued) {
        f->next = f->nqueued = 0;
        while (f->nheld > 0) { /* last first */
            bool waits;
            void *m = f->held[--f->nheld];
            assert_int_equal(rl_explore_coord_back(f->coord, m, f->held_len[f->nheld], &waits),
                             RL_OK);
            free(m);
        }
        while (f->nqueued < f->ahead) {
            const void *t;
            size_t n;
            uint64_t id;
            int r = rl_explore_coord_next(f->coord, &t, &n, &id);
            assert_true(r >= 0);
            if (r == 0 || (r == 2 && f->nqueued > 0))
                break;
            f->queued[f->nqueued] = copy_of(t, n);
            f->queued_len[f->nqueued++] = n;
            if (r == 2) {
                f->ended = true;
                break;
            }
        }
        assert_true(f->nqueued > 0); /* with every result back, a task or the end */
    }
    f->current = f->queued[f->next];
    *msg = f->current;
    *len = f->queued_len[f->next++];
    return true;
}

/* t's reduced search on one core, and as tasks fed `ahead` at a time with
 * their results given back last first, each task a subtree of up to
 * `budget` runs: the same schedules (each once),
 * the same states and counts, the same runs abandoned as redundant (all
 * of the search, or up to its end at a proof), the same first failure. */
static void target_tasks_agree(rl_target t, bool keep_going, unsigned ahead, unsigned budget) {
    rl_explore_opts o = rl_explore_opts_default();
    o.preemptions = RL_PREEMPTIONS_ALL;
    o.keep_going = keep_going;
    o.minimize = false;
    ran whole = {0}, fed = {0};
    rl__explore_footprints = true;
    rl__explore_run_hook = note_schedule;
    rl__explore_run_hook_ctx = &whole;
    rl_explore_result w = rl_test_explore(&t, o);
    assert_true(w.reduced);
    feeder f = {.coord = rl_explore_coord_new(keep_going), .ahead = ahead};
    assert_non_null(f.coord);
    rl_explore_coord_budget(f.coord, budget, 0);
    rl_explore_split split = {.task_back = feed_back, .task_next = feed_next, .ctx = &f};
    o.split = &split;
    rl__explore_run_hook_ctx = &fed;
    rl_explore_result p = rl_test_explore(&t, o);
    rl__explore_run_hook = NULL;
    rl__explore_footprints = false;
    print_message("  %-28s %llu schedules, %llu redundant; as tasks %u ahead of up to %u runs: "
                  "%llu, %llu\n",
                  t.name, (unsigned long long)w.schedules, (unsigned long long)w.redundant,
                  ahead, budget, (unsigned long long)p.schedules, (unsigned long long)p.redundant);
    assert_true(f.ended);
    assert_int_equal(p.complete, w.complete);
    assert_int_equal(p.failed, w.failed);
    if (keep_going || !w.failed) { /* stopped at a failure, tasks past it ran meanwhile */
        assert_int_equal(p.schedules, w.schedules);
        assert_int_equal(p.redundant, w.redundant);
    }
    if (keep_going) {
        assert_int_equal(fed.n, whole.n);
        qsort(whole.hash, whole.n, sizeof *whole.hash, cmp_u64);
        qsort(fed.hash, fed.n, sizeof *fed.hash, cmp_u64);
        for (size_t i = 0; i < whole.n; i++)
            if (whole.hash[i] != fed.hash[i])
                fail_msg("%s: the tasks ran other schedules than the search", t.name);
        assert_int_equal(p.nstates, w.nstates);
        for (size_t i = 0; i < w.nstates; i++)
            assert_int_equal(state_count(&p, w.states[i].state), w.states[i].schedules);
    }
    if (w.failed)
        assert_string_equal(p.first.schedule, w.first.schedule);
    rl_explore_result_free(&p);
    rl_explore_result_free(&w);
    rl_explore_coord_free(f.coord);
    free(f.current);
    free(whole.hash);
    free(fed.hash);
    rl_target_free(&t);
}

static void tasks_agree(const char *name, unsigned merchants, unsigned customers,
                        unsigned threads, bool keep_going, unsigned ahead, unsigned budget) {
    target_tasks_agree(rl_test_target(name, merchants, customers, threads), keep_going, ahead,
                       budget);
}

static void reduced_tasks_run_the_search(void **state) {
    (void)state;
    /* one run a task (every race above it goes through the coordinator),
     * a few (subtrees cut short), and whole subtrees */
    static const struct {
        unsigned budget, ahead;
    } ways[] = {{1, 1}, {1, 4}, {3, 4}, {1000000, 4}};
    for (unsigned w = 0; w < sizeof ways / sizeof *ways; w++) {
        unsigned runs = ways[w].budget, ahead = ways[w].ahead;
        tasks_agree("processor:unbuffered", 0, 0, 0, true, ahead, runs); /* runs abandoned */
        tasks_agree("locker:spinlock", 0, 0, 0, true, ahead, runs);
        tasks_agree("bill:racy", 3, 2, 0, true, ahead, runs);
        tasks_agree("bill:mutex", 3, 2, 0, false, ahead, runs); /* a proof */
        tasks_agree("bill:racy", 3, 2, 0, false, ahead, runs);  /* the first failure */
        tasks_agree("deadlock:opposite-order", 0, 0, 0, false, ahead, runs);
        tasks_agree("idempotent:check-then-run", 0, 0, 3, false, ahead, runs);
    }
}

/* Made-up targets of 3 or 4 threads storing and loading (made_up.h):
 * their races come from several threads at once, so a node's races arrive
 * from different branches and which thread a reversal adds depends on
 * what the node holds by then. Where the coordinator applies races out of
 * the one-core order, some of these explore other branches than the
 * search on one core. */
#define MADE_UP 40 /* of which seeds 14, 15, 23, 27, 31, 35 and 39 need the one-core order */
static void made_up_tasks_run_the_search(void **state) {
    (void)state;
    for (uint32_t seed = 0; seed < MADE_UP; seed++) {
        rl_made_up m = rl_made_up_from(seed, false);
        rl_target t;
        rl_made_up_target(&t, &m);
        target_tasks_agree(t, true, 4, 1);
    }
    /* with atomic adds and a mutex too, in tasks of a few runs */
    for (uint32_t seed = 0; seed < MADE_UP; seed++) {
        rl_made_up m = rl_made_up_from(seed, true);
        rl_target t;
        rl_made_up_target(&t, &m);
        target_tasks_agree(t, true, 4, 3);
    }
    /* with try-locks and empty critical sections (unlocks as steps) */
    for (uint32_t seed = 0; seed < MADE_UP; seed++) {
        rl_made_up m = rl_made_up_locking(seed);
        rl_target t;
        rl_made_up_target(&t, &m);
        target_tasks_agree(t, true, 4, 3);
    }
}

/* ---- the reduced search in parts (--shard K/N) ---- */

/* Part k of n (1-based) of t's reduced search (n 0: the whole search),
 * on one core, or with ahead > 0 as tasks of up to 3 runs fed through a
 * coordinator `ahead` at a time (the workers of --shard K/N -j M); the
 * schedules it counts noted into *into. */
static rl_explore_result reduced_part(rl_target *t, rl_explore_opts o, unsigned k, unsigned n,
                                      unsigned ahead, ran *into) {
    feeder f = {.ahead = ahead};
    rl_explore_split split = {.part = k, .parts = n};
    if (ahead) {
        f.coord = rl_explore_coord_new(o.keep_going);
        assert_non_null(f.coord);
        rl_explore_coord_budget(f.coord, 3, 0);
        split.task_back = feed_back;
        split.task_next = feed_next;
        split.ctx = &f;
    }
    o.split = n ? &split : NULL;
    rl__explore_footprints = true;
    rl__explore_run_hook = note_schedule;
    rl__explore_run_hook_ctx = into;
    rl_explore_result r = rl_test_explore(t, o);
    rl__explore_run_hook = NULL;
    rl__explore_footprints = false;
    assert_true(r.reduced);
    if (ahead)
        assert_true(f.ended);
    rl_explore_coord_free(f.coord);
    free(f.current);
    return r;
}

static void sort_ran(ran *x) {
    if (x->n)
        qsort(x->hash, x->n, sizeof *x->hash, cmp_u64);
}

/* t's reduced search split into parts: part 1 of 1 is the split search
 * whole (its upper nodes full), which runs as many schedules as the
 * search, with the same final states as often; 2, 3 and 5 parts run exactly its schedules, each in one part,
 * and their states, schedules and runs abandoned add up to its; part 2 of
 * 3 run as tasks runs what it runs on one core. Stopping at the first
 * failure, the parts' least place is the split search's first failure. */
static void reduced_parts_cover(rl_target t, bool keep_going) {
    rl_explore_opts o = rl_explore_opts_default();
    o.preemptions = RL_PREEMPTIONS_ALL;
    o.keep_going = keep_going;
    o.minimize = false;
    ran whole = {0}, one = {0};
    rl_explore_result w = reduced_part(&t, o, 0, 0, 0, &whole);
    rl_explore_result s1 = reduced_part(&t, o, 1, 1, 0, &one);
    print_message("  %-28s %s: %llu schedules, %llu redundant; split: %llu, %llu; in parts:",
                  t.name, keep_going ? "all" : "first failure", (unsigned long long)w.schedules,
                  (unsigned long long)w.redundant, (unsigned long long)s1.schedules,
                  (unsigned long long)s1.redundant);
    assert_int_equal(s1.failed, w.failed);
    assert_int_equal(s1.complete, w.complete);
    if (keep_going) {
        /* each search runs one schedule per class of equivalent schedules
         * (sleep sets never let two of a class both end): the same number,
         * the same states as often, though not always the same schedule of
         * a class; the full nodes only add runs abandoned as redundant */
        assert_true(s1.complete);
        assert_int_equal(s1.schedules, w.schedules);
        assert_true(s1.redundant >= w.redundant);
        assert_int_equal(s1.nstates, w.nstates);
        for (size_t i = 0; i < w.nstates; i++)
            if (state_count(&s1, w.states[i].state) != w.states[i].schedules)
                fail_msg("%s: state '%s' in %llu schedules split, %llu whole", t.name,
                         w.states[i].state,
                         (unsigned long long)state_count(&s1, w.states[i].state),
                         (unsigned long long)w.states[i].schedules);
        sort_ran(&one);
        for (size_t i = 1; i < one.n; i++)
            if (one.hash[i] == one.hash[i - 1])
                fail_msg("%s: the split search ran a schedule twice", t.name);
    }
    static const unsigned ns[] = {2, 3, 5};
    for (size_t c = 0; c < sizeof ns / sizeof *ns; c++) {
        unsigned n = ns[c];
        ran parts = {0};
        uint64_t schedules = 0, redundant = 0;
        rl_explore_result p[5], best = {0};
        bool have = false;
        for (unsigned k = 1; k <= n; k++) {
            p[k - 1] = reduced_part(&t, o, k, n, 0, &parts);
            print_message(" %llu", (unsigned long long)p[k - 1].schedules);
            schedules += p[k - 1].schedules;
            redundant += p[k - 1].redundant;
            if (p[k - 1].failed) {
                assert_non_null(p[k - 1].order);
                if (!have || rl_order_cmp(p[k - 1].order, p[k - 1].norder, best.order,
                                          best.norder) < 0) {
                    best = p[k - 1];
                    have = true;
                }
            } else if (keep_going || !s1.failed) {
                assert_true(p[k - 1].complete);
            }
        }
        print_message(n == 5 ? "\n" : ";");
        if (keep_going) {
            assert_int_equal(schedules, s1.schedules);
            assert_int_equal(redundant, s1.redundant);
            assert_int_equal(parts.n, one.n);
            sort_ran(&parts);
            for (size_t i = 0; i < one.n; i++)
                if (parts.hash[i] != one.hash[i])
                    fail_msg("%s in %u parts: other schedules than the split search's (or one "
                             "in two parts)",
                             t.name, n);
            for (size_t i = 0; i < s1.nstates; i++) {
                uint64_t sum = 0;
                for (unsigned k = 0; k < n; k++)
                    sum += state_count(&p[k], s1.states[i].state);
                if (sum != s1.states[i].schedules)
                    fail_msg("%s in %u parts: state '%s' in %llu schedules split, %llu in the "
                             "parts",
                             t.name, n, s1.states[i].state,
                             (unsigned long long)s1.states[i].schedules,
                             (unsigned long long)sum);
            }
        }
        assert_int_equal(have, s1.failed);
        if (have) {
            assert_string_equal(best.first.schedule, s1.first.schedule);
            assert_string_equal(best.first.message, s1.first.message);
        }
        for (unsigned k = 0; k < n; k++)
            rl_explore_result_free(&p[k]);
        free(parts.hash);
    }
    /* part 2 of 3 as tasks on a coordinator: as on one core */
    ran alone = {0}, fed = {0};
    rl_explore_result a = reduced_part(&t, o, 2, 3, 0, &alone);
    rl_explore_result f = reduced_part(&t, o, 2, 3, 4, &fed);
    assert_int_equal(f.failed, a.failed);
    if (keep_going) {
        assert_int_equal(f.schedules, a.schedules);
        assert_int_equal(f.redundant, a.redundant);
        assert_int_equal(fed.n, alone.n);
        sort_ran(&alone);
        sort_ran(&fed);
        for (size_t i = 0; i < alone.n; i++)
            if (fed.hash[i] != alone.hash[i])
                fail_msg("%s: part 2 of 3 as tasks ran other schedules than on one core",
                         t.name);
    }
    rl_explore_result_free(&a);
    rl_explore_result_free(&f);
    rl_explore_result_free(&s1);
    rl_explore_result_free(&w);
    free(alone.hash);
    free(fed.hash);
    free(whole.hash);
    free(one.hash);
    rl_target_free(&t);
}

static void reduced_parts(const char *name, unsigned merchants, unsigned customers,
                          unsigned threads, bool keep_going) {
    reduced_parts_cover(rl_test_target(name, merchants, customers, threads), keep_going);
}

static void reduced_parts_cover_the_split_search(void **state) {
    (void)state;
    reduced_parts("bill:racy", 3, 2, 0, true);
    reduced_parts("bill:mutex", 3, 2, 0, true); /* a proof */
    reduced_parts("processor:unbuffered", 0, 0, 0, true); /* runs abandoned */
    reduced_parts("locker:spinlock", 0, 0, 0, true);      /* yields */
    reduced_parts("deadlock:opposite-order", 0, 0, 0, true);
    reduced_parts("close:check-then-close", 0, 0, 3, true);
    reduced_parts("bill:racy", 3, 2, 0, false); /* the first failure */
    reduced_parts("close:check-then-close", 0, 0, 3, false);
    reduced_parts("idempotent:check-then-run", 0, 0, 3, false);
    for (uint32_t seed = 0; seed < 20; seed++) { /* made up: loads, stores, locks */
        rl_made_up m = seed % 2 ? rl_made_up_locking(seed) : rl_made_up_from(seed, true);
        rl_target t;
        rl_made_up_target(&t, &m);
        reduced_parts_cover(t, true);
    }
}

/* A worker whose program lies elsewhere in memory is refused. */
static void workers_laid_out_alike(void **state) {
    (void)state;
    rl_explore_coord *c = rl_explore_coord_new(false);
    assert_non_null(c);
    rl__dpor_result_head hello = {.magic = RL_DPOR_MAGIC, .kind = RL_DPOR_HELLO,
                                  .layout = 0x1234};
    bool waits = false;
    assert_int_equal(rl_explore_coord_back(c, &hello, sizeof hello, &waits), RL_OK);
    assert_true(waits);
    assert_int_equal(rl_explore_coord_back(c, &hello, sizeof hello, &waits), RL_OK);
    hello.layout = 0x5678;
    assert_int_equal(rl_explore_coord_back(c, &hello, sizeof hello, &waits), RL_ENOTSUP);
    assert_int_equal(rl_explore_coord_back(c, "junk", 4, &waits), RL_EINVAL);
    rl_explore_coord_free(c);
}

/* ---- reading results back ---- */

/* r as JSON, in a heap string. */
static char *as_json(const char *name, const rl_explore_opts *o, const rl_explore_result *r,
                     size_t *len) {
    char *text = NULL;
    FILE *f = open_memstream(&text, len);
    assert_non_null(f);
    rl_explore_write_json(f, name, o, r);
    assert_int_equal(fclose(f), 0);
    return text;
}

/* What rl_explore_write_json writes, read back and written again, is the
 * same text: every field the report shows comes back (the trace's marks,
 * values and notes, the states, the order of a part's failure). */
static void results_read_back_whole(void **state) {
    (void)state;
    const struct {
        const char *spec;
        unsigned merchants, customers, threads;
        bool all, split;
    } cases[] = {
        {"bill:racy", 2, 2, 0, false, false},            /* lost updates */
        {"deadlock:opposite-order", 0, 0, 0, true, true}, /* blocked threads, a part */
        {"close:check-then-close", 0, 0, 2, true, false},
        {"bill:mutex", 2, 2, 0, false, false}, /* a proof */
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        rl_target t = rl_test_target(cases[c].spec, cases[c].merchants, cases[c].customers,
                            cases[c].threads);
        rl_explore_opts o = rl_explore_opts_default();
        o.keep_going = cases[c].all;
        part at = {0, 2};
        rl_explore_split split = {.owns = owns_mod, .ctx = &at, .first_part = true, .part = 1,
                                  .parts = 2};
        if (cases[c].split)
            o.split = &split;
        rl_explore_result r = rl_test_explore(&t, o);
        size_t len = 0, len2 = 0;
        char *text = as_json(cases[c].spec, &o, &r, &len);
        char name[160];
        rl_explore_opts back;
        rl_explore_result again;
        unsigned index = 9, of = 9;
        char why[256] = "";
        if (rl_explore_read_json(text, len, name, sizeof name, &back, &again, &index, &of, why,
                                 sizeof why) != RL_OK)
            fail_msg("%s: read back: %s", cases[c].spec, why);
        assert_string_equal(name, cases[c].spec);
        assert_int_equal(index, cases[c].split ? 1 : 0);
        assert_int_equal(of, cases[c].split ? 2 : 0);
        back.split = o.split; /* the part's numbers are the options' */
        char *text2 = as_json(name, &back, &again, &len2);
        if (len != len2 || strcmp(text, text2) != 0)
            fail_msg("%s: written, read back and written again differs:\n%s\n---\n%s",
                     cases[c].spec, text, text2);
        free(text);
        free(text2);
        rl_explore_result_free(&again);
        rl_explore_result_free(&r);
        rl_target_free(&t);
    }
}

/* The reader takes JSON as RFC 8259 has it, and says where it is not. */
static void json_reader_syntax(void **state) {
    (void)state;
    const char *doc = " {\"a\": [1, -2.5e3, true, false, null, \"x\\\"\\\\\\/\\b\\f\\n\\r\\t\"],"
                      " \"u\": \"\\u00e9\\u20ac\\ud83d\\ude00\", \"n\": 18446744073709551615,"
                      " \"o\": {}, \"e\": []}\n";
    char why[128] = "";
    rl__jv *v = rl__jv_parse(doc, strlen(doc), why, sizeof why);
    if (!v)
        fail_msg("a good document refused: %s", why);
    const rl__jv *a = rl__jv_get(v, "a");
    assert_non_null(a);
    assert_int_equal(a->type, RL_JV_ARRAY);
    assert_int_equal(a->n, 6);
    assert_string_equal(a->items[1].s, "-2.5e3");
    assert_true(a->items[2].type == RL_JV_BOOL && a->items[2].b);
    assert_int_equal(a->items[4].type, RL_JV_NULL);
    assert_string_equal(a->items[5].s, "x\"\\/\b\f\n\r\t");
    assert_string_equal(rl__jv_str(v, "u"), "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
    uint64_t n = 0;
    assert_true(rl__jv_u64(v, "n", &n));
    assert_true(n == UINT64_MAX);
    assert_false(rl__jv_u64(a, "n", &n)); /* not an object */
    assert_int_equal(rl__jv_get(v, "o")->n, 0);
    assert_int_equal(rl__jv_get(v, "e")->type, RL_JV_ARRAY);
    rl__jv_free(v);
    const struct {
        const char *text, *says;
    } bad[] = {
        {"", "a value expected"},
        {"{\"a\" 1}", "a ':' expected"},
        {"{\"a\": 1,}", "a member's name"},
        {"[1 2]", "a ',' or ']' expected"},
        {"[01]", "a ',' or ']' expected"},
        {"\"abc", "a string not ended"},
        {"\"a\\q\"", "a bad escape"},
        {"\"\\ud800\"", "a bad escape"},
        {"\"a\tb\"", "a control character"},
        {"1.", "a digit expected"},
        {"tru", "a value expected"},
        {"{} {}", "more text after"},
        {"{\n\n\"a\": ]}", "line 3"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        why[0] = '\0';
        v = rl__jv_parse(bad[i].text, strlen(bad[i].text), why, sizeof why);
        if (v)
            fail_msg("'%s' taken", bad[i].text);
        if (!strstr(why, bad[i].says))
            fail_msg("'%s': said '%s', not '%s'", bad[i].text, why, bad[i].says);
    }
    char deep[200];
    memset(deep, '[', sizeof deep);
    assert_null(rl__jv_parse(deep, sizeof deep, why, sizeof why));
    assert_contains(why, "nested too deeply");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        rl_unit_test(parts_cover_the_search_exactly),
        rl_unit_test(the_first_failure_is_the_least_place),
        rl_unit_test(only_a_bounded_search_splits),
        rl_unit_test(reduced_tasks_run_the_search),
        rl_unit_test(made_up_tasks_run_the_search),
        rl_unit_test(reduced_parts_cover_the_split_search),
        rl_unit_test(workers_laid_out_alike),
        rl_unit_test(results_read_back_whole),
        rl_unit_test(json_reader_syntax),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

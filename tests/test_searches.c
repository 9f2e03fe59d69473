/* test_searches.c - layer 6: the explorer's searches beyond the bounded
 * one. Partial-order reduction reaches the same final states and failures
 * as the unreduced search on every target and proves the fixes with far
 * fewer schedules; the bounded search proves every billing fix within
 * its bound; delay bounding finds a late thread among many; a
 * signal may wake any of its waiters; PCT meets its published probability
 * bound on a small case; and the reports never mislead (too many threads,
 * deadlock traces, traces that end at the failure, replays that do not
 * fit). */
#include <stdlib.h>
#include <string.h>

#include "racelab/channel.h"
#include "racelab/explore.h"
#include "made_up.h"
#include "racelab_seams.h"
#include "testing.h"

static rl_explore_opts every_schedule(bool reduce) {
    rl_explore_opts o = rl_explore_opts_default();
    o.preemptions = RL_PREEMPTIONS_ALL;
    o.reduce = reduce;
    o.keep_going = true;
    o.minimize = false;
    o.max_schedules = 300000;
    return o;
}

/* Every state of a is a state of b, with the same verdict. */
static bool states_within(const rl_explore_result *a, const rl_explore_result *b) {
    for (size_t i = 0; i < a->nstates; i++) {
        bool found = false;
        for (size_t j = 0; j < b->nstates && !found; j++)
            found = strcmp(a->states[i].state, b->states[j].state) == 0 &&
                    a->states[i].held == b->states[j].held;
        if (!found) {
            print_message("  state '%s' (%s) missing\n", a->states[i].state,
                          a->states[i].held ? "held" : "broken");
            return false;
        }
    }
    return true;
}

/* ---- partial-order reduction ---- */

/* ---- one schedule per class ----
 * A schedule's class: each thread's steps (what each touched) and, for
 * every pair of dependent steps of different threads, which came first.
 * Two schedules are in one class exactly when these agree; a hash of them
 * stands for the class. */
typedef struct {
    uint64_t *hash;
    size_t n, cap;
} classes;

static uint64_t mix(uint64_t h, uint64_t v) {
    for (int i = 0; i < 8; i++)
        h = (h ^ (v >> (8 * i) & 0xff)) * 1099511628211ull;
    return h;
}

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* The class of a schedule, whatever order its independent steps ran in:
 * each step is named (thread, k-th step of it); its hash covers its name,
 * what it touched and the sorted names of the dependent steps of other
 * threads before it; the class hash covers the steps' hashes in name
 * order. */
static void note_class(const struct rl__run *r, void *ctx) {
    classes *c = ctx;
    size_t n = rl__run_steps(r);
    assert_true(n > 0);
    unsigned k[RL_EXPLORE_MAX_THREADS] = {0};
    uint64_t *name = calloc(n, sizeof *name), *preds = calloc(n, sizeof *preds);
    uint64_t *named = calloc(n, sizeof *named); /* (name, hash) in name order */
    assert_true(name && preds && named);
    for (size_t j = 0; j < n; j++) {
        unsigned t = rl__run_thread(r, j);
        name[j] = (uint64_t)t << 32 | k[t]++;
    }
    for (size_t j = 0; j < n; j++) {
        size_t np = 0;
        for (size_t i = 0; i < j; i++)
            if (rl__run_thread(r, i) != rl__run_thread(r, j) && rl__run_dependent(r, i, j))
                preds[np++] = name[i];
        qsort(preds, np, sizeof *preds, cmp_u64);
        uint64_t h = mix(1469598103934665603ull, name[j]);
        h = mix(h, rl__run_footprint(r, j));
        for (size_t i = 0; i < np; i++)
            h = mix(h, preds[i]);
        named[j] = h ^ name[j] * 0x9e3779b97f4a7c15ull; /* one per name: order them by it */
    }
    /* steps in name order: sort (name, hash) pairs by name */
    for (size_t j = 0; j < n; j++)
        preds[j] = j;
    for (size_t a = 1; a < n; a++) /* insertion sort by name: schedules are short */
        for (size_t b = a; b > 0 && name[preds[b - 1]] > name[preds[b]]; b--) {
            uint64_t t = preds[b];
            preds[b] = preds[b - 1];
            preds[b - 1] = t;
        }
    uint64_t h = 1469598103934665603ull;
    for (size_t j = 0; j < n; j++)
        h = mix(h, named[preds[j]]);
    free(name);
    free(preds);
    free(named);
    if (c->n == c->cap) {
        c->cap = c->cap ? 2 * c->cap : 1024;
        c->hash = realloc(c->hash, c->cap * sizeof *c->hash);
        assert_non_null(c->hash);
    }
    c->hash[c->n++] = h;
}

/* Sorted; how many distinct. */
static size_t distinct(classes *c) {
    qsort(c->hash, c->n, sizeof *c->hash, cmp_u64);
    size_t d = 0;
    for (size_t i = 0; i < c->n; i++)
        if (i == 0 || c->hash[i] != c->hash[i - 1])
            c->hash[d++] = c->hash[i];
    return d;
}

/* Explore t with reduction and without: both complete, the same final
 * states with the same verdicts (failures among them: their kinds are
 * states such as "(deadlock)"), every class of schedules run exactly once
 * (as many schedules as classes, and the classes those of the unreduced
 * search). The results go to r and u. */
static void reduction_matches(const rl_target *t, rl_explore_result *r, rl_explore_result *u) {
    classes red = {0}, all = {0};
    rl__explore_footprints = true;
    rl__explore_run_hook = note_class;
    rl__explore_run_hook_ctx = &red;
    *r = rl_test_explore(t, every_schedule(true));
    rl__explore_run_hook_ctx = &all;
    *u = rl_test_explore(t, every_schedule(false));
    rl__explore_run_hook = NULL;
    rl__explore_footprints = false;
    if (!u->complete)
        fail_msg("%s: the unreduced search did not end: pick a smaller case", t->name);
    assert_true(r->complete);
    assert_true(r->reduced);
    assert_false(u->reduced);
    if (!states_within(r, u) || !states_within(u, r))
        fail_msg("%s: reduction changed the reachable final states", t->name);
    size_t nred = red.n, dred = distinct(&red), dall = distinct(&all);
    print_message("  %-28s %6zu reduced schedules, %6zu classes; unreduced %6zu schedules\n",
                  t->name, nred, dall, all.n);
    if (dred != nred)
        fail_msg("%s: %zu reduced schedules fall in only %zu classes", t->name, nred, dred);
    if (dred != dall || memcmp(red.hash, all.hash, dred * sizeof *red.hash) != 0)
        fail_msg("%s: the reduced search ran %zu classes of the %zu there are", t->name, dred,
                 dall);
    free(red.hash);
    free(all.hash);
}

typedef struct {
    unsigned targets;
    uint64_t reduced, unreduced;
} sound_ctx;

/* One target: as reduction_matches, and it fails exactly when it is racy. */
static void one_per_class(void *ctx, const char *name, const char *summary, bool correct) {
    (void)summary;
    sound_ctx *sc = ctx;
    bool bill = strncmp(name, "bill:", 5) == 0;
    /* small cases, where the unreduced search ends: 2 merchants x 1
     * customer for bill, 2 threads and 2 items elsewhere */
    rl_target t = rl_test_target(name, 0, 0, 0);
    unsigned knobs = t.scenario ? t.scenario->knobs : strncmp(name, "startup:", 8) == 0
                                                          ? RL_KNOB_THREADS
                                                          : 0;
    rl_target_free(&t);
    t = rl_test_target(name, knobs & RL_KNOB_MERCHANTS ? 2 : 0, knobs & RL_KNOB_CUSTOMERS ? (bill ? 1 : 2) : 0,
              knobs & RL_KNOB_THREADS ? 2 : 0);
    rl_explore_result r, u;
    reduction_matches(&t, &r, &u);
    assert_int_equal(r.failed, u.failed);
    assert_int_equal(r.failed, !correct);
    sc->targets++;
    sc->reduced += r.schedules;
    sc->unreduced += u.schedules;
    rl_explore_result_free(&r);
    rl_explore_result_free(&u);
}

/* On every target: the final states and failures of the unreduced
 * search; every class of schedules run exactly once (as many schedules as
 * classes, and the classes those of the unreduced search). */
static void reduction_is_sound_and_runs_each_class_once(void **state) {
    (void)state;
    sound_ctx sc = {0};
    rl_target_list(one_per_class, &sc);
    assert_true(sc.targets >= 30);
    assert_true(sc.reduced * 10 < sc.unreduced);
}

/* The same on made-up targets (made_up.h): 3 threads of 2, or 2 of 3,
 * loads, stores, atomic adds and mutex-guarded increments of three
 * variables, drawn from seeds, so that reduction meets shapes of program
 * no scenario was written for. */
#ifndef MADE_UP_SEEDS /* a hunt: -DMADE_UP_SEEDS=N */
#define MADE_UP_SEEDS 200
#endif
static void reduction_sound_on(rl_made_up (*make)(uint32_t seed), const char *what) {
    uint64_t reduced = 0, unreduced = 0;
    for (uint32_t seed = 0; seed < MADE_UP_SEEDS; seed++) {
        rl_made_up m = make(seed);
        rl_target t;
        rl_made_up_target(&t, &m);
        rl_explore_result r, u;
        reduction_matches(&t, &r, &u);
        reduced += r.schedules;
        unreduced += u.schedules;
        rl_explore_result_free(&r);
        rl_explore_result_free(&u);
        rl_target_free(&t);
    }
    print_message("  %u made-up %s: %llu reduced schedules, %llu unreduced\n", MADE_UP_SEEDS,
                  what, (unsigned long long)reduced, (unsigned long long)unreduced);
}

static rl_made_up made_up_rich(uint32_t seed) { return rl_made_up_from(seed, true); }

static void reduction_is_sound_on_made_up_targets(void **state) {
    (void)state;
    reduction_sound_on(made_up_rich, "targets");
}

/* The same with try-locks and empty critical sections among the kinds:
 * the unlock that ends a section with no step in it is a step of its own,
 * whose race with a try-lock the reduction must see. */
static void reduction_is_sound_on_made_up_locking(void **state) {
    (void)state;
    reduction_sound_on(rl_made_up_locking, "locking targets");
}

/* ---- the fixes, over every schedule within the bound ----
 * (the bounded search: each fix at 2 x 2 and 3 x 2 holds, one final state) */

static void fixes_proved(void **state) {
    (void)state;
    static const char *fixes[] = {"mutex",    "staggered",       "global",       "atomic",
                                  "cas",      "trylock",         "processor",    "advisory",
                                  "repeatable-read", "serializable", "batch"};
    static const struct {
        unsigned m, c;
        const char *expected;
    } cases[] = {{2, 2, "Dave=350 Susan=1400"}, {3, 2, "Dave=325 Susan=1500"}};
    for (size_t f = 0; f < sizeof fixes / sizeof fixes[0]; f++)
        for (size_t k = 0; k < 2; k++) {
            char spec[32];
            snprintf(spec, sizeof spec, "bill:%s", fixes[f]);
            rl_target t = rl_test_target(spec, cases[k].m, cases[k].c, 0);
            rl_explore_opts o = rl_explore_opts_default();
            o.keep_going = true;
            /* the processor's five threads and its channels make bound 2 at
             * 3 x 2 more than three million schedules: bound 1 there */
            if (strcmp(fixes[f], "processor") == 0 && cases[k].m == 3)
                o.preemptions = 1;
            rl_explore_result r = rl_test_explore(&t, o);
            if (r.failed)
                fail_msg("%s %ux%u failed: %s (schedule %s)", spec, cases[k].m, cases[k].c,
                         r.first.message, r.first.schedule);
            assert_true(r.exhaustive);
            assert_true(r.schedules > 1);
            assert_int_equal(r.nstates, 1);
            assert_string_equal(r.states[0].state, cases[k].expected);
            assert_true(r.states[0].held);
            rl_explore_result_free(&r);
        }
}

/* target m x c proved: every class of schedules, fewer than `most`, and
 * the unreduced search does not get there in `factor` times as many. */
static void assert_proved(const char *target, unsigned m, unsigned c, uint64_t most,
                          uint64_t factor) {
    rl_target t = rl_test_target(target, m, c, 0);
    rl_explore_opts o = every_schedule(true);
    o.keep_going = false;
    rl_explore_result r = rl_test_explore(&t, o);
    assert_false(r.failed);
    assert_true(r.complete);
    assert_true(r.schedules < most);
    assert_int_equal(r.nstates, 1);
    o.reduce = false;
    o.max_schedules = factor * r.schedules;
    rl_explore_result u = rl_test_explore(&t, o);
    assert_false(u.complete);
    rl_explore_result_free(&u);
    rl_explore_result_free(&r);
}

/* bill:mutex 3 x 3, proved: every class of schedules, few schedules. */
static void mutex_three_by_three_proved(void **state) {
    (void)state;
    assert_proved("bill:mutex", 3, 3, 20000, 10);
}

/* ---- channels: sections that commute, and those that do not ----
 * A channel's mutex is guarded: a send into a ring that is not full and a
 * receive from one that is not empty are one order to the reduction, not
 * two. Sound only if every section declares what it depended on; these
 * targets make every such dependence show in the final state (what each
 * call returned, in order), so a declaration missing from channel.c makes
 * the reduced search miss a state the unreduced search reaches. */

typedef struct {
    size_t capacity;
    bool second; /* a second receiver, which receives once */
    bool light;  /* fewer calls: the closer only closes, the receiver only drains */
} chan_spec;

typedef struct {
    const chan_spec *spec;
    rl_chan *ch;
    char log[4][64]; /* per thread: what its calls returned */
} chan_case;

static void log_call(char *log, rl_err e, int v) {
    size_t n = strlen(log);
    if (e == RL_OK)
        snprintf(log + n, 64 - n, "%d", v);
    else
        snprintf(log + n, 64 - n, "%c", e == RL_ECLOSED ? 'x' : 'b');
}

static void sender_ab(void *arg) { /* sends 1 then 2 */
    chan_case *c = arg;
    for (int v = 1; v <= 2; v++)
        log_call(c->log[0], rl_chan_send(c->ch, &v), v);
}

static void sender_closer(void *arg) { /* sends 3, then closes */
    chan_case *c = arg;
    int v = 3;
    if (!c->spec->light)
        log_call(c->log[1], rl_chan_send(c->ch, &v), v);
    rl_chan_close(c->ch);
}

static void receiver(void *arg) { /* tries once, looks at the length, then drains */
    chan_case *c = arg;
    char *log = c->log[2];
    int v = 0;
    rl_err e;
    if (!c->spec->light) {
        e = rl_chan_try_recv(c->ch, &v);
        log_call(log, e, v);
        log_call(log, RL_OK, (int)rl_chan_len(c->ch));
    }
    while ((e = rl_chan_recv(c->ch, &v)) == RL_OK)
        log_call(log, e, v);
}

static void second_receiver(void *arg) { /* receives once */
    chan_case *c = arg;
    int v = 0;
    rl_err e = rl_chan_recv(c->ch, &v);
    log_call(c->log[3], e, v);
}

static rl_err run_chan_case(const rl_target *t, rl_outcome *out) {
    chan_case c = {.spec = t->ctx};
    rl_err e = rl_chan_create(sizeof(int), c.spec->capacity, "ch", &c.ch);
    if (e != RL_OK)
        return e;
    void (*fns[4])(void *) = {sender_ab, sender_closer, receiver, second_receiver};
    rl_thread th[4];
    unsigned n = c.spec->second ? 4 : 3;
    for (unsigned i = 0; i < n; i++)
        if ((e = rl_thread_create(&th[i], "t", fns[i], &c)) != RL_OK)
            rl_fatal("thread %u: %s", i, rl_strerror(e));
    for (unsigned i = 0; i < n; i++)
        rl_thread_join(&th[i]);
    rl_chan_destroy(c.ch);
    rl_outcome_state(out, "a=%s b=%s r=%s r2=%s", c.log[0], c.log[1], c.log[2], c.log[3]);
    rl_outcome_verdict(out, true, "ran");
    return RL_OK;
}

static void channel_reduction_is_sound(void **state) {
    (void)state;
    /* rendezvous with two receivers: light, or the unreduced search does
     * not end */
    const chan_spec specs[] = {{0, false, false}, {1, false, false}, {2, false, false},
                               {0, true, true},   {1, true, false},  {2, true, false}};
    for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++) {
        rl_target t;
        char name[48];
        snprintf(name, sizeof name, "chan capacity %zu%s%s", specs[i].capacity,
                 specs[i].second ? " two receivers" : "", specs[i].light ? " light" : "");
        rl_target_custom(&t, name, run_chan_case, (void *)&specs[i]);
        rl_explore_result r, u;
        reduction_matches(&t, &r, &u);
        assert_true(r.schedules < u.schedules);
        assert_true(u.nstates > 1);
        rl_explore_result_free(&r);
        rl_explore_result_free(&u);
    }
}

/* A thread waiting with rl_mutex_lock_when (as a channel's receiver does)
 * for what never comes: a deadlock, its trace ending with the thread
 * waiting on the condition (not at a lock). The objects live on the
 * target's stack: a deadlocked run never returns to free anything. */
typedef struct {
    rl_mutex mu;
    rl_cond cv;
    int letters;
} inbox;

static bool has_letter(void *arg) { return ((inbox *)arg)->letters > 0; }

static void lonely_reader(void *arg) {
    inbox *in = arg;
    rl_mutex_lock_when(&in->mu, &in->cv, has_letter, in);
    in->letters--;
    rl_mutex_unlock(&in->mu);
}

static rl_err run_lonely(const rl_target *t, rl_outcome *out) {
    (void)t;
    inbox in = {.letters = 0};
    rl_err e = rl_mutex_init(&in.mu, "inbox");
    if (e == RL_OK)
        e = rl_cond_init(&in.cv, "inbox");
    rl_thread th;
    if (e == RL_OK && (e = rl_thread_create(&th, "reader", lonely_reader, &in)) == RL_OK)
        rl_thread_join(&th);
    rl_outcome_verdict(out, true, "ran");
    return e;
}

static void waiting_deadlock_names_the_condition(void **state) {
    (void)state;
    rl_target t;
    rl_target_custom(&t, "lonely receiver", run_lonely, NULL);
    rl_explore_result r = rl_test_explore(&t, every_schedule(true));
    assert_true(r.failed);
    assert_int_equal(r.first.kind, RL_FAIL_DEADLOCK);
    assert_non_null(strstr(r.first.message, "reader waits on inbox, never ready"));
    const rl_trace_step *last = NULL;
    for (size_t i = 0; i < r.first.nsteps; i++)
        if (strcmp(r.first.steps[i].thread_name, "reader") == 0)
            last = &r.first.steps[i];
    assert_non_null(last);
    assert_true(last->marks & RL_MARK_BLOCKED);
    assert_string_equal(last->op, "wait");
    assert_string_equal(last->object, "inbox");
    rl_explore_result_free(&r);
}

/* A try-lock finds a mutex held across a critical section in which its
 * holder makes no step: the unlock is a step of its own there, in every
 * search, so "busy" is among the final states as natively. */
typedef struct {
    rl_mutex gate;
    bool busy;
} gate;

static void passer(void *arg) { /* a section with nothing the explorer sees */
    gate *g = arg;
    rl_mutex_lock(&g->gate);
    rl_mutex_unlock(&g->gate);
}

static void trier(void *arg) {
    gate *g = arg;
    if (rl_mutex_trylock(&g->gate))
        rl_mutex_unlock(&g->gate);
    else
        g->busy = true;
}

static rl_err run_gate(const rl_target *t, rl_outcome *out) {
    (void)t;
    gate g = {.busy = false};
    rl_err e = rl_mutex_init(&g.gate, "gate");
    rl_thread a, b;
    if (e == RL_OK && (e = rl_thread_create(&a, "passer", passer, &g)) == RL_OK) {
        if ((e = rl_thread_create(&b, "trier", trier, &g)) == RL_OK)
            rl_thread_join(&b);
        rl_thread_join(&a);
    }
    if (e == RL_OK)
        rl_mutex_destroy(&g.gate);
    rl_outcome_state(out, "%s", g.busy ? "busy" : "free");
    rl_outcome_verdict(out, true, "ran");
    return e;
}

static bool has_state(const rl_explore_result *r, const char *state) {
    for (size_t i = 0; i < r->nstates; i++)
        if (strcmp(r->states[i].state, state) == 0)
            return true;
    return false;
}

static void trylock_finds_a_stepless_section_held(void **state) {
    (void)state;
    rl_target t;
    rl_target_custom(&t, "stepless section", run_gate, NULL);
    rl_explore_opts bounded = rl_explore_opts_default();
    bounded.keep_going = true;
    rl_explore_opts opts[] = {every_schedule(true), every_schedule(false), bounded};
    for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++) {
        rl_explore_result r = rl_test_explore(&t, opts[i]);
        assert_false(r.failed);
        assert_int_equal(r.nstates, 2);
        assert_true(has_state(&r, "busy"));
        assert_true(has_state(&r, "free"));
        rl_explore_result_free(&r);
    }
}

/* bill:processor 3 x 2, proved: a channel's send and receive commute
 * when neither waits, so the classes are the orders in which bills reach
 * the processor and who waits for whom, not every order of the channels'
 * mutexes (more than 1,000,000 before channels declared their state). */
static void processor_three_by_two_proved(void **state) {
    (void)state;
    assert_proved("bill:processor", 3, 2, 100000, 1);
}

/* A racy target fails under reduction with a failure that replays. */
static void reduction_finds_and_replays(void **state) {
    (void)state;
    rl_target t = rl_test_target("bill:racy", 3, 2, 0);
    rl_explore_opts o = every_schedule(true);
    o.keep_going = false;
    o.minimize = true;
    rl_explore_result r = rl_test_explore(&t, o);
    assert_true(r.failed);
    rl_explore_opts replay = rl_explore_opts_default();
    replay.search = RL_SEARCH_REPLAY;
    replay.replay = r.minimized.schedule;
    rl_explore_result again = rl_test_explore(&t, replay);
    assert_true(again.failed);
    assert_string_equal(again.first.outcome.state, r.minimized.outcome.state);
    rl_explore_result_free(&again);
    rl_explore_result_free(&r);
}

/* ---- many threads: delay bounding ---- */

static void delays_find_the_late_starter(void **state) {
    (void)state;
    const unsigned sizes[] = {10, 20};
    for (size_t i = 0; i < 2; i++) {
        rl_target t = rl_test_target("startup:unordered", 0, 0, sizes[i]);
        rl_explore_opts o = rl_explore_opts_default();
        o.search = RL_SEARCH_DELAYS;
        o.delays = 1;
        o.max_schedules = 1000;
        rl_explore_result r = rl_test_explore(&t, o);
        assert_true(r.failed);
        assert_true(r.schedules <= 1000);
        rl_explore_result_free(&r);
        /* the preemption-bounded search walks the users' orders first */
        o = rl_explore_opts_default();
        o.max_schedules = 1000;
        r = rl_test_explore(&t, o);
        assert_false(r.failed);
        rl_explore_result_free(&r);
    }
    /* with no delay at all the round robin starts the service first */
    rl_target t = rl_test_target("startup:unordered", 0, 0, 10);
    rl_explore_opts o = rl_explore_opts_default();
    o.search = RL_SEARCH_DELAYS;
    o.delays = 0;
    rl_explore_result r = rl_test_explore(&t, o);
    assert_false(r.failed);
    assert_int_equal(r.schedules, 1);
    assert_true(r.exhaustive);
    assert_false(r.complete);
    rl_explore_result_free(&r);
}

/* ---- which waiter a signal wakes ---- */

static void signal_may_wake_the_later_waiter(void **state) {
    (void)state;
    rl_target fifo = rl_test_target("signal:fifo-assumed", 0, 0, 0);
    rl_explore_result r = rl_test_explore(&fifo, every_schedule(true));
    assert_true(r.failed);
    assert_true(r.complete);
    assert_int_equal(r.first.kind, RL_FAIL_INVARIANT);
    rl_explore_result_free(&r);
    rl_target tickets = rl_test_target("signal:tickets", 0, 0, 0);
    r = rl_test_explore(&tickets, every_schedule(true));
    assert_false(r.failed);
    assert_true(r.complete);
    rl_explore_result_free(&r);
}

/* ---- PCT's guarantee, counted ---- */

/* Burckhardt et al.: a bug of depth d is found with probability at least
 * 1 / (n k^(d-1)) per run, n threads and k steps. The two-lock deadlock
 * has depth 2 (one ordering constraint besides the one that starts it). */
static void pct_meets_its_bound(void **state) {
    (void)state;
    rl_target t = rl_test_target("deadlock:opposite-order", 0, 0, 0);
    rl_explore_opts o = rl_explore_opts_default();
    o.search = RL_SEARCH_PCT;
    o.depth = 2;
    o.iterations = 4000;
    o.keep_going = true;
    o.minimize = false;
    rl_explore_result r = rl_test_explore(&t, o);
    double n = 3, k = (double)r.longest;
    double bound = 1.0 / (n * k);
    double rate = (double)r.failing / (double)r.schedules;
    print_message("  PCT d=2: %llu of %llu schedules fail (%.3f), bound 1/(n k) = %.3f\n",
                  (unsigned long long)r.failing, (unsigned long long)r.schedules, rate, bound);
    assert_int_equal(r.schedules, 4000);
    assert_true(rate >= bound);
    /* failing counts exactly the broken states' schedules */
    uint64_t broken = 0;
    for (size_t i = 0; i < r.nstates; i++)
        if (!r.states[i].held)
            broken += r.states[i].schedules;
    assert_int_equal(broken, r.failing);
    rl_explore_result_free(&r);
}

/* Minimization lowers the preemptions before the length: a failure PCT
 * found with 3 preemptions (seed 2) keeps 2 when deviations are dropped
 * without looking at them; dropping first those whose going removes a
 * preemption leaves 1, the fewest a lost update needs. */
static void minimizing_removes_preemptions_first(void **state) {
    (void)state;
    rl_target t = rl_test_target("bill:racy", 3, 3, 0);
    rl_explore_opts o = rl_explore_opts_default();
    o.search = RL_SEARCH_PCT;
    o.depth = 3;
    o.seed = 2;
    rl_explore_result r = rl_test_explore(&t, o);
    assert_true(r.failed);
    assert_int_equal(r.first.preemptions, 3);
    assert_int_equal(r.minimized.preemptions, 1);
    rl_explore_result_free(&r);
}

/* ---- reports ---- */

static void too_many_threads_is_an_error(void **state) {
    (void)state;
    rl_target t = rl_test_target("startup:unordered", 0, 0, 70);
    rl_explore_opts o = rl_explore_opts_default();
    o.search = RL_SEARCH_DELAYS;
    rl_explore_result r;
    char why[256] = "";
    assert_err_equal(rl_explore(&t, &o, &r, why, sizeof why), RL_ENOTSUP);
    assert_non_null(strstr(why, "at most 64 threads"));
    o = every_schedule(true);
    assert_err_equal(rl_explore(&t, &o, &r, why, sizeof why), RL_ENOTSUP);
}

static void deadlock_trace_ends_with_blocked_operations(void **state) {
    (void)state;
    rl_target t = rl_test_target("deadlock:opposite-order", 0, 0, 0);
    rl_explore_result r = rl_test_explore(&t, rl_explore_opts_default());
    assert_true(r.failed);
    const rl_counterexample *c = &r.minimized;
    assert_int_equal(c->kind, RL_FAIL_DEADLOCK);
    assert_true(c->nsteps >= 3);
    /* the last lines: each live thread's blocked operation, no step number */
    unsigned blocked = 0;
    bool lock_audit = false, lock_accounts = false, join = false;
    for (size_t i = 0; i < c->nsteps; i++) {
        const rl_trace_step *s = &c->steps[i];
        if (!(s->marks & RL_MARK_BLOCKED))
            continue;
        blocked++;
        assert_int_equal(s->index, 0);
        lock_audit |= strcmp(s->thread_name, "transfer") == 0 && strcmp(s->op, "lock") == 0 &&
                      strcmp(s->object, "audit") == 0;
        lock_accounts |= strcmp(s->thread_name, "report") == 0 && strcmp(s->op, "lock") == 0 &&
                         strcmp(s->object, "accounts") == 0;
        join |= strcmp(s->thread_name, "main") == 0 && strcmp(s->op, "join") == 0;
    }
    assert_int_equal(blocked, 3);
    assert_true(lock_audit && lock_accounts && join);
    for (size_t i = c->nsteps - blocked; i < c->nsteps; i++)
        assert_true(c->steps[i].marks & RL_MARK_BLOCKED);
    rl_explore_result_free(&r);
}

/* close:check-then-close reports the double release in the middle of the
 * run: its trace stops at that step. */
static void trace_ends_at_the_failure(void **state) {
    (void)state;
    rl_target t = rl_test_target("close:check-then-close", 0, 0, 2);
    rl_explore_result r = rl_test_explore(&t, rl_explore_opts_default());
    assert_true(r.failed);
    const rl_counterexample *c = &r.first;
    assert_int_equal(c->kind, RL_FAIL_ERROR);
    assert_true(c->nsteps > 0);
    const rl_trace_step *last = &c->steps[c->nsteps - 1];
    assert_true(last->marks & RL_MARK_ERROR);
    /* the whole run goes on to the joins; the trace does not */
    rl_explore_opts o = rl_explore_opts_default();
    o.search = RL_SEARCH_REPLAY;
    o.replay = c->schedule;
    o.record = true;
    rl_explore_result again = rl_test_explore(&t, o);
    for (size_t i = 0; i < again.first.nsteps; i++)
        assert_true(again.first.steps[i].index <= last->index);
    rl_explore_result_free(&again);
    rl_explore_result_free(&r);
}

static void replay_that_does_not_fit_is_an_error(void **state) {
    (void)state;
    rl_target t = rl_test_target("bill:racy", 2, 2, 0);
    rl_explore_opts o = rl_explore_opts_default();
    o.search = RL_SEARCH_REPLAY;
    rl_explore_result r;
    char why[256] = "";
    o.replay = "999999:7"; /* past the end of the run */
    assert_err_equal(rl_explore(&t, &o, &r, why, sizeof why), RL_EINVAL);
    assert_non_null(strstr(why, "step 999999"));
    o.replay = "1:7"; /* no thread 7 */
    assert_err_equal(rl_explore(&t, &o, &r, why, sizeof why), RL_EINVAL);
    assert_non_null(strstr(why, "thread 7"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        rl_unit_test(fixes_proved),
        rl_unit_test(reduction_is_sound_and_runs_each_class_once),
        rl_unit_test(reduction_is_sound_on_made_up_targets),
        rl_unit_test(reduction_is_sound_on_made_up_locking),
        rl_unit_test(mutex_three_by_three_proved),
        rl_unit_test(channel_reduction_is_sound),
        rl_unit_test(trylock_finds_a_stepless_section_held),
        rl_unit_test(processor_three_by_two_proved),
        rl_unit_test(waiting_deadlock_names_the_condition),
        rl_unit_test(reduction_finds_and_replays),
        rl_unit_test(delays_find_the_late_starter),
        rl_unit_test(signal_may_wake_the_later_waiter),
        rl_unit_test(pct_meets_its_bound),
        rl_unit_test(minimizing_removes_preemptions_first),
        rl_unit_test(too_many_threads_is_an_error),
        rl_unit_test(deadlock_trace_ends_with_blocked_operations),
        rl_unit_test(trace_ends_at_the_failure),
        rl_unit_test(replay_that_does_not_fit_is_an_error),
    };
    /* CTest runs the longest tests as a test of their own, the rest as
     * another, so that a build's searches run on two cores */
    const char *only = getenv("RACELAB_TEST_ONLY"), *skip = getenv("RACELAB_TEST_SKIP");
    if (only)
        cmocka_set_test_filter(only);
    if (skip)
        cmocka_set_skip_filter(skip);
    return cmocka_run_group_tests(tests, NULL, NULL);
}

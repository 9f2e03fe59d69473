/* test_explore.c - layer 6: the explorer finds the failing interleavings,
 * replays them, minimizes them, proves the chapter's fixes over every
 * schedule within the bound, and reports deadlocks, misuse, livelocks and
 * a thread's stack overflow.
 * (The billing fixes' proofs are with the other long searches, in
 * test_searches.c.) */
#include <signal.h>

#include "racelab_seams.h"
#include "racelab/explore.h"
#include "racelab/scenario.h"
#include "racelab/shared.h"
#include "racelab/var.h"
#include "testing.h"

static rl_target target(const char *spec, unsigned merchants, unsigned customers) {
    rl_scenario_opts so = {.merchants = merchants, .customers = customers};
    rl_target t;
    char why[256] = "";
    if (rl_target_parse(spec, &so, &t, why, sizeof why) != RL_OK)
        fail_msg("target %s: %s", spec, why);
    return t;
}

static const rl_trace_step *find_step(const rl_counterexample *c, const char *thread,
                                      const char *op, const char *object, size_t from) {
    for (size_t i = from; i < c->nsteps; i++)
        if (strcmp(c->steps[i].thread_name, thread) == 0 && strcmp(c->steps[i].op, op) == 0 &&
            strcmp(c->steps[i].object, object) == 0)
            return &c->steps[i];
    return NULL;
}

static bool has_state(const rl_explore_result *r, const char *state, bool held) {
    for (size_t i = 0; i < r->nstates; i++)
        if (strcmp(r->states[i].state, state) == 0)
            return r->states[i].held == held;
    return false;
}

/* ---- bill:racy, 2 merchants x 1 customer ---- */

static void racy_found_replayed_and_read(void **state) {
    (void)state;
    rl_target t = target("bill:racy", 2, 1);
    rl_explore_result r = rl_test_explore(&t, rl_explore_opts_default());
    assert_true(r.failed);
    const rl_counterexample *c = &r.first;
    assert_int_equal(c->kind, RL_FAIL_INVARIANT);
    assert_int_equal(c->preemptions, 1); /* bounded search: the fewest there are */
    assert_string_equal(c->outcome.state, "Dave=375");

    /* the trace shows both reads before the writes, and marks the write
     * that replaced the other merchant's */
    const rl_trace_step *read1 = find_step(c, "Costco", "get", "Dave", 0);
    const rl_trace_step *read2 = find_step(c, "Target", "get", "Dave", 0);
    const rl_trace_step *write1 = find_step(c, "Costco", "set", "Dave", 0);
    const rl_trace_step *write2 = find_step(c, "Target", "set", "Dave", 0);
    assert_non_null(read1);
    assert_non_null(read2);
    assert_non_null(write1);
    assert_non_null(write2);
    unsigned last_read = read1->index > read2->index ? read1->index : read2->index;
    assert_true(last_read < write1->index && last_read < write2->index);
    const rl_trace_step *lost = write1->index > write2->index ? write1 : write2;
    const rl_trace_step *first = lost == write1 ? write2 : write1;
    assert_true(lost->marks & RL_MARK_LOST);
    assert_false(first->marks & RL_MARK_LOST);
    assert_int_equal(lost->overwrote, first->index);
    assert_int_equal(lost->value, 375);

    /* its schedule replays to the same failure */
    rl_explore_opts o = rl_explore_opts_default();
    o.search = RL_SEARCH_REPLAY;
    o.replay = c->schedule;
    rl_explore_result again = rl_test_explore(&t, o);
    assert_true(again.failed);
    assert_int_equal(again.schedules, 1);
    assert_int_equal(again.first.kind, RL_FAIL_INVARIANT);
    assert_string_equal(again.first.schedule, c->schedule);
    assert_string_equal(again.first.outcome.state, "Dave=375");
    assert_int_equal(again.first.nsteps, c->nsteps);
    rl_explore_result_free(&again);
    rl_explore_result_free(&r);
}

static void racy_reachable_states_exactly(void **state) {
    (void)state;
    rl_target t = target("bill:racy", 2, 1);
    rl_explore_opts o = rl_explore_opts_default();
    o.keep_going = true;
    o.preemptions = 20; /* beyond the longest schedule: nothing is cut */
    rl_explore_result r = rl_test_explore(&t, o);
    assert_true(r.failed);
    assert_true(r.exhaustive);
    assert_true(r.complete);
    assert_int_equal(r.pruned, 0);
    /* Dave starts at 400 and both merchants bill -25: either both bills
     * land, or one overwrites the other */
    assert_int_equal(r.nstates, 2);
    assert_true(has_state(&r, "Dave=350", true));
    assert_true(has_state(&r, "Dave=375", false));
    assert_int_equal(r.states[0].schedules + r.states[1].schedules, r.schedules);
    rl_explore_result_free(&r);
}

/* ---- the chapter's patterns ---- */

static void overdraft(void **state) {
    (void)state;
    rl_target racy = target("overdraft:racy", 0, 0);
    rl_explore_result r = rl_test_explore(&racy, rl_explore_opts_default());
    assert_true(r.failed);
    assert_int_equal(r.first.kind, RL_FAIL_INVARIANT);
    assert_contains(r.first.outcome.state, "bought=Castle,Plants");
    bool lost = false;
    for (size_t i = 0; i < r.minimized.nsteps; i++)
        lost |= (r.minimized.steps[i].marks & RL_MARK_LOST) != 0;
    assert_true(lost);
    rl_explore_result_free(&r);

    rl_target cas = target("overdraft:cas", 0, 0);
    rl_explore_opts o = rl_explore_opts_default();
    o.keep_going = true;
    r = rl_test_explore(&cas, o);
    assert_false(r.failed);
    assert_true(r.exhaustive);
    /* one outcome: a purchase failed on a conflict, cleanly */
    assert_true(has_state(&r, "bought=Castle failed=Plants balance=10", true) ||
                has_state(&r, "bought=Plants failed=Castle balance=30", true));
    rl_explore_result_free(&r);

    static const char *fixes[] = {"overdraft:mutex", "overdraft:cas-retry"};
    for (size_t i = 0; i < 2; i++) {
        rl_target t = target(fixes[i], 0, 0);
        r = rl_test_explore(&t, o);
        assert_false(r.failed);
        assert_true(r.exhaustive);
        rl_explore_result_free(&r);
    }
}

static void close_double_release(void **state) {
    (void)state;
    static const char *racy[] = {"close:flag", "close:check-then-close"};
    for (size_t i = 0; i < 2; i++) {
        rl_target t = target(racy[i], 0, 0);
        rl_explore_result r = rl_test_explore(&t, rl_explore_opts_default());
        if (!r.failed)
            fail_msg("%s: no failure found", racy[i]);
        assert_contains(r.first.message, "released twice");
        bool marked = false;
        for (size_t s = 0; s < r.minimized.nsteps; s++)
            marked |= (r.minimized.steps[s].marks & RL_MARK_ERROR) != 0;
        assert_true(marked);
        rl_explore_result_free(&r);
    }
    static const char *fixes[] = {"close:mutex", "close:once"};
    for (size_t i = 0; i < 2; i++) {
        rl_target t = target(fixes[i], 0, 0);
        rl_explore_opts o = rl_explore_opts_default();
        o.keep_going = true;
        rl_explore_result r = rl_test_explore(&t, o);
        if (r.failed)
            fail_msg("%s: %s (schedule %s)", fixes[i], r.first.message, r.first.schedule);
        assert_true(r.exhaustive);
        rl_explore_result_free(&r);
    }
}

static void deadlock(void **state) {
    (void)state;
    rl_target t = target("deadlock:opposite-order", 0, 0);
    rl_explore_result r = rl_test_explore(&t, rl_explore_opts_default());
    assert_true(r.failed);
    assert_int_equal(r.first.kind, RL_FAIL_DEADLOCK);
    assert_contains(r.first.message, "transfer waits for lock audit held by report");
    assert_contains(r.first.message, "report waits for lock accounts held by transfer");
    unsigned stuck = 0;
    for (size_t i = 0; i < r.first.nsteps; i++)
        stuck += (r.first.steps[i].marks & RL_MARK_BLOCKED) != 0;
    assert_true(stuck >= 2);
    rl_explore_result_free(&r);

    rl_target same = target("deadlock:same-order", 0, 0);
    rl_explore_opts o = rl_explore_opts_default();
    o.preemptions = 20;
    r = rl_test_explore(&same, o);
    assert_false(r.failed);
    assert_true(r.complete);
    rl_explore_result_free(&r);
}

/* The minimized failure of the full exercise is as simple as the smallest. */
static void minimized_five_by_five(void **state) {
    (void)state;
    rl_target small = target("bill:racy", 2, 1), full = target("bill:racy", 5, 5);
    rl_explore_result rs = rl_test_explore(&small, rl_explore_opts_default());
    rl_explore_result rf = rl_test_explore(&full, rl_explore_opts_default());
    assert_true(rs.failed);
    assert_true(rf.failed);
    assert_non_null(rf.minimized.schedule);
    assert_true(rf.minimized.preemptions <= rs.minimized.preemptions);
    assert_true(rf.minimized.deviations <= rf.first.deviations);
    bool lost = false;
    for (size_t i = 0; i < rf.minimized.nsteps; i++)
        if (rf.minimized.steps[i].marks & RL_MARK_LOST) {
            lost = true;
            assert_int_equal(rf.minimized.steps[i].op[0], 's'); /* a set */
            assert_true(rf.minimized.steps[i].overwrote > 0);
        }
    assert_true(lost);
    rl_explore_result_free(&rs);
    rl_explore_result_free(&rf);
}

static void pct_is_repeatable(void **state) {
    (void)state;
    rl_target t = target("bill:racy", 2, 2);
    rl_explore_opts o = rl_explore_opts_default();
    o.search = RL_SEARCH_PCT;
    o.seed = 7;
    o.iterations = 300;
    o.keep_going = true;
    rl_explore_result a = rl_test_explore(&t, o), b = rl_test_explore(&t, o);
    assert_true(a.failed);
    assert_int_equal(a.schedules, 300);
    assert_int_equal(a.schedules, b.schedules);
    assert_int_equal(a.nstates, b.nstates);
    for (size_t i = 0; i < a.nstates; i++) {
        assert_string_equal(a.states[i].state, b.states[i].state);
        assert_int_equal(a.states[i].schedules, b.states[i].schedules);
    }
    assert_string_equal(a.first.schedule, b.first.schedule);
    assert_string_equal(a.minimized.schedule, b.minimized.schedule);
    rl_explore_result_free(&a);
    rl_explore_result_free(&b);
}

/* ---- misuse, livelock, errors ---- */

static rl_err unlock_unheld(const rl_target *t, rl_outcome *out) {
    (void)t;
    rl_mutex m;
    rl_mutex_init(&m, "ledger");
    rl_mutex_unlock(&m); /* fatal on real threads; a reported failure here */
    rl_outcome_verdict(out, true, "unreachable");
    return RL_OK;
}

static void misuse_is_reported(void **state) {
    (void)state;
    rl_target t = {.name = "unlock-unheld", .run = unlock_unheld};
    rl_explore_result r = rl_test_explore(&t, rl_explore_opts_default());
    assert_true(r.failed);
    assert_int_equal(r.first.kind, RL_FAIL_ERROR);
    assert_contains(r.first.message, "unlocks mutex 'ledger' that nobody holds");
    rl_explore_result_free(&r);
}

static rl_var never;
static void spinner(void *arg) {
    (void)arg;
    while (rl_var_load(&never) == 0)
        rl_yield();
}

static rl_err spin_forever(const rl_target *t, rl_outcome *out) {
    (void)t;
    rl_var_init(&never, "never", 0);
    rl_thread th;
    rl_thread_create(&th, "spinner", spinner, NULL);
    rl_thread_join(&th);
    rl_outcome_verdict(out, true, "unreachable");
    return RL_OK;
}

static void livelock_is_reported(void **state) {
    (void)state;
    rl_target t = {.name = "spin", .run = spin_forever};
    rl_explore_opts o = rl_explore_opts_default();
    o.max_steps = 500;
    rl_explore_result r = rl_test_explore(&t, o);
    assert_true(r.failed);
    assert_int_equal(r.first.kind, RL_FAIL_LIVELOCK);
    assert_contains(r.first.message, "yielding over and over: spinner");
    rl_explore_result_free(&r);
}

/* Fair scheduling: a thread that yields waits for every thread that could
 * run when it yielded, so spinners make way for the lock's holder and the
 * three-thread spin lock ends in every schedule; reduced and unreduced
 * searches agree (neither finds a failure). */
static void spinners_make_way(void **state) {
    (void)state;
    rl_scenario_opts so = {.threads = 3};
    rl_target t;
    char why[256] = "";
    if (rl_target_parse("locker:spinlock", &so, &t, why, sizeof why) != RL_OK)
        fail_msg("locker:spinlock: %s", why);
    rl_explore_result r = rl_test_explore(&t, rl_explore_opts_default());
    assert_false(r.failed);
    assert_true(r.exhaustive);
    rl_explore_result_free(&r);
    for (int reduce = 0; reduce < 2; reduce++) {
        rl_explore_opts o = rl_explore_opts_default();
        o.preemptions = RL_PREEMPTIONS_ALL;
        o.reduce = reduce;
        o.max_schedules = 3000; /* the unfair search livelocked in its first few */
        r = rl_test_explore(&t, o);
        assert_false(r.failed);
        rl_explore_result_free(&r);
    }
    rl_target_free(&t);
}

static rl_err nested(const rl_target *t, rl_outcome *out) {
    rl_explore_result r;
    rl_explore_opts o = rl_explore_opts_default();
    rl_err e = rl_explore(t->ctx, &o, &r, NULL, 0);
    rl_outcome_verdict(out, e == RL_EBUSY, "a nested exploration answered %s", rl_errname(e));
    rl_outcome_state(out, "%s", rl_errname(e));
    return RL_OK;
}

static void bad_calls(void **state) {
    (void)state;
    rl_target t;
    char why[256];
    assert_err_equal(rl_target_parse("nope:racy", NULL, &t, why, sizeof why), RL_ENOENT);
    assert_contains(why, "no scenario 'nope'");
    assert_err_equal(rl_target_parse("bill:nope", NULL, &t, why, sizeof why), RL_ENOENT);
    assert_contains(why, "has no variant 'nope'");
    assert_err_equal(rl_target_parse("bill", NULL, &t, why, sizeof why), RL_ENOENT);
    assert_err_equal(rl_target_parse(NULL, NULL, &t, why, sizeof why), RL_EINVAL);
    /* a size the target would ignore is refused, naming what it takes */
    rl_scenario_opts merchants = {.merchants = 3}, threads = {.threads = 3};
    assert_err_equal(rl_target_parse("locker:spinlock", &merchants, &t, why, sizeof why),
                     RL_EINVAL);
    assert_contains(why, "does not use --merchants (it takes --threads, --items, --delay)");
    assert_err_equal(rl_target_parse("stack:deep", &threads, &t, why, sizeof why), RL_EINVAL);
    assert_contains(why, "it takes none of these options");
    assert_err_equal(rl_target_parse("startup:unordered", &threads, &t, why, sizeof why), RL_OK);
    rl_target_free(&t);

    rl_target racy = target("bill:racy", 2, 1);
    rl_explore_result r;
    rl_explore_opts o = rl_explore_opts_default();
    assert_err_equal(rl_explore(NULL, &o, &r, why, sizeof why), RL_EINVAL);
    o.search = RL_SEARCH_REPLAY;
    o.replay = "3:";
    assert_err_equal(rl_explore(&racy, &o, &r, why, sizeof why), RL_EINVAL);
    o.replay = "1:7"; /* parses, but there is no thread 7 */
    assert_err_equal(rl_explore(&racy, &o, &r, why, sizeof why), RL_EINVAL);
    assert_contains(why, "does not fit");
    o = rl_explore_opts_default();
    o.search = RL_SEARCH_PCT;
    o.depth = 0;
    assert_err_equal(rl_explore(&racy, &o, &r, why, sizeof why), RL_EINVAL);

    /* one exploration at a time */
    rl_target outer = {.name = "nested", .run = nested, .ctx = &racy};
    rl_explore_result nr = rl_test_explore(&outer, rl_explore_opts_default());
    assert_false(nr.failed);
    assert_true(has_state(&nr, "RL_EBUSY", true));
    rl_explore_result_free(&nr);
}

static void schedule_strings(void **state) {
    (void)state;
    rl__deviation *d;
    size_t n;
    assert_err_equal(rl__schedule_parse("9:2", &d, &n, NULL, 0), RL_OK);
    assert_int_equal(n, 1);
    assert_int_equal(d[0].step, 8);
    assert_int_equal(d[0].thread, 2);
    free(d);
    assert_err_equal(rl__schedule_parse(" 3:1, 10:0 ", &d, &n, NULL, 0), RL_OK);
    assert_int_equal(n, 2);
    assert_int_equal(d[1].step, 9);
    free(d);
    assert_err_equal(rl__schedule_parse("-", &d, &n, NULL, 0), RL_OK);
    assert_int_equal(n, 0);
    static const char *bad[] = {"x", "3", "3:", "0:1", "3:64", "5:1,3:2", "3:1;", "3:1,", "-1:2", "", "  "};
    char why[256];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_err_equal(rl__schedule_parse(bad[i], &d, &n, why, sizeof why), RL_EINVAL);
        assert_contains(why, "schedule");
    }
    rl__decision dec[3] = {{.enabled = 3, .current = 0, .chosen = 0},
                           {.enabled = 3, .current = 0, .chosen = 1},
                           {.enabled = 6, .current = -1, .chosen = 1}};
    unsigned k;
    char *s = rl__schedule_encode(dec, 3, &k);
    assert_string_equal(s, "2:1");
    assert_int_equal(k, 1);
    free(s);
    s = rl__schedule_encode(dec, 1, &k);
    assert_string_equal(s, "-");
    free(s);
}

/* ---- a target of one's own: shared data of any type, rl_check ---- */

typedef struct {
    long balance;
    unsigned purchases;
} wallet;

typedef struct {
    wallet w;
    rl_var castles; /* castles handed out: at most one for 50 coins */
    rl_mutex lock;  /* the fix: held across check and act */
    bool locked;
} shop;

static void buyer(void *arg) {
    shop *s = arg;
    if (s->locked)
        rl_mutex_lock(&s->lock);
    wallet now;
    rl_shared_read(&s->w, &now, sizeof now, "wallet");
    if (now.balance >= 40) { /* check ... */
        wallet next = {now.balance - 40, now.purchases + 1};
        rl_shared_write(&s->w, &next, sizeof next, "wallet"); /* ... then act */
        rl_check(rl_var_add(&s->castles, 1) <= 1, "a second castle handed out for 50 coins");
    }
    if (s->locked)
        rl_mutex_unlock(&s->lock);
}

static rl_err run_shop(const rl_target *t, rl_outcome *out) {
    shop s = {.w = {50, 0}, .locked = t->ctx != NULL};
    rl_var_init(&s.castles, "castles", 0);
    rl_err e = rl_mutex_init(&s.lock, "shop");
    if (e != RL_OK)
        return e;
    rl_thread a, b;
    rl_thread_create(&a, "alice", buyer, &s);
    rl_thread_create(&b, "bob", buyer, &s);
    rl_thread_join(&a);
    rl_thread_join(&b);
    rl_mutex_destroy(&s.lock);
    rl_outcome_state(out, "balance=%ld purchases=%u", s.w.balance, s.w.purchases);
    rl_outcome_verdict(out, s.w.purchases == 1, "%u purchases of 40 from 50", s.w.purchases);
    return RL_OK;
}

static void custom_target_with_any_type(void **state) {
    (void)state;
    rl_target t;
    rl_target_custom(&t, "shop", run_shop, NULL);
    rl_explore_result r = rl_test_explore(&t, rl_explore_opts_default());
    assert_true(r.failed);
    /* rl_check failed inside a thread: named, with its step */
    assert_int_equal(r.first.kind, RL_FAIL_INVARIANT);
    assert_contains(r.first.message, "at step");
    assert_contains(r.first.message, "a second castle handed out");
    assert_true(strstr(r.first.message, "alice") || strstr(r.first.message, "bob"));
    /* the shared struct is named in the trace, with no value to show */
    const rl_trace_step *w = find_step(&r.first, "alice", "read", "wallet", 0);
    assert_non_null(w);
    assert_false(w->has_value);
    rl_explore_result_free(&r);
    /* with the lock, the same target holds over every schedule */
    rl_target_custom(&t, "shop, locked", run_shop, &t);
    rl_explore_opts o = rl_explore_opts_default();
    o.keep_going = true;
    r = rl_test_explore(&t, o);
    if (r.failed)
        fail_msg("locked: %s (schedule %s)", r.first.message, r.first.schedule);
    assert_true(r.exhaustive);
    assert_int_equal(r.nstates, 1);
    assert_string_equal(r.states[0].state, "balance=10 purchases=1");
    rl_explore_result_free(&r);
}

static rl_err forgets(const rl_target *t, rl_outcome *out) {
    (void)t;
    rl_outcome_state(out, "done"); /* but no verdict */
    return RL_OK;
}

static void forgotten_verdict_is_an_error(void **state) {
    (void)state;
    rl_target t;
    rl_target_custom(&t, "forgetful", forgets, NULL);
    rl_explore_opts o = rl_explore_opts_default();
    rl_explore_result r;
    char why[512] = "";
    assert_err_equal(rl_explore(&t, &o, &r, why, sizeof why), RL_EINVAL);
    assert_contains(why, "forgetful");
    assert_contains(why, "without a verdict");
}

/* Ctrl-C (or the time limit) during minimization ends it with what it
 * has: a failing schedule, said to be cut short. The target raises the
 * interrupt flag itself in the first run after a failure (the failure's
 * traced replay, just before minimization), so the cut is forced, not
 * timed. */
static volatile sig_atomic_t stop_now;
static bool saw_failure;
static rl_err racy_then_interrupt(const rl_target *t, rl_outcome *out) {
    (void)t;
    if (saw_failure)
        stop_now = 1;
    rl_scenario_opts so = {.merchants = 2, .customers = 1};
    rl_err e = rl_scenario_run(rl_scenario_find("bill"), "racy", &so, out);
    if (e == RL_OK && !out->held)
        saw_failure = true;
    return e;
}

static void interrupted_minimization_keeps_a_failure(void **state) {
    (void)state;
    rl_target t;
    rl_target_custom(&t, "racy-then-interrupt", racy_then_interrupt, NULL);
    rl_explore_opts o = rl_explore_opts_default();
    o.interrupted = &stop_now;
    stop_now = 0;
    saw_failure = false;
    rl_explore_result r = rl_test_explore(&t, o);
    assert_true(r.failed);
    assert_true(r.first.deviations > 0); /* there was something to minimize */
    assert_true(r.minimize_stopped);
    assert_int_equal(r.minimized.kind, r.first.kind);
    assert_string_equal(r.minimized.schedule, r.first.schedule);
    rl_explore_result_free(&r);
    rl_target_free(&t);
}

/* On real threads rl_check aborts like assert, saying why. */
static int check_fails_for_real(void) {
    rl_check(1 + 1 == 2, "arithmetic");
    rl_check(false, "balance %d below zero", -10);
    return 0; /* not reached */
}

static void check_aborts_on_real_threads(void **state) {
    (void)state;
    rl_child c;
    rl_test_child("check", &c);
    assert_int_equal(c.signal, SIGABRT);
    assert_contains(c.err, "invariant broken: balance -10 below zero");
    rl_child_free(&c);
}

RL_CHILDREN({"check", check_fails_for_real});

/* A thread that runs past its stack fails its schedule, named; with a
 * bigger stack the same target holds. */
static void stack_overflow_fails_the_schedule(void **state) {
    (void)state;
    rl_target t = target("stack:deep", 0, 0);
    rl_explore_opts o = rl_explore_opts_default();
    rl_explore_result r = rl_test_explore(&t, o);
    assert_false(r.failed); /* the default stack (8 MiB) is enough */
    rl_explore_result_free(&r);
    o.stack_size = 256 * 1024;
    r = rl_test_explore(&t, o);
    assert_true(r.failed);
    assert_int_equal(r.first.kind, RL_FAIL_ERROR);
    assert_non_null(strstr(r.first.message, "deep overflowed its stack of 256 KiB"));
    assert_string_equal(r.first.message, r.minimized.message); /* it replays */
    rl_explore_result_free(&r);
    /* the explorer goes on after it: another search in the same process */
    o.stack_size = 0;
    r = rl_test_explore(&t, o);
    assert_false(r.failed);
    rl_explore_result_free(&r);
}

int main(int argc, char **argv) {
    rl_test_dispatch_child(argc, argv, rl_children_, rl_nchildren_);
    const struct CMUnitTest tests[] = {
        rl_unit_test(stack_overflow_fails_the_schedule),
        rl_unit_test(spinners_make_way),
        rl_unit_test(interrupted_minimization_keeps_a_failure),
        rl_unit_test(racy_found_replayed_and_read),
        rl_unit_test(racy_reachable_states_exactly),
        rl_unit_test(overdraft),
        rl_unit_test(close_double_release),
        rl_unit_test(deadlock),
        rl_unit_test(minimized_five_by_five),
        rl_unit_test(pct_is_repeatable),
        rl_unit_test(misuse_is_reported),
        rl_unit_test(livelock_is_reported),
        rl_unit_test(bad_calls),
        rl_unit_test(schedule_strings),
        rl_unit_test(custom_target_with_any_type),
        rl_unit_test(forgotten_verdict_is_an_error),
        rl_unit_test(check_aborts_on_real_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

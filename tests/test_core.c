/* test_core.c - the scheduling core that the in-process explorer and the
 * interposer share (src/explore/core/): condition signals, fairness, one
 * step's choice. */
#include "racelab_seams.h"
#include "testing.h"

static int c1, c2; /* two conditions: only their addresses matter */

static void a_signal_with_nobody_waiting_is_lost(void **state) {
    (void)state;
    rl__signals s;
    rl__signals_reset(&s);
    assert_true(rl__signals_send(&s, &c1, 0));
    assert_int_equal(rl__signals_pending(&s, &c1), 0);
    /* a thread that waits afterwards has nothing to take */
    uint64_t a = rl__signals_wait(&s);
    assert_int_equal(rl__signals_token_for(&s, &c1, a), -1);
    assert_false(rl__signals_take(&s, &c1, a));
}

static void a_signal_wakes_only_those_waiting_when_it_was_sent(void **state) {
    (void)state;
    rl__signals s;
    rl__signals_reset(&s);
    uint64_t a = rl__signals_wait(&s);
    assert_true(rl__signals_send(&s, &c1, 1));
    uint64_t b = rl__signals_wait(&s);
    assert_true(rl__signals_token_for(&s, &c1, a) >= 0);
    assert_int_equal(rl__signals_token_for(&s, &c1, b), -1); /* b came later */
    /* not another condition's waiter either */
    assert_int_equal(rl__signals_token_for(&s, &c2, a), -1);
    /* a second signal, with two waiting and one token: both may take it */
    assert_true(rl__signals_send(&s, &c1, 2));
    assert_int_equal(rl__signals_pending(&s, &c1), 2);
    /* the older waiter takes the older token, leaving b its own */
    assert_true(rl__signals_take(&s, &c1, a));
    assert_true(rl__signals_token_for(&s, &c1, b) >= 0);
    assert_true(rl__signals_take(&s, &c1, b));
    assert_int_equal(rl__signals_pending(&s, &c1), 0);
    /* all waiters already sure to wake: a signal more is lost */
    uint64_t c = rl__signals_wait(&s);
    assert_true(rl__signals_send(&s, &c1, 1));
    assert_true(rl__signals_send(&s, &c1, 1));
    assert_int_equal(rl__signals_pending(&s, &c1), 1);
    assert_true(rl__signals_take(&s, &c1, c));
}

static void a_broadcast_drops_only_its_conditions_tokens(void **state) {
    (void)state;
    rl__signals s;
    rl__signals_reset(&s);
    uint64_t a = rl__signals_wait(&s), b = rl__signals_wait(&s);
    assert_true(rl__signals_send(&s, &c1, 1));
    assert_true(rl__signals_send(&s, &c2, 1));
    rl__signals_broadcast(&s, &c1);
    assert_int_equal(rl__signals_pending(&s, &c1), 0);
    assert_int_equal(rl__signals_pending(&s, &c2), 1);
    assert_true(rl__signals_take(&s, &c2, b));
    (void)a;
}

/* The bound signals.h states, checked over a long seeded random walk of
 * waits, signals, broadcasts, wakings and time-outs among 64 threads on
 * three conditions: a condition never holds more tokens than waiters, so
 * the fixed array never fills. */
typedef struct {
    bool waiting, signalled, timed;
    int cond;
    uint64_t seq;
} waiter;

static void tokens_never_outnumber_waiters(void **state) {
    (void)state;
    int conds[3];
    waiter w[RL_EX_MAX_THREADS] = {{0}};
    rl__signals s;
    rl__signals_reset(&s);
    uint64_t x = 0x9e3779b97f4a7c15ull;
    unsigned max_pending = 0;
    for (int step = 0; step < 200000; step++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        waiter *t = &w[x % RL_EX_MAX_THREADS];
        int c = (int)((x >> 8) % 3);
        switch ((x >> 16) % 4) {
        case 0: /* a thread not waiting begins to wait (timed or not) */
            if (!t->waiting)
                *t = (waiter){.waiting = true, .cond = c, .timed = (x >> 20) & 1,
                              .seq = rl__signals_wait(&s)};
            break;
        case 1: { /* a signal: those waiting on c and not yet sure to wake */
            uint32_t n = 0;
            for (int i = 0; i < RL_EX_MAX_THREADS; i++)
                n += w[i].waiting && w[i].cond == c && !w[i].signalled;
            assert_true(rl__signals_send(&s, &conds[c], n));
            break;
        }
        case 2: /* a broadcast */
            if ((x >> 24) % 8 == 0) {
                for (int i = 0; i < RL_EX_MAX_THREADS; i++)
                    if (w[i].waiting && w[i].cond == c)
                        w[i].signalled = true;
                rl__signals_broadcast(&s, &conds[c]);
            }
            break;
        default: /* a waiter runs: woken, or times out if it may */
            if (t->waiting) {
                if (t->signalled || rl__signals_take(&s, &conds[t->cond], t->seq) || t->timed)
                    t->waiting = false;
            }
            break;
        }
        for (int k = 0; k < 3; k++) {
            uint32_t n = 0;
            for (int i = 0; i < RL_EX_MAX_THREADS; i++)
                n += w[i].waiting && w[i].cond == k && !w[i].signalled;
            unsigned p = rl__signals_pending(&s, &conds[k]);
            if (p > n)
                fail_msg("step %d: condition %d holds %u tokens for %u waiters", step, k, p, n);
            max_pending = p > max_pending ? p : max_pending;
        }
    }
    /* the walk did reach many pending signals at once */
    assert_true(max_pending >= 8);
}

/* ---- fairness ---- */

static const char *name_of(void *ctx, unsigned i) {
    static const char *names[] = {"main", "A", "B", "C"};
    (void)ctx;
    return names[i];
}

static void a_yielder_waits_until_those_it_yielded_to_moved(void **state) {
    (void)state;
    rl__fair f;
    rl__fair_reset(&f);
    /* A (1) spins: it yields while main (0) and B (2) could run */
    rl__fair_yielded(&f, 1, 0x7, 10);
    assert_int_equal(rl__fair_eager(&f, 0x7), 0x5); /* not A */
    rl__fair_moved(&f, 4, 0);
    assert_int_equal(rl__fair_eager(&f, 0x7), 0x5); /* B has not moved yet */
    /* B blocks: A waits only for a thread that cannot go, so it may */
    assert_int_equal(rl__fair_eager(&f, 0x3), 0x3);
    rl__fair_moved(&f, 4, 2);
    assert_int_equal(rl__fair_eager(&f, 0x7), 0x7); /* debt paid */
    /* the only thread that can go goes, whatever it owes */
    rl__fair_yielded(&f, 1, 0x7, 11);
    assert_int_equal(rl__fair_eager(&f, 0x2), 0x2);
    /* a new thread in a reused slot is owed nothing */
    rl__fair_new_thread(&f, 4, 2);
    assert_int_equal(rl__fair_eager(&f, 0x6), 0x6);
}

static void a_livelock_names_the_threads_that_kept_yielding(void **state) {
    (void)state;
    rl__fair f;
    rl__fair_reset(&f);
    rl__fair_yielded(&f, 1, 0, 95);  /* A yielded in the last tenth of 100 steps */
    rl__fair_yielded(&f, 2, 0, 50);  /* B long before */
    rl__fair_yielded(&f, 3, 0, 100); /* C too, but it ended */
    char text[200];
    rl__fair_livelock_text(&f, 0x7, 100, name_of, NULL, text, sizeof text);
    assert_string_equal(text, "the schedule did not end within 100 steps (yielding over and over: A)");
    rl__fair_livelock_text(&f, 0x5, 100, name_of, NULL, text, sizeof text);
    assert_string_equal(text, "the schedule did not end within 100 steps");
}

/* ---- one step's choice ---- */

static void a_choice_is_fitted_recorded_and_counted(void **state) {
    (void)state;
    /* threads 0, 1 and 3 can go; 3 only by timing out; 0 made the last step */
    int cur = rl__choice_current(0xb, 0x8, 0);
    assert_int_equal(cur, 0);
    assert_int_equal(rl__choice_current(0xb, 0x8, 3), -1); /* lazy: not current */
    assert_int_equal(rl__choice_current(0xb, 0x8, 2), -1); /* cannot go */
    assert_int_equal(rl__choice_current(0xb, 0x8, -1), -1);
    rl__choice c = rl__choice_fit(0xb, 0x8, cur, 0); /* going on: no preemption */
    assert_true(c.fits);
    assert_false(c.preempted);
    assert_false(c.timed_out);
    c = rl__choice_fit(0xb, 0x8, cur, 1);
    assert_true(c.fits);
    assert_true(c.preempted);
    assert_int_equal(c.decision.chosen, 1);
    assert_int_equal(c.decision.current, 0);
    assert_true(c.decision.enabled == 0xb && c.decision.lazy == 0x8);
    c = rl__choice_fit(0xb, 0x8, cur, 3);
    assert_true(c.timed_out);
    /* a choice that cannot go: the default order instead, and noted */
    c = rl__choice_fit(0xb, 0x8, cur, 2);
    assert_false(c.fits);
    assert_int_equal(c.chosen, rl__default_choice(0xb, 0x8, cur));
    c = rl__choice_fit(0xb, 0x8, -1, 200);
    assert_false(c.fits);
    assert_false(c.preempted); /* nobody to preempt */
    char text[160];
    rl__choice_no_fit_text(text, sizeof text, "program", 6, 2, 0xb);
    assert_string_equal(text, "the schedule does not fit this program: at step 7 thread 2 cannot "
                              "go (runnable: 0, 1, 3)");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        rl_unit_test(a_signal_with_nobody_waiting_is_lost),
        rl_unit_test(a_signal_wakes_only_those_waiting_when_it_was_sent),
        rl_unit_test(a_broadcast_drops_only_its_conditions_tokens),
        rl_unit_test(tokens_never_outnumber_waiters),
        rl_unit_test(a_yielder_waits_until_those_it_yielded_to_moved),
        rl_unit_test(a_livelock_names_the_threads_that_kept_yielding),
        rl_unit_test(a_choice_is_fitted_recorded_and_counted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_core.c - the scheduling core that the in-process explorer and the
 * interposer share (src/explore/core/): condition signals, fairness, one
 * step's choice, what an operation needs and does, and the loop. */
#include <setjmp.h>
#include <string.h>

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
    /* A (1) yields once while main (0) and B (2) could run: that alone
     * constrains nothing (a sleep between a read and a write may be
     * followed at once by the write, natively) */
    rl__fair_seen(&f, 4, 0x7);
    rl__fair_yielded(&f, 1, 0x7, 10);
    assert_int_equal(rl__fair_eager(&f, 0x7), 0x7);
    /* A spins: it yields again, main and B able to go all along and
     * neither moved: A goes again only after they have */
    rl__fair_seen(&f, 4, 0x7);
    rl__fair_yielded(&f, 1, 0x7, 11);
    assert_int_equal(rl__fair_eager(&f, 0x7), 0x5); /* not A */
    rl__fair_moved(&f, 4, 0);
    assert_int_equal(rl__fair_eager(&f, 0x7), 0x5); /* B has not moved yet */
    /* B blocks: A waits only for a thread that cannot go, so it may */
    assert_int_equal(rl__fair_eager(&f, 0x3), 0x3);
    rl__fair_moved(&f, 4, 2);
    assert_int_equal(rl__fair_eager(&f, 0x7), 0x7); /* debt paid */
    /* the only thread that can go goes, whatever it owes */
    rl__fair_yielded(&f, 1, 0x7, 12);
    rl__fair_yielded(&f, 1, 0x7, 13);
    assert_int_equal(rl__fair_eager(&f, 0x2), 0x2);
    /* a new thread in a reused slot is owed nothing */
    rl__fair_new_thread(&f, 4, 2);
    assert_int_equal(rl__fair_eager(&f, 0x6), 0x6);
}

/* The window: A's second yield defers only to threads that could go all
 * along since its first and have not moved since. */
static void a_yield_defers_over_the_window_since_the_last(void **state) {
    (void)state;
    rl__fair f;
    rl__fair_reset(&f);
    rl__fair_seen(&f, 4, 0xf);
    rl__fair_yielded(&f, 1, 0xf, 10); /* main, B and C could go */
    rl__fair_moved(&f, 4, 2);        /* B moved */
    rl__fair_seen(&f, 4, 0x7);       /* C cannot go for a moment */
    rl__fair_seen(&f, 4, 0xf);
    rl__fair_yielded(&f, 1, 0xf, 12);
    /* only main was able all along and did not move */
    assert_int_equal(rl__fair_eager(&f, 0xf), 0xd);
    rl__fair_moved(&f, 4, 0);
    assert_int_equal(rl__fair_eager(&f, 0xf), 0xf);
    /* the next window started at the second yield: B and C are in it */
    rl__fair_seen(&f, 4, 0xf);
    rl__fair_yielded(&f, 1, 0xf, 14);
    assert_int_equal(rl__fair_eager(&f, 0xf), 0xd); /* main moved; B and C did not */
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

/* ---- the model: what an operation needs and does ---- */

/* A front end of the core for the tests: threads that never really run.
 * choose takes the default order (or `ask`); end jumps back to the test. */
static struct {
    rl__core core;
    rl__core_thread threads[4];
    jmp_buf ended;
    rl__core_end why;
    int ask;       /* the choice to ask for, -1: the default order */
    int recorded;  /* decisions recorded */
    int steps_of[4]; /* steps made, by thread */
    int switches;  /* turns passed on */
    int last_to;   /* the thread the turn passed to last */
    bool no_fit;
} F;

static unsigned f_choose(void *ctx, uint64_t step, uint64_t enabled, uint64_t lazy, int current) {
    (void)ctx;
    (void)step;
    return F.ask >= 0 ? (unsigned)F.ask : rl__default_choice(enabled, lazy, current);
}
static void f_no_fit(void *ctx, uint64_t step, unsigned asked, uint64_t enabled) {
    (void)ctx;
    (void)step;
    (void)asked;
    (void)enabled;
    F.no_fit = true;
}
static bool f_record(void *ctx, const rl__choice *ch) {
    (void)ctx;
    F.recorded++;
    F.steps_of[ch->chosen]++;
    return true;
}
static bool f_apply(void *ctx, rl__core_thread *t, bool timed_out) {
    (void)ctx;
    return rl__core_apply(&F.core, t, timed_out);
}
static void f_end(void *ctx, rl__core_end why, rl__core_thread *caller, bool exiting) {
    (void)ctx;
    (void)caller;
    (void)exiting;
    F.why = why;
    longjmp(F.ended, 1);
}
static void f_switch(void *ctx, rl__core_thread *from, rl__core_thread *to, bool exiting) {
    (void)ctx;
    (void)from;
    (void)exiting;
    F.switches++;
    F.last_to = (int)to->index;
}
static const rl__core_hooks f_hooks = {.choose = f_choose, .no_fit = f_no_fit,
                                       .record = f_record, .apply = f_apply,
                                       .end = f_end, .switch_to = f_switch};

/* n live threads, all with nothing pending; thread 0 holds the turn. */
static rl__core *fresh(unsigned n) {
    memset(&F, 0, sizeof F);
    F.ask = -1;
    F.last_to = -1;
    rl__core_reset(&F.core);
    F.core.hooks = &f_hooks;
    F.core.max_steps = 1000;
    for (unsigned i = 0; i < n; i++)
        rl__core_new_thread(&F.core, &F.threads[i], i, RL_POP_NONE);
    F.core.cur = 0;
    return &F.core;
}

static bool go(rl__core *c, unsigned t, uint8_t op, rl__core_obj *o, bool timed_out) {
    c->threads[t]->op = op;
    c->threads[t]->o = o;
    return rl__core_apply(c, c->threads[t], timed_out);
}

static void a_try_is_decided_in_its_step(void **state) {
    (void)state;
    rl__core *c = fresh(2);
    rl__core_obj m = {.kind = RL_OBJ_MUTEX};
    assert_true(go(c, 0, RL_POP_TRYLOCK, &m, false));
    assert_true(F.threads[0].result_ok);
    assert_int_equal(m.owner, 1);
    assert_true(go(c, 1, RL_POP_TRYLOCK, &m, false)); /* busy */
    assert_false(F.threads[1].result_ok);
    assert_int_equal(m.owner, 1);
    /* a recursive mutex: its holder takes it again, one level deeper */
    m.recursive = true;
    assert_true(go(c, 0, RL_POP_TRYLOCK, &m, false));
    assert_true(F.threads[0].result_ok);
    assert_int_equal(m.count, 2);
    /* a spin lock is never taken twice, even by its holder */
    rl__core_obj spin = {.kind = RL_OBJ_SPIN, .owner = 1, .count = 1};
    assert_true(go(c, 0, RL_POP_SPINTRY, &spin, false));
    assert_false(F.threads[0].result_ok);
    /* a read-write lock: readers share it, a writer needs it empty */
    rl__core_obj rw = {.kind = RL_OBJ_RWLOCK};
    assert_true(go(c, 0, RL_POP_TRYRDLOCK, &rw, false));
    assert_true(go(c, 1, RL_POP_TRYRDLOCK, &rw, false));
    assert_true(F.threads[1].result_ok);
    assert_int_equal(rw.count, 2);
    assert_true(go(c, 1, RL_POP_TRYWRLOCK, &rw, false));
    assert_false(F.threads[1].result_ok);
    assert_int_equal(rw.owner, 0);
    /* a semaphore at 1: one try takes it, the next finds it empty */
    rl__core_obj sem = {.kind = RL_OBJ_SEM, .count = 1};
    assert_true(go(c, 0, RL_POP_SEMTRY, &sem, false));
    assert_true(F.threads[0].result_ok);
    assert_true(go(c, 1, RL_POP_SEMTRY, &sem, false));
    assert_false(F.threads[1].result_ok);
    assert_int_equal(sem.count, 0);
}

static void what_a_lock_waits_for(void **state) {
    (void)state;
    rl__core *c = fresh(3);
    rl__core_obj m = {.kind = RL_OBJ_MUTEX, .owner = 1, .count = 1};
    F.threads[1].op = RL_POP_LOCK;
    F.threads[1].o = &m;
    assert_false(rl__core_can_go(c, &F.threads[1], false));
    F.threads[1].op = RL_POP_TIMEDLOCK; /* may give up */
    assert_false(rl__core_can_go(c, &F.threads[1], false));
    assert_true(rl__core_can_go(c, &F.threads[1], true));
    uint64_t lazy;
    uint64_t enabled = rl__core_enabled(c, &lazy);
    assert_true(enabled == 0x7 && lazy == 0x2);
    assert_true(rl__core_apply(c, &F.threads[1], true));
    assert_true(F.threads[1].timed_out);
    assert_int_equal(m.owner, 1);
    /* its holder may take a recursive mutex again, not another */
    F.threads[0].op = RL_POP_LOCK;
    F.threads[0].o = &m;
    assert_false(rl__core_can_go(c, &F.threads[0], false));
    m.recursive = true;
    assert_true(rl__core_can_go(c, &F.threads[0], false));
    /* a join waits for its thread's end */
    F.threads[2].op = RL_POP_JOIN;
    F.threads[2].join_target = 1;
    assert_false(rl__core_can_go(c, &F.threads[2], false));
    F.threads[1].state = RL_CORE_DONE;
    assert_true(rl__core_can_go(c, &F.threads[2], false));
    assert_false(rl__core_can_go(c, &F.threads[1], true)); /* ended: never */
}

static void a_wait_releases_every_level_and_takes_them_back(void **state) {
    (void)state;
    rl__core *c = fresh(2);
    rl__core_obj m = {.kind = RL_OBJ_MUTEX, .recursive = true, .owner = 1, .count = 2};
    rl__core_obj cond = {.kind = RL_OBJ_COND};
    F.threads[0].wait_mutex = &m;
    assert_false(go(c, 0, RL_POP_WAIT, &cond, false)); /* it did not run: it waits */
    assert_int_equal(F.threads[0].op, RL_POP_WAKE);
    assert_true(m.owner == 0 && m.count == 0);
    assert_false(rl__core_can_go(c, &F.threads[0], true)); /* untimed: never times out */
    assert_true(rl__core_signal(c, &cond));
    assert_true(rl__core_can_go(c, &F.threads[0], false));
    assert_true(rl__core_apply(c, &F.threads[0], false));
    assert_true(m.owner == 1 && m.count == 2);
    assert_true(F.threads[0].signalled);
    assert_false(F.threads[0].timed_out);
    assert_int_equal(rl__signals_pending(&c->signals, &cond), 0); /* the signal was taken */
}

static void a_timed_wait_times_out_only_as_a_choice(void **state) {
    (void)state;
    rl__core *c = fresh(2);
    rl__core_obj m = {.kind = RL_OBJ_MUTEX, .owner = 1, .count = 1};
    rl__core_obj cond = {.kind = RL_OBJ_COND};
    F.threads[0].wait_mutex = &m;
    assert_false(go(c, 0, RL_POP_TIMEDWAIT, &cond, false));
    uint64_t lazy;
    assert_true(rl__core_enabled(c, &lazy) == 0x3 && lazy == 0x1);
    /* the default order lets the other thread go first */
    assert_int_equal(rl__default_choice(0x3, lazy, -1), 1);
    assert_true(rl__core_apply(c, &F.threads[0], true));
    assert_true(F.threads[0].timed_out);
    assert_int_equal(m.owner, 1);
    /* with a signal to take, it is woken, not timed out */
    assert_false(go(c, 0, RL_POP_TIMEDWAIT, &cond, false));
    rl__core_broadcast(c, &cond);
    assert_true(rl__core_enabled(c, &lazy) == 0x3 && lazy == 0);
    assert_true(rl__core_apply(c, &F.threads[0], false));
    assert_false(F.threads[0].timed_out);
}

/* ---- the loop ---- */

static void the_loop_passes_the_turn_and_ends_a_schedule(void **state) {
    (void)state;
    rl__core *c = fresh(2);
    rl__core_obj m = {.kind = RL_OBJ_MUTEX};
    /* thread 0 locks a free mutex: it goes on at once */
    F.threads[0].op = RL_POP_LOCK;
    F.threads[0].o = &m;
    F.threads[1].op = RL_POP_LOCK;
    F.threads[1].o = &m;
    if (setjmp(F.ended) == 0)
        rl__core_schedule_from(c, &F.threads[0]);
    else
        fail_msg("the schedule ended");
    assert_int_equal(F.switches, 0);
    assert_int_equal(m.owner, 1);
    assert_int_equal(c->step, 1);
    /* asked for thread 1, which cannot go: noted, and the default goes */
    F.ask = 1;
    F.threads[0].op = RL_POP_YIELD;
    if (setjmp(F.ended) == 0)
        rl__core_schedule_from(c, &F.threads[0]);
    assert_true(F.no_fit);
    assert_true(c->no_fit);
    /* thread 0 ends holding the mutex: thread 1 can never go */
    F.ask = -1;
    F.threads[0].state = RL_CORE_DONE;
    if (setjmp(F.ended) == 0) {
        rl__core_hand_on(c, &F.threads[0]);
        fail_msg("handed on to a thread that cannot go");
    }
    assert_int_equal(F.why, RL_CORE_DEADLOCK);
    /* freed, thread 1 takes it and the turn */
    m.owner = 0;
    m.count = 0;
    if (setjmp(F.ended) == 0)
        rl__core_hand_on(c, &F.threads[0]);
    assert_int_equal(F.last_to, 1);
    assert_int_equal(c->cur, 1);
    assert_int_equal(m.owner, 2);
    /* nobody left: the schedule is over */
    F.threads[1].state = RL_CORE_DONE;
    if (setjmp(F.ended) == 0)
        rl__core_hand_on(c, &F.threads[1]);
    assert_int_equal(F.why, RL_CORE_ALL_DONE);
    assert_int_equal(F.recorded, (int)c->step);
}

static void a_schedule_past_its_steps_is_a_livelock(void **state) {
    (void)state;
    rl__core *c = fresh(2);
    c->max_steps = 50;
    volatile int made = 0;
    if (setjmp(F.ended) == 0)
        for (;;) {
            rl__core_thread *t = c->threads[c->cur];
            t->op = RL_POP_YIELD;
            rl__core_schedule_from(c, t);
            made++;
        }
    assert_int_equal(F.why, RL_CORE_LIVELOCK);
    assert_int_equal(c->step, 50);
    assert_true(made > 0);
    /* fair: the two yielders took turns, neither starved the other */
    assert_int_equal(F.steps_of[0], 25);
    assert_int_equal(F.steps_of[1], 25);
}

static void a_blocked_thread_says_what_it_waits_for(void **state) {
    (void)state;
    rl__core *c = fresh(3);
    rl__core_obj m = {.kind = RL_OBJ_MUTEX, .owner = 2, .count = 1};
    rl__core_obj cond = {.kind = RL_OBJ_COND};
    char text[160], note[80];
    /* thread 0 waits for m, which thread 1 holds */
    F.threads[0].op = RL_POP_LOCK;
    F.threads[0].o = &m;
    rl__blocked b = rl__core_blocked(c, &F.threads[0]);
    assert_true(b.why == RL_BLOCKED_HELD && b.o == &m && b.holder == 1);
    rl__core_blocked_text(&F.threads[0], &b, "A", "m", "B", text, sizeof text);
    assert_string_equal(text, "A waits for lock m held by B");
    rl__core_blocked_note(&b, "B", note, sizeof note);
    assert_string_equal(note, "blocked: B holds it");
    /* thread 2 waits on a condition nobody signalled */
    F.threads[2].op = RL_POP_WAKE;
    F.threads[2].o = &cond;
    F.threads[2].wait_mutex = &m;
    F.threads[2].wait_seq = rl__signals_wait(&c->signals);
    b = rl__core_blocked(c, &F.threads[2]);
    assert_true(b.why == RL_BLOCKED_UNSIGNALLED && b.o == &cond && b.holder == -1);
    rl__core_blocked_text(&F.threads[2], &b, "C", "cv", "nobody", text, sizeof text);
    assert_string_equal(text, "C waits on condition cv, never signalled");
    /* signalled, it waits to take the mutex back */
    assert_true(rl__core_signal(c, &cond));
    b = rl__core_blocked(c, &F.threads[2]);
    assert_true(b.why == RL_BLOCKED_RELOCK && b.o == &m && b.holder == 1);
    rl__core_blocked_text(&F.threads[2], &b, "C", "m", "B", text, sizeof text);
    assert_string_equal(text, "C waits to take back mutex m held by B");
    /* a join */
    F.threads[1].op = RL_POP_JOIN;
    F.threads[1].join_target = 0;
    b = rl__core_blocked(c, &F.threads[1]);
    assert_true(b.why == RL_BLOCKED_JOIN && b.holder == 0);
    rl__core_blocked_text(&F.threads[1], &b, "B", "A", "A", text, sizeof text);
    assert_string_equal(text, "B waits to join A");
    /* a semaphore at 0: nobody holds it */
    rl__core_obj sem = {.kind = RL_OBJ_SEM};
    F.threads[1].op = RL_POP_SEMWAIT;
    F.threads[1].o = &sem;
    b = rl__core_blocked(c, &F.threads[1]);
    assert_true(b.why == RL_BLOCKED_IN && b.holder == -1);
    rl__core_blocked_text(&F.threads[1], &b, "B", "s", "nobody", text, sizeof text);
    assert_string_equal(text, "B waits in sem_wait s");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        rl_unit_test(a_signal_with_nobody_waiting_is_lost),
        rl_unit_test(a_signal_wakes_only_those_waiting_when_it_was_sent),
        rl_unit_test(a_broadcast_drops_only_its_conditions_tokens),
        rl_unit_test(tokens_never_outnumber_waiters),
        rl_unit_test(a_yielder_waits_until_those_it_yielded_to_moved),
        rl_unit_test(a_yield_defers_over_the_window_since_the_last),
        rl_unit_test(a_livelock_names_the_threads_that_kept_yielding),
        rl_unit_test(a_choice_is_fitted_recorded_and_counted),
        rl_unit_test(a_try_is_decided_in_its_step),
        rl_unit_test(what_a_lock_waits_for),
        rl_unit_test(a_wait_releases_every_level_and_takes_them_back),
        rl_unit_test(a_timed_wait_times_out_only_as_a_choice),
        rl_unit_test(the_loop_passes_the_turn_and_ends_a_schedule),
        rl_unit_test(a_schedule_past_its_steps_is_a_livelock),
        rl_unit_test(a_blocked_thread_says_what_it_waits_for),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

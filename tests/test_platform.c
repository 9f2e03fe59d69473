/* test_platform.c - layer 1: the table, threads, mutexes, conditions,
 * owner checks and table swapping. */
#include <signal.h>
#include <stdatomic.h>
#include <string.h>

#include "racelab/platform.h"
#include "testing.h"

typedef struct {
    rl_mutex mu;
    long counter;
    unsigned ids[4];
} shared;

static shared sh;

static void bump(void *arg) {
    size_t i = (size_t)(uintptr_t)arg;
    sh.ids[i] = rl_thread_self();
    for (int k = 0; k < 10000; k++) {
        rl_mutex_lock(&sh.mu);
        sh.counter++;
        rl_mutex_unlock(&sh.mu);
    }
}

static void threads_join_and_exclude(void **state) {
    (void)state;
    memset(&sh, 0, sizeof sh);
    assert_err_equal(rl_mutex_init(&sh.mu, "counter"), RL_OK);
    rl_thread t[4];
    for (size_t i = 0; i < 4; i++)
        assert_err_equal(rl_thread_create(&t[i], "bumper", bump, (void *)(uintptr_t)i), RL_OK);
    for (size_t i = 0; i < 4; i++)
        rl_thread_join(&t[i]);
    assert_int_equal(sh.counter, 40000);
    unsigned self = rl_thread_self();
    assert_int_not_equal(self, 0);
    for (size_t i = 0; i < 4; i++) {
        assert_int_not_equal(sh.ids[i], 0);
        assert_int_not_equal(sh.ids[i], self);
        assert_int_equal(sh.ids[i], t[i].id);
        for (size_t j = 0; j < i; j++)
            assert_int_not_equal(sh.ids[i], sh.ids[j]);
    }
    rl_mutex_destroy(&sh.mu);
}

static void trylock_and_held(void **state) {
    (void)state;
    rl_mutex m;
    assert_err_equal(rl_mutex_init(&m, "m"), RL_OK);
    assert_false(rl_mutex_held(&m));
    assert_true(rl_mutex_trylock(&m));
    assert_true(rl_mutex_held(&m));
    assert_false(rl_mutex_trylock(&m)); /* held, even by the caller: no recursion */
    rl_mutex_unlock(&m);
    assert_false(rl_mutex_held(&m));
    rl_mutex_destroy(&m);
}

typedef struct {
    rl_mutex mu;
    rl_cond cv;
    int stage;
} pingpong;

static void ponger(void *arg) {
    pingpong *p = arg;
    rl_mutex_lock(&p->mu);
    while (p->stage != 1)
        rl_cond_wait(&p->cv, &p->mu);
    p->stage = 2;
    rl_cond_signal(&p->cv);
    rl_mutex_unlock(&p->mu);
}

static void condition_handshake(void **state) {
    (void)state;
    pingpong p = {.stage = 0};
    assert_err_equal(rl_mutex_init(&p.mu, "pp"), RL_OK);
    assert_err_equal(rl_cond_init(&p.cv, "pp"), RL_OK);
    rl_thread t;
    assert_err_equal(rl_thread_create(&t, "ponger", ponger, &p), RL_OK);
    rl_mutex_lock(&p.mu);
    p.stage = 1;
    rl_cond_broadcast(&p.cv);
    while (p.stage != 2)
        rl_cond_wait(&p.cv, &p.mu);
    rl_mutex_unlock(&p.mu);
    rl_thread_join(&t);
    assert_int_equal(p.stage, 2);
    rl_cond_destroy(&p.cv);
    rl_mutex_destroy(&p.mu);
}

/* rl_mutex_lock_when under pthreads: the waiter holds the mutex only
 * once ready. The test waits until the waiter has started waiting (a
 * wrapper table sees its wait) or has returned, then makes it ready: the
 * order is forced, not left to luck. */
static bool stage_one(void *arg) { return ((pingpong *)arg)->stage >= 1; }

static atomic_bool waiter_waits, waiter_done;

static void noting_wait(rl_cond *c, rl_mutex *m) {
    atomic_store(&waiter_waits, true);
    rl_platform_pthreads()->cond_wait(c, m);
}

static void lock_when_waits_for_ready(void *arg) {
    pingpong *p = arg;
    rl_mutex_lock_when(&p->mu, &p->cv, stage_one, p);
    /* -1: taken before it was ready, or not held */
    p->stage = p->stage == 1 && rl_mutex_held(&p->mu) ? 2 : -1;
    rl_cond_broadcast(&p->cv);
    rl_mutex_unlock(&p->mu);
    atomic_store(&waiter_done, true);
}

static void lock_when_takes_the_mutex_once_ready(void **state) {
    (void)state;
    rl_platform noting = *rl_platform_pthreads();
    noting.name = "noting";
    noting.layout = rl_platform_pthreads();
    noting.cond_wait = noting_wait;
    rl_platform_install(&noting);
    pingpong p = {.stage = 0};
    assert_err_equal(rl_mutex_init_guarded(&p.mu, "pp"), RL_OK);
    assert_true(p.mu.guarded);
    assert_err_equal(rl_cond_init(&p.cv, "pp"), RL_OK);
    atomic_store(&waiter_waits, false);
    atomic_store(&waiter_done, false);
    rl_thread t;
    assert_err_equal(rl_thread_create(&t, "waiter", lock_when_waits_for_ready, &p), RL_OK);
    while (!atomic_load(&waiter_waits) && !atomic_load(&waiter_done))
        rl_yield();
    rl_mutex_lock(&p.mu);
    rl_guarded_touch(&p.mu, 1, RL_TOUCH_WRITES); /* nothing to do under pthreads */
    if (p.stage == 0)
        p.stage = 1;
    rl_cond_broadcast(&p.cv);
    rl_mutex_unlock(&p.mu);
    rl_thread_join(&t);
    assert_int_equal(p.stage, 2);
    /* ready at once: taken at once */
    rl_mutex_lock_when(&p.mu, &p.cv, stage_one, &p);
    assert_true(rl_mutex_held(&p.mu));
    rl_mutex_unlock(&p.mu);
    rl_cond_destroy(&p.cv);
    rl_mutex_destroy(&p.mu);
    rl_platform_install(NULL);
}

static void invalid_arguments(void **state) {
    (void)state;
    assert_err_equal(rl_mutex_init(NULL, "x"), RL_EINVAL);
    assert_err_equal(rl_cond_init(NULL, "x"), RL_EINVAL);
    rl_thread t;
    assert_err_equal(rl_thread_create(NULL, "x", bump, NULL), RL_EINVAL);
    assert_err_equal(rl_thread_create(&t, "x", NULL, NULL), RL_EINVAL);
    assert_false(rl_mutex_held(NULL));
}

static void sleep_and_clock(void **state) {
    (void)state;
    uint64_t t0 = rl_now_ns();
    rl_sleep_ns(2000000);
    assert_true(rl_now_ns() - t0 >= 2000000); /* a lower bound only: never flaky */
}

/* A table that counts accesses and forwards everything else. */
static int begins, ends;
static char last_name[32];
static void count_begin(rl_access *a) {
    (void)a;
    begins++;
}
static void count_end(rl_access *a) {
    ends++;
    snprintf(last_name, sizeof last_name, "%s", rl_access_name(a));
}

static const char *fixed_name(const void *object, uint64_t key) {
    (void)object;
    return key == 7 ? "seven" : NULL;
}

static void install_and_restore(void **state) {
    (void)state;
    rl_platform counting = *rl_platform_pthreads();
    counting.name = "counting";
    counting.access_begin = count_begin;
    counting.access_end = count_end;
    assert_ptr_equal(rl_platform_current(), rl_platform_pthreads());
    const rl_platform *prev = rl_platform_install(&counting);
    assert_ptr_equal(prev, rl_platform_pthreads());
    assert_ptr_equal(rl_platform_current(), &counting);
    rl_access a = {.kind = RL_ACCESS_READ, .op = "get", .key = 7, .name_of = fixed_name};
    rl_access_begin(&a);
    rl_access_end(&a);
    assert_int_equal(begins, 1);
    assert_int_equal(ends, 1);
    assert_string_equal(last_name, "seven");
    a.key = 8;
    assert_string_equal(rl_access_name(&a), "?");
    assert_ptr_equal(rl_platform_install(NULL), &counting);
    assert_ptr_equal(rl_platform_current(), rl_platform_pthreads());
    rl_access_begin(&a); /* the default table does nothing */
    assert_int_equal(begins, 1);
}

/* ---- programming errors are fatal, with a message: checked in children ---- */

static int child_unlock_free(void) {
    rl_mutex m;
    rl_mutex_init(&m, "ledger");
    rl_mutex_unlock(&m);
    return 0;
}

static rl_mutex held_elsewhere;
static void hold_it(void *arg) {
    (void)arg;
    rl_mutex_lock(&held_elsewhere);
}

static int child_unlock_other(void) {
    rl_mutex_init(&held_elsewhere, "ledger");
    rl_thread t;
    rl_thread_create(&t, "holder", hold_it, NULL);
    rl_thread_join(&t); /* it returned holding the lock */
    rl_mutex_unlock(&held_elsewhere);
    return 0;
}

static int child_relock(void) {
    rl_mutex m;
    rl_mutex_init(&m, "ledger");
    rl_mutex_lock(&m);
    rl_mutex_lock(&m);
    return 0;
}

static int child_wrong_table(void) {
    rl_mutex m;
    rl_mutex_init(&m, "ledger");
    rl_platform other = *rl_platform_pthreads();
    other.name = "other"; /* a table of its own layout: it does not say otherwise */
    rl_platform_install(&other);
    rl_mutex_lock(&m);
    return 0;
}

static int child_wait_unheld(void) {
    rl_mutex m;
    rl_cond c;
    rl_mutex_init(&m, "ledger");
    rl_cond_init(&c, "ready");
    rl_cond_wait(&c, &m);
    return 0;
}

static rl_mutex gate;

static void wait_at_gate(void *arg) {
    (void)arg;
    rl_mutex_lock(&gate); /* main holds it: this thread runs on, blocked */
    rl_mutex_unlock(&gate);
}

static int child_install_while_running(void) {
    rl_mutex_init(&gate, "gate");
    rl_mutex_lock(&gate);
    rl_thread t;
    rl_thread_create(&t, "waiter", wait_at_gate, NULL);
    rl_platform_install(NULL); /* refused: the waiter has not returned */
    return 0;
}

static int child_touch_unguarded(void) {
    rl_mutex m;
    rl_mutex_init(&m, "ledger");
    rl_mutex_lock(&m);
    rl_guarded_touch(&m, 1, RL_TOUCH_READS);
    return 0;
}

static int child_touch_unheld(void) {
    rl_mutex m;
    rl_mutex_init_guarded(&m, "ledger");
    rl_guarded_touch(&m, 1, RL_TOUCH_READS);
    return 0;
}

static bool always(void *arg) {
    (void)arg;
    return true;
}

static int child_try_guarded(void) {
    rl_mutex m;
    rl_mutex_init_guarded(&m, "ledger");
    (void)rl_mutex_trylock(&m);
    return 0;
}

static int child_relock_when(void) {
    rl_mutex m;
    rl_cond c;
    rl_mutex_init(&m, "ledger");
    rl_cond_init(&c, "ready");
    rl_mutex_lock(&m);
    rl_mutex_lock_when(&m, &c, always, NULL);
    return 0;
}


/* A wrapper that shares the pthreads layout may use objects made before
 * it was installed, and the other way round. */
static void wrapper_shares_objects(void **state) {
    (void)state;
    rl_mutex before;
    assert_err_equal(rl_mutex_init(&before, "before"), RL_OK);
    rl_platform wrapper = *rl_platform_pthreads();
    wrapper.name = "wrapper";
    wrapper.layout = rl_platform_pthreads();
    rl_platform_install(&wrapper);
    rl_mutex during;
    assert_err_equal(rl_mutex_init(&during, "during"), RL_OK);
    rl_mutex_lock(&before);
    rl_mutex_unlock(&before);
    rl_platform_install(NULL);
    rl_mutex_lock(&during);
    rl_mutex_unlock(&during);
    rl_mutex_destroy(&during);
    rl_mutex_destroy(&before);
}

static void misuse_is_fatal(void **state) {
    (void)state;
    rl_test_expect_fatal("unlock-free", "unlocks mutex 'ledger' that nobody holds");
    rl_test_expect_fatal("unlock-other", "unlocks mutex 'ledger' held by thread");
    rl_test_expect_fatal("relock", "locks mutex 'ledger' that it already holds");
    rl_test_expect_fatal("wrong-table", "initialised under platform 'pthreads' but is used under 'other'");
    rl_test_expect_fatal("wait-unheld", "waits on 'ready' without holding mutex 'ledger'");
    rl_test_expect_fatal("touch-unguarded", "rl_guarded_touch: mutex 'ledger' is not guarded");
    rl_test_expect_fatal("touch-unheld", "rl_guarded_touch: mutex 'ledger' is not held by the caller");
    rl_test_expect_fatal("relock-when", "locks mutex 'ledger' that it already holds");
    rl_test_expect_fatal("try-guarded", "rl_mutex_trylock: mutex 'ledger' is guarded");
    rl_test_expect_fatal("install-running",
                         "rl_platform_install: 1 platform thread is still running");
}

RL_CHILDREN({"unlock-free", child_unlock_free}, {"unlock-other", child_unlock_other},
            {"relock", child_relock}, {"wrong-table", child_wrong_table},
            {"wait-unheld", child_wait_unheld}, {"touch-unguarded", child_touch_unguarded},
            {"touch-unheld", child_touch_unheld}, {"relock-when", child_relock_when},
            {"try-guarded", child_try_guarded},
            {"install-running", child_install_while_running});

/* Every error code has its own name and a sentence; a value out of range
 * is named as such, never a crash. */
static void error_table(void **state) {
    (void)state;
    for (int e = 0; e < RL_ERR_COUNT_; e++) {
        const char *name = rl_errname((rl_err)e), *text = rl_strerror((rl_err)e);
        assert_non_null(name);
        assert_non_null(text);
        assert_true(strncmp(name, "RL_", 3) == 0);
        assert_string_not_equal(text, "unknown error");
        assert_true(strlen(text) > 3);
        for (int f = 0; f < e; f++)
            assert_string_not_equal(name, rl_errname((rl_err)f));
    }
    assert_string_equal(rl_errname(RL_ECONFLICT), "RL_ECONFLICT");
    assert_string_equal(rl_errname(RL_ERR_COUNT_), "RL_E?");
    assert_string_equal(rl_strerror((rl_err)-1), "unknown error");
}

int main(int argc, char **argv) {
    rl_test_dispatch_child(argc, argv, rl_children_, rl_nchildren_);
    const struct CMUnitTest tests[] = {
        rl_unit_test(threads_join_and_exclude), rl_unit_test(trylock_and_held),
        rl_unit_test(condition_handshake),
        rl_unit_test(lock_when_takes_the_mutex_once_ready),
        rl_unit_test(invalid_arguments),
        rl_unit_test(sleep_and_clock),          rl_unit_test(install_and_restore),
        rl_unit_test(wrapper_shares_objects), rl_unit_test(misuse_is_fatal),
        rl_unit_test(error_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

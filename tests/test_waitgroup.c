/* test_waitgroup.c - layer 2: the wait group. */
#include <signal.h>

#include "racelab/waitgroup.h"
#include "testing.h"

/* Forcing the interleaving: the workers may only finish once the waiting
 * thread is blocked inside the wait group's condition wait. A spy table
 * opens their gate at that moment. A wait that returned without blocking
 * finds no worker finished, every time; a correct one finds all four. */
static struct {
    rl_mutex mu; /* used through the pthreads table directly, below the spy */
    rl_cond cv;
    bool open;
    rl_cond *watched;
} gate;

static void spy_cond_wait(rl_cond *c, rl_mutex *m) {
    const rl_platform *in = rl_platform_pthreads();
    if (c == gate.watched) {
        in->mutex_lock(&gate.mu);
        gate.open = true;
        in->cond_broadcast(&gate.cv);
        in->mutex_unlock(&gate.mu);
    }
    in->cond_wait(c, m);
}

typedef struct {
    rl_waitgroup *wg;
    atomic_int *finished;
} worker_arg;

static void worker(void *p) {
    worker_arg *a = p;
    const rl_platform *in = rl_platform_pthreads();
    in->mutex_lock(&gate.mu);
    while (!gate.open)
        in->cond_wait(&gate.cv, &gate.mu);
    in->mutex_unlock(&gate.mu);
    atomic_fetch_add(a->finished, 1);
    rl_waitgroup_done(a->wg);
}

static void wait_blocks_until_every_done(void **state) {
    (void)state;
    assert_err_equal(rl_mutex_init(&gate.mu, "gate"), RL_OK);
    assert_err_equal(rl_cond_init(&gate.cv, "gate"), RL_OK);
    gate.open = false;
    rl_platform spy = *rl_platform_pthreads();
    spy.name = "spy";
    spy.cond_wait = spy_cond_wait;
    rl_platform_install(&spy);

    rl_waitgroup wg;
    atomic_int finished = 0;
    assert_err_equal(rl_waitgroup_init(&wg, "workers"), RL_OK);
    gate.watched = &wg.zero;
    rl_waitgroup_wait(&wg); /* zero: returns at once, without blocking */
    assert_false(gate.open);
    rl_waitgroup_add(&wg, 4);
    worker_arg arg = {&wg, &finished};
    rl_thread t[4];
    for (int i = 0; i < 4; i++)
        assert_err_equal(rl_thread_create(&t[i], "worker", worker, &arg), RL_OK);
    rl_waitgroup_wait(&wg);
    assert_int_equal(atomic_load(&finished), 4);
    for (int i = 0; i < 4; i++)
        rl_thread_join(&t[i]);
    rl_waitgroup_destroy(&wg);
    rl_platform_install(NULL);
    rl_cond_destroy(&gate.cv);
    rl_mutex_destroy(&gate.mu);
}

static void invalid_arguments(void **state) {
    (void)state;
    assert_err_equal(rl_waitgroup_init(NULL, "x"), RL_EINVAL);
}

static int child_negative(void) {
    rl_waitgroup wg;
    rl_waitgroup_init(&wg, "merchants");
    rl_waitgroup_add(&wg, 1);
    rl_waitgroup_done(&wg);
    rl_waitgroup_done(&wg);
    return 0;
}

static void negative_counter_is_fatal(void **state) {
    (void)state;
    rl_child c;
    rl_test_child("negative", &c);
    assert_int_equal(c.signal, SIGABRT);
    assert_contains(c.err, "racelab: fatal: wait group 'merchants': counter would go below zero (0 -1)");
    rl_child_free(&c);
}

RL_CHILDREN({"negative", child_negative});

int main(int argc, char **argv) {
    rl_test_dispatch_child(argc, argv, rl_children_, rl_nchildren_);
    const struct CMUnitTest tests[] = {
        rl_unit_test(wait_blocks_until_every_done),
        rl_unit_test(invalid_arguments),
        rl_unit_test(negative_counter_is_fatal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_lockstep.c - the gate that forces interleavings on real threads. */
#include "racelab/lockstep.h"
#include "testing.h"

static void begin_end_and_errors(void **state) {
    (void)state;
    rl_lockstep *ls, *other;
    assert_true(rl_lockstep_available());
    /* a table with objects of its own (the explorer's kind): no gate there */
    rl_platform own = *rl_platform_pthreads();
    own.name = "own";
    rl_platform_install(&own);
    assert_false(rl_lockstep_available());
    assert_err_equal(rl_lockstep_begin(2, &ls), RL_EINVAL);
    /* a wrapper of pthreads (the recorder's kind): a gate can go over it */
    own.layout = rl_platform_pthreads();
    assert_true(rl_lockstep_available());
    rl_platform_install(NULL);
    assert_err_equal(rl_lockstep_begin(0, &ls), RL_EINVAL);
    assert_err_equal(rl_lockstep_begin(1, NULL), RL_EINVAL);
    assert_err_equal(rl_lockstep_begin(2, &ls), RL_OK);
    assert_string_equal(rl_platform_current()->name, "lockstep");
    /* one gate at a time */
    assert_false(rl_lockstep_available());
    assert_err_equal(rl_lockstep_begin(2, &other), RL_EBUSY);
    rl_lockstep_end(ls);
    assert_ptr_equal(rl_platform_current(), rl_platform_pthreads());
    rl_lockstep_end(NULL);
}

/* Two participants: A parks holding a lock, B blocks on that lock. The
 * gate must count B as not running and release A, or this deadlocks (and
 * CTest's timeout fails the test). B is started only once A holds the
 * lock, so B always blocks. */
typedef struct {
    rl_lockstep *ls;
    rl_mutex lock, ready_mu;
    rl_cond ready;
    bool holding;
    int order[4];
    int n;
} two;

static void holder(void *p) {
    two *t = p;
    rl_lockstep_enter(t->ls, 0);
    rl_mutex_lock(&t->lock);
    t->order[t->n++] = 1;
    rl_mutex_lock(&t->ready_mu);
    t->holding = true;
    rl_cond_signal(&t->ready);
    rl_mutex_unlock(&t->ready_mu);
    rl_lockstep_park(t->ls, 0); /* released only once B is blocked on the lock */
    t->order[t->n++] = 2;
    rl_mutex_unlock(&t->lock);
    rl_lockstep_leave(t->ls, 0);
}

static void blocker(void *p) {
    two *t = p;
    rl_lockstep_enter(t->ls, 1);
    rl_mutex_lock(&t->lock);
    t->order[t->n++] = 3;
    rl_mutex_unlock(&t->lock);
    rl_lockstep_leave(t->ls, 1);
}

static void blocked_participant_releases_the_holder(void **state) {
    (void)state;
    two t = {0};
    assert_err_equal(rl_lockstep_begin(2, &t.ls), RL_OK);
    assert_err_equal(rl_mutex_init(&t.lock, "shared"), RL_OK);
    assert_err_equal(rl_mutex_init(&t.ready_mu, "ready"), RL_OK);
    assert_err_equal(rl_cond_init(&t.ready, "ready"), RL_OK);
    rl_thread a, b;
    assert_err_equal(rl_thread_create(&a, "holder", holder, &t), RL_OK);
    rl_mutex_lock(&t.ready_mu);
    while (!t.holding)
        rl_cond_wait(&t.ready, &t.ready_mu);
    rl_mutex_unlock(&t.ready_mu);
    assert_err_equal(rl_thread_create(&b, "blocker", blocker, &t), RL_OK);
    rl_thread_join(&a);
    rl_thread_join(&b);
    rl_cond_destroy(&t.ready);
    rl_mutex_destroy(&t.ready_mu);
    rl_mutex_destroy(&t.lock);
    rl_lockstep_end(t.ls);
    assert_int_equal(t.n, 3);
    assert_int_equal(t.order[0], 1);
    assert_int_equal(t.order[1], 2);
    assert_int_equal(t.order[2], 3);
}

/* Three participants that all park: nobody passes until all three are
 * there. Each records how many had arrived when it was released. */
typedef struct {
    rl_lockstep *ls;
    atomic_int arrived;
    int seen[3];
} three;

typedef struct {
    three *t;
    size_t i;
} three_arg;

static void arrive(void *p) {
    three_arg *a = p;
    rl_lockstep_enter(a->t->ls, a->i);
    atomic_fetch_add(&a->t->arrived, 1);
    rl_lockstep_park(a->t->ls, a->i);
    a->t->seen[a->i] = atomic_load(&a->t->arrived);
    rl_lockstep_leave(a->t->ls, a->i);
}

static void nobody_passes_until_all_arrive(void **state) {
    (void)state;
    three t = {0};
    assert_err_equal(rl_lockstep_begin(3, &t.ls), RL_OK);
    rl_thread th[3];
    three_arg args[3];
    for (size_t i = 0; i < 3; i++) {
        args[i] = (three_arg){&t, i};
        assert_err_equal(rl_thread_create(&th[i], "arriver", arrive, &args[i]), RL_OK);
    }
    for (size_t i = 0; i < 3; i++)
        rl_thread_join(&th[i]);
    rl_lockstep_end(t.ls);
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(t.seen[i], 3);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        rl_unit_test(begin_end_and_errors),
        rl_unit_test(blocked_participant_releases_the_holder),
        rl_unit_test(nobody_passes_until_all_arrive),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

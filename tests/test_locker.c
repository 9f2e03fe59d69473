/* test_locker.c - once, the locker interface, the read-write lock. The
 * properties are checked over every schedule by the explorer; each check
 * is also run once without the lock, where it must fail, so the test is
 * known to be able to. */
#include <signal.h>

#include "racelab/explore.h"
#include "racelab/locker.h"
#include "racelab/once.h"
#include "racelab/var.h"
#include "testing.h"

static rl_explore_result explore_all(rl_target *t, unsigned bound) {
    rl_explore_opts o = rl_explore_opts_default();
    o.preemptions = bound;
    o.keep_going = true;
    rl_explore_result r;
    char why[256] = "";
    if (rl_explore(t, &o, &r, why, sizeof why) != RL_OK)
        fail_msg("%s: %s", t->name, why);
    return r;
}

/* ---- lockers: two threads each increment a shared variable twice, a read
 * then a write, inside the lock ---- */

typedef struct {
    rl_locker *lock; /* NULL: no lock at all, the control */
    rl_var counter;
} counter_run;

static void bump_twice(void *arg) {
    counter_run *c = arg;
    for (int i = 0; i < 2; i++) {
        if (c->lock)
            rl_locker_lock(c->lock);
        int64_t v = rl_var_load(&c->counter);
        rl_var_store(&c->counter, v + 1);
        if (c->lock)
            rl_locker_unlock(c->lock);
    }
}

static rl_err mutual_exclusion(const rl_target *t, rl_outcome *out) {
    counter_run c = {0};
    rl_var_init(&c.counter, "counter", 0);
    rl_err e = t->ctx ? rl_locker_new(t->ctx, "list", &c.lock) : RL_OK;
    if (e != RL_OK)
        return e;
    rl_thread a, b;
    rl_thread_create(&a, "a", bump_twice, &c);
    rl_thread_create(&b, "b", bump_twice, &c);
    rl_thread_join(&a);
    rl_thread_join(&b);
    int64_t n = atomic_load(&c.counter.value);
    rl_locker_destroy(c.lock);
    rl_outcome_state(out, "counter=%lld", (long long)n);
    rl_outcome_verdict(out, n == 4, "four increments, counter %lld", (long long)n);
    return RL_OK;
}

static void lockers_exclude(void **state) {
    (void)state;
    static const char *kinds[] = {"mutex", "rwlock", "spinlock"};
    for (size_t k = 0; k < 3; k++) {
        rl_target t = {.run = mutual_exclusion, .ctx = (void *)kinds[k]};
        snprintf(t.name, sizeof t.name, "exclusion with a %s", kinds[k]);
        rl_explore_result r = explore_all(&t, 2);
        if (r.failed)
            fail_msg("%s: %s (schedule %s)", kinds[k], r.first.message, r.first.schedule);
        assert_true(r.exhaustive);
        assert_int_equal(r.nstates, 1);
        assert_string_equal(r.states[0].state, "counter=4");
        rl_explore_result_free(&r);
    }
    /* the control: without a lock the same check fails */
    rl_target none = {.name = "no lock", .run = mutual_exclusion, .ctx = NULL};
    rl_explore_result r = explore_all(&none, 2);
    assert_true(r.failed);
    rl_explore_result_free(&r);
}

static void locker_by_name(void **state) {
    (void)state;
    rl_locker *l;
    assert_err_equal(rl_locker_new("semaphore", "x", &l), RL_ENOENT);
    assert_err_equal(rl_locker_new(NULL, "x", &l), RL_EINVAL);
    assert_err_equal(rl_locker_new("mutex", "x", NULL), RL_EINVAL);
    static const char *kinds[] = {"mutex", "rwlock", "spinlock"};
    for (size_t k = 0; k < 3; k++) {
        assert_err_equal(rl_locker_new(kinds[k], NULL, &l), RL_OK);
        assert_string_equal(l->ops->kind, kinds[k]);
        rl_locker_lock(l);
        rl_locker_unlock(l);
        rl_locker_destroy(l);
    }
    rl_locker_destroy(NULL);
}

/* ---- once: fn runs once, and nobody returns before it has finished ---- */

typedef struct {
    rl_once once;
    rl_var started, finished;
    int64_t seen_finished[2]; /* what each caller saw on return */
    bool ran[2];
    bool use_once; /* false: the control, a plain check-then-run */
    rl_var guard;
} once_run;

static void init_fn(void *arg) {
    once_run *o = arg;
    rl_var_add(&o->started, 1);
    rl_var_add(&o->finished, 1);
}

typedef struct {
    once_run *o;
    int i;
} once_arg;

static void call_once(void *arg) {
    once_arg *a = arg;
    once_run *o = a->o;
    if (o->use_once) {
        a->o->ran[a->i] = rl_once_do(&o->once, init_fn, o);
    } else if (rl_var_load(&o->guard) == 0) { /* check, then act: not once */
        init_fn(o);
        rl_var_store(&o->guard, 1);
        a->o->ran[a->i] = true;
    }
    o->seen_finished[a->i] = rl_var_load(&o->finished);
}

static rl_err once_target(const rl_target *t, rl_outcome *out) {
    once_run o = {.use_once = t->ctx != NULL};
    rl_var_init(&o.started, "started", 0);
    rl_var_init(&o.finished, "finished", 0);
    rl_var_init(&o.guard, "guard", 0);
    rl_err e = rl_once_init(&o.once, "init");
    if (e != RL_OK)
        return e;
    once_arg args[2] = {{&o, 0}, {&o, 1}};
    rl_thread a, b;
    rl_thread_create(&a, "a", call_once, &args[0]);
    rl_thread_create(&b, "b", call_once, &args[1]);
    rl_thread_join(&a);
    rl_thread_join(&b);
    int64_t runs = atomic_load(&o.started.value);
    bool ok = runs == 1 && o.seen_finished[0] == 1 && o.seen_finished[1] == 1 &&
              o.ran[0] + o.ran[1] == 1 && (!o.use_once || rl_once_done(&o.once));
    rl_once_destroy(&o.once);
    rl_outcome_state(out, "runs=%lld", (long long)runs);
    rl_outcome_verdict(out, ok, "fn ran %lld times; callers saw it finished: %lld, %lld",
                       (long long)runs, (long long)o.seen_finished[0],
                       (long long)o.seen_finished[1]);
    return RL_OK;
}

static void once_runs_once(void **state) {
    (void)state;
    rl_target t = {.name = "once", .run = once_target, .ctx = (void *)1};
    rl_explore_result r = explore_all(&t, 3);
    if (r.failed)
        fail_msg("once: %s (schedule %s)", r.first.message, r.first.schedule);
    assert_true(r.complete);
    rl_explore_result_free(&r);
    rl_target control = {.name = "check-then-run", .run = once_target, .ctx = NULL};
    r = explore_all(&control, 3);
    assert_true(r.failed);
    rl_explore_result_free(&r);
    assert_err_equal(rl_once_init(NULL, "x"), RL_EINVAL);
}

/* ---- the read-write lock ---- */

typedef struct {
    rl_rwlock rw;
    rl_var readers_in, writers_in;
    int64_t most_readers;
    bool overlap; /* a writer with anybody else inside */
} rw_run;

static void enter(rw_run *s, bool writer) {
    int64_t w = rl_var_add(&s->writers_in, writer ? 1 : 0);
    int64_t r = rl_var_add(&s->readers_in, writer ? 0 : 1);
    if ((writer && (w > 1 || r > 0)) || (!writer && w > 0))
        s->overlap = true;
    if (r > s->most_readers)
        s->most_readers = r;
}

static void leave(rw_run *s, bool writer) {
    rl_var_add(writer ? &s->writers_in : &s->readers_in, -1);
}

static void reader(void *arg) {
    rw_run *s = arg;
    rl_rwlock_rdlock(&s->rw);
    enter(s, false);
    leave(s, false);
    rl_rwlock_rdunlock(&s->rw);
}

static void writer(void *arg) {
    rw_run *s = arg;
    rl_rwlock_wrlock(&s->rw);
    enter(s, true);
    leave(s, true);
    rl_rwlock_wrunlock(&s->rw);
}

static rl_err rw_target(const rl_target *t, rl_outcome *out) {
    (void)t;
    rw_run s = {0};
    rl_var_init(&s.readers_in, "readers", 0);
    rl_var_init(&s.writers_in, "writers", 0);
    rl_err e = rl_rwlock_init(&s.rw, "table");
    if (e != RL_OK)
        return e;
    rl_thread th[3];
    rl_thread_create(&th[0], "reader1", reader, &s);
    rl_thread_create(&th[1], "reader2", reader, &s);
    rl_thread_create(&th[2], "writer", writer, &s);
    for (int i = 0; i < 3; i++)
        rl_thread_join(&th[i]);
    rl_rwlock_destroy(&s.rw);
    rl_outcome_state(out, "most readers at once=%lld", (long long)s.most_readers);
    rl_outcome_verdict(out, !s.overlap, "%s", s.overlap ? "a writer was not alone" : "exclusive");
    return RL_OK;
}

static void rwlock_readers_share_writers_exclude(void **state) {
    (void)state;
    rl_target t = {.name = "rwlock", .run = rw_target};
    rl_explore_result r = explore_all(&t, 3);
    if (r.failed)
        fail_msg("rwlock: %s (schedule %s)", r.first.message, r.first.schedule);
    assert_true(r.exhaustive);
    /* some schedule has both readers inside together */
    bool shared = false;
    for (size_t i = 0; i < r.nstates; i++)
        shared |= strcmp(r.states[i].state, "most readers at once=2") == 0;
    assert_true(shared);
    rl_explore_result_free(&r);
}

/* A waiting writer keeps new readers out (writers are preferred): if the
 * writer was already waiting when the late reader asked, the writer went
 * first. Checked over every schedule; without the preference (a reader
 * lock that ignores waiting writers) the check fails. */
typedef struct {
    rl_rwlock rw;
    rl_var writer_done;
    bool prefer; /* false: the control, readers ignore waiting writers */
    bool violated;
} pref_run;

static void pref_rdlock(pref_run *p) {
    if (p->prefer) {
        rl_rwlock_rdlock(&p->rw);
        return;
    }
    rl_mutex_lock(&p->rw.mu); /* the control: only an active writer keeps readers out */
    while (p->rw.writer)
        rl_cond_wait(&p->rw.readers_ok, &p->rw.mu);
    p->rw.readers++;
    rl_mutex_unlock(&p->rw.mu);
}

static void early_reader(void *arg) {
    pref_run *p = arg;
    pref_rdlock(p);
    rl_yield(); /* a visible step inside, so others can interleave */
    rl_rwlock_rdunlock(&p->rw);
}

static void pref_writer(void *arg) {
    pref_run *p = arg;
    rl_rwlock_wrlock(&p->rw);
    rl_var_store(&p->writer_done, 1);
    rl_rwlock_wrunlock(&p->rw);
}

static void late_reader(void *arg) {
    pref_run *p = arg;
    rl_mutex_lock(&p->rw.mu);
    bool writer_waiting = p->rw.writers_waiting > 0;
    rl_mutex_unlock(&p->rw.mu);
    pref_rdlock(p);
    if (writer_waiting && rl_var_load(&p->writer_done) == 0)
        p->violated = true; /* got in ahead of a writer that was waiting */
    rl_rwlock_rdunlock(&p->rw);
}

static rl_err pref_target(const rl_target *t, rl_outcome *out) {
    pref_run p = {.prefer = t->ctx != NULL};
    rl_var_init(&p.writer_done, "writer_done", 0);
    rl_err e = rl_rwlock_init(&p.rw, "table");
    if (e != RL_OK)
        return e;
    rl_thread th[3];
    rl_thread_create(&th[0], "early", early_reader, &p);
    rl_thread_create(&th[1], "writer", pref_writer, &p);
    rl_thread_create(&th[2], "late", late_reader, &p);
    for (int i = 0; i < 3; i++)
        rl_thread_join(&th[i]);
    rl_rwlock_destroy(&p.rw);
    rl_outcome_state(out, "%s", p.violated ? "reader overtook a waiting writer" : "fair");
    rl_outcome_verdict(out, !p.violated, "%s", out->state);
    return RL_OK;
}

static void writers_are_preferred(void **state) {
    (void)state;
    rl_target t = {.name = "writer preference", .run = pref_target, .ctx = (void *)1};
    rl_explore_result r = explore_all(&t, 3);
    if (r.failed)
        fail_msg("%s (schedule %s)", r.first.message, r.first.schedule);
    assert_true(r.exhaustive);
    rl_explore_result_free(&r);
    rl_target control = {.name = "no preference", .run = pref_target, .ctx = NULL};
    r = explore_all(&control, 3);
    assert_true(r.failed);
    rl_explore_result_free(&r);
}

/* ---- misuse is fatal, with a message: in children ---- */

static int child_unlock(const char *kind) {
    rl_locker *l;
    rl_locker_new(kind, "list", &l);
    rl_locker_unlock(l);
    return 0;
}
static int child_mutex(void) { return child_unlock("mutex"); }
static int child_rwlock(void) { return child_unlock("rwlock"); }
static int child_spinlock(void) { return child_unlock("spinlock"); }
static int child_rdunlock(void) {
    rl_rwlock rw;
    rl_rwlock_init(&rw, "table");
    rl_rwlock_rdunlock(&rw);
    return 0;
}

static void misuse_is_fatal(void **state) {
    (void)state;
    static const struct {
        const char *child, *message;
    } cases[] = {
        {"mutex", "unlocks mutex 'list' that nobody holds"},
        {"rwlock", "write-unlocks rwlock 'list' that nobody holds"},
        {"spinlock", "unlocks spinlock 'list' that it does not hold"},
        {"rdunlock", "read-unlock of rwlock 'table' that no reader holds"},
    };
    for (size_t i = 0; i < 4; i++) {
        rl_child c;
        rl_test_child(cases[i].child, &c);
        assert_int_equal(c.signal, SIGABRT);
        assert_contains(c.err, cases[i].message);
        rl_child_free(&c);
    }
}

RL_CHILDREN({"mutex", child_mutex}, {"rwlock", child_rwlock}, {"spinlock", child_spinlock},
            {"rdunlock", child_rdunlock});

/* The list behind a locker: refused without a lock, in order with one. */
static void locked_list_needs_a_lock(void **state) {
    (void)state;
    rl_locked_list l;
    assert_err_equal(rl_locked_list_init(&l, NULL), RL_EINVAL);
    rl_locker *lock;
    assert_err_equal(rl_locker_new("spinlock", "list", &lock), RL_OK);
    assert_err_equal(rl_locked_list_init(&l, lock), RL_OK);
    for (int i = 0; i < 40; i++)
        assert_err_equal(rl_locked_list_append(&l, i), RL_OK);
    assert_int_equal(rl_locked_list_len(&l), 40);
    assert_int_equal(l.vals[39], 39);
    rl_locked_list_free(&l);
    assert_int_equal(l.len, 0);
    rl_locked_list_free(NULL); /* does nothing */
    rl_locker_destroy(lock);
}

int main(int argc, char **argv) {
    rl_test_dispatch_child(argc, argv, rl_children_, rl_nchildren_);
    const struct CMUnitTest tests[] = {
        rl_unit_test(locked_list_needs_a_lock),
        rl_unit_test(lockers_exclude),
        rl_unit_test(locker_by_name),
        rl_unit_test(once_runs_once),
        rl_unit_test(rwlock_readers_share_writers_exclude),
        rl_unit_test(writers_are_preferred),
        rl_unit_test(misuse_is_fatal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_bank.c - layer 3: the bank's contract, its errors, versions, lost
 * update detection and access brackets. */
#include <limits.h>

#include "racelab_seams.h"
#include "racelab/bank.h"
#include "testing.h"

static rl_bank *bank_with(const char *name, rl_money start, rl_acct *a) {
    rl_bank *b;
    assert_err_equal(rl_membank_create(0, &b), RL_OK);
    assert_err_equal(rl_bank_open(b, name, start, a), RL_OK);
    return b;
}

static void get_set_and_versions(void **state) {
    (void)state;
    rl_acct dave;
    rl_bank *b = bank_with("Dave", 400, &dave);
    rl_money bal;
    uint64_t v;
    assert_err_equal(rl_bank_get(b, dave, &bal, &v), RL_OK);
    assert_int_equal(bal, 400);
    assert_int_equal(v, 0);
    bool lost = true;
    assert_err_equal(rl_bank_set(b, dave, 375, v, &lost), RL_OK);
    assert_false(lost);
    assert_err_equal(rl_bank_get(b, dave, &bal, &v), RL_OK);
    assert_int_equal(bal, 375);
    assert_int_equal(v, 1);
    rl_money nb;
    assert_err_equal(rl_bank_add(b, dave, -25, &nb), RL_OK);
    assert_int_equal(nb, 350);
    assert_err_equal(rl_bank_compare_and_set(b, dave, 350, 300, NULL), RL_OK);
    assert_err_equal(rl_bank_get(b, dave, &bal, &v), RL_OK);
    assert_int_equal(bal, 300);
    assert_int_equal(v, 3); /* set, add, cas: every write bumps the version */
    assert_int_equal(rl_bank_lost_updates(b), 0);
    rl_bank_destroy(b);
}

static void stale_write_is_a_lost_update(void **state) {
    (void)state;
    rl_acct dave;
    rl_bank *b = bank_with("Dave", 400, &dave);
    rl_money b1, b2;
    uint64_t v1, v2;
    /* two merchants read the same balance... */
    assert_err_equal(rl_bank_get(b, dave, &b1, &v1), RL_OK);
    assert_err_equal(rl_bank_get(b, dave, &b2, &v2), RL_OK);
    bool lost;
    /* ...the first write is fine, the second replaces a value it never read */
    assert_err_equal(rl_bank_set(b, dave, b1 - 25, v1, &lost), RL_OK);
    assert_false(lost);
    assert_int_equal(rl_bank_lost_updates(b), 0);
    assert_err_equal(rl_bank_set(b, dave, b2 - 25, v2, &lost), RL_OK);
    assert_true(lost);
    assert_int_equal(rl_bank_lost_updates(b), 1);
    /* a blind write is never counted; a write from the current version is fine */
    assert_err_equal(rl_bank_set(b, dave, 0, RL_VERSION_BLIND, &lost), RL_OK);
    assert_false(lost);
    uint64_t v;
    assert_err_equal(rl_bank_get(b, dave, &b1, &v), RL_OK);
    assert_err_equal(rl_bank_set(b, dave, 5, v, &lost), RL_OK);
    assert_false(lost);
    assert_int_equal(rl_bank_lost_updates(b), 1);
    rl_bank_destroy(b);
}

static void errors_change_nothing(void **state) {
    (void)state;
    rl_acct a;
    rl_bank *b = bank_with("Rich", INT64_MAX - 10, &a);
    rl_money bal, seen = 0;
    uint64_t v;
    /* overflow */
    assert_err_equal(rl_bank_add(b, a, 11, NULL), RL_EOVERFLOW);
    assert_err_equal(rl_bank_add(b, a, 10, NULL), RL_OK);
    assert_err_equal(rl_bank_add(b, a, 1, NULL), RL_EOVERFLOW);
    assert_err_equal(rl_bank_get(b, a, &bal, &v), RL_OK);
    assert_int_equal(bal, INT64_MAX);
    assert_int_equal(v, 1);
    /* compare-and-set conflict reports what it saw */
    assert_err_equal(rl_bank_compare_and_set(b, a, 5, 6, &seen), RL_ECONFLICT);
    assert_int_equal(seen, INT64_MAX);
    /* a read version from the future */
    assert_err_equal(rl_bank_set(b, a, 0, v + 1, NULL), RL_EINVAL);
    assert_err_equal(rl_bank_get(b, a, &bal, &v), RL_OK);
    assert_int_equal(bal, INT64_MAX);
    assert_int_equal(v, 1);
    /* unknown handle */
    assert_err_equal(rl_bank_get(b, 99, &bal, NULL), RL_EINVAL);
    assert_err_equal(rl_bank_set(b, 99, 1, RL_VERSION_BLIND, NULL), RL_EINVAL);
    assert_err_equal(rl_bank_add(b, 99, 1, NULL), RL_EINVAL);
    assert_err_equal(rl_bank_compare_and_set(b, 99, 1, 2, NULL), RL_EINVAL);
    assert_null(rl_bank_name(b, 99));
    assert_err_equal(rl_money_add(INT64_MIN, -1, &bal), RL_EOVERFLOW);
    assert_int_equal(rl_bank_lost_updates(b), 0);
    rl_bank_destroy(b);
}

static void names_and_lookup(void **state) {
    (void)state;
    rl_bank *b;
    rl_acct a;
    assert_err_equal(rl_membank_create(2, &b), RL_OK);
    assert_err_equal(rl_bank_open(b, "Dave", 1, &a), RL_OK);
    assert_int_equal(a, 0);
    assert_err_equal(rl_bank_open(b, "Susan", 2, NULL), RL_OK);
    assert_err_equal(rl_bank_open(b, "Dave", 3, &a), RL_EEXIST);
    assert_err_equal(rl_bank_open(b, "", 3, &a), RL_EINVAL);
    char longname[RL_BANK_NAME_MAX + 2];
    memset(longname, 'x', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    assert_err_equal(rl_bank_open(b, longname, 3, &a), RL_EINVAL);
    longname[RL_BANK_NAME_MAX] = '\0';
    assert_err_equal(rl_bank_open(b, longname, 3, &a), RL_OK); /* exactly the maximum */
    assert_int_equal(rl_bank_count(b), 3);
    assert_err_equal(rl_bank_lookup(b, "Susan", &a), RL_OK);
    assert_int_equal(a, 1);
    assert_string_equal(rl_bank_name(b, a), "Susan");
    assert_err_equal(rl_bank_lookup(b, "Bob", &a), RL_ENOENT);
    /* many accounts: growth keeps earlier handles and names */
    char name[32];
    for (int i = 0; i < 5000; i++) {
        snprintf(name, sizeof name, "c%d", i);
        assert_err_equal(rl_bank_open(b, name, i, NULL), RL_OK);
    }
    assert_err_equal(rl_bank_lookup(b, "c4321", &a), RL_OK);
    rl_money bal;
    assert_err_equal(rl_bank_get(b, a, &bal, NULL), RL_OK);
    assert_int_equal(bal, 4321);
    assert_string_equal(rl_bank_name(b, 0), "Dave");
    assert_true(rl_bank_memory_bytes(b) > 5000 * sizeof(int64_t));
    rl_bank_destroy(b);
}

static void snapshot(void **state) {
    (void)state;
    rl_bank *b;
    assert_err_equal(rl_membank_create(0, &b), RL_OK);
    assert_err_equal(rl_bank_open(b, "Dave", 400, NULL), RL_OK);
    assert_err_equal(rl_bank_open(b, "Susan", 1200, NULL), RL_OK);
    assert_err_equal(rl_bank_add(b, 1, 100, NULL), RL_OK);
    rl_balance out[2];
    size_t n = 0;
    assert_err_equal(rl_bank_snapshot(b, out, 1, &n), RL_EINVAL);
    assert_int_equal(n, 2);
    assert_err_equal(rl_bank_snapshot(b, out, 2, &n), RL_OK);
    assert_string_equal(out[0].name, "Dave");
    assert_int_equal(out[0].balance, 400);
    assert_int_equal(out[0].version, 0);
    assert_string_equal(out[1].name, "Susan");
    assert_int_equal(out[1].balance, 1300);
    assert_int_equal(out[1].version, 1);
    rl_bank_destroy(b);
}

static void null_arguments(void **state) {
    (void)state;
    rl_bank *b;
    rl_acct a;
    rl_money m;
    size_t n;
    assert_err_equal(rl_membank_create(0, NULL), RL_EINVAL);
    assert_err_equal(rl_bank_open(NULL, "x", 0, &a), RL_EINVAL);
    assert_err_equal(rl_bank_lookup(NULL, "x", &a), RL_EINVAL);
    assert_err_equal(rl_bank_get(NULL, 0, &m, NULL), RL_EINVAL);
    assert_err_equal(rl_bank_set(NULL, 0, 0, 0, NULL), RL_EINVAL);
    assert_err_equal(rl_bank_add(NULL, 0, 0, NULL), RL_EINVAL);
    assert_err_equal(rl_bank_compare_and_set(NULL, 0, 0, 0, NULL), RL_EINVAL);
    assert_err_equal(rl_bank_snapshot(NULL, NULL, 0, &n), RL_EINVAL);
    assert_err_equal(rl_membank_create(0, &b), RL_OK);
    assert_err_equal(rl_bank_open(b, NULL, 0, &a), RL_EINVAL);
    assert_err_equal(rl_bank_lookup(b, NULL, &a), RL_EINVAL);
    assert_err_equal(rl_bank_lookup(b, "x", NULL), RL_EINVAL);
    assert_err_equal(rl_bank_get(b, 0, NULL, NULL), RL_EINVAL);
    assert_err_equal(rl_bank_snapshot(b, NULL, 0, NULL), RL_EINVAL);
    assert_err_equal(rl_bank_snapshot(b, NULL, 0, &n), RL_OK); /* empty bank, nothing to copy */
    assert_int_equal(n, 0);
    assert_int_equal(rl_bank_count(NULL), 0);
    assert_null(rl_bank_name(NULL, 0));
    rl_bank_destroy(NULL);
    rl_bank_destroy(b);
}

/* Every bank call is one visible access, named, with its outcome. */
typedef struct {
    char line[8][64];
    int n;
} recording;
static recording rec;

static void record_end(rl_access *a) {
    if (rec.n < 8)
        snprintf(rec.line[rec.n++], 64, "%s %s %lld v%llu->v%llu%s", a->op, rl_access_name(a),
                 (long long)a->value, (unsigned long long)a->version_before,
                 (unsigned long long)a->version_after, a->stale ? " STALE" : "");
}

static void accesses_are_bracketed(void **state) {
    (void)state;
    rl_platform recorder = *rl_platform_pthreads();
    recorder.name = "recorder";
    recorder.access_end = record_end;
    rl_acct dave;
    rl_bank *b = bank_with("Dave", 400, &dave);
    memset(&rec, 0, sizeof rec);
    rl_platform_install(&recorder);
    rl_money x, y;
    uint64_t vx, vy;
    rl_bank_get(b, dave, &x, &vx);
    rl_bank_get(b, dave, &y, &vy);
    rl_bank_set(b, dave, x - 25, vx, NULL);
    rl_bank_set(b, dave, y - 25, vy, NULL);
    rl_bank_add(b, dave, 5, NULL);
    rl_bank_compare_and_set(b, dave, 0, 1, NULL);
    rl_platform_install(NULL);
    assert_int_equal(rec.n, 6);
    assert_string_equal(rec.line[0], "get Dave 400 v0->v0");
    assert_string_equal(rec.line[1], "get Dave 400 v0->v0");
    assert_string_equal(rec.line[2], "set Dave 375 v0->v1");
    assert_string_equal(rec.line[3], "set Dave 375 v1->v2 STALE");
    assert_string_equal(rec.line[4], "add Dave 380 v2->v3");
    assert_string_equal(rec.line[5], "cas Dave 380 v3->v3"); /* conflict: unchanged */
    rl_bank_destroy(b);
}

/* Concurrent atomic adds and compare-and-sets lose nothing. A positive
 * check of the bank's atomicity (ThreadSanitizer watches it too); the
 * explorer proves the same over every schedule. */
typedef struct {
    rl_bank *b;
    rl_acct a;
} adder_arg;

static void adder(void *p) {
    adder_arg *x = p;
    for (int i = 0; i < 20000; i++) {
        rl_bank_add(x->b, x->a, 1, NULL);
        rl_money seen;
        rl_bank_get(x->b, x->a, &seen, NULL);
        while (rl_bank_compare_and_set(x->b, x->a, seen, seen + 1, &seen) == RL_ECONFLICT) {
        }
    }
}

static void concurrent_adds_are_atomic(void **state) {
    (void)state;
    adder_arg arg;
    arg.b = bank_with("Dave", 0, &arg.a);
    rl_thread t[4];
    for (int i = 0; i < 4; i++)
        assert_err_equal(rl_thread_create(&t[i], "adder", adder, &arg), RL_OK);
    for (int i = 0; i < 4; i++)
        rl_thread_join(&t[i]);
    rl_money bal;
    uint64_t v;
    assert_err_equal(rl_bank_get(arg.b, arg.a, &bal, &v), RL_OK);
    assert_int_equal(bal, 4 * 2 * 20000);
    assert_int_equal(v, 4 * 2 * 20000);
    rl_bank_destroy(arg.b);
}

/* Forced: writer A stops inside its write section until writer B, on the
 * same account, reports that it found the section taken. If B could get in
 * (no exclusion), B finishes instead, and A sees it finish while inside.
 * Both ways the outcome is decided without any timing. */
static struct {
    rl_mutex mu; /* through the pthreads table: hooks run with a section held */
    rl_cond changed;
    bool a_inside, b_blocked, b_done, b_done_while_a_inside;
} seam;
static _Thread_local bool is_a;

static void seam_signal(bool *flag) {
    const rl_platform *p = rl_platform_pthreads();
    p->mutex_lock(&seam.mu);
    *flag = true;
    p->cond_broadcast(&seam.changed);
    p->mutex_unlock(&seam.mu);
}

static void a_waits_inside(void) {
    if (!is_a)
        return;
    const rl_platform *p = rl_platform_pthreads();
    p->mutex_lock(&seam.mu);
    seam.a_inside = true;
    p->cond_broadcast(&seam.changed);
    while (!seam.b_blocked && !seam.b_done)
        p->cond_wait(&seam.changed, &seam.mu);
    seam.b_done_while_a_inside = seam.b_done;
    seam.a_inside = false;
    p->mutex_unlock(&seam.mu);
}

static void b_reports_blocked(void) {
    if (!is_a)
        seam_signal(&seam.b_blocked);
}

static void writer_a(void *p) {
    is_a = true;
    adder_arg *x = p;
    rl_bank_add(x->b, x->a, 1, NULL);
}

static void writer_b(void *p) {
    adder_arg *x = p;
    const rl_platform *pt = rl_platform_pthreads();
    pt->mutex_lock(&seam.mu); /* start only once A is inside */
    while (!seam.a_inside)
        pt->cond_wait(&seam.changed, &seam.mu);
    pt->mutex_unlock(&seam.mu);
    rl_bank_add(x->b, x->a, 1, NULL);
    seam_signal(&seam.b_done);
}

static void second_writer_is_kept_out(void **state) {
    (void)state;
    memset(&seam, 0, sizeof seam);
    assert_err_equal(rl_mutex_init(&seam.mu, "seam"), RL_OK);
    assert_err_equal(rl_cond_init(&seam.changed, "seam"), RL_OK);
    adder_arg arg;
    arg.b = bank_with("Dave", 0, &arg.a);
    rl__membank_in_write = a_waits_inside;
    rl__membank_contended = b_reports_blocked;
    rl_thread a, b;
    assert_err_equal(rl_thread_create(&a, "a", writer_a, &arg), RL_OK);
    assert_err_equal(rl_thread_create(&b, "b", writer_b, &arg), RL_OK);
    rl_thread_join(&a);
    rl_thread_join(&b);
    rl__membank_in_write = NULL;
    rl__membank_contended = NULL;
    assert_false(seam.b_done_while_a_inside);
    assert_true(seam.b_blocked);
    rl_money bal;
    assert_err_equal(rl_bank_get(arg.b, arg.a, &bal, NULL), RL_OK);
    assert_int_equal(bal, 2);
    rl_bank_destroy(arg.b);
    rl_cond_destroy(&seam.changed);
    rl_mutex_destroy(&seam.mu);
}

/* A connection makes the store's locks (its first rl_bank_lock) while
 * another asks how much memory the store holds: the asker reads the
 * locks' count, which the maker wrote before publishing them. Nothing
 * but the bank orders the two (the asker waits until it sees the locks,
 * without any synchronization of its own), so ThreadSanitizer reports a
 * data race here unless the bank's load of the locks is an acquire. */
typedef struct {
    rl_bank *conn;
    rl_acct a;
    rl_err begun, locked, committed; /* checked by the test's own thread */
} locker_arg;

static void lock_once(void *p) {
    locker_arg *x = p;
    x->begun = rl_bank_begin(x->conn, RL_ISO_READ_COMMITTED);
    x->locked = rl_bank_lock(x->conn, RL_LOCK_ROW, x->a, true);
    x->committed = rl_bank_commit(x->conn);
}

static void memory_bytes_while_locks_are_made(void **state) {
    (void)state;
    locker_arg arg;
    rl_bank *b = bank_with("Dave", 0, &arg.a);
    assert_err_equal(rl_bank_connect(b, "locker", &arg.conn), RL_OK);
    size_t before = rl_bank_memory_bytes(b);
    rl_thread t;
    assert_err_equal(rl_thread_create(&t, "locker", lock_once, &arg), RL_OK);
    size_t now;
    while ((now = rl_bank_memory_bytes(b)) == before)
        rl_yield();
    rl_thread_join(&t);
    assert_err_equal(arg.begun, RL_OK);
    assert_err_equal(arg.locked, RL_OK);
    assert_err_equal(arg.committed, RL_OK);
    assert_true(now > before);
    assert_int_equal(now, rl_bank_memory_bytes(b));
    rl_bank_destroy(arg.conn);
    rl_bank_destroy(b);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        rl_unit_test(get_set_and_versions),  rl_unit_test(stale_write_is_a_lost_update),
        rl_unit_test(errors_change_nothing), rl_unit_test(names_and_lookup),
        rl_unit_test(snapshot),              rl_unit_test(null_arguments),
        rl_unit_test(accesses_are_bracketed), rl_unit_test(concurrent_adds_are_atomic),
        rl_unit_test(second_writer_is_kept_out),
        rl_unit_test(memory_bytes_while_locks_are_made),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_var.c - shared variables: atomic, visible, named accesses. */
#include "racelab/var.h"
#include "testing.h"

static char seen[8][48];
static int nseen;
static void record(rl_access *a) {
    if (nseen < 8)
        snprintf(seen[nseen++], sizeof seen[0], "%s %s %lld%s", a->op, rl_access_name(a),
                 (long long)a->value, a->result == RL_ECONFLICT ? " conflict" : "");
}

static void operations_and_their_accesses(void **state) {
    (void)state;
    rl_platform rec = *rl_platform_pthreads();
    rec.name = "recorder";
    rec.access_end = record;
    rl_var v;
    rl_var_init(&v, "closed", 0);
    rl_platform_install(&rec);
    assert_int_equal(rl_var_load(&v), 0);
    rl_var_store(&v, 5);
    assert_int_equal(rl_var_exchange(&v, 7), 5);
    int64_t expected = 3;
    assert_false(rl_var_compare_and_set(&v, &expected, 9));
    assert_int_equal(expected, 7);
    assert_true(rl_var_compare_and_set(&v, &expected, 9));
    assert_int_equal(rl_var_add(&v, -10), -1);
    rl_platform_install(NULL);
    assert_int_equal(nseen, 6);
    assert_string_equal(seen[0], "load closed 0");
    assert_string_equal(seen[1], "store closed 5");
    assert_string_equal(seen[2], "exchange closed 7");
    assert_string_equal(seen[3], "cas closed 7 conflict");
    assert_string_equal(seen[4], "cas closed 9");
    assert_string_equal(seen[5], "add closed -1");
    rl_var_init(&v, NULL, INT64_MAX);
    assert_string_equal(v.name, "var");
    assert_int_equal(rl_var_add(&v, 1), INT64_MIN); /* wraps, defined */
}

static rl_var counter;
static void adder(void *arg) {
    (void)arg;
    for (int i = 0; i < 20000; i++)
        rl_var_add(&counter, 1);
}

static void adds_are_atomic(void **state) {
    (void)state;
    rl_var_init(&counter, "counter", 0);
    rl_thread t[4];
    for (int i = 0; i < 4; i++)
        assert_err_equal(rl_thread_create(&t[i], "adder", adder, NULL), RL_OK);
    for (int i = 0; i < 4; i++)
        rl_thread_join(&t[i]);
    assert_int_equal(rl_var_load(&counter), 80000);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        rl_unit_test(operations_and_their_accesses),
        rl_unit_test(adds_are_atomic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_histogram.c - the histogram of final states: distinct keys
 * counted, held only when every run held, sorted by count then key. */
#include "racelab/histogram.h"
#include "testing.h"

static void counts_distinct_states(void **state) {
    (void)state;
    rl_histogram h;
    rl_histogram_init(&h);
    assert_err_equal(rl_histogram_add(&h, "Dave=375", 9, false), RL_OK);
    assert_err_equal(rl_histogram_add(&h, "Dave=275", 9, true), RL_OK);
    assert_err_equal(rl_histogram_add(&h, "Dave=275", 9, true), RL_OK);
    assert_err_equal(rl_histogram_add(&h, "Dave=275", 9, false), RL_OK); /* one run broke */
    assert_err_equal(rl_histogram_add(&h, "Dave=400", 9, true), RL_OK);
    assert_int_equal(h.n, 3);
    assert_int_equal(h.total, 5);
    rl_histogram_sort(&h);
    assert_string_equal(h.entries[0].key, "Dave=275");
    assert_int_equal(h.entries[0].count, 3);
    assert_false(h.entries[0].held);
    /* equal counts: by key */
    assert_string_equal(h.entries[1].key, "Dave=375");
    assert_string_equal(h.entries[2].key, "Dave=400");
    assert_true(h.entries[2].held);
    rl_histogram_free(&h);
    assert_int_equal(h.n, 0);
    rl_histogram_free(&h); /* again: nothing to free */
}

static void keys_are_bytes(void **state) {
    (void)state;
    rl_histogram h;
    rl_histogram_init(&h);
    const int64_t a[] = {275, 1700}, b[] = {275, 1701};
    assert_err_equal(rl_histogram_add(&h, a, sizeof a, true), RL_OK);
    assert_err_equal(rl_histogram_add(&h, b, sizeof b, false), RL_OK);
    assert_err_equal(rl_histogram_add(&h, a, sizeof a, true), RL_OK);
    /* a prefix of a key is another key */
    assert_err_equal(rl_histogram_add(&h, a, sizeof a[0], true), RL_OK);
    assert_int_equal(h.n, 3);
    rl_histogram_sort(&h);
    assert_int_equal(h.entries[0].count, 2);
    assert_memory_equal(h.entries[0].key, a, sizeof a);
    /* the empty key is a state too; a NULL key with a length is not */
    assert_err_equal(rl_histogram_add(&h, NULL, 0, true), RL_OK);
    assert_err_equal(rl_histogram_add(&h, NULL, 4, true), RL_EINVAL);
    assert_err_equal(rl_histogram_add(NULL, a, sizeof a, true), RL_EINVAL);
    assert_int_equal(h.n, 4);
    rl_histogram_free(&h);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        rl_unit_test(counts_distinct_states),
        rl_unit_test(keys_are_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_dataset.c - the data set, its validation and the oracle. */
#include <limits.h>

#include "racelab/dataset.h"
#include "testing.h"

/* The exercise's correct answer, hard-coded as it asks. */
static const struct {
    const char *name;
    rl_money expected;
} EXPECTED[] = {{"Dave", 275}, {"Susan", 1700}, {"Mike", -500}, {"Steve", 525}, {"James", -5032}};

static void default_data_is_the_exercise(void **state) {
    (void)state;
    const rl_dataset *d = rl_dataset_default();
    assert_int_equal(d->ncustomers, 5);
    assert_int_equal(d->nmerchants, 5);
    static const char *merchants[] = {"Costco", "Target", "CVS", "GuitarCenter", "Starbucks"};
    for (size_t m = 0; m < 5; m++) {
        assert_string_equal(d->merchants[m].name, merchants[m]);
        assert_int_equal(d->merchants[m].nbills, 5);
    }
    assert_err_equal(rl_dataset_validate(d, NULL, 0), RL_OK);
}

static void oracle_matches_the_hard_coded_table(void **state) {
    (void)state;
    const rl_dataset *d = rl_dataset_default();
    rl_money out[5];
    assert_err_equal(rl_dataset_expected(d, out), RL_OK);
    for (size_t c = 0; c < 5; c++) {
        assert_string_equal(d->customers[c].name, EXPECTED[c].name);
        assert_int_equal(out[c], EXPECTED[c].expected);
    }
}

static const rl_customer two[] = {{"Ann", 10}, {"Bob", 20}};
static const rl_bill good_bills[] = {{"Ann", 1}, {"Bob", 2}};
static const rl_bill bad_bills[] = {{"Ann", 1}, {"Zed", 2}};

static void validation_names_the_culprit(void **state) {
    (void)state;
    char why[128];
    rl_merchant_spec empty = {"Empty", good_bills, 0};
    rl_dataset d = {two, 2, &empty, 1};
    assert_err_equal(rl_dataset_validate(&d, why, sizeof why), RL_EEMPTY);
    assert_string_equal(why, "merchant 'Empty' has no bills");

    rl_merchant_spec bad = {"Shady", bad_bills, 2};
    d.merchants = &bad;
    assert_err_equal(rl_dataset_validate(&d, why, sizeof why), RL_ENOENT);
    assert_string_equal(why, "merchant 'Shady' bills unknown customer 'Zed'");

    d.nmerchants = 0;
    assert_err_equal(rl_dataset_validate(&d, why, sizeof why), RL_EEMPTY);
    assert_string_equal(why, "the data set has no merchants");

    rl_merchant_spec ok = {"Ok", good_bills, 2};
    rl_dataset nocust = {two, 0, &ok, 1};
    assert_err_equal(rl_dataset_validate(&nocust, why, sizeof why), RL_EEMPTY);

    static const rl_customer dup[] = {{"Ann", 1}, {"Ann", 2}};
    rl_dataset dd = {dup, 2, &ok, 1};
    assert_err_equal(rl_dataset_validate(&dd, why, sizeof why), RL_EEXIST);
    assert_string_equal(why, "customer 'Ann' appears twice");

    static const rl_customer unnamed[] = {{"", 1}};
    rl_dataset du = {unnamed, 1, &ok, 1};
    assert_err_equal(rl_dataset_validate(&du, why, sizeof why), RL_EINVAL);
    assert_err_equal(rl_dataset_validate(NULL, why, sizeof why), RL_EINVAL);
    rl_merchant_spec noname = {"", good_bills, 2};
    rl_dataset dn = {two, 2, &noname, 1};
    assert_err_equal(rl_dataset_validate(&dn, NULL, 0), RL_EINVAL);
}

static void oracle_overflow(void **state) {
    (void)state;
    static const rl_customer rich[] = {{"Ann", INT64_MAX}};
    static const rl_bill plus[] = {{"Ann", 1}};
    rl_merchant_spec m = {"M", plus, 1};
    rl_dataset d = {rich, 1, &m, 1};
    rl_money out[1];
    assert_err_equal(rl_dataset_expected(&d, out), RL_EOVERFLOW);
    assert_err_equal(rl_dataset_expected(NULL, out), RL_EINVAL);
}

static void subsets(void **state) {
    (void)state;
    rl_dataset *s;
    assert_err_equal(rl_dataset_subset(rl_dataset_default(), 2, 1, &s), RL_OK);
    assert_int_equal(s->nmerchants, 2);
    assert_int_equal(s->ncustomers, 1);
    assert_string_equal(s->merchants[1].name, "Target");
    assert_int_equal(s->merchants[0].nbills, 1);
    assert_string_equal(s->merchants[0].bills[0].customer, "Dave");
    assert_err_equal(rl_dataset_validate(s, NULL, 0), RL_OK);
    rl_money out[1];
    assert_err_equal(rl_dataset_expected(s, out), RL_OK);
    assert_int_equal(out[0], 350);
    rl_dataset_free(s);
    assert_err_equal(rl_dataset_subset(rl_dataset_default(), 0, 1, &s), RL_EINVAL);
    assert_err_equal(rl_dataset_subset(rl_dataset_default(), 6, 1, &s), RL_EINVAL);
    assert_err_equal(rl_dataset_subset(rl_dataset_default(), 1, 6, &s), RL_EINVAL);
    assert_err_equal(rl_dataset_subset(NULL, 1, 1, &s), RL_EINVAL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        rl_unit_test(default_data_is_the_exercise),
        rl_unit_test(oracle_matches_the_hard_coded_table),
        rl_unit_test(validation_names_the_culprit),
        rl_unit_test(oracle_overflow),
        rl_unit_test(subsets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_bench.c - the benchmarks check every result: a strategy that ends
 * wrong is flagged and never reported as the fastest, however fast it is.
 * (Speed itself is never asserted here: figures belong to the benchmark's
 * output, not to tests.) */
#include <math.h>

#include "racelab/strategy.h"
#include "racelab/bench.h"
#include "testing.h"

/* A strategy that claims to be correct, skips every other bill, and is
 * therefore both faster (half the slow steps) and wrong. */
static rl_err skipping_cycle(rl_merchant *m) {
    for (size_t i = 0; i < m->spec->nbills; i++) {
        if (i % 2 == 0) {
            rl_bill_slow_step(m, i);
            rl_bill_outcome(m, i, rl_bank_add(m->bank, m->accts[i], rl_bill_amount(m, i), NULL));
        } else {
            rl_bill_outcome(m, i, RL_OK); /* claims it billed */
        }
    }
    return RL_OK;
}

static const rl_merchant_ops skipping_ops = {.bill_cycle = skipping_cycle};
static const rl_strategy skipping = {
    .name = "skipping",
    .summary = "wrong on purpose",
    .correct = true,
    .ops = &skipping_ops,
};

static void makespan_flags_a_wrong_strategy(void **state) {
    (void)state;
    const rl_strategy *const list[] = {&skipping, rl_strategy_find("atomic"),
                                       rl_strategy_find("staggered")};
    rl_makespan_opts o = rl_makespan_opts_default();
    o.merchants = 2;
    o.customers = 3;
    o.delay_ns = 1000000;
    o.strategies = list;
    o.nstrategies = 3;
    rl_makespan_result r;
    char why[256];
    assert_err_equal(rl_bench_makespan(&o, &r, why, sizeof why), RL_OK);
    assert_int_equal(r.nrows, 4);
    assert_string_equal(r.rows[0].name, "serial");
    assert_true(r.rows[0].correct);
    assert_string_equal(r.rows[1].name, "skipping");
    assert_false(r.rows[1].correct); /* flagged */
    assert_true(r.rows[2].correct);
    assert_true(r.rows[3].correct);
    assert_true(r.best_overall >= 0);
    assert_int_not_equal(r.best_overall, 1); /* never the best, though it did half the work */
    assert_int_equal(r.best_lock, 3);        /* staggered: the only lock-holding one */
    assert_int_equal(r.serial_bound_ns, 2 * 3 * 1000000);
    assert_int_equal(r.lock_bound_ns, 3 * 1000000);
    assert_int_equal(r.free_bound_ns, 3 * 1000000);
    rl_makespan_result_free(&r);
    o.delay_ns = 0;
    assert_err_equal(rl_bench_makespan(&o, &r, why, sizeof why), RL_EINVAL);
}

static void throughput_flags_a_wrong_strategy(void **state) {
    (void)state;
    const rl_strategy *const list[] = {&skipping, rl_strategy_find("atomic")};
    const unsigned threads[] = {1, 2};
    rl_throughput_opts o = rl_throughput_opts_default();
    o.threads = threads;
    o.nthreads = 2;
    o.accounts = 1000;
    o.duration_ns = 20000000;
    o.strategies = list;
    o.nstrategies = 2;
    rl_throughput_result r;
    char why[256];
    assert_err_equal(rl_bench_throughput(&o, &r, why, sizeof why), RL_OK);
    /* serial, then per thread count: plain and the two strategies */
    assert_int_equal(r.nrows, 1 + 2 * 3);
    assert_true(r.rows[0].reference);
    assert_true(r.rows[0].correct);
    for (size_t i = 1; i < r.nrows; i++) {
        const rl_throughput_row *w = &r.rows[i];
        assert_true(w->bills > 0);
        if (strcmp(w->name, "skipping") == 0) {
            assert_false(w->correct);
            assert_true(w->wrong_accounts > 0);
        } else if (strcmp(w->name, "atomic") == 0) {
            assert_true(w->correct);
            assert_int_equal(w->wrong_accounts, 0);
        } else {
            assert_string_equal(w->name, "plain");
            assert_false(w->promises);
            assert_true(w->reference);
        }
    }
    assert_true(r.best >= 0);
    assert_string_equal(r.rows[r.best].name, "atomic");
    assert_int_equal(r.rows[r.best].threads, 2);
    assert_true(r.setup_ns > 0);
    assert_true(r.bank_bytes > 1000 * sizeof(int64_t));
    rl_throughput_result_free(&r);

    const unsigned bad[] = {0};
    o.threads = bad;
    o.nthreads = 1;
    assert_err_equal(rl_bench_throughput(&o, &r, why, sizeof why), RL_EINVAL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        rl_unit_test(makespan_flags_a_wrong_strategy),
        rl_unit_test(throughput_flags_a_wrong_strategy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

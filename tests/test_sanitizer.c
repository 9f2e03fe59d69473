/* test_sanitizer.c - a race condition is not a data race.
 *
 * In the ThreadSanitizer build: the racy strategy, forced by the lockstep
 * gate, loses updates and ThreadSanitizer has nothing to say (every bank
 * access is atomic). A deliberately unsynchronized variant, a plain shared
 * balance with no lock, is reported as a data race. Both run in child
 * processes so the reports can be read. Other builds report the test
 * skipped (exit RL_TEST_SKIPPED). */
#include <inttypes.h>

#include "racelab/run.h"
#include "testing.h"

#if defined(RACELAB_TSAN)
#define TSAN_BUILD 1
#else
#define TSAN_BUILD 0
#endif

static int child_racy(void) {
    rl_run_config cfg = rl_run_config_default(rl_strategy_find("racy"));
    cfg.mode = RL_MODE_CONCURRENT;
    cfg.lockstep = true;
    cfg.opts.delay_ns = 0;
    rl_run_result r;
    if (rl_run(&cfg, &r, NULL, 0) != RL_OK)
        return 3;
    printf("lost_updates=%" PRIu64 " matches=%d\n", r.lost_updates, r.matches);
    rl_run_result_free(&r);
    return 0;
}

/* The same billing with the bank replaced by one plain variable. */
static int64_t plain_balance = 400;

static void unsync_merchant(void *arg) {
    (void)arg;
    int64_t read = plain_balance; /* no lock, no atomic */
    plain_balance = read - 25;
}

static int child_unsync(void) {
    rl_thread t[2];
    /* Neither thread synchronises with the other before its accesses, so
     * they are unordered whatever the timing: the report is certain. */
    for (int i = 0; i < 2; i++)
        if (rl_thread_create(&t[i], "unsync", unsync_merchant, NULL) != RL_OK)
            return 3;
    for (int i = 0; i < 2; i++)
        rl_thread_join(&t[i]);
    printf("balance=%" PRId64 "\n", plain_balance);
    return 0;
}

static void racy_is_a_race_condition_not_a_data_race(void **state) {
    (void)state;
    rl_child c;
    rl_test_child("racy", &c);
    assert_int_equal(c.exit_code, 0);
    assert_contains(c.out, "lost_updates=20 matches=0");
    assert_not_contains(c.err, "ThreadSanitizer");
    rl_child_free(&c);
}

static void unsynchronized_balance_is_a_data_race(void **state) {
    (void)state;
    rl_child c;
    rl_test_child("unsync", &c);
    assert_contains(c.err, "WARNING: ThreadSanitizer: data race");
    assert_contains(c.err, "unsync_merchant");
    assert_int_equal(c.exit_code, 66); /* ThreadSanitizer's exit code after a report */
    rl_child_free(&c);
}

RL_CHILDREN({"racy", child_racy}, {"unsync", child_unsync});

int main(int argc, char **argv) {
    rl_test_dispatch_child(argc, argv, rl_children_, rl_nchildren_);
    if (!TSAN_BUILD) { /* CTest's SKIP_RETURN_CODE: "skipped", never "passed" */
        printf("skipped: these checks need the ThreadSanitizer build\n");
        return RL_TEST_SKIPPED;
    }
    const struct CMUnitTest tests[] = {
        rl_unit_test(racy_is_a_race_condition_not_a_data_race),
        rl_unit_test(unsynchronized_balance_is_a_data_race),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

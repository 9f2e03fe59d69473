/* test_trylock.c - the try-lock billing strategy and the locker and
 * try-lock scenarios. */
#include "racelab/run.h"
#include "racelab/scenario.h"
#include "testing.h"

static void trylock_strategy(void **state) {
    (void)state;
    rl_test_strategy_gives_the_table(rl_strategy_find("trylock"), 100000);
}

static rl_outcome run(const char *scenario, const char *variant, rl_scenario_opts o) {
    rl_outcome out;
    rl_err e = rl_scenario_run(rl_scenario_find(scenario), variant, &o, &out);
    if (e != RL_OK)
        fail_msg("%s/%s: %s", scenario, variant, rl_strerror(e));
    return out;
}

static void locker_scenario(void **state) {
    (void)state;
    static const char *kinds[] = {"mutex", "rwlock", "spinlock"};
    for (size_t k = 0; k < 3; k++)
        for (int forced = 0; forced < 2; forced++) {
            rl_outcome out = run("locker", kinds[k], (rl_scenario_opts){.force = forced});
            assert_true(out.held);
            assert_string_equal(out.state, "length=400");
        }
    rl_outcome small = run("locker", "spinlock", (rl_scenario_opts){.threads = 3, .items = 7});
    assert_string_equal(small.state, "length=21");
}

static void trylock_scenario(void **state) {
    (void)state;
    rl_scenario_opts forced = {.force = true, .delay_ns = 1000000};
    for (int i = 0; i < 5; i++) {
        rl_outcome t = run("trylock", "trylock", forced);
        assert_true(t.held);
        assert_string_equal(t.state, "success=1 busy=3"); /* one call at a time, the rest told at once */
        rl_outcome l = run("trylock", "lock", forced);
        assert_true(l.held);
        assert_string_equal(l.state, "success=4 busy=0");
    }
    rl_outcome two = run("trylock", "trylock", (rl_scenario_opts){.force = true, .threads = 2});
    assert_string_equal(two.state, "success=1 busy=1");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        rl_unit_test(trylock_strategy),
        rl_unit_test(locker_scenario),
        rl_unit_test(trylock_scenario),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_scenarios.c - layer 5: the registry and the scenarios bill,
 * overdraft, idempotent and close. Racy variants are run forced (the
 * lockstep gate), so their failure shows every time; fixes are run under
 * the same forcing and must hold. */
#include "racelab/merchant.h"
#include "racelab/scenario.h"
#include "testing.h"

static rl_outcome run(const char *scenario, const char *variant, rl_scenario_opts o) {
    const rl_scenario *s = rl_scenario_find(scenario);
    if (!s)
        fail_msg("no scenario %s", scenario);
    rl_outcome out;
    rl_err e = rl_scenario_run(s, variant, &o, &out);
    if (e != RL_OK)
        fail_msg("%s/%s: %s", scenario, variant, rl_strerror(e));
    return out;
}

static const rl_scenario_opts forced = {.force = true, .delay_ns = 1};

static void registry_is_consistent(void **state) {
    (void)state;
    assert_true(rl_scenario_count() >= 3);
    for (size_t i = 0; i < rl_scenario_count(); i++) {
        const rl_scenario *s = rl_scenario_at(i);
        assert_ptr_equal(rl_scenario_find(s->name), s);
        assert_true(s->nvariants > 0);
        for (size_t v = 0; v < s->nvariants; v++) {
            assert_int_equal(rl_scenario_variant(s, s->variants[v].name), v);
            assert_non_null(s->variants[v].summary);
        }
        assert_int_equal(rl_scenario_variant(s, "no-such-variant"), s->nvariants);
    }
    assert_null(rl_scenario_find("nope"));
    assert_null(rl_scenario_at(rl_scenario_count()));
    rl_outcome out;
    assert_err_equal(rl_scenario_run(rl_scenario_find("overdraft"), "nope", NULL, &out), RL_ENOENT);
    assert_err_equal(rl_scenario_run(NULL, "racy", NULL, &out), RL_EINVAL);
}

/* The bill scenario names the strategies as variants: same set, same
 * promises. */
static void bill_variants_are_the_strategies(void **state) {
    (void)state;
    const rl_scenario *bill = rl_scenario_find("bill");
    assert_non_null(bill);
    assert_int_equal(bill->nvariants, rl_strategy_count());
    for (size_t v = 0; v < bill->nvariants; v++) {
        const rl_strategy *s = rl_strategy_find(bill->variants[v].name);
        if (!s)
            fail_msg("bill variant %s is no strategy", bill->variants[v].name);
        assert_int_equal(s->correct, bill->variants[v].correct);
    }
}

static void bill_forced(void **state) {
    (void)state;
    rl_outcome racy = run("bill", "racy", forced);
    assert_false(racy.held);
    assert_string_equal(racy.state, "Dave=375 Susan=1300 Mike=700 Steve=345 James=-1032");
    for (size_t i = 1; i < rl_scenario_find("bill")->nvariants; i++) {
        rl_outcome fix = run("bill", rl_scenario_find("bill")->variants[i].name, forced);
        assert_true(fix.held);
        assert_string_equal(fix.state, "Dave=275 Susan=1700 Mike=-500 Steve=525 James=-5032");
    }
    rl_scenario_opts small = forced;
    small.merchants = 2;
    small.customers = 1;
    rl_outcome two = run("bill", "racy", small);
    assert_string_equal(two.state, "Dave=375");
}

static bool one_set_bought(const char *state) {
    return strcmp(state, "bought=Castle balance=10") == 0 ||
           strcmp(state, "bought=Plants balance=30") == 0 ||
           strcmp(state, "bought=Castle failed=Plants balance=10") == 0 ||
           strcmp(state, "bought=Plants failed=Castle balance=30") == 0;
}

static void overdraft_racy_overdraws(void **state) {
    (void)state;
    for (int i = 0; i < 10; i++) {
        rl_outcome out = run("overdraft", "racy", forced);
        assert_false(out.held);
        if (strcmp(out.state, "bought=Castle,Plants balance=10") != 0 &&
            strcmp(out.state, "bought=Castle,Plants balance=30") != 0)
            fail_msg("unexpected state %s", out.state);
        assert_contains(out.story, "Alice bought the Castle");
        assert_contains(out.story, "Alice bought the Plants");
    }
}

static void overdraft_fixes_hold(void **state) {
    (void)state;
    static const char *fixes[] = {"mutex", "cas", "cas-retry"};
    for (size_t f = 0; f < 3; f++)
        for (int i = 0; i < 5; i++) {
            rl_outcome out = run("overdraft", fixes[f], forced);
            assert_true(out.held);
            if (!one_set_bought(out.state))
                fail_msg("%s: unexpected state %s", fixes[f], out.state);
            rl_outcome relaxed = run("overdraft", fixes[f], (rl_scenario_opts){.delay_ns = 100000});
            assert_true(relaxed.held);
        }
    /* forced, both compare-and-sets meet: one purchase fails cleanly */
    rl_outcome cas = run("overdraft", "cas", forced);
    assert_contains(cas.story, "purchase failed: the balance changed");
}

static void idempotent_billing(void **state) {
    (void)state;
    rl_outcome racy = run("idempotent", "check-then-run", forced);
    assert_false(racy.held);
    assert_string_equal(racy.state, "cycle1=x8 cycle2=x1");
    rl_outcome fixed = run("idempotent", "ledger", forced);
    assert_true(fixed.held);
    assert_string_equal(fixed.state, "cycle1=x1 cycle2=x1");
    assert_contains(fixed.story, "already run, billed nothing");
    rl_scenario_opts three = forced;
    three.threads = 3;
    assert_string_equal(run("idempotent", "check-then-run", three).state, "cycle1=x3 cycle2=x1");
    assert_string_equal(run("idempotent", "ledger", three).state, "cycle1=x1 cycle2=x1");
}

static void outcome_helpers(void **state) {
    (void)state;
    rl_outcome o = {0};
    rl_outcome_say(&o, "one %d", 1);
    rl_outcome_say(&o, "two");
    assert_string_equal(o.story, "one 1\ntwo\n");
    for (int i = 0; i < 1000; i++)
        rl_outcome_say(&o, "a long line that fills the story until it is truncated");
    assert_true(strlen(o.story) < sizeof o.story);
    rl_outcome_state(&o, "x=%d", 3);
    assert_string_equal(o.state, "x=3");
    rl_outcome_verdict(&o, true, "fine");
    assert_true(o.held);
    assert_string_equal(o.verdict, "fine");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        rl_unit_test(registry_is_consistent),
        rl_unit_test(bill_variants_are_the_strategies),
        rl_unit_test(bill_forced),
        rl_unit_test(overdraft_racy_overdraws),
        rl_unit_test(overdraft_fixes_hold),
        rl_unit_test(idempotent_billing),
        rl_unit_test(outcome_helpers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

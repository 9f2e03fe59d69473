/* test_processor.c - shared nothing: the processor, its billing strategy
 * and its scenario. */
#include "racelab/merchant.h"
#include "racelab/explore.h"
#include "racelab/processor.h"
#include "racelab/run.h"
#include "racelab/scenario.h"
#include "testing.h"

static rl_answer ask(rl_processor *p, rl_chan *reply, rl_request_kind kind, size_t customer,
                     rl_money amount, uint64_t tag) {
    rl_request r = {kind, customer, amount, tag, reply};
    assert_err_equal(rl_chan_send(rl_processor_input(p), &r), RL_OK);
    rl_answer a;
    assert_err_equal(rl_chan_recv(reply ? reply : rl_processor_output(p), &a), RL_OK);
    assert_int_equal(a.tag, tag);
    return a;
}

static void answers(void **state) {
    (void)state;
    static const rl_customer accounts[] = {{"alice", 50}, {"rich", INT64_MAX - 1}};
    rl_bank *bank;
    rl_acct mirror[2];
    assert_err_equal(rl_membank_create(2, &bank), RL_OK);
    assert_err_equal(rl_bank_open(bank, "alice", 50, &mirror[0]), RL_OK);
    assert_err_equal(rl_bank_open(bank, "rich", INT64_MAX - 1, &mirror[1]), RL_OK);
    rl_processor *p;
    assert_err_equal(rl_processor_start(accounts, 2, 0, bank, mirror, &p), RL_OK);
    rl_chan *reply;
    assert_err_equal(rl_chan_create(sizeof(rl_answer), 1, "reply", &reply), RL_OK);

    rl_answer a = ask(p, reply, RL_REQ_PURCHASE, 0, 40, 1);
    assert_err_equal(a.result, RL_OK);
    assert_int_equal(a.balance, 10);
    a = ask(p, reply, RL_REQ_PURCHASE, 0, 20, 2);
    assert_err_equal(a.result, RL_EFUNDS);
    assert_int_equal(a.balance, 10);
    a = ask(p, NULL, RL_REQ_BILL, 0, -25, 3); /* answered on the output channel */
    assert_err_equal(a.result, RL_OK);
    assert_int_equal(a.balance, -15);
    a = ask(p, reply, RL_REQ_BILL, 1, 2, 4);
    assert_err_equal(a.result, RL_EOVERFLOW);
    assert_int_equal(a.balance, INT64_MAX - 1);
    a = ask(p, reply, RL_REQ_BILL, 7, 1, 5);
    assert_err_equal(a.result, RL_EINVAL);

    /* written through to the bank */
    rl_money bal;
    assert_err_equal(rl_bank_get(bank, mirror[0], &bal, NULL), RL_OK);
    assert_int_equal(bal, -15);
    rl_processor_stop(p);
    assert_int_equal(rl_processor_balance(p, 0), -15);
    assert_int_equal(rl_processor_served(p), 5);
    rl_processor_stop(p); /* twice: harmless */
    rl_processor_destroy(p);
    rl_chan_destroy(reply);
    rl_bank_destroy(bank);
    assert_err_equal(rl_processor_start(NULL, 1, 0, NULL, NULL, &p), RL_EINVAL);
}

static void stop_drains_the_queue(void **state) {
    (void)state;
    static const rl_customer one[] = {{"alice", 0}};
    rl_processor *p;
    assert_err_equal(rl_processor_start(one, 1, 8, NULL, NULL, &p), RL_OK);
    for (uint64_t i = 0; i < 5; i++) {
        rl_request r = {RL_REQ_BILL, 0, 10, i, NULL};
        assert_err_equal(rl_chan_send(rl_processor_input(p), &r), RL_OK);
    }
    rl_processor_stop(p); /* closes the input: what is queued is still served */
    rl_request late = {RL_REQ_BILL, 0, 1, 99, NULL};
    assert_err_equal(rl_chan_send(rl_processor_input(p), &late), RL_ECLOSED);
    rl_answer a;
    for (uint64_t i = 0; i < 5; i++) {
        assert_err_equal(rl_chan_recv(rl_processor_output(p), &a), RL_OK);
        assert_int_equal(a.tag, i);
        assert_int_equal(a.balance, (rl_money)(10 * (i + 1)));
    }
    assert_err_equal(rl_chan_recv(rl_processor_output(p), &a), RL_ECLOSED); /* output closed */
    assert_int_equal(rl_processor_balance(p, 0), 50);
    rl_processor_destroy(p);
}

static void strategy_gives_the_expected_table(void **state) {
    (void)state;
    rl_test_strategy_gives_the_table(rl_strategy_find("processor"), 0);
}

static bool one_set(const char *state) {
    return strcmp(state, "bought=Castle balance=10") == 0 ||
           strcmp(state, "bought=Plants balance=30") == 0;
}

static void scenario_holds(void **state) {
    (void)state;
    const rl_scenario *s = rl_scenario_find("processor");
    assert_non_null(s);
    for (size_t v = 0; v < s->nvariants; v++)
        for (int forced = 0; forced < 2; forced++) {
            rl_scenario_opts o = {.force = forced, .delay_ns = forced ? 1 : 100000};
            rl_outcome out;
            assert_err_equal(rl_scenario_run(s, s->variants[v].name, &o, &out), RL_OK);
            assert_true(out.held);
            if (!one_set(out.state))
                fail_msg("%s: %s", s->variants[v].name, out.state);
        }
    /* and over every schedule */
    for (size_t v = 0; v < s->nvariants; v++) {
        char name[64];
        snprintf(name, sizeof name, "processor:%s", s->variants[v].name);
        rl_target t;
        assert_err_equal(rl_target_parse(name, NULL, &t, NULL, 0), RL_OK);
        rl_explore_opts o = rl_explore_opts_default();
        o.keep_going = true;
        rl_explore_result r;
        assert_err_equal(rl_explore(&t, &o, &r, NULL, 0), RL_OK);
        assert_false(r.failed);
        assert_true(r.exhaustive);
        for (size_t i = 0; i < r.nstates; i++)
            assert_true(one_set(r.states[i].state));
        assert_int_equal(r.nstates, 2); /* either set can be first */
        rl_explore_result_free(&r);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        rl_unit_test(answers),
        rl_unit_test(stop_drains_the_queue),
        rl_unit_test(strategy_gives_the_expected_table),
        rl_unit_test(scenario_holds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

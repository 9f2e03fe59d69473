/* table.c - the check every correct billing strategy must pass. */
#include "racelab/run.h"
#include "testing.h"

void rl_test_strategy_gives_the_table(const rl_strategy *s, uint64_t delay_ns) {
    rl_test_strategy_gives_the_table_on(s, delay_ns, NULL, true);
}

void rl_test_strategy_gives_the_table_on(const rl_strategy *s, uint64_t delay_ns,
                                         const char *bank, bool forced) {
    static const rl_money expected[] = {275, 1700, -500, 525, -5032};
    static const struct {
        rl_mode mode;
        bool lockstep;
    } runs[] = {{RL_MODE_SERIAL, false}, {RL_MODE_CONCURRENT, false}, {RL_MODE_CONCURRENT, true}};
    for (size_t i = 0; i < (forced ? 3u : 2u); i++) {
        rl_run_config cfg = rl_run_config_default(s);
        cfg.mode = runs[i].mode;
        cfg.lockstep = runs[i].lockstep;
        cfg.opts.delay_ns = runs[i].lockstep ? 0 : delay_ns;
        cfg.bank = bank;
        rl_run_result r;
        char why[512] = "";
        rl_err e = rl_run(&cfg, &r, why, sizeof why);
        if (e != RL_OK)
            fail_msg("%s on %s: the run failed: %s: %s", s->name, bank ? bank : "memory",
                     rl_strerror(e), why);
        for (size_t c = 0; c < 5; c++)
            if (r.rows[c].final != expected[c])
                fail_msg("%s, %s%s on %s: %s ended at %lld, expected %lld", s->name,
                         rl_mode_name(cfg.mode), cfg.lockstep ? ", lockstep" : "",
                         bank ? bank : "memory", r.rows[c].customer, (long long)r.rows[c].final,
                         (long long)expected[c]);
        assert_int_equal(r.lost_updates, 0);
        assert_int_equal(r.billed, 25);
        rl_run_result_free(&r);
    }
}

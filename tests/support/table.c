/* table.c - the check every correct billing strategy must pass. */
#include "racelab/run.h"
#include "testing.h"

void rl_test_strategy_gives_the_table(const rl_strategy *s, uint64_t delay_ns) {
    static const rl_money expected[] = {275, 1700, -500, 525, -5032};
    static const struct {
        rl_mode mode;
        bool lockstep;
    } runs[] = {{RL_MODE_SERIAL, false}, {RL_MODE_CONCURRENT, false}, {RL_MODE_CONCURRENT, true}};
    for (size_t i = 0; i < 3; i++) {
        rl_run_config cfg = rl_run_config_default(s);
        cfg.mode = runs[i].mode;
        cfg.lockstep = runs[i].lockstep;
        cfg.opts.delay_ns = runs[i].lockstep ? 0 : delay_ns;
        rl_run_result r;
        assert_int_equal(rl_run(&cfg, &r, NULL, 0), RL_OK);
        for (size_t c = 0; c < 5; c++)
            if (r.rows[c].final != expected[c])
                fail_msg("%s, %s%s: %s ended at %lld, expected %lld", s->name,
                         rl_mode_name(cfg.mode), cfg.lockstep ? ", lockstep" : "",
                         r.rows[c].customer, (long long)r.rows[c].final, (long long)expected[c]);
        assert_int_equal(r.lost_updates, 0);
        assert_int_equal(r.billed, 25);
        rl_run_result_free(&r);
    }
}

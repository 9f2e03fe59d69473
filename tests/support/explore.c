/* explore.c - exploring in a test. */
#include "testing.h"

rl_explore_result rl_test_explore(const rl_target *t, rl_explore_opts o) {
    rl_explore_result r;
    char why[512] = "";
    rl_err e = rl_explore(t, &o, &r, why, sizeof why);
    if (e != RL_OK)
        fail_msg("explore %s: %s: %s", t->name, rl_strerror(e), why);
    return r;
}

rl_target rl_test_target(const char *spec, unsigned merchants, unsigned customers,
                         unsigned threads) {
    rl_scenario_opts so = {.merchants = merchants, .customers = customers, .threads = threads};
    rl_target t;
    char why[256] = "";
    if (rl_target_parse(spec, &so, &t, why, sizeof why) != RL_OK)
        fail_msg("target %s: %s", spec, why);
    return t;
}

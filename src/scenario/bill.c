/* bill.c - the billing exercise as a scenario: variant = strategy. This is
 * how the explorer and `racelab scenario` reach billing ("bill:racy"). The
 * invariant: every final balance equals the expected table. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "racelab/lockstep.h"
#include "racelab/run.h"
#include "scenario_impl.h"
#include "../util/words.h"

/* Listed here by name; a test checks this matches the strategy registry. */
static const rl_variant variants[] = {
    {"racy", "read, wait, write back: loses updates", false},
    {"mutex", "a lock per customer across read, wait and write", true},
    {"staggered", "the same locks, each merchant starting at another customer", true},
    {"global", "one lock for all billing", true},
    {"atomic", "wait, then one atomic add", true},
    {"cas", "read, wait, compare-and-set, retry from the value seen", true},
    {"trylock", "try each customer's lock, come back to busy ones, block when only busy ones are left", true},
    {"processor", "shared nothing: merchants send bills to a processor thread over a channel", true},
    {"advisory", "an application lock per customer, held across the bill", true},
    {"repeatable-read", "read, wait, write in a repeatable-read transaction, retried when aborted", true},
    {"serializable", "read, wait, write in a serializable transaction, retried when aborted", true},
    {"batch", "wait for each bill, then send the atomic adds together", true},
};

static rl_err run_bill(size_t v, const rl_scenario_opts *o, rl_outcome *out) {
    const rl_strategy *s = rl_strategy_find(variants[v].name);
    if (!s)
        return RL_ENOENT;
    rl_dataset *d;
    rl_err e = rl_dataset_subset(rl_dataset_default(), o->merchants, o->customers, &d);
    if (e != RL_OK)
        return e;
    rl_run_config cfg = rl_run_config_default(s);
    cfg.data = d;
    cfg.mode = RL_MODE_CONCURRENT;
    cfg.opts.delay_ns = o->delay_ns;
    cfg.opts.max_retries = o->retries;
    cfg.lockstep = o->force && rl_lockstep_available();
    cfg.bank = o->bank;
    cfg.replace_bank = o->replace_bank;
    rl_run_result r;
    e = rl_run(&cfg, &r, out->verdict, sizeof out->verdict);
    if (e == RL_OK) {
        char *p = out->state;
        size_t left = sizeof out->state;
        for (size_t c = 0; c < r.ncustomers && left > 1; c++) {
            int n = snprintf(p, left, "%s%s=%" PRId64, c ? " " : "", r.rows[c].customer,
                             r.rows[c].final);
            if (n < 0 || (size_t)n >= left)
                break;
            p += n;
            left -= (size_t)n;
        }
        for (size_t c = 0; c < r.ncustomers; c++)
            rl_outcome_say(out, "%-12s start %6" PRId64 "  expected %6" PRId64 "  final %6" PRId64
                                "%s",
                           r.rows[c].customer, r.rows[c].start, r.rows[c].expected, r.rows[c].final,
                           r.rows[c].final == r.rows[c].expected ? "" : "  WRONG");
        if (r.matches)
            rl_outcome_verdict(out, true, "every balance equals the expected table (%" PRIu64
                                          " lost updates, %" PRIu64 " retries)",
                               r.lost_updates, r.retries);
        else {
            size_t wrong = 0;
            for (size_t c = 0; c < r.ncustomers; c++)
                wrong += r.rows[c].final != r.rows[c].expected;
            rl_outcome_verdict(out, false, "%zu of %zu balances are wrong: %" PRIu64
                                           " lost update%s, %" PRIu64 " refused bill%s",
                               wrong, r.ncustomers, r.lost_updates,
                               rl__plural(r.lost_updates), r.failed, rl__plural(r.failed));
        }
        rl_run_result_free(&r);
    }
    rl_dataset_free(d);
    return e;
}

const rl_scenario rl__scenario_bill = {
    .name = "bill",
    .summary = "the billing exercise: merchants bill customers concurrently (variant = strategy)",
    .variants = variants,
    .nvariants = sizeof variants / sizeof variants[0],
    .defaults = {.delay_ns = 5000000, .retries = 100, .merchants = 5, .customers = 5},
    .knobs = RL_KNOB_DELAY | RL_KNOB_RETRIES | RL_KNOB_MERCHANTS | RL_KNOB_CUSTOMERS,
    .takes_bank = true,
    .run = run_bill,
};

/* idempotent.c - idempotence applied to the bank: one merchant's billing
 * cycle has an id, and several workers run the same cycle at once (a job
 * retried, a message delivered twice). Running a cycle whose id already
 * ran must bill nothing; a new id bills again.
 *
 * Invariant: after the concurrent run of cycle 1 and a later run of cycle
 * 2, every customer was billed exactly twice, once per cycle. */
#include <stdio.h>
#include <stdlib.h>

#include "racelab/ledger.h"
#include "racelab/run.h"
#include "scenario_impl.h"
#include "../util/words.h"

enum { CHECK_THEN_RUN, LEDGER };

static const rl_variant variants[] = {
    [CHECK_THEN_RUN] = {"check-then-run",
                        "look the id up, bill, then record it: two workers both bill", false},
    [LEDGER] = {"ledger", "claim the id in one atomic step, bill only if the claim won", true},
};

typedef struct job job;

typedef struct {
    size_t variant;
    rl_ledger *ledger;
    rl__stage stage;
    uint64_t delay_ns;
} desk;

struct job {
    desk *desk;
    size_t index;
    rl_merchant m; /* each worker has its own copy: a merchant is single-threaded */
    rl_thread thread;
    char name[24];
    uint64_t cycle;
    rl_err result;
};

/* Run cycle job->cycle if it has not run; returns what happened. */
static rl_err run_cycle(job *j) {
    desk *d = j->desk;
    const char *name = j->m.spec->name;
    if (d->variant == LEDGER) {
        rl_err e = rl_ledger_claim(d->ledger, name, j->cycle);
        if (e != RL_OK)
            return e;
        rl__stage_pause(&d->stage, j->index, d->delay_ns);
        return rl_merchant_bill_cycle(&j->m);
    }
    if (rl_ledger_seen(d->ledger, name, j->cycle))
        return RL_EAGAIN;
    rl__stage_pause(&d->stage, j->index, d->delay_ns);
    rl_err e = rl_merchant_bill_cycle(&j->m);
    rl_err r = rl_ledger_record(d->ledger, name, j->cycle);
    return e != RL_OK ? e : r;
}

static void worker(void *arg) {
    job *j = arg;
    rl__stage_enter(&j->desk->stage, j->index);
    j->result = run_cycle(j);
    rl__stage_leave(&j->desk->stage, j->index);
}

/* How many times j's cycle billed: its merchant billed nbills per run. */
static uint64_t runs_of(const job *j) { return j->m.stats.billed / j->m.spec->nbills; }

static rl__actor cast_worker(void *ctx, size_t i) {
    job *j = &((job *)ctx)[i];
    snprintf(j->name, sizeof j->name, "worker%zu", i + 1);
    return (rl__actor){&j->thread, j->name, worker, j};
}

static rl_err run_idempotent(size_t v, const rl_scenario_opts *o, rl_outcome *out) {
    const rl_dataset *data = rl_dataset_default();
    const rl_merchant_spec *spec = &data->merchants[0];
    size_t nc = data->ncustomers, workers = o->threads;
    desk d = {.variant = v, .delay_ns = o->delay_ns};
    rl_bank *bank = NULL;
    rl_acct *accts = calloc(nc, sizeof *accts), *bill_accts = calloc(spec->nbills, sizeof *accts);
    size_t *bill_customers = calloc(spec->nbills, sizeof *bill_customers);
    job *jobs = calloc(workers + 1, sizeof *jobs);
    rl_err e = (!accts || !bill_accts || !bill_customers || !jobs) ? RL_ENOMEM : RL_OK;
    if (e == RL_OK)
        e = rl_membank_create(nc, &bank);
    if (e == RL_OK)
        e = rl_bank_open_all(bank, data->customers, nc, accts);
    for (size_t b = 0; e == RL_OK && b < spec->nbills; b++) {
        bill_customers[b] = rl_dataset_customer_index(data, spec->bills[b].customer);
        bill_accts[b] = accts[bill_customers[b]];
    }
    if (e == RL_OK)
        e = rl_ledger_create(&d.ledger);
    /* each cycle is billed with one atomic add per bill: the only race
     * left is the one this scenario is about, running the cycle twice */
    rl_billing billing = {.strategy = rl_strategy_find("atomic"), .bank = bank, .data = data,
                          .opts = rl_billing_opts_default(), .accts = accts};
    billing.opts.delay_ns = 0;
    for (size_t i = 0; jobs && i <= workers; i++)
        jobs[i] = (job){.desk = &d, .index = i, .cycle = i < workers ? 1 : 2,
                        .m = rl_merchant_make(&billing, spec, 0, bank, bill_accts,
                                              bill_customers)};
    if (e == RL_OK)
        e = rl__stage_begin(&d.stage, o, workers);
    if (e != RL_OK)
        goto done;
    e = rl__stage_play(&d.stage, workers, cast_worker, jobs);
    rl__stage_end(&d.stage);
    if (e != RL_OK)
        goto done;
    /* later, a new cycle id: must bill again */
    jobs[workers].result = run_cycle(&jobs[workers]);

    uint64_t cycle1 = 0, cycle2 = runs_of(&jobs[workers]);
    for (size_t i = 0; i < workers; i++) {
        cycle1 += runs_of(&jobs[i]);
        rl_outcome_say(out, "worker %zu, cycle 1: %s", i + 1,
                       jobs[i].result == RL_OK       ? "billed"
                       : jobs[i].result == RL_EAGAIN ? "already run, billed nothing"
                                                     : rl_strerror(jobs[i].result));
    }
    rl_outcome_say(out, "cycle 2: %s", jobs[workers].result == RL_OK ? "billed" : "did not bill");
    bool balances_ok = true;
    for (size_t c = 0; c < nc; c++) {
        rl_money bal, want = data->customers[c].start;
        for (size_t b = 0; b < spec->nbills; b++)
            if (bill_customers[b] == c)
                want += 2 * spec->bills[b].amount;
        rl_bank_get(bank, accts[c], &bal, NULL);
        balances_ok &= bal == want;
        rl_outcome_say(out, "%-6s %6lld (billed once per cycle: %lld)", data->customers[c].name,
                       (long long)bal, (long long)want);
    }
    rl_outcome_state(out, "cycle1=x%llu cycle2=x%llu", (unsigned long long)cycle1,
                     (unsigned long long)cycle2);
    if (cycle1 == 1 && cycle2 == 1 && balances_ok)
        rl_outcome_verdict(out, true, "%zu workers ran cycle 1 at once and it billed once; "
                                      "cycle 2 billed again",
                           workers);
    else
        rl_outcome_verdict(out, false, "cycle 1 billed %llu time%s and cycle 2 %llu time%s; each "
                                       "must bill exactly once",
                           (unsigned long long)cycle1, rl__plural(cycle1),
                           (unsigned long long)cycle2, rl__plural(cycle2));
done:
    rl_ledger_destroy(d.ledger);
    rl_bank_destroy(bank);
    free(accts);
    free(bill_accts);
    free(bill_customers);
    free(jobs);
    return e;
}

const rl_scenario rl__scenario_idempotent = {
    .name = "idempotent",
    .summary = "idempotent billing: workers run the same billing cycle id at once",
    .variants = variants,
    .nvariants = sizeof variants / sizeof variants[0],
    .defaults = {.delay_ns = 1000000, .threads = 8},
    .knobs = RL_KNOB_DELAY | RL_KNOB_THREADS,
    .run = run_idempotent,
};

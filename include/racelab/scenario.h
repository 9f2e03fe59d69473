/* racelab/scenario.h - layer 5: the chapter's race-condition patterns as
 * runnable, checkable scenarios.
 *
 * A scenario has variants: the racy one and its fixes. Running a variant
 * sets everything up from scratch, starts its threads through the
 * platform, joins them, checks the scenario's invariant and tears down, so
 * it can run any number of times: on real threads, under the lockstep gate
 * (opts.force) or once per schedule under the explorer.
 *
 * Concurrency contract: run may be called from one thread at a time per
 * process (it may install the lockstep gate); everything it starts, it
 * joins before returning.
 *
 * Arguments (the policy of layer 5): a call that returns rl_err reports a
 * NULL or out-of-range argument as RL_EINVAL; a lookup (by name or by
 * index) answers "not found" (NULL, or the count of variants) for what it
 * does not know, NULL included; every other call given NULL is a
 * programming error: fatal, naming the call.
 */
#ifndef RACELAB_SCENARIO_H
#define RACELAB_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "racelab/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define RL_OUTCOME_STATE_MAX 160
#define RL_OUTCOME_VERDICT_MAX 256
#define RL_OUTCOME_STORY_MAX 2048

/* What one run of a variant ended with. */
typedef struct rl_outcome {
    bool held; /* the invariant's verdict */
    /* The final state on one canonical line, e.g. "balance=10 bought=Castle":
     * the key of --runs histograms and of the explorer's reachable states.
     * Two runs that ended the same way have the same state. */
    char state[RL_OUTCOME_STATE_MAX];
    /* One sentence: why the invariant held or did not; when run returns an
     * error, why the run could not be done. */
    char verdict[RL_OUTCOME_VERDICT_MAX];
    /* What happened, one line per event, for people ("Alice bought the
     * castle"). Written by the running thread after joining, never by
     * several threads at once. */
    char story[RL_OUTCOME_STORY_MAX];
    /* Set by rl_outcome_verdict: a run that returns without it has not
     * judged itself, which the explorer reports as an error of the target. */
    bool judged;
} rl_outcome;

/* Append a line to out->story (truncated when full). */
void rl_outcome_say(rl_outcome *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Set out->state, printf-style. */
void rl_outcome_state(rl_outcome *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Set out->held and out->verdict, printf-style: the run's verdict. */
void rl_outcome_verdict(rl_outcome *out, bool held, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Knobs. A field left at 0 takes the scenario's default. */
typedef struct rl_scenario_opts {
    uint64_t delay_ns;  /* the slow step in the race window */
    unsigned retries;   /* bound of the variants that retry */
    unsigned threads;   /* callers, where a scenario lets you choose */
    unsigned items;     /* work per thread (appends, requests) where it applies */
    unsigned merchants; /* the bill scenario: first N merchants, first N customers */
    unsigned customers;
    /* Real threads only: force the failing interleaving with the lockstep
     * gate instead of hoping for it. Ignored where no gate can go
     * (rl_lockstep_available: under the explorer, which chooses the
     * interleaving itself). */
    bool force;
    /* Where the balances live, for the scenarios that keep them in a bank
     * (see racelab/dbbank.h); NULL is the scenario's default. Others refuse
     * a database (RL_ENOTSUP). A scenario's bank is a scratch bank: it
     * replaces only a scratch bank, or with replace_bank every racelab_*
     * table there (see "Replacing a bank" in racelab/dbbank.h). */
    const char *bank;
    bool replace_bank;
} rl_scenario_opts;

/* The knobs of rl_scenario_opts, as bits: which ones a scenario reads. */
enum {
    RL_KNOB_DELAY = 1u << 0,
    RL_KNOB_RETRIES = 1u << 1,
    RL_KNOB_THREADS = 1u << 2,
    RL_KNOB_ITEMS = 1u << 3,
    RL_KNOB_MERCHANTS = 1u << 4,
    RL_KNOB_CUSTOMERS = 1u << 5,
    RL_KNOB_NONE = 1u << 31 /* it reads none of them (0 would say nothing) */
};

typedef struct rl_variant {
    const char *name;
    const char *summary; /* one line */
    bool correct;        /* promises the invariant under every schedule */
} rl_variant;

typedef struct rl_scenario {
    const char *name;
    const char *summary; /* one line */
    const rl_variant *variants;
    size_t nvariants;
    rl_scenario_opts defaults; /* what a 0 field means for this scenario */
    /* Takes a bank (opts.bank); needs_database: it needs a real database
     * engine (it cannot run under the explorer, which controls threads,
     * not servers). */
    bool takes_bank, needs_database;
    /* Run variant v once with complete opts (no 0 left where a default
     * exists). Returns an error only when the run could not be done; the
     * invariant's verdict is out->held. */
    rl_err (*run)(size_t v, const rl_scenario_opts *o, rl_outcome *out);
    /* The knobs it reads (RL_KNOB_*), so that a caller can refuse one it
     * would ignore; 0 says nothing (every knob is accepted). */
    unsigned knobs;
} rl_scenario;

/* The registry, in a fixed order. */
size_t rl_scenario_count(void);
const rl_scenario *rl_scenario_at(size_t i);
const rl_scenario *rl_scenario_find(const char *name);
/* Index of the variant called name, or s->nvariants. */
size_t rl_scenario_variant(const rl_scenario *s, const char *name);

/* Whether opts sets only knobs that knobs (RL_KNOB_*, 0: any) includes.
 * RL_EINVAL otherwise, and why says which one `name` would ignore, by its
 * command-line flag, and the ones it takes. */
rl_err rl_scenario_check_knobs(const char *name, unsigned knobs, const rl_scenario_opts *opts,
                               char *why, size_t why_len);

/* Fill opts' 0 fields from the scenario's defaults, check the variant
 * (RL_ENOENT) and the knobs (RL_EINVAL: one it does not read is set; the
 * verdict says which) and run it. out is cleared first. */
rl_err rl_scenario_run(const rl_scenario *s, const char *variant, const rl_scenario_opts *opts,
                       rl_outcome *out);

#ifdef __cplusplus
}
#endif
#endif

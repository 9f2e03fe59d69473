/* cmd_bill.c - `racelab bill`: one strategy, checked against the expected
 * table; with --runs K a histogram of the final states, as jcstress prints. */
#include <getopt.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "racelab/histogram.h"
#include "racelab/dbbank.h"
#include "report.h"
#include "../util/words.h"

static void print_help(void) {
    printf("usage: racelab bill --strategy NAME [--mode serial|concurrent] [--delay D]\n"
           "                    [--jitter PCT] [--seed S] [--retries N] [--runs K]\n"
           "                    [--lockstep] [--merchants N] [--customers N] [--bank URL]\n"
           "                    [--force]\n"
           "                    [--kill-session MERCHANT:BILL] [--json]\n"
           "\n"
           "Runs the billing exercise with one strategy and checks the final balances\n"
           "against the expected table.\n"
           "\n"
           "strategies:\n");
    for (size_t i = 0; i < rl_strategy_count(); i++)
        printf("  %-8s %s\n", rl_strategy_at(i)->name, rl_strategy_at(i)->summary);
    const rl_strategy *lesson = rl_strategy_find("unsynchronized");
    printf("  %-8s %s\n", lesson->name, lesson->summary);
    printf("\n"
           "options:\n"
           "  --strategy NAME   which billing strategy (required)\n"
           "  --mode M          serial or concurrent (default concurrent)\n"
           "  --delay D         the wait between reading and writing (default 5ms; 0 to 10s)\n"
           "  --jitter PCT      each wait lasts D +/- PCT %% (default 50)\n"
           "  --seed S          seed of the jitter (default: from the clock, printed)\n"
           "  --retries N       cas: retries per bill before it is refused (default 100)\n"
           "  --runs K          repeat K times and print a histogram of final states\n"
           "  --lockstep        force the worst interleaving: no merchant writes a customer\n"
           "                    until every merchant has read it or is blocked, and none\n"
           "                    reads its next before every merchant has written (concurrent)\n"
           "  --merchants N     use the first N merchants of the data set\n"
           "  --customers N     use the first N customers of the data set\n"
           "%s"
           "  --kill-session MERCHANT:BILL\n"
           "                    PostgreSQL: terminate that merchant's server session\n"
           "                    (pg_terminate_backend) as its BILL-th bill begins its wait,\n"
           "                    e.g. Target:3; the run then says which bills were applied\n"
           "                    and exits 3\n"
           "  --json            print JSON instead of tables\n"
           "  -h, --help        this text\n"
           "\n"
           "Exit status: 0 when every run ended with the expected balances, 1 when one did\n"
           "not, 2 for bad usage, 3 if a run could not be done (a database that cannot be\n"
           "reached, a connection lost in the middle).\n",
           rl_cli_bank_help);
}

typedef struct {
    const rl_strategy *strategy;
    rl_mode mode;
    rl_billing_opts opts;
    bool lockstep, json, seed_given, force;
    uint64_t runs, merchants, customers;
    const char *bank;
    const char *kill; /* MERCHANT:BILL, checked against the data once it is chosen */
} bill_args;

static int parse(int argc, char **argv, bill_args *a) {
    static const struct option longopts[] = {
        {"strategy", required_argument, NULL, 'S'}, {"mode", required_argument, NULL, 'm'},
        {"delay", required_argument, NULL, 'd'},    {"jitter", required_argument, NULL, 'j'},
        {"seed", required_argument, NULL, 's'},     {"retries", required_argument, NULL, 'r'},
        {"runs", required_argument, NULL, 'k'},     {"lockstep", no_argument, NULL, 'L'},
        {"json", no_argument, NULL, 'J'},           {"merchants", required_argument, NULL, 'M'},
        {"customers", required_argument, NULL, 'C'}, {"bank", required_argument, NULL, 'B'},
        {"kill-session", required_argument, NULL, 'K'}, {"force", no_argument, NULL, 'f'},
        {0}};
    const rl_dataset *d = rl_dataset_default();
    uint64_t v;
    opterr = 0;
    optind = 1;
    for (int c; (c = getopt_long(argc, argv, "+", longopts, NULL)) != -1;) {
        switch (c) {
        case 'S':
            if (!(a->strategy = rl_strategy_find(optarg))) {
                char names[256] = "";
                for (size_t i = 0; i < rl_strategy_count(); i++)
                    snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s",
                             i ? ", " : "", rl_strategy_at(i)->name);
                return rl_cli_usage_error("bill", "unknown strategy '%s' (one of: %s, "
                                                  "unsynchronized)",
                                          optarg, names);
            }
            break;
        case 'm':
            if (strcmp(optarg, "serial") == 0)
                a->mode = RL_MODE_SERIAL;
            else if (strcmp(optarg, "concurrent") == 0)
                a->mode = RL_MODE_CONCURRENT;
            else
                return rl_cli_usage_error("bill", "--mode is serial or concurrent, not '%s'",
                                          optarg);
            break;
        case 'd':
            if (!rl_cli_parse_duration("bill", "--delay", optarg, 10000000000u, &a->opts.delay_ns))
                return EXIT_USAGE;
            break;
        case 'j':
            if (!rl_cli_parse_u64("bill", "--jitter", optarg, 0, 100, &v))
                return EXIT_USAGE;
            a->opts.jitter_pct = (unsigned)v;
            break;
        case 's':
            if (!rl_cli_parse_u64("bill", "--seed", optarg, 0, UINT64_MAX, &a->opts.seed))
                return EXIT_USAGE;
            a->seed_given = true;
            break;
        case 'r':
            if (!rl_cli_parse_u64("bill", "--retries", optarg, 0, 1000000, &v))
                return EXIT_USAGE;
            a->opts.max_retries = (unsigned)v;
            break;
        case 'k':
            if (!rl_cli_parse_u64("bill", "--runs", optarg, 1, 1000000, &a->runs))
                return EXIT_USAGE;
            break;
        case 'B':
            if (!rl_cli_parse_bank("bill", optarg, &a->bank))
                return EXIT_USAGE;
            break;
        case 'K': a->kill = optarg; break;
        case 'L': a->lockstep = true; break;
        case 'f': a->force = true; break;
        case 'J': a->json = true; break;
        case 'M':
            if (!rl_cli_parse_u64("bill", "--merchants", optarg, 1, d->nmerchants, &a->merchants))
                return EXIT_USAGE;
            break;
        case 'C':
            if (!rl_cli_parse_u64("bill", "--customers", optarg, 1, d->ncustomers, &a->customers))
                return EXIT_USAGE;
            break;
        default:
            return rl_cli_usage_error("bill", "unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return rl_cli_usage_error("bill", "unexpected argument '%s'", argv[optind]);
    if (!a->strategy)
        return rl_cli_usage_error("bill", "--strategy is required");
    if (a->lockstep && a->mode != RL_MODE_CONCURRENT)
        return rl_cli_usage_error("bill", "--lockstep needs --mode concurrent");
    return EXIT_HELD;
}

/* --kill-session MERCHANT:BILL against the data set: a merchant's name and
 * a bill number from 1. */
static bool parse_kill(const char *text, const rl_dataset *d, rl_run_config *cfg) {
    const char *colon = strrchr(text, ':');
    size_t len = colon ? (size_t)(colon - text) : 0;
    for (size_t m = 0; colon && m < d->nmerchants; m++) {
        if (strlen(d->merchants[m].name) != len || strncmp(d->merchants[m].name, text, len) != 0)
            continue;
        uint64_t bill;
        if (!rl_cli_parse_u64("bill", "--kill-session's bill", colon + 1, 1,
                              d->merchants[m].nbills, &bill))
            return false;
        cfg->kill_session = true;
        cfg->kill_merchant = m;
        cfg->kill_bill = (size_t)bill - 1;
        return true;
    }
    rl_cli_usage_error("bill", "--kill-session wants MERCHANT:BILL with a merchant of the data "
                               "set (Costco, Target, CVS, GuitarCenter, Starbucks), not '%s'",
                       text);
    return false;
}

static void print_single(const bill_args *a, const rl_run_result *r) {
    const rl_run_result *runs[] = {r};
    const char *titles[] = {"final"};
    rl_report_table(stdout, runs, titles, 1);
    if (r->failed)
        printf("first refused bill: %s billing %s: %s%s%s\n", r->error_merchant,
               r->error_customer, rl_strerror(r->first_error), r->error_detail[0] ? ": " : "",
               r->error_detail);
    rl_report_faults(stdout, r);
    size_t wrong = rl_report_wrong(r);
    if (r->matches)
        printf("\n%sverdict: correct%s, every balance equals the expected table\n",
               rl_cli_green(), rl_cli_reset());
    else
        printf("\n%sverdict: WRONG%s, %zu of %zu balances differ from the expected table\n",
               rl_cli_red(), rl_cli_reset(), wrong, r->ncustomers);
    (void)a;
}

/* A histogram's state: the final balances, in the data set's order. */
static const rl_money *finals_of(const rl_histogram_entry *e) { return e->key; }

static void print_histogram(const bill_args *a, const rl_run_result *first,
                            const rl_histogram_entry *states, size_t nstates) {
    printf("%" PRIu64 " runs: %zu distinct final state%s\n\n", a->runs, nstates,
           rl__plural(nstates));
    printf("%s%8s %7s  %-8s", rl_cli_bold(), "count", "share", "verdict");
    for (size_t c = 0; c < first->ncustomers; c++)
        printf(" %9s", first->rows[c].customer);
    printf("%s\n", rl_cli_reset());
    printf("%8s %7s  %-8s", "", "", "expected");
    for (size_t c = 0; c < first->ncustomers; c++)
        printf(" %9" PRId64, first->rows[c].expected);
    putchar('\n');
    for (size_t s = 0; s < nstates; s++) {
        printf("%8" PRIu64 " %6.1f%%  %s%-8s%s", states[s].count,
               100.0 * (double)states[s].count / (double)a->runs,
               states[s].held ? rl_cli_green() : rl_cli_red(),
               states[s].held ? "correct" : "WRONG", rl_cli_reset());
        for (size_t c = 0; c < first->ncustomers; c++)
            printf(" %9" PRId64, finals_of(&states[s])[c]);
        putchar('\n');
    }
}

/* The progress of one run: bills done of the total, counted on the
 * merchants' threads; the one that finds an update due prints it. */
typedef struct {
    rl_cli_progress line;
    size_t total;
    _Atomic size_t done, applied;
    atomic_flag printing;
} bills_progress;

static void bill_progress(void *ctx, rl_err outcome) {
    bills_progress *bp = ctx;
    size_t done = atomic_fetch_add(&bp->done, 1) + 1;
    size_t applied = atomic_fetch_add(&bp->applied, outcome == RL_OK) + (outcome == RL_OK);
    if (atomic_flag_test_and_set(&bp->printing))
        return; /* another merchant is printing */
    if (rl_cli_progress_due(&bp->line) || done == bp->total)
        rl_cli_progress_show(&bp->line, "billing: %zu of %zu bills done, %zu applied", done,
                             bp->total, applied);
    atomic_flag_clear(&bp->printing);
}

/* What K runs gave: the histogram of final balances, the first run whole,
 * the counts. */
typedef struct {
    rl_histogram states;
    rl_run_result first;
    uint64_t total_lost, wrong_runs, faulty_runs;
} runs_result;

/* Run cfg a->runs times (seeds a->opts.seed, +1, ...) into out; the exit
 * status: EXIT_HELD when every run could be done. */
static int run_all(const bill_args *a, rl_run_config *cfg, runs_result *out) {
    rl_histogram_init(&out->states);
    rl_money *finals = calloc(cfg->data->ncustomers ? cfg->data->ncustomers : 1, sizeof *finals);
    int rc = finals ? EXIT_HELD : EXIT_ERROR;
    rl_cli_progress line;
    rl_cli_progress_init(&line, !a->json && a->runs > 1);
    for (uint64_t i = 0; rc == EXIT_HELD && i < a->runs; i++) {
        if (rl_cli_progress_due(&line))
            rl_cli_progress_show(&line, "run %" PRIu64 " of %" PRIu64 ", %" PRIu64
                                        " wrong so far",
                                 i + 1, a->runs, out->wrong_runs);
        cfg->opts.seed = a->opts.seed + i;
        char why[256] = "";
        rl_run_result r;
        rl_err e = rl_run(cfg, &r, why, sizeof why);
        if (e == RL_EEXIST) {
            rc = rl_cli_bank_exists("bill", a->bank, why, "--force");
            break;
        }
        if (e != RL_OK) {
            /* a request that can never work is bad usage, said as such; the
             * rest is a run that could not be done this time */
            bool usage = e == RL_EINVAL || e == RL_EEMPTY || e == RL_ENOENT || e == RL_ENOTSUP;
            fprintf(stderr, "racelab bill: %s%s%s%s\n",
                    usage ? "" : "the run could not be done: ", rl_strerror(e), *why ? ": " : "",
                    why);
            rc = usage ? EXIT_USAGE : EXIT_ERROR;
            break;
        }
        out->total_lost += r.lost_updates;
        out->wrong_runs += !r.matches;
        out->faulty_runs += r.lost_connection || r.unknown;
        for (size_t c = 0; c < r.ncustomers; c++)
            finals[c] = r.rows[c].final;
        if (rl_histogram_add(&out->states, finals, r.ncustomers * sizeof *finals, r.matches) !=
            RL_OK) {
            rc = EXIT_ERROR;
            rl_run_result_free(&r);
            break;
        }
        if (i == 0)
            out->first = r;
        else
            rl_run_result_free(&r);
    }
    rl_cli_progress_clear(&line);
    free(finals);
    rl_histogram_sort(&out->states);
    return rc;
}

static void print_json(const bill_args *a, const rl_dataset *d, const runs_result *res) {
    rl__json j;
    rl__json_init(&j, stdout);
    rl__json_object(&j, NULL);
    rl__json_str(&j, "strategy", a->strategy->name);
    rl__json_str(&j, "mode", rl_mode_name(a->mode));
    rl__json_uint(&j, "merchants", d->nmerchants);
    rl__json_uint(&j, "customers", d->ncustomers);
    rl__json_uint(&j, "delay_ns", a->opts.delay_ns);
    rl__json_uint(&j, "jitter_pct", a->opts.jitter_pct);
    rl__json_uint(&j, "seed", a->opts.seed);
    rl__json_bool(&j, "lockstep", a->lockstep);
    rl__json_str(&j, "bank", res->first.bank_kind);
    if (res->first.note[0])
        rl__json_str(&j, "note", res->first.note);
    rl__json_uint(&j, "runs", a->runs);
    rl__json_uint(&j, "runs_wrong", res->wrong_runs);
    rl__json_bool(&j, "all_expected", res->wrong_runs == 0);
    if (a->runs == 1) {
        rl__json_object(&j, "result");
        rl_report_json_run(&j, &res->first);
        rl__json_end(&j, '}');
    } else {
        rl__json_uint(&j, "lost_updates_total", res->total_lost);
        rl__json_array(&j, "histogram");
        for (size_t s = 0; s < res->states.n; s++) {
            const rl_histogram_entry *e = &res->states.entries[s];
            rl__json_object(&j, NULL);
            rl__json_uint(&j, "count", e->count);
            rl__json_double(&j, "share", (double)e->count / (double)a->runs);
            rl__json_bool(&j, "expected", e->held);
            rl__json_object(&j, "balances");
            for (size_t c = 0; c < res->first.ncustomers; c++)
                rl__json_int(&j, res->first.rows[c].customer, finals_of(e)[c]);
            rl__json_end(&j, '}');
            rl__json_end(&j, '}');
        }
        rl__json_end(&j, ']');
    }
    rl__json_end(&j, '}');
}

static void print_text(const bill_args *a, const rl_dataset *d, const runs_result *res) {
    char delay[32];
    printf("strategy %s, %s, %zu merchant%s x %zu customer%s, ", a->strategy->name,
           rl_mode_name(a->mode), d->nmerchants, rl__plural(d->nmerchants), d->ncustomers,
           rl__plural(d->ncustomers));
    if (a->lockstep)
        printf("lockstep (the gate replaces the delay: no timing involved)");
    else
        printf("delay %s +/-%u%% (seed %" PRIu64 ")",
               rl_cli_format_duration(a->opts.delay_ns, delay, sizeof delay), a->opts.jitter_pct,
               a->opts.seed);
    if (a->bank) {
        char shown[256];
        rl_bank_url_redact(a->bank, shown, sizeof shown);
        printf(", bank %s", shown);
    }
    printf("\n");
    if (res->first.note[0])
        printf("note: %s\n", res->first.note);
    printf("\n");
    if (a->runs == 1)
        print_single(a, &res->first);
    else
        print_histogram(a, &res->first, res->states.entries, res->states.n);
}

/* The run's configuration from the arguments: the data set (a subset
 * when asked; *subset is then the caller's to free), the fault to inject,
 * and one run's progress line. EXIT_HELD or the exit status. */
static int configure(bill_args *a, rl_run_config *cfg, rl_dataset **subset, bills_progress *bp) {
    if (!a->seed_given) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        a->opts.seed = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
    }
    const rl_dataset *base = rl_dataset_default();
    *subset = NULL;
    if (a->merchants || a->customers) {
        rl_err e = rl_dataset_subset(base, a->merchants ? a->merchants : base->nmerchants,
                                     a->customers ? a->customers : base->ncustomers, subset);
        if (e != RL_OK) {
            fprintf(stderr, "racelab bill: could not select the data: %s\n", rl_strerror(e));
            return EXIT_ERROR;
        }
    }
    *cfg = (rl_run_config){.data = *subset ? *subset : base, .strategy = a->strategy,
                           .mode = a->mode, .opts = a->opts, .lockstep = a->lockstep,
                           .bank = a->bank, .replace_bank = a->force};
    /* one run: the bills applied of the total, from the merchants' threads */
    rl_cli_progress_init(&bp->line, !a->json && a->runs == 1);
    if (bp->line.on) {
        for (size_t m = 0; m < cfg->data->nmerchants; m++)
            bp->total += cfg->data->merchants[m].nbills;
        cfg->opts.billed = bill_progress;
        cfg->opts.billed_ctx = bp;
    }
    if (a->kill && !parse_kill(a->kill, cfg->data, cfg))
        return EXIT_USAGE;
    return EXIT_HELD;
}

int rl_cmd_bill(int argc, char **argv) {
    if (rl_cli_wants_help(argc, argv)) {
        print_help();
        return EXIT_HELD;
    }
    bill_args a = {.mode = RL_MODE_CONCURRENT, .opts = rl_billing_opts_default(), .runs = 1};
    a.opts.jitter_pct = 50;
    int rc = parse(argc, argv, &a);
    if (rc != EXIT_HELD)
        return rc;
    rl_run_config cfg;
    rl_dataset *subset;
    bills_progress bp = {.total = 0};
    atomic_flag_clear(&bp.printing);
    if ((rc = configure(&a, &cfg, &subset, &bp)) != EXIT_HELD) {
        rl_dataset_free(subset);
        return rc;
    }
    runs_result res = {.total_lost = 0};
    rc = run_all(&a, &cfg, &res);
    rl_cli_progress_clear(&bp.line);
    if (rc == EXIT_HELD) {
        if (a.json)
            print_json(&a, cfg.data, &res);
        else
            print_text(&a, cfg.data, &res);
        rc = res.wrong_runs ? EXIT_BROKEN : EXIT_HELD;
        if (res.faulty_runs) {
            fprintf(stderr, "racelab bill: %" PRIu64 " run%s lost a database connection: the "
                            "billing was not completed (the bills are listed above)\n",
                    res.faulty_runs, rl__plural(res.faulty_runs));
            rc = EXIT_ERROR;
        }
    }
    rl_run_result_free(&res.first);
    rl_histogram_free(&res.states);
    rl_dataset_free(subset);
    return rc;
}

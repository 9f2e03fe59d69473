/* cmd_demo.c - `racelab demo`: the exercise in one screen. The same naive
 * billing run serially (the correct answer), concurrently (lost updates),
 * and concurrently under a per-customer mutex (correct again). */
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "racelab/dbbank.h"
#include "report.h"
#include "../util/words.h"

static const char demo_help[] =
    "usage: racelab demo [--delay D] [--seed S] [--bank URL] [--force]\n"
    "\n"
    "Bills the exercise's five customers from its five merchants three ways\n"
    "and prints them side by side:\n"
    "  serial             the naive read-wait-write billing, one merchant at a time:\n"
    "                     the correct answer\n"
    "  racy, concurrent   the same code, one thread per merchant: updates are lost\n"
    "  mutex, concurrent  a lock per customer held across read, wait and write\n"
    "\n"
    "options:\n"
    "  --delay D   the wait between reading and writing a balance (default 5ms)\n"
    "  --seed S    seed of the +/-50% jitter on each wait (default 1)\n"
    "  --bank URL  where the balances live: memory (default), sqlite:PATH,\n"
    "              postgresql://..., or a libpq key=value string; each merchant\n"
    "              bills through its own connection ('make demo-postgres' starts a\n"
    "              throwaway server and runs the demo on it); its racelab_*\n"
    "              tables are a scratch bank, made anew by each run: any other\n"
    "              racelab_* table there (a bank 'racelab bank init' made) is\n"
    "              refused and left alone\n"
    "  --force     replace whatever racelab_* tables --bank holds\n"
    "  -h, --help  this text\n"
    "\n"
    "Exit status: 0 when the demo ran (whatever it showed), 2 for bad usage,\n"
    "3 if a run could not be done (a database that cannot be reached).\n";

/* The arguments into opts and *bank; -1 when they are good, else the
 * exit status. */
static int parse_demo(int argc, char **argv, rl_billing_opts *opts, const char **bank,
                      bool *force) {
    static const struct option longopts[] = {
        {"delay", required_argument, NULL, 'd'}, {"seed", required_argument, NULL, 's'},
        {"bank", required_argument, NULL, 'B'},  {"force", no_argument, NULL, 'f'}, {0}};
    *force = false;
    *opts = rl_billing_opts_default();
    opts->jitter_pct = 50;
    *bank = NULL;
    opterr = 0;
    optind = 1;
    for (int c; (c = getopt_long(argc, argv, "+", longopts, NULL)) != -1;) {
        switch (c) {
        case 'd':
            if (!rl_cli_parse_duration("demo", "--delay", optarg, 10000000000u, &opts->delay_ns))
                return EXIT_USAGE;
            break;
        case 's':
            if (!rl_cli_parse_u64("demo", "--seed", optarg, 0, UINT64_MAX, &opts->seed))
                return EXIT_USAGE;
            break;
        case 'B':
            if (!rl_cli_parse_bank("demo", optarg, bank))
                return EXIT_USAGE;
            break;
        case 'f': *force = true; break;
        default:
            return rl_cli_usage_error("demo", "unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return rl_cli_usage_error("demo", "unexpected argument '%s'", argv[optind]);
    return -1;
}

/* The demo's three runs: serial, racy, mutex. */
static const struct {
    const char *title, *strategy;
    rl_mode mode;
} plan[] = {
    {"serial", "racy", RL_MODE_SERIAL},
    {"racy, concurrent", "racy", RL_MODE_CONCURRENT},
    {"mutex, concurrent", "mutex", RL_MODE_CONCURRENT},
};
enum { NPLAN = sizeof plan / sizeof plan[0] };

/* Run the plan into results; -1, or (nothing left to free) the exit status
 * after saying why. Only the first run may replace what --force names:
 * the later ones replace the scratch bank of the run before. */
static int run_plan(const rl_billing_opts *opts, const char *bank, bool force,
                    rl_run_result *results) {
    for (size_t i = 0; i < NPLAN; i++) {
        rl_run_config cfg = rl_run_config_default(rl_strategy_find(plan[i].strategy));
        cfg.mode = plan[i].mode;
        cfg.opts = *opts;
        cfg.bank = bank;
        cfg.replace_bank = force && i == 0;
        char why[512] = "";
        rl_err e = rl_run(&cfg, &results[i], why, sizeof why);
        if (e != RL_OK) {
            for (size_t k = 0; k < i; k++)
                rl_run_result_free(&results[k]);
            if (e == RL_EEXIST)
                return rl_cli_bank_exists("demo", bank, why, "--force");
            fprintf(stderr, "racelab demo: the %s run failed: %s%s%s\n", plan[i].title,
                    rl_strerror(e), *why ? ": " : "", why);
            return e == RL_EINVAL ? EXIT_USAGE : EXIT_ERROR;
        }
    }
    return -1;
}

/* What the three runs show, in words. */
static void print_story(const rl_run_result *serial, const rl_run_result *racy,
                        const rl_run_result *mutex) {
    char ts[32], tm[32];
    rl_cli_format_duration(serial->wall_ns, ts, sizeof ts);
    rl_cli_format_duration(mutex->wall_ns, tm, sizeof tm);
    putchar('\n');
    if (!racy->matches)
        printf("Run at once, the merchants read the same balances, waited and wrote over each "
               "other: the bank counted %" PRIu64 " lost updates and %zu of %zu balances are "
               "wrong, with no data race anywhere (every get and set is atomic). Holding each "
               "customer's lock across read, wait and write gave the %s answer in %s, against "
               "%s one merchant at a time.\n",
               racy->lost_updates, rl_report_wrong(racy), racy->ncustomers,
               mutex->matches ? "correct" : "WRONG (this is a bug in racelab)", tm, ts);
    else
        printf("This time the racy run happened to match: the timing hid the race. "
               "'racelab bill --strategy racy --lockstep' forces it every time.\n");
}

int rl_cmd_demo(int argc, char **argv) {
    if (rl_cli_wants_help(argc, argv)) {
        fputs(demo_help, stdout);
        return EXIT_HELD;
    }
    rl_billing_opts opts;
    const char *bank;
    bool force;
    int rc = parse_demo(argc, argv, &opts, &bank, &force);
    if (rc >= 0)
        return rc;
    const rl_dataset *d = rl_dataset_default();
    char delay[32];
    printf("%zu merchant%s bill %zu customer%s. Each bill reads the balance, waits about %s "
           "(a card network), then writes balance + bill.\n",
           d->nmerchants, rl__plural(d->nmerchants), d->ncustomers, rl__plural(d->ncustomers),
           rl_cli_format_duration(opts.delay_ns, delay, sizeof delay));
    if (bank) {
        char shown[256];
        rl_bank_url_redact(bank, shown, sizeof shown);
        printf("The balances are in %s; each merchant bills through its own connection.\n",
               shown);
    }
    putchar('\n');
    rl_run_result results[NPLAN];
    if ((rc = run_plan(&opts, bank, force, results)) >= 0)
        return rc;
    const rl_run_result *runs[NPLAN];
    const char *titles[NPLAN];
    for (size_t i = 0; i < NPLAN; i++) {
        runs[i] = &results[i];
        titles[i] = plan[i].title;
    }
    rl_report_table(stdout, runs, titles, NPLAN);
    if (runs[2]->note[0])
        printf("\nnote: %s\n", runs[2]->note);
    print_story(runs[0], runs[1], runs[2]);
    for (size_t i = 0; i < NPLAN; i++)
        rl_run_result_free(&results[i]);
    return EXIT_HELD;
}

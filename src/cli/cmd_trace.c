/* cmd_trace.c - `racelab trace`: one billing run as a timeline, in text or
 * as an SVG picture. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "racelab/timeline.h"
#include "../util/words.h"

static void print_help(void) {
    printf("usage: racelab trace [--strategy NAME] [--merchants N] [--customers N]\n"
           "                     [--delay D] [--jitter PCT] [--seed S] [--lockstep]\n"
           "                     [--replay SCHEDULE] [--svg FILE] [--bank URL] [--force]\n"
           "\n"
           "Runs one concurrent billing and draws it: a lane per merchant, each bill a bar\n"
           "from its read to its write, every write that lost an update outlined in red and\n"
           "marked, with an arrow\n"
           "from the write it replaced. Without --svg the same is printed as text.\n"
           "\n"
           "  --strategy NAME   the billing strategy (default racy)\n"
           "  --merchants N, --customers N   the first N of the data set (default all; with\n"
           "                    --replay the explorer's default, 2 x 2)\n"
           "  --delay D, --jitter PCT, --seed S   the slow step, as for 'racelab bill'\n"
           "                    (default 5ms +/-50%%, seed from the clock, printed)\n"
           "  --lockstep        force the worst interleaving (see 'racelab bill --help')\n"
           "  --replay S        draw a schedule the explorer printed instead of a real run\n"
           "                    (time is then counted in steps)\n"
           "  --svg FILE        write the picture to FILE (open it in a browser)\n"
           "%s"
           "\n"
           "Exit status: 0 when the run ended with the expected balances, 1 when not,\n"
           "2 for bad usage, 3 if the run or the file could not be done.\n",
           rl_cli_bank_help);
}

static void print_text(const rl_timeline *t) {
    for (size_t i = 0; i < t->n; i++) {
        const rl_tl_event *e = &t->events[i];
        char when[32];
        if (t->in_steps)
            snprintf(when, sizeof when, "step %" PRIu64, e->t0);
        else
            snprintf(when, sizeof when, "%.3f ms", (double)e->t0 / 1e6);
        printf("%12s  %-14s %-4s %-10s %8" PRId64, when, e->lane, e->op, e->object, e->value);
        if (e->lost) {
            printf("  %sLOST UPDATE%s", rl_cli_red(), rl_cli_reset());
            if (e->replaced >= 0)
                printf(": replaced %s's write", t->events[e->replaced].lane);
        }
        putchar('\n');
    }
}

typedef struct {
    const char *bank, *replay, *svg;
    const rl_strategy *strategy;
    rl_billing_opts opts;
    uint64_t merchants, customers;
    bool lockstep, force;
} trace_args;

/* The arguments into a; -1 when they are good, else the exit status. */
static int parse(int argc, char **argv, trace_args *a) {
    static const struct option longopts[] = {
        {"strategy", required_argument, NULL, 'S'}, {"merchants", required_argument, NULL, 'M'},
        {"customers", required_argument, NULL, 'C'}, {"delay", required_argument, NULL, 'd'},
        {"jitter", required_argument, NULL, 'j'},   {"seed", required_argument, NULL, 's'},
        {"lockstep", no_argument, NULL, 'L'},       {"replay", required_argument, NULL, 'R'},
        {"svg", required_argument, NULL, 'o'},      {"bank", required_argument, NULL, 'B'},
        {"force", no_argument, NULL, 'f'},          {0}};
    *a = (trace_args){.strategy = rl_strategy_find("racy"), .opts = rl_billing_opts_default()};
    a->opts.jitter_pct = 50;
    uint64_t v;
    bool seed_given = false;
    opterr = 0;
    optind = 1;
    for (int c; (c = getopt_long(argc, argv, "+", longopts, NULL)) != -1;) {
        switch (c) {
        case 'S':
            if (!(a->strategy = rl_strategy_find(optarg)))
                return rl_cli_usage_error("trace", "unknown strategy '%s' ('racelab bill --help' "
                                                   "lists them)",
                                          optarg);
            break;
        case 'M':
            if (!rl_cli_parse_u64("trace", "--merchants", optarg, 1, 5, &a->merchants))
                return EXIT_USAGE;
            break;
        case 'C':
            if (!rl_cli_parse_u64("trace", "--customers", optarg, 1, 5, &a->customers))
                return EXIT_USAGE;
            break;
        case 'd':
            if (!rl_cli_parse_duration("trace", "--delay", optarg, 10000000000u,
                                       &a->opts.delay_ns))
                return EXIT_USAGE;
            break;
        case 'j':
            if (!rl_cli_parse_u64("trace", "--jitter", optarg, 0, 100, &v))
                return EXIT_USAGE;
            a->opts.jitter_pct = (unsigned)v;
            break;
        case 's':
            if (!rl_cli_parse_u64("trace", "--seed", optarg, 0, UINT64_MAX, &a->opts.seed))
                return EXIT_USAGE;
            seed_given = true;
            break;
        case 'L': a->lockstep = true; break;
        case 'f': a->force = true; break;
        case 'R': a->replay = optarg; break;
        case 'o': a->svg = optarg; break;
        case 'B':
            if (!rl_cli_parse_bank("trace", optarg, &a->bank))
                return EXIT_USAGE;
            break;
        default:
            return rl_cli_usage_error("trace", "unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return rl_cli_usage_error("trace", "unexpected argument '%s'", argv[optind]);
    if (a->replay && a->lockstep)
        return rl_cli_usage_error("trace", "--replay draws the explorer's schedule: --lockstep "
                                           "does not apply");
    if (a->replay && a->bank)
        return rl_cli_usage_error("trace", "--replay draws the explorer's schedule, which runs "
                                           "in memory: --bank does not apply");
    if (!seed_given) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        a->opts.seed = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
    }
    return -1;
}

/* The explorer's schedule a->replay, as a timeline; its title and whether
 * it held. -1, or the exit status after saying why. */
static int record_replay(const trace_args *a, rl_timeline *t, char *title, size_t title_len,
                         bool *held) {
    char spec[64], why[512] = "";
    snprintf(spec, sizeof spec, "bill:%s", a->strategy->name);
    rl_scenario_opts so = {.merchants = (unsigned)a->merchants,
                           .customers = (unsigned)a->customers};
    rl_target target;
    if (rl_target_parse(spec, &so, &target, why, sizeof why) != RL_OK)
        return rl_cli_usage_error("trace", "%s", why);
    rl_explore_opts eo = rl_explore_opts_default();
    eo.search = RL_SEARCH_REPLAY;
    eo.replay = a->replay;
    eo.record = true;
    rl_explore_result r;
    rl_err e = rl_explore(&target, &eo, &r, why, sizeof why);
    if (e != RL_OK)
        return e == RL_EINVAL ? rl_cli_usage_error("trace", "%s", why)
                              : (fprintf(stderr, "racelab trace: %s\n", why), EXIT_ERROR);
    *held = !r.failed;
    e = rl_timeline_from_trace(&r.first, t);
    snprintf(title, title_len, "%s, %u merchant%s x %u customer%s, schedule %s: %s", spec,
             target.opts.merchants, rl__plural(target.opts.merchants), target.opts.customers,
             rl__plural(target.opts.customers), a->replay, r.first.outcome.verdict);
    rl_explore_result_free(&r);
    if (e != RL_OK) {
        fprintf(stderr, "racelab trace: %s\n", rl_strerror(e));
        return EXIT_ERROR;
    }
    return -1;
}

/* One real billing run, as a timeline; its title and whether it held. -1,
 * or the exit status after saying why. */
static int record_run(const trace_args *a, rl_timeline *t, char *title, size_t title_len,
                      bool *held) {
    rl_dataset *subset = NULL;
    const rl_dataset *base = rl_dataset_default();
    if ((a->merchants || a->customers) &&
        rl_dataset_subset(base, a->merchants ? a->merchants : base->nmerchants,
                          a->customers ? a->customers : base->ncustomers, &subset) != RL_OK) {
        fprintf(stderr, "racelab trace: could not select the data\n");
        return EXIT_ERROR;
    }
    rl_run_config cfg = {.data = subset ? subset : base, .strategy = a->strategy,
                         .mode = RL_MODE_CONCURRENT, .opts = a->opts, .lockstep = a->lockstep,
                         .bank = a->bank, .replace_bank = a->force};
    rl_run_result res;
    char why[512] = "";
    rl_err e = rl_timeline_record(&cfg, t, &res, why, sizeof why);
    if (e == RL_OK) {
        *held = res.matches;
        char delay[32];
        snprintf(title, title_len,
                 "%s, %zu merchant%s x %zu customer%s, slow step %s +/-%u%% (seed %" PRIu64
                 ")%s: %" PRIu64 " lost update%s",
                 a->strategy->name, cfg.data->nmerchants, rl__plural(cfg.data->nmerchants),
                 cfg.data->ncustomers, rl__plural(cfg.data->ncustomers),
                 rl_cli_format_duration(a->opts.delay_ns, delay, sizeof delay),
                 a->opts.jitter_pct, a->opts.seed, a->lockstep ? ", lockstep" : "",
                 res.lost_updates, rl__plural(res.lost_updates));
        rl_run_result_free(&res);
    }
    rl_dataset_free(subset);
    if (e != RL_OK)
        return rl_cli_bank_failed("trace", a->bank, e, why, "--force");
    return -1;
}

/* The picture into path; false after saying why. */
static bool write_svg(const rl_timeline *t, const char *title, const char *path) {
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "racelab trace: cannot write %s: %s\n", path, strerror(errno));
        return false;
    }
    rl_err e = rl_timeline_svg(t, title, f);
    int closed = fclose(f);
    if (closed != 0 || e != RL_OK) {
        fprintf(stderr, "racelab trace: writing %s failed: %s\n", path,
                closed != 0 ? strerror(errno) : rl_strerror(e));
        return false;
    }
    printf("%s\nwrote %s (%zu bank accesses)\n", title, path, t->n);
    return true;
}

int rl_cmd_trace(int argc, char **argv) {
    if (rl_cli_wants_help(argc, argv)) {
        print_help();
        return EXIT_HELD;
    }
    trace_args a;
    int rc = parse(argc, argv, &a);
    if (rc >= 0)
        return rc;
    rl_timeline t;
    char title[1024];
    bool held = true;
    rc = a.replay ? record_replay(&a, &t, title, sizeof title, &held)
                  : record_run(&a, &t, title, sizeof title, &held);
    if (rc >= 0)
        return rc;
    rc = held ? EXIT_HELD : EXIT_BROKEN;
    if (a.svg) {
        if (!write_svg(&t, title, a.svg))
            rc = EXIT_ERROR;
    } else {
        printf("%s\n\n", title);
        print_text(&t);
    }
    if (t.dropped)
        fprintf(stderr, "racelab trace: %" PRIu64 " accesses did not fit the recording\n",
                t.dropped);
    rl_timeline_free(&t);
    return rc;
}

/* cmd_bench.c - `racelab bench makespan|throughput`: what each fix costs,
 * against the best possible, in one run. */
#include <getopt.h>
#include <inttypes.h>
#include <string.h>
#include <sys/prctl.h>

#include "cli.h"
#include "json.h"
#include "racelab/bench.h"

static void print_help(void) {
    printf("usage: racelab bench makespan [--merchants M] [--customers C] [--delay S]\n"
           "                              [--seed N] [--json | --csv]\n"
           "       racelab bench throughput [--threads 1,2,4] [--accounts N]\n"
           "                              [--skew uniform|zipf] [--seconds S] [--seed N]\n"
           "                              [--json | --csv]\n"
           "\n"
           "makespan: M merchants bill C customers each (default 5 x 5), every bill with a\n"
           "slow step S (default 10ms). Every strategy runs once, concurrently, after one\n"
           "serial run; each is timed, checked against the expected balances, and compared\n"
           "with the bounds: serial M*C*S, lock held in the slow step max(M,C)*S, slow step\n"
           "outside every lock C*S. A strategy that ends wrong is flagged and never best.\n"
           "\n"
           "throughput: billing with no slow step: bills per second for every strategy at\n"
           "each thread count, plus an unsynchronized plain update (wrong: the speed limit)\n"
           "and a single-thread loop; each result checked for lost bills after the timing.\n"
           "\n"
           "Exit status: 0 when every strategy that promises correct balances gave them,\n"
           "1 when one did not, 2 for bad usage, 3 if the benchmark could not run.\n");
}

static const char *ms(uint64_t ns, char *buf, size_t len) {
    return rl_cli_format_duration(ns, buf, len);
}

static int makespan(int argc, char **argv) {
    static const struct option longopts[] = {
        {"merchants", required_argument, NULL, 'M'}, {"customers", required_argument, NULL, 'C'},
        {"delay", required_argument, NULL, 'd'},     {"seed", required_argument, NULL, 's'},
        {"json", no_argument, NULL, 'J'},            {"csv", no_argument, NULL, 'V'},
        {0}};
    rl_makespan_opts o = rl_makespan_opts_default();
    bool json = false, csv = false;
    uint64_t v;
    opterr = 0;
    optind = 1;
    for (int c; (c = getopt_long(argc, argv, "+", longopts, NULL)) != -1;) {
        switch (c) {
        case 'M':
            if (!rl_cli_parse_u64("bench makespan", "--merchants", optarg, 1, 64, &v))
                return EXIT_USAGE;
            o.merchants = v;
            break;
        case 'C':
            if (!rl_cli_parse_u64("bench makespan", "--customers", optarg, 1, 100000, &v))
                return EXIT_USAGE;
            o.customers = v;
            break;
        case 'd':
            if (!rl_cli_parse_duration("bench makespan", "--delay", optarg, 1000000000u,
                                       &o.delay_ns))
                return EXIT_USAGE;
            if (o.delay_ns == 0)
                return rl_cli_usage_error("bench makespan", "--delay must be positive: the "
                                                            "bounds are multiples of it");
            break;
        case 's':
            if (!rl_cli_parse_u64("bench makespan", "--seed", optarg, 0, UINT64_MAX, &o.seed))
                return EXIT_USAGE;
            break;
        case 'J': json = true; break;
        case 'V': csv = true; break;
        default:
            return rl_cli_usage_error("bench makespan", "unknown or incomplete option '%s'",
                                      argv[optind - 1]);
        }
    }
    if (optind < argc)
        return rl_cli_usage_error("bench makespan", "unexpected argument '%s'", argv[optind]);
    if (json && csv)
        return rl_cli_usage_error("bench makespan", "--json or --csv, not both");

    /* the slow step is a sleep: ask the kernel not to stretch it */
    (void)prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
    rl_makespan_result r;
    char why[256] = "";
    rl_err e = rl_bench_makespan(&o, &r, why, sizeof why);
    if (e != RL_OK) {
        fprintf(stderr, "racelab bench makespan: %s: %s\n", rl_strerror(e), why);
        return EXIT_ERROR;
    }
    int rc = EXIT_HELD;
    for (size_t i = 0; i < r.nrows; i++)
        if (r.rows[i].promises && !r.rows[i].correct)
            rc = EXIT_BROKEN;
    char a[32], b[32], c[32];
    if (csv) {
        printf("strategy,promises,correct,holds_lock,wall_ns,x_serial,x_lock_bound,x_free_bound,"
               "merchants,customers,delay_ns\n");
        for (size_t i = 0; i < r.nrows; i++) {
            const rl_makespan_row *w = &r.rows[i];
            printf("%s,%d,%d,%d,%" PRIu64 ",%.4f,%.4f,%.4f,%zu,%zu,%" PRIu64 "\n", w->name,
                   w->promises, w->correct, w->holds_lock, w->wall_ns, w->x_serial,
                   w->x_lock_bound, w->x_free_bound, r.merchants, r.customers, r.delay_ns);
        }
    } else if (json) {
        rl_json j;
        rl_json_init(&j, stdout);
        rl_json_object(&j, NULL);
        rl_json_uint(&j, "merchants", r.merchants);
        rl_json_uint(&j, "customers", r.customers);
        rl_json_uint(&j, "delay_ns", r.delay_ns);
        rl_json_uint(&j, "seed", r.seed);
        rl_json_uint(&j, "serial_bound_ns", r.serial_bound_ns);
        rl_json_uint(&j, "lock_bound_ns", r.lock_bound_ns);
        rl_json_uint(&j, "free_bound_ns", r.free_bound_ns);
        rl_json_array(&j, "strategies");
        for (size_t i = 0; i < r.nrows; i++) {
            const rl_makespan_row *w = &r.rows[i];
            rl_json_object(&j, NULL);
            rl_json_str(&j, "name", w->name);
            rl_json_bool(&j, "promises_correct", w->promises);
            rl_json_bool(&j, "correct", w->correct);
            rl_json_bool(&j, "holds_lock_in_slow_step", w->holds_lock);
            rl_json_uint(&j, "wall_ns", w->wall_ns);
            rl_json_double(&j, "x_serial", w->x_serial);
            rl_json_double(&j, "x_lock_bound", w->x_lock_bound);
            rl_json_double(&j, "x_free_bound", w->x_free_bound);
            rl_json_uint(&j, "lost_updates", w->lost_updates);
            rl_json_uint(&j, "retries", w->retries);
            rl_json_end(&j, '}');
        }
        rl_json_end(&j, ']');
        rl_json_str(&j, "best_lock_holding", r.best_lock >= 0 ? r.rows[r.best_lock].name : NULL);
        rl_json_str(&j, "best_overall", r.best_overall >= 0 ? r.rows[r.best_overall].name : NULL);
        rl_json_end(&j, '}');
    } else {
        printf("makespan: %zu merchants x %zu customers, slow step %s, seed %" PRIu64 "\n",
               r.merchants, r.customers, ms(r.delay_ns, a, sizeof a), r.seed);
        printf("bounds: serial M*C*s = %s; lock held in the slow step max(M,C)*s = %s; "
               "slow step outside locks C*s = %s\n\n",
               ms(r.serial_bound_ns, a, sizeof a), ms(r.lock_bound_ns, b, sizeof b),
               ms(r.free_bound_ns, c, sizeof c));
        printf("%s%-10s %-8s %-5s %10s %9s %12s %8s%s\n", rl_cli_bold(), "strategy", "result",
               "lock", "wall", "x serial", "x max(M,C)s", "x C*s", rl_cli_reset());
        for (size_t i = 0; i < r.nrows; i++) {
            const rl_makespan_row *w = &r.rows[i];
            printf("%-10s %s%-8s%s %-5s %10s %9.3f %12.3f %8.3f\n", w->name,
                   w->correct ? rl_cli_green() : rl_cli_red(), w->correct ? "correct" : "WRONG",
                   rl_cli_reset(), w->holds_lock ? "yes" : "no", ms(w->wall_ns, a, sizeof a),
                   w->x_serial, w->x_lock_bound, w->x_free_bound);
        }
        putchar('\n');
        if (r.best_lock >= 0)
            printf("best correct lock-holding: %s, %.3f x max(M,C)*s\n", r.rows[r.best_lock].name,
                   r.rows[r.best_lock].x_lock_bound);
        if (r.best_overall >= 0)
            printf("best correct overall:      %s, %.3f x C*s\n", r.rows[r.best_overall].name,
                   r.rows[r.best_overall].x_free_bound);
        for (size_t i = 0; i < r.nrows; i++)
            if (!r.rows[i].correct)
                printf("%s%s ended with wrong balances%s (%" PRIu64 " lost updates): flagged, "
                       "never counted as fast\n",
                       rl_cli_red(), r.rows[i].name, rl_cli_reset(), r.rows[i].lost_updates);
    }
    rl_makespan_result_free(&r);
    return rc;
}

int rl_cmd_bench(int argc, char **argv) {
    if (argc < 2 || rl_cli_wants_help(argc, argv)) {
        print_help();
        return argc < 2 ? EXIT_USAGE : EXIT_HELD;
    }
    if (strcmp(argv[1], "makespan") == 0)
        return makespan(argc - 1, argv + 1);
    return rl_cli_usage_error("bench", "unknown benchmark '%s' (makespan or throughput)", argv[1]);
}

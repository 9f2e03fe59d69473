/* cmd_bench.c - `racelab bench makespan|throughput`: what each fix costs,
 * against the best possible, in one run. */
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
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
           "       racelab bench explore [--csv]\n"
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
           "explore: the explorer's speed: schedules per second on whole searches of\n"
           "bill:racy and bill:mutex at 2 x 2, and the time to bill:racy's first failure\n"
           "at 5 x 5.\n"
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
        /* x_own_bound: against the bound that applies to the row: serial
         * M*C*s, lock held in the slow step max(M,C)*s, otherwise C*s */
        printf("strategy,promises,correct,holds_lock,wall_ns,x_serial,x_lock_bound,x_free_bound,"
               "x_own_bound,merchants,customers,delay_ns\n");
        for (size_t i = 0; i < r.nrows; i++) {
            const rl_makespan_row *w = &r.rows[i];
            double own = i == 0 ? w->x_serial : w->holds_lock ? w->x_lock_bound : w->x_free_bound;
            printf("%s,%d,%d,%d,%" PRIu64 ",%.4f,%.4f,%.4f,%.4f,%zu,%zu,%" PRIu64 "\n", w->name,
                   w->promises, w->correct, w->holds_lock, w->wall_ns, w->x_serial,
                   w->x_lock_bound, w->x_free_bound, own, r.merchants, r.customers, r.delay_ns);
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

static bool parse_threads(const char *text, unsigned *out, size_t *n) {
    *n = 0;
    const char *p = text;
    while (*p) {
        char *end;
        unsigned long v = strtoul(p, &end, 10);
        if (end == p || v == 0 || v > 64 || *n == 16 || (*end && *end != ','))
            return false;
        out[(*n)++] = (unsigned)v;
        p = *end ? end + 1 : end;
        if (*end == ',' && !*p)
            return false;
    }
    return *n > 0;
}

static int throughput(int argc, char **argv) {
    static const struct option longopts[] = {
        {"threads", required_argument, NULL, 't'}, {"accounts", required_argument, NULL, 'a'},
        {"skew", required_argument, NULL, 'k'},    {"seconds", required_argument, NULL, 'S'},
        {"seed", required_argument, NULL, 's'},    {"json", no_argument, NULL, 'J'},
        {"csv", no_argument, NULL, 'V'},           {0}};
    rl_throughput_opts o = rl_throughput_opts_default();
    unsigned threads[16] = {1, 2};
    size_t nthreads = 2;
    bool json = false, csv = false;
    uint64_t v;
    opterr = 0;
    optind = 1;
    for (int c; (c = getopt_long(argc, argv, "+", longopts, NULL)) != -1;) {
        switch (c) {
        case 't':
            if (!parse_threads(optarg, threads, &nthreads))
                return rl_cli_usage_error("bench throughput", "--threads wants a list such as "
                                                              "1,2,4 (each 1 to 64), not '%s'",
                                          optarg);
            break;
        case 'a':
            if (!rl_cli_parse_u64("bench throughput", "--accounts", optarg, 1, 100000000, &v))
                return EXIT_USAGE;
            o.accounts = v;
            break;
        case 'k':
            if (strcmp(optarg, "uniform") == 0)
                o.skew = RL_SKEW_UNIFORM;
            else if (strcmp(optarg, "zipf") == 0)
                o.skew = RL_SKEW_ZIPF;
            else
                return rl_cli_usage_error("bench throughput", "--skew is uniform or zipf, not '%s'",
                                          optarg);
            break;
        case 'S': {
            char *end;
            double secs = strtod(optarg, &end);
            if (end == optarg || *end || !(secs >= 0.01 && secs <= 600))
                return rl_cli_usage_error("bench throughput", "--seconds wants a number from "
                                                              "0.01 to 600, not '%s'",
                                          optarg);
            o.duration_ns = (uint64_t)(secs * 1e9);
            break;
        }
        case 's':
            if (!rl_cli_parse_u64("bench throughput", "--seed", optarg, 0, UINT64_MAX, &o.seed))
                return EXIT_USAGE;
            break;
        case 'J': json = true; break;
        case 'V': csv = true; break;
        default:
            return rl_cli_usage_error("bench throughput", "unknown or incomplete option '%s'",
                                      argv[optind - 1]);
        }
    }
    if (optind < argc)
        return rl_cli_usage_error("bench throughput", "unexpected argument '%s'", argv[optind]);
    if (json && csv)
        return rl_cli_usage_error("bench throughput", "--json or --csv, not both");
    o.threads = threads;
    o.nthreads = nthreads;
    rl_throughput_result r;
    char why[256] = "";
    rl_err e = rl_bench_throughput(&o, &r, why, sizeof why);
    if (e != RL_OK) {
        fprintf(stderr, "racelab bench throughput: %s%s%s\n", rl_strerror(e), *why ? ": " : "",
                why);
        return EXIT_ERROR;
    }
    int rc = EXIT_HELD;
    for (size_t i = 0; i < r.nrows; i++)
        if (r.rows[i].promises && r.rows[i].complete && !r.rows[i].correct)
            rc = EXIT_BROKEN;
    char a[32], b[32];
    if (csv) {
        printf("name,threads,reference,promises,correct,complete,bills,elapsed_ns,per_second,"
               "x_plain,x_serial,wrong_accounts,lost_updates,refused,accounts,skew\n");
        for (size_t i = 0; i < r.nrows; i++) {
            const rl_throughput_row *w = &r.rows[i];
            printf("%s,%u,%d,%d,%d,%d,%" PRIu64 ",%" PRIu64 ",%.0f,%.4f,%.4f,%" PRIu64 ",%" PRIu64
                   ",%" PRIu64 ",%zu,%s\n",
                   w->name, w->threads, w->reference, w->promises, w->correct, w->complete,
                   w->bills, w->elapsed_ns, w->per_second, w->x_plain, w->x_serial,
                   w->wrong_accounts, w->lost_updates, w->refused, r.accounts,
                   rl_skew_name(r.skew));
        }
    } else if (json) {
        rl_json j;
        rl_json_init(&j, stdout);
        rl_json_object(&j, NULL);
        rl_json_uint(&j, "accounts", r.accounts);
        rl_json_str(&j, "skew", rl_skew_name(r.skew));
        rl_json_uint(&j, "duration_ns", r.duration_ns);
        rl_json_uint(&j, "seed", r.seed);
        rl_json_uint(&j, "setup_ns", r.setup_ns);
        rl_json_uint(&j, "bank_bytes", r.bank_bytes);
        rl_json_array(&j, "rows");
        for (size_t i = 0; i < r.nrows; i++) {
            const rl_throughput_row *w = &r.rows[i];
            rl_json_object(&j, NULL);
            rl_json_str(&j, "name", w->name);
            rl_json_uint(&j, "threads", w->threads);
            rl_json_bool(&j, "reference", w->reference);
            rl_json_bool(&j, "promises_correct", w->promises);
            rl_json_bool(&j, "correct", w->correct);
            rl_json_bool(&j, "complete", w->complete);
            rl_json_uint(&j, "bills", w->bills);
            rl_json_uint(&j, "elapsed_ns", w->elapsed_ns);
            rl_json_double(&j, "per_second", w->per_second);
            rl_json_double(&j, "x_plain", w->x_plain);
            rl_json_double(&j, "x_serial", w->x_serial);
            rl_json_uint(&j, "wrong_accounts", w->wrong_accounts);
            rl_json_uint(&j, "lost_updates", w->lost_updates);
            rl_json_uint(&j, "refused", w->refused);
            rl_json_end(&j, '}');
        }
        rl_json_end(&j, ']');
        rl_json_str(&j, "best", r.best >= 0 ? r.rows[r.best].name : NULL);
        rl_json_end(&j, '}');
    } else {
        printf("throughput: %zu accounts, %s, %s per row, seed %" PRIu64 "\n", r.accounts,
               rl_skew_name(r.skew), ms(r.duration_ns, a, sizeof a), r.seed);
        printf("bank set-up: %zu accounts opened in %s, %.1f MB\n\n", r.accounts,
               ms(r.setup_ns, b, sizeof b), (double)r.bank_bytes / (1024.0 * 1024.0));
        printf("%s%-10s %7s  %-8s %12s %9s %9s%s\n", rl_cli_bold(), "name", "threads", "result",
               "bills/s", "x plain", "x serial", rl_cli_reset());
        for (size_t i = 0; i < r.nrows; i++) {
            const rl_throughput_row *w = &r.rows[i];
            const char *verdict = !w->complete ? "REFUSED" : w->correct ? "correct" : "WRONG";
            char xp[16] = "-";
            if (w->x_plain == w->x_plain)
                snprintf(xp, sizeof xp, "%.3f", w->x_plain);
            printf("%-10s %7u  %s%-8s%s %12.3e %9s %9.3f", w->name, w->threads,
                   w->correct ? rl_cli_green() : rl_cli_red(), verdict, rl_cli_reset(),
                   w->per_second, xp, w->x_serial);
            if (!w->correct && w->complete)
                printf("  (%" PRIu64 " accounts wrong)", w->wrong_accounts);
            if (w->reference)
                printf("  [%s]", w->threads == 1 && strcmp(w->name, "serial") == 0
                                     ? "reference: one thread, no synchronization"
                                     : "reference: unsynchronized, the speed limit");
            putchar('\n');
        }
        if (r.best >= 0)
            printf("\nbest correct strategy at %u threads: %s, %.3f x plain, %.3f x serial\n",
                   r.rows[r.best].threads, r.rows[r.best].name, r.rows[r.best].x_plain,
                   r.rows[r.best].x_serial);
    }
    rl_throughput_result_free(&r);
    return rc;
}

static int explorer(int argc, char **argv) {
    bool csv = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--csv") == 0)
            csv = true;
        else
            return rl_cli_usage_error("bench explore", "unexpected argument '%s'", argv[i]);
    }
    rl_explorer_bench b = {0};
    char why[256] = "";
    rl_err e = rl_bench_explorer(&b, why, sizeof why);
    if (e != RL_OK) {
        fprintf(stderr, "racelab bench explore: %s: %s\n", rl_strerror(e), why);
        return EXIT_ERROR;
    }
    char a[32], c[32];
    if (csv) {
        printf("measure,value,unit\n");
        printf("racy_2x2_schedules_per_second,%.0f,1/s\n", b.racy.per_second);
        printf("mutex_2x2_schedules_per_second,%.0f,1/s\n", b.mutex.per_second);
        printf("racy_5x5_first_failure_median,%" PRIu64 ",ns\n", b.first_failure_median_ns);
        printf("racy_5x5_first_failure_max,%" PRIu64 ",ns\n", b.first_failure_max_ns);
        printf("racy_5x5_first_failure_schedules,%" PRIu64 ",1\n", b.first_failure_schedules);
        return EXIT_HELD;
    }
    printf("explorer speed (complete schedules, whole bounded searches, 2 preemptions)\n");
    printf("  bill:racy  2 x 2: %10.0f schedules/s (%" PRIu64 " schedules)\n", b.racy.per_second,
           b.racy.schedules);
    printf("  bill:mutex 2 x 2: %10.0f schedules/s (%" PRIu64 " schedules)\n", b.mutex.per_second,
           b.mutex.schedules);
    printf("  bill:racy  5 x 5: first failure after %" PRIu64 " schedules in %s (median of 20; "
           "slowest %s)\n",
           b.first_failure_schedules, ms(b.first_failure_median_ns, a, sizeof a),
           ms(b.first_failure_max_ns, c, sizeof c));
    return EXIT_HELD;
}

int rl_cmd_bench(int argc, char **argv) {
    if (rl_cli_wants_help(argc, argv)) {
        print_help();
        return EXIT_HELD;
    }
    if (argc < 2)
        return rl_cli_usage_error("bench", "which benchmark? makespan, throughput or explore");
    if (strcmp(argv[1], "makespan") == 0)
        return makespan(argc - 1, argv + 1);
    if (strcmp(argv[1], "throughput") == 0)
        return throughput(argc - 1, argv + 1);
    if (strcmp(argv[1], "explore") == 0)
        return explorer(argc - 1, argv + 1);
    return rl_cli_usage_error("bench", "unknown benchmark '%s' (makespan, throughput or explore)",
                              argv[1]);
}

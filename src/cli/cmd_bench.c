/* cmd_bench.c - `racelab bench makespan|throughput`: what each fix costs,
 * against the best possible, in one run. */
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "../util/json.h"
#include "racelab/bench.h"
#include "racelab/cycle.h"
#include "racelab/dbbank.h"

static void print_help(void) {
    printf("usage: racelab bench makespan [--merchants M] [--customers C] [--delay S]\n"
           "                              [--seed N] [--bank URL [--force]] [--json | --csv]\n"
           "       racelab bench throughput [--threads 1,2,4] [--accounts N]\n"
           "                              [--skew uniform|zipf] [--seconds S] [--seed N]\n"
           "                              [--strategies a,b] [--json | --csv]\n"
           "       racelab bench db --bank URL [--force] --processes [--clients 1,2,4]\n"
           "                              [--bills N]\n"
           "       racelab bench db --bank URL [--force] [--clients 1,2,4] [--accounts N]\n"
           "                              [--seconds S] [--pgbench PATH|none]\n"
           "                              [--strategies a,b] [--json | --csv]\n"
           "       racelab bench explore [--csv] [--proof-cap N] [--seconds S]\n"
           "                             [-- PROGRAM [ARG...]]\n"
           "       racelab bench explore --memory [--csv] [--seconds S]\n"
           "       racelab bench explore --jobs [--csv] [-- PROGRAM [ARG...]]\n"
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
           "--strategies runs only the strategies named (default: every one).\n"
           "\n"
           "--bank's racelab_* tables are made anew for the benchmark, replacing only the\n"
           "scratch bank of an earlier run: any other racelab_* table there (a bank 'racelab\n"
           "bank init' made) is refused and left alone, unless --force.\n"
           "\n"
           "db: the throughput benchmark in a database (default 100,000 accounts, 1, 2 and\n"
           "4 clients, 2 s per row), each client its own connection; on PostgreSQL a\n"
           "reference row per client count: pgbench (found in Debian's PostgreSQL, or\n"
           "--pgbench PATH) running exactly the atomic bill's UPDATE on the same table.\n"
           "Every row is checked against the bills it applied, as for throughput.\n"
           "With --processes instead: merchants as separate processes (racelab merchant),\n"
           "N at once for each --clients N, each billing --bills customers of its own\n"
           "(default 2000), with the ledger and without it (balance + bill): what exactly\n"
           "once costs.\n"
           "\n"
           "explore: the explorer's speed: schedules per second on whole searches of\n"
           "bill:racy and bill:mutex at 2 x 2, and the time to bill:racy's first failure\n"
           "at 5 x 5; with a program after --, its schedules per second under\n"
           "'racelab explore --' (bound 3, searched again and again); each rate measured\n"
           "for --seconds S (default 1). Then\n"
           "proofs (every schedule of bill:mutex 3 x 3 and bill:processor up to 3 x 2) with\n"
           "partial-order reduction and without, each stopped at --proof-cap schedules\n"
           "(default 1000000), and the schedules delay bounding, PCT and the bounded search\n"
           "need to find a late thread among 10 and 20 (startup:unordered).\n"
           "With --memory instead: what it costs to make every memory access a step. A\n"
           "small program (two threads each reading a 1,000-int array 50 times) is built\n"
           "by cc and by racelab cc in a temporary directory; each build is explored\n"
           "(bound 1, 50 schedules a search, for --seconds S, default 2), racelab cc's with\n"
           "data races looked for and ignored: schedules per second, the time of a\n"
           "scheduled access (the difference per schedule over the difference in steps),\n"
           "and natively the time an access costs more in racelab cc's build.\n"
           "With --jobs instead: what worker processes buy. Whole bounded searches of\n"
           "bill:mutex 3 x 3 (bound 3) and of PROGRAM (bound 2) with -j 1, 2, ... up to\n"
           "the online CPUs, best of 3 runs each: schedules per second and the ratio to\n"
           "-j 1.\n"
           "\n"
           "Exit status: 0 when every strategy that promises correct balances gave them,\n"
           "1 when one did not, 2 for bad usage, 3 if the benchmark could not run.\n");
}

static const char *ms(uint64_t ns, char *buf, size_t len) {
    return rl_cli_format_duration(ns, buf, len);
}

/* The progress line of a benchmark: the row being measured. */
static void row_line(void *ctx, const char *row, size_t index, size_t rows) {
    rl_cli_progress_show(ctx, "measuring %s (row %zu of %zu)", row, index + 1, rows);
}

/* makespan's arguments into o and the output form; -1 when they are good,
 * else the exit status. */
static int parse_makespan(int argc, char **argv, rl_makespan_opts *o, bool *json, bool *csv) {
    static const struct option longopts[] = {
        {"merchants", required_argument, NULL, 'M'}, {"customers", required_argument, NULL, 'C'},
        {"delay", required_argument, NULL, 'd'},     {"seed", required_argument, NULL, 's'},
        {"json", no_argument, NULL, 'J'},            {"csv", no_argument, NULL, 'V'},
        {"bank", required_argument, NULL, 'B'},      {"force", no_argument, NULL, 'f'},
        {0}};
    *o = rl_makespan_opts_default();
    *json = *csv = false;
    uint64_t v;
    opterr = 0;
    optind = 1;
    for (int c; (c = getopt_long(argc, argv, "+", longopts, NULL)) != -1;) {
        switch (c) {
        case 'M':
            if (!rl_cli_parse_u64("bench makespan", "--merchants", optarg, 1, 64, &v))
                return EXIT_USAGE;
            o->merchants = v;
            break;
        case 'C':
            if (!rl_cli_parse_u64("bench makespan", "--customers", optarg, 1, 100000, &v))
                return EXIT_USAGE;
            o->customers = v;
            break;
        case 'd':
            if (!rl_cli_parse_duration("bench makespan", "--delay", optarg, 1000000000u,
                                       &o->delay_ns))
                return EXIT_USAGE;
            if (o->delay_ns == 0)
                return rl_cli_usage_error("bench makespan", "--delay must be positive: the "
                                                            "bounds are multiples of it");
            break;
        case 's':
            if (!rl_cli_parse_u64("bench makespan", "--seed", optarg, 0, UINT64_MAX, &o->seed))
                return EXIT_USAGE;
            break;
        case 'J': *json = true; break;
        case 'V': *csv = true; break;
        case 'B':
            if (!rl_cli_parse_bank("bench makespan", optarg, &o->bank))
                return EXIT_USAGE;
            break;
        case 'f': o->replace_bank = true; break;
        default:
            return rl_cli_usage_error("bench makespan", "unknown or incomplete option '%s'",
                                      argv[optind - 1]);
        }
    }
    if (optind < argc)
        return rl_cli_usage_error("bench makespan", "unexpected argument '%s'", argv[optind]);
    if (*json && *csv)
        return rl_cli_usage_error("bench makespan", "--json or --csv, not both");
    return -1;
}

static void print_makespan_csv(const rl_makespan_result *r) {
    /* x_own_bound: against the bound that applies to the row: serial
     * M*C*s, lock held in the slow step max(M,C)*s, otherwise C*s */
    printf("strategy,promises,correct,holds_lock,wall_ns,x_serial,x_lock_bound,x_free_bound,"
           "x_own_bound,merchants,customers,delay_ns\n");
    for (size_t i = 0; i < r->nrows; i++) {
        const rl_makespan_row *w = &r->rows[i];
        double own = i == 0 ? w->x_serial : w->holds_lock ? w->x_lock_bound : w->x_free_bound;
        printf("%s,%d,%d,%d,%" PRIu64 ",%.4f,%.4f,%.4f,%.4f,%zu,%zu,%" PRIu64 "\n", w->name,
               w->promises, w->correct, w->holds_lock, w->wall_ns, w->x_serial,
               w->x_lock_bound, w->x_free_bound, own, r->merchants, r->customers, r->delay_ns);
    }
}

static void print_makespan_json(const rl_makespan_result *r) {
    rl__json j;
    rl__json_init(&j, stdout);
    rl__json_object(&j, NULL);
    rl__json_uint(&j, "merchants", r->merchants);
    rl__json_uint(&j, "customers", r->customers);
    rl__json_uint(&j, "delay_ns", r->delay_ns);
    rl__json_uint(&j, "seed", r->seed);
    rl__json_uint(&j, "serial_bound_ns", r->serial_bound_ns);
    rl__json_uint(&j, "lock_bound_ns", r->lock_bound_ns);
    rl__json_uint(&j, "free_bound_ns", r->free_bound_ns);
    rl__json_array(&j, "strategies");
    for (size_t i = 0; i < r->nrows; i++) {
        const rl_makespan_row *w = &r->rows[i];
        rl__json_object(&j, NULL);
        rl__json_str(&j, "name", w->name);
        rl__json_bool(&j, "promises_correct", w->promises);
        rl__json_bool(&j, "correct", w->correct);
        rl__json_bool(&j, "holds_lock_in_slow_step", w->holds_lock);
        rl__json_uint(&j, "wall_ns", w->wall_ns);
        rl__json_double(&j, "x_serial", w->x_serial);
        rl__json_double(&j, "x_lock_bound", w->x_lock_bound);
        rl__json_double(&j, "x_free_bound", w->x_free_bound);
        rl__json_uint(&j, "lost_updates", w->lost_updates);
        rl__json_uint(&j, "retries", w->retries);
        rl__json_end(&j, '}');
    }
    rl__json_end(&j, ']');
    rl__json_str(&j, "best_lock_holding", r->best_lock >= 0 ? r->rows[r->best_lock].name : NULL);
    rl__json_str(&j, "best_overall", r->best_overall >= 0 ? r->rows[r->best_overall].name : NULL);
    rl__json_end(&j, '}');
}

static void print_makespan_text(const rl_makespan_result *r) {
    char a[32], b[32], c[32];
    printf("makespan: %zu merchants x %zu customers, slow step %s, seed %" PRIu64 "\n",
           r->merchants, r->customers, ms(r->delay_ns, a, sizeof a), r->seed);
    printf("bounds: serial M*C*s = %s; lock held in the slow step max(M,C)*s = %s; "
           "slow step outside locks C*s = %s\n\n",
           ms(r->serial_bound_ns, a, sizeof a), ms(r->lock_bound_ns, b, sizeof b),
           ms(r->free_bound_ns, c, sizeof c));
    printf("%s%-16s %-8s %-5s %10s %9s %12s %8s%s\n", rl_cli_bold(), "strategy", "result",
           "lock", "wall", "x serial", "x max(M,C)s", "x C*s", rl_cli_reset());
    for (size_t i = 0; i < r->nrows; i++) {
        const rl_makespan_row *w = &r->rows[i];
        printf("%-16s %s%-8s%s %-5s %10s %9.3f %12.3f %8.3f\n", w->name,
               w->correct ? rl_cli_green() : rl_cli_red(), w->correct ? "correct" : "WRONG",
               rl_cli_reset(), w->holds_lock ? "yes" : "no", ms(w->wall_ns, a, sizeof a),
               w->x_serial, w->x_lock_bound, w->x_free_bound);
    }
    putchar('\n');
    if (r->best_lock >= 0)
        printf("best correct lock-holding: %s, %.3f x max(M,C)*s\n", r->rows[r->best_lock].name,
               r->rows[r->best_lock].x_lock_bound);
    if (r->best_overall >= 0)
        printf("best correct overall:      %s, %.3f x C*s\n", r->rows[r->best_overall].name,
               r->rows[r->best_overall].x_free_bound);
    for (size_t i = 0; i < r->nrows; i++)
        if (!r->rows[i].correct)
            printf("%s%s ended with wrong balances%s (%" PRIu64 " lost updates): flagged, "
                   "never counted as fast\n",
                   rl_cli_red(), r->rows[i].name, rl_cli_reset(), r->rows[i].lost_updates);
}

static int makespan(int argc, char **argv) {
    rl_makespan_opts o;
    bool json, csv;
    int rc = parse_makespan(argc, argv, &o, &json, &csv);
    if (rc >= 0)
        return rc;
    /* the slow step is a sleep: ask the kernel not to stretch it */
    (void)prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
    rl_makespan_result r;
    char why[256] = "";
    rl_cli_progress line;
    rl_cli_progress_init(&line, !json && !csv);
    o.row_progress = row_line;
    o.progress_ctx = &line;
    rl_err e = rl_bench_makespan(&o, &r, why, sizeof why);
    rl_cli_progress_clear(&line);
    if (e != RL_OK)
        return rl_cli_bank_failed("bench makespan", o.bank, e, why, "--force");
    if (csv)
        print_makespan_csv(&r);
    else if (json)
        print_makespan_json(&r);
    else
        print_makespan_text(&r);
    rc = EXIT_HELD;
    for (size_t i = 0; i < r.nrows; i++)
        if (r.rows[i].promises && !r.rows[i].correct)
            rc = EXIT_BROKEN;
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

/* The throughput table, CSV or JSON; db: the database form (pgbench as
 * the reference column instead of plain and serial). */
static void print_throughput_csv(const rl_throughput_result *r) {
    printf("name,threads,reference,promises,correct,complete,bills,elapsed_ns,per_second,"
           "x_plain,x_serial,x_pgbench,wrong_accounts,lost_updates,refused,accounts,skew,bank\n");
    for (size_t i = 0; i < r->nrows; i++) {
        const rl_throughput_row *w = &r->rows[i];
        printf("%s,%u,%d,%d,%d,%d,%" PRIu64 ",%" PRIu64 ",%.0f,%.4f,%.4f,%.4f,%" PRIu64
               ",%" PRIu64 ",%" PRIu64 ",%zu,%s,%s\n",
               w->name, w->threads, w->reference, w->promises, w->correct, w->complete, w->bills,
               w->elapsed_ns, w->per_second, w->x_plain, w->x_serial, w->x_ref,
               w->wrong_accounts, w->lost_updates, w->refused, r->accounts, rl_skew_name(r->skew),
               r->bank_kind);
    }
}

static void print_throughput_json(const rl_throughput_result *r) {
    rl__json j;
    rl__json_init(&j, stdout);
    rl__json_object(&j, NULL);
    rl__json_str(&j, "bank", r->bank_kind);
    rl__json_uint(&j, "accounts", r->accounts);
    rl__json_str(&j, "skew", rl_skew_name(r->skew));
    rl__json_uint(&j, "duration_ns", r->duration_ns);
    rl__json_uint(&j, "seed", r->seed);
    rl__json_uint(&j, "setup_ns", r->setup_ns);
    rl__json_uint(&j, "bank_bytes", r->bank_bytes);
    rl__json_array(&j, "rows");
    for (size_t i = 0; i < r->nrows; i++) {
        const rl_throughput_row *w = &r->rows[i];
        rl__json_object(&j, NULL);
        rl__json_str(&j, "name", w->name);
        rl__json_uint(&j, "threads", w->threads);
        rl__json_bool(&j, "reference", w->reference);
        rl__json_bool(&j, "checked", !w->external);
        rl__json_bool(&j, "promises_correct", w->promises);
        rl__json_bool(&j, "correct", w->correct);
        rl__json_bool(&j, "complete", w->complete);
        rl__json_uint(&j, "bills", w->bills);
        rl__json_uint(&j, "elapsed_ns", w->elapsed_ns);
        rl__json_double(&j, "per_second", w->per_second);
        rl__json_double(&j, "x_plain", w->x_plain);
        rl__json_double(&j, "x_serial", w->x_serial);
        rl__json_double(&j, "x_pgbench", w->x_ref);
        rl__json_uint(&j, "wrong_accounts", w->wrong_accounts);
        rl__json_uint(&j, "lost_updates", w->lost_updates);
        rl__json_uint(&j, "refused", w->refused);
        rl__json_end(&j, '}');
    }
    rl__json_end(&j, ']');
    rl__json_str(&j, "best", r->best >= 0 ? r->rows[r->best].name : NULL);
    rl__json_end(&j, '}');
}

static const char *ratio(double x, char *buf, size_t len) {
    if (x == x)
        snprintf(buf, len, "%.3f", x);
    else
        snprintf(buf, len, "-");
    return buf;
}

static void print_throughput_text(const rl_throughput_result *r, bool db) {
    char a[32], b[32], x1[16], x2[16];
    printf("throughput: %zu accounts (%s bank), %s, %s per row, seed %" PRIu64 "\n", r->accounts,
           r->bank_kind, rl_skew_name(r->skew), ms(r->duration_ns, a, sizeof a), r->seed);
    printf("bank set-up: %zu accounts opened in %s", r->accounts, ms(r->setup_ns, b, sizeof b));
    if (!db)
        printf(", %.1f MB", (double)r->bank_bytes / (1024.0 * 1024.0));
    printf("\n\n");
    if (db)
        printf("%s%-16s %7s  %-8s %12s %10s%s\n", rl_cli_bold(), "name", "clients", "result",
               "bills/s", "x pgbench", rl_cli_reset());
    else
        printf("%s%-16s %7s  %-8s %12s %9s %9s%s\n", rl_cli_bold(), "name", "threads", "result",
               "bills/s", "x plain", "x serial", rl_cli_reset());
    for (size_t i = 0; i < r->nrows; i++) {
        const rl_throughput_row *w = &r->rows[i];
        const char *verdict = w->external    ? "pgbench"
                              : !w->complete ? "REFUSED"
                              : w->correct   ? "correct"
                                             : "WRONG";
        const char *colour = w->external ? "" : w->correct ? rl_cli_green() : rl_cli_red();
        printf("%-16s %7u  %s%-8s%s %12.3e", w->name, w->threads, colour, verdict,
               w->external ? "" : rl_cli_reset(), w->per_second);
        if (db)
            printf(" %10s", ratio(w->x_ref, x1, sizeof x1));
        else
            printf(" %9s %9s", ratio(w->x_plain, x1, sizeof x1), ratio(w->x_serial, x2, sizeof x2));
        if (!w->correct && w->complete && !w->external)
            printf("  (%" PRIu64 " accounts wrong)", w->wrong_accounts);
        if (w->external)
            printf("  [reference: pgbench running the atomic bill's UPDATE]");
        else if (w->reference)
            printf("  [%s]", w->threads == 1 && strcmp(w->name, "serial") == 0
                                 ? "reference: one thread, no synchronization"
                                 : "reference: unsynchronized, the speed limit");
        putchar('\n');
    }
    if (r->best >= 0) {
        const rl_throughput_row *w = &r->rows[r->best];
        if (db)
            printf("\nbest correct strategy at %u clients: %s, %s x pgbench\n", w->threads,
                   w->name, ratio(w->x_ref, x1, sizeof x1));
        else
            printf("\nbest correct strategy at %u threads: %s, %.3f x plain, %.3f x serial\n",
                   w->threads, w->name, w->x_plain, w->x_serial);
    }
}

/* Run the throughput benchmark and print it; the exit status. */
static int run_throughput(const char *verb, const rl_throughput_opts *o, bool json, bool csv,
                          bool db) {
    rl_throughput_result r;
    char why[512] = "";
    rl_cli_progress line;
    rl_cli_progress_init(&line, !json && !csv);
    rl_throughput_opts shown = *o;
    shown.row_progress = row_line;
    shown.progress_ctx = &line;
    rl_err e = rl_bench_throughput(&shown, &r, why, sizeof why);
    rl_cli_progress_clear(&line);
    if (e != RL_OK)
        return rl_cli_bank_failed(verb, o->bank, e, why, "--force");
    int rc = EXIT_HELD;
    for (size_t i = 0; i < r.nrows; i++)
        if (r.rows[i].promises && r.rows[i].complete && !r.rows[i].correct)
            rc = EXIT_BROKEN;
    if (csv)
        print_throughput_csv(&r);
    else if (json)
        print_throughput_json(&r);
    else
        print_throughput_text(&r, db);
    rl_throughput_result_free(&r);
    return rc;
}

/* --strategies a,b,c into list (at most cap names). */
static bool parse_strategies(const char *verb, const char *text, const rl_strategy **list,
                             size_t cap, size_t *n) {
    *n = 0;
    char buf[512];
    snprintf(buf, sizeof buf, "%s", text);
    for (char *save = NULL, *name = strtok_r(buf, ",", &save); name;
         name = strtok_r(NULL, ",", &save)) {
        const rl_strategy *s = rl_strategy_find(name);
        if (!s || *n == cap) {
            rl_cli_usage_error(verb, "--strategies wants names from 'racelab bill --help', "
                                     "separated by commas, not '%s'",
                               name);
            return false;
        }
        list[(*n)++] = s;
    }
    if (*n == 0)
        rl_cli_usage_error(verb, "--strategies wants at least one name");
    return *n > 0;
}

/* --strategies for merchant processes: the correct strategies of
 * 'racelab merchant' (racy is no fix to measure). */
static bool parse_cycle_strategies(const char *text, rl_cycle_strategy *list, size_t *n) {
    *n = 0;
    char buf[512];
    snprintf(buf, sizeof buf, "%s", text);
    for (char *save = NULL, *name = strtok_r(buf, ",", &save); name;
         name = strtok_r(NULL, ",", &save)) {
        rl_cycle_strategy s;
        if (!rl_cycle_strategy_find(name, &s) || s == RL_CYCLE_RACY ||
            *n == RL_CYCLE_NSTRATEGIES) {
            rl_cli_usage_error("bench db", "--strategies with --processes wants correct "
                                           "strategies of 'racelab merchant --help', "
                                           "separated by commas, not '%s'",
                               name);
            return false;
        }
        list[(*n)++] = s;
    }
    if (*n == 0)
        rl_cli_usage_error("bench db", "--strategies wants at least one name");
    return *n > 0;
}

/* The options throughput and db share. Returns -1 when c is not one of
 * them, else 0 or the usage exit status. */
static const rl_strategy *chosen[32];

static int throughput_option(const char *verb, int c, rl_throughput_opts *o, unsigned *threads,
                             size_t *nthreads, bool *json, bool *csv) {
    uint64_t v;
    switch (c) {
    case 'L':
        if (!parse_strategies(verb, optarg, chosen, 32, &o->nstrategies))
            return EXIT_USAGE;
        o->strategies = chosen;
        return 0;
    case 't':
        if (!parse_threads(optarg, threads, nthreads))
            return rl_cli_usage_error(verb, "--threads/--clients wants a list such as 1,2,4 "
                                            "(each 1 to 64), not '%s'",
                                      optarg);
        return 0;
    case 'a':
        if (!rl_cli_parse_u64(verb, "--accounts", optarg, 1, 100000000, &v))
            return EXIT_USAGE;
        o->accounts = v;
        return 0;
    case 'k':
        if (strcmp(optarg, "uniform") == 0)
            o->skew = RL_SKEW_UNIFORM;
        else if (strcmp(optarg, "zipf") == 0)
            o->skew = RL_SKEW_ZIPF;
        else
            return rl_cli_usage_error(verb, "--skew is uniform or zipf, not '%s'", optarg);
        return 0;
    case 'S': {
        char *end;
        double secs = strtod(optarg, &end);
        if (end == optarg || *end || !(secs >= 0.01 && secs <= 600))
            return rl_cli_usage_error(verb, "--seconds wants a number from 0.01 to 600, not '%s'",
                                      optarg);
        o->duration_ns = (uint64_t)(secs * 1e9);
        return 0;
    }
    case 's':
        return rl_cli_parse_u64(verb, "--seed", optarg, 0, UINT64_MAX, &o->seed) ? 0 : EXIT_USAGE;
    case 'J': *json = true; return 0;
    case 'V': *csv = true; return 0;
    }
    return -1;
}

static int throughput(int argc, char **argv) {
    static const struct option longopts[] = {
        {"threads", required_argument, NULL, 't'}, {"accounts", required_argument, NULL, 'a'},
        {"skew", required_argument, NULL, 'k'},    {"seconds", required_argument, NULL, 'S'},
        {"seed", required_argument, NULL, 's'},    {"json", no_argument, NULL, 'J'},
        {"csv", no_argument, NULL, 'V'},           {"strategies", required_argument, NULL, 'L'},
        {0}};
    rl_throughput_opts o = rl_throughput_opts_default();
    unsigned threads[16] = {1, 2};
    size_t nthreads = 2;
    bool json = false, csv = false;
    opterr = 0;
    optind = 1;
    for (int c; (c = getopt_long(argc, argv, "+", longopts, NULL)) != -1;) {
        int rc = throughput_option("bench throughput", c, &o, threads, &nthreads, &json, &csv);
        if (rc > 0)
            return rc;
        if (rc < 0)
            return rl_cli_usage_error("bench throughput", "unknown or incomplete option '%s'",
                                      argv[optind - 1]);
    }
    if (optind < argc)
        return rl_cli_usage_error("bench throughput", "unexpected argument '%s'", argv[optind]);
    if (json && csv)
        return rl_cli_usage_error("bench throughput", "--json or --csv, not both");
    o.threads = threads;
    o.nthreads = nthreads;
    return run_throughput("bench throughput", &o, json, csv, false);
}

/* pgbench from Debian's PostgreSQL (newest version first), else PATH. */
static const char *find_pgbench(char *buf, size_t len) {
    for (int v = 30; v >= 10; v--) {
        snprintf(buf, len, "/usr/lib/postgresql/%d/bin/pgbench", v);
        if (access(buf, X_OK) == 0)
            return buf;
    }
    return "pgbench";
}

/* ---- merchant processes: racelab merchant, one process each ---- */

extern char **environ;

/* Run n merchant processes of this very program on url, each billing
 * `bills` customers of its own (a generated data set, nobody shares a
 * customer), with strategy; the rate is all bills over the slowest
 * merchant's billing time (each measures its own, without its start-up). */
static int merchant_rate(const char *url, unsigned n, unsigned bills, const char *strategy,
                         bool ledger, bool force, double *rate, char *why, size_t why_len) {
    char gen[64], exe[4096];
    snprintf(gen, sizeof gen, "%ux%ux%u", n, n * bills, bills);
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (len <= 0) {
        snprintf(why, why_len, "cannot find this program (/proc/self/exe)");
        return EXIT_ERROR;
    }
    exe[len] = '\0';
    /* a fresh bank for this row: replacing the previous row's, and only
     * with --force whatever was there before the first */
    char *init[] = {exe, "bank", "init", "--bank", (char *)url, "--generate", gen,
                    force ? "--force" : NULL, NULL};
    pid_t pid;
    int status = 0;
    posix_spawn_file_actions_t quiet;
    posix_spawn_file_actions_init(&quiet);
    posix_spawn_file_actions_addopen(&quiet, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    int spawned = posix_spawn(&pid, exe, &quiet, NULL, init, environ);
    posix_spawn_file_actions_destroy(&quiet);
    if (spawned != 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
        WEXITSTATUS(status) != 0) {
        snprintf(why, why_len, "racelab bank init --generate %s failed", gen);
        /* its own words are on stderr: a bank there already is bad usage */
        return WIFEXITED(status) && WEXITSTATUS(status) == EXIT_USAGE ? EXIT_USAGE : EXIT_ERROR;
    }
    pid_t pids[64];
    FILE *outs[64];
    for (unsigned k = 0; k < n; k++) {
        char name[16];
        snprintf(name, sizeof name, "m%u", k + 1);
        outs[k] = tmpfile();
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        if (outs[k])
            posix_spawn_file_actions_adddup2(&fa, fileno(outs[k]), STDOUT_FILENO);
        char *args[] = {exe,          "merchant", name,   "--bank",
                        (char *)url,  "--cycle",  "1",    "--generate",
                        gen,          "--strategy", (char *)strategy, "--json",
                        ledger ? NULL : "--no-ledger", NULL};
        if (!outs[k] || posix_spawn(&pids[k], exe, &fa, NULL, args, environ) != 0)
            pids[k] = -1;
        posix_spawn_file_actions_destroy(&fa);
    }
    uint64_t slowest = 0;
    int rc = EXIT_HELD;
    for (unsigned k = 0; k < n; k++) {
        if (pids[k] < 0 || waitpid(pids[k], &status, 0) < 0 || !WIFEXITED(status) ||
            WEXITSTATUS(status) != 0)
            rc = EXIT_ERROR;
        char line[512] = "";
        if (outs[k]) {
            rewind(outs[k]);
            if (!fgets(line, sizeof line, outs[k]))
                line[0] = '\0';
            fclose(outs[k]);
        }
        const char *at = strstr(line, "\"elapsed_ns\": ");
        uint64_t ns = at ? strtoull(at + strlen("\"elapsed_ns\": "), NULL, 10) : 0;
        if (!at)
            rc = EXIT_ERROR;
        if (ns > slowest)
            slowest = ns;
    }
    if (rc != EXIT_HELD) {
        snprintf(why, why_len, "a merchant process (%s) failed", strategy);
        return rc;
    }
    *rate = slowest ? (double)n * bills / ((double)slowest / 1e9) : 0;
    return EXIT_HELD;
}

/* One row per process count and strategy: bills per second with the
 * ledger and without, and against pgbench's clients running the atomic
 * bill on the same accounts (PostgreSQL only; pgbench NULL: none). */
static int processes_table(const char *url, const unsigned *clients, size_t nclients,
                           unsigned bills, const rl_cycle_strategy *strategies,
                           size_t nstrategies, const char *pgbench, uint64_t seconds_ns,
                           bool force) {
    rl_bank_backend be;
    if (rl_bank_url_parse(url, &be, NULL, NULL, 0) != RL_OK || be != RL_BACKEND_POSTGRESQL)
        pgbench = NULL;
    printf("merchant processes (racelab merchant, one process each, %u bills each, every\n"
           "merchant its own customers): bills per second over the slowest merchant's billing\n"
           "time, with the ledger (each bill applied exactly once) and without%s\n",
           bills, pgbench ? ";\nx pgbench: the ledger's rate over pgbench's clients running "
                            "the atomic bill" : "");
    printf("%-10s %-16s %10s %10s %12s %10s\n", "processes", "strategy", "ledger", "no ledger",
           "ledger cost", pgbench ? "x pgbench" : "");
    rl_cli_progress line;
    rl_cli_progress_init(&line, true);
    for (size_t i = 0; i < nclients; i++) {
        if (clients[i] > 64)
            return rl_cli_usage_error("bench db", "at most 64 merchant processes");
        double tps = 0;
        for (size_t k = 0; k < nstrategies; k++) {
            const char *name = rl_cycle_strategy_name(strategies[k]);
            double with = 0, without = 0;
            char why[256] = "";
            rl_cli_progress_show(&line, "measuring %s with %u merchant process%s (row %zu of %zu)",
                                 name, clients[i], clients[i] == 1 ? "" : "es",
                                 i * nstrategies + k + 1, nclients * nstrategies);
            bool first = i == 0 && k == 0;
            int rc = merchant_rate(url, clients[i], bills, name, true, force || !first, &with,
                                   why, sizeof why);
            if (rc == EXIT_HELD)
                rc = merchant_rate(url, clients[i], bills, name, false, true, &without, why,
                                   sizeof why);
            if (rc == EXIT_HELD && pgbench && k == 0) {
                /* on the bank the merchants just used: its accounts */
                rl_err e = rl_bench_pgbench(pgbench, url, clients[i], seconds_ns,
                                            (size_t)clients[i] * bills, &tps, why, sizeof why);
                rc = e == RL_OK ? EXIT_HELD : EXIT_ERROR;
            }
            rl_cli_progress_clear(&line);
            if (rc != EXIT_HELD) {
                fprintf(stderr, "racelab bench db: %s\n", why);
                return rc;
            }
            printf("%-10u %-16s %10.0f %10.0f %11.2fx", clients[i], name, with, without,
                   with > 0 ? without / with : 0);
            if (pgbench)
                printf(" %10.2f", tps > 0 ? with / tps : 0);
            printf("\n");
            fflush(stdout);
        }
        if (pgbench)
            printf("%-10u %-16s %10.0f %10s %12s %10.2f\n", clients[i], "pgbench", tps, "-", "-",
                   1.0);
    }
    return EXIT_HELD;
}

static int db(int argc, char **argv) {
    static const struct option longopts[] = {
        {"clients", required_argument, NULL, 't'}, {"accounts", required_argument, NULL, 'a'},
        {"skew", required_argument, NULL, 'k'},    {"seconds", required_argument, NULL, 'S'},
        {"seed", required_argument, NULL, 's'},    {"json", no_argument, NULL, 'J'},
        {"csv", no_argument, NULL, 'V'},           {"bank", required_argument, NULL, 'B'},
        {"pgbench", required_argument, NULL, 'P'}, {"strategies", required_argument, NULL, 'L'},
        {"processes", no_argument, NULL, 'X'},     {"bills", required_argument, NULL, 'b'},
        {"force", no_argument, NULL, 'f'},         {0}};
    bool processes = false;
    uint64_t bills = 2000;
    const char *names = NULL; /* --strategies, read once --processes is known */
    rl_throughput_opts o = rl_throughput_opts_default();
    o.accounts = 100000;
    o.duration_ns = 2000000000u;
    unsigned threads[16] = {1, 2, 4};
    size_t nthreads = 3;
    bool json = false, csv = false;
    char found[64];
    o.pgbench = find_pgbench(found, sizeof found);
    opterr = 0;
    optind = 1;
    for (int c; (c = getopt_long(argc, argv, "+", longopts, NULL)) != -1;) {
        if (c == 'B') {
            if (!rl_cli_parse_bank("bench db", optarg, &o.bank))
                return EXIT_USAGE;
            continue;
        }
        if (c == 'P') {
            o.pgbench = strcmp(optarg, "none") == 0 ? NULL : optarg;
            continue;
        }
        if (c == 'X') {
            processes = true;
            continue;
        }
        if (c == 'f') {
            o.replace_bank = true;
            continue;
        }
        if (c == 'b') {
            if (!rl_cli_parse_u64("bench db", "--bills", optarg, 1, 1000000, &bills))
                return EXIT_USAGE;
            continue;
        }
        if (c == 'L') {
            names = optarg;
            continue;
        }
        int rc = throughput_option("bench db", c, &o, threads, &nthreads, &json, &csv);
        if (rc > 0)
            return rc;
        if (rc < 0)
            return rl_cli_usage_error("bench db", "unknown or incomplete option '%s'",
                                      argv[optind - 1]);
    }
    if (optind < argc)
        return rl_cli_usage_error("bench db", "unexpected argument '%s'", argv[optind]);
    if (!o.bank)
        return rl_cli_usage_error("bench db", "--bank is required (sqlite:PATH or a PostgreSQL "
                                              "URL)");
    if (json && csv)
        return rl_cli_usage_error("bench db", "--json or --csv, not both");
    o.threads = threads;
    o.nthreads = nthreads;
    if (processes) {
        if (json || csv)
            return rl_cli_usage_error("bench db", "--processes prints a table (no --json/--csv)");
        rl_cycle_strategy list[RL_CYCLE_NSTRATEGIES] = {RL_CYCLE_ATOMIC, RL_CYCLE_MUTEX,
                                                        RL_CYCLE_CAS, RL_CYCLE_SERIALIZABLE};
        size_t n = 4;
        if (names && !parse_cycle_strategies(names, list, &n))
            return EXIT_USAGE;
        return processes_table(o.bank, threads, nthreads, (unsigned)bills, list, n, o.pgbench,
                               o.duration_ns, o.replace_bank);
    }
    if (names && !parse_strategies("bench db", names, chosen, 32, &o.nstrategies))
        return EXIT_USAGE;
    if (names)
        o.strategies = chosen;
    return run_throughput("bench db", &o, json, csv, true);
}

static void print_explorer_csv(const rl_explorer_bench *b) {
    printf("measure,value,unit\n");
    printf("racy_2x2_schedules_per_second,%.0f,1/s\n", b->racy.per_second);
    printf("mutex_2x2_schedules_per_second,%.0f,1/s\n", b->mutex.per_second);
    printf("racy_5x5_first_failure_median,%" PRIu64 ",ns\n", b->first_failure_median_ns);
    printf("racy_5x5_first_failure_max,%" PRIu64 ",ns\n", b->first_failure_max_ns);
    printf("racy_5x5_first_failure_schedules,%" PRIu64 ",1\n", b->first_failure_schedules);
    if (b->program) {
        printf("program_schedules_per_second,%.0f,1/s\n", b->prog.per_second);
        printf("fork_floor_schedules_per_second,%.0f,1/s\n", b->prog.floor_per_second);
    }
    for (size_t i = 0; i < b->nproofs; i++) {
        const char *t = b->proofs[i].target + strlen("bill:");
        unsigned m = b->proofs[i].merchants, c2 = b->proofs[i].customers;
        printf("%s_%ux%u_reduced_schedules,%" PRIu64 ",%s\n", t, m, c2,
               b->proofs[i].reduced.schedules, b->proofs[i].reduced.complete ? "1" : "lower bound");
        printf("%s_%ux%u_reduced_time,%" PRIu64 ",ns\n", t, m, c2,
               b->proofs[i].reduced.elapsed_ns);
        printf("%s_%ux%u_unreduced_schedules,%" PRIu64 ",%s\n", t, m, c2,
               b->proofs[i].unreduced.schedules,
               b->proofs[i].unreduced.complete ? "1" : "lower bound");
        printf("%s_%ux%u_unreduced_time,%" PRIu64 ",ns\n", t, m, c2,
               b->proofs[i].unreduced.elapsed_ns);
    }
    for (size_t i = 0; i < 2; i++) {
        unsigned n = b->many[i].threads;
        printf("startup_%u_delays1_schedules,%" PRIu64 ",%s\n", n, b->many[i].delays.schedules,
               b->many[i].delays.found ? "1" : "not found");
        printf("startup_%u_pct1_schedules,%" PRIu64 ",%s\n", n, b->many[i].pct.schedules,
               b->many[i].pct.found ? "1" : "not found");
        printf("startup_%u_bounded2_schedules,%" PRIu64 ",%s\n", n,
               b->many[i].bounded.schedules, b->many[i].bounded.found ? "1" : "not found");
    }
}

static void print_explorer_text(const rl_explorer_bench *b) {
    char a[32], c[32];
    printf("explorer speed (complete schedules, whole bounded searches, 2 preemptions)\n");
    printf("  bill:racy  2 x 2: %10.0f schedules/s (%" PRIu64 " schedules)\n", b->racy.per_second,
           b->racy.schedules);
    printf("  bill:mutex 2 x 2: %10.0f schedules/s (%" PRIu64 " schedules)\n", b->mutex.per_second,
           b->mutex.schedules);
    printf("  bill:racy  5 x 5: first failure after %" PRIu64 " schedules in %s (median of 20; "
           "slowest %s)\n",
           b->first_failure_schedules, ms(b->first_failure_median_ns, a, sizeof a),
           ms(b->first_failure_max_ns, c, sizeof c));
    if (b->program) {
        printf("  %s (explore --, bound 3): %10.0f schedules/s (%" PRIu64 " schedules, each a "
               "fork of the program)\n",
               b->program[0], b->prog.per_second, b->prog.schedules);
        printf("  this machine's floor: %.0f schedules/s (a fork whose child starts and joins two "
               "threads, and the wait for it)\n",
               b->prog.floor_per_second);
    }
    printf("\nproofs: every schedule (--preemptions all), with partial-order reduction and "
           "without\n(stopped at %" PRIu64 " schedules: then at least that many)\n",
           b->proof_cap ? b->proof_cap : 1000000);
    printf("  %-22s %22s %22s\n", "case", "reduced", "unreduced");
    for (size_t i = 0; i < b->nproofs; i++) {
        char name[48], red[48], unred[48];
        snprintf(name, sizeof name, "%s %u x %u", b->proofs[i].target, b->proofs[i].merchants,
                 b->proofs[i].customers);
        snprintf(red, sizeof red, "%s%" PRIu64 " in %s", b->proofs[i].reduced.complete ? "" : ">= ",
                 b->proofs[i].reduced.schedules, ms(b->proofs[i].reduced.elapsed_ns, a, sizeof a));
        snprintf(unred, sizeof unred, "%s%" PRIu64 " in %s",
                 b->proofs[i].unreduced.complete ? "" : ">= ", b->proofs[i].unreduced.schedules,
                 ms(b->proofs[i].unreduced.elapsed_ns, c, sizeof c));
        printf("  %-22s %22s %22s\n", name, red, unred);
    }
    printf("\nmany threads: startup:unordered, schedules to the first failure (stopped at "
           "1000)\n");
    printf("  %-8s %16s %16s %22s\n", "threads", "1 delay", "PCT depth 1", "2 preemptions");
    for (size_t i = 0; i < 2; i++) {
        char d[32], p[32], q[32];
        snprintf(d, sizeof d, "%" PRIu64 "%s", b->many[i].delays.schedules,
                 b->many[i].delays.found ? "" : " (none)");
        snprintf(p, sizeof p, "%" PRIu64 "%s", b->many[i].pct.schedules,
                 b->many[i].pct.found ? "" : " (none)");
        snprintf(q, sizeof q, "%" PRIu64 "%s", b->many[i].bounded.schedules,
                 b->many[i].bounded.found ? "" : " (none)");
        printf("  %-8u %16s %16s %22s\n", b->many[i].threads, d, p, q);
    }
}

static int explorer(int argc, char **argv) {
    bool csv = false, memory = false, jobs = false;
    rl_explorer_bench b = {0};
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--csv") == 0) {
            csv = true;
        } else if (strcmp(argv[i], "--memory") == 0) {
            memory = true;
        } else if (strcmp(argv[i], "--jobs") == 0) {
            jobs = true;
        } else if (strcmp(argv[i], "--proof-cap") == 0) {
            if (i + 1 >= argc || !rl_cli_parse_u64("bench explore", "--proof-cap", argv[i + 1], 1,
                                                   UINT64_MAX, &b.proof_cap))
                return i + 1 >= argc ? rl_cli_usage_error("bench explore",
                                                          "--proof-cap needs a number")
                                     : EXIT_USAGE;
            i++;
        } else if (strcmp(argv[i], "--seconds") == 0) {
            /* as bench throughput's and db's --seconds: a number of seconds */
            char *end = NULL;
            double secs = i + 1 < argc ? strtod(argv[i + 1], &end) : 0;
            if (i + 1 >= argc || end == argv[i + 1] || *end || !(secs >= 0.01 && secs <= 600))
                return rl_cli_usage_error("bench explore",
                                          "--seconds wants a number from 0.01 to 600, not '%s'",
                                          i + 1 < argc ? argv[i + 1] : "");
            b.duration_ns = (uint64_t)(secs * 1e9);
            i++;
        } else if (strcmp(argv[i], "--") == 0) {
            if (i + 1 >= argc)
                return rl_cli_usage_error("bench explore", "no program after --");
            b.program = &argv[i + 1];
            break;
        } else {
            return rl_cli_usage_error("bench explore", "unexpected argument '%s'", argv[i]);
        }
    }
    if (memory && b.program)
        return rl_cli_usage_error("bench explore", "--memory builds its own program: no "
                                                   "program after --");
    if (memory && jobs)
        return rl_cli_usage_error("bench explore", "--memory or --jobs: one at a time");
    if (memory)
        return rl_cli_bench_memory(csv, b.duration_ns ? b.duration_ns : 2000000000u);
    if (jobs)
        return rl_cli_bench_jobs(csv, b.program);
    char why[256] = "";
    rl_cli_progress line;
    rl_cli_progress_init(&line, !csv);
    b.row_progress = row_line;
    b.progress_ctx = &line;
    rl_err e = rl_bench_explorer(&b, why, sizeof why);
    rl_cli_progress_clear(&line);
    if (e != RL_OK) {
        fprintf(stderr, "racelab bench explore: %s: %s\n", rl_strerror(e), why);
        return EXIT_ERROR;
    }
    if (csv)
        print_explorer_csv(&b);
    else
        print_explorer_text(&b);
    return EXIT_HELD;
}

int rl_cmd_bench(int argc, char **argv) {
    if (rl_cli_wants_help(argc, argv)) {
        print_help();
        return EXIT_HELD;
    }
    if (argc < 2)
        return rl_cli_usage_error("bench", "which benchmark? makespan, throughput, db or explore");
    if (strcmp(argv[1], "makespan") == 0)
        return makespan(argc - 1, argv + 1);
    if (strcmp(argv[1], "throughput") == 0)
        return throughput(argc - 1, argv + 1);
    if (strcmp(argv[1], "explore") == 0)
        return explorer(argc - 1, argv + 1);
    if (strcmp(argv[1], "db") == 0)
        return db(argc - 1, argv + 1);
    return rl_cli_usage_error("bench", "unknown benchmark '%s' (makespan, throughput, db or "
                                       "explore)",
                              argv[1]);
}

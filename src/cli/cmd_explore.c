/* cmd_explore.c - `racelab explore TARGET`: search the interleavings of a
 * target, print the failing one (and its minimized form) or the proof. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "parallel.h"
#include "../util/json.h"
#include "racelab/explore.h"
#include "../util/words.h"

static void print_help(void) {
    printf("usage: racelab explore TARGET [--merchants N] [--customers N] [--threads N]\n"
           "                      [--items N] [--retries N] [SEARCH]\n"
           "       racelab explore [SEARCH] [--schedule-timeout D] [--max-steps N]\n"
           "                      [--races report|list|ignore] [--every-access]\n"
           "                      -- PROGRAM [ARG...]\n"
           "       racelab explore --replay SCHEDULE --gdb -- PROGRAM [ARG...]\n"
           "       racelab explore --list\n"
           "SEARCH: [--preemptions B|all [--no-reduction] | --delays D |\n"
           "         --pct [--depth D] [--seed S] [--iterations N] | --replay SCHEDULE]\n"
           "        [--all] [--no-minimize] [--max-schedules N] [--time-limit D]\n"
           "        [-j N | --shard K/N --json] [--stack-size SIZE] [--json] [--svg FILE]\n"
           "        [--html FILE]\n"
           "\n"
           "Runs TARGET under a controlled scheduler: one thread at a time, and at every\n"
           "lock, unlock, wait, signal, spawn, join and shared access the explorer chooses\n"
           "who goes next. It checks the target's invariant after every schedule and prints\n"
           "the interleaving that breaks it, shortened, as a schedule you can replay.\n"
           "\n"
           "TARGET is SCENARIO:VARIANT (bill:racy, bill:mutex, overdraft:racy, close:once,\n"
           "...) or deadlock:opposite-order / deadlock:same-order. --list names them all.\n"
           "\n"
           "After --, PROGRAM is your own pthread program, unmodified (build it with\n"
           "cc -g -pthread for source lines in the trace). Every pthread call, semaphore,\n"
           "sleep and sched_yield of it becomes a scheduling point; a schedule fails when\n"
           "the program exits non-zero or aborts (assert), dies by a signal, misuses a lock,\n"
           "deadlocks, runs past --max-steps (default 100000), or makes no step for\n"
           "--schedule-timeout (default 10s). Its output is shown for the failing schedule.\n"
           "\n"
           "search (docs/explorer.md, 'Four searches', says which to use when):\n"
           "  --preemptions B   every schedule with at most B preemptions, searched 0, 1, ...\n"
           "                    so a failure found has the fewest (default 2); not reduced\n"
           "  --preemptions all every schedule: a proof for this case when it ends. Reduced\n"
           "                    by partial-order reduction (one schedule per class of\n"
           "                    schedules that differ only in the order of independent steps;\n"
           "                    a program only when built by racelab cc)\n"
           "     --no-reduction run every schedule, each order of independent steps too\n"
           "  --delays D        a round-robin scheduler and at most D delays from it, searched\n"
           "                    0, 1, ...: finds bugs among many threads with few schedules\n"
           "  --pct             random priorities instead (PCT), seeded and repeatable:\n"
           "     --depth D      bug depth, D - 1 priority changes per schedule (default 3)\n"
           "     --seed S       the seed (default 1)\n"
           "     --iterations N schedules to run (default 1000)\n"
           "  --replay S        run one schedule: S is what --json or the report prints,\n"
           "                    STEP:THREAD choices off the default order, or - for none\n"
           "  --all             do not stop at the first failure: count every final state\n"
           "  --no-minimize     do not shorten the failure found\n"
           "  --gdb             with --replay and a program: after the report, replay it\n"
           "                    once more, stopped before its last step, under gdb\n"
           "  --races report|list|ignore  a program built by racelab cc: a data race (two\n"
           "                    accesses, one a write, not ordered by any synchronization)\n"
           "                    fails its schedule (report, the default), is listed after\n"
           "                    the states with the schedules it was seen in (list), or is\n"
           "                    not looked for (ignore). With report, plain loads and\n"
           "                    stores are checked, not scheduled: up to a schedule's\n"
           "                    first race, the order of synchronization decides them\n"
           "  --every-access    schedule every plain load and store as well (as list and\n"
           "                    ignore do): more schedules, the same verdict\n"
           "  -j N, --jobs N    run the search in N worker processes (default:\n"
           "                    $RACELAB_JOBS, or one per CPU; -j 1: this process\n"
           "                    alone): the same verdict, failure and final states as\n"
           "                    on one core; every search but --replay (a reduced one:\n"
           "                    this process keeps its tree, the workers explore its\n"
           "                    subtrees). A search that stops at its first failure\n"
           "                    may count schedules the workers ran past it\n"
           "  --shard K/N       run the K-th of N parts of the search (1 <= K <= N) and write\n"
           "                    its --json; racelab merge makes the parts one result\n"
           "                    (docs/parallel.md: job arrays, GNU parallel, CI matrices);\n"
           "                    with -j M, M workers share out the part (a reduced\n"
           "                    search's shards explore every thread at its upper nodes:\n"
           "                    they merge to --shard 1/1, as many schedules as whole)\n"
           "  --svg FILE        draw the failure found (its minimized form) as a picture in\n"
           "                    FILE: a lane per thread, the failing steps labelled and\n"
           "                    joined by arrows (racelab draw draws a saved --json alike)\n"
           "  --html FILE       write the whole result as one self-contained web page in\n"
           "                    FILE: the verdict and what it covers, the final states as a\n"
           "                    chart, the failure's picture and its replay command, and\n"
           "                    the text report (it opens from disk, scripts on or off)\n"
           "  --max-schedules N stop after N schedules (default 1000000)\n"
           "  --time-limit D    stop after D (200ms, 30s, 5m) and report what was covered;\n"
           "                    Ctrl-C stops the same way (a second one ends racelab)\n"
           "  --stack-size SIZE each thread's stack for racelab's own targets, such as 512K\n"
           "                    or 16M (default 8M); an overflow fails the schedule\n"
           "\n"
           "case size (explorer defaults are small): --merchants N and --customers N for\n"
           "bill (default 2 x 2), --threads N (default 2, up to 200), --items N (default 2),\n"
           "--retries N.\n"
           "\n"
           "On a terminal a progress line shows the schedules run, the rate, the bound\n"
           "under way and the failures so far; it is gone before the result.\n"
           "\n"
           "The verdict: FAILURE found; proved: complete (every schedule); proved within B\n"
           "preemptions (or D delays: every schedule within the bound); no failure found,\n"
           "not exhaustive (a limit, Ctrl-C or random sampling ended it: nothing proved).\n"
           "--json says it in \"verdict\" and \"stopped_by\".\n"
           "\n"
           "Exit status: 0 when no failure was found (proved or not: read the verdict), 1\n"
           "when one was, 2 for bad usage, 3 if the exploration could not run (a program\n"
           "that cannot be started, a target with more threads than the explorer supports:\n"
           "at most 64), 130 when Ctrl-C stopped it (after the partial result).\n");
}

static void list_one(void *ctx, const char *name, const char *summary, bool correct) {
    rl__json *j = ctx;
    if (j) {
        rl__json_object(j, NULL);
        rl__json_str(j, "target", name);
        rl__json_str(j, "summary", summary);
        rl__json_bool(j, "correct", correct);
        rl__json_end(j, '}');
    } else {
        printf("  %-28s %-5s %s\n", name, correct ? "fix" : "racy", summary);
    }
}

typedef struct {
    rl_explore_opts o;
    rl_scenario_opts so;
    rl_program_opts po;
    bool json, list, gdb;
    bool races_given;
    unsigned jobs;             /* -j: worker processes (1: this one) */
    unsigned shard, shards;    /* --shard K/N (0/0: the whole search) */
    const char *svg;           /* --svg FILE: the failure's picture */
    const char *html;          /* --html FILE: the whole result as a web page */
    const char *target;  /* TARGET, or NULL for a program */
    char **program;      /* after --, or NULL */
} explore_args;

/* Which option groups were given, for the checks of their combinations. */
typedef struct {
    bool delays, noreduce, pct, bound_given, pct_opt, case_opt, prog_opt, prog_stack;
} option_groups;

/* One option c with its argument optarg (text: as typed, for messages):
 * EXIT_HELD, or the usage status after saying why. */
static int option(explore_args *a, int c, const char *text, option_groups *g) {
    uint64_t v;
    switch (c) {
    case 'M': case 'C': case 't': case 'i': case 'r': g->case_opt = true; break;
    case 'T': case 'S': g->prog_opt = true; break;
    default: break;
    }
    switch (c) {
    case 'M':
        if (!rl_cli_parse_u64("explore", "--merchants", optarg, 1, 5, &v))
            return EXIT_USAGE;
        a->so.merchants = (unsigned)v;
        break;
    case 'C':
        if (!rl_cli_parse_u64("explore", "--customers", optarg, 1, 5, &v))
            return EXIT_USAGE;
        a->so.customers = (unsigned)v;
        break;
    case 't':
        if (!rl_cli_parse_u64("explore", "--threads", optarg, 1, 200, &v))
            return EXIT_USAGE;
        a->so.threads = (unsigned)v;
        break;
    case 'i':
        if (!rl_cli_parse_u64("explore", "--items", optarg, 1, 1000, &v))
            return EXIT_USAGE;
        a->so.items = (unsigned)v;
        break;
    case 'r':
        if (!rl_cli_parse_u64("explore", "--retries", optarg, 1, 1000, &v))
            return EXIT_USAGE;
        a->so.retries = (unsigned)v;
        break;
    case 'p':
        g->bound_given = true;
        if (strcmp(optarg, "all") == 0) {
            a->o.preemptions = RL_PREEMPTIONS_ALL;
            break;
        }
        if (!rl_cli_parse_u64("explore", "--preemptions", optarg, 0, 20, &v))
            return EXIT_USAGE;
        a->o.preemptions = (unsigned)v;
        break;
    case 'N': g->noreduce = true; break;
    case 'D':
        g->delays = true;
        if (!rl_cli_parse_u64("explore", "--delays", optarg, 0, 8, &v))
            return EXIT_USAGE;
        a->o.delays = (unsigned)v;
        break;
    case 'K': {
        char *rest;
        unsigned long long n = strtoull(optarg, &rest, 10);
        unsigned long long unit = *rest == 'K' || *rest == 'k'   ? 1024ull
                                  : *rest == 'M' || *rest == 'm' ? 1024ull * 1024
                                  : *rest == 'G' || *rest == 'g' ? 1024ull * 1024 * 1024
                                  : *rest == '\0'               ? 1
                                                                 : 0;
        if (unit != 1 && unit != 0)
            rest++;
        if (optarg[0] < '0' || optarg[0] > '9' || unit == 0 || *rest != '\0' ||
            n > (1ull << 32) / unit || n * unit < 64 * 1024)
            return rl_cli_usage_error("explore", "--stack-size takes a size from 64K to 4G "
                                                 "(512K, 16M, or bytes), not '%s'",
                                      optarg);
        a->o.stack_size = (size_t)(n * unit);
        g->prog_stack = true;
        break;
    }
    case 'd':
        g->pct_opt = true;
        if (!rl_cli_parse_u64("explore", "--depth", optarg, 1, 64, &v))
            return EXIT_USAGE;
        a->o.depth = (unsigned)v;
        break;
    case 's':
        g->pct_opt = true;
        if (!rl_cli_parse_u64("explore", "--seed", optarg, 0, UINT64_MAX, &a->o.seed))
            return EXIT_USAGE;
        break;
    case 'n':
        g->pct_opt = true;
        if (!rl_cli_parse_u64("explore", "--iterations", optarg, 1, 100000000,
                              &a->o.iterations))
            return EXIT_USAGE;
        break;
    case 'x':
        if (!rl_cli_parse_u64("explore", "--max-schedules", optarg, 1, UINT64_MAX,
                              &a->o.max_schedules))
            return EXIT_USAGE;
        break;
    case 'T':
        if (!rl_cli_parse_duration("explore", "--schedule-timeout", optarg, 3600000000000ull,
                                   &a->po.time_limit_ns))
            return EXIT_USAGE;
        if (a->po.time_limit_ns == 0)
            return rl_cli_usage_error("explore", "--schedule-timeout must be positive");
        break;
    case 'S':
        if (!rl_cli_parse_u64("explore", "--max-steps", optarg, 1, 10000000, &v))
            return EXIT_USAGE;
        a->po.max_steps = v;
        a->o.max_steps = v;
        break;
    case 'l':
        if (!rl_cli_parse_duration("explore", "--time-limit", optarg, 31ull * 86400 * 1000000000,
                                   &a->o.time_limit_ns))
            return EXIT_USAGE;
        if (a->o.time_limit_ns == 0)
            return rl_cli_usage_error("explore", "--time-limit must be positive");
        break;
    case 'P': g->pct = true; break;
    case 'R':
        a->o.search = RL_SEARCH_REPLAY;
        a->o.replay = optarg;
        break;
    case 'a': a->o.keep_going = true; break;
    case 'm': a->o.minimize = false; break;
    case 'G': a->gdb = true; break;
    case 'X':
        if (strcmp(optarg, "report") != 0 && strcmp(optarg, "list") != 0 &&
            strcmp(optarg, "ignore") != 0)
            return rl_cli_usage_error("explore", "--races is report, list or ignore, not '%s'",
                                      optarg);
        a->po.races_ignored = strcmp(optarg, "ignore") == 0;
        a->po.races_listed = strcmp(optarg, "list") == 0;
        a->races_given = true;
        break;
    case 'E':
        a->po.every_access = true;
        a->races_given = true;
        break;
    case 'j':
        if (!rl_cli_parse_u64("explore", "-j", optarg, 1, RL_CLI_MAX_JOBS, &v))
            return EXIT_USAGE;
        a->jobs = (unsigned)v;
        break;
    case 'H': {
        unsigned k = 0, n = 0;
        int used = 0;
        if (sscanf(optarg, "%u/%u%n", &k, &n, &used) != 2 || optarg[used] != '\0' ||
            optarg[0] < '1' || optarg[0] > '9' || k < 1 || n < 1 || k > n || n > 1000000)
            return rl_cli_usage_error("explore", "--shard takes K/N, the K-th of N parts (1 <= "
                                                 "K <= N, such as 2/8), not '%s'",
                                      optarg);
        a->shard = k;
        a->shards = n;
        break;
    }
    case 'V': a->svg = optarg; break;
    case 'W': a->html = optarg; break;
    case 'J': a->json = true; break;
    case 'L': a->list = true; break;
    default:
        return rl_cli_usage_error("explore", "unknown or incomplete option '%s'",
                                  text);
    }
    return EXIT_HELD;
}

static int parse(int argc, char **argv, explore_args *a) {
    static const struct option longopts[] = {
        {"merchants", required_argument, NULL, 'M'}, {"customers", required_argument, NULL, 'C'},
        {"threads", required_argument, NULL, 't'},   {"items", required_argument, NULL, 'i'},
        {"retries", required_argument, NULL, 'r'},   {"preemptions", required_argument, NULL, 'p'},
        {"pct", no_argument, NULL, 'P'},             {"depth", required_argument, NULL, 'd'},
        {"seed", required_argument, NULL, 's'},      {"iterations", required_argument, NULL, 'n'},
        {"replay", required_argument, NULL, 'R'},    {"all", no_argument, NULL, 'a'},
        {"no-minimize", no_argument, NULL, 'm'},     {"max-schedules", required_argument, NULL, 'x'},
        {"gdb", no_argument, NULL, 'G'},
        {"json", no_argument, NULL, 'J'},            {"list", no_argument, NULL, 'L'},
        {"schedule-timeout", required_argument, NULL, 'T'},
        {"max-steps", required_argument, NULL, 'S'}, {"no-reduction", no_argument, NULL, 'N'},
        {"delays", required_argument, NULL, 'D'},    {"stack-size", required_argument, NULL, 'K'},
        {"time-limit", required_argument, NULL, 'l'},
        {"races", required_argument, NULL, 'X'},      {"every-access", no_argument, NULL, 'E'},
        {"jobs", required_argument, NULL, 'j'},      {"shard", required_argument, NULL, 'H'},
        {"svg", required_argument, NULL, 'V'},      {"html", required_argument, NULL, 'W'},
        {0}};
    option_groups g = {0};
    /* everything after "--" is the program and its arguments */
    int end = argc;
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--") == 0) {
            end = i;
            a->program = &argv[i + 1];
            if (i + 1 >= argc)
                return rl_cli_usage_error("explore", "no program after --");
            break;
        }
    opterr = 0;
    optind = 1;
    for (int c; (c = getopt_long(end, argv, "j:", longopts, NULL)) != -1;) {
        int rc = option(a, c, argv[optind - 1], &g);
        if (rc != EXIT_HELD)
            return rc;
    }
    if (a->list)
        return optind < end || a->program
                   ? rl_cli_usage_error("explore", "--list takes no target")
                   : EXIT_HELD;
    if (g.pct && a->o.search == RL_SEARCH_REPLAY)
        return rl_cli_usage_error("explore", "--pct and --replay are different searches: pick one");
    if (g.bound_given && (g.pct || a->o.search == RL_SEARCH_REPLAY))
        return rl_cli_usage_error("explore", "--preemptions belongs to the bounded search, not "
                                             "to --pct or --replay");
    if (a->races_given && !a->program)
        return rl_cli_usage_error("explore", "--races and --every-access go with a program "
                                             "(after --) built by racelab cc");
    if (a->o.time_limit_ns && a->o.search == RL_SEARCH_REPLAY)
        return rl_cli_usage_error("explore", "--time-limit bounds a search, not --replay");
    if (g.pct_opt && !g.pct)
        return rl_cli_usage_error("explore", "--depth, --seed and --iterations need --pct");
    if (g.delays && (g.pct || g.bound_given || a->o.search == RL_SEARCH_REPLAY))
        return rl_cli_usage_error("explore", "--delays is a search of its own: not with "
                                             "--preemptions, --pct or --replay");
    if (g.noreduce && a->o.preemptions != RL_PREEMPTIONS_ALL)
        return rl_cli_usage_error("explore", "--no-reduction goes with --preemptions all (a "
                                             "bounded search is never reduced)");
    a->o.reduce = !g.noreduce;
    if (g.pct)
        a->o.search = RL_SEARCH_PCT;
    if (g.delays)
        a->o.search = RL_SEARCH_DELAYS;
    if ((a->jobs > 1 || a->shards) && a->o.search == RL_SEARCH_REPLAY)
        return rl_cli_usage_error("explore", "-j and --shard split the bounded search "
                                             "(--preemptions B, or all with --no-reduction), "
                                             "--delays and --pct: not --replay");
    if (a->shards && !a->json)
        return rl_cli_usage_error("explore", "--shard writes one part of the search for "
                                             "racelab merge: add --json");
    if ((a->svg || a->html) && a->shards)
        return rl_cli_usage_error("explore", "%s draws a whole search: draw the merged parts "
                                             "(racelab merge --json, then racelab draw)",
                                  a->svg ? "--svg" : "--html");
    if (a->gdb && (!a->program || a->o.search != RL_SEARCH_REPLAY || a->json || a->jobs > 1))
        return rl_cli_usage_error("explore", "--gdb goes with --replay SCHEDULE and a program "
                                             "after -- (and without --json)");
    if (a->program) {
        if (optind < end)
            return rl_cli_usage_error("explore", "a TARGET or a program after --, not both");
        if (g.case_opt)
            return rl_cli_usage_error("explore", "--merchants, --customers, --threads, --items "
                                                 "and --retries size racelab's own targets, not "
                                                 "a program");
        if (g.prog_stack)
            return rl_cli_usage_error("explore", "--stack-size is for racelab's own targets: a "
                                                 "program's threads have their own stacks");
        return EXIT_HELD;
    }
    if (g.prog_opt)
        return rl_cli_usage_error("explore", "--schedule-timeout and --max-steps are for a "
                                             "program after --");
    if (optind >= end)
        return rl_cli_usage_error("explore", "which target? ('racelab explore --list' names them, "
                                             "or give a program after --)");
    if (optind + 1 < end)
        return rl_cli_usage_error("explore", "unexpected argument '%s'", argv[optind + 1]);
    a->target = argv[optind];
    return EXIT_HELD;
}

/* --gdb: the replayed schedule's process, stopped before its last step:
 * gdb attached to it, on this terminal, until the user quits it. */
static void run_gdb(void *ctx, long pid, long lwp, const char *thread) {
    uint64_t step = *(const uint64_t *)ctx;
    char p[32], select[160];
    snprintf(p, sizeof p, "%ld", pid);
    /* gdb numbers threads its own way: the one that goes is found by its
     * kernel id (LWP) and made the current thread */
    snprintf(select, sizeof select,
             "python [t.switch() for t in gdb.selected_inferior().threads() if t.ptid[1] == %ld]",
             lwp);
    fprintf(stderr,
            "racelab explore: the program (pid %s) is stopped before step %" PRIu64
            ", where %s (LWP %ld) goes; gdb attaches to it with that thread current "
            "('bt' shows where it stands, 'thread apply all bt' every thread, 'quit' ends it)\n",
            p, step, thread, lwp);
    fflush(NULL);
    pid_t g = fork();
    if (g == 0) {
        execlp("gdb", "gdb", "-q", "-p", p, "-ex", select, (char *)NULL);
        fprintf(stderr, "racelab explore: cannot run gdb: %s (Debian's package gdb)\n",
                strerror(errno));
        _exit(127);
    }
    if (g > 0)
        while (waitpid(g, NULL, 0) < 0 && errno == EINTR)
            ;
}

/* --gdb: the same replay once more, its process stopped for gdb before
 * the step the report ended at. */
static int replay_under_gdb(explore_args *a, uint64_t steps) {
    a->po.stop_at_step = steps;
    a->po.stopped = run_gdb;
    a->po.stopped_ctx = &steps;
    rl_target t;
    char why[512] = "";
    if (rl_program_target(a->program, &a->po, &t, why, sizeof why) != RL_OK) {
        fprintf(stderr, "racelab explore: %s\n", why);
        return EXIT_ERROR;
    }
    rl_explore_opts o = a->o;
    o.progress = NULL;
    rl_explore_result r;
    rl_err e = rl_explore(&t, &o, &r, why, sizeof why);
    rl_target_free(&t);
    if (e != RL_OK) {
        fprintf(stderr, "racelab explore: %s\n", why[0] ? why : rl_strerror(e));
        return EXIT_ERROR;
    }
    rl_explore_result_free(&r);
    return EXIT_HELD;
}

static int list_targets(bool json) {
    rl__json j;
    if (json) {
        rl__json_init(&j, stdout);
        rl__json_array(&j, NULL);
    } else {
        printf("targets (SCENARIO:VARIANT):\n");
    }
    rl_target_list(list_one, json ? &j : NULL);
    if (json)
        rl__json_end(&j, ']');
    return EXIT_HELD;
}

/* A shell word: quoted when it needs to be. */
static void append_word(char *buf, size_t cap, const char *w) {
    size_t len = strlen(buf);
    bool plain = *w != '\0';
    for (const char *p = w; *p; p++)
        plain &= (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
                 strchr("-_./:=,+@%", *p);
    if (plain) {
        snprintf(buf + len, cap - len, " %s", w);
        return;
    }
    snprintf(buf + len, cap - len, " '");
    for (const char *p = w; *p && strlen(buf) + 5 < cap; p++) {
        len = strlen(buf);
        if (*p == '\'')
            snprintf(buf + len, cap - len, "'\\''");
        else
            snprintf(buf + len, cap - len, "%c", *p);
    }
    len = strlen(buf);
    snprintf(buf + len, cap - len, "'");
}

/* The command that replays what is printed: the target and the case
 * options given, or the program and its arguments. */
static void replay_command(const explore_args *a, char *buf, size_t cap) {
    snprintf(buf, cap, "racelab explore");
    if (a->program) {
        if (a->po.max_steps) {
            char n[32];
            snprintf(n, sizeof n, "%" PRIu64, a->po.max_steps);
            append_word(buf, cap, "--max-steps");
            append_word(buf, cap, n);
        }
        /* what decides the steps of a schedule and how it ends */
        if (a->po.races_ignored || a->po.races_listed) {
            append_word(buf, cap, "--races");
            append_word(buf, cap, a->po.races_ignored ? "ignore" : "list");
        }
        if (a->po.every_access)
            append_word(buf, cap, "--every-access");
        size_t len = strlen(buf); /* the replay options go before the program */
        snprintf(buf + len, cap - len, " {schedule}");
        append_word(buf, cap, "--");
        for (char **w = a->program; *w; w++)
            append_word(buf, cap, *w);
        return;
    }
    append_word(buf, cap, a->target);
    const struct {
        const char *flag;
        unsigned value;
    } given[] = {{"--merchants", a->so.merchants}, {"--customers", a->so.customers},
                 {"--threads", a->so.threads},     {"--items", a->so.items},
                 {"--retries", a->so.retries}};
    for (size_t i = 0; i < sizeof given / sizeof given[0]; i++)
        if (given[i].value) {
            char v[16];
            snprintf(v, sizeof v, "%u", given[i].value);
            append_word(buf, cap, given[i].flag);
            append_word(buf, cap, v);
        }
}

typedef struct {
    rl_cli_progress *line;
    const rl_explore_opts *o;
    bool reduced; /* partial-order reduction is on */
} progress_ctx;

/* "explore: 120,000 schedules, 41,000/s, 1 preemption, 0 failing, 2.9 s" */
static void show_progress(void *ctx, const rl_explore_progress *p) {
    const progress_ctx *pc = ctx;
    double secs = (double)p->elapsed_ns / 1e9;
    char where[48] = "";
    if (pc->o->search == RL_SEARCH_BOUNDED && pc->o->preemptions == RL_PREEMPTIONS_ALL) {
        if (pc->reduced)
            snprintf(where, sizeof where, ", %" PRIu64 " abandoned as equivalent", p->redundant);
    } else if (pc->o->search == RL_SEARCH_BOUNDED || pc->o->search == RL_SEARCH_DELAYS) {
        snprintf(where, sizeof where, ", %u %s%s", p->level,
                 pc->o->search == RL_SEARCH_DELAYS ? "delay" : "preemption",
                 rl__plural(p->level));
    } else if (pc->o->search == RL_SEARCH_PCT) {
        snprintf(where, sizeof where, " of %" PRIu64, pc->o->iterations);
    }
    rl_cli_progress_show(pc->line,
                         "exploring: %" PRIu64 " schedules%s, %.0f/s, %" PRIu64
                         " failing, %.1f s (Ctrl-C stops and reports)",
                         p->schedules, where, secs > 0 ? (double)p->schedules / secs : 0,
                         p->failing, secs);
}

/* A target's name in --json: the target and the case options given, as
 * in its replay command ("close:check-then-close --threads 3"), so that
 * racelab merge tells the parts of different cases apart. */
static const char *json_target(const char *replay_cmd) {
    static const char verb[] = "racelab explore ";
    return strncmp(replay_cmd, verb, sizeof verb - 1) == 0 ? replay_cmd + sizeof verb - 1
                                                           : replay_cmd;
}

/* --svg FILE: the failure's picture, titled as racelab draw titles it
 * from the --json (name: its "target"); nothing to draw is said, not an
 * error. */
static int draw(const explore_args *a, const char *name, const rl_explore_result *r) {
    if (!r->failed) {
        fprintf(stderr, "racelab explore: no failure found: nothing drawn, %s not written\n",
                a->svg);
        return EXIT_HELD;
    }
    return rl_cli_draw_failure("explore", a->svg, name, r);
}

/* --shard K/N: the first level's items i with i % N == K - 1. */
typedef struct {
    unsigned k, n;
} shard_part;

static bool shard_owns(void *ctx, uint64_t index) {
    const shard_part *p = ctx;
    return index % p->n == p->k;
}

/* The target a worker of -j makes for itself. */
static rl_err make_target(void *ctx, rl_target *t, char *why, size_t why_len) {
    explore_args *a = ctx;
    return a->program ? rl_program_target(a->program, &a->po, t, why, why_len)
                      : rl_target_parse(a->target, &a->so, t, why, why_len);
}

/* The target's name in the report: a program and its arguments, or the
 * target with the size of a billing case. */
static rl_err target_name(const explore_args *a, char *name, size_t cap, char *why,
                          size_t why_len) {
    if (a->program) {
        name[0] = '\0';
        for (char **w = a->program; *w; w++)
            snprintf(name + strlen(name), cap - strlen(name), "%s%s", w == a->program ? "" : " ",
                     *w);
        return RL_OK;
    }
    rl_target t;
    rl_err e = rl_target_parse(a->target, &a->so, &t, why, why_len);
    if (e != RL_OK)
        return e;
    if (t.scenario && strcmp(t.scenario->name, "bill") == 0)
        snprintf(name, cap, "%s (%u merchant%s x %u customer%s)", a->target, t.opts.merchants,
                 rl__plural(t.opts.merchants), t.opts.customers, rl__plural(t.opts.customers));
    else
        snprintf(name, cap, "%s", a->target);
    rl_target_free(&t);
    return RL_OK;
}

/* -j N: the search in N workers, their results merged. */
static int explore_parallel(explore_args *a) {
    char why[512] = "", name[160], shown[160];
    if (target_name(a, name, sizeof name, why, sizeof why) != RL_OK)
        return rl_cli_usage_error("explore", "%s", why);
    char replay_cmd[1024];
    replay_command(a, replay_cmd, sizeof replay_cmd);
    rl_cli_progress line;
    rl_cli_progress_init(&line, !a->json);
    a->o.interrupted = rl_cli_catch_interrupt();
    rl_cli_target_maker make = {.make = make_target, .ctx = a, .name = name};
    /* a shard's workers share out its items; its JSON says which part */
    shard_part part = {a->shard - 1, a->shards};
    rl_explore_split split = {.owns = shard_owns, .ctx = &part, .first_part = a->shard == 1,
                              .part = a->shard, .parts = a->shards};
    if (a->shards)
        a->o.split = &split;
    rl_explore_result r;
    rl_err e = rl_cli_explore_parallel(a->jobs, &make, &a->o, &line, &r, shown, sizeof shown,
                                       why, sizeof why);
    rl_cli_release_interrupt();
    rl_cli_progress_clear(&line);
    if (e != RL_OK) {
        if (e == RL_EINVAL)
            return rl_cli_usage_error("explore", "%s", why);
        fprintf(stderr, "racelab explore: %s\n", why[0] ? why : rl_strerror(e));
        return EXIT_ERROR;
    }
    if (a->json)
        rl_explore_write_json(stdout, a->program ? name : json_target(replay_cmd), &a->o, &r);
    else
        rl_explore_print(stdout, name, &a->o, &r, replay_cmd, rl_cli_colour());
    int rc = r.stopped == RL_STOP_INTERRUPT ? EXIT_INTERRUPTED : r.failed ? EXIT_BROKEN : EXIT_HELD;
    if (a->svg && draw(a, a->program ? name : json_target(replay_cmd), &r) != EXIT_HELD)
        rc = EXIT_ERROR;
    if (a->html && rl_cli_write_html("explore", a->html,
                                    a->program ? name : json_target(replay_cmd), &a->o, &r,
                                    replay_cmd) != EXIT_HELD)
        rc = EXIT_ERROR;
    rl_explore_result_free(&r);
    return rc;
}

/* Without -j: RACELAB_JOBS, or else a worker per CPU this process may
 * run on (as nproc counts them: taskset, a cpuset, a Slurm allocation
 * narrow it), for every search that splits (not --replay, one schedule).
 * 0: RACELAB_JOBS is not a number of workers (said). */
static unsigned default_jobs(const explore_args *a) {
    const char *env = getenv("RACELAB_JOBS");
    if (env && *env) {
        uint64_t v;
        if (!rl_cli_parse_u64("explore", "RACELAB_JOBS", env, 1, RL_CLI_MAX_JOBS, &v))
            return 0;
        return a->o.search == RL_SEARCH_REPLAY ? 1 : (unsigned)v;
    }
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0)
        cpus = CPU_COUNT(&set);
    if (a->o.search == RL_SEARCH_REPLAY || cpus <= 1)
        return 1;
    return cpus < RL_CLI_MAX_JOBS ? (unsigned)cpus : RL_CLI_MAX_JOBS;
}

int rl_cmd_explore(int argc, char **argv) {
    if (rl_cli_wants_help(argc, argv)) {
        print_help();
        return EXIT_HELD;
    }
    explore_args a = {.o = rl_explore_opts_default()};
    int rc = parse(argc, argv, &a);
    if (rc != EXIT_HELD)
        return rc;
    if (a.list)
        return list_targets(a.json);

    if (a.jobs == 0 && (a.jobs = default_jobs(&a)) == 0)
        return EXIT_USAGE;
    if (a.jobs > 1)
        return explore_parallel(&a);
    rl_target t;
    char why[512] = "", name[160];
    if (a.program) {
        rl_err e = rl_program_target(a.program, &a.po, &t, why, sizeof why);
        if (e != RL_OK) {
            fprintf(stderr, "racelab explore: %s\n", why);
            return EXIT_ERROR;
        }
        snprintf(name, sizeof name, "%s", t.name);
    } else {
        if (rl_target_parse(a.target, &a.so, &t, why, sizeof why) != RL_OK)
            return rl_cli_usage_error("explore", "%s", why);
        if (t.scenario && strcmp(t.scenario->name, "bill") == 0)
            snprintf(name, sizeof name, "%s (%u merchant%s x %u customer%s)", a.target,
                     t.opts.merchants, rl__plural(t.opts.merchants), t.opts.customers,
                     rl__plural(t.opts.customers));
        else
            snprintf(name, sizeof name, "%s", a.target);
    }
    char replay_cmd[1024];
    replay_command(&a, replay_cmd, sizeof replay_cmd);

    rl_cli_progress line;
    rl_cli_progress_init(&line, !a.json);
    progress_ctx pc = {.line = &line, .o = &a.o, .reduced = a.o.reduce && !a.program};
    if (line.on) {
        a.o.progress = show_progress;
        a.o.progress_ctx = &pc;
    }
    a.o.interrupted = rl_cli_catch_interrupt();
    shard_part part = {a.shard - 1, a.shards};
    rl_explore_split split = {.owns = shard_owns, .ctx = &part, .first_part = a.shard == 1,
                              .part = a.shard, .parts = a.shards};
    if (a.shards)
        a.o.split = &split;
    rl_explore_result r;
    rl_err e = rl_explore(&t, &a.o, &r, why, sizeof why);
    rl_cli_release_interrupt();
    rl_cli_progress_clear(&line);
    rl_target_free(&t);
    if (e != RL_OK) {
        if ((a.o.search == RL_SEARCH_REPLAY || a.shards) && e == RL_EINVAL)
            return rl_cli_usage_error("explore", "%s", why);
        fprintf(stderr, "racelab explore: %s\n", why[0] ? why : rl_strerror(e));
        return EXIT_ERROR;
    }
    if (a.json)
        rl_explore_write_json(stdout, a.program ? name : json_target(replay_cmd), &a.o, &r);
    else
        rl_explore_print(stdout, name, &a.o, &r, replay_cmd, rl_cli_colour());
    rc = r.stopped == RL_STOP_INTERRUPT ? EXIT_INTERRUPTED : r.failed ? EXIT_BROKEN : EXIT_HELD;
    if (a.svg && draw(&a, a.program ? name : json_target(replay_cmd), &r) != EXIT_HELD)
        rc = EXIT_ERROR;
    if (a.html && rl_cli_write_html("explore", a.html,
                                   a.program ? name : json_target(replay_cmd), &a.o, &r,
                                   replay_cmd) != EXIT_HELD)
        rc = EXIT_ERROR;
    uint64_t steps = r.longest;
    rl_explore_result_free(&r);
    if (a.gdb && rc != EXIT_INTERRUPTED && steps > 0 && replay_under_gdb(&a, steps) != EXIT_HELD)
        return EXIT_ERROR;
    return rc;
}

/* cmd_explore.c - `racelab explore TARGET`: search the interleavings of a
 * target, print the failing one (and its minimized form) or the proof. */
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "json.h"
#include "racelab/explore.h"

static void print_help(void) {
    printf("usage: racelab explore TARGET [--merchants N] [--customers N] [--threads N]\n"
           "                      [--items N] [--retries N]\n"
           "                      [--preemptions B | --pct [--depth D] [--seed S]\n"
           "                       [--iterations N] | --replay SCHEDULE]\n"
           "                      [--all] [--no-minimize] [--max-schedules N] [--json]\n"
           "       racelab explore --list\n"
           "\n"
           "Runs TARGET under a controlled scheduler: one thread at a time, and at every\n"
           "lock, unlock, wait, signal, spawn, join and shared access the explorer chooses\n"
           "who goes next. It checks the target's invariant after every schedule and prints\n"
           "the interleaving that breaks it, shortened, as a schedule you can replay.\n"
           "\n"
           "TARGET is SCENARIO:VARIANT (bill:racy, bill:mutex, overdraft:racy, close:once,\n"
           "...) or deadlock:opposite-order / deadlock:same-order. --list names them all.\n"
           "\n"
           "search:\n"
           "  --preemptions B   every schedule with at most B preemptions, searched 0, 1, ...\n"
           "                    so a failure found has the fewest (default 2)\n"
           "  --pct             random priorities instead (PCT), seeded and repeatable:\n"
           "     --depth D      bug depth, D - 1 priority changes per schedule (default 3)\n"
           "     --seed S       the seed (default 1)\n"
           "     --iterations N schedules to run (default 1000)\n"
           "  --replay S        run one schedule: S is what --json or the report prints,\n"
           "                    STEP:THREAD choices off the default order, or - for none\n"
           "  --all             do not stop at the first failure: count every final state\n"
           "  --no-minimize     do not shorten the failure found\n"
           "  --max-schedules N stop after N schedules (default 1000000)\n"
           "\n"
           "case size (explorer defaults are small): --merchants N and --customers N for\n"
           "bill (default 2 x 2), --threads N (default 2), --items N (default 2), --retries N.\n"
           "\n"
           "Exit status: 0 when no failure was found, 1 when one was, 2 for bad usage,\n"
           "3 if the exploration could not run.\n");
}

static void list_one(void *ctx, const char *name, const char *summary, bool correct) {
    rl_json *j = ctx;
    if (j) {
        rl_json_object(j, NULL);
        rl_json_str(j, "target", name);
        rl_json_str(j, "summary", summary);
        rl_json_bool(j, "correct", correct);
        rl_json_end(j, '}');
    } else {
        printf("  %-28s %-5s %s\n", name, correct ? "fix" : "racy", summary);
    }
}

static void print_trace(const rl_counterexample *c) {
    printf("%s  step  thread            op         object            value%s\n", rl_cli_bold(),
           rl_cli_reset());
    for (size_t i = 0; i < c->nsteps; i++) {
        const rl_trace_step *s = &c->steps[i];
        char who[48], value[32] = "";
        snprintf(who, sizeof who, "%s (%u)", s->thread_name, s->thread);
        if (s->has_value) {
            if (strcmp(s->op, "trylock") == 0)
                snprintf(value, sizeof value, "%s", s->value ? "taken" : "busy");
            else
                snprintf(value, sizeof value, "%" PRId64, s->value);
        }
        /* a step can hold several lines: an unlock or a signal takes effect
         * inside the step of the operation before it */
        char step[16] = "";
        if (s->index == 0)
            snprintf(step, sizeof step, "-");
        else if (i == 0 || c->steps[i - 1].index != s->index)
            snprintf(step, sizeof step, "%u", s->index);
        printf("  %4s  %-17s %-10s %-14s %8s", step, who, s->op, s->object, value);
        if (s->marks & RL_MARK_PREEMPT)
            printf("  preempts");
        if (s->marks & RL_MARK_LOST) {
            printf("  %s<< LOST UPDATE", rl_cli_red());
            if (s->overwrote)
                printf(": replaced the write of step %u", s->overwrote);
            printf("%s", rl_cli_reset());
        }
        if (s->marks & RL_MARK_ERROR)
            printf("  %s<< ERROR%s", rl_cli_red(), rl_cli_reset());
        if (s->marks & RL_MARK_BLOCKED)
            printf("  %s<< stuck here%s", rl_cli_red(), rl_cli_reset());
        if (s->note[0])
            printf("  (%s)", s->note);
        putchar('\n');
    }
}

static void print_counterexample(const char *title, const rl_counterexample *c,
                                 const char *replay_cmd) {
    unsigned steps = c->nsteps ? c->steps[c->nsteps - 1].index : 0;
    printf("\n%s%s%s: %s, %u preemption%s, %u choice%s off the default order, %u steps\n",
           rl_cli_bold(), title, rl_cli_reset(), rl_failure_kind_name(c->kind), c->preemptions,
           c->preemptions == 1 ? "" : "s", c->deviations, c->deviations == 1 ? "" : "s", steps);
    printf("schedule: %s\n", c->schedule);
    printf("replay:   %s --replay %s\n\n", replay_cmd, c->schedule);
    print_trace(c);
    printf("\n%s%s%s\n", rl_cli_red(), c->message, rl_cli_reset());
    if (c->outcome.state[0]) {
        printf("final state: %s\n", c->outcome.state);
        fputs(c->outcome.story, stdout);
    }
}

static void json_counterexample(rl_json *j, const char *key, const rl_counterexample *c) {
    rl_json_object(j, key);
    rl_json_str(j, "kind", rl_failure_kind_name(c->kind));
    rl_json_str(j, "message", c->message);
    rl_json_str(j, "schedule", c->schedule);
    rl_json_uint(j, "preemptions", c->preemptions);
    rl_json_uint(j, "deviations", c->deviations);
    rl_json_str(j, "final_state", c->outcome.state);
    rl_json_str(j, "story", c->outcome.story);
    rl_json_array(j, "trace");
    for (size_t i = 0; i < c->nsteps; i++) {
        const rl_trace_step *s = &c->steps[i];
        rl_json_object(j, NULL);
        rl_json_uint(j, "step", s->index);
        rl_json_uint(j, "thread", s->thread);
        rl_json_str(j, "thread_name", s->thread_name);
        rl_json_str(j, "op", s->op);
        rl_json_str(j, "object", s->object);
        if (s->has_value)
            rl_json_int(j, "value", s->value);
        if (s->marks & RL_MARK_PREEMPT)
            rl_json_bool(j, "preempts", true);
        if (s->marks & RL_MARK_LOST) {
            rl_json_bool(j, "lost_update", true);
            rl_json_uint(j, "replaced_step", s->overwrote);
        }
        if (s->marks & RL_MARK_ERROR)
            rl_json_bool(j, "error", true);
        if (s->marks & RL_MARK_BLOCKED)
            rl_json_bool(j, "stuck", true);
        if (s->note[0])
            rl_json_str(j, "note", s->note);
        rl_json_end(j, '}');
    }
    rl_json_end(j, ']');
    rl_json_end(j, '}');
}

int rl_cmd_explore(int argc, char **argv) {
    if (rl_cli_wants_help(argc, argv)) {
        print_help();
        return EXIT_HELD;
    }
    static const struct option longopts[] = {
        {"merchants", required_argument, NULL, 'M'}, {"customers", required_argument, NULL, 'C'},
        {"threads", required_argument, NULL, 't'},   {"items", required_argument, NULL, 'i'},
        {"retries", required_argument, NULL, 'r'},   {"preemptions", required_argument, NULL, 'p'},
        {"pct", no_argument, NULL, 'P'},             {"depth", required_argument, NULL, 'd'},
        {"seed", required_argument, NULL, 's'},      {"iterations", required_argument, NULL, 'n'},
        {"replay", required_argument, NULL, 'R'},    {"all", no_argument, NULL, 'a'},
        {"no-minimize", no_argument, NULL, 'm'},     {"max-schedules", required_argument, NULL, 'x'},
        {"json", no_argument, NULL, 'J'},            {"list", no_argument, NULL, 'L'},
        {0}};
    rl_explore_opts o = rl_explore_opts_default();
    rl_scenario_opts so = {0};
    bool json = false, list = false, pct = false, bound_given = false, pct_opt = false;
    uint64_t v;
    opterr = 0;
    optind = 1;
    for (int c; (c = getopt_long(argc, argv, "", longopts, NULL)) != -1;) {
        switch (c) {
#define UNSIGNED(flag, lo, hi, dest)                                                               \
    if (!rl_cli_parse_u64("explore", flag, optarg, lo, hi, &v))                                     \
        return EXIT_USAGE;                                                                         \
    dest = v;                                                                                      \
    break
        case 'M': UNSIGNED("--merchants", 1, 5, so.merchants);
        case 'C': UNSIGNED("--customers", 1, 5, so.customers);
        case 't': UNSIGNED("--threads", 1, 16, so.threads);
        case 'i': UNSIGNED("--items", 1, 1000, so.items);
        case 'r': UNSIGNED("--retries", 1, 1000, so.retries);
        case 'p':
            bound_given = true;
            UNSIGNED("--preemptions", 0, 20, o.preemptions);
        case 'd':
            pct_opt = true;
            UNSIGNED("--depth", 1, 64, o.depth);
        case 's':
            pct_opt = true;
            UNSIGNED("--seed", 0, UINT64_MAX, o.seed);
        case 'n':
            pct_opt = true;
            UNSIGNED("--iterations", 1, 100000000, o.iterations);
        case 'x': UNSIGNED("--max-schedules", 1, UINT64_MAX, o.max_schedules);
#undef UNSIGNED
        case 'P': pct = true; break;
        case 'R':
            o.search = RL_SEARCH_REPLAY;
            o.replay = optarg;
            break;
        case 'a': o.keep_going = true; break;
        case 'm': o.minimize = false; break;
        case 'J': json = true; break;
        case 'L': list = true; break;
        default:
            return rl_cli_usage_error("explore", "unknown or incomplete option '%s'",
                                      argv[optind - 1]);
        }
    }
    if (list) {
        if (optind < argc)
            return rl_cli_usage_error("explore", "--list takes no target");
        rl_json j;
        if (json) {
            rl_json_init(&j, stdout);
            rl_json_array(&j, NULL);
        } else {
            printf("targets (SCENARIO:VARIANT):\n");
        }
        rl_target_list(list_one, json ? &j : NULL);
        if (json)
            rl_json_end(&j, ']');
        return EXIT_HELD;
    }
    if (pct && o.search == RL_SEARCH_REPLAY)
        return rl_cli_usage_error("explore", "--pct and --replay are different searches: pick one");
    if (bound_given && (pct || o.search == RL_SEARCH_REPLAY))
        return rl_cli_usage_error("explore", "--preemptions belongs to the bounded search, not "
                                             "to --pct or --replay");
    if (pct_opt && !pct)
        return rl_cli_usage_error("explore", "--depth, --seed and --iterations need --pct");
    if (pct)
        o.search = RL_SEARCH_PCT;
    if (optind >= argc)
        return rl_cli_usage_error("explore", "which target? ('racelab explore --list' names them)");
    if (optind + 1 < argc)
        return rl_cli_usage_error("explore", "unexpected argument '%s'", argv[optind + 1]);

    const char *name = argv[optind];
    rl_target t;
    char why[512] = "";
    if (rl_target_parse(name, &so, &t, why, sizeof why) != RL_OK)
        return rl_cli_usage_error("explore", "%s", why);

    /* the command that replays what we print: the target and the case
     * options that were given */
    char replay_cmd[256];
    int n = snprintf(replay_cmd, sizeof replay_cmd, "racelab explore %s", name);
    const struct {
        const char *flag;
        unsigned value;
    } given[] = {{"--merchants", so.merchants}, {"--customers", so.customers},
                 {"--threads", so.threads},     {"--items", so.items},
                 {"--retries", so.retries}};
    for (size_t i = 0; i < sizeof given / sizeof given[0]; i++)
        if (given[i].value && n > 0 && (size_t)n < sizeof replay_cmd)
            n += snprintf(replay_cmd + n, sizeof replay_cmd - (size_t)n, " %s %u", given[i].flag,
                          given[i].value);

    rl_explore_result r;
    rl_err e = rl_explore(&t, &o, &r, why, sizeof why);
    if (e != RL_OK) {
        if (o.search == RL_SEARCH_REPLAY && e == RL_EINVAL)
            return rl_cli_usage_error("explore", "%s", why);
        fprintf(stderr, "racelab explore: %s: %s\n", rl_strerror(e), why);
        return EXIT_ERROR;
    }
    double secs = (double)r.elapsed_ns / 1e9;
    double rate = secs > 0 ? (double)r.schedules / secs : 0;
    const char *search = o.search == RL_SEARCH_BOUNDED ? "bounded"
                         : o.search == RL_SEARCH_PCT   ? "pct"
                                                       : "replay";
    if (json) {
        rl_json j;
        rl_json_init(&j, stdout);
        rl_json_object(&j, NULL);
        rl_json_str(&j, "target", name);
        rl_json_str(&j, "search", search);
        if (o.search == RL_SEARCH_BOUNDED)
            rl_json_uint(&j, "preemption_bound", o.preemptions);
        if (o.search == RL_SEARCH_PCT) {
            rl_json_uint(&j, "depth", o.depth);
            rl_json_uint(&j, "seed", o.seed);
            rl_json_uint(&j, "iterations", o.iterations);
        }
        rl_json_uint(&j, "schedules", r.schedules);
        rl_json_bool(&j, "exhaustive", r.exhaustive);
        rl_json_bool(&j, "complete", r.complete);
        rl_json_uint(&j, "pruned_preemptions", r.pruned);
        rl_json_uint(&j, "longest_schedule", r.longest);
        rl_json_uint(&j, "elapsed_ns", r.elapsed_ns);
        rl_json_double(&j, "schedules_per_second", rate);
        rl_json_bool(&j, "failed", r.failed);
        if (r.failed) {
            json_counterexample(&j, "failure", &r.first);
            if (r.minimized.schedule) {
                json_counterexample(&j, "minimized", &r.minimized);
                rl_json_uint(&j, "minimize_ns", r.minimize_ns);
            }
        }
        rl_json_array(&j, "final_states");
        for (size_t i = 0; i < r.nstates; i++) {
            rl_json_object(&j, NULL);
            rl_json_str(&j, "state", r.states[i].state);
            rl_json_bool(&j, "held", r.states[i].held);
            rl_json_uint(&j, "schedules", r.states[i].schedules);
            rl_json_end(&j, '}');
        }
        rl_json_end(&j, ']');
        rl_json_end(&j, '}');
    } else {
        printf("%sexplore %s%s", rl_cli_bold(), name, rl_cli_reset());
        if (t.scenario && strcmp(t.scenario->name, "bill") == 0)
            printf(" (%u merchant%s x %u customer%s)", t.opts.merchants,
                   t.opts.merchants == 1 ? "" : "s", t.opts.customers,
                   t.opts.customers == 1 ? "" : "s");
        if (o.search == RL_SEARCH_BOUNDED)
            printf(": every schedule with at most %u preemption%s\n", o.preemptions,
                   o.preemptions == 1 ? "" : "s");
        else if (o.search == RL_SEARCH_PCT)
            printf(": PCT, depth %u, seed %" PRIu64 ", %" PRIu64 " iterations\n", o.depth, o.seed,
                   o.iterations);
        else
            printf(": replaying %s\n", o.replay);
        char took[32];
        printf("%" PRIu64 " schedule%s in %s (%.0f schedules/s), longest %" PRIu64 " steps\n",
               r.schedules, r.schedules == 1 ? "" : "s",
               rl_cli_format_duration(r.elapsed_ns, took, sizeof took), rate, r.longest);
        if (r.failed) {
            printf("%sFAILURE%s found\n", rl_cli_red(), rl_cli_reset());
            print_counterexample("failure", &r.first, replay_cmd);
            if (r.minimized.schedule && strcmp(r.minimized.schedule, r.first.schedule) == 0)
                printf("\nminimized: the failure found is already as short as it gets\n");
            else if (r.minimized.schedule)
                print_counterexample("minimized", &r.minimized, replay_cmd);
        } else {
            printf("%sno failure%s", rl_cli_green(), rl_cli_reset());
            if (o.search == RL_SEARCH_BOUNDED) {
                if (r.complete)
                    printf(": complete, every schedule of this case was explored (a proof "
                           "for this case)\n");
                else if (r.exhaustive)
                    printf(": exhaustive within %u preemption%s (%" PRIu64
                           " preemptions beyond the bound were not taken)\n",
                           o.preemptions, o.preemptions == 1 ? "" : "s", r.pruned);
                else
                    printf(": NOT exhaustive, the search stopped at its limit\n");
            } else {
                putchar('\n');
            }
        }
        if (!r.failed || o.keep_going) {
            printf("\nreachable final states:\n");
            for (size_t i = 0; i < r.nstates; i++)
                printf("  %10" PRIu64 "  %s%-6s%s %s\n", r.states[i].schedules,
                       r.states[i].held ? rl_cli_green() : rl_cli_red(),
                       r.states[i].held ? "held" : "BROKEN", rl_cli_reset(), r.states[i].state);
        }
    }
    int rc = r.failed ? EXIT_BROKEN : EXIT_HELD;
    rl_explore_result_free(&r);
    return rc;
}

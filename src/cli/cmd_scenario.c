/* cmd_scenario.c - `racelab scenario list` and `racelab scenario run`. */
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "racelab/histogram.h"
#include "../util/json.h"
#include "racelab/scenario.h"
#include "../util/words.h"

static void print_help(void) {
    printf("usage: racelab scenario list [--json]\n"
           "       racelab scenario run NAME [--variant V] [--runs K] [--force] [--delay D]\n"
           "                            [--retries N] [--threads N] [--items N]\n"
           "                            [--merchants N] [--customers N] [--bank URL]\n"
           "                            [--replace-bank] [--json]\n"
           "\n"
           "The chapter's race-condition patterns, each with a racy variant and its fixes\n"
           "and an invariant checked after every run.\n"
           "\n"
           "run options:\n"
           "  --variant V     run one variant (default: every variant, in turn)\n"
           "  --runs K        repeat K times and print a histogram of the final states\n"
           "  --force         force the failing interleaving on real threads (the lockstep\n"
           "                  gate): nobody acts until everybody has checked or is blocked\n"
           "  --delay D       the wait inside the race window (default: the scenario's)\n"
           "  --retries N     bound of the variants that retry\n"
           "  --threads N     how many threads call at once, where the scenario lets you choose\n"
           "  --items N       work per thread (appends, requests), where it applies\n"
           "  --merchants N, --customers N   the bill scenario's data\n"
           "  --bank URL      where the bill and lost-update scenarios keep the balances:\n"
           "                  memory, sqlite:PATH, postgresql://..., or key=value (lost-update\n"
           "                  needs a database: by default a temporary SQLite file); its\n"
           "                  racelab_* tables are a scratch bank, made anew by each run:\n"
           "                  any other racelab_* table there (a bank 'racelab bank init'\n"
           "                  made) is refused and left alone\n"
           "  --replace-bank  replace whatever racelab_* tables --bank holds (--force is\n"
           "                  the lockstep gate here)\n"
           "  --json          JSON instead of text\n"
           "\n"
           "Exit status: 0 when the invariant held in every run, 1 when it did not,\n"
           "2 for bad usage, 3 if a run could not be done (a database that cannot be\n"
           "reached; an engine that did not do what the lost-update script documents).\n");
}

static int list(int argc, char **argv) {
    bool json = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0)
            json = true;
        else
            return rl_cli_usage_error("scenario list", "unexpected argument '%s'", argv[i]);
    }
    if (json) {
        rl__json j;
        rl__json_init(&j, stdout);
        rl__json_array(&j, NULL);
        for (size_t i = 0; i < rl_scenario_count(); i++) {
            const rl_scenario *s = rl_scenario_at(i);
            rl__json_object(&j, NULL);
            rl__json_str(&j, "name", s->name);
            rl__json_str(&j, "summary", s->summary);
            rl__json_array(&j, "variants");
            for (size_t v = 0; v < s->nvariants; v++) {
                rl__json_object(&j, NULL);
                rl__json_str(&j, "name", s->variants[v].name);
                rl__json_str(&j, "summary", s->variants[v].summary);
                rl__json_bool(&j, "correct", s->variants[v].correct);
                rl__json_end(&j, '}');
            }
            rl__json_end(&j, ']');
            rl__json_end(&j, '}');
        }
        rl__json_end(&j, ']');
        return EXIT_HELD;
    }
    for (size_t i = 0; i < rl_scenario_count(); i++) {
        const rl_scenario *s = rl_scenario_at(i);
        printf("%s%s%s  %s\n", rl_cli_bold(), s->name, rl_cli_reset(), s->summary);
        for (size_t v = 0; v < s->nvariants; v++)
            printf("  %-16s %-7s %s\n", s->variants[v].name,
                   s->variants[v].correct ? "fix" : "racy", s->variants[v].summary);
    }
    return EXIT_HELD;
}

typedef struct {
    const rl_scenario *s;
    rl_scenario_opts o;
    uint64_t runs;
    bool json;
} run_args;

/* Run one variant args->runs times; print it; return its exit status. */
static int run_variant(const run_args *a, size_t v, rl__json *j) {
    const rl_variant *var = &a->s->variants[v];
    rl_histogram h;
    rl_histogram_init(&h);
    uint64_t broken = 0;
    rl_outcome first = {0}, out;
    rl_cli_progress line;
    rl_cli_progress_init(&line, !a->json && a->runs > 1);
    for (uint64_t r = 0; r < a->runs; r++) {
        if (rl_cli_progress_due(&line))
            rl_cli_progress_show(&line, "%s/%s: run %" PRIu64 " of %" PRIu64 ", %" PRIu64
                                        " broken so far",
                                 a->s->name, var->name, r + 1, a->runs, broken);
        rl_err e = rl_scenario_run(a->s, var->name, &a->o, &out);
        if (e == RL_EEXIST) {
            rl_cli_progress_clear(&line);
            rl_histogram_free(&h);
            return rl_cli_bank_exists("scenario run", a->o.bank, out.verdict, "--replace-bank");
        }
        if (e != RL_OK) {
            fprintf(stderr, "racelab scenario run: %s/%s could not run: %s%s%s\n", a->s->name,
                    var->name, rl_strerror(e), out.verdict[0] ? ": " : "", out.verdict);
            rl_cli_progress_clear(&line);
            rl_histogram_free(&h);
            return e == RL_ENOTSUP || e == RL_EINVAL ? EXIT_USAGE : EXIT_ERROR;
        }
        if (r == 0)
            first = out;
        broken += !out.held;
        if (rl_histogram_add(&h, out.state, strlen(out.state) + 1, out.held) != RL_OK) {
            rl_cli_progress_clear(&line);
            rl_histogram_free(&h);
            fprintf(stderr, "racelab scenario run: out of memory\n");
            return EXIT_ERROR;
        }
    }
    rl_cli_progress_clear(&line);
    rl_histogram_sort(&h);
    size_t nb = h.n;
    const rl_histogram_entry *buckets = h.entries;
    if (a->json) {
        rl__json_object(j, NULL);
        rl__json_str(j, "variant", var->name);
        rl__json_bool(j, "correct", var->correct);
        rl__json_uint(j, "runs", a->runs);
        rl__json_uint(j, "runs_broken", broken);
        rl__json_bool(j, "held", broken == 0);
        if (a->runs == 1) {
            rl__json_str(j, "state", first.state);
            rl__json_str(j, "verdict", first.verdict);
            rl__json_str(j, "story", first.story);
        } else {
            rl__json_array(j, "histogram");
            for (size_t b = 0; b < nb; b++) {
                rl__json_object(j, NULL);
                rl__json_str(j, "state", buckets[b].key);
                rl__json_uint(j, "count", buckets[b].count);
                rl__json_double(j, "share", (double)buckets[b].count / (double)a->runs);
                rl__json_bool(j, "held", buckets[b].held);
                rl__json_end(j, '}');
            }
            rl__json_end(j, ']');
        }
        rl__json_end(j, '}');
    } else {
        printf("%s%s / %s%s  %s\n", rl_cli_bold(), a->s->name, var->name, rl_cli_reset(),
               var->summary);
        if (a->runs == 1) {
            fputs(first.story, stdout);
            printf("state: %s\n", first.state);
            printf("%s%s%s: %s\n", first.held ? rl_cli_green() : rl_cli_red(),
                   first.held ? "invariant held" : "INVARIANT BROKEN", rl_cli_reset(),
                   first.verdict);
        } else {
            printf("%" PRIu64 " runs, %zu distinct final state%s, invariant broken in %" PRIu64
                   "\n",
                   a->runs, nb, rl__plural(nb), broken);
            for (size_t b = 0; b < nb; b++)
                printf("  %8" PRIu64 " %6.1f%%  %s%-7s%s %s\n", buckets[b].count,
                       100.0 * (double)buckets[b].count / (double)a->runs,
                       buckets[b].held ? rl_cli_green() : rl_cli_red(),
                       buckets[b].held ? "held" : "BROKEN", rl_cli_reset(),
                       (const char *)buckets[b].key);
        }
        putchar('\n');
    }
    rl_histogram_free(&h);
    return broken ? EXIT_BROKEN : EXIT_HELD;
}

/* An unsigned option into *field, within lo..hi; false after saying why. */
static bool unsigned_option(const char *flag, const char *text, uint64_t lo, uint64_t hi,
                            unsigned *field) {
    uint64_t v;
    if (!rl_cli_parse_u64("scenario run", flag, text, lo, hi, &v))
        return false;
    *field = (unsigned)v;
    return true;
}

/* The arguments into a and *only (the variant to run, or nvariants for
 * all); -1 when they are good, else the exit status. */
static int parse_run(int argc, char **argv, run_args *a, size_t *only) {
    static const struct option longopts[] = {
        {"variant", required_argument, NULL, 'v'}, {"runs", required_argument, NULL, 'k'},
        {"force", no_argument, NULL, 'f'},         {"delay", required_argument, NULL, 'd'},
        {"retries", required_argument, NULL, 'r'}, {"threads", required_argument, NULL, 't'},
        {"items", required_argument, NULL, 'i'},   {"merchants", required_argument, NULL, 'M'},
        {"customers", required_argument, NULL, 'C'}, {"json", no_argument, NULL, 'J'},
        {"bank", required_argument, NULL, 'B'},     {"replace-bank", no_argument, NULL, 'X'},
        {0}};
    *a = (run_args){.runs = 1};
    const char *variant = NULL;
    bool ok = true;
    opterr = 0;
    optind = 1;
    /* permuting: options may come before or after the scenario's name */
    for (int c; ok && (c = getopt_long(argc, argv, "", longopts, NULL)) != -1;) {
        switch (c) {
        case 'v': variant = optarg; break;
        case 'k': ok = rl_cli_parse_u64("scenario run", "--runs", optarg, 1, 1000000, &a->runs); break;
        case 'f': a->o.force = true; break;
        case 'd':
            ok = rl_cli_parse_duration("scenario run", "--delay", optarg, 10000000000u,
                                       &a->o.delay_ns);
            break;
        case 'r': ok = unsigned_option("--retries", optarg, 1, 1000000, &a->o.retries); break;
        case 't': ok = unsigned_option("--threads", optarg, 1, 64, &a->o.threads); break;
        case 'i': ok = unsigned_option("--items", optarg, 1, 1000000, &a->o.items); break;
        case 'M': ok = unsigned_option("--merchants", optarg, 1, 5, &a->o.merchants); break;
        case 'C': ok = unsigned_option("--customers", optarg, 1, 5, &a->o.customers); break;
        case 'J': a->json = true; break;
        case 'B': ok = rl_cli_parse_bank("scenario run", optarg, &a->o.bank); break;
        case 'X': a->o.replace_bank = true; break;
        default:
            return rl_cli_usage_error("scenario run", "unknown or incomplete option '%s'",
                                      argv[optind - 1]);
        }
    }
    if (!ok)
        return EXIT_USAGE;
    if (optind >= argc)
        return rl_cli_usage_error("scenario run", "which scenario? ('racelab scenario list' names them)");
    if (optind + 1 < argc)
        return rl_cli_usage_error("scenario run", "unexpected argument '%s'", argv[optind + 1]);
    if (!(a->s = rl_scenario_find(argv[optind])))
        return rl_cli_usage_error("scenario run", "unknown scenario '%s' ('racelab scenario list' "
                                                  "names them)",
                                  argv[optind]);
    *only = a->s->nvariants;
    if (variant && (*only = rl_scenario_variant(a->s, variant)) == a->s->nvariants) {
        char names[256] = "";
        for (size_t i = 0; i < a->s->nvariants; i++)
            snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", i ? ", " : "",
                     a->s->variants[i].name);
        return rl_cli_usage_error("scenario run", "scenario '%s' has no variant '%s' (one of: %s)",
                                  a->s->name, variant, names);
    }
    if (a->o.bank && !a->s->takes_bank && strcmp(a->o.bank, "memory") != 0)
        return rl_cli_usage_error("scenario run", "scenario '%s' keeps its state in memory: "
                                                  "--bank applies to bill and lost-update",
                                  a->s->name);
    return -1;
}

static int run(int argc, char **argv) {
    run_args a;
    size_t only = 0;
    int rc = parse_run(argc, argv, &a, &only);
    if (rc >= 0)
        return rc;
    rl__json j;
    if (a.json) {
        rl__json_init(&j, stdout);
        rl__json_object(&j, NULL);
        rl__json_str(&j, "scenario", a.s->name);
        rl__json_bool(&j, "forced", a.o.force);
        rl__json_array(&j, "variants");
    }
    rc = EXIT_HELD;
    for (size_t i = 0; i < a.s->nvariants; i++) {
        if (only != a.s->nvariants && i != only)
            continue;
        int r = run_variant(&a, i, &j);
        if (r == EXIT_ERROR || r == EXIT_USAGE) {
            rc = r;
            break;
        }
        if (r == EXIT_BROKEN)
            rc = EXIT_BROKEN;
    }
    if (a.json) {
        rl__json_end(&j, ']');
        rl__json_bool(&j, "all_held", rc == EXIT_HELD);
        rl__json_end(&j, '}');
    }
    return rc;
}

int rl_cmd_scenario(int argc, char **argv) {
    if (rl_cli_wants_help(argc, argv)) {
        print_help();
        return EXIT_HELD;
    }
    if (argc < 2)
        return rl_cli_usage_error("scenario", "which action? list or run");
    if (strcmp(argv[1], "list") == 0)
        return list(argc - 1, argv + 1);
    if (strcmp(argv[1], "run") == 0)
        return run(argc - 1, argv + 1);
    return rl_cli_usage_error("scenario", "unknown action '%s' (list or run)", argv[1]);
}

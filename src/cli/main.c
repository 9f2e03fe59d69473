/* main.c - the racelab command: dispatch to a verb. Thin by design: every
 * verb parses flags, calls the library and prints. The dispatch is
 * rl_cli_main, so that a test can run the command in-process (the command's
 * main() is entry.c). */
#include <string.h>

#include "cli.h"

#ifndef RACELAB_VERSION
#define RACELAB_VERSION "unknown"
#endif

static const struct verb {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} verbs[] = {
    {"demo", rl_cmd_demo, "the billing exercise three ways, side by side (start here)"},
    {"bill", rl_cmd_bill, "run one billing strategy and check the final balances"},
    {"scenario", rl_cmd_scenario, "the chapter's race patterns: list them, run one and check it"},
    {"explore", rl_cmd_explore, "search every interleaving: find the failing one, replay it, prove fixes"},
    {"merge", rl_cmd_merge, "the parts of a search run apart (explore --shard K/N --json) as one result"},
    {"draw", rl_cmd_draw, "a saved result's failure (explore --json) as a picture (--svg)"},
    {"bench", rl_cmd_bench, "what each fix costs: makespan and throughput against the best possible"},
    {"trace", rl_cmd_trace, "draw one run: a lane per merchant, lost updates marked (--svg)"},
    {"bank", rl_cmd_bank, "a bank in a database for merchant processes: init, show, check"},
    {"merchant", rl_cmd_merchant, "one merchant as its own process: bill a cycle exactly once"},
    {"cc", rl_cmd_cc, "compile a C program whose memory accesses racelab explore schedules"},
    {"c++", rl_cmd_cxx, "the same for C++"},
};

static void usage(FILE *f) {
    fprintf(f, "usage: racelab <verb> [options]\n\n"
               "racelab shows race conditions happening, proves fixes correct and measures\n"
               "what they cost.\n\nverbs:\n");
    for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
        fprintf(f, "  %-10s %s\n", verbs[i].name, verbs[i].summary);
    fprintf(f, "\n'racelab <verb> --help' describes a verb. Options for every verb:\n"
               "  -h, --help      help\n"
               "  -V, --version   print the version\n"
               "\nExit status: 0 held / done, 1 invariant broken, 2 bad usage, 3 run failed,\n"
               "130 stopped by Ctrl-C (explore).\n"
               "Colour only on a terminal, never when NO_COLOR is set.\n");
}

int rl_cli_main(int argc, char **argv) {
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    const char *v = argv[1];
    if (strcmp(v, "-h") == 0 || strcmp(v, "--help") == 0 || strcmp(v, "help") == 0) {
        usage(stdout);
        return EXIT_HELD;
    }
    if (strcmp(v, "-V") == 0 || strcmp(v, "--version") == 0) {
        printf("racelab %s\n", RACELAB_VERSION);
        return EXIT_HELD;
    }
    for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
        if (strcmp(v, verbs[i].name) == 0)
            return verbs[i].run(argc - 1, argv + 1);
    if (v[0] == '-')
        return rl_cli_usage_error(NULL, "unknown option '%s'", v);
    return rl_cli_usage_error(NULL, "unknown verb '%s'", v);
}

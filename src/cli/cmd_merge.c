/* cmd_merge.c - `racelab merge FILE...`: the parts of one search, each
 * written by `racelab explore --shard K/N --json`, made one result with
 * one verdict (rl_explore_merge). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "racelab/explore.h"

static void print_help(void) {
    printf("usage: racelab merge [--json] FILE...\n"
           "\n"
           "Makes the parts of one search one result. Each FILE is what\n"
           "  racelab explore ... --shard K/N --json > FILE\n"
           "wrote for one K (run them anywhere: a job array, GNU parallel, a CI matrix;\n"
           "docs/parallel.md). Every part from 1 to N must be there, once, all of the same\n"
           "target and search.\n"
           "\n"
           "The result is the search's as if it had run whole: schedules, final states\n"
           "and pruned preemptions added up; \"proved\" only if every part finished; the\n"
           "failure reported is the one the whole search reports first (each part says\n"
           "where its own comes in the search's order).\n"
           "\n"
           "  --json   print the result as racelab explore --json does\n"
           "\n"
           "Exit status: as racelab explore's: 0 no failure found (read the verdict), 1 a\n"
           "failure found, 2 bad usage (a part missing, twice, or of another search), 3 a\n"
           "file that cannot be read.\n");
}

typedef struct {
    char name[160];
    rl_explore_opts o;
    unsigned part, of;
    bool races_checked, races_listed; /* a program's --races */
    bool plain_checked;               /* and its plain accesses no steps (not --every-access) */
} part_info;

/* Whether b is a part of the same search as a; why not into why. */
static bool same_search(const part_info *a, const part_info *b, char *why, size_t why_len) {
    const char *what = strcmp(a->name, b->name) != 0 ? "target"
                       : a->o.search != b->o.search ? "search"
                       : a->o.preemptions != b->o.preemptions ? "preemption bound"
                       : a->o.delays != b->o.delays ? "delay bound"
                       : a->o.depth != b->o.depth || a->o.seed != b->o.seed ||
                               a->o.iterations != b->o.iterations
                           ? "PCT depth, seed or iterations"
                       : a->races_checked != b->races_checked ||
                               a->races_listed != b->races_listed
                           ? "--races"
                       : a->plain_checked != b->plain_checked ? "--every-access"
                       : a->o.reduce != b->o.reduce ? "reduction"
                       : a->o.keep_going != b->o.keep_going ? "--all"
                       : a->of != b->of ? "number of parts"
                                        : NULL;
    if (what)
        snprintf(why, why_len, "%s", what);
    return !what;
}

int rl_cmd_merge(int argc, char **argv) {
    if (rl_cli_wants_help(argc, argv)) {
        print_help();
        return EXIT_HELD;
    }
    bool json = false;
    int first = 1; /* argv[0] is the verb */
    for (; first < argc && argv[first][0] == '-' && argv[first][1]; first++) {
        if (strcmp(argv[first], "--json") == 0)
            json = true;
        else if (strcmp(argv[first], "--") == 0) {
            first++;
            break;
        } else
            return rl_cli_usage_error("merge", "unknown option '%s'", argv[first]);
    }
    size_t n = argc > first ? (size_t)(argc - first) : 0;
    if (n == 0)
        return rl_cli_usage_error("merge", "which files? (the --json of each racelab explore "
                                           "--shard K/N)");
    rl_explore_result *parts = calloc(n, sizeof *parts);
    part_info *info = calloc(n, sizeof *info);
    if (!parts || !info) {
        free(parts);
        free(info);
        fprintf(stderr, "racelab merge: out of memory\n");
        return EXIT_ERROR;
    }
    int rc = EXIT_HELD;
    size_t read = 0;
    char why[512] = "";
    for (; read < n && rc == EXIT_HELD; read++) {
        const char *path = argv[first + (int)read];
        size_t len = 0;
        char *text = rl_cli_read_file(path, &len, why, sizeof why);
        if (!text) {
            fprintf(stderr, "racelab merge: %s\n", why);
            rc = EXIT_ERROR;
            break;
        }
        part_info *p = &info[read];
        rl_err e = rl_explore_read_json(text, len, p->name, sizeof p->name, &p->o, &parts[read],
                                        &p->part, &p->of, why, sizeof why);
        free(text);
        if (e != RL_OK) {
            rc = e == RL_ENOMEM ? EXIT_ERROR
                                : rl_cli_usage_error("merge", "%s: %s", path, why);
            break;
        }
        p->races_checked = parts[read].races_checked;
        p->races_listed = parts[read].races_listed;
        p->plain_checked = parts[read].plain_checked;
        if (!p->of) {
            read++;
            rc = rl_cli_usage_error("merge", "%s is a whole search, not a part (racelab "
                                             "explore --shard K/N --json writes parts)",
                                    path);
            break;
        }
        if (p->part < 1 || p->part > p->of) {
            read++;
            rc = rl_cli_usage_error("merge", "%s says it is part %u of %u", path, p->part, p->of);
            break;
        }
        if (read && !same_search(&info[0], p, why, sizeof why)) {
            read++;
            rc = rl_cli_usage_error("merge", "%s is a part of another search than %s (its %s "
                                             "differs)",
                                    path, argv[first], why);
            break;
        }
        for (size_t k = 0; k < read; k++)
            if (info[k].part == p->part) {
                rc = rl_cli_usage_error("merge", "%s and %s are both part %u of %u", argv[first + (int)k],
                                        path, p->part, p->of);
                break;
            }
    }
    if (rc == EXIT_HELD && read != info[0].of) {
        /* the first part missing: a merge of fewer would claim too much */
        unsigned missing = 1;
        for (; missing <= info[0].of; missing++) {
            bool have = false;
            for (size_t k = 0; k < read && !have; k++)
                have = info[k].part == missing;
            if (!have)
                break;
        }
        rc = rl_cli_usage_error("merge", "part %u of %u is missing (%zu given): every part must "
                                         "be merged",
                                missing, info[0].of, read);
    }
    if (rc != EXIT_HELD) {
        for (size_t k = 0; k < read; k++)
            rl_explore_result_free(&parts[k]);
        free(parts);
        free(info);
        return rc;
    }
    rl_explore_result r;
    rl_err e = rl_explore_merge(parts, n, &r);
    free(parts);
    if (e != RL_OK) {
        free(info);
        fprintf(stderr, "racelab merge: out of memory\n");
        return EXIT_ERROR;
    }
    rl_explore_opts o = info[0].o;
    if (json)
        rl_explore_write_json(stdout, info[0].name, &o, &r);
    else
        rl_explore_print(stdout, info[0].name, &o, &r, NULL, rl_cli_colour());
    rc = r.stopped == RL_STOP_INTERRUPT ? EXIT_INTERRUPTED : r.failed ? EXIT_BROKEN : EXIT_HELD;
    rl_explore_result_free(&r);
    free(info);
    return rc;
}

/* cmd_draw.c - `racelab draw FILE.json --svg OUT`: the failure a saved
 * result holds (racelab explore --json, or racelab merge --json) as a
 * picture, drawn as racelab explore --svg draws it (racelab/draw.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "racelab/draw.h"
#include "racelab/explore.h"

static void print_help(void) {
    printf("usage: racelab draw FILE.json --svg OUT\n"
           "\n"
           "Draws the failure in FILE.json (what racelab explore --json or racelab merge\n"
           "--json wrote; its minimized form when there is one) as an SVG picture in OUT,\n"
           "byte for byte what racelab explore --svg OUT draws for the same search: a lane\n"
           "per thread, a mark per trace line with its source line on hover, preemptions\n"
           "flagged, and the steps that make the failure labelled and joined by arrows (a\n"
           "lost update's overwritten write, a data race's two accesses, who waits for\n"
           "whom in a deadlock). OUT - writes to standard output.\n"
           "\n"
           "Exit status: 0 drawn, 1 the result holds no failure (nothing drawn), 2 bad\n"
           "usage or a file that is not such a result, 3 a file that cannot be read or\n"
           "written.\n");
}

/* The failure of r drawn into path (- for stdout), titled after name. */
int rl_cli_draw_failure(const char *verb, const char *path, const char *name,
                        const rl_explore_result *r) {
    const rl_counterexample *c = r->minimized.schedule ? &r->minimized : &r->first;
    char title[400];
    snprintf(title, sizeof title, "%s: %s%s, schedule %s", name, rl_failure_kind_name(c->kind),
             c == &r->minimized ? " (minimized)" : "", c->schedule ? c->schedule : "-");
    bool out = strcmp(path, "-") == 0;
    FILE *f = out ? stdout : fopen(path, "w");
    if (!f) {
        fprintf(stderr, "racelab %s: cannot write %s: %s\n", verb, path, strerror(errno));
        return EXIT_ERROR;
    }
    rl_err e = rl_draw_svg(f, title, c);
    if ((!out && fclose(f) != 0) || (out && fflush(f) != 0))
        e = e == RL_OK ? RL_ESYS : e;
    if (e != RL_OK) {
        fprintf(stderr, "racelab %s: cannot draw into %s: %s\n", verb, path, rl_strerror(e));
        return EXIT_ERROR;
    }
    return EXIT_HELD;
}

int rl_cmd_draw(int argc, char **argv) {
    if (rl_cli_wants_help(argc, argv)) {
        print_help();
        return EXIT_HELD;
    }
    const char *in = NULL, *svg = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--svg") == 0) {
            if (i + 1 >= argc)
                return rl_cli_usage_error("draw", "--svg needs a file (- for standard output)");
            svg = argv[++i];
        } else if (argv[i][0] == '-' && argv[i][1]) {
            return rl_cli_usage_error("draw", "unknown option '%s'", argv[i]);
        } else if (in) {
            return rl_cli_usage_error("draw", "one result at a time, not '%s' too", argv[i]);
        } else {
            in = argv[i];
        }
    }
    if (!in || !svg)
        return rl_cli_usage_error("draw", "which result, and where? racelab draw FILE.json --svg "
                                          "OUT");
    char why[512] = "";
    size_t len = 0;
    char *text = rl_cli_read_file(in, &len, why, sizeof why);
    if (!text) {
        fprintf(stderr, "racelab draw: %s\n", why);
        return EXIT_ERROR;
    }
    char name[160];
    rl_explore_opts o;
    rl_explore_result r;
    unsigned part, of;
    rl_err e = rl_explore_read_json(text, len, name, sizeof name, &o, &r, &part, &of, why,
                                    sizeof why);
    free(text);
    if (e != RL_OK)
        return e == RL_ENOMEM ? EXIT_ERROR : rl_cli_usage_error("draw", "%s: %s", in, why);
    int rc;
    if (!r.failed) {
        fprintf(stderr, "racelab draw: %s holds no failure (its verdict: %s): nothing to draw\n",
                in, rl_explore_verdict(&r));
        rc = EXIT_BROKEN;
    } else {
        rc = rl_cli_draw_failure("draw", svg, name, &r);
    }
    rl_explore_result_free(&r);
    return rc;
}

/* cmd_draw.c - `racelab draw FILE.json [--svg OUT] [--html OUT]`: a
 * saved result (racelab explore --json, or racelab merge --json) as its
 * failure's picture and as a web page, drawn as racelab explore --svg and
 * --html draw them (racelab/draw.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "racelab/draw.h"
#include "racelab/explore.h"

static void print_help(void) {
    printf("usage: racelab draw FILE.json [--svg OUT] [--html OUT]\n"
           "       racelab draw FILE.csv --html OUT\n"
           "\n"
           "--svg draws the failure in FILE.json (what racelab explore --json or racelab\n"
           "merge --json wrote; its minimized form when there is one) as an SVG picture in\n"
           "OUT, byte for byte what racelab explore --svg OUT draws for the same search: a\n"
           "lane per thread, a mark per trace line with its source line on hover,\n"
           "preemptions flagged, and the steps that make the failure labelled and joined\n"
           "by arrows (a lost update's overwritten write, a data race's two accesses, who\n"
           "waits for whom in a deadlock).\n"
           "\n"
           "--html writes the whole result as one self-contained web page, as racelab\n"
           "explore --html does: the verdict and what it covers, the final states as a\n"
           "chart, the failure's picture with its replay command, and the text report. A\n"
           "proof has a page too. OUT - writes to standard output (one of the two).\n"
           "\n"
           "FILE.csv, a benchmark's table (racelab bench ... --csv), is drawn by --html as a\n"
           "page of bar charts of its measures (rows that ended wrong hatched and saying\n"
           "so) above the table itself.\n"
           "\n"
           "Exit status: 0 drawn, 1 --svg of a result that holds no failure (nothing\n"
           "drawn), 2 bad usage or a file that is not such a result, 3 a file that cannot\n"
           "be read or written.\n");
}

/* What draws a picture or a page into f (why said for RL_EINVAL). */
typedef rl_err (*drawer)(FILE *f, const void *ctx, char *why, size_t why_len);

/* draw's output into path (- for standard output): drawn in memory first,
 * so that a drawing that fails leaves path as it was (an existing file is
 * never emptied for nothing). RL_EINVAL from draw is returned with why
 * said and nothing written; any other error is said on stderr as
 * "racelab VERB: ...". */
static rl_err write_drawn(const char *verb, const char *path, drawer draw, const void *ctx,
                          char *why, size_t why_len) {
    char *text = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&text, &len);
    rl_err e = m ? draw(m, ctx, why, why_len) : RL_ENOMEM;
    if (m && fclose(m) != 0 && e == RL_OK)
        e = RL_ENOMEM;
    if (e != RL_OK) {
        free(text);
        if (e != RL_EINVAL)
            fprintf(stderr, "racelab %s: cannot draw into %s: %s\n", verb, path, rl_strerror(e));
        return e;
    }
    bool out = strcmp(path, "-") == 0;
    FILE *f = out ? stdout : fopen(path, "w");
    bool ok = f && fwrite(text, 1, len, f) == len;
    int err = errno;
    if (f && (out ? fflush(f) : fclose(f)) != 0 && ok) {
        ok = false;
        err = errno;
    }
    free(text);
    if (!ok) {
        fprintf(stderr, "racelab %s: cannot write %s: %s\n", verb, path, strerror(err));
        return RL_ESYS;
    }
    return RL_OK;
}

typedef struct {
    const char *name;
    const rl_explore_result *r;
    const rl_explore_opts *o;
    const char *replay_cmd;
} result_ctx;

static rl_err draw_failure(FILE *f, const void *ctx, char *why, size_t why_len) {
    (void)why;
    (void)why_len;
    const result_ctx *c = ctx;
    return rl_draw_failure_svg(f, c->name, c->r);
}

static rl_err draw_page(FILE *f, const void *ctx, char *why, size_t why_len) {
    (void)why;
    (void)why_len;
    const result_ctx *c = ctx;
    return rl_draw_html(f, c->name, c->o, c->r, c->replay_cmd);
}

static rl_err draw_charts(FILE *f, const void *ctx, char *why, size_t why_len) {
    const char *const *c = ctx; /* {title, csv} */
    return rl_draw_csv_html(f, c[0], c[1], why, why_len);
}

/* The failure of r drawn into path (- for stdout), titled after name. */
int rl_cli_draw_failure(const char *verb, const char *path, const char *name,
                        const rl_explore_result *r) {
    result_ctx c = {.name = name, .r = r};
    char why[8];
    return write_drawn(verb, path, draw_failure, &c, why, sizeof why) == RL_OK ? EXIT_HELD
                                                                             : EXIT_ERROR;
}

int rl_cli_write_html(const char *verb, const char *path, const char *name,
                      const rl_explore_opts *o, const rl_explore_result *r,
                      const char *replay_cmd) {
    result_ctx c = {.name = name, .r = r, .o = o, .replay_cmd = replay_cmd};
    char why[8];
    return write_drawn(verb, path, draw_page, &c, why, sizeof why) == RL_OK ? EXIT_HELD
                                                                          : EXIT_ERROR;
}

/* racelab draw TABLE.csv --html OUT: a benchmark's table as charts. */
static int draw_table(const char *in, char *text, const char *svg, const char *html) {
    int rc = EXIT_HELD;
    if (svg) {
        rc = rl_cli_usage_error("draw", "%s is a table, not a result: it has no failure to "
                                        "draw (--html draws its charts)",
                                in);
    } else {
        const char *base = strrchr(in, '/') ? strrchr(in, '/') + 1 : in;
        const char *c[2] = {base, text};
        char why[256] = "";
        rl_err e = write_drawn("draw", html, draw_charts, c, why, sizeof why);
        if (e == RL_EINVAL)
            rc = rl_cli_usage_error("draw", "%s is neither a result (explore --json) nor a "
                                            "table (bench --csv): %s",
                                    in, why);
        else if (e != RL_OK)
            rc = EXIT_ERROR;
    }
    free(text);
    return rc;
}

int rl_cmd_draw(int argc, char **argv) {
    if (rl_cli_wants_help(argc, argv)) {
        print_help();
        return EXIT_HELD;
    }
    const char *in = NULL, *svg = NULL, *html = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--svg") == 0 || strcmp(argv[i], "--html") == 0) {
            if (i + 1 >= argc)
                return rl_cli_usage_error("draw", "%s needs a file (- for standard output)",
                                          argv[i]);
            *(argv[i][2] == 's' ? &svg : &html) = argv[i + 1];
            i++;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            return rl_cli_usage_error("draw", "unknown option '%s'", argv[i]);
        } else if (in) {
            return rl_cli_usage_error("draw", "one result at a time, not '%s' too", argv[i]);
        } else {
            in = argv[i];
        }
    }
    if (!in || (!svg && !html))
        return rl_cli_usage_error("draw", "which result, and where? racelab draw FILE.json "
                                          "[--svg OUT] [--html OUT]");
    if (svg && html && strcmp(svg, "-") == 0 && strcmp(html, "-") == 0)
        return rl_cli_usage_error("draw", "--svg and --html cannot both write to standard "
                                          "output");
    char why[512] = "";
    size_t len = 0;
    char *text = rl_cli_read_file(in, &len, why, sizeof why);
    if (!text) {
        fprintf(stderr, "racelab draw: %s\n", why);
        return EXIT_ERROR;
    }
    const char *first = text;
    while (*first == ' ' || *first == '\n' || *first == '\t' || *first == '\r')
        first++;
    if (*first != '{') { /* not a result: a benchmark's table (bench --csv) */
        if (strlen(text) != len) {
            free(text);
            return rl_cli_usage_error("draw", "%s is neither a result nor a table: it is not "
                                              "text",
                                      in);
        }
        return draw_table(in, text, svg, html);
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
    int rc = EXIT_HELD;
    if (html) {
        /* the replay command, as explore prints it for this target */
        char replay[400];
        snprintf(replay, sizeof replay, r.program ? "racelab explore {schedule} -- %s"
                                                  : "racelab explore %s",
                 name);
        rc = rl_cli_write_html("draw", html, name, &o, &r, replay);
    }
    if (svg && rc == EXIT_HELD) {
        if (!r.failed) {
            fprintf(stderr,
                    "racelab draw: %s holds no failure (its verdict: %s): nothing to draw\n", in,
                    rl_explore_verdict(&r));
            rc = EXIT_BROKEN;
        } else {
            rc = rl_cli_draw_failure("draw", svg, name, &r);
        }
    }
    rl_explore_result_free(&r);
    return rc;
}

/* draw.c - a counterexample as an SVG picture: see racelab/draw.h. */
#include "racelab/draw.h"

#include <stdlib.h>
#include <string.h>

#define LANE_H 56      /* a lane's height */
#define LABEL_W 190    /* the lanes' names */
#define COL_W 92       /* a column: one mark */
#define MARK_W 84
#define MARK_H 30
#define TOP 64         /* above the first lane: the title and the step numbers */
#define FOLD_MIN 7     /* lines of one thread with nothing to show: folded from here */
#define FAILING (RL_MARK_LOST | RL_MARK_ERROR | RL_MARK_BLOCKED | RL_MARK_RACE)

/* colours, each with at least 4.5:1 contrast on white (or on its fill) */
#define INK "#1f1f1f"
#define MUTED "#4d4d4d"
#define MARK_FILL "#e8eef7"
#define MARK_LINE "#3f5f8a"
#define FAIL_FILL "#fde7e5"
#define FAIL_LINE "#a8201a"
#define FOLD_FILL "#f2f2f2"

typedef struct {
    size_t first, n; /* trace lines [first, first + n) */
    unsigned thread;
} column;

static void text(FILE *f, const char *s, size_t max) {
    size_t len = strlen(s);
    for (size_t i = 0; i < len && i < max; i++) {
        switch (s[i]) {
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '&': fputs("&amp;", f); break;
        case '"': fputs("&quot;", f); break;
        default:
            if ((unsigned char)s[i] >= 0x20)
                fputc(s[i], f);
        }
    }
    if (len > max)
        fputs("…", f);
}

/* What a failing mark is called, in words (not by colour alone). */
static const char *failing_word(unsigned marks) {
    return marks & RL_MARK_RACE      ? "data race"
           : marks & RL_MARK_LOST    ? "lost update"
           : marks & RL_MARK_BLOCKED ? "stuck"
                                     : "error";
}

/* The lanes: threads in creation order (their numbers), each once. */
static size_t lanes_of(const rl_counterexample *c, unsigned *lane_of, unsigned *threads) {
    bool seen[RL_EXPLORE_MAX_THREADS] = {false};
    for (size_t i = 0; i < c->nsteps; i++)
        if (c->steps[i].thread < RL_EXPLORE_MAX_THREADS)
            seen[c->steps[i].thread] = true;
    size_t n = 0;
    for (unsigned t = 0; t < RL_EXPLORE_MAX_THREADS; t++)
        if (seen[t]) {
            lane_of[t] = (unsigned)n;
            threads[n++] = t;
        }
    return n;
}

/* The columns: a mark per line, a run of FOLD_MIN or more lines of one
 * thread with no mark, value change or note of interest folded into one. */
static size_t columns_of(const rl_counterexample *c, column *cols) {
    size_t n = 0;
    for (size_t i = 0; i < c->nsteps;) {
        size_t j = i;
        while (j < c->nsteps && c->steps[j].thread == c->steps[i].thread && !c->steps[j].marks)
            j++;
        if (j - i >= FOLD_MIN) {
            cols[n++] = (column){i, j - i, c->steps[i].thread};
            i = j;
        } else {
            cols[n++] = (column){i, 1, c->steps[i].thread};
            i++;
        }
    }
    return n;
}

static int mark_x(size_t col) { return LABEL_W + (int)col * COL_W + (COL_W - MARK_W) / 2; }
static int lane_y(unsigned lane) { return TOP + (int)lane * LANE_H + (LANE_H - MARK_H) / 2; }

/* An arrow from column a's mark to column b's, labelled. */
static void arrow(FILE *f, size_t a, unsigned la, size_t b, unsigned lb, const char *label) {
    int x1 = mark_x(a) + MARK_W / 2, y1 = lane_y(la) + (lb > la ? MARK_H : 0);
    int x2 = mark_x(b) + MARK_W / 2, y2 = lane_y(lb) + (lb > la ? 0 : MARK_H);
    if (la == lb) { /* the same lane: along its bottom */
        y1 = y2 = lane_y(la) + MARK_H;
    }
    fprintf(f, "<g class=\"arrow\"><line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" "
               "stroke-width=\"2\" marker-end=\"url(#head)\"/>",
            x1, y1, x2, y2, FAIL_LINE);
    fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"11\" fill=\"%s\">", (x1 + x2) / 2 + 4,
            (y1 + y2) / 2 - 3, FAIL_LINE);
    text(f, label, 40);
    fputs("</text></g>\n", f);
}

/* The column holding trace line i. */
static size_t column_of(const column *cols, size_t ncols, size_t i) {
    for (size_t k = 0; k < ncols; k++)
        if (i >= cols[k].first && i < cols[k].first + cols[k].n)
            return k;
    return 0;
}

/* The arrows that make the failure. */
static void failure_arrows(FILE *f, const rl_counterexample *c, const column *cols, size_t ncols,
                           const unsigned *lane_of) {
    size_t race_first = c->nsteps;
    for (size_t i = 0; i < c->nsteps; i++) {
        const rl_trace_step *s = &c->steps[i];
        if ((s->marks & RL_MARK_LOST) && s->overwrote) {
            for (size_t k = 0; k < i; k++) /* the write it replaced: by its step */
                if (c->steps[k].index == s->overwrote && c->steps[k].index) {
                    arrow(f, column_of(cols, ncols, k), lane_of[c->steps[k].thread],
                          column_of(cols, ncols, i), lane_of[s->thread], "overwritten");
                    break;
                }
        }
        if (s->marks & RL_MARK_RACE) {
            if (race_first == c->nsteps) {
                race_first = i;
            } else {
                const rl_trace_step *r = &c->steps[race_first];
                arrow(f, column_of(cols, ncols, race_first), lane_of[r->thread],
                      column_of(cols, ncols, i), lane_of[s->thread], "races with");
            }
        }
        if (s->marks & RL_MARK_BLOCKED) {
            /* whom it waits for: the thread it joins, or the last one to
             * take the lock it waits on and not give it back */
            long to = -1;
            if (strcmp(s->op, "join") == 0) {
                for (size_t k = 0; k < c->nsteps && to < 0; k++)
                    if (strcmp(c->steps[k].thread_name, s->object) == 0 ||
                        strncmp(c->steps[k].thread_name, s->object, strlen(s->object)) == 0)
                        to = (long)k;
                for (size_t k = c->nsteps; to >= 0 && k-- > 0;)
                    if (c->steps[k].thread == c->steps[to].thread) {
                        to = (long)k; /* its last line */
                        break;
                    }
            } else {
                for (size_t k = 0; k < i; k++) {
                    const rl_trace_step *h = &c->steps[k];
                    if (strcmp(h->object, s->object) != 0 || h->thread == s->thread ||
                        (h->marks & RL_MARK_BLOCKED))
                        continue;
                    if (strcmp(h->op, "lock") == 0 || strcmp(h->op, "rdlock") == 0 ||
                        strcmp(h->op, "wrlock") == 0 ||
                        (strcmp(h->op, "trylock") == 0 && h->has_value && h->value))
                        to = (long)k;
                    else if (strcmp(h->op, "unlock") == 0 && to >= 0 &&
                             c->steps[to].thread == h->thread)
                        to = -1;
                }
                for (size_t k = i + 1; k < c->nsteps && to < 0; k++) /* stuck after */
                    if ((c->steps[k].marks & RL_MARK_BLOCKED) && c->steps[k].thread != s->thread) {
                        for (size_t h = 0; h < k; h++)
                            if (c->steps[h].thread == c->steps[k].thread &&
                                strcmp(c->steps[h].object, s->object) == 0 &&
                                strcmp(c->steps[h].op, "lock") == 0)
                                to = (long)h;
                    }
            }
            if (to >= 0)
                arrow(f, column_of(cols, ncols, i), lane_of[s->thread],
                      column_of(cols, ncols, (size_t)to), lane_of[c->steps[to].thread],
                      "waits for");
        }
    }
}

static void mark(FILE *f, const rl_counterexample *c, const column *col, size_t k,
                 unsigned lane) {
    const rl_trace_step *s = &c->steps[col->first];
    int x = mark_x(k), y = lane_y(lane);
    bool folded = col->n > 1, failing = !folded && (s->marks & FAILING);
    fprintf(f, "<g class=\"mark%s%s\" data-line=\"%zu\" data-step=\"%u\" data-thread=\"%u\">",
            failing ? " failing" : "", folded ? " folded" : "", col->first + 1, s->index,
            s->thread);
    /* the tooltip: everything the text report says of it */
    fputs("<title>", f);
    if (folded) {
        fprintf(f, "%zu lines of ", col->n);
        text(f, s->thread_name, 32);
        fprintf(f, ", steps %u to %u", s->index, c->steps[col->first + col->n - 1].index);
    } else {
        if (s->index)
            fprintf(f, "step %u: ", s->index);
        text(f, s->thread_name, 32);
        fprintf(f, " (%u) ", s->thread);
        text(f, s->op, 16);
        if (s->object[0]) {
            fputc(' ', f);
            text(f, s->object, 48);
        }
        if (s->has_value)
            fprintf(f, " = %lld", (long long)s->value);
        if (s->where[0]) {
            fputs(" at ", f);
            text(f, s->where, 96);
        }
        if (s->marks & RL_MARK_PREEMPT)
            fputs("; preempts", f);
        if (failing) {
            fputs("; ", f);
            fputs(failing_word(s->marks), f);
        }
        if (s->note[0]) {
            fputs(": ", f);
            text(f, s->note, 160);
        }
    }
    fputs("</title>", f);
    fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" rx=\"5\" fill=\"%s\" "
               "stroke=\"%s\" stroke-width=\"%d\"%s/>",
            x, y, MARK_W, MARK_H, folded ? FOLD_FILL : failing ? FAIL_FILL : MARK_FILL,
            failing ? FAIL_LINE : MARK_LINE, failing ? 3 : 1,
            folded ? " stroke-dasharray=\"4 3\"" : "");
    fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"11\" fill=\"%s\" text-anchor=\"middle\">",
            x + MARK_W / 2, y + 13, INK);
    if (folded)
        fprintf(f, "%zu lines", col->n);
    else
        text(f, s->op, 12);
    fputs("</text>", f);
    fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"10\" fill=\"%s\" text-anchor=\"middle\">",
            x + MARK_W / 2, y + 25, MUTED);
    if (!folded)
        text(f, s->object, 13);
    fputs("</text>", f);
    if (!folded && (s->marks & RL_MARK_PREEMPT)) /* a preemption: a flag on top */
        fprintf(f, "<path class=\"preempt\" d=\"M%d %d l8 -9 l8 9 z\" fill=\"%s\"/>"
                   "<text x=\"%d\" y=\"%d\" font-size=\"9\" fill=\"%s\">preempts</text>",
                x + 4, y, MARK_LINE, x + 22, y - 2, MARK_LINE);
    if (failing)
        fprintf(f, "<text class=\"why\" x=\"%d\" y=\"%d\" font-size=\"10\" font-weight=\"bold\" "
                   "fill=\"%s\" text-anchor=\"middle\">%s</text>",
                x + MARK_W / 2, y + MARK_H + 11, FAIL_LINE, failing_word(s->marks));
    fputs("</g>\n", f);
}

rl_err rl_draw_svg(FILE *f, const char *title, const rl_counterexample *c) {
    if (!f || !title || !c || !c->steps || c->nsteps == 0)
        return RL_EINVAL;
    unsigned lane_of[RL_EXPLORE_MAX_THREADS] = {0}, threads[RL_EXPLORE_MAX_THREADS];
    size_t nlanes = lanes_of(c, lane_of, threads);
    column *cols = malloc(c->nsteps * sizeof *cols);
    if (!cols)
        return RL_ENOMEM;
    size_t ncols = columns_of(c, cols);
    bool marked = false; /* a line of the trace makes the failure */
    for (size_t i = 0; i < c->nsteps; i++)
        marked |= (c->steps[i].marks & FAILING) != 0;
    bool end = !marked && c->kind != RL_FAIL_NONE; /* then the run's end does: drawn */
    int width = LABEL_W + (int)(ncols + end) * COL_W + 20;
    int height = TOP + (int)nlanes * LANE_H + 48;
    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
               "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
               "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" role=\"img\">\n",
            width, height, width, height);
    fputs("<defs><marker id=\"head\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" "
          "markerWidth=\"7\" markerHeight=\"7\" orient=\"auto\"><path d=\"M0 0 L10 5 L0 10 z\" "
          "fill=\"" FAIL_LINE "\"/></marker></defs>\n",
          f);
    fprintf(f, "<rect width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n", width, height);
    fputs("<title>", f);
    text(f, title, 300);
    fputs("</title>\n", f);
    fprintf(f, "<text x=\"12\" y=\"24\" font-size=\"15\" font-weight=\"bold\" fill=\"%s\">", INK);
    text(f, title, 200);
    fputs("</text>\n", f);
    fprintf(f, "<text x=\"12\" y=\"44\" font-size=\"12\" fill=\"%s\">", MUTED);
    const char *kind = rl_failure_kind_name(c->kind);
    if (strncmp(c->message, kind, strlen(kind)) != 0) { /* "deadlock: ..." says it already */
        fputs(kind, f);
        fputs(": ", f);
    }
    text(f, c->message, 160);
    fputs("</text>\n", f);
    for (size_t l = 0; l < nlanes; l++) { /* the lanes, each named */
        const rl_trace_step *named = NULL;
        for (size_t i = 0; i < c->nsteps && !named; i++)
            if (c->steps[i].thread == threads[l])
                named = &c->steps[i];
        int y = TOP + (int)l * LANE_H;
        fprintf(f, "<g class=\"lane\" data-thread=\"%u\"><rect x=\"0\" y=\"%d\" width=\"%d\" "
                   "height=\"%d\" fill=\"%s\"/>",
                threads[l], y, width, LANE_H, l % 2 ? "#ffffff" : "#f7f7f7");
        fprintf(f, "<text x=\"12\" y=\"%d\" font-size=\"13\" fill=\"%s\">", y + LANE_H / 2 + 4,
                INK);
        text(f, named ? named->thread_name : "?", 24);
        fprintf(f, " (%u)</text></g>\n", threads[l]);
    }
    for (size_t k = 0; k < ncols; k++) { /* the step numbers above, each once */
        const rl_trace_step *s = &c->steps[cols[k].first];
        bool again = cols[k].first > 0 && c->steps[cols[k].first - 1].index == s->index;
        if (s->index && cols[k].n == 1 && !again)
            fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"10\" fill=\"%s\" "
                       "text-anchor=\"middle\">%u</text>\n",
                    mark_x(k) + MARK_W / 2, TOP - 6, MUTED, s->index);
    }
    for (size_t k = 0; k < ncols; k++)
        mark(f, c, &cols[k], k, lane_of[cols[k].thread]);
    failure_arrows(f, c, cols, ncols, lane_of);
    if (end) { /* the failure is where the run ended: after the last line, in its lane */
        const rl_trace_step *last = &c->steps[c->nsteps - 1];
        int x = mark_x(ncols), y = lane_y(lane_of[last->thread]);
        fprintf(f, "<g class=\"mark failing end\" data-thread=\"%u\"><title>", last->thread);
        text(f, c->message, 400);
        fprintf(f, "</title><path d=\"M%d %d l%d %d l%d %d l%d %d z\" fill=\"%s\" stroke=\"%s\" "
                   "stroke-width=\"3\"/>",
                x + MARK_W / 2, y - 4, MARK_W / 2, MARK_H / 2 + 4, -MARK_W / 2, MARK_H / 2 + 4,
                -MARK_W / 2, -(MARK_H / 2 + 4), FAIL_FILL, FAIL_LINE);
        fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"11\" fill=\"%s\" "
                   "text-anchor=\"middle\">ends</text>",
                x + MARK_W / 2, y + MARK_H / 2 + 4, INK);
        fprintf(f, "<text class=\"why\" x=\"%d\" y=\"%d\" font-size=\"10\" "
                   "font-weight=\"bold\" fill=\"%s\" text-anchor=\"middle\">%s</text></g>\n",
                x + MARK_W / 2, y + MARK_H + 16, FAIL_LINE, kind);
    }
    fputs("</svg>\n", f);
    free(cols);
    return ferror(f) ? RL_ESYS : RL_OK;
}

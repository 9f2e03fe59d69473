/* draw.c - a counterexample as an SVG picture: see racelab/draw.h. */
#include "racelab/draw.h"

#include <stdlib.h>
#include <string.h>

#include "picture.h"

#define COL_W 92   /* a column: one mark */
#define MARK_PAD 4 /* between two columns' marks */
#define FOLD_MIN 7 /* lines of one thread with nothing to show: folded from here */
#define FAILING (RL_MARK_LOST | RL_MARK_ERROR | RL_MARK_BLOCKED | RL_MARK_RACE)

typedef struct {
    size_t first, n; /* trace lines [first, first + n) */
    unsigned thread;
} column;

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

/* The column holding trace line i. */
static size_t column_of(const column *cols, size_t ncols, size_t i) {
    for (size_t k = 0; k < ncols; k++)
        if (i >= cols[k].first && i < cols[k].first + cols[k].n)
            return k;
    return 0;
}

/* The arrows that make the failure. */
static bool failure_arrows(picture *p, const rl_counterexample *c, const column *cols,
                           size_t ncols) {
    bool ok = true;
    size_t race_first = c->nsteps;
    for (size_t i = 0; i < c->nsteps; i++) {
        const rl_trace_step *s = &c->steps[i];
        if ((s->marks & RL_MARK_LOST) && s->overwrote) {
            for (size_t k = 0; k < i; k++) /* the write it replaced: by its step */
                if (c->steps[k].index == s->overwrote && c->steps[k].index) {
                    ok &= pic_add_arrow(p, column_of(cols, ncols, k), column_of(cols, ncols, i),
                                        "overwritten");
                    break;
                }
        }
        if (s->marks & RL_MARK_RACE) {
            if (race_first == c->nsteps) {
                race_first = i;
            } else {
                ok &= pic_add_arrow(p, column_of(cols, ncols, race_first),
                                    column_of(cols, ncols, i), "races with");
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
                ok &= pic_add_arrow(p, column_of(cols, ncols, i), column_of(cols, ncols, (size_t)to),
                                    "waits for");
        }
    }
    return ok;
}

/* Column k's mark: its words, its tooltip (everything the text report
 * says of it) and its flags. */
static bool mark(picture *p, const rl_counterexample *c, const column *col, size_t k,
                 unsigned lane) {
    const rl_trace_step *s = &c->steps[col->first];
    pic_mark *m = pic_add_mark(p, lane, (double)k, (double)k + 1);
    if (!m)
        return false;
    bool folded = col->n > 1, failing = !folded && (s->marks & FAILING);
    m->line = (long)col->first + 1;
    m->step = s->index;
    m->thread = s->thread;
    bool ok = true;
    if (folded) {
        m->flags = PIC_FOLDED;
        snprintf(m->label, sizeof m->label, "%zu lines", col->n);
        ok &= pic_tipf(m, "%zu lines of ", col->n) && pic_tip(m, s->thread_name, 32) &&
              pic_tipf(m, ", steps %u to %u", s->index, c->steps[col->first + col->n - 1].index);
        return ok;
    }
    snprintf(m->label, sizeof m->label, "%s", s->op);
    snprintf(m->sub, sizeof m->sub, "%s", s->object);
    m->flags = (failing ? PIC_FAILING : 0) | (s->marks & RL_MARK_PREEMPT ? PIC_PREEMPT : 0);
    m->why = failing ? failing_word(s->marks) : NULL;
    if (s->index)
        ok &= pic_tipf(m, "step %u: ", s->index);
    ok &= pic_tip(m, s->thread_name, 32) && pic_tipf(m, " (%u) ", s->thread) &&
          pic_tip(m, s->op, 16);
    if (s->object[0])
        ok &= pic_tip(m, " ", 1) && pic_tip(m, s->object, 48);
    if (s->has_value)
        ok &= pic_tipf(m, " = %lld", (long long)s->value);
    if (s->where[0])
        ok &= pic_tip(m, " at ", 4) && pic_tip(m, s->where, 96);
    if (s->marks & RL_MARK_PREEMPT)
        ok &= pic_tip(m, "; preempts", 10);
    if (failing)
        ok &= pic_tip(m, "; ", 2) && pic_tip(m, m->why, 16);
    if (s->note[0])
        ok &= pic_tip(m, ": ", 2) && pic_tip(m, s->note, 160);
    return ok;
}

/* The whole picture of c: RL_ENOMEM or RL_OK. */
static rl_err lay_out(picture *p, const char *title, const rl_counterexample *c, column *cols) {
    unsigned lane_of[RL_EXPLORE_MAX_THREADS] = {0}, threads[RL_EXPLORE_MAX_THREADS];
    size_t nlanes = lanes_of(c, lane_of, threads);
    size_t ncols = columns_of(c, cols);
    p->unit = COL_W;
    p->pad = MARK_PAD;
    snprintf(p->title, sizeof p->title, "%s", title);
    const char *kind = rl_failure_kind_name(c->kind);
    /* "deadlock: ..." says its kind already */
    snprintf(p->subtitle, sizeof p->subtitle, "%s%s%s",
             strncmp(c->message, kind, strlen(kind)) != 0 ? kind : "",
             strncmp(c->message, kind, strlen(kind)) != 0 ? ": " : "", c->message);
    for (size_t l = 0; l < nlanes; l++) { /* the lanes, each named */
        const char *name = "?";
        for (size_t i = 0; i < c->nsteps; i++)
            if (c->steps[i].thread == threads[l]) {
                name = c->steps[i].thread_name;
                break;
            }
        if (!pic_add_lane(p, name, threads[l]))
            return RL_ENOMEM;
    }
    for (size_t k = 0; k < ncols; k++) { /* the step numbers above, each once */
        const rl_trace_step *s = &c->steps[cols[k].first];
        bool again = cols[k].first > 0 && c->steps[cols[k].first - 1].index == s->index;
        char n[16];
        snprintf(n, sizeof n, "%u", s->index);
        if (s->index && cols[k].n == 1 && !again && !pic_add_tick(p, (double)k + 0.5, n))
            return RL_ENOMEM;
    }
    for (size_t k = 0; k < ncols; k++)
        if (!mark(p, c, &cols[k], k, lane_of[cols[k].thread]))
            return RL_ENOMEM;
    if (!failure_arrows(p, c, cols, ncols))
        return RL_ENOMEM;
    bool marked = false; /* a line of the trace makes the failure */
    for (size_t i = 0; i < c->nsteps; i++)
        marked |= (c->steps[i].marks & FAILING) != 0;
    if (!marked && c->kind != RL_FAIL_NONE) {
        /* then the run's end makes it: after the last line, in its lane */
        const rl_trace_step *last = &c->steps[c->nsteps - 1];
        pic_mark *m = pic_add_mark(p, lane_of[last->thread], (double)ncols, (double)ncols + 1);
        if (!m || !pic_tip(m, c->message, 400))
            return RL_ENOMEM;
        m->flags = PIC_FAILING | PIC_END;
        m->thread = last->thread;
        m->why = kind;
        snprintf(m->label, sizeof m->label, "ends");
    }
    return RL_OK;
}

rl_err rl_draw_svg(FILE *f, const char *title, const rl_counterexample *c) {
    if (!f || !title || !c || !c->steps || c->nsteps == 0)
        return RL_EINVAL;
    column *cols = malloc(c->nsteps * sizeof *cols);
    if (!cols)
        return RL_ENOMEM;
    picture p;
    pic_init(&p);
    rl_err e = lay_out(&p, title, c, cols);
    if (e == RL_OK)
        e = pic_svg(&p, f);
    pic_free(&p);
    free(cols);
    return e;
}

rl_err rl_draw_failure_svg(FILE *f, const char *name, const rl_explore_result *r) {
    if (!f || !name || !r || !r->failed)
        return RL_EINVAL;
    const rl_counterexample *c = r->minimized.schedule ? &r->minimized : &r->first;
    char title[400];
    snprintf(title, sizeof title, "%s: %s%s, schedule %s", name, rl_failure_kind_name(c->kind),
             c == &r->minimized ? " (minimized)" : "", c->schedule ? c->schedule : "-");
    return rl_draw_svg(f, title, c);
}

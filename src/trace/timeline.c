/* timeline.c - recording bank accesses of a run, and drawing them (see
 * racelab/timeline.h). */
#include "racelab/timeline.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* ---- recording ---- */

typedef struct {
    rl_platform table;
    const rl_platform *inner, *previous;
    rl_tl_event *events;
    size_t cap;
    _Atomic size_t next;
    _Atomic uint64_t dropped;
    uint64_t origin;
} recorder;

static recorder *active; /* while installed; see the contract */
static _Thread_local const char *lane = "main";
static _Thread_local uint64_t began;

typedef struct {
    rl_thread_fn fn;
    void *arg;
    const char *name;
} start;

static void named_start(void *p) {
    start s = *(start *)p;
    free(p);
    lane = s.name;
    s.fn(s.arg);
}

static rl_err rec_thread_create(rl_thread *t, rl_thread_fn fn, void *arg) {
    start *s = malloc(sizeof *s);
    if (!s)
        return RL_ENOMEM;
    *s = (start){fn, arg, t->name};
    rl_err e = active->inner->thread_create(t, named_start, s);
    if (e != RL_OK)
        free(s);
    return e;
}

static void rec_begin(rl_access *a) {
    (void)a;
    began = active->inner->now_ns();
}

static void rec_end(rl_access *a) {
    recorder *r = active;
    uint64_t now = r->inner->now_ns();
    /* relaxed: a slot of its own for each event, which an atomic add
     * gives in any order; the events are read after the threads are
     * joined, which orders their writes */
    size_t slot = atomic_fetch_add_explicit(&r->next, 1, memory_order_relaxed);
    if (slot >= r->cap) {
        /* relaxed: a count, read after the join as well */
        atomic_fetch_add_explicit(&r->dropped, 1, memory_order_relaxed);
        return;
    }
    rl_tl_event *e = &r->events[slot]; /* this thread's own slot */
    *e = (rl_tl_event){.value = a->value, .t0 = began - r->origin, .t1 = now - r->origin,
                       .write = a->kind != RL_ACCESS_READ && a->result == RL_OK &&
                                a->version_after != a->version_before,
                       .lost = a->stale, .replaced = -1, .version_before = a->version_before,
                       .version_after = a->version_after};
    snprintf(e->lane, sizeof e->lane, "%s", lane);
    snprintf(e->op, sizeof e->op, "%s", a->op);
    snprintf(e->object, sizeof e->object, "%s", rl_access_name(a));
}

static int by_start(const void *x, const void *y) {
    const rl_tl_event *a = x, *b = y;
    return (a->t0 > b->t0) - (a->t0 < b->t0);
}

/* For each lost write, the write whose version it replaced. */
static void link_replaced(rl_timeline *t) {
    for (size_t i = 0; i < t->n; i++) {
        rl_tl_event *w = &t->events[i];
        if (!w->lost)
            continue;
        for (size_t j = 0; j < t->n; j++) {
            const rl_tl_event *o = &t->events[j];
            if (j != i && o->write && o->version_after == w->version_before &&
                strcmp(o->object, w->object) == 0) {
                w->replaced = (long)j;
                break;
            }
        }
    }
}

rl_err rl_timeline_record(const rl_run_config *cfg, rl_timeline *out, rl_run_result *result,
                          char *why, size_t why_len) {
    if (!cfg || !out || !result || rl_platform_current() != rl_platform_pthreads())
        return RL_EINVAL;
    memset(out, 0, sizeof *out);
    const rl_dataset *d = cfg->data ? cfg->data : rl_dataset_default();
    size_t bills = 0;
    for (size_t m = 0; m < d->nmerchants; m++)
        bills += d->merchants[m].nbills;
    recorder r = {.inner = rl_platform_pthreads(), .cap = bills * 8 + 1024};
    r.events = calloc(r.cap, sizeof *r.events);
    if (!r.events)
        return RL_ENOMEM;
    atomic_init(&r.next, 0);
    atomic_init(&r.dropped, 0);
    r.table = *r.inner;
    r.table.name = "recorder";
    r.table.layout = r.inner;
    r.table.thread_create = rec_thread_create;
    r.table.access_begin = rec_begin;
    r.table.access_end = rec_end;
    active = &r;
    lane = "main";
    r.origin = r.inner->now_ns();
    r.previous = rl_platform_install(&r.table);
    rl_err e = rl_run(cfg, result, why, why_len);
    rl_platform_install(r.previous);
    active = NULL;
    if (e != RL_OK) {
        free(r.events);
        return e;
    }
    size_t n = atomic_load(&r.next);
    out->n = n < r.cap ? n : r.cap;
    out->events = r.events;
    out->dropped = atomic_load(&r.dropped);
    qsort(out->events, out->n, sizeof *out->events, by_start);
    link_replaced(out);
    return RL_OK;
}

rl_err rl_timeline_from_trace(const rl_counterexample *c, rl_timeline *out) {
    if (!c || !out)
        return RL_EINVAL;
    memset(out, 0, sizeof *out);
    out->in_steps = true;
    out->events = calloc(c->nsteps ? c->nsteps : 1, sizeof *out->events);
    if (!out->events)
        return RL_ENOMEM;
    static const char *const bank_ops[] = {"get", "set", "add", "cas"};
    for (size_t i = 0; i < c->nsteps; i++) {
        const rl_trace_step *s = &c->steps[i];
        bool bank = false;
        for (size_t k = 0; k < 4; k++)
            bank |= strcmp(s->op, bank_ops[k]) == 0;
        if (!bank || !s->has_value)
            continue;
        rl_tl_event *e = &out->events[out->n++];
        *e = (rl_tl_event){.value = s->value, .t0 = s->index, .t1 = s->index + 1,
                           .write = strcmp(s->op, "get") != 0 && !(s->marks & RL_MARK_REFUSED),
                           .lost = (s->marks & RL_MARK_LOST) != 0, .replaced = -1};
        snprintf(e->lane, sizeof e->lane, "%s", s->thread_name);
        snprintf(e->op, sizeof e->op, "%s", s->op);
        snprintf(e->object, sizeof e->object, "%s", s->object);
        if (e->lost)
            for (size_t j = 0; j + 1 < out->n; j++)
                if (out->events[j].write && out->events[j].t0 == s->overwrote)
                    e->replaced = (long)j;
    }
    return RL_OK;
}

void rl_timeline_free(rl_timeline *t) {
    if (!t)
        return;
    free(t->events);
    memset(t, 0, sizeof *t);
}

/* ---- drawing ---- */

#define LEFT 140
#define WIDTH 960
#define TOP 76
#define LANE 46
#define BAR 22

static const char *const palette[] = {"#4e79a7", "#f28e2b", "#59a14f", "#b07aa1",
                                      "#76b7b2", "#edc948", "#9c755f", "#bab0ac"};

static void xml(FILE *f, const char *s) {
    for (; *s; s++) {
        switch (*s) {
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '&': fputs("&amp;", f); break;
        case '"': fputs("&quot;", f); break;
        default: fputc(*s, f);
        }
    }
}

typedef struct {
    char name[48];
} label;

static size_t index_of(label *names, size_t *n, const char *name, size_t cap) {
    for (size_t i = 0; i < *n; i++)
        if (strcmp(names[i].name, name) == 0)
            return i;
    if (*n == cap)
        return cap - 1;
    snprintf(names[*n].name, sizeof names[*n].name, "%s", name);
    return (*n)++;
}

/* A bill: from the read that opened it to the write that closed it. */
typedef struct {
    long read, write; /* event indices, read may be -1 */
} bill;

static double xof(const rl_timeline *t, uint64_t v, uint64_t lo, uint64_t hi) {
    (void)t;
    return LEFT + (double)(v - lo) * WIDTH / (double)(hi > lo ? hi - lo : 1);
}

static void unit(const rl_timeline *t, double v, char *buf, size_t len) {
    if (t->in_steps)
        snprintf(buf, len, "step %.0f", v);
    else if (v == 0)
        snprintf(buf, len, "0");
    else if (v >= 1e6)
        snprintf(buf, len, "%.3g ms", v / 1e6);
    else
        snprintf(buf, len, "%.3g us", v / 1e3);
}

/* What the picture shows, worked out before any of it is written. */
enum { MAXL = 64 };
typedef struct {
    const rl_timeline *t;
    label lanes[MAXL], accounts[MAXL];
    size_t nl, na;
    uint64_t lo, hi, lost;
    bill *bills; /* each write with the read of the same lane and account before it */
    size_t nb;
} picture;

static size_t lane_of(picture *p, const rl_tl_event *e) {
    return index_of(p->lanes, &p->nl, e->lane, MAXL);
}
static size_t account_of(picture *p, const rl_tl_event *e) {
    return index_of(p->accounts, &p->na, e->object, MAXL);
}

/* Lanes, accounts, the time span, and the bills: RL_ENOMEM, or RL_OK
 * with p->bills to free. */
static rl_err lay_out(const rl_timeline *t, picture *p) {
    memset(p, 0, sizeof *p);
    p->t = t;
    p->lo = UINT64_MAX;
    for (size_t i = 0; i < t->n; i++) {
        lane_of(p, &t->events[i]);
        account_of(p, &t->events[i]);
        p->lo = t->events[i].t0 < p->lo ? t->events[i].t0 : p->lo;
        p->hi = t->events[i].t1 > p->hi ? t->events[i].t1 : p->hi;
        p->lost += t->events[i].lost;
    }
    if (t->n == 0)
        p->lo = p->hi = 0;
    /* pair each write with the open read of the same lane and account */
    p->bills = calloc(t->n ? t->n : 1, sizeof *p->bills);
    long *open = malloc(MAXL * MAXL * sizeof *open);
    if (!p->bills || !open) {
        free(p->bills);
        free(open);
        return RL_ENOMEM;
    }
    for (size_t i = 0; i < MAXL * MAXL; i++)
        open[i] = -1;
    for (size_t i = 0; i < t->n; i++) {
        const rl_tl_event *e = &t->events[i];
        size_t key = lane_of(p, e) * MAXL + account_of(p, e);
        if (strcmp(e->op, "get") == 0)
            open[key] = (long)i;
        else if (e->write) {
            p->bills[p->nb++] = (bill){open[key], (long)i};
            open[key] = -1;
        }
    }
    free(open);
    return RL_OK;
}

static double x_at(const picture *p, uint64_t v) { return xof(p->t, v, p->lo, p->hi); }

/* The document's start, and the title on two lines: what ran, then what
 * came of it. */
static void draw_head(FILE *f, const picture *p, const char *title) {
    int height = TOP + (int)p->nl * LANE + 80;
    fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
               "font-family=\"sans-serif\" font-size=\"12\">\n",
            LEFT + WIDTH + 40, height);
    fprintf(f, "<defs><marker id=\"arrow\" markerWidth=\"8\" markerHeight=\"8\" refX=\"7\" "
               "refY=\"4\" orient=\"auto\"><path d=\"M0,0 L8,4 L0,8 z\" fill=\"#c00\"/>"
               "</marker></defs>\n");
    fprintf(f, "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n");
    const char *head = title ? title : "racelab trace";
    const char *tail = strstr(head, ": ");
    char first[256];
    snprintf(first, sizeof first, "%.*s", tail ? (int)(tail - head) : (int)strlen(head), head);
    fprintf(f, "<text x=\"%d\" y=\"22\" font-size=\"16\" font-weight=\"bold\">", LEFT);
    xml(f, first);
    fprintf(f, "</text>\n<text x=\"%d\" y=\"40\" font-size=\"13\">", LEFT);
    xml(f, tail ? tail + 2 : "");
    fprintf(f, "</text>\n<text x=\"%d\" y=\"56\" fill=\"#555\">each bar: one bill, from its "
               "read to its write; red: a write that lost an update, with an arrow from the "
               "write it replaced (%" PRIu64 " lost)</text>\n",
            LEFT, p->lost);
}

/* A band per lane, its name, and the time axis below them (steps: whole
 * steps as the schedule counts them; time: ten ticks from the start).
 * Returns the axis's height. */
static int draw_lanes_and_axis(FILE *f, const picture *p) {
    for (size_t l = 0; l < p->nl; l++) {
        int y = TOP + (int)l * LANE;
        fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\"/>\n", LEFT, y,
                WIDTH, LANE, l % 2 ? "#fafafa" : "#f0f0f0");
        fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">", LEFT - 10, y + LANE / 2 + 4);
        xml(f, p->lanes[l].name);
        fprintf(f, "</text>\n");
    }
    const rl_timeline *t = p->t;
    int axis = TOP + (int)p->nl * LANE + 16;
    uint64_t lo = p->lo, hi = p->hi;
    uint64_t stride = t->in_steps ? ((hi - lo) + 9) / 10 : 0;
    int ticks = t->in_steps ? (int)((hi - lo) / (stride ? stride : 1)) : 10;
    for (int k = 0; k <= ticks; k++) {
        double v = t->in_steps ? (double)(lo + (uint64_t)k * stride)
                               : (double)lo + (double)(hi - lo) * k / 10.0;
        double x = x_at(p, (uint64_t)v);
        if (!t->in_steps)
            x = LEFT + WIDTH * k / 10.0;
        char buf[32];
        unit(t, t->in_steps ? v : v - (double)lo, buf, sizeof buf);
        fprintf(f, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#ccc\"/>\n", x, TOP,
                x, axis - 10);
        fprintf(f, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" fill=\"#555\">%s</text>\n", x,
                axis + 4, buf);
    }
    return axis;
}

/* One bill: a bar in its merchant's lane, in its account's colour (red
 * when its write lost an update), with what it read and wrote on hover. */
static void draw_bill(FILE *f, picture *p, const bill *b) {
    const rl_tl_event *w = &p->t->events[b->write];
    const rl_tl_event *r = b->read >= 0 ? &p->t->events[b->read] : NULL;
    size_t l = lane_of(p, w), a = account_of(p, w);
    double x0 = x_at(p, r ? r->t0 : w->t0), x1 = x_at(p, w->t1);
    if (x1 - x0 < 2)
        x1 = x0 + 2;
    int y = TOP + (int)l * LANE + (LANE - BAR) / 2;
    fprintf(f, "<g><title>");
    xml(f, w->lane);
    fprintf(f, ": ");
    if (r) {
        xml(f, "read ");
        xml(f, r->object);
        fprintf(f, " = %" PRId64 ", then ", r->value);
    }
    xml(f, w->op);
    fprintf(f, " ");
    xml(f, w->object);
    fprintf(f, " = %" PRId64 "%s</title>", w->value,
            w->lost ? " (LOST UPDATE: it replaced a value this merchant never read)" : "");
    fprintf(f, "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" rx=\"3\" fill=\"%s\" "
               "stroke=\"%s\" stroke-width=\"%d\"/>",
            x0, y, x1 - x0, BAR, w->lost ? "#e15759" : palette[a % 8],
            w->lost ? "#900" : "#fff", w->lost ? 2 : 1);
    if (x1 - x0 > 60) {
        fprintf(f, "<text x=\"%.1f\" y=\"%d\" fill=\"white\" font-size=\"11\">", x0 + 4,
                y + 15);
        xml(f, w->object);
        fprintf(f, " %" PRId64 "</text>", w->value);
    }
    fprintf(f, "</g>\n");
}

/* The lost updates: an arrow from the write replaced to the write that
 * replaced it. */
static void draw_arrows(FILE *f, picture *p) {
    for (size_t i = 0; i < p->t->n; i++) {
        const rl_tl_event *w = &p->t->events[i];
        if (!w->lost || w->replaced < 0)
            continue;
        const rl_tl_event *o = &p->t->events[w->replaced];
        double xa = x_at(p, o->t1), xb = x_at(p, w->t1);
        int ya = TOP + (int)lane_of(p, o) * LANE + LANE / 2;
        int yb = TOP + (int)lane_of(p, w) * LANE + LANE / 2;
        fprintf(f, "<path d=\"M%.1f,%d C%.1f,%d %.1f,%d %.1f,%d\" fill=\"none\" stroke=\"#c00\" "
                   "stroke-width=\"1.5\" marker-end=\"url(#arrow)\"/>\n",
                xa, ya, xa + 20, ya, xb - 20, yb, xb, yb);
    }
}

/* The colours of the accounts, and of a lost update. */
static void draw_legend(FILE *f, const picture *p, int axis) {
    int ly = axis + 30;
    double lx = LEFT;
    for (size_t a = 0; a < p->na && a < 12; a++) {
        fprintf(f, "<rect x=\"%.0f\" y=\"%d\" width=\"12\" height=\"12\" fill=\"%s\"/>", lx,
                ly - 10, palette[a % 8]);
        fprintf(f, "<text x=\"%.0f\" y=\"%d\">", lx + 16, ly);
        xml(f, p->accounts[a].name);
        fprintf(f, "</text>\n");
        lx += 24 + 8 * (double)strlen(p->accounts[a].name);
    }
    fprintf(f, "<rect x=\"%.0f\" y=\"%d\" width=\"12\" height=\"12\" fill=\"#e15759\" "
               "stroke=\"#900\"/><text x=\"%.0f\" y=\"%d\">lost update</text>\n",
            lx, ly - 10, lx + 16, ly);
}

rl_err rl_timeline_svg(const rl_timeline *t, const char *title, FILE *f) {
    if (!t || !f)
        return RL_EINVAL;
    picture *p = malloc(sizeof *p);
    if (!p)
        return RL_ENOMEM;
    rl_err e = lay_out(t, p);
    if (e != RL_OK) {
        free(p);
        return e;
    }
    draw_head(f, p, title);
    int axis = draw_lanes_and_axis(f, p);
    for (size_t b = 0; b < p->nb; b++)
        draw_bill(f, p, &p->bills[b]);
    draw_arrows(f, p);
    draw_legend(f, p, axis);
    fprintf(f, "</svg>\n");
    free(p->bills);
    free(p);
    return ferror(f) ? RL_ESYS : RL_OK;
}

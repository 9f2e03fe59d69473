/* timeline.c - recording bank accesses of a run, and drawing them (see
 * racelab/timeline.h). */
#include "racelab/timeline.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "picture.h"

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

/* ---- drawing: through the one drawer (picture.h) ---- */

#define WIDTH 960 /* the run's span, in pixels */
enum { MAXL = 64 };

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

/* One bill: a mark in its merchant's lane from the read that opened it
 * (when there was one) to the write that closed it, in its account's
 * tone, failing when its write lost an update; what it read and wrote in
 * its tooltip. */
static bool bill(picture *p, const rl_timeline *t, long read, size_t write, size_t in_lane,
                 size_t account) {
    const rl_tl_event *w = &t->events[write], *r = read >= 0 ? &t->events[read] : NULL;
    pic_mark *m = pic_add_mark(p, in_lane, (double)(r ? r->t0 : w->t0), (double)w->t1);
    if (!m)
        return false;
    m->tone = (unsigned)account % 12 + 1;
    snprintf(m->label, sizeof m->label, "%s", w->object);
    snprintf(m->sub, sizeof m->sub, "%" PRId64, w->value);
    if (w->lost) {
        m->flags = PIC_FAILING;
        m->why = "lost update";
    }
    bool ok = pic_tip(m, w->lane, 32) && pic_tip(m, ": ", 2);
    if (r)
        ok &= pic_tip(m, "read ", 5) && pic_tip(m, r->object, 48) &&
              pic_tipf(m, " = %" PRId64 ", then ", r->value);
    ok &= pic_tip(m, w->op, 16) && pic_tip(m, " ", 1) && pic_tip(m, w->object, 48) &&
          pic_tipf(m, " = %" PRId64, w->value);
    if (w->lost)
        ok &= pic_tip(m, "; lost update: it replaced a value this merchant never read", 80);
    return ok;
}

/* The axis under the lanes: whole steps as the schedule counts them, or
 * ten ticks of time from the start. */
static bool axis(picture *p, const rl_timeline *t, uint64_t lo, uint64_t hi) {
    p->ticks_below = true;
    uint64_t stride = t->in_steps ? ((hi - lo) + 9) / 10 : 0;
    int ticks = t->in_steps ? (int)((hi - lo) / (stride ? stride : 1)) : 10;
    for (int k = 0; k <= ticks; k++) {
        double v = t->in_steps ? (double)(lo + (uint64_t)k * stride)
                               : (double)lo + (double)(hi - lo) * k / 10.0;
        char buf[24];
        unit(t, t->in_steps ? v : v - (double)lo, buf, sizeof buf);
        if (!pic_add_tick(p, v, buf))
            return false;
    }
    return true;
}

static rl_err lay_out(picture *p, const rl_timeline *t, const char *title, size_t *mark_of) {
    label *lanes = calloc(MAXL, sizeof *lanes), *accounts = calloc(MAXL, sizeof *accounts);
    long *open = malloc(MAXL * MAXL * sizeof *open);
    rl_err e = lanes && accounts && open ? RL_OK : RL_ENOMEM;
    size_t nl = 0, na = 0;
    uint64_t lo = t->n ? UINT64_MAX : 0, hi = 0, lost = 0;
    for (size_t i = 0; i < t->n; i++) {
        const rl_tl_event *ev = &t->events[i];
        lo = ev->t0 < lo ? ev->t0 : lo;
        hi = ev->t1 > hi ? ev->t1 : hi;
        lost += ev->lost;
    }
    const char *head = title ? title : "racelab trace", *tail = strstr(head, ": ");
    snprintf(p->title, sizeof p->title, "%.*s", tail ? (int)(tail - head) : (int)strlen(head),
             head);
    snprintf(p->subtitle, sizeof p->subtitle, "%s", tail ? tail + 2 : "");
    snprintf(p->caption, sizeof p->caption,
             "each bar: one bill, from its read to its write; a bill whose write lost an update "
             "is outlined in red and marked, with an arrow from the write it replaced "
             "(%" PRIu64 " lost)",
             lost);
    p->lo = (double)lo;
    p->unit = WIDTH / (double)(hi > lo ? hi - lo : 1);
    p->legend_failing = true;
    p->failing_name = "lost update";
    for (size_t i = 0; e == RL_OK && i < t->n; i++) { /* lanes and tones in order of use */
        size_t before = nl;
        size_t l = index_of(lanes, &nl, t->events[i].lane, MAXL);
        if (nl > before && !pic_add_lane(p, lanes[l].name, -1))
            e = RL_ENOMEM;
        before = na;
        index_of(accounts, &na, t->events[i].object, MAXL);
        if (na > before && p->ntones < sizeof p->tones / sizeof *p->tones)
            p->tones[p->ntones++] = t->events[i].object; /* t outlives p */
    }
    if (e == RL_OK && !axis(p, t, lo, hi))
        e = RL_ENOMEM;
    for (size_t i = 0; e == RL_OK && i < MAXL * MAXL; i++)
        open[i] = -1;
    /* each write with the open read of the same lane and account */
    for (size_t i = 0; e == RL_OK && i < t->n; i++) {
        const rl_tl_event *ev = &t->events[i];
        size_t l = index_of(lanes, &nl, ev->lane, MAXL);
        size_t a = index_of(accounts, &na, ev->object, MAXL);
        mark_of[i] = SIZE_MAX;
        if (strcmp(ev->op, "get") == 0) {
            open[l * MAXL + a] = (long)i;
        } else if (ev->write) {
            mark_of[i] = p->nmarks;
            if (!bill(p, t, open[l * MAXL + a], i, l, a))
                e = RL_ENOMEM;
            open[l * MAXL + a] = -1;
        }
    }
    for (size_t i = 0; e == RL_OK && i < t->n; i++) { /* a lost update: from what it replaced */
        const rl_tl_event *w = &t->events[i];
        if (w->lost && w->replaced >= 0 && mark_of[i] != SIZE_MAX &&
            mark_of[w->replaced] != SIZE_MAX &&
            !pic_add_arrow(p, mark_of[w->replaced], mark_of[i], NULL)) /* said above */
            e = RL_ENOMEM;
    }
    free(lanes);
    free(accounts);
    free(open);
    return e;
}

rl_err rl_timeline_svg(const rl_timeline *t, const char *title, FILE *f) {
    if (!t || !f)
        return RL_EINVAL;
    size_t *mark_of = malloc((t->n ? t->n : 1) * sizeof *mark_of);
    if (!mark_of)
        return RL_ENOMEM;
    picture p;
    pic_init(&p);
    rl_err e = lay_out(&p, t, title, mark_of);
    if (e == RL_OK)
        e = pic_svg(&p, f);
    pic_free(&p);
    free(mark_of);
    return e;
}

/* search.c - the explorer's searches, the reachable states, minimization
 * and counterexamples.
 *
 * Bounded search (iterative preemption bounding, as in CHESS): a schedule
 * switches away from a thread that could go on only at a preemption. Level
 * p runs every schedule with exactly p preemptions: it takes the work items
 * of level p (a prefix whose last choice is its p-th preemption), and from
 * each explores every way to go on without preempting, by depth-first
 * search over the non-preemptive choices (who goes when the running thread
 * blocks or ends). Each preemption it could take on the way becomes a work
 * item of level p + 1, or is counted as pruned when p is the bound. Every
 * schedule is run exactly once, and the first failure found has the fewest
 * preemptions there are.
 *
 * PCT (Burckhardt et al., ASPLOS 2010): random thread priorities, the
 * highest runnable goes; at d - 1 random steps the running thread drops
 * below all others. Seeded, so the same seed gives the same schedules. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../util/rng.h"
#include "../explore_impl.h"
#include "../../util/grow.h"
#include "../../util/order.h"

rl_explore_opts rl_explore_opts_default(void) {
    return (rl_explore_opts){.search = RL_SEARCH_BOUNDED, .preemptions = 2, .depth = 3,
                             .seed = 1, .iterations = 1000, .max_schedules = 1000000,
                             .max_steps = 100000, .keep_going = false, .minimize = true,
                             .reduce = true, .delays = 1, .stack_size = RL_EX_STACK_DEFAULT};
}

const char *rl_failure_kind_name(rl_failure_kind k) {
    switch (k) {
    case RL_FAIL_NONE: return "none";
    case RL_FAIL_INVARIANT: return "invariant broken";
    case RL_FAIL_DEADLOCK: return "deadlock";
    case RL_FAIL_ERROR: return "error";
    case RL_FAIL_LIVELOCK: return "livelock";
    case RL_FAIL_RACE: return "data race";
    }
    return "?";
}

#define WHY(...) (why ? (void)snprintf(why, why_len, __VA_ARGS__) : (void)0)

/* What a run's failure is, if any. */
static rl_failure_kind failure_of(const rl__run *r) {
    if (r->fail != RL_FAIL_NONE)
        return r->fail;
    if (r->returned && r->target_error == RL_OK && !r->outcome.held)
        return RL_FAIL_INVARIANT;
    return RL_FAIL_NONE;
}

typedef rl__search search;

void (*rl__explore_run_hook)(const rl__run *r, void *ctx);
void *rl__explore_run_hook_ctx;
bool rl__explore_footprints;

_Static_assert(RL_EX_MAX_THREADS == RL_EXPLORE_MAX_THREADS, "one limit");

size_t rl__run_steps(const rl__run *r) { return r->steps ? r->nsteps : 0; }
unsigned rl__run_thread(const rl__run *r, size_t j) { return r->steps[j].thread; }
bool rl__run_dependent(const rl__run *r, size_t i, size_t j) {
    return rl__steps_relate(&r->steps[i], &r->steps[j], 1);
}
uint64_t rl__run_footprint(const rl__run *r, size_t j) {
    const rl__step *e = &r->steps[j];
    uint64_t h = 1469598103934665603ull ^ e->global;
    for (unsigned x = 0; x < e->ntouch; x++) {
        uint64_t v[3] = {e->touch[x].object, e->touch[x].key, e->touch[x].kind};
        for (int k = 0; k < 3; k++)
            h = (h ^ v[k]) * 1099511628211ull;
    }
    return h;
}

static void count_state(search *s, const rl__run *r) {
    char key[RL_OUTCOME_STATE_MAX];
    bool held;
    if (r->returned && r->target_error == RL_OK) {
        snprintf(key, sizeof key, "%s", r->outcome.state);
        held = r->outcome.held && r->fail == RL_FAIL_NONE;
    } else {
        snprintf(key, sizeof key, "(%s)", rl_failure_kind_name(r->fail));
        held = false;
    }
    if (rl_histogram_add(&s->states, key, strlen(key) + 1, held) != RL_OK) {
        s->error = RL_ENOMEM;
        s->stop = true;
    }
}

/* The histogram into the result's table of states, most schedules first. */
static rl_err states_table(search *s, rl_explore_result *out) {
    rl_histogram_sort(&s->states);
    out->nstates = 0;
    out->states = calloc(s->states.n ? s->states.n : 1, sizeof *out->states);
    if (!out->states)
        return RL_ENOMEM;
    for (size_t i = 0; i < s->states.n; i++) {
        const rl_histogram_entry *e = &s->states.entries[i];
        rl_state_count *c = &out->states[out->nstates++];
        snprintf(c->state, sizeof c->state, "%s", (const char *)e->key);
        c->held = e->held;
        c->schedules = e->count;
    }
    return RL_OK;
}

void rl__search_error(rl__search *s, rl_err e, const char *why) {
    if (s->error == RL_OK) {
        s->error = e;
        snprintf(s->why, s->why_len, "%s", why);
    }
    s->stop = true;
}

void rl__search_stop(search *s, rl_explore_stop why) {
    s->stop = true;
    if (s->res->stopped == RL_STOP_NONE)
        s->res->stopped = why;
}

static bool interrupted(const search *s) { return s->o->interrupted && *s->o->interrupted; }

void rl__search_tick(search *s) {
    if (interrupted(s)) {
        rl__search_stop(s, RL_STOP_INTERRUPT);
        return;
    }
    if (!s->o->time_limit_ns && !s->o->progress)
        return;
    uint64_t now = rl_platform_pthreads()->now_ns();
    if (s->o->time_limit_ns && now - s->t0 >= s->o->time_limit_ns)
        rl__search_stop(s, RL_STOP_TIME);
    if (s->o->progress && now >= s->next_progress) {
        s->next_progress = now + 200000000u;
        rl_explore_progress p = {.schedules = s->res->schedules,
                                 .redundant = s->res->redundant,
                                 .failing = s->res->failing,
                                 .elapsed_ns = now - s->t0,
                                 .level = s->level};
        s->o->progress(s->o->progress_ctx, &p);
    }
}

/* Account for one searching run. */
void rl__search_account(search *s, const rl__run *r) {
    if (interrupted(s)) { /* the run may have been cut short by the interruption */
        rl__search_stop(s, RL_STOP_INTERRUPT);
        return;
    }
    if (r->cut) { /* ended at the deadline, part done: counts for nothing */
        rl__search_stop(s, RL_STOP_TIME);
        return;
    }
    if (r->target_error != RL_OK && !r->no_fit) {
        s->error = r->target_error;
        if (r->message[0])
            snprintf(s->why, s->why_len, "%s", r->message);
        else
            snprintf(s->why, s->why_len, "the target could not run: %s",
                     rl_strerror(r->target_error));
        s->stop = true;
        return;
    }
    if (r->no_fit) {
        s->error = RL_EINVAL;
        snprintf(s->why, s->why_len, "%s", r->message);
        s->stop = true;
        return;
    }
    if (r->returned && r->fail == RL_FAIL_NONE && !r->outcome.judged) {
        s->error = RL_EINVAL;
        snprintf(s->why, s->why_len,
                 "target '%s' returned without a verdict: its run must call "
                 "rl_outcome_verdict(out, held, why...) before it returns RL_OK",
                 s->t->name);
        s->stop = true;
        return;
    }
    if (s->silent) { /* another part counts it */
        if (failure_of(r) != RL_FAIL_NONE && !s->o->keep_going)
            s->stop = true; /* the first failure is that part's */
        rl__search_tick(s);
        return;
    }
    if (s->o->split && s->o->split->count && !s->o->split->count(s->o->split->ctx)) {
        rl__search_stop(s, RL_STOP_SCHEDULES); /* the parts' schedules are all counted */
        return;
    }
    if (rl__explore_run_hook)
        rl__explore_run_hook(r, rl__explore_run_hook_ctx);
    if (s->t->program && !rl__program_races_note(s->t->program)) {
        s->error = RL_ENOMEM;
        s->stop = true;
        return;
    }
    rl_explore_result *res = s->res;
    res->schedules++;
    res->outside_last |= r->outside_last;
    res->weak_orders |= r->weak_order;
    res->spin_waits |= r->spin_awaited;
    res->fair_yields |= r->fair_yield;
    if (r->nsteps > res->longest)
        res->longest = r->nsteps;
    count_state(s, r);
    if (failure_of(r) != RL_FAIL_NONE)
        res->failing++;
    if (failure_of(r) != RL_FAIL_NONE &&
        (!res->failed ||
         (s->any_order && rl_order_cmp(s->pos, s->npos, res->order, res->norder) < 0))) {
        res->failed = true;
        free(s->fail_decisions);
        free(res->order);
        res->order = NULL;
        res->norder = 0;
        s->fail_decisions = malloc((r->nsteps ? r->nsteps : 1) * sizeof *s->fail_decisions);
        if (!s->fail_decisions) {
            s->error = RL_ENOMEM;
            s->stop = true;
            return;
        }
        if (r->nsteps)
            memcpy(s->fail_decisions, r->decisions, r->nsteps * sizeof *r->decisions);
        s->fail_n = r->nsteps;
        if (s->o->split && s->npos) { /* its place, for the parts to be compared */
            res->order = malloc(s->npos * sizeof *res->order);
            if (!res->order) {
                s->error = RL_ENOMEM;
                s->stop = true;
                return;
            }
            memcpy(res->order, s->pos, s->npos * sizeof *res->order);
            res->norder = s->npos;
            if (s->o->split->found)
                s->o->split->found(s->o->split->ctx, res->order, res->norder);
        }
        if (!s->o->keep_going && !s->any_order)
            s->stop = true;
    }
    if (res->schedules >= s->o->max_schedules)
        rl__search_stop(s, RL_STOP_SCHEDULES);
    rl__search_tick(s);
}

/* ---- following a list of deviations (replay, minimization) ---- */

typedef struct {
    rl__chooser base;
    const rl__deviation *d;
    size_t n, next;
} follow;

static unsigned follow_choose(rl__chooser *c, size_t step, uint64_t enabled, uint64_t lazy,
                              int current) {
    follow *f = (follow *)c; /* steps come one by one, deviations sorted by step */
    if (f->next < f->n && f->d[f->next].step == step)
        return f->d[f->next++].thread;
    return rl__default_choice(enabled, lazy, current);
}

/* One schedule of t, in-process or in a copy of a user's program. */
void rl__run_one(const rl_target *t, rl__chooser *c, bool trace, rl__run *out) {
    if (t->program)
        rl__program_run(t->program, c, trace, out);
    else
        rl__sched_run(t, c, trace, out);
}

static void run_following(const rl_target *t, const rl__deviation *d, size_t n, bool trace,
                          rl__run *out) {
    follow f = {.base = {.choose = follow_choose, .plan = RL_PLAN_DEVIATIONS, .deviations = d,
                         .ndeviations = n},
                .d = d, .n = n};
    rl__run_one(t, &f.base, trace, out);
    if (!out->no_fit && out->target_error == RL_OK && f.next < n) {
        /* a choice the run never reached: the schedule is not this run's */
        out->no_fit = true;
        snprintf(out->message, sizeof out->message,
                 "the schedule does not fit this target: it chooses thread %u at step %u, but "
                 "the run ended after %zu steps",
                 d[f.next].thread, d[f.next].step + 1, out->nsteps);
    }
}

/* ---- bounded search ---- */

typedef struct {
    uint32_t depth;
    uint64_t remaining;
} frame;

/* The choices of one run, shared by every work item the run left: an item
 * left at step k needs the run's first k choices, so they are copied once,
 * when the run ends, not once per item (a run of n steps may leave an item
 * at every step: n copies of up to n choices each, before). */
typedef struct shared_run {
    uint32_t refs;  /* items, and the places of runs below them, that point here */
    uint32_t crefs; /* items that still need its choices */
    uint32_t len;
    uint8_t *choices;
    /* its place in the whole search's order (a split search): see place() */
    struct shared_run *from; /* the run that left the item it ran (NULL: level 0) */
    uint32_t level, phase, seq, runno;
} shared_run;

/* A work item: first a prefix ending in a preemption (the first len - 1
 * choices of `run`, then `alt`); after its first run, that run's choices
 * and the non-preemptive alternatives left along it. */
typedef struct {
    shared_run *run;
    uint8_t alt;
    uint8_t *choices;
    uint32_t len;
    frame *frames;
    uint32_t nframes;
    shared_run *from; /* the run that left it (a reference), and the how-manieth */
    uint32_t seq;
} work;

typedef struct {
    work *items;
    size_t n, cap;
} workq;

typedef struct {
    rl__chooser base;
    search *s;
    uint8_t *choices;
    size_t nchoices, cap;
    size_t replay_len;
    frame *frames;
    size_t nframes, frames_cap;
    workq *next; /* level + 1, NULL at the bound */
    shared_run *run; /* this run's, once it left an item */
    bool oom;
    /* the run under way's place: its item's (from, seq), the level, the
     * phase (0: the item's first run, 1: the rest) and the run in it */
    shared_run *from;
    uint32_t seq, level, phase, runno;
    uint32_t left; /* items this run left so far */
} bounded;

/* An item no longer needs its run's choices. */
static void release_choices(shared_run *r) {
    if (r && --r->crefs == 0) {
        free(r->choices);
        r->choices = NULL;
    }
}

static void release_run(shared_run *r) {
    while (r && --r->refs == 0) {
        shared_run *up = r->from;
        free(r->choices);
        free(r);
        r = up;
    }
}

/* A run's place in the whole search's order, as numbers compared in
 * turn: its level, its phase, its item's place (the place of the run that
 * left it, then the how-manieth it left), the how-manieth run of the item
 * in the phase. Within a level the search runs items in their places'
 * order, first each item's first run, then the rest; an item left by an
 * earlier run comes earlier. */
static bool place_push(search *s, uint32_t v) {
    if (s->npos == s->pos_cap) {
        uint32_t *bigger = rl__grow(s->pos, &s->pos_cap, sizeof *bigger, 32);
        if (!bigger)
            return false;
        s->pos = bigger;
    }
    s->pos[s->npos++] = v;
    return true;
}

static bool place_of(search *s, uint32_t level, uint32_t phase, const shared_run *from,
                     uint32_t seq, uint32_t runno) {
    if (!place_push(s, level) || !place_push(s, phase))
        return false;
    if (from && (!place_of(s, from->level, from->phase, from->from, from->seq, from->runno) ||
                 !place_push(s, seq)))
        return false;
    return place_push(s, runno);
}

/* A split search's run whose place is in s->pos: whether a failure before
 * it is known to another part (then the search stops: all it has left
 * comes later). */
static bool place_beaten(search *s) {
    const rl_explore_split *sp = s->o->split;
    if (s->o->keep_going || !sp->beaten || !sp->beaten(sp->ctx, s->pos, s->npos))
        return false;
    if (s->any_order) /* whole items: runs to come may come before it */
        s->skipped = true;
    else
        s->stop = true;
    return true;
}

/* Before a run of a split search: its place into s->pos; false when it
 * need not run (a failure before it is known) or there is no memory. */
static bool place_run(bounded *b) {
    search *s = b->s;
    if (!s->o->split)
        return true;
    s->npos = 0;
    if (!place_of(s, b->level, b->phase, b->from, b->seq, b->runno)) {
        rl__search_error(s, RL_ENOMEM, "out of memory");
        return false;
    }
    return !place_beaten(s);
}

#define MAX_PENDING (1u << 22)

static bool push_choice(bounded *b, size_t step, uint8_t ch) {
    while (step >= b->cap) {
        uint8_t *bigger = rl__grow(b->choices, &b->cap, 1, 1024);
        if (!bigger)
            return false;
        b->choices = bigger;
    }
    b->choices[step] = ch;
    b->nchoices = step + 1;
    return true;
}

static bool push_frame(bounded *b, frame f) {
    if (b->nframes == b->frames_cap) {
        frame *bigger = rl__grow(b->frames, &b->frames_cap, sizeof *bigger, 64);
        if (!bigger)
            return false;
        b->frames = bigger;
    }
    b->frames[b->nframes++] = f;
    return true;
}

static void enqueue(bounded *b, size_t step, uint8_t alt) {
    workq *q = b->next;
    if (!q) {
        b->s->res->pruned++;
        return;
    }
    if (q->n >= MAX_PENDING) {
        b->oom = true; /* too much pending work: the search will not be exhaustive */
        return;
    }
    if (q->n == q->cap) {
        work *bigger = rl__grow(q->items, &q->cap, sizeof *bigger, 256);
        if (!bigger) {
            b->oom = true;
            return;
        }
        q->items = bigger;
    }
    if (!b->run) {
        if (!(b->run = calloc(1, sizeof *b->run))) {
            b->oom = true;
            return;
        }
        *b->run = (shared_run){.from = b->from, .level = b->level, .phase = b->phase,
                               .seq = b->seq, .runno = b->runno};
        if (b->from)
            b->from->refs++;
    }
    b->run->refs++;
    b->run->crefs++;
    q->items[q->n++] = (work){.run = b->run, .alt = alt, .len = (uint32_t)(step + 1),
                              .from = b->run, .seq = b->left++};
}

static unsigned bounded_choose(rl__chooser *c, size_t step, uint64_t enabled, uint64_t lazy,
                               int current) {
    bounded *b = (bounded *)c;
    if (step < b->replay_len)
        return b->choices[step];
    unsigned ch;
    if (current >= 0 && !(lazy >> current & 1u)) {
        /* every other choice preempts it, a time-out included */
        ch = (unsigned)current;
        for (uint64_t rest = enabled & ~(1ull << ch); rest; rest &= rest - 1)
            enqueue(b, step, (uint8_t)__builtin_ctzll(rest));
    } else {
        /* free choices, time-outs among them */
        ch = rl__default_choice(enabled, lazy, -1);
        uint64_t rest = enabled & ~(1ull << ch);
        if (rest && !push_frame(b, (frame){(uint32_t)step, rest}))
            b->oom = true;
    }
    if (!push_choice(b, step, (uint8_t)ch))
        b->oom = true;
    return ch;
}

/* A run of n steps decided alike, past the replayed prefix: where the
 * running thread goes on and every other choice is beyond the bound, as n
 * calls of bounded_choose would (each pruned alternative counted). */
static size_t bounded_repeat(rl__chooser *c, size_t step, size_t n, const rl__decision *d) {
    bounded *b = (bounded *)c;
    int cur = d->current;
    if (b->next || step < b->replay_len || cur < 0 || (d->lazy >> cur & 1u) ||
        d->chosen != (unsigned)cur)
        return 0;
    if (step + n > b->cap && !push_choice(b, step + n - 1, d->chosen))
        return 0;
    memset(b->choices + step, d->chosen, n);
    b->nchoices = step + n;
    b->s->res->pruned += (uint64_t)n * (uint64_t)__builtin_popcountll(d->enabled & ~(1ull << cur));
    return n;
}

static void run_bounded(bounded *b) {
    rl__run r;
    b->left = 0;
    if (!place_run(b))
        return;
    b->base.plan = RL_PLAN_PREFIX;
    b->base.prefix = b->choices;
    b->base.nprefix = b->replay_len;
    b->run = NULL;
    rl__run_one(b->s->t, &b->base, false, &r);
    if (b->run) {
        /* the items it left share its choices */
        b->run->choices = malloc(b->nchoices ? b->nchoices : 1);
        if (b->run->choices) {
            memcpy(b->run->choices, b->choices, b->nchoices);
            b->run->len = (uint32_t)b->nchoices;
        } else {
            b->oom = true; /* its items replay as far as they can: not exhaustive */
        }
        b->run = NULL;
    }
    rl__search_account(b->s, &r);
}

/* Pass one: the item's prefix, then the default continuation. Keeps what
 * pass two needs: the run's choices up to its last alternative, and the
 * alternatives. */
static void item_first(bounded *b, work *item) {
    b->nframes = 0;
    b->nchoices = 0;
    const shared_run *from = item->run;
    uint32_t len = item->len; /* 0: the empty prefix, level 0's one item */
    if (len && !(from && from->choices && from->len + 1 >= len)) {
        /* its run's choices could not be kept (no memory): b->oom says so */
        release_choices(item->run);
        *item = (work){.from = item->from, .seq = item->seq};
        return;
    }
    for (uint32_t i = 0; i + 1 < len; i++)
        push_choice(b, i, from->choices[i]);
    if (len)
        push_choice(b, len - 1, item->alt);
    release_choices(item->run);
    *item = (work){.from = item->from, .seq = item->seq};
    b->replay_len = len;
    b->from = item->from;
    b->seq = item->seq;
    b->phase = 0;
    b->runno = 0;
    run_bounded(b);
    if (b->nframes == 0)
        return;
    uint32_t keep = b->frames[b->nframes - 1].depth + 1;
    item->choices = malloc(keep);
    item->frames = malloc(b->nframes * sizeof *item->frames);
    if (!item->choices || !item->frames) {
        free(item->choices);
        free(item->frames);
        item->choices = NULL;
        item->frames = NULL;
        item->nframes = 0;
        b->oom = true;
        return;
    }
    memcpy(item->choices, b->choices, keep);
    memcpy(item->frames, b->frames, b->nframes * sizeof *item->frames);
    item->len = keep;
    item->nframes = (uint32_t)b->nframes;
}

/* Pass two: every other way to go on from the item without preempting, by
 * depth-first search over the alternatives left at each free choice. */
static void item_rest(bounded *b, work *item) {
    search *s = b->s;
    b->nframes = 0;
    b->from = item->from;
    b->seq = item->seq;
    b->phase = 1;
    b->runno = 0;
    for (uint32_t i = 0; i < item->nframes; i++)
        push_frame(b, item->frames[i]);
    for (uint32_t i = 0; i < item->len; i++)
        push_choice(b, i, item->choices[i]);
    while (!s->stop) {
        while (b->nframes && b->frames[b->nframes - 1].remaining == 0)
            b->nframes--;
        if (b->nframes == 0)
            break;
        frame *f = &b->frames[b->nframes - 1];
        uint8_t alt = (uint8_t)__builtin_ctzll(f->remaining);
        f->remaining &= f->remaining - 1;
        push_choice(b, f->depth, alt);
        b->replay_len = f->depth + 1;
        run_bounded(b);
        b->runno++;
    }
}

static void free_item(work *w) {
    release_choices(w->run);
    release_run(w->from);
    free(w->choices);
    free(w->frames);
    *w = (work){0};
}

static void free_queue(workq *q) {
    for (size_t i = 0; i < q->n; i++)
        free_item(&q->items[i]);
    free(q->items);
    memset(q, 0, sizeof *q);
}

/* Levels first .. last of the items in *cur, in rising preemptions;
 * within a level, first every item with its default continuation (where
 * most failures show), then the rest. *cur ends as the items of the level
 * after last. */
static void run_levels(search *s, bounded *b, workq *cur, unsigned first, unsigned last,
                       bool *cut) {
    unsigned bound = s->o->preemptions;
    const rl_explore_split *sp = s->o->split;
    workq next = {0};
    for (unsigned level = first; level <= last && !s->stop && cur->n > 0; level++) {
        s->level = level;
        b->level = level;
        b->next = level < bound ? &next : NULL;
        /* a part: every part runs level 0 (its items are level 1's), part 0
         * counts it; the items of level 1 are shared out, and below them
         * each part has its own */
        s->silent = sp && level == 0 && !sp->first_part;
        size_t kept = 0; /* level 1 of a part: the items it took, each as its turn comes */
        for (size_t i = 0; i < cur->n && !s->stop; i++) {
            if (sp && !sp->whole_items && level == 1 && !sp->owns(sp->ctx, i)) {
                free_item(&cur->items[i]);
                continue;
            }
            if (kept != i) { /* moved down over one not taken */
                cur->items[kept] = cur->items[i];
                cur->items[i] = (work){0};
            }
            item_first(b, &cur->items[kept++]);
        }
        for (size_t i = kept; i < cur->n; i++) /* left by a stop */
            free_item(&cur->items[i]);
        cur->n = kept;
        for (size_t i = 0; i < cur->n && !s->stop; i++) {
            item_rest(b, &cur->items[i]);
            free_item(&cur->items[i]);
        }
        s->silent = false;
        *cut |= b->oom;
        free_queue(cur);
        *cur = next;
        memset(&next, 0, sizeof next);
    }
}

static void bounded_search(search *s) {
    unsigned bound = s->o->preemptions;
    workq cur = {0};
    bounded b = {.base = {.choose = bounded_choose,
                          .repeat = bounded_repeat,
                          .footprints = rl__explore_footprints},
                 .s = s};
    s->res->bound = bound;
    cur.items = calloc(1, sizeof *cur.items); /* level 0: the empty prefix */
    if (!cur.items) {
        s->error = RL_ENOMEM;
        return;
    }
    cur.n = cur.cap = 1;
    bool cut = false;
    const rl_explore_split *sp = s->o->split;
    if (!sp || !sp->whole_items) {
        run_levels(s, &b, &cur, 0, bound, &cut);
    } else {
        /* level 0, then each level-1 item taken, to the bound */
        s->any_order = true;
        run_levels(s, &b, &cur, 0, 0, &cut);
        for (size_t i = 0; i < cur.n && !s->stop; i++) {
            if (!sp->owns(sp->ctx, i)) {
                free_item(&cur.items[i]); /* another part's: its run's choices go */
                continue;
            }
            workq one = {.items = malloc(sizeof *one.items), .n = 1, .cap = 1};
            if (!one.items) {
                rl__search_error(s, RL_ENOMEM, "out of memory");
                break;
            }
            one.items[0] = cur.items[i];
            cur.items[i] = (work){0};
            run_levels(s, &b, &one, 1, bound, &cut);
            free_queue(&one);
        }
    }
    /* stopped early: a failure (unless keep_going), the schedule cap, or an
     * error; cut: pending work that could not be kept; skipped: runs after
     * a failure known */
    s->res->exhaustive = !s->stop && !cut && !s->skipped;
    s->res->complete = s->res->exhaustive && s->res->pruned == 0;
    free_queue(&cur);
    free(b.choices);
    free(b.frames);
}

/* ---- PCT ---- */

typedef struct {
    rl__chooser base;
    rl__pct p;
} pct;

static unsigned pct_choose(rl__chooser *c, size_t step, uint64_t enabled, uint64_t lazy,
                           int current) {
    return rl__pct_choose(&((pct *)c)->p, step, rl__eager(enabled, lazy), current);
}

/* Schedules every part of a split PCT runs: the default one and the first
 * random ones, whose longest sets where change points may fall. */
#define PCT_WARMUP 16

/* An iteration's place in the search's order (a split search): its number.
 * False when its run need not be made (a failure before it is known) or
 * there is no memory. */
static bool pct_place(search *s, uint64_t i) {
    s->npos = 0;
    if (!place_push(s, (uint32_t)(i >> 32)) || !place_push(s, (uint32_t)i)) {
        rl__search_error(s, RL_ENOMEM, "out of memory");
        return false;
    }
    return !place_beaten(s);
}

/* The default schedule, then iterations - 1 random ones. The d - 1
 * priority change points of each fall among the first k steps, k the
 * longest of the first PCT_WARMUP schedules: fixed after them, so that an
 * iteration's plan depends on the seed and its number only, and the
 * iterations after them can be shared out between the parts of a split
 * search (each runs the first ones too, the first part counting them, as
 * each part of a bounded search runs its schedules with no preemption). */
static void pct_search(search *s) {
    uint64_t seed_state = s->o->seed;
    const rl_explore_split *sp = s->o->split;
    uint64_t warm = s->o->iterations < PCT_WARMUP ? s->o->iterations : PCT_WARMUP;
    size_t k = 0; /* steps to place change points in */
    unsigned d = s->o->depth ? s->o->depth : 1;
    for (uint64_t i = 0; i < s->o->iterations && !s->stop; i++) {
        pct p = {.base = {.choose = pct_choose, .plan = RL_PLAN_PCT}, .p = {.depth = d}};
        if (i > 0) /* the plan's draws, whoever runs it */
            p.p.rng = rl__rng_next(&seed_state);
        if (sp && i >= warm && !sp->owns(sp->ctx, i - warm))
            continue;
        s->silent = sp && i < warm && !sp->first_part;
        if (sp && !pct_place(s, i))
            break;
        rl__run r;
        if (i == 0) { /* the default order measures the length first */
            follow f = {.base = {.choose = follow_choose, .plan = RL_PLAN_DEVIATIONS}};
            rl__run_one(s->t, &f.base, false, &r);
        } else {
            p.p.nchange = d - 1 < RL_PCT_MAX_CHANGES ? d - 1 : RL_PCT_MAX_CHANGES;
            for (size_t j = 0; j < p.p.nchange; j++)
                p.p.change[j] = k ? rl__rng_below(&p.p.rng, k) : 0;
            qsort(p.p.change, p.p.nchange, sizeof p.p.change[0], rl__cmp_u64);
            rl__pct start = p.p; /* the plan: the state before the first step */
            p.base.pct = &start;
            rl__run_one(s->t, &p.base, false, &r);
        }
        rl__search_account(s, &r);
        if (i < warm && r.nsteps > k)
            k = r.nsteps;
    }
    s->silent = false;
}

/* ---- delay bounding ---- */

typedef struct {
    rl__chooser base;
    rl__delays d;
} delayed;

static unsigned delays_choose(rl__chooser *c, size_t step, uint64_t enabled, uint64_t lazy,
                              int current) {
    return rl__delays_choose(&((delayed *)c)->d, step, rl__eager(enabled, lazy), current);
}

typedef struct {
    rl__delays *items;
    size_t n, cap;
} delayq;

static bool delayq_push(delayq *q, const rl__delays *d) {
    if (q->n >= MAX_PENDING)
        return false;
    if (q->n == q->cap) {
        rl__delays *bigger = rl__grow(q->items, &q->cap, sizeof *bigger, 64);
        if (!bigger)
            return false;
        q->items = bigger;
    }
    q->items[q->n++] = *d;
    return true;
}

/* A delay plan's place in the search's order (a split search): its level,
 * then the step of each delay as many times as it skips. The search runs
 * a level's plans in the order of the plans they came from, each one's in
 * rising steps, and a plan comes from the one with its last skip undone:
 * so this order. False when its run need not be made (a failure before
 * it is known) or there is no memory. */
static bool delays_place(search *s, const rl__delays *d, unsigned level) {
    s->npos = 0;
    bool ok = place_push(s, level);
    for (uint32_t i = 0; ok && i < d->n; i++)
        for (uint32_t k = 0; ok && k < d->at[i].skips; k++)
            ok = place_push(s, d->at[i].step);
    if (!ok) {
        rl__search_error(s, RL_ENOMEM, "out of memory");
        return false;
    }
    return !place_beaten(s);
}

/* Every schedule of the round-robin scheduler with at most o->delays
 * delays, in rising delays: from each schedule with k delays, the
 * schedules with one more delay at or after its last one. */
static void delays_search(search *s) {
    unsigned bound = s->o->delays;
    delayq cur = {0}, next = {0};
    rl__delays none = {.last = -1};
    bool cut = !delayq_push(&cur, &none);
    s->res->bound = bound;
    const rl_explore_split *sp = s->o->split;
    for (unsigned level = 0; level <= bound && !s->stop && cur.n > 0; level++) {
        s->level = level;
        /* a part: as the bounded search's (level 0 everywhere, counted by
         * the first part; level 1's items shared out as their turn comes) */
        s->silent = sp && level == 0 && !sp->first_part;
        for (size_t i = 0; i < cur.n && !s->stop; i++) {
            if (sp && level == 1 && !sp->owns(sp->ctx, i))
                continue;
            delayed c = {.base = {.choose = delays_choose, .plan = RL_PLAN_DELAYS}};
            c.d = cur.items[i];
            if (sp && !delays_place(s, &c.d, level))
                break;
            rl__delays plan = c.d;
            c.base.delays = &plan;
            rl__run r;
            rl__run_one(s->t, &c.base, false, &r);
            rl__search_account(s, &r);
            if (s->stop)
                break;
            /* where one more delay could go: at the last delay's step (one
             * more thread skipped there) or at any later step with a choice */
            uint32_t from = plan.n ? plan.at[plan.n - 1].step : 0;
            for (size_t st = from; st < r.nsteps; st++) {
                unsigned choices = (unsigned)__builtin_popcountll(r.decisions[st].enabled);
                rl__delays more = plan;
                if (plan.n && st == plan.at[plan.n - 1].step) {
                    if (plan.at[plan.n - 1].skips + 1 >= choices)
                        continue; /* every other thread skipped there already */
                    more.at[more.n - 1].skips++;
                } else {
                    if (choices < 2 || more.n == RL_DELAYS_MAX)
                        continue;
                    more.at[more.n].step = (uint32_t)st;
                    more.at[more.n].skips = 1;
                    more.n++;
                }
                if (level == bound)
                    s->res->pruned++;
                else if (!delayq_push(&next, &more))
                    cut = true;
            }
        }
        s->silent = false;
        free(cur.items);
        cur = next;
        memset(&next, 0, sizeof next);
    }
    s->res->exhaustive = !s->stop && !cut;
    s->res->complete = s->res->exhaustive && s->res->pruned == 0;
    free(cur.items);
    free(next.items);
}

/* ---- minimization ---- */

/* Whether following d fails with the given kind; its preemptions. */
static bool fails_with(const rl_target *t, const rl__deviation *d, size_t n,
                       rl_failure_kind kind, unsigned *preemptions) {
    rl__run r;
    run_following(t, d, n, false, &r);
    *preemptions = r.preemptions;
    return !r.no_fit && failure_of(&r) == kind;
}

/* Whether minimization must stop: past the exploration's time limit
 * (deadline, 0: none) or interrupted. */
static bool minimize_over(const rl_explore_opts *o, uint64_t deadline, bool *stopped) {
    if ((o->interrupted && *o->interrupted) ||
        (deadline && rl_platform_pthreads()->now_ns() >= deadline))
        *stopped = true;
    return *stopped;
}

/* Drops deviations one at a time, last first, keeping each drop that
 * still fails with at most `most` preemptions (fewer when `fewer`), until
 * none can go. */
static size_t drop_deviations(const rl_target *t, rl__deviation *d, size_t n, rl_failure_kind kind,
                              const rl_explore_opts *o, uint64_t deadline, bool *stopped,
                              unsigned *most, bool fewer) {
    bool changed = n > 0;
    while (changed && !minimize_over(o, deadline, stopped)) {
        changed = false;
        for (size_t i = n; i-- > 0 && !minimize_over(o, deadline, stopped);) {
            rl__deviation saved = d[i];
            memmove(&d[i], &d[i + 1], (n - i - 1) * sizeof *d);
            unsigned p;
            if (fails_with(t, d, n - 1, kind, &p) && (fewer ? p < *most : p <= *most)) {
                n--;
                *most = p;
                changed = true;
            } else {
                memmove(&d[i + 1], &d[i], (n - i - 1) * sizeof *d);
                d[i] = saved;
            }
        }
    }
    return n;
}

/* Fewest preemptions, then fewest deviations, then the earliest ones:
 * drop the deviations whose going lowers the preemptions, then those whose
 * going keeps them, then move each as early as it still fails with no
 * more preemptions. Every change kept still fails, so a cut leaves a
 * failing schedule, and no change adds a preemption. */
static size_t minimize(const rl_target *t, rl__deviation *d, size_t n,
                       const rl_counterexample *found, const rl_explore_opts *o, uint64_t deadline,
                       bool *stopped) {
    rl_failure_kind kind = found->kind;
    unsigned most = found->preemptions;
    n = drop_deviations(t, d, n, kind, o, deadline, stopped, &most, true);
    n = drop_deviations(t, d, n, kind, o, deadline, stopped, &most, false);
    for (size_t i = 0; i < n && !minimize_over(o, deadline, stopped); i++) {
        uint32_t lowest = i ? d[i - 1].step + 1 : 0, original = d[i].step;
        for (uint32_t step = lowest; step < original && !minimize_over(o, deadline, stopped);
             step++) {
            d[i].step = step;
            unsigned p;
            if (fails_with(t, d, n, kind, &p) && p <= most) {
                most = p;
                break;
            }
            d[i].step = original;
        }
    }
    return n;
}

/* ---- counterexamples ---- */

static rl_err counterexample(const rl_target *t, const rl__deviation *d, size_t n,
                             rl_counterexample *out) {
    rl__run r;
    run_following(t, d, n, true, &r);
    memset(out, 0, sizeof *out);
    out->kind = failure_of(&r);
    if (r.fail != RL_FAIL_NONE)
        snprintf(out->message, sizeof out->message, "%s", r.message);
    else
        snprintf(out->message, sizeof out->message, "%s", r.outcome.verdict);
    out->outcome = r.outcome;
    out->program = t->program != NULL;
    out->preemptions = r.preemptions;
    out->schedule = rl__schedule_encode(r.decisions, r.nsteps, &out->deviations);
    /* the trace ends at the failure: the rest of its step, nothing after */
    size_t keep = r.ntrace;
    if (r.fail != RL_FAIL_NONE && r.fail_trace > 0 && r.fail_trace <= r.ntrace) {
        unsigned last = r.trace[r.fail_trace - 1].index;
        keep = r.fail_trace;
        while (keep < r.ntrace && last != 0 && r.trace[keep].index == last)
            keep++;
    }
    out->steps = malloc((keep ? keep : 1) * sizeof *out->steps);
    if (!out->schedule || !out->steps)
        return RL_ENOMEM;
    if (keep)
        memcpy(out->steps, r.trace, keep * sizeof *r.trace);
    out->nsteps = keep;
    return RL_OK;
}

static void free_counterexample(rl_counterexample *c) {
    free(c->schedule);
    free(c->steps);
    memset(c, 0, sizeof *c);
}

void rl_explore_result_free(rl_explore_result *r) {
    if (!r)
        return;
    free_counterexample(&r->first);
    free_counterexample(&r->minimized);
    free(r->states);
    free(r->races);
    free(r->order);
    memset(r, 0, sizeof *r);
}

int rl_order_cmp(const uint32_t *a, size_t na, const uint32_t *b, size_t nb) {
    for (size_t i = 0; i < na && i < nb; i++)
        if (a[i] != b[i])
            return a[i] < b[i] ? -1 : 1;
    return (na > nb) - (na < nb);
}

rl_err rl_explore(const rl_target *t, const rl_explore_opts *o, rl_explore_result *out, char *why,
                  size_t why_len) {
    if (!t || (!t->run && !t->program) || !o || !out) {
        WHY("nothing to explore");
        return RL_EINVAL;
    }
    memset(out, 0, sizeof *out);
    if (o->search == RL_SEARCH_PCT && (o->depth == 0 || o->iterations == 0)) {
        WHY("PCT needs a depth of at least 1 and at least one iteration");
        return RL_EINVAL;
    }
    if (o->max_schedules == 0 || o->max_steps == 0) {
        WHY("max_schedules and max_steps must be positive");
        return RL_EINVAL;
    }
    bool reduced = o->search == RL_SEARCH_BOUNDED && o->preemptions == RL_PREEMPTIONS_ALL &&
                   o->reduce && (!t->program || rl__program_instrumented(t->program));
    if (o->split && reduced && (!o->split->task_back != !o->split->task_next ||
                                (!o->split->task_back && !o->split->parts) ||
                                o->split->part > o->split->parts ||
                                (o->split->parts && !o->split->part))) {
        WHY("a part of the reduced search needs its number and the number of parts (part K "
            "of N, 1 <= K <= N), or a coordinator's tasks");
        return RL_EINVAL;
    }
    if (o->split && !reduced &&
        ((o->search != RL_SEARCH_BOUNDED && o->search != RL_SEARCH_DELAYS &&
          o->search != RL_SEARCH_PCT) ||
         !o->split->owns)) {
        WHY("only the bounded search, delay bounding and PCT can be split into parts");
        return RL_EINVAL;
    }
    rl__deviation *replay = NULL;
    size_t nreplay = 0;
    if (o->search == RL_SEARCH_REPLAY) {
        rl_err e = rl__schedule_parse(o->replay, &replay, &nreplay, why, why_len);
        if (e != RL_OK)
            return e;
    }
    rl_err e = t->program ? RL_OK
                          : rl__sched_open(o->max_steps,
                                           o->stack_size ? o->stack_size : RL_EX_STACK_DEFAULT);
    if (e != RL_OK) {
        WHY("another exploration is running");
        free(replay);
        return e;
    }
    char scratch[512] = "";
    search s = {.t = t, .o = o, .res = out, .why = why ? why : scratch,
                .why_len = why ? why_len : sizeof scratch};
    out->search = o->search;
    out->program = t->program != NULL;
    uint64_t t0 = rl_platform_pthreads()->now_ns();
    s.t0 = t0;
    s.next_progress = t0 + 200000000u;
    if (t->program) { /* --time-limit holds inside a long schedule too */
        rl__program_deadline(t->program, o->time_limit_ns ? t0 + o->time_limit_ns : 0);
        rl__program_races_reset(t->program);
    }
    switch (o->search) {
    case RL_SEARCH_BOUNDED:
        if (reduced)
            rl__dpor_search(&s);
        else
            bounded_search(&s);
        break;
    case RL_SEARCH_PCT: pct_search(&s); break;
    case RL_SEARCH_DELAYS: delays_search(&s); break;
    case RL_SEARCH_REPLAY: {
        rl__run r;
        run_following(t, replay, nreplay, false, &r);
        rl__search_account(&s, &r);
        break;
    }
    }
    out->elapsed_ns = rl_platform_pthreads()->now_ns() - t0;
    if (s.error == RL_OK && out->failed) {
        size_t n = rl__schedule_deviations(s.fail_decisions, s.fail_n, NULL);
        rl__deviation *d = malloc((n ? n : 1) * sizeof *d);
        if (!d) {
            s.error = RL_ENOMEM;
        } else {
            rl__schedule_deviations(s.fail_decisions, s.fail_n, d);
            s.error = counterexample(t, d, n, &out->first);
            /* a part's failure that another part's comes before is not the
             * one reported: not worth minimizing */
            bool beaten = o->split && o->split->beaten &&
                          o->split->beaten(o->split->ctx, out->order, out->norder);
            if (s.error == RL_OK && o->minimize && o->search != RL_SEARCH_REPLAY && !beaten) {
                uint64_t m0 = rl_platform_pthreads()->now_ns();
                uint64_t deadline = o->time_limit_ns ? t0 + o->time_limit_ns : 0;
                n = minimize(t, d, n, &out->first, o, deadline, &out->minimize_stopped);
                s.error = counterexample(t, d, n, &out->minimized);
                out->minimize_ns = rl_platform_pthreads()->now_ns() - m0;
            }
            free(d);
        }
    }
    if (s.error == RL_OK && !out->failed && o->search == RL_SEARCH_REPLAY && o->record)
        s.error = counterexample(t, replay, nreplay, &out->first);
    if (!t->program)
        rl__sched_close();
    else
        rl__program_deadline(t->program, 0);
    out->memory_scheduled = t->program && rl__program_instrumented(t->program);
    out->plain_checked = t->program && rl__program_plain_checked(t->program);
    out->races_checked =
        t->program && rl__program_races_checked(t->program, &out->races_incomplete);
    if (t->program) {
        out->races_listed = rl__program_races_take(t->program, &out->races, &out->nraces,
                                                   &out->races_unlisted);
    }
    free(s.fail_decisions);
    free(s.pos);
    free(replay);
    if (s.error == RL_OK)
        s.error = states_table(&s, out);
    rl_histogram_free(&s.states);
    if (s.error != RL_OK) {
        rl_explore_result_free(out);
        return s.error;
    }
    return RL_OK;
}

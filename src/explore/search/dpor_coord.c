/* dpor_coord.c - the reduced search's tree, kept for workers that run its
 * branches (racelab explore -j N with reduction on).
 *
 * The search on one core (dpor.c) runs one branch at a time, depth first,
 * and after each run reverses the races it found: at the node where a
 * race's first step was made, one of the threads that could go first is
 * added to the threads to explore from there, unless one of them is
 * there already. A node's threads are explored in the order they were
 * added, so a branch's sleep set (the threads taken before it that its
 * step does not depend on) is known when the branch is added, and a
 * branch's subtree is the same whoever runs it, whenever. What depends
 * on the order is only which threads the races add, and where in the
 * order: a race reversed at node N is decided by what N's backtrack set
 * holds at that moment, which the races of the runs before it in N's
 * subtree made.
 *
 * A task is a subtree: a branch at a node, which the worker explores
 * depth first as one core would, reversing the races at the subtree's own
 * nodes itself (no run outside the subtree passes through them), until
 * the subtree is finished or its budget spent. Then it sends back what is
 * left (a path of nodes with threads still to explore, which become this
 * tree's nodes and are handed out in turn) and its runs' races at the
 * nodes above the subtree. Those wait in each node's queue, in the
 * one-core order of the runs (their places: a task's runs all come after
 * the branches before its own and before any branch it leaves), until
 * every branch before the task in that node's subtree is finished: its
 * results all in, their races at its own nodes all reversed. A branch is
 * handed out once the branches before it at its node are back (their
 * steps make its sleep set). Nothing else waits: the subtrees of
 * different branches are run side by side, and the tree, hence the
 * schedules run, is the one-core search's.
 *
 * While there are fewer branches ready than workers, a task is one run
 * (the tree grows fastest that way); after that, a task may run up to a
 * budget of runs or of time, so that a message costs little next to the
 * runs it carries (racelab's own targets run a schedule in some 20 us).
 *
 * A failure found (without keep_going) ends the branches after it in
 * that order; those before it still run, as on one core. */
#include <assert.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "racelab/explore.h"
#include "../../util/grow.h"
#include "dpor.h"

/* An entry's state: waiting for the entries before it, ready to hand out,
 * out, dropped (never back: after a failure, or its worker stopped),
 * back (its step known), done (its subtree finished). */
enum { E_WAIT, E_READY, E_OUT, E_DROP, E_BACK, E_DONE };

struct cnode;

typedef struct {
    uint8_t thread;
    uint8_t state;
    rl__step *step;      /* what the thread does at the node: known once back */
    struct cnode *child; /* the node after that step (NULL: none, or freed) */
} centry;

/* A run's races at one older node, waiting for their turn. */
typedef struct batch {
    struct batch *next;
    struct cnode *from; /* the run's task: this node's entry `index` */
    uint32_t index;
    uint32_t n;
    rl__dpor_event *ev;
} batch;

typedef struct cnode {
    struct cnode *parent;
    uint32_t depth, index; /* index: the parent's entry that leads here */
    uint64_t enabled, backtrack, sleep;
    uint64_t share; /* a part's (--shard), as the worker had it: see dpor.c */
    centry *ent;
    uint32_t nent, cap;
    uint32_t back; /* the first entries back (their steps known) */
    uint32_t fin;  /* the first entries done (subtrees finished) */
    uint8_t nknown; /* the steps of the threads asleep here: an ancestor's entries' */
    uint8_t known_thread[64];
    const rl__step **known;
    batch *queue;  /* sorted by the runs' places */
    uint32_t refs; /* live children, and batches whose task is here */
    bool finished;
} cnode;

typedef struct {
    cnode *node; /* NULL: the first task (the root) */
    uint32_t index;
    bool used;
} task;

struct rl_explore_coord {
    bool keep_going;
    uint32_t budget, budget_us; /* a task's, when there is work for every worker */
    unsigned hellos;
    uint64_t layout; /* the workers' programs' (rl__dpor_result_head) */
    bool stopped, failed, root_out, root_done, oom;
    cnode *root;
    task *tasks;
    size_t ntasks, tasks_cap;
    size_t out; /* tasks out */
    /* the entries that can be handed out, newest last */
    struct ready {
        cnode *node;
        uint32_t index;
    } *ready;
    size_t nready, ready_cap;
    uint32_t *best; /* the first failure's place (failed) */
    size_t nbest;
    uint32_t *place; /* scratch */
    size_t place_cap;
    rl__dpor_buf msg;
};

static_assert(RL_EX_MAX_THREADS == 64, "known_thread holds 64");

rl_explore_coord *rl_explore_coord_new(bool keep_going) {
    rl_explore_coord *c = calloc(1, sizeof *c);
    if (c) {
        c->keep_going = keep_going;
        c->budget = 256;
        c->budget_us = 2000;
    }
    return c;
}

void rl_explore_coord_budget(rl_explore_coord *c, unsigned runs, unsigned us) {
    c->budget = runs ? runs : 1;
    c->budget_us = us;
}

static void free_node(cnode *n) {
    for (uint32_t i = 0; i < n->nent; i++)
        free(n->ent[i].step);
    for (batch *b = n->queue, *next; b; b = next) {
        next = b->next;
        free(b->ev);
        free(b);
    }
    free(n->ent);
    free(n->known);
    free(n);
}

static void free_tree(cnode *n) {
    if (!n)
        return;
    for (uint32_t i = 0; i < n->nent; i++)
        free_tree(n->ent[i].child);
    free_node(n);
}

void rl_explore_coord_free(rl_explore_coord *c) {
    if (!c)
        return;
    free_tree(c->root);
    free(c->tasks);
    free(c->ready);
    free(c->best);
    free(c->place);
    free(c->msg.p);
    free(c);
}

/* ---- places ---- */

/* The place of entry `index` at n (n NULL: the root task) into c->place:
 * a leading 0, then the entry taken at each node down to it. */
static size_t place_of(rl_explore_coord *c, const cnode *n, uint32_t index) {
    size_t len = n ? (size_t)n->depth + 2 : 1;
    while (c->place_cap < len) {
        uint32_t *bigger = rl__grow(c->place, &c->place_cap, sizeof *bigger, 256);
        if (!bigger) {
            c->oom = true;
            return 0;
        }
        c->place = bigger;
    }
    c->place[0] = 0;
    if (n) {
        c->place[len - 1] = index;
        for (const cnode *x = n; x->parent; x = x->parent)
            c->place[x->depth] = x->index;
    }
    return len;
}

/* Which of two runs (entry ia at a, entry ib at b) comes first in the
 * one-core order: < 0, a's. A branch's first run comes before every other
 * run of its subtree. */
static int run_cmp(const cnode *a, uint32_t ia, const cnode *b, uint32_t ib) {
    unsigned da = a->depth, db = b->depth;
    int deeper = 0; /* which of the two was deeper: its run comes later if they meet */
    if (da > db)
        deeper = 1;
    else if (db > da)
        deeper = -1;
    while (a->depth > b->depth) {
        ia = a->index;
        a = a->parent;
    }
    while (b->depth > a->depth) {
        ib = b->index;
        b = b->parent;
    }
    while (a != b) {
        ia = a->index;
        a = a->parent;
        ib = b->index;
        b = b->parent;
    }
    if (ia != ib)
        return ia < ib ? -1 : 1;
    return deeper;
}

/* ---- the tree ---- */

static bool ready_push(rl_explore_coord *c, cnode *n, uint32_t index) {
    if (c->nready == c->ready_cap) {
        struct ready *bigger = rl__grow(c->ready, &c->ready_cap, sizeof *bigger, 64);
        if (!bigger) {
            c->oom = true;
            return false;
        }
        c->ready = bigger;
    }
    c->ready[c->nready++] = (struct ready){n, index};
    n->ent[index].state = E_READY;
    return true;
}

/* n's counts of entries back and done, and its next entry to hand out:
 * the first not back, once all before it are. */
static void refresh(rl_explore_coord *c, cnode *n) {
    while (n->back < n->nent && n->ent[n->back].state >= E_BACK)
        n->back++;
    while (n->fin < n->nent && n->ent[n->fin].state == E_DONE)
        n->fin++;
    if (n->back < n->nent && n->ent[n->back].state == E_WAIT)
        ready_push(c, n, n->back);
}

static bool add_entry(rl_explore_coord *c, cnode *n, unsigned thread, uint8_t state) {
    if (n->nent == n->cap) {
        size_t cap = n->cap;
        centry *bigger = rl__grow(n->ent, &cap, sizeof *bigger, 2);
        if (!bigger) {
            c->oom = true;
            return false;
        }
        n->ent = bigger;
        n->cap = (uint32_t)cap;
    }
    n->ent[n->nent++] = (centry){.thread = (uint8_t)thread, .state = state};
    return true;
}

/* A race reversed at n, as dpor.c's race_found does. */
static void reverse(rl_explore_coord *c, cnode *n, const rl__dpor_event *e) {
    int q = rl__dpor_pick(n->enabled, n->backtrack, e->init, e->thread);
    if (q < 0)
        return;
    n->backtrack |= 1ull << q;
    if (!(n->sleep >> q & 1u))
        add_entry(c, n, (unsigned)q, E_WAIT);
}

/* A batch's run may have its races at n reversed: every branch before it
 * in n's subtree is finished. */
static bool batch_ready(const batch *b, const cnode *n) {
    const cnode *x = b->from;
    uint32_t index = b->index;
    for (;;) {
        if (x->fin < index)
            return false;
        if (x == n)
            return true;
        index = x->index;
        x = x->parent;
    }
}

/* Free n and the ancestors it leaves with nothing to keep them. */
static void collect(rl_explore_coord *c, cnode *n) {
    while (n && n->finished && n->refs == 0 && n != c->root) {
        cnode *p = n->parent;
        p->ent[n->index].child = NULL;
        p->refs--;
        free_node(n);
        n = p;
    }
}

/* From n up to the root: reverse the races whose turn has come, mark
 * what is finished, free what nothing needs. */
static void settle(rl_explore_coord *c, cnode *n) {
    while (n) {
        refresh(c, n); /* a child finished: its entry is done */
        while (n->queue && batch_ready(n->queue, n)) {
            batch *b = n->queue;
            n->queue = b->next;
            for (uint32_t i = 0; i < b->n; i++)
                reverse(c, n, &b->ev[i]);
            cnode *from = b->from;
            free(b->ev);
            free(b);
            from->refs--;
            if (from != n)
                collect(c, from);
        }
        refresh(c, n);
        cnode *p = n->parent;
        if (!n->finished && !n->queue && n->fin == n->nent) {
            n->finished = true;
            if (p) {
                p->ent[n->index].state = E_DONE;
            } else {
                c->root_done = true;
            }
        }
        collect(c, n); /* p is not finished yet: collect stops below it */
        n = p;
    }
}

static bool enqueue(rl_explore_coord *c, cnode *at, cnode *from, uint32_t index,
                    const rl__dpor_event *ev, uint32_t n) {
    batch *b = malloc(sizeof *b);
    rl__dpor_event *copy = malloc(n * sizeof *copy);
    if (!b || !copy) {
        free(b);
        free(copy);
        c->oom = true;
        return false;
    }
    memcpy(copy, ev, n * sizeof *copy);
    *b = (batch){.from = from, .index = index, .n = n, .ev = copy};
    batch **p = &at->queue;
    while (*p && run_cmp((*p)->from, (*p)->index, from, index) < 0)
        p = &(*p)->next;
    b->next = *p;
    *p = b;
    from->refs++;
    return true;
}

/* A step kept: as many of its touches as it used. */
static rl__step *step_dup(const rl__step *st) {
    size_t size = offsetof(rl__step, touch) + st->ntouch * sizeof *st->touch;
    rl__step *copy = malloc(size);
    if (copy)
        memcpy(copy, st, size);
    return copy;
}

/* Node n's sleep set, as the worker had it: the threads asleep at its
 * parent or taken there before n's entry, that the entry's step does not
 * depend on. */
static bool sleep_below(cnode *n) {
    const cnode *p = n->parent;
    const centry *pe = &p->ent[n->index];
    n->known = malloc(((size_t)p->nknown + n->index + 1) * sizeof *n->known);
    if (!n->known)
        return false;
    for (unsigned j = 0; j < p->nknown + n->index; j++) {
        bool asleep = j < p->nknown;
        unsigned q = asleep ? p->known_thread[j] : p->ent[j - p->nknown].thread;
        const rl__step *st = asleep ? p->known[j] : p->ent[j - p->nknown].step;
        if (q == pe->thread || !st || rl__steps_relate(st, pe->step, 0))
            continue;
        n->known_thread[n->nknown] = (uint8_t)q;
        n->known[n->nknown++] = st;
        n->sleep |= 1ull << q;
    }
    return true;
}

/* One node of the path a result leaves: its entries, their steps. */
static rl_err read_node(rl_explore_coord *c, rl__dpor_in *in, cnode *n, bool last) {
    uint8_t norder = 0, ntaken = 0, order[64];
    if (!rl__dpor_get(in, &n->enabled, sizeof n->enabled) ||
        !rl__dpor_get(in, &n->backtrack, sizeof n->backtrack) ||
        !rl__dpor_get(in, &n->share, sizeof n->share) || !rl__dpor_get(in, &norder, 1) ||
        !rl__dpor_get(in, &ntaken, 1) || norder > 64 || ntaken == 0 || ntaken > norder ||
        !rl__dpor_get(in, order, norder))
        return RL_EINVAL;
    uint64_t seen = 0;
    for (unsigned i = 0; i < norder; i++) {
        if (order[i] >= 64 || (seen >> order[i] & 1u) || !(n->enabled >> order[i] & 1u))
            return RL_EINVAL;
        seen |= 1ull << order[i];
    }
    if (seen & ~n->backtrack)
        return RL_EINVAL;
    for (unsigned i = 0; i < norder; i++) {
        /* the taken threads' subtrees are finished but for the last's,
         * which leads on, unless this is the path's last node */
        uint8_t state = i >= ntaken ? E_WAIT : i + 1 == ntaken && !last ? E_BACK : E_DONE;
        if (!add_entry(c, n, order[i], state))
            return RL_ENOMEM;
    }
    for (unsigned i = 0; i < ntaken; i++) {
        rl__step st;
        if (!rl__dpor_get_step(in, &st))
            return RL_EINVAL;
        if (!(n->ent[i].step = step_dup(&st)))
            return RL_ENOMEM;
    }
    return RL_OK;
}

/* A task's result: what is left of its subtree (a path of new nodes),
 * the task's entry back or done, the races above the subtree. */
static rl_err take_result(rl_explore_coord *c, const task *t, rl__dpor_in *in,
                          const rl__dpor_result_head *h) {
    cnode *at = t->node;
    uint32_t k = at ? at->depth : 0;
    uint32_t first_new = at ? k + 1 : 0;
    if (h->first_new != first_new || h->end < first_new || (!at && h->nevents))
        return RL_EINVAL;
    uint32_t nnew = h->end - first_new;
    rl__step tstep;
    if (at && !rl__dpor_get_step(in, &tstep))
        return RL_EINVAL;
    cnode **made = calloc(nnew ? nnew : 1, sizeof *made);
    rl__dpor_event *ev = malloc((h->nevents ? h->nevents : 1) * sizeof *ev);
    rl_err e = made && ev ? RL_OK : RL_ENOMEM;
    for (uint32_t i = 0; i < nnew && e == RL_OK; i++) {
        if (!(made[i] = calloc(1, sizeof *made[i]))) {
            e = RL_ENOMEM;
            break;
        }
        made[i]->depth = first_new + i;
        e = read_node(c, in, made[i], i + 1 == nnew);
    }
    if (e == RL_OK && !rl__dpor_get(in, ev, h->nevents * sizeof *ev))
        e = RL_EINVAL;
    for (uint32_t i = 0; i < h->nevents && e == RL_OK; i++)
        if (ev[i].node > k || ev[i].thread >= RL_EX_MAX_THREADS)
            e = RL_EINVAL;
    if (e != RL_OK) {
        for (uint32_t i = 0; made && i < nnew; i++)
            if (made[i])
                free_node(made[i]);
        free(made);
        free(ev);
        return e;
    }
    if (at) {
        centry *te = &at->ent[t->index];
        if (!(te->step = step_dup(&tstep)))
            e = RL_ENOMEM;
        te->state = nnew ? E_BACK : E_DONE;
    } else if (!nnew) {
        c->root_done = true; /* the whole search was this task's */
    }
    /* link the path, each node below its parent's last entry taken (all
     * of it first: the tree then holds every node, to free whatever comes
     * next), then the sleep sets down it */
    for (uint32_t i = 0; i < nnew; i++) {
        cnode *n = made[i];
        cnode *p = i ? made[i - 1] : at;
        if (!p) {
            c->root = n;
            continue;
        }
        n->parent = p;
        n->index = t->index;
        if (i) /* the one entry of a path node that leads on */
            for (n->index = 0; p->ent[n->index].state != E_BACK; n->index++)
                ;
        p->ent[n->index].child = n;
        p->refs++;
    }
    for (uint32_t i = 0; i < nnew && e == RL_OK; i++)
        if (made[i]->parent && !sleep_below(made[i]))
            e = RL_ENOMEM;
    if (e != RL_OK) { /* the tree is half made: the search cannot go on */
        free(made);
        free(ev);
        return e;
    }
    /* the races above the subtree in their turn: a batch per node, in the
     * order found */
    if (h->nevents) {
        uint32_t *count = calloc((size_t)k + 2, sizeof *count);
        cnode **anc = malloc(((size_t)k + 1) * sizeof *anc);
        rl__dpor_event *sorted = malloc(h->nevents * sizeof *sorted);
        if (!count || !anc || !sorted) {
            e = RL_ENOMEM;
        } else {
            for (cnode *x = at; x; x = x->parent)
                anc[x->depth] = x;
            for (uint32_t i = 0; i < h->nevents; i++)
                count[ev[i].node + 1]++;
            for (uint32_t d = 0; d <= k; d++)
                count[d + 1] += count[d];
            for (uint32_t i = 0; i < h->nevents; i++)
                sorted[count[ev[i].node]++] = ev[i];
            /* count[d] is now where depth d's events end */
            for (uint32_t d = 0, start = 0; d <= k && e == RL_OK; start = count[d], d++)
                if (count[d] > start && !enqueue(c, anc[d], at, t->index, sorted + start,
                                                 count[d] - start))
                    e = RL_ENOMEM;
        }
        free(count);
        free(anc);
        free(sorted);
    }
    settle(c, nnew ? made[nnew - 1] : at);
    free(ev);
    free(made);
    return c->oom ? RL_ENOMEM : e;
}

/* ---- the messages ---- */

static task *task_of(rl_explore_coord *c, uint64_t id) {
    return id < c->ntasks && c->tasks[id].used ? &c->tasks[id] : NULL;
}

static void task_over(rl_explore_coord *c, task *t) {
    t->used = false;
    c->out--;
}

static void note_failure(rl_explore_coord *c, const task *t) {
    size_t n = place_of(c, t->node, t->index);
    if (!n)
        return;
    if (c->failed && rl_order_cmp(c->place, n, c->best, c->nbest) >= 0)
        return;
    uint32_t *copy = malloc(n * sizeof *copy);
    if (!copy) {
        c->oom = true;
        return;
    }
    memcpy(copy, c->place, n * sizeof *copy);
    free(c->best);
    c->best = copy;
    c->nbest = n;
    c->failed = true;
}

rl_err rl_explore_coord_back(rl_explore_coord *c, const void *msg, size_t len, bool *waits) {
    rl__dpor_in in = {.p = msg, .n = len};
    rl__dpor_result_head h;
    *waits = false;
    if (!rl__dpor_get(&in, &h, sizeof h) || h.magic != RL_DPOR_MAGIC)
        return RL_EINVAL;
    *waits = h.kind != RL_DPOR_STOPPED;
    if (h.kind == RL_DPOR_HELLO) {
        /* every worker's program laid out alike, or their steps, which
         * name memory by address, cannot be compared */
        if (c->hellos++ && h.layout != c->layout) {
            c->stopped = true;
            return RL_ENOTSUP;
        }
        c->layout = h.layout;
        return RL_OK;
    }
    task *t = task_of(c, h.id);
    if (!t)
        return RL_EINVAL;
    cnode *n = t->node;
    switch (h.kind) {
    case RL_DPOR_RESULT: {
        task copy = *t;
        task_over(c, t);
        if (h.failed)
            note_failure(c, &copy);
        rl_err e = take_result(c, &copy, &in, &h);
        if (e == RL_OK && in.at != in.n)
            e = RL_EINVAL;
        if (e != RL_OK)
            c->stopped = true;
        return e;
    }
    case RL_DPOR_SKIPPED:
    case RL_DPOR_STOPPED:
        if (n)
            n->ent[t->index].state = E_DROP;
        if (h.kind == RL_DPOR_STOPPED)
            c->stopped = true; /* a task skipped comes after a failure: incomplete anyway */
        task_over(c, t);
        return RL_OK;
    default:
        return RL_EINVAL;
    }
}

void rl_explore_coord_stop(rl_explore_coord *c) { c->stopped = true; }

void rl_explore_coord_lost(rl_explore_coord *c, uint64_t id) {
    task *t = task_of(c, id);
    if (t) {
        if (t->node)
            t->node->ent[t->index].state = E_DROP;
        task_over(c, t);
    }
    c->stopped = true;
}

static uint64_t new_task(rl_explore_coord *c, cnode *n, uint32_t index) {
    size_t id = 0;
    while (id < c->ntasks && c->tasks[id].used)
        id++;
    if (id == c->ntasks) {
        if (c->ntasks == c->tasks_cap) {
            task *bigger = rl__grow(c->tasks, &c->tasks_cap, sizeof *bigger, 16);
            if (!bigger) {
                c->oom = true;
                return UINT64_MAX;
            }
            c->tasks = bigger;
        }
        c->ntasks++;
    }
    c->tasks[id] = (task){.node = n, .index = index, .used = true};
    c->out++;
    return id;
}

/* The task message for entry index at n (n NULL: the root). */
static void task_message(rl_explore_coord *c, cnode *n, uint32_t index, uint64_t id) {
    rl__dpor_buf *b = &c->msg;
    b->n = 0;
    b->oom = false;
    size_t nplace = place_of(c, n, index);
    rl__dpor_task_head h = {.magic = RL_DPOR_MAGIC,
                            .kind = RL_DPOR_TASK,
                            .id = id,
                            .depth = n ? n->depth : RL_DPOR_ROOT,
                            .nplace = (uint32_t)nplace};
    /* a subtree while the others have work too; one run while the tree
     * is too small to keep every worker busy */
    if (c->nready >= (c->hellos ? c->hellos : 1)) {
        h.budget = c->budget;
        h.budget_us = c->budget_us;
    } else {
        h.budget = 1;
    }
    if (n) {
        h.thread = n->ent[index].thread;
        h.sleep = n->sleep;
        h.share = n->share;
        h.nknown = (uint8_t)(n->nknown + index);
        for (uint32_t i = 0; i <= index; i++)
            h.done |= 1ull << n->ent[i].thread;
    }
    rl__dpor_put(b, &h, sizeof h);
    rl__dpor_put(b, c->place, nplace * sizeof *c->place);
    if (!n)
        return;
    /* the choices down to n, and what was runnable at each node: written
     * from n upwards into their places */
    size_t k = n->depth;
    size_t at = b->n;
    uint8_t pad[64] = {0};
    for (size_t left = k + (k + 1) * sizeof(uint64_t); left > 0;) {
        size_t m = left < sizeof pad ? left : sizeof pad;
        rl__dpor_put(b, pad, m);
        left -= m;
    }
    if (b->oom)
        return;
    uint8_t *choices = b->p + at;
    uint8_t *enabled = choices + k;
    for (const cnode *x = n; x; x = x->parent) {
        memcpy(enabled + (size_t)x->depth * sizeof(uint64_t), &x->enabled, sizeof x->enabled);
        if (x->parent)
            choices[x->parent->depth] = x->parent->ent[x->index].thread;
    }
    for (unsigned i = 0; i < n->nknown; i++) {
        rl__dpor_put(b, &n->known_thread[i], 1);
        rl__dpor_put_step(b, n->known[i]);
    }
    for (uint32_t i = 0; i < index; i++) {
        rl__dpor_put(b, &n->ent[i].thread, 1);
        rl__dpor_put_step(b, n->ent[i].step);
    }
}

int rl_explore_coord_next(rl_explore_coord *c, const void **msg, size_t *len, uint64_t *id) {
    if (c->oom)
        return -1;
    if (!c->stopped && !c->root_out) {
        c->root_out = true;
        *id = new_task(c, NULL, 0);
        task_message(c, NULL, 0, *id);
    } else {
        cnode *n = NULL;
        uint32_t index = 0;
        while (!c->stopped && c->nready > 0) {
            struct ready r = c->ready[--c->nready];
            if (c->failed && !c->keep_going) {
                size_t np = place_of(c, r.node, r.index);
                if (np && rl_order_cmp(c->place, np, c->best, c->nbest) > 0) {
                    r.node->ent[r.index].state = E_DROP; /* after the first failure */
                    continue;
                }
            }
            n = r.node;
            index = r.index;
            break;
        }
        if (!n) {
            if (c->out > 0 || c->oom)
                return c->oom ? -1 : 0;
            rl__dpor_task_head h = {
                .magic = RL_DPOR_MAGIC,
                .kind = RL_DPOR_END,
                .complete = !c->stopped && !(c->failed && !c->keep_going) && c->root_done};
            c->msg.n = 0;
            c->msg.oom = false;
            rl__dpor_put(&c->msg, &h, sizeof h);
            if (c->msg.oom)
                return -1;
            *msg = c->msg.p;
            *len = c->msg.n;
            return 2;
        }
        n->ent[index].state = E_OUT;
        *id = new_task(c, n, index);
        task_message(c, n, index, *id);
    }
    if (c->oom || c->msg.oom)
        return -1;
    *msg = c->msg.p;
    *len = c->msg.n;
    return 1;
}

/* dpor.c - every schedule of a target, one per equivalence class: dynamic
 * partial-order reduction with source sets and sleep sets (Abdulla,
 * Aronis, Jonsson and Sagonas, "Optimal dynamic partial order reduction",
 * POPL 2014, Algorithm 1), stateless: every schedule re-runs the target.
 *
 * Two schedules are equivalent when one is the other with adjacent
 * independent steps swapped; equivalent schedules end in the same state
 * and fail the same way. Steps are independent when they are made by
 * different threads and touch no common object that one of them writes
 * (the scheduler records each step's footprint: mutexes, conditions,
 * accesses with their keys, thread ends, spawns, and what a section of a
 * guarded mutex declared; a yield depends on every step; explore_impl.h
 * says which touches depend on which). The search keeps the current
 * schedule as a stack of nodes, one per step. After each run it finds
 * the races of the new steps: a step j and an earlier step i of another
 * thread, dependent, with no other path of dependencies from i to j. Reversing a race needs one of the threads
 * that can start what comes after i without depending on i (the
 * "initials" of notdep(i).j): if none of them is in node i's backtrack
 * set, one is added. The sleep set of a node holds threads whose step
 * there was explored already (in a sibling branch) and that nothing since
 * has depended on: choosing them again would only repeat a class, so they
 * are never chosen, and a run where every runnable thread sleeps is
 * abandoned as redundant. Where several waiters could take the same
 * signal, each of them is explored: taking it disables the others (until
 * the next signal), a choice the races between steps do not reveal.
 *
 * A node's threads to explore are taken in the order they were added
 * (first the one the run chose, then the other waiters on a signal, then
 * the races' additions as they come): the order a split search can keep
 * (dpor.h, dpor_coord.c), since a branch's sleep set is then known the
 * moment the branch is added. With -j, a worker runs tasks here
 * (dpor_work) and the coordinator keeps the tree.
 *
 * A part of the search (--shard K/N: parts run apart, with nothing passed
 * between them) cannot learn the races another part's runs reverse, so
 * near the root it needs none: a node there is full, every awake thread
 * explored from it, while the product of the numbers of threads explored
 * at the full nodes above it (its share) is under split_leaves(N). A race
 * reversed at a full node adds nothing. The first node that is not full
 * begins a subtree whose races are reversed inside it or at full nodes,
 * so it is explored alike by whoever explores it, whenever: it belongs to
 * the part a hash of the choices down to it names. Every part runs each
 * branch of the full nodes once (the run tells it the step taken there,
 * which the sleep sets below need, and it is not counted unless the
 * branch is the part's), and the subtrees of its own. A schedule that
 * ends among full nodes, or is abandoned there as redundant, is counted
 * by the part its choices name. So the parts together run the schedules
 * of one search, the one whose upper nodes are full (--shard 1/1), each
 * schedule in one part; it is sound as the search is (a full node
 * explores more than races ask for), and runs more schedules.
 *
 * Only in-process targets: their steps report what they touch. Sound as
 * long as everything two threads share goes through the platform (locks,
 * conditions, visible variables and bank accesses); the soundness test
 * compares the reachable states with and without reduction. */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "../explore_impl.h"
#include "../../util/grow.h"
#include "dpor.h"

/* One step of the current schedule, and the state before it. */
typedef struct {
    uint64_t enabled;
    uint64_t backtrack; /* threads explored or to explore from here */
    uint64_t done;      /* threads explored from here (or being explored) */
    uint64_t sleep;     /* threads asleep here */
    uint64_t share;     /* a part's: the product of the threads explored at the full nodes
                           above (full while under split_leaves) */
    uint8_t chosen;
    /* the threads to explore, in the order they were added (none asleep);
     * the first ntaken of them taken */
    uint8_t norder, ntaken;
    uint8_t order[RL_EX_MAX_THREADS];
    /* the step each thread in sleep | done makes from here */
    uint8_t nknown;
    uint8_t known_thread[RL_EX_MAX_THREADS];
    rl__step *known; /* nknown long, heap (grown one at a time) */
} node;

typedef struct {
    rl__chooser base;
    node *nodes;
    size_t nnodes, cap;
    size_t plen;     /* the run replays nodes[0 .. plen - 1]'s choices */
    size_t blocked;  /* the step at which every runnable thread slept (SIZE_MAX: none) */
    bool diverged;   /* a replayed choice could not be followed */
    bool oom;
    /* a program: each run follows a plan made before it (its prefix of
     * choices, then the default order) and is fed back afterwards
     * (base.made: the copy's choice). Where the default order chose a
     * thread asleep at a new node, the run is used up to there only, and
     * the next one makes the awake choice (truncated: that step) */
    bool offline;
    size_t truncated;
    uint8_t *prefix;
    size_t prefix_cap;
    /* a worker of a split search: races at the nodes above its task's
     * subtree (those before `floor`) are not reversed here but sent to
     * the coordinator (events, in the order they are found) */
    rl__dpor_buf *events;
    size_t floor;
    /* a part of a split (--shard): nodes whose share is under `leaves`
     * are full; the subtrees below them whose hash % parts is `part` are
     * this one's (leaves 0: the whole search). skipped: the step where
     * this run entered another part's subtree (SIZE_MAX: none) */
    uint64_t leaves;
    unsigned part, parts;
    size_t skipped;
} dpor;

/* Full nodes at the top of a part's tree while their share is under
 * this: at least 8 subtrees per part, at least 64 (so up to 8 parts
 * split one tree: the same search whatever their number). */
static uint64_t split_leaves(unsigned parts) { return parts <= 8 ? 64 : 8ull * parts; }

/* Whether the subtree (or schedule) the choices of steps 0 .. k - 1 lead
 * to is this part's. */
static bool part_owns(const dpor *d, size_t k) {
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < k; i++)
        h = (h ^ (d->nodes[i].chosen + 1u)) * 0x100000001b3ull;
    h = (h ^ k) * 0x100000001b3ull;
    h ^= h >> 31; /* FNV's low bits vary little: mixed in from above */
    h *= 0x9e3779b97f4a7c15ull;
    h ^= h >> 29;
    return h % d->parts == d->part;
}

/* Whether the run that made the nodes up to end is this part's: counted
 * here. Its choices down to the first node that is not full (or all of
 * them) name its part. */
static bool run_owned(const dpor *d, size_t end) {
    if (!d->leaves)
        return true;
    size_t b = 0;
    while (b < end && b < d->nnodes && d->nodes[b].share < d->leaves)
        b++;
    return part_owns(d, b);
}

static bool add_known(node *n, unsigned thread, const rl__step *st) {
    for (unsigned i = 0; i < n->nknown; i++)
        if (n->known_thread[i] == thread) {
            n->known[i] = *st;
            return true;
        }
    rl__step *bigger = realloc(n->known, (n->nknown + 1u) * sizeof *bigger);
    if (!bigger)
        return false;
    n->known = bigger;
    n->known_thread[n->nknown] = (uint8_t)thread;
    n->known[n->nknown++] = *st;
    return true;
}

/* Thread q to explore from n too (it is not in n's backtrack set yet). */
static void node_add(node *n, unsigned q) {
    n->backtrack |= 1ull << q;
    if (!(n->sleep >> q & 1u))
        n->order[n->norder++] = (uint8_t)q;
}

/* A new node for step `step`, reached from the node before it. */
static node *push_node(dpor *d, size_t step, uint64_t enabled) {
    if (d->nnodes == d->cap) {
        node *bigger = rl__grow(d->nodes, &d->cap, sizeof *bigger, 256);
        if (!bigger)
            return NULL;
        d->nodes = bigger;
    }
    node *n = &d->nodes[d->nnodes++];
    memset(n, 0, sizeof *n);
    n->enabled = enabled;
    if (step == 0) {
        n->share = 1;
        return n;
    }
    /* asleep here: those asleep or explored before the previous step, that
     * the previous step does not depend on */
    const node *prev = &d->nodes[step - 1];
    const rl__step *made = &d->base.live->steps[step - 1];
    for (unsigned i = 0; i < prev->nknown; i++) {
        unsigned q = prev->known_thread[i];
        if (q == prev->chosen || !((prev->sleep | prev->done) >> q & 1u))
            continue;
        if (rl__steps_relate(&prev->known[i], made, 0))
            continue;
        if (!add_known(n, q, &prev->known[i]))
            return NULL;
        n->sleep |= 1ull << q;
    }
    n->share = prev->share;
    if (prev->share < d->leaves) /* below a full node */
        n->share *= (unsigned)__builtin_popcountll(prev->enabled & ~prev->sleep);
    return n;
}

static unsigned dpor_choose(rl__chooser *c, size_t step, uint64_t enabled, uint64_t lazy,
                            int current) {
    dpor *d = (dpor *)c;
    unsigned fallback = d->offline ? c->made : rl__default_choice(enabled, lazy, current);
    if (d->blocked != SIZE_MAX || d->oom || d->diverged || d->truncated != SIZE_MAX ||
        d->skipped != SIZE_MAX)
        return fallback; /* the rest of this run is not explored */
    if (step < d->plen) {
        node *n = &d->nodes[step];
        if (n->enabled != enabled || !(enabled >> n->chosen & 1u) ||
            (d->offline && c->made != n->chosen)) {
            d->diverged = true; /* the same choices led elsewhere: not deterministic */
            return fallback;
        }
        return n->chosen;
    }
    /* step == d->nnodes: a step no run of this branch has made yet */
    node *n = push_node(d, step, enabled);
    if (!n) {
        d->oom = true;
        return fallback;
    }
    bool full = n->share < d->leaves;
    if (d->leaves && !full && step > 0 && d->nodes[step - 1].share < d->leaves &&
        !part_owns(d, step)) {
        d->nnodes--; /* another part's subtree */
        free(n->known);
        d->skipped = step;
        return fallback;
    }
    uint64_t awake = enabled & ~n->sleep;
    if (!awake) {
        d->nnodes--; /* nothing new below here */
        free(n->known);
        d->blocked = step;
        return fallback;
    }
    unsigned ch = current >= 0 && (awake >> current & 1u) ? (unsigned)current
                                                           : (unsigned)__builtin_ctzll(awake);
    if (d->offline && (awake >> c->made & 1u))
        ch = c->made; /* the program's default order went on awake */
    n->chosen = (uint8_t)ch;
    n->done = 1ull << ch;
    node_add(n, ch);
    n->ntaken = 1;
    /* which of several waiters takes a signal: each of them (taking it
     * disables the others until the next signal, which races do not see) */
    uint64_t more = d->base.live->contested & enabled & ~n->backtrack;
    for (; more; more &= more - 1)
        node_add(n, (unsigned)__builtin_ctzll(more));
    if (full) /* a part's upper node: every awake thread */
        for (more = awake & ~n->backtrack; more; more &= more - 1)
            node_add(n, (unsigned)__builtin_ctzll(more));
    if (d->offline && ch != c->made) {
        d->truncated = step; /* the copy chose a sleeper: explored to here */
        return c->made;
    }
    return ch;
}

/* ---- races ---- */

typedef struct {
    size_t n;          /* steps analysed */
    unsigned nthreads; /* clock width */
    uint32_t *vc;      /* n x nthreads: vc[j][t] = the last step of t (+1) before or at j */
} clocks;

#define VC(c, j) (&(c)->vc[(size_t)(j) * (c)->nthreads])

static void join_into(uint32_t *into, const uint32_t *from, unsigned width) {
    for (unsigned t = 0; t < width; t++)
        if (from[t] > into[t])
            into[t] = from[t];
}

/* A step's signature, to skip pairs of steps that cannot be dependent
 * without comparing their touches (a run of a program may make thousands
 * of steps, and every pair of them is looked at): bit h(thing) for each
 * thing it touched, in `all`, and in `wrote` too unless only read. Two
 * steps can be dependent only if one is global (it may have touched
 * nothing listed) or one's `wrote` meets the other's `all`. */
typedef struct {
    uint64_t all, wrote;
    bool global;
} signature;

static signature sign(const rl__step *st) {
    signature g = {0, 0, st->global};
    for (unsigned i = 0; i < st->ntouch; i++) {
        const rl__touch *t = &st->touch[i];
        uint64_t h = ((uint64_t)t->addr ^ t->object * 0x9e3779b97f4a7c15ull ^ t->key) *
                     0xff51afd7ed558ccdull;
        uint64_t bit = 1ull << (h >> 58);
        g.all |= bit;
        if (!rl__touch_reads(t))
            g.wrote |= bit;
    }
    return g;
}

static bool may_relate(const signature *a, const signature *b) {
    return a->global || b->global || (a->wrote & b->all) || (a->all & b->wrote);
}

/* The threads of `threads` all of whose steps made so far (the latest
 * of each in latest[]) are before a step whose clock is vc. */
static uint64_t covered(const uint32_t *vc, uint64_t threads, const size_t *latest) {
    uint64_t all = 0;
    for (uint64_t m = threads; m; m &= m - 1) {
        unsigned q = (unsigned)__builtin_ctzll(m);
        if (vc[q] >= latest[q] + 1)
            all |= 1ull << q;
    }
    return all;
}

/* Happens-before of steps[0 .. n - 1]: program order, spawns and
 * dependencies. prev[j] is the step of the same thread before j, or the
 * spawning step, or SIZE_MAX. */
static bool compute_clocks(clocks *c, const rl__step *steps, const signature *sig,
                           const size_t *block, size_t n, size_t nreal, size_t *prev) {
    unsigned width = 1;
    for (size_t j = 0; j < n; j++)
        if (steps[j].thread + 1u > width)
            width = steps[j].thread + 1u;
    c->n = n;
    c->nthreads = width;
    c->vc = calloc(n ? n * width : 1, sizeof *c->vc);
    if (!c->vc)
        return false;
    size_t last[RL_EX_MAX_THREADS];
    for (unsigned t = 0; t < RL_EX_MAX_THREADS; t++)
        last[t] = SIZE_MAX;
    uint64_t before = 0; /* the threads of the steps made so far */
    size_t latest[RL_EX_MAX_THREADS]; /* and the latest of each */
    for (size_t j = 0; j < n; j++) {
        unsigned p = steps[j].thread;
        prev[j] = last[p] != SIZE_MAX            ? last[p]
                  : steps[j].spawned_at != 0     ? steps[j].spawned_at - 1
                                                 : SIZE_MAX;
        uint32_t *vj = VC(c, j);
        if (prev[j] != SIZE_MAX)
            memcpy(vj, VC(c, prev[j]), width * sizeof *vj);
        /* the latest step of each other thread that j depends on (an
         * earlier one of that thread is before it); a step already before
         * j, and every earlier one of its thread, adds nothing. Steps
         * never made order nothing */
        uint64_t others = before & ~(1ull << p), seen = covered(vj, others, latest);
        for (size_t i = j < nreal ? j : nreal; i-- > 0 && seen != others;) {
            unsigned q = steps[i].thread;
            if (q == p || (seen >> q & 1u)) {
                i = block[i]; /* and the steps of that thread just before it */
                continue;
            }
            if (vj[q] >= i + 1) {
                seen |= 1ull << q;
                i = block[i];
            } else if (may_relate(&sig[i], &sig[j]) && rl__steps_relate(&steps[i], &steps[j], 1)) {
                join_into(vj, VC(c, i), width);
                seen |= 1ull << q;
                i = block[i];
            }
        }
        vj[p] = (uint32_t)(j + 1);
        last[p] = j;
        if (j < nreal) {
            before |= 1ull << p;
            latest[p] = j;
        }
    }
    return true;
}

/* i happens before j (i < j). */
static bool hb(const clocks *c, const rl__step *steps, size_t i, size_t j) {
    return VC(c, j)[steps[i].thread] >= i + 1;
}

/* The initials of notdep(i).j: threads whose first step in that sequence
 * has no step of it before it in happens-before. */
static uint64_t initials(const clocks *c, const rl__step *steps, size_t i, size_t j,
                         size_t nreal, size_t *v) {
    uint64_t seen = 0, init = 0;
    size_t nv = 0;
    for (size_t k = i + 1; k <= j; k++) {
        if (k < j && k >= nreal)
            continue; /* another blocked step: never made */
        if (k < j && hb(c, steps, i, k))
            continue; /* depends on i: stays after it */
        v[nv++] = k;
    }
    for (size_t a = 0; a < nv; a++) {
        unsigned q = steps[v[a]].thread;
        if (seen >> q & 1u)
            continue;
        seen |= 1ull << q;
        bool first = true;
        for (size_t b = 0; b < a && first; b++)
            if (steps[v[b]].thread != q && hb(c, steps, v[b], v[a]))
                first = false;
        if (first)
            init |= 1ull << q;
    }
    return init;
}

/* The race between step i and a later step of thread p, whose reversal
 * needs one of init to go first at node i: reversed here, or sent to the
 * coordinator (a worker). */
static void race_found(dpor *d, size_t i, uint64_t init, unsigned p) {
    if (d->events && i < d->floor) {
        rl__dpor_event e = {.node = (uint32_t)i, .thread = p, .init = init};
        rl__dpor_put(d->events, &e, sizeof e);
        return;
    }
    node *at = &d->nodes[i];
    int q = rl__dpor_pick(at->enabled, at->backtrack, init, p);
    if (q >= 0)
        node_add(at, (unsigned)q);
}

/* Races of steps from..n-1 with earlier steps: grow backtrack sets. Steps
 * from nreal on were never made (blocked at a deadlock): they race with
 * the steps made, not with each other. */
static bool analyse(dpor *d, const rl__step *steps, size_t from, size_t n, size_t nreal) {
    clocks c;
    size_t *prev = malloc((n ? n : 1) * sizeof *prev);
    size_t *scratch = malloc((n ? n : 1) * sizeof *scratch);
    signature *sig = malloc((n ? n : 1) * sizeof *sig);
    /* block[i]: the first of the steps its thread made in a row up to i
     * (a scan back skips a thread's steps a block at a time) */
    size_t *block = malloc((n ? n : 1) * sizeof *block);
    if (sig && block)
        for (size_t j = 0; j < n; j++) {
            sig[j] = sign(&steps[j]);
            block[j] = j && j < nreal && steps[j - 1].thread == steps[j].thread ? block[j - 1] : j;
        }
    if (!prev || !scratch || !sig || !block ||
        !compute_clocks(&c, steps, sig, block, n, nreal, prev)) {
        free(prev);
        free(scratch);
        free(sig);
        free(block);
        return false;
    }
    uint32_t acc[RL_EX_MAX_THREADS];
    uint64_t before = 0; /* the threads of the steps made before j, and the latest of each */
    size_t latest[RL_EX_MAX_THREADS];
    for (size_t j = 0; j < n; j++) {
        unsigned p = steps[j].thread;
        if (j >= from) {
            memset(acc, 0, sizeof acc);
            if (prev[j] != SIZE_MAX)
                memcpy(acc, VC(&c, prev[j]), c.nthreads * sizeof *acc);
            /* a thread whose steps up to i are all before a conflicting
             * step already met (or j's own thread): no race there, and
             * nothing to add */
            uint64_t others = before & ~(1ull << p), done = covered(acc, others, latest);
            for (size_t i = j < nreal ? j : nreal; i-- > 0 && done != others;) {
                unsigned q = steps[i].thread;
                if (q == p || (done >> q & 1u)) {
                    i = block[i];
                    continue;
                }
                if (acc[q] >= i + 1) {
                    done |= 1ull << q;
                    i = block[i];
                    continue;
                }
                if (!may_relate(&sig[i], &sig[j]) || !rl__steps_relate(&steps[i], &steps[j], 2))
                    continue;
                /* a race: i and j could be the other way round */
                race_found(d, i, initials(&c, steps, i, j, nreal, scratch), p);
                join_into(acc, VC(&c, i), c.nthreads);
            }
        }
        if (j < nreal) {
            before |= 1ull << p;
            latest[p] = j;
        }
    }
    free(c.vc);
    free(prev);
    free(scratch);
    free(sig);
    free(block);
    return !(d->events && d->events->oom);
}

/* ---- one run ---- */

/* A program's plan: the choices to replay. */
static bool set_prefix(dpor *d) {
    while (d->plen > d->prefix_cap) {
        uint8_t *bigger = rl__grow(d->prefix, &d->prefix_cap, 1, d->plen);
        if (!bigger)
            return false;
        d->prefix = bigger;
    }
    for (size_t k = 0; k < d->plen; k++)
        d->prefix[k] = d->nodes[k].chosen;
    d->base.prefix = d->prefix;
    d->base.nprefix = d->plen;
    return true;
}

enum { RUN_STOP, RUN_AGAIN, RUN_DONE };

/* One run of the branch the nodes replay, its races found: RUN_DONE (a
 * schedule counted, or a redundant run), RUN_AGAIN (a program's run used
 * up to a sleeper's step: the same branch again, with the awake choice)
 * or RUN_STOP (the search stops: s says why). The run stays in *r and the
 * nodes run to *end. */
static int run_branch(dpor *d, rl__search *s, rl__run *r, size_t *end) {
    d->blocked = d->truncated = d->skipped = SIZE_MAX;
    d->diverged = false;
    if (d->offline && !set_prefix(d)) {
        rl__search_error(s, RL_ENOMEM, "out of memory in partial-order reduction");
        return RUN_STOP;
    }
    rl__run_one(s->t, &d->base, false, r);
    if (r->cut || (r->target_error != RL_OK && !r->no_fit)) {
        rl__search_account(s, r); /* the deadline, or the program could not run */
        return RUN_STOP;
    }
    if (d->diverged || r->no_fit) {
        rl__search_error(s, RL_EINVAL,
                         "the target did not repeat itself: the same choices led to "
                         "different steps (it must depend only on the schedule)");
        return RUN_STOP;
    }
    if (d->oom || r->target_error == RL_ENOMEM) {
        rl__search_error(s, RL_ENOMEM, "out of memory in partial-order reduction");
        return RUN_STOP;
    }
    *end = d->blocked != SIZE_MAX     ? d->blocked
           : d->truncated != SIZE_MAX ? d->truncated
           : d->skipped != SIZE_MAX   ? d->skipped
                                      : r->nsteps;
    /* keep what the chosen threads did, for the sleep sets of siblings */
    size_t from = d->plen ? d->plen - 1 : 0;
    for (size_t k = from; k < *end; k++)
        if (!add_known(&d->nodes[k], d->nodes[k].chosen, &r->steps[k])) {
            d->oom = true;
            break;
        }
    /* a deadlock: the blocked threads' steps race too (another order
     * may let them go) */
    const rl__step *all = r->steps;
    rl__step *joined = NULL;
    size_t nall = *end;
    if (!d->oom && d->blocked == SIZE_MAX && d->truncated == SIZE_MAX &&
        d->skipped == SIZE_MAX && r->npending > 0 && *end == r->nsteps) {
        joined = malloc((*end + r->npending) * sizeof *joined);
        if (!joined) {
            d->oom = true;
        } else {
            if (*end)
                memcpy(joined, r->steps, *end * sizeof *joined);
            memcpy(joined + *end, r->pending, r->npending * sizeof *joined);
            all = joined;
            nall = *end + r->npending;
        }
    }
    bool analysed = !d->oom && analyse(d, all, from, nall, *end);
    free(joined);
    if (!analysed) {
        rl__search_error(s, RL_ENOMEM, "out of memory in partial-order reduction");
        return RUN_STOP;
    }
    if (d->truncated != SIZE_MAX) {
        /* the same branch again, its awake choice made: nothing to count */
        rl__search_tick(s);
        d->nnodes = d->plen = *end + 1;
        return s->stop ? RUN_STOP : RUN_AGAIN;
    }
    if (d->skipped != SIZE_MAX || !run_owned(d, *end)) {
        rl__search_tick(s); /* another part's: it counts it */
    } else if (d->blocked != SIZE_MAX && r->target_error == RL_OK) {
        s->res->redundant++;
        rl__search_tick(s);
    } else {
        rl__search_account(s, r);
    }
    return RUN_DONE;
}

static void free_nodes(dpor *d, size_t from) {
    for (size_t k = from; k < d->nnodes; k++) {
        free(d->nodes[k].known);
        d->nodes[k].known = NULL;
        d->nodes[k].nknown = 0;
    }
}

/* After a run that made the nodes up to end: the nodes whose threads are
 * all explored dropped, from the deepest up to floor. false: none from
 * floor on has a thread left (the subtree below floor is finished). */
static bool pop_finished(dpor *d, size_t end, size_t floor) {
    if (end < floor)
        end = floor;
    free_nodes(d, end);
    d->nnodes = end;
    while (d->nnodes > floor && d->nodes[d->nnodes - 1].ntaken == d->nodes[d->nnodes - 1].norder) {
        free_nodes(d, d->nnodes - 1);
        d->nnodes--;
    }
    return d->nnodes > floor;
}

/* The deepest node's next thread taken: the branch the next run replays. */
static void take_next(dpor *d) {
    node *n = &d->nodes[d->nnodes - 1];
    n->chosen = n->order[n->ntaken++];
    n->done |= 1ull << n->chosen;
    d->plen = d->nnodes;
}

/* ---- a worker's tasks (a split search) ---- */

/* Room for a place of len numbers in s->pos. */
static bool pos_room(rl__search *s, size_t len) {
    while (s->pos_cap < len) {
        uint32_t *bigger = rl__grow(s->pos, &s->pos_cap, sizeof *bigger, 64);
        if (!bigger)
            return false;
        s->pos = bigger;
    }
    return true;
}

/* The task's branch into the nodes, its place into s->pos. */
static bool load_task(dpor *d, rl__search *s, rl__dpor_in *in, const rl__dpor_task_head *h) {
    free_nodes(d, 0);
    d->nnodes = d->plen = 0;
    s->npos = 0;
    if (!pos_room(s, h->nplace))
        return false;
    if (!rl__dpor_get(in, s->pos, h->nplace * sizeof *s->pos))
        return false;
    s->npos = h->nplace;
    d->leaves = d->parts ? split_leaves(d->parts) : 0;
    if (h->depth == RL_DPOR_ROOT)
        return true;
    size_t len = (size_t)h->depth + 1;
    while (d->cap < len) {
        node *bigger = rl__grow(d->nodes, &d->cap, sizeof *bigger, 256);
        if (!bigger)
            return false;
        d->nodes = bigger;
    }
    memset(d->nodes, 0, len * sizeof *d->nodes);
    d->nnodes = d->plen = len;
    for (size_t k = 0; k < h->depth; k++)
        rl__dpor_get(in, &d->nodes[k].chosen, 1);
    for (size_t k = 0; k < len; k++)
        rl__dpor_get(in, &d->nodes[k].enabled, sizeof d->nodes[k].enabled);
    node *n = &d->nodes[h->depth];
    n->chosen = h->thread;
    n->sleep = h->sleep;
    n->done = h->done;
    /* a part's: a task at a full node has full nodes above it; one below
     * them is in a subtree this part took already, all of it its own */
    if (h->share >= d->leaves)
        d->leaves = 0;
    for (size_t k = 0; k < len; k++)
        d->nodes[k].share = h->share;
    for (unsigned i = 0; i < h->nknown && !in->bad; i++) {
        uint8_t q;
        rl__step st;
        if (!rl__dpor_get(in, &q, 1) || !rl__dpor_get_step(in, &st) || q >= RL_EX_MAX_THREADS)
            in->bad = true;
        else if (!add_known(n, q, &st))
            return false;
    }
    return !in->bad && h->thread < RL_EX_MAX_THREADS && (n->enabled >> h->thread & 1u);
}

/* The place of the run the nodes replay into s->pos: the task's place
 * (its first `base` entries), then the thread's index in the order taken
 * at each node of the subtree down to the deepest. */
static bool set_place(dpor *d, rl__search *s, size_t base) {
    if (!pos_room(s, base + (d->nnodes - d->floor)))
        return false;
    s->npos = base;
    for (size_t k = d->floor; k < d->nnodes; k++)
        s->pos[s->npos++] = d->nodes[k].ntaken - 1u;
    return true;
}

/* Whether a failure before the place in s->pos is known (the run there
 * need not be made). */
static bool beaten(const rl__search *s) {
    const rl_explore_split *sp = s->o->split;
    return !s->o->keep_going && sp->beaten && sp->beaten(sp->ctx, s->pos, s->npos);
}

/* The step thread q makes at n (it was taken there). */
static const rl__step *known_step(const node *n, unsigned q) {
    for (unsigned i = 0; i < n->nknown; i++)
        if (n->known_thread[i] == q)
            return &n->known[i];
    assert(!"a thread taken at a node has its step kept there");
    return &n->known[0];
}

/* A task's result: what is left of its subtree, the races above it. */
static void put_result(dpor *d, rl__dpor_buf *out, rl__dpor_result_head *back,
                       const rl__dpor_task_head *h, const rl__dpor_buf *events) {
    back->first_new = (uint32_t)d->floor;
    back->end = (uint32_t)d->nnodes;
    back->nevents = (uint32_t)(events->n / sizeof(rl__dpor_event));
    rl__dpor_put(out, back, sizeof *back);
    if (h->depth != RL_DPOR_ROOT)
        rl__dpor_put_step(out, known_step(&d->nodes[h->depth], h->thread));
    for (size_t k = d->floor; k < d->nnodes; k++) {
        const node *n = &d->nodes[k];
        rl__dpor_put(out, &n->enabled, sizeof n->enabled);
        rl__dpor_put(out, &n->backtrack, sizeof n->backtrack);
        rl__dpor_put(out, &n->share, sizeof n->share);
        rl__dpor_put(out, &n->norder, 1);
        rl__dpor_put(out, &n->ntaken, 1);
        rl__dpor_put(out, n->order, n->norder);
        for (unsigned i = 0; i < n->ntaken; i++)
            rl__dpor_put_step(out, known_step(n, n->order[i]));
    }
    rl__dpor_put(out, events->p, events->n);
}

/* One task: its subtree, depth first, until it is finished or the
 * budget is spent (then what is left goes back to the coordinator), or a
 * failure ends it (without keep_going, every run after it in the subtree
 * comes after it). RL_DPOR_RESULT, _SKIPPED or _STOPPED. */
static uint32_t run_task(dpor *d, rl__search *s, const rl__dpor_task_head *h, bool *failed) {
    size_t base = s->npos;
    uint64_t t0 = h->budget_us ? rl_platform_pthreads()->now_ns() : 0;
    *failed = false;
    if (beaten(s))
        return RL_DPOR_SKIPPED; /* a failure before it is known */
    for (uint32_t runs = 1;; runs++) {
        uint64_t failing = s->res->failing;
        rl__run r;
        size_t end = 0;
        int how;
        while ((how = run_branch(d, s, &r, &end)) == RUN_AGAIN)
            ;
        if (how == RUN_STOP || s->stop)
            return RL_DPOR_STOPPED;
        bool failed_now = s->res->failing > failing;
        *failed |= failed_now;
        if (!pop_finished(d, end, d->floor) || (failed_now && !s->o->keep_going) ||
            runs >= h->budget ||
            (h->budget_us && rl_platform_pthreads()->now_ns() - t0 >= h->budget_us * 1000ull))
            return RL_DPOR_RESULT;
        take_next(d);
        if (!set_place(d, s, base)) {
            rl__search_error(s, RL_ENOMEM, "out of memory in partial-order reduction");
            return RL_DPOR_STOPPED;
        }
        if (beaten(s)) { /* that branch is not run: it stays the coordinator's */
            node *n = &d->nodes[d->nnodes - 1];
            n->done &= ~(1ull << n->chosen);
            n->ntaken--;
            return RL_DPOR_RESULT;
        }
    }
}

/* A worker of a split search: runs the coordinator's tasks until it says
 * the search is over (or this one stops), each a subtree of the tree (its
 * failures compared by place, rl__search.any_order). */
static void dpor_work(rl__search *s) {
    const rl_explore_split *sp = s->o->split;
    rl__dpor_buf events = {0}, out = {0};
    dpor d = {.base = {.choose = dpor_choose, .footprints = true, .reduced = true, .plan = RL_PLAN_PREFIX},
              .offline = s->t->program != NULL,
              .events = &events};
    bool complete = false;
    s->any_order = true;
    if (sp->parts) { /* a part's workers (--shard K/N -j M) */
        d.parts = sp->parts;
        d.part = sp->part - 1;
    }
    rl__dpor_result_head hello = {.magic = RL_DPOR_MAGIC, .kind = RL_DPOR_HELLO};
    if (s->t->program)
        hello.layout = rl__program_layout(s->t->program);
    bool said = sp->task_back(sp->ctx, &hello, sizeof hello);
    while (said && !s->stop) {
        const void *msg;
        size_t len;
        if (!sp->task_next(sp->ctx, &msg, &len)) {
            rl__search_error(s, RL_ESYS, "lost the search's coordinator");
            break;
        }
        rl__dpor_in in = {.p = msg, .n = len};
        rl__dpor_task_head h;
        if (!rl__dpor_get(&in, &h, sizeof h) || h.magic != RL_DPOR_MAGIC ||
            (h.kind != RL_DPOR_TASK && h.kind != RL_DPOR_END)) {
            rl__search_error(s, RL_ESYS, "the coordinator sent something that is not a task");
            break;
        }
        if (h.kind == RL_DPOR_END) {
            complete = h.complete != 0;
            break;
        }
        if (!load_task(&d, s, &in, &h)) {
            rl__search_error(s, in.bad ? RL_ESYS : RL_ENOMEM,
                             in.bad ? "the coordinator sent a task that does not fit the target"
                                    : "out of memory in partial-order reduction");
            break;
        }
        d.floor = h.depth == RL_DPOR_ROOT ? 0 : (size_t)h.depth + 1;
        events.n = 0;
        events.oom = false;
        bool failed;
        rl__dpor_result_head back = {.magic = RL_DPOR_MAGIC, .id = h.id};
        back.kind = run_task(&d, s, &h, &failed);
        back.failed = failed;
        out.n = 0;
        out.oom = false;
        if (back.kind == RL_DPOR_RESULT)
            put_result(&d, &out, &back, &h, &events);
        else
            rl__dpor_put(&out, &back, sizeof back);
        if (out.oom) {
            rl__search_error(s, RL_ENOMEM, "out of memory in partial-order reduction");
            back.kind = RL_DPOR_STOPPED;
            out.n = 0;
            out.oom = false;
            rl__dpor_put(&out, &back, sizeof back);
        }
        said = sp->task_back(sp->ctx, out.p, out.n);
        if (back.kind == RL_DPOR_STOPPED)
            break;
    }
    if (!said)
        rl__search_error(s, RL_ESYS, "lost the search's coordinator");
    free_nodes(&d, 0);
    free(d.nodes);
    free(d.prefix);
    free(events.p);
    free(out.p);
    s->res->reduced = true;
    s->res->fair_held = s->t->program && s->res->fair_yields;
    s->res->exhaustive = s->res->complete = complete && s->error == RL_OK && !s->res->fair_held;
}

/* ---- the search ---- */

/* A part's run: its place in the search's order into s->pos (a leading
 * 0, then the thread's index in the order taken at each node, as the
 * coordinator's places are, so that parts run on workers compare). */
static bool part_place(dpor *d, rl__search *s) {
    if (!pos_room(s, 1))
        return false;
    s->pos[0] = 0;
    return set_place(d, s, 1);
}

void rl__dpor_search(rl__search *s) {
    const rl_explore_split *sp = s->o->split;
    if (sp && sp->task_back) {
        dpor_work(s);
        return;
    }
    dpor d = {.base = {.choose = dpor_choose, .footprints = true, .reduced = true, .plan = RL_PLAN_PREFIX},
              .offline = s->t->program != NULL};
    if (sp) { /* a part (rl_explore checked it) */
        d.parts = sp->parts;
        d.part = sp->part - 1;
        d.leaves = split_leaves(sp->parts);
    }
    uint64_t runs = 0;
    bool exhausted = false;
    while (!s->stop) {
        rl__run r;
        size_t end = 0;
        if (d.leaves && !part_place(&d, s)) {
            rl__search_error(s, RL_ENOMEM, "out of memory in partial-order reduction");
            break;
        }
        int how = run_branch(&d, s, &r, &end);
        runs++;
        if (how == RUN_STOP)
            break;
        if (how == RUN_AGAIN)
            continue;
        if (runs >= s->o->max_schedules)
            rl__search_stop(s, RL_STOP_SCHEDULES);
        if (s->stop)
            break;
        /* the deepest node with a thread still to explore */
        if (!pop_finished(&d, end, 0)) {
            exhausted = true;
            break;
        }
        take_next(&d);
    }
    free_nodes(&d, 0);
    free(d.nodes);
    free(d.prefix);
    s->res->reduced = true;
    s->res->fair_held = s->t->program && s->res->fair_yields;
    s->res->exhaustive = s->res->complete = exhausted && s->error == RL_OK && !s->res->fair_held;
}

/* dpor.h - what the reduced search (dpor.c) and its coordinator on
 * several workers (dpor_coord.c) share: the rule that reverses a race,
 * and the messages between the coordinator and a worker. Internal.
 *
 * The reduced search split over workers (racelab explore -j N with
 * reduction on) keeps the upper part of its tree in one place, the
 * coordinator; a worker runs one task at a time: the subtree of thread
 * `thread` at the node `depth` steps down a known prefix, depth first as
 * on one core, for up to `budget` runs (or `budget_us` microseconds).
 * The races its runs find at the nodes of that subtree it reverses
 * itself: no run outside the subtree passes through them. It sends back
 * what is left of the subtree (the path of nodes that still have threads
 * to explore, with the threads taken and to take at each, and their
 * steps), and the races at the nodes above, as (node, initials, thread),
 * in the order the one-core search meets them. The coordinator applies
 * those to its tree in the one-core search's order (dpor_coord.c says
 * how), so the tree, and with it the schedules run, are the one-core
 * search's whatever the timing and however the work was cut.
 *
 * The messages are this program's own, between processes of one binary:
 * native byte order, no versioning beyond a magic number. */
#ifndef RACELAB_EXPLORE_SEARCH_DPOR_H
#define RACELAB_EXPLORE_SEARCH_DPOR_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "footprint.h"
#include "../../util/grow.h"

/* A race between a step of thread p and an earlier step i, reversed at
 * node i (enabled: the threads runnable there; backtrack: the threads
 * explored or to be explored from there): the thread to add to i's
 * backtrack set, or -1 for none (one of the initials is there already, or
 * none of them can go at i). p itself where it can, else the least. */
static inline int rl__dpor_pick(uint64_t enabled, uint64_t backtrack, uint64_t init, unsigned p) {
    uint64_t can = init & enabled;
    if (!can || (init & backtrack))
        return -1;
    return (can >> p & 1u) ? (int)p : __builtin_ctzll(can);
}

/* ---- messages ---- */

#define RL_DPOR_MAGIC 0x52444d31u /* "RDM1" */

enum {
    RL_DPOR_TASK = 1, /* coordinator -> worker: run this */
    RL_DPOR_END,      /* coordinator -> worker: no more; complete or not */
    RL_DPOR_RESULT,   /* worker -> coordinator: the task's run */
    RL_DPOR_SKIPPED,  /* worker -> coordinator: not run, a failure before it is known */
    RL_DPOR_STOPPED,  /* worker -> coordinator: its search stopped (a limit, Ctrl-C, an error) */
    RL_DPOR_HELLO     /* worker -> coordinator: ready for its first task */
};

/* The first task has no node: its run starts from nothing. */
#define RL_DPOR_ROOT UINT32_MAX

typedef struct {
    uint32_t magic, kind;
    uint64_t id;       /* the coordinator's name for the task */
    uint32_t depth;    /* the task's node (RL_DPOR_ROOT: none) */
    uint32_t nplace;   /* its place in the one-core search's order */
    uint8_t thread;    /* the thread to take at the node */
    uint8_t nknown;    /* steps known at the node: those asleep and those taken before */
    uint8_t complete;  /* RL_DPOR_END: every schedule was run */
    uint8_t pad;
    uint32_t budget;    /* runs at most (at least one) */
    uint32_t budget_us; /* and stop after this long (0: no limit) */
    uint32_t pad2;
    uint64_t sleep, done; /* at the node: asleep; taken before this task and by it */
    uint64_t share;       /* at the node, a part's (--shard): see dpor.c */
    /* then: uint32_t place[nplace]; uint8_t choices[depth] (the prefix);
     * uint64_t enabled[depth + 1]; nknown x (uint8_t thread, step) */
} rl__dpor_task_head;

typedef struct {
    uint32_t magic, kind;
    uint64_t id;
    uint32_t first_new; /* the subtree's first node (the task's depth + 1, or 0) */
    uint32_t end;       /* nodes first_new .. end - 1 are left to explore */
    uint32_t nevents;
    uint8_t failed;     /* a run failed */
    uint8_t pad[3];
    uint64_t layout;    /* RL_DPOR_HELLO: where the worker's program lies (0: in-process) */
    /* then (not at the root): the task's thread's step at its node; per
     * node left, a path down the subtree: uint64_t enabled, uint64_t
     * backtrack, uint64_t share, uint8_t norder, uint8_t ntaken, uint8_t order[norder]
     * (the threads to explore there, in the order added; the first ntaken
     * taken: the last of them leads to the next node, the others' subtrees
     * are finished, and at the last node all are), then the ntaken threads'
     * steps; nevents x rl__dpor_event (nodes above first_new only) */
} rl__dpor_result_head;

typedef struct {
    uint32_t node;
    uint32_t thread;
    uint64_t init;
} rl__dpor_event;

/* A message under construction (a failed allocation sticks in oom). */
typedef struct {
    uint8_t *p;
    size_t n, cap;
    bool oom;
} rl__dpor_buf;

static inline void rl__dpor_put(rl__dpor_buf *b, const void *data, size_t len) {
    if (len == 0)
        return; /* data may be NULL */
    while (!b->oom && b->n + len > b->cap) {
        uint8_t *bigger = rl__grow(b->p, &b->cap, 1, 4096);
        if (!bigger)
            b->oom = true;
        else
            b->p = bigger;
    }
    if (b->oom)
        return;
    memcpy(b->p + b->n, data, len);
    b->n += len;
}

/* A step as its touches used: a step's table holds RL_EX_TOUCHES. */
static inline void rl__dpor_put_step(rl__dpor_buf *b, const rl__step *s) {
    uint8_t head[3] = {s->thread, s->global, s->ntouch};
    rl__dpor_put(b, head, sizeof head);
    rl__dpor_put(b, &s->spawned_at, sizeof s->spawned_at);
    rl__dpor_put(b, s->touch, s->ntouch * sizeof *s->touch);
}

/* Reading a message: a cursor that refuses to go past its end. */
typedef struct {
    const uint8_t *p;
    size_t n, at;
    bool bad;
} rl__dpor_in;

static inline bool rl__dpor_get(rl__dpor_in *in, void *into, size_t len) {
    if (in->bad || len > in->n - in->at) {
        in->bad = true;
        return false;
    }
    memcpy(into, in->p + in->at, len);
    in->at += len;
    return true;
}

static inline bool rl__dpor_get_step(rl__dpor_in *in, rl__step *s) {
    uint8_t head[3];
    memset(s, 0, sizeof *s);
    if (!rl__dpor_get(in, head, sizeof head) || head[2] > RL_EX_TOUCHES) {
        in->bad = true;
        return false;
    }
    s->thread = head[0];
    s->global = head[1] != 0;
    s->ntouch = head[2];
    return rl__dpor_get(in, &s->spawned_at, sizeof s->spawned_at) &&
           rl__dpor_get(in, s->touch, s->ntouch * sizeof *s->touch);
}

#endif

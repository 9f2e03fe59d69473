/* channel.c - a bounded, closable channel on the platform mutex and
 * condition variables (see racelab/channel.h).
 *
 * Buffered (capacity N > 0): a ring of N elements. A sender takes the
 * mutex once there is room (or the channel is closed), a receiver once
 * there is an element (or the end), with rl_mutex_lock_when: under the
 * explorer a thread waiting so is simply not runnable.
 *
 * Rendezvous (capacity 0): one offer slot. A sender waits for the slot to
 * be free, puts its element there under a fresh offer number, and waits
 * until a receiver has taken that number. A receiver takes whatever is
 * offered. If the channel closes while a sender's element is still in the
 * slot, the sender withdraws it and gets RL_ECLOSED: nothing is delivered
 * half, nothing is lost silently.
 *
 * One condition serves every waiter and every change broadcasts: waiters
 * re-check their own predicate, so no wake-up can reach the wrong party.
 *
 * The mutex is guarded (racelab/platform.h): every section declares what
 * its outcome depended on and what it changed. A buffered channel numbers
 * its elements in the order they are put (0, 1, ...). A send of element k
 * reads and writes the tail (the sends before decide its number), writes
 * "k put", and needs "k - N taken" (its place is free only then); a
 * receive of element k reads and writes the head, needs "k put" and
 * writes "k taken"; close writes the closed flag, which the calls that
 * look at it read. "Needs" is the platform's RL_TOUCH_NEEDS: the section
 * could not have started before that write, so the two are ordered, not a
 * race; once the channel is closed a section could start anyway, and the
 * same part is merely read. A send and a receive of different elements
 * declare nothing in common and commute: the explorer runs one of their
 * two orders. A rendezvous channel declares one part written by
 * everything, and its receivers wait as steps of their own (no order of
 * its calls commutes). */
#include "racelab/channel.h"

#include <stdlib.h>
#include <string.h>

struct rl_chan {
    rl_mutex mu;
    rl_cond changed;
    const char *name;
    size_t elem_size, cap;
    bool closed;
    /* whether the platform listens to its sections' declarations (the
     * explorer does): fixed at creation, since the table an object is
     * used under cannot change (racelab/platform.h); without a listener
     * the declarations are skipped, not paid for on every call */
    bool declare;
    /* buffered */
    unsigned char *ring;
    size_t head, count;
    uint64_t puts, takes; /* elements put and taken so far */
    /* rendezvous */
    unsigned char *slot;
    bool offered;
    uint64_t offer_seq; /* number of the last offer */
    uint64_t taken_seq; /* number of the last offer taken */
};

rl_err rl_chan_create(size_t elem_size, size_t capacity, const char *name, rl_chan **out) {
    if (!out || elem_size == 0)
        return RL_EINVAL;
    if (capacity > SIZE_MAX / elem_size)
        return RL_ENOMEM;
    rl_chan *ch = calloc(1, sizeof *ch);
    if (!ch)
        return RL_ENOMEM;
    ch->name = name ? name : "chan";
    ch->declare = rl_platform_current()->guarded_touch != NULL;
    ch->elem_size = elem_size;
    ch->cap = capacity;
    ch->ring = capacity ? malloc(capacity * elem_size) : NULL;
    ch->slot = capacity ? NULL : malloc(elem_size);
    if ((capacity && !ch->ring) || (!capacity && !ch->slot)) {
        free(ch->ring);
        free(ch->slot);
        free(ch);
        return RL_ENOMEM;
    }
    rl_err e = rl_mutex_init_guarded(&ch->mu, ch->name);
    if (e == RL_OK && (e = rl_cond_init(&ch->changed, ch->name)) != RL_OK)
        rl_mutex_destroy(&ch->mu);
    if (e != RL_OK) {
        free(ch->ring);
        free(ch->slot);
        free(ch);
        return e;
    }
    *out = ch;
    return RL_OK;
}

void rl_chan_destroy(rl_chan *ch) {
    if (!ch)
        return;
    rl_cond_destroy(&ch->changed);
    rl_mutex_destroy(&ch->mu);
    free(ch->ring);
    free(ch->slot);
    free(ch);
}

const char *rl_chan_name(const rl_chan *ch) {
    if (!ch)
        rl_fatal("rl_chan_name: NULL channel");
    return ch->name;
}

/* ---- under ch->mu ---- */

enum { PART_HEAD = 1, PART_TAIL, PART_CLOSED, PART_SLOT };
#define PART_PUT(k) (16 + 2 * (uint64_t)(k))   /* element k put */
#define PART_TAKEN(k) (17 + 2 * (uint64_t)(k)) /* element k taken */

static void touch(rl_chan *ch, uint64_t part, rl_touch_kind kind) {
    if (ch->declare)
        rl_guarded_touch(&ch->mu, ch->cap ? part : PART_SLOT, ch->cap ? kind : RL_TOUCH_WRITES);
}

static bool closed(rl_chan *ch) {
    touch(ch, PART_CLOSED, RL_TOUCH_READS);
    return ch->closed;
}

/* Whether an element waits (to be taken: the head is written then).
 * waited: the caller waited for one (or for the end) with
 * rl_mutex_lock_when, so the element's send is needed, not merely read. */
static bool ready(rl_chan *ch, bool waited) {
    if (!ch->cap) {
        touch(ch, PART_SLOT, RL_TOUCH_WRITES);
        return ch->offered;
    }
    touch(ch, PART_HEAD, RL_TOUCH_READS); /* which element is next: the receives before */
    bool r = ch->count > 0;
    /* once the channel is closed, a section entered by rl_mutex_lock_when
     * could have started without its element: then it is merely read */
    touch(ch, PART_PUT(ch->takes), r && waited && !closed(ch) ? RL_TOUCH_NEEDS : RL_TOUCH_READS);
    if (r) {
        touch(ch, PART_HEAD, RL_TOUCH_WRITES);
        touch(ch, PART_TAKEN(ch->takes), RL_TOUCH_WRITES);
    }
    return r;
}

/* Whether a buffered channel has no room for the next element, found by a
 * sender that waited for room (or the end) with rl_mutex_lock_when. */
static bool full(rl_chan *ch) {
    touch(ch, PART_TAIL, RL_TOUCH_READS); /* which element is next: the sends before */
    bool f = ch->count == ch->cap;
    if (ch->puts >= ch->cap) /* its place is free once that element is taken */
        touch(ch, PART_TAKEN(ch->puts - ch->cap),
              f || closed(ch) ? RL_TOUCH_READS : RL_TOUCH_NEEDS);
    return f;
}


/* For rl_mutex_lock_when on a buffered channel: whether a receive can go
 * on (an element, or the end), and a send (room, or the end). Pure reads. */
static bool can_recv(void *arg) {
    const rl_chan *ch = arg;
    return ch->count > 0 || ch->closed;
}
static bool can_send(void *arg) {
    const rl_chan *ch = arg;
    return ch->count < ch->cap || ch->closed;
}

static void take(rl_chan *ch, void *elem) {
    if (ch->cap) {
        memcpy(elem, ch->ring + ch->head * ch->elem_size, ch->elem_size);
        ch->head = (ch->head + 1) % ch->cap;
        ch->count--;
        ch->takes++;
    } else {
        memcpy(elem, ch->slot, ch->elem_size);
        ch->offered = false;
        ch->taken_seq = ch->offer_seq;
    }
    rl_cond_broadcast(&ch->changed);
}

static rl_err send_buffered(rl_chan *ch, const void *elem) {
    if (full(ch) && !closed(ch)) /* rl_chan_send waited for room or the end */
        rl_fatal("channel '%s': no room after waiting for it", ch->name);
    if (closed(ch))
        return RL_ECLOSED;
    touch(ch, PART_TAIL, RL_TOUCH_WRITES);
    touch(ch, PART_PUT(ch->puts), RL_TOUCH_WRITES);
    size_t tail = (ch->head + ch->count) % ch->cap;
    memcpy(ch->ring + tail * ch->elem_size, elem, ch->elem_size);
    ch->count++;
    ch->puts++;
    rl_cond_broadcast(&ch->changed);
    return RL_OK;
}

static rl_err send_rendezvous(rl_chan *ch, const void *elem) {
    touch(ch, PART_SLOT, RL_TOUCH_WRITES); /* every section of it, waking included */
    while (ch->offered && !ch->closed)
        rl_cond_wait(&ch->changed, &ch->mu);
    if (ch->closed)
        return RL_ECLOSED;
    memcpy(ch->slot, elem, ch->elem_size);
    ch->offered = true;
    uint64_t mine = ++ch->offer_seq;
    rl_cond_broadcast(&ch->changed);
    while (ch->taken_seq < mine && !ch->closed)
        rl_cond_wait(&ch->changed, &ch->mu);
    touch(ch, PART_SLOT, RL_TOUCH_WRITES);
    if (ch->taken_seq >= mine)
        return RL_OK; /* taken, even if the channel closed right after */
    /* closed with our element still offered: withdraw it */
    ch->offered = false;
    rl_cond_broadcast(&ch->changed);
    return RL_ECLOSED;
}

/* ---- the calls ---- */

rl_err rl_chan_send(rl_chan *ch, const void *elem) {
    if (!ch || !elem)
        return RL_EINVAL;
    if (ch->cap)
        rl_mutex_lock_when(&ch->mu, &ch->changed, can_send, ch);
    else
        rl_mutex_lock(&ch->mu);
    rl_err e = ch->cap ? send_buffered(ch, elem) : send_rendezvous(ch, elem);
    rl_mutex_unlock(&ch->mu);
    return e;
}

rl_err rl_chan_recv(rl_chan *ch, void *elem) {
    if (!ch || !elem)
        return RL_EINVAL;
    if (ch->cap) {
        rl_mutex_lock_when(&ch->mu, &ch->changed, can_recv, ch);
    } else {
        /* a rendezvous receiver waits as a step of its own: which offer
         * it meets is a race with the other receivers, not an order its
         * declarations could express (every section writes the slot) */
        rl_mutex_lock(&ch->mu);
        while (!ready(ch, false) && !closed(ch))
            rl_cond_wait(&ch->changed, &ch->mu);
    }
    rl_err e = RL_OK;
    if (ready(ch, ch->cap > 0)) /* what was sent before close is still delivered */
        take(ch, elem);
    else if (closed(ch))
        e = RL_ECLOSED;
    else
        rl_fatal("channel '%s': nothing to receive after waiting for it", ch->name);
    rl_mutex_unlock(&ch->mu);
    return e;
}

rl_err rl_chan_try_recv(rl_chan *ch, void *elem) {
    if (!ch || !elem)
        return RL_EINVAL;
    rl_mutex_lock(&ch->mu);
    rl_err e;
    if (ready(ch, false)) {
        take(ch, elem);
        e = RL_OK;
    } else {
        e = closed(ch) ? RL_ECLOSED : RL_EBUSY;
    }
    rl_mutex_unlock(&ch->mu);
    return e;
}

rl_err rl_chan_close(rl_chan *ch) {
    if (!ch)
        return RL_EINVAL;
    rl_mutex_lock(&ch->mu);
    rl_err e = RL_ECLOSED;
    touch(ch, PART_CLOSED, RL_TOUCH_WRITES);
    if (!ch->closed) {
        ch->closed = true;
        rl_cond_broadcast(&ch->changed);
        e = RL_OK;
    }
    rl_mutex_unlock(&ch->mu);
    return e;
}

size_t rl_chan_len(rl_chan *ch) {
    if (!ch)
        rl_fatal("rl_chan_len: NULL channel");
    rl_mutex_lock(&ch->mu);
    touch(ch, PART_HEAD, RL_TOUCH_READS);
    touch(ch, PART_TAIL, RL_TOUCH_READS);
    size_t n = ch->cap ? ch->count : (size_t)ch->offered;
    rl_mutex_unlock(&ch->mu);
    return n;
}

bool rl_chan_closed(rl_chan *ch) {
    if (!ch)
        rl_fatal("rl_chan_closed: NULL channel");
    rl_mutex_lock(&ch->mu);
    bool c = closed(ch);
    rl_mutex_unlock(&ch->mu);
    return c;
}

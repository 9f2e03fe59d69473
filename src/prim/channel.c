/* channel.c - a bounded, closable channel on the platform mutex and
 * condition variables (see racelab/channel.h).
 *
 * Buffered (capacity N > 0): a ring of N elements. Senders wait while it is
 * full, receivers while it is empty; close wakes both.
 *
 * Rendezvous (capacity 0): one offer slot. A sender waits for the slot to
 * be free, puts its element there under a fresh offer number, and waits
 * until a receiver has taken that number. A receiver takes whatever is
 * offered. If the channel closes while a sender's element is still in the
 * slot, the sender withdraws it and gets RL_ECLOSED: nothing is delivered
 * half, nothing is lost silently.
 *
 * One condition serves every waiter and every change broadcasts: waiters
 * re-check their own predicate, so no wake-up can reach the wrong party. */
#include "racelab/channel.h"

#include <stdlib.h>
#include <string.h>

struct rl_chan {
    rl_mutex mu;
    rl_cond changed;
    const char *name;
    size_t elem_size, cap;
    bool closed;
    /* buffered */
    unsigned char *ring;
    size_t head, count;
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
    rl_err e = rl_mutex_init(&ch->mu, ch->name);
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

const char *rl_chan_name(const rl_chan *ch) { return ch ? ch->name : NULL; }

/* ---- under ch->mu ---- */

static bool ready(const rl_chan *ch) { return ch->cap ? ch->count > 0 : ch->offered; }

static void take(rl_chan *ch, void *elem) {
    if (ch->cap) {
        memcpy(elem, ch->ring + ch->head * ch->elem_size, ch->elem_size);
        ch->head = (ch->head + 1) % ch->cap;
        ch->count--;
    } else {
        memcpy(elem, ch->slot, ch->elem_size);
        ch->offered = false;
        ch->taken_seq = ch->offer_seq;
    }
    rl_cond_broadcast(&ch->changed);
}

static rl_err send_buffered(rl_chan *ch, const void *elem) {
    while (ch->count == ch->cap && !ch->closed)
        rl_cond_wait(&ch->changed, &ch->mu);
    if (ch->closed)
        return RL_ECLOSED;
    size_t tail = (ch->head + ch->count) % ch->cap;
    memcpy(ch->ring + tail * ch->elem_size, elem, ch->elem_size);
    ch->count++;
    rl_cond_broadcast(&ch->changed);
    return RL_OK;
}

static rl_err send_rendezvous(rl_chan *ch, const void *elem) {
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
    rl_mutex_lock(&ch->mu);
    rl_err e = ch->cap ? send_buffered(ch, elem) : send_rendezvous(ch, elem);
    rl_mutex_unlock(&ch->mu);
    return e;
}

rl_err rl_chan_recv(rl_chan *ch, void *elem) {
    if (!ch || !elem)
        return RL_EINVAL;
    rl_mutex_lock(&ch->mu);
    while (!ready(ch) && !ch->closed)
        rl_cond_wait(&ch->changed, &ch->mu);
    rl_err e = RL_ECLOSED;
    if (ready(ch)) { /* what was sent before close is still delivered */
        take(ch, elem);
        e = RL_OK;
    }
    rl_mutex_unlock(&ch->mu);
    return e;
}

rl_err rl_chan_try_recv(rl_chan *ch, void *elem) {
    if (!ch || !elem)
        return RL_EINVAL;
    rl_mutex_lock(&ch->mu);
    rl_err e;
    if (ready(ch)) {
        take(ch, elem);
        e = RL_OK;
    } else {
        e = ch->closed ? RL_ECLOSED : RL_EBUSY;
    }
    rl_mutex_unlock(&ch->mu);
    return e;
}

rl_err rl_chan_close(rl_chan *ch) {
    if (!ch)
        return RL_EINVAL;
    rl_mutex_lock(&ch->mu);
    rl_err e = RL_ECLOSED;
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
        return 0;
    rl_mutex_lock(&ch->mu);
    size_t n = ch->cap ? ch->count : (size_t)ch->offered;
    rl_mutex_unlock(&ch->mu);
    return n;
}

bool rl_chan_closed(rl_chan *ch) {
    if (!ch)
        return true;
    rl_mutex_lock(&ch->mu);
    bool c = ch->closed;
    rl_mutex_unlock(&ch->mu);
    return c;
}

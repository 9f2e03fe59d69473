/* racelab/channel.h - layer 2: a bounded, closable channel of fixed-size
 * elements, in the manner of Go's channels. Built only on the platform's
 * mutex and condition variables, so the explorer sees every step.
 *
 * Capacity N > 0 buffers up to N elements. Capacity 0 is a rendezvous: a
 * send completes only when a receiver has taken its element.
 *
 * Concurrency contract:
 * - send, recv, try_recv, close, len and closed may be called from any
 *   number of threads at once; elements from one sender are received in
 *   the order it sent them; every element sent successfully is received
 *   exactly once.
 * - send blocks while the buffer is full (capacity 0: until a receiver
 *   takes the element). It returns RL_ECLOSED, with the element NOT
 *   delivered, when the channel is closed before or while it waits. A send
 *   on a closed channel is an error, not a crash.
 * - recv blocks until an element is available; after close it still
 *   delivers what was buffered, then returns RL_ECLOSED ("closed and
 *   drained").
 * - close wakes every blocked sender and receiver. Closing twice returns
 *   RL_ECLOSED the second time and changes nothing.
 * - destroy only when no thread is inside any call; undelivered elements
 *   are dropped.
 *
 * Arguments (the policy of every layer-2 header): a call that returns
 * rl_err reports a NULL or out-of-range argument as RL_EINVAL; destroy
 * (and rl_locked_list_free, rl_lockstep_end) accepts NULL and does
 * nothing; every other call given NULL, or an argument out of range, is a
 * programming error: fatal, naming the call, as in the platform.
 */
#ifndef RACELAB_CHANNEL_H
#define RACELAB_CHANNEL_H

#include <stddef.h>

#include "racelab/platform.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct rl_chan rl_chan;

/* elem_size > 0, else RL_EINVAL. name is kept, not copied (NULL: "chan"). */
rl_err rl_chan_create(size_t elem_size, size_t capacity, const char *name, rl_chan **out);
void rl_chan_destroy(rl_chan *ch);

/* Copies elem_size bytes from elem. RL_OK, RL_ECLOSED, RL_EINVAL (NULL). */
rl_err rl_chan_send(rl_chan *ch, const void *elem);
/* Copies the element into elem. RL_OK, RL_ECLOSED (closed and drained),
 * RL_EINVAL (NULL). */
rl_err rl_chan_recv(rl_chan *ch, void *elem);
/* recv without blocking: RL_OK, RL_EBUSY when nothing is ready and the
 * channel is open, RL_ECLOSED when closed and drained. For capacity 0 an
 * element is ready when a sender is blocked offering one. */
rl_err rl_chan_try_recv(rl_chan *ch, void *elem);
/* RL_OK, or RL_ECLOSED if it already was. */
rl_err rl_chan_close(rl_chan *ch);

/* Buffered elements (capacity 0: offered, not yet taken). */
size_t rl_chan_len(rl_chan *ch);
bool rl_chan_closed(rl_chan *ch);
const char *rl_chan_name(const rl_chan *ch);

#ifdef __cplusplus
}
#endif
#endif

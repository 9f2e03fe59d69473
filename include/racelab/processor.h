/* racelab/processor.h - layer 4: shared nothing. A processor thread owns
 * its own copy of the balances and is the only one that touches them;
 * others send it requests over a channel and get answers over channels.
 * No mutex exists outside the channels.
 *
 * Requests are served one at a time in arrival order:
 *   RL_REQ_BILL      add amount to the balance (RL_EOVERFLOW: unchanged)
 *   RL_REQ_PURCHASE  subtract amount if the balance covers it
 *                    (RL_EFUNDS: unchanged)
 * A customer index out of range answers RL_EINVAL. Every request gets
 * exactly one answer: on the request's own reply channel when it has one,
 * else on the processor's output channel.
 *
 * When a mirror bank is given, the processor writes each new balance
 * through to it (it is the only writer of those accounts), so the bank
 * shows the processor's truth; nobody else may write them meanwhile.
 *
 * Concurrency contract: any number of threads may send on the input
 * channel and receive on reply channels at once. rl_processor_stop closes
 * the input: the processor drains and answers what was queued, closes its
 * output channel and ends; stop joins it. Sending after stop gets
 * RL_ECLOSED from the channel. balance may be read only after stop.
 *
 * Arguments (the policy of every layer-4 header): a call that returns
 * rl_err reports a NULL or out-of-range argument as RL_EINVAL; free and
 * destroy accept NULL and do nothing; a lookup (by name, by index, or
 * whether something was seen) answers "not found" (NULL, false, the
 * count) for what it does not know, NULL included, and the name of a
 * value out of range is "?"; every other call given NULL, or an index out
 * of range, is a programming error: fatal, naming the call.
 */
#ifndef RACELAB_PROCESSOR_H
#define RACELAB_PROCESSOR_H

#include "racelab/bank.h"
#include "racelab/channel.h"
#include "racelab/dataset.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum rl_request_kind { RL_REQ_BILL, RL_REQ_PURCHASE } rl_request_kind;

typedef struct rl_request {
    rl_request_kind kind;
    size_t customer;  /* index into the processor's accounts */
    rl_money amount;  /* bill: added; purchase: the price */
    uint64_t tag;     /* echoed in the answer: who asked, for what */
    rl_chan *reply;   /* channel of rl_answer, or NULL for the output channel */
} rl_request;

typedef struct rl_answer {
    uint64_t tag;
    rl_err result;   /* RL_OK, RL_EFUNDS, RL_EOVERFLOW, RL_EINVAL */
    rl_money balance; /* the balance after the request */
} rl_answer;

typedef struct rl_processor rl_processor;

/* Start a processor that owns a copy of the n accounts' starting balances.
 * capacity is that of its input and output channels (0: rendezvous).
 * mirror (may be NULL) and mirror_accts[n] name the bank accounts to write
 * through to. */
rl_err rl_processor_start(const rl_customer *accounts, size_t n, size_t capacity, rl_bank *mirror,
                          const rl_acct *mirror_accts, rl_processor **out);
rl_chan *rl_processor_input(rl_processor *p);  /* channel of rl_request */
rl_chan *rl_processor_output(rl_processor *p); /* channel of rl_answer */
/* Close the input, let the processor serve what was queued, and join it;
 * then close the output. Blocks until the processor has answered every
 * queued request: an answer blocks the processor while its channel is
 * full, so whoever asked for answers on the output channel (reply NULL)
 * must keep receiving them, or close the output channel first (the
 * processor then drops the answers), or stop waits forever; the same for
 * a reply channel. A second stop returns at once; NULL does nothing. */
void rl_processor_stop(rl_processor *p);
/* After stop: the processor's balance of account i (i < n, else fatal). */
rl_money rl_processor_balance(const rl_processor *p, size_t i);
/* After stop: requests served. */
uint64_t rl_processor_served(const rl_processor *p);
/* Stops it (as rl_processor_stop, with the same warning) and frees it,
 * its channels included. NULL does nothing. */
void rl_processor_destroy(rl_processor *p);

#ifdef __cplusplus
}
#endif
#endif

/* racelab/ledger.h - layer 4: idempotent billing. A billing cycle has an
 * id; the ledger remembers which (merchant, cycle) pairs have run, so
 * running a merchant's cycle for an id that already ran bills nothing.
 *
 * The safe way is one atomic step, claim: the first claim of a pair wins
 * and must run the cycle; every later claim is refused (RL_EAGAIN), even
 * while the winner is still billing. The unsafe way is the chapter's
 * check-then-act in two steps, seen then record, kept here on purpose so
 * the idempotent scenario can show it failing.
 *
 * Concurrency contract: every call may come from any threads at once; the
 * ledger's own state is guarded by a platform mutex. destroy only when no
 * call is running.
 *
 * Arguments (the policy of every layer-4 header): a call that returns
 * rl_err reports a NULL or out-of-range argument as RL_EINVAL; free and
 * destroy accept NULL and do nothing; a lookup (by name, by index, or
 * whether something was seen) answers "not found" (NULL, false, the
 * count) for what it does not know, NULL included, and the name of a
 * value out of range is "?"; every other call given NULL, or an index out
 * of range, is a programming error: fatal, naming the call.
 */
#ifndef RACELAB_LEDGER_H
#define RACELAB_LEDGER_H

#include "racelab/merchant.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct rl_ledger rl_ledger;

rl_err rl_ledger_create(rl_ledger **out);
void rl_ledger_destroy(rl_ledger *l);

/* RL_OK exactly once per (merchant, cycle): the caller must run it.
 * RL_EAGAIN for every later claim. RL_EINVAL for NULL, RL_ENOMEM. */
rl_err rl_ledger_claim(rl_ledger *l, const char *merchant, uint64_t cycle);
/* Whether the pair was ever claimed or recorded. Deciding on this and
 * then billing is the check-then-act bug. */
bool rl_ledger_seen(rl_ledger *l, const char *merchant, uint64_t cycle);
/* Record the pair as run (no-op if it already is). */
rl_err rl_ledger_record(rl_ledger *l, const char *merchant, uint64_t cycle);

/* Run m's billing cycle `cycle` at most once across all callers: claim
 * the pair, bill if the claim won. Returns the cycle's result, or
 * RL_EAGAIN (nothing billed) when the cycle already ran or is running. */
rl_err rl_ledger_bill_once(rl_ledger *l, rl_merchant *m, uint64_t cycle);

#ifdef __cplusplus
}
#endif
#endif

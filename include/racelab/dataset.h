/* racelab/dataset.h - who starts with what, and who bills whom.
 *
 * The default data set is the exercise's: five customers, five merchants,
 * each merchant billing every customer the same amount. Data sets are
 * plain values: nothing here is shared between threads after a run starts.
 *
 * Arguments (the policy of every layer-4 header): a call that returns
 * rl_err reports a NULL or out-of-range argument as RL_EINVAL; free and
 * destroy accept NULL and do nothing; a lookup (by name, by index, or
 * whether something was seen) answers "not found" (NULL, false, the
 * count) for what it does not know, NULL included, and the name of a
 * value out of range is "?"; every other call given NULL, or an index out
 * of range, is a programming error: fatal, naming the call.
 */
#ifndef RACELAB_DATASET_H
#define RACELAB_DATASET_H

#include <stddef.h>
#include <stdint.h>

#include "racelab/bank.h"

#ifdef __cplusplus
extern "C" {
#endif

/* rl_customer (a name and a starting balance) is declared in bank.h. */

typedef struct rl_bill {
    const char *customer;
    rl_money amount; /* added to the balance: negative for a charge */
} rl_bill;

typedef struct rl_merchant_spec {
    const char *name;
    const rl_bill *bills;
    size_t nbills;
} rl_merchant_spec;

typedef struct rl_dataset {
    const rl_customer *customers;
    size_t ncustomers;
    const rl_merchant_spec *merchants;
    size_t nmerchants;
} rl_dataset;

/* The exercise's data: Dave, Susan, Mike, Steve, James; Costco, Target,
 * CVS, GuitarCenter, Starbucks. Static; never freed. */
const rl_dataset *rl_dataset_default(void);

/* Check a data set before any balance is touched: at least one customer
 * and one merchant (RL_EEMPTY), every merchant with at least one bill
 * (RL_EEMPTY), names valid and customers unique (RL_EINVAL, RL_EEXIST),
 * every bill naming a known customer (RL_ENOENT). On error, why (may be
 * NULL) receives one sentence naming the culprit. */
rl_err rl_dataset_validate(const rl_dataset *d, char *why, size_t why_len);

/* The oracle: each customer's start plus every bill addressed to it, in
 * customer order, into out[ncustomers]. RL_EOVERFLOW if a sum does not
 * fit. Plain arithmetic over the data, independent of bank and merchants. */
rl_err rl_dataset_expected(const rl_dataset *d, rl_money *out);

/* A new data set with the first `merchants` merchants and the first
 * `customers` customers of d, keeping only bills to those customers (a
 * merchant left with no bill is dropped). It borrows d's names: d must
 * outlive it. Free with rl_dataset_free. RL_EINVAL when a count is zero
 * or larger than d has. */
rl_err rl_dataset_subset(const rl_dataset *d, size_t merchants, size_t customers,
                         rl_dataset **out);
void rl_dataset_free(rl_dataset *d);

/* A generated data set for benchmarks: `customers` customers named c1, c2,
 * ... with starting balances, and `merchants` merchants named m1, m2, ...
 * each billing every customer once, amounts drawn from `seed` (the same
 * seed gives the same data). Owns its memory: free with rl_dataset_free.
 * RL_EINVAL for zero counts, RL_ENOMEM. */
rl_err rl_dataset_generate(size_t merchants, size_t customers, uint64_t seed, rl_dataset **out);
/* The same with each merchant billing per_merchant customers (1 ..
 * customers): merchant k bills per_merchant customers in a row from
 * customer k * customers / merchants on, wrapping around. */
rl_err rl_dataset_generate_some(size_t merchants, size_t customers, size_t per_merchant,
                                uint64_t seed, rl_dataset **out);

/* Index of the customer called name, or d->ncustomers if none. */
size_t rl_dataset_customer_index(const rl_dataset *d, const char *name);

#ifdef __cplusplus
}
#endif
#endif

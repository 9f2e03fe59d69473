/* bench_impl.h - what the benchmarks share. Internal. */
#ifndef RACELAB_BENCH_IMPL_H
#define RACELAB_BENCH_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "racelab/error.h"

/* Run pgbench (the program at `program`) against `conninfo` with `clients`
 * clients (and as many threads) for duration_ns, each transaction exactly
 * the atomic bill of racelab's PostgreSQL bank: UPDATE racelab_accounts
 * SET balance = balance + :delta, version = version + 1 WHERE id = :aid
 * RETURNING balance, version, on a random account of 0 .. accounts-1, as a
 * prepared statement (-M prepared), like the bank's own. *tps is pgbench's
 * figure without connection time; *elapsed_ns the run's length.
 * RL_ESYS with why when pgbench cannot be run or says nothing usable. */
rl_err rl__pgbench(const char *program, const char *conninfo, unsigned clients,
                   uint64_t duration_ns, size_t accounts, double *tps, uint64_t *elapsed_ns,
                   char *why, size_t why_len);

#endif

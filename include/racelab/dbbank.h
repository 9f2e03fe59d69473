/* racelab/dbbank.h - layer 3: the bank in a real database, and the one
 * function that makes any bank from a URL.
 *
 *   memory                      the in-memory hash map (the default)
 *   sqlite:PATH                 an SQLite file (libsqlite3), WAL mode
 *   postgresql://... postgres://...
 *   host=... dbname=... (a libpq key=value string)
 *                               a PostgreSQL server (libpq)
 *
 * A database bank is one table, racelab_accounts (id, name, balance,
 * version), plus racelab_jobs for the processor strategy's queue and
 * racelab_ledger (merchant, cycle, bill, account, amount; the first three
 * its key) for the bills applied exactly once (rl_bank_apply_once). With
 * RL_BANK_RESET the tables are dropped and made anew, empty, ready for
 * rl_bank_open_all; without it the bank attaches to the tables as they
 * are and learns their accounts (a missing table is an error). racelab
 * touches no other table of the database.
 *
 * Connections: the handle returned is one connection; rl_bank_connect
 * opens more (each merchant its own). See racelab/bank.h for the
 * contract, and for how each strategy's SQL reads.
 *
 * Errors: RL_EINVAL for a URL that names no backend (why says what was
 * expected); RL_ECONN when the server cannot be reached or refuses the
 * login, and RL_EDB when a statement is refused (a missing table), each
 * with the server's own words in why; RL_ENOMEM.
 *
 * Arguments (the policy of every layer-3 header): a call that returns
 * rl_err reports a NULL or out-of-range argument as RL_EINVAL (an
 * unknown account as RL_ENOENT); destroy and rollback accept NULL and do
 * nothing; a query given a NULL bank answers as for an empty bank that
 * can do nothing (false, 0, "?" or ""), never a crash.
 */
#ifndef RACELAB_DBBANK_H
#define RACELAB_DBBANK_H

#include "racelab/bank.h"

#ifdef __cplusplus
extern "C" {
#endif

#define RL_BANK_RESET 1u /* drop and create racelab's tables */
/* memory only: rl_membank_create_unsynchronized (plain loads and stores,
 * for the lesson of the data race); RL_ENOTSUP for a database */
#define RL_BANK_UNSYNCHRONIZED 2u

typedef enum rl_bank_backend {
    RL_BACKEND_MEMORY,
    RL_BACKEND_SQLITE,
    RL_BACKEND_POSTGRESQL
} rl_bank_backend;

/* Which backend url names, and (for sqlite:PATH) where the path starts.
 * RL_EINVAL with a sentence in why for anything else. Touches nothing. */
rl_err rl_bank_url_parse(const char *url, rl_bank_backend *backend, const char **rest, char *why,
                         size_t why_len);

/* Make the bank url names. capacity is a hint for the memory bank. */
rl_err rl_bank_create_url(const char *url, unsigned flags, size_t capacity, rl_bank **out,
                          char *why, size_t why_len);

rl_err rl_sqlitebank_create(const char *path, unsigned flags, rl_bank **out, char *why,
                            size_t why_len);
rl_err rl_pgbank_create(const char *conninfo, unsigned flags, rl_bank **out, char *why,
                        size_t why_len);

/* Delete an SQLite database file and its WAL and shared-memory companions
 * (PATH-wal, PATH-shm); files that are not there are fine. Only when no
 * connection to it is open. */
void rl_sqlitebank_remove(const char *path);

/* A URL with any password replaced by "***", for printing. */
void rl_bank_url_redact(const char *url, char *out, size_t len);

#ifdef __cplusplus
}
#endif
#endif

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
 * its key) for the bills applied exactly once (rl_bank_apply_once), with
 * racelab_cycles and racelab_meet beside them. With RL_BANK_RESET the
 * tables are made anew, empty, ready for rl_bank_open_all; without it the
 * bank attaches to the tables as they are and learns their accounts (a
 * missing table is an error). racelab touches no table whose name does not
 * start with racelab_.
 *
 * Replacing a bank: nothing of anybody's is dropped unasked. The names
 * starting racelab_ are racelab's; a reset (RL_BANK_RESET) looks at the
 * tables of such names there (PostgreSQL: those the search path finds;
 * SQLite: in any case) and
 * - when there are none, makes the bank;
 * - with RL_BANK_SCRATCH, when they are exactly a scratch bank (racelab's
 *   five tables and racelab_scratch, which only a reset with
 *   RL_BANK_SCRATCH makes), drops it and makes a scratch bank anew: the
 *   bank a run makes for itself on the user's URL (racelab bill, demo,
 *   trace, scenario run, bench db), free to be made again by the next run;
 * - with RL_BANK_FORCE, drops every one of them and makes the bank;
 * - else touches nothing and returns RL_EEXIST, why saying what is there:
 *   a bank (made by 'racelab bank init', or by a racelab older than
 *   scratch banks) with its accounts, ledger rows and finished cycles
 *   counted; a scratch bank, to a reset without RL_BANK_SCRATCH (bank
 *   init); or any other table of the name (a user's own racelab_accounts),
 *   each with its rows.
 * The look and the replacement are one transaction (SQLite: under its
 * write lock; PostgreSQL: under an advisory lock, so two resets never
 * interleave), so what was looked at is what is dropped.
 *
 * Connections: the handle returned is one connection; rl_bank_connect
 * opens more (each merchant its own). See racelab/bank.h for the
 * contract, and for how each strategy's SQL reads.
 *
 * Errors: RL_EINVAL for what can never work, whoever tries again: a URL
 * that names no backend or that libpq cannot read (a malformed URI, an
 * unknown option, a port that is no number), a login the server refuses
 * for good (an unknown role or database, a wrong password: SQLSTATE class
 * 28, 3D000, 42501), an SQLite file that cannot be opened (a missing
 * directory, or a missing file to attach to); RL_ECONN when the server
 * cannot be reached, or refuses for now (starting up, shutting down, too
 * many connections): trying again later may work; RL_EEXIST when a reset
 * would drop what it must not (above); RL_EDB when a statement is refused
 * (a missing table); why has the server's own words; RL_ENOMEM.
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

#define RL_BANK_RESET 1u /* make racelab's tables anew (see "Replacing a bank") */
/* memory only: rl_membank_create_unsynchronized (plain loads and stores,
 * for the lesson of the data race); RL_ENOTSUP for a database */
#define RL_BANK_UNSYNCHRONIZED 2u
/* with RL_BANK_RESET: a scratch bank, which replaces a scratch bank */
#define RL_BANK_SCRATCH 4u
/* with RL_BANK_RESET: drop every racelab_* table there, whatever it holds */
#define RL_BANK_FORCE 8u

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

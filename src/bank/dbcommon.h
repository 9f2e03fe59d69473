/* dbcommon.h - what the database banks share. Internal.
 *
 * A database bank keeps, in the process, the names of its accounts (an
 * account handle is the row's id: 0 .. count-1 in opening order), so that
 * lookup, name and count never ask the server. The cache is filled before
 * the bank is shared (opening accounts, or attaching to a loaded table)
 * and only read afterwards.
 *
 * rl__rawlock is a mutex taken through the pthreads table directly: the
 * lockstep gate calls a bank's probe while it holds its own lock, so a
 * lock the probe takes must not go through the gate. */
#ifndef RACELAB_BANK_DBCOMMON_H
#define RACELAB_BANK_DBCOMMON_H

#include <stdarg.h>

#include "racelab/bank.h"

typedef struct rl__dbname rl__dbname;

typedef struct rl__dbnames {
    rl__dbname *index; /* uthash by name */
    rl__dbname **byid; /* handle -> entry */
    size_t count, cap;
    size_t bytes;
} rl__dbnames;

/* Add name as handle n->count. RL_EEXIST, RL_ENOMEM. */
rl_err rl__dbnames_add(rl__dbnames *n, const char *name, rl_acct *out);
rl_err rl__dbnames_lookup(const rl__dbnames *n, const char *name, rl_acct *out);
const char *rl__dbnames_name(const rl__dbnames *n, rl_acct a);
/* Forget the handles from count on (a batch that did not commit). */
void rl__dbnames_truncate(rl__dbnames *n, size_t count);
void rl__dbnames_free(rl__dbnames *n);

/* What every database store starts with, and every connection. */
typedef struct rl__dbstore {
    rl__dbnames names;
    _Atomic uint64_t lost;
} rl__dbstore;

typedef struct rl__dbconn {
    rl_bank base;
    rl__dbstore *store;
    bool owner; /* the connection the store was created with */
} rl__dbconn;

/* The entries of a database bank's ops table that this file provides. */
#define RL__DB_OPS                                                                                 \
    .open = rl__db_open, .lookup = rl__db_lookup, .name = rl__db_name, .count = rl__db_count,      \
    .lost_updates = rl__db_lost

/* The shared half of a database bank's destroy, after the backend closed
 * c's own connection: frees c; when c was the connection its store was
 * made with, also the store's names, and returns the store (the backend
 * frees the rest of it, then the store itself); else NULL. */
rl__dbstore *rl__db_release(rl__dbconn *c);

/* The bank ops that only read the name cache or the counters. */
rl_err rl__db_lookup(rl_bank *b, const char *name, rl_acct *out);
const char *rl__db_name(rl_bank *b, rl_acct a);
size_t rl__db_count(rl_bank *b);
uint64_t rl__db_lost(rl_bank *b);
/* open, as open_all of one account. */
rl_err rl__db_open(rl_bank *b, const char *name, rl_money start, rl_acct *out);
/* Count a write that replaced a version its writer never read; fills
 * ev's versions from the version the write left. */
void rl__db_wrote(rl_bank *b, rl_access *ev, uint64_t read_version, uint64_t new_version);

typedef struct rl__rawlock {
    rl_mutex m;
} rl__rawlock;
rl_err rl__rawlock_init(rl__rawlock *l, const char *name);
void rl__rawlock_destroy(rl__rawlock *l);
void rl__rawlock_lock(rl__rawlock *l);
void rl__rawlock_unlock(rl__rawlock *l);

/* printf into b->errmsg. */
void rl__errmsg(rl_bank *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Copy a server message into b->errmsg without its trailing newline. */
void rl__errmsg_copy(rl_bank *b, const char *text);

/* ---- replacing a bank (see "Replacing a bank" in racelab/dbbank.h) ----
 * A reset looks, inside the transaction that replaces them, at the tables
 * whose names start with racelab_, and decides with rl__db_may_replace;
 * a refusal counts each table's rows and says what is there
 * (rl__db_refusal). */
#define RL__DB_TABLES_MAX 32

typedef struct rl__dbtable {
    char name[64];  /* as the catalog spells it */
    char ref[160];  /* how a statement names it (quoted, qualified) */
    int64_t rows;   /* -1 until counted */
} rl__dbtable;

typedef struct rl__dbfound {
    rl__dbtable t[RL__DB_TABLES_MAX];
    size_t n;
    bool more; /* more racelab_* tables than t holds */
} rl__dbfound;

/* The table a scratch bank carries (RL_BANK_SCRATCH), and its one row:
 * the schema's number in it changes whenever racelab's tables do, so that
 * a scratch bank whose note is this one has today's tables (PostgreSQL
 * then empties them rather than making them anew). */
#define RL__DB_SCRATCH_TABLE "racelab_scratch"
#define RL__DB_SCRATCH_NOTE                                                                        \
    "racelab scratch bank, schema 1: the next run of racelab bill, demo, trace, scenario run "   \
    "or bench db on this database makes it anew"

/* Add a table found; false (and f->more) when f is full. */
bool rl__dbfound_add(rl__dbfound *f, const char *name, const char *ref);
/* Whether a reset with flags may drop every table f holds. */
bool rl__db_may_replace(const rl__dbfound *f, unsigned flags);
/* Whether f is exactly a scratch bank: racelab's tables, nothing else. */
bool rl__db_is_scratch(const rl__dbfound *f);
/* Why a reset refuses, its rows counted: one sentence, no URL. */
void rl__db_refusal(const rl__dbfound *f, char *why, size_t why_len);

/* Sleep without the platform: a database bank's back-off while it polls
 * the server is no step of the program (see membank's spin_pause). */
void rl__db_nap(unsigned us);

#endif

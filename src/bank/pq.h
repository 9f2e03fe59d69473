/* pq.h - libpq, opened the first time a PostgreSQL bank is made. Internal.
 *
 * racelab is linked without libpq: loading it, and the two dozen libraries
 * it needs (OpenSSL, Kerberos, LDAP, GnuTLS...), took 12 ms of every start
 * of the command, most of them without a PostgreSQL bank in sight (help,
 * explore, a SQLite or memory bank). pgbank.c includes this header instead
 * of <libpq-fe.h>: its types are libpq's own, and each PQ function it calls
 * is an entry of the table rl__pq_load filled.
 *
 * Contract: rl__pq_load may be called from any thread, any number of
 * times; the first call that succeeds opens libpq.so.5 for the life of the
 * process. Every PQ call of pgbank.c comes after one that succeeded (in
 * rl_pgbank_create): before it, the table is not there, and the call
 * dies with racelab's fatal error naming libpq. */
#ifndef RACELAB_BANK_PQ_H
#define RACELAB_BANK_PQ_H

#include <libpq-fe.h>
#include <stddef.h>

#include "racelab/error.h"

/* Every libpq function pgbank.c calls: X(name) for each (the table's
 * fields, and pq.c's lookups, are made from this one list). */
#define RL_PQ_FUNCTIONS(X)                                                                         \
    X(PQbackendPID)                                                                                \
    X(PQclear)                                                                                     \
    X(PQcmdStatus)                                                                                 \
    X(PQcmdTuples)                                                                                 \
    X(PQconnectPoll)                                                                               \
    X(PQconnectStartParams)                                                                        \
    X(PQconninfo)                                                                                  \
    X(PQconninfoFree)                                                                              \
    X(PQconninfoParse)                                                                             \
    X(PQconsumeInput)                                                                              \
    X(PQenterPipelineMode)                                                                         \
    X(PQerrorMessage)                                                                              \
    X(PQexec)                                                                                      \
    X(PQexecParams)                                                                                \
    X(PQexecPrepared)                                                                              \
    X(PQexitPipelineMode)                                                                          \
    X(PQfinish)                                                                                    \
    X(PQfreemem)                                                                                   \
    X(PQgetResult)                                                                                 \
    X(PQgetvalue)                                                                                  \
    X(PQisBusy)                                                                                    \
    X(PQntuples)                                                                                   \
    X(PQpipelineSync)                                                                              \
    X(PQputCopyData)                                                                               \
    X(PQputCopyEnd)                                                                                \
    X(PQresultErrorField)                                                                          \
    X(PQresultErrorMessage)                                                                        \
    X(PQresultStatus)                                                                              \
    X(PQsendPrepare)                                                                               \
    X(PQsendQueryPrepared)                                                                         \
    X(PQsetErrorVerbosity)                                                                         \
    X(PQsetNoticeProcessor)                                                                        \
    X(PQsocket)                                                                                    \
    X(PQstatus)

#define RL_PQ_FIELD(name) __typeof__(name) *name;
typedef struct rl__pq_api {
    RL_PQ_FUNCTIONS(RL_PQ_FIELD)
} rl__pq_api;
#undef RL_PQ_FIELD

/* Open libpq and fill the table: RL_OK, or RL_ESYS with the loader's words
 * in why (libpq is not installed: Debian's libpq5). */
rl_err rl__pq_load(char *why, size_t why_len);
/* The table: fatal if no rl__pq_load has succeeded. */
const rl__pq_api *rl__pq_api_get(void);

/* (pq.c, which fills the table, names the entries themselves) */
#ifndef RL_PQ_TABLE_ITSELF
#define PQbackendPID (rl__pq_api_get()->PQbackendPID)
#define PQclear (rl__pq_api_get()->PQclear)
#define PQcmdStatus (rl__pq_api_get()->PQcmdStatus)
#define PQcmdTuples (rl__pq_api_get()->PQcmdTuples)
#define PQconnectPoll (rl__pq_api_get()->PQconnectPoll)
#define PQconnectStartParams (rl__pq_api_get()->PQconnectStartParams)
#define PQconninfo (rl__pq_api_get()->PQconninfo)
#define PQconninfoFree (rl__pq_api_get()->PQconninfoFree)
#define PQconninfoParse (rl__pq_api_get()->PQconninfoParse)
#define PQconsumeInput (rl__pq_api_get()->PQconsumeInput)
#define PQenterPipelineMode (rl__pq_api_get()->PQenterPipelineMode)
#define PQerrorMessage (rl__pq_api_get()->PQerrorMessage)
#define PQexec (rl__pq_api_get()->PQexec)
#define PQexecParams (rl__pq_api_get()->PQexecParams)
#define PQexecPrepared (rl__pq_api_get()->PQexecPrepared)
#define PQexitPipelineMode (rl__pq_api_get()->PQexitPipelineMode)
#define PQfinish (rl__pq_api_get()->PQfinish)
#define PQfreemem (rl__pq_api_get()->PQfreemem)
#define PQgetResult (rl__pq_api_get()->PQgetResult)
#define PQgetvalue (rl__pq_api_get()->PQgetvalue)
#define PQisBusy (rl__pq_api_get()->PQisBusy)
#define PQntuples (rl__pq_api_get()->PQntuples)
#define PQpipelineSync (rl__pq_api_get()->PQpipelineSync)
#define PQputCopyData (rl__pq_api_get()->PQputCopyData)
#define PQputCopyEnd (rl__pq_api_get()->PQputCopyEnd)
#define PQresultErrorField (rl__pq_api_get()->PQresultErrorField)
#define PQresultErrorMessage (rl__pq_api_get()->PQresultErrorMessage)
#define PQresultStatus (rl__pq_api_get()->PQresultStatus)
#define PQsendPrepare (rl__pq_api_get()->PQsendPrepare)
#define PQsendQueryPrepared (rl__pq_api_get()->PQsendQueryPrepared)
#define PQsetErrorVerbosity (rl__pq_api_get()->PQsetErrorVerbosity)
#define PQsetNoticeProcessor (rl__pq_api_get()->PQsetNoticeProcessor)
#define PQsocket (rl__pq_api_get()->PQsocket)
#define PQstatus (rl__pq_api_get()->PQstatus)

#endif

#endif

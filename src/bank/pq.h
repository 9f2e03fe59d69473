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

typedef struct rl__pq_api {
    __typeof__(PQbackendPID) *PQbackendPID;
    __typeof__(PQclear) *PQclear;
    __typeof__(PQcmdStatus) *PQcmdStatus;
    __typeof__(PQcmdTuples) *PQcmdTuples;
    __typeof__(PQconnectPoll) *PQconnectPoll;
    __typeof__(PQconnectStartParams) *PQconnectStartParams;
    __typeof__(PQconninfo) *PQconninfo;
    __typeof__(PQconninfoFree) *PQconninfoFree;
    __typeof__(PQconninfoParse) *PQconninfoParse;
    __typeof__(PQconsumeInput) *PQconsumeInput;
    __typeof__(PQenterPipelineMode) *PQenterPipelineMode;
    __typeof__(PQerrorMessage) *PQerrorMessage;
    __typeof__(PQexec) *PQexec;
    __typeof__(PQexecParams) *PQexecParams;
    __typeof__(PQexecPrepared) *PQexecPrepared;
    __typeof__(PQexitPipelineMode) *PQexitPipelineMode;
    __typeof__(PQfinish) *PQfinish;
    __typeof__(PQfreemem) *PQfreemem;
    __typeof__(PQgetResult) *PQgetResult;
    __typeof__(PQgetvalue) *PQgetvalue;
    __typeof__(PQisBusy) *PQisBusy;
    __typeof__(PQntuples) *PQntuples;
    __typeof__(PQpipelineSync) *PQpipelineSync;
    __typeof__(PQputCopyData) *PQputCopyData;
    __typeof__(PQputCopyEnd) *PQputCopyEnd;
    __typeof__(PQresultErrorField) *PQresultErrorField;
    __typeof__(PQresultErrorMessage) *PQresultErrorMessage;
    __typeof__(PQresultStatus) *PQresultStatus;
    __typeof__(PQsendPrepare) *PQsendPrepare;
    __typeof__(PQsendQueryPrepared) *PQsendQueryPrepared;
    __typeof__(PQsetErrorVerbosity) *PQsetErrorVerbosity;
    __typeof__(PQsetNoticeProcessor) *PQsetNoticeProcessor;
    __typeof__(PQsocket) *PQsocket;
    __typeof__(PQstatus) *PQstatus;
} rl__pq_api;

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

/* racelab/error.h - error codes shared by every layer.
 *
 * Policy (all layers): an error the caller can handle is returned as an
 * rl_err; rl_strerror() gives a sentence for it. A programming error
 * (unlocking a mutex you do not hold, a wait group counter below zero) is
 * not returned: it goes to rl_fatal(), which prints a message and aborts
 * under the default platform, and is reported as a failure of the schedule
 * under the explorer.
 */
#ifndef RACELAB_ERROR_H
#define RACELAB_ERROR_H

#ifdef __cplusplus
extern "C" {
#endif

typedef enum rl_err {
    RL_OK = 0,
    RL_EINVAL,    /* an argument is invalid (NULL, empty, out of range) */
    RL_ENOENT,    /* no such customer, strategy, scenario or variant */
    RL_EEXIST,    /* the name is already taken */
    RL_EOVERFLOW, /* the result does not fit a balance */
    RL_ENOMEM,    /* out of memory */
    RL_EEMPTY,    /* nothing to work on: no merchants, or a merchant with no bills */
    RL_ECONFLICT, /* compare-and-set saw a value other than the one expected */
    RL_ERETRY,    /* gave up after the retry bound; nothing was applied */
    RL_EBUSY,     /* the resource is busy and the caller asked not to wait */
    RL_ECLOSED,   /* the channel or resource is closed */
    RL_EAGAIN,    /* already released or already done: a repeat that was refused */
    RL_ESYS,      /* the operating system refused (thread or lock creation) */
    RL_EFUNDS,    /* the balance does not cover the price; nothing was taken */
    RL_ESERIAL,   /* the database aborted the transaction to keep it serializable
                     (SQLSTATE 40001/40P01, SQLITE_BUSY): nothing applied, retry it */
    RL_EDB,       /* the database refused the statement (its message: rl_bank_errmsg) */
    RL_ECONN,     /* no connection to the database, or it was lost */
    RL_ENOTSUP,   /* this backend cannot do that */
    RL_EUNKNOWN,  /* the connection was lost while a change was being committed:
                     whether it was applied is unknown */
    RL_ETIMEDOUT, /* waited longer than allowed (others did not come) */
    RL_ERR_COUNT_
} rl_err;

/* A sentence describing e; never NULL, also for values out of range. */
const char *rl_strerror(rl_err e);

/* The enumerator's name ("RL_ENOENT"); never NULL. */
const char *rl_errname(rl_err e);

/* Report a programming error: formats the message and hands it to the
 * installed platform's fatal hook. Never returns. Safe from any thread. */
_Noreturn void rl_fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#ifdef __cplusplus
}
#endif
#endif

/* error.c - names and sentences for rl_err. */
#include "racelab/error.h"

static const struct {
    const char *name;
    const char *text;
} table[RL_ERR_COUNT_] = {
    [RL_OK] = {"RL_OK", "success"},
    [RL_EINVAL] = {"RL_EINVAL", "invalid argument"},
    [RL_ENOENT] = {"RL_ENOENT", "no such name"},
    [RL_EEXIST] = {"RL_EEXIST", "name already exists"},
    [RL_EOVERFLOW] = {"RL_EOVERFLOW", "result does not fit a balance (integer overflow)"},
    [RL_ENOMEM] = {"RL_ENOMEM", "out of memory"},
    [RL_EEMPTY] = {"RL_EEMPTY", "nothing to work on (no merchants, or a merchant without bills)"},
    [RL_ECONFLICT] = {"RL_ECONFLICT", "the value changed since it was read"},
    [RL_ERETRY] = {"RL_ERETRY", "gave up after the retry bound; nothing was applied"},
    [RL_EBUSY] = {"RL_EBUSY", "busy"},
    [RL_ECLOSED] = {"RL_ECLOSED", "closed"},
    [RL_EAGAIN] = {"RL_EAGAIN", "already done; the repeat was refused"},
    [RL_ESYS] = {"RL_ESYS", "the system refused (thread or lock creation failed)"},
    [RL_EFUNDS] = {"RL_EFUNDS", "insufficient funds; nothing was taken"},
    [RL_ESERIAL] = {"RL_ESERIAL", "the database aborted the transaction (serialization failure); "
                                  "nothing was applied"},
    [RL_EDB] = {"RL_EDB", "the database refused the statement"},
    [RL_ECONN] = {"RL_ECONN", "no connection to the database"},
    [RL_ENOTSUP] = {"RL_ENOTSUP", "not supported by this backend"},
    [RL_EUNKNOWN] = {"RL_EUNKNOWN", "the connection was lost while the change was being "
                                    "committed: whether it was applied is unknown"},
    [RL_ETIMEDOUT] = {"RL_ETIMEDOUT", "waited longer than allowed"},
};

const char *rl_strerror(rl_err e) {
    if ((unsigned)e >= RL_ERR_COUNT_)
        return "unknown error";
    return table[e].text;
}

const char *rl_errname(rl_err e) {
    if ((unsigned)e >= RL_ERR_COUNT_)
        return "RL_E?";
    return table[e].name;
}

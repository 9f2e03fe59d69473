/* backend.h - what every bank backend (memory, SQLite, PostgreSQL)
 * shares. Internal. */
#ifndef RACELAB_BANK_BACKEND_H
#define RACELAB_BANK_BACKEND_H

#include "racelab/bank.h"

/* A data operation's end: its result into the access it fills (see
 * rl_bank_ops), returned as well. */
static inline rl_err rl__access_done(rl_access *ev, rl_err e) {
    ev->result = e;
    return e;
}

#endif

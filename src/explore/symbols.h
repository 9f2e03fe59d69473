/* symbols.h - names for addresses of a user's program. Internal.
 *
 * Open once for the fork server's process (its mappings are those of
 * every schedule's copy, up to what a copy maps later); then name code
 * addresses ("bank.c:42 in bill") and data addresses ("lock_a", "heap
 * 0x...") as well as the debug information and the symbol table allow.
 * Not thread safe: one user at a time. */
#ifndef RACELAB_EXPLORE_SYMBOLS_H
#define RACELAB_EXPLORE_SYMBOLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "racelab/error.h"

typedef struct rl__symbols rl__symbols;

rl_err rl__symbols_open(int pid, rl__symbols **out);
void rl__symbols_close(rl__symbols *s);
/* A return address: the source line of the call before it. */
void rl__symbols_code(rl__symbols *s, uint64_t addr, char *out, size_t len);
/* An object's address: the variable it is, or where it lives. */
void rl__symbols_data(rl__symbols *s, uint64_t addr, char *out, size_t len);

#endif

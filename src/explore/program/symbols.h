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
/* A call made through library code: its return address and its callers'
 * (n in all, innermost first; 0 ends them). The first that is the
 * program's own, a source line in a function whose name is not the
 * implementation's (std::..., __...: a wrapper from a system header built
 * into the program, as std::mutex::lock is at -O0); else the first. */
void rl__symbols_user_code(rl__symbols *s, const uint64_t *addrs, size_t n, char *out,
                           size_t len);
/* Whether a name from rl__symbols_code is the program's own: "file:42 in f"
 * with f not the implementation's. */
bool rl__symbols_is_user(const char *code);
/* An object's address: the variable it is, or where it lives. */
void rl__symbols_data(rl__symbols *s, uint64_t addr, char *out, size_t len);

#endif

/* words.h - a count in a sentence. Internal.
 *
 * "1 merchant", "2 merchants", "0 merchants": printf("%zu merchant%s", n,
 * rl__plural(n)). English only: the plural of every noun racelab counts
 * takes an "s". */
#ifndef RACELAB_UTIL_WORDS_H
#define RACELAB_UTIL_WORDS_H

#include <stdint.h>

static inline const char *rl__plural(uintmax_t n) { return n == 1 ? "" : "s"; }

#endif

/* choice.c - one step's decision in the scheduling core: see choice.h. */
#include "choice.h"

#include <stdio.h>
#include <string.h>

int rl__choice_current(uint64_t enabled, uint64_t lazy, int last) {
    uint64_t eager = enabled & ~lazy;
    return last >= 0 && last < RL_EX_MAX_THREADS && (eager >> last & 1u) ? last : -1;
}

rl__choice rl__choice_fit(uint64_t enabled, uint64_t lazy, int current, unsigned asked) {
    rl__choice c = {.chosen = asked, .fits = true};
    if (asked >= RL_EX_MAX_THREADS || !(enabled >> asked & 1u)) {
        c.fits = false;
        c.chosen = rl__default_choice(enabled, lazy, current);
    }
    c.preempted = current >= 0 && (unsigned)current != c.chosen;
    c.timed_out = lazy >> c.chosen & 1u;
    c.decision = (rl__decision){.enabled = enabled, .lazy = lazy, .current = (int8_t)current,
                                .chosen = (uint8_t)c.chosen};
    return c;
}

void rl__choice_no_fit_text(char *out, size_t cap, const char *noun, uint64_t step,
                            unsigned asked, uint64_t enabled) {
    char runnable[128] = "";
    for (uint64_t a = enabled; a; a &= a - 1) {
        size_t used = strlen(runnable);
        snprintf(runnable + used, sizeof runnable - used, "%s%u", used ? ", " : "",
                 (unsigned)__builtin_ctzll(a));
    }
    snprintf(out, cap, "the schedule does not fit this %s: at step %llu thread %u cannot go "
                       "(runnable: %s)",
             noun, (unsigned long long)step + 1, asked, runnable);
}

/* fair.c - fairness in the scheduling core: see fair.h. */
#include "fair.h"

#include <stdio.h>
#include <string.h>

void rl__fair_reset(rl__fair *f) { memset(f, 0, sizeof *f); }

void rl__fair_new_thread(rl__fair *f, unsigned n, unsigned t) {
    for (unsigned i = 0; i < n; i++) {
        f->below[i] &= ~(1ull << t);
        f->window[i] &= ~(1ull << t);
    }
    f->below[t] = 0;
    f->window[t] = 0;
    f->last_yield[t] = 0;
}

uint64_t rl__fair_eager(const rl__fair *f, uint64_t all) {
    uint64_t eager = 0;
    for (uint64_t a = all; a; a &= a - 1) {
        unsigned i = (unsigned)__builtin_ctzll(a);
        if (!(f->below[i] & all))
            eager |= 1ull << i;
    }
    return eager ? eager : all;
}

void rl__fair_moved(rl__fair *f, unsigned n, unsigned t) {
    for (unsigned i = 0; i < n; i++) {
        f->below[i] &= ~(1ull << t);
        f->window[i] &= ~(1ull << t);
    }
    f->below[t] = 0;
}

void rl__fair_seen(rl__fair *f, unsigned n, uint64_t all) {
    for (unsigned i = 0; i < n; i++)
        f->window[i] &= all;
}

void rl__fair_progress(rl__fair *f, unsigned t) { f->window[t] = 0; }

void rl__fair_yielded(rl__fair *f, unsigned t, uint64_t could_go, uint64_t step) {
    uint64_t others = could_go & ~(1ull << t);
    f->below[t] |= f->window[t] & others;
    f->window[t] = others;
    f->last_yield[t] = step;
}

static uint64_t spinners(const rl__fair *f, uint64_t live, uint64_t max_steps) {
    uint64_t recent = max_steps - max_steps / 10, spin = 0;
    for (uint64_t a = live; a; a &= a - 1) {
        unsigned i = (unsigned)__builtin_ctzll(a);
        if (f->last_yield[i] > recent)
            spin |= 1ull << i;
    }
    return spin;
}

void rl__fair_livelock_text(const rl__fair *f, uint64_t live, uint64_t max_steps,
                            const char *(*name)(void *ctx, unsigned t), void *ctx, char *out,
                            size_t cap) {
    char spin[160] = "";
    for (uint64_t a = spinners(f, live, max_steps); a; a &= a - 1) {
        size_t used = strlen(spin);
        snprintf(spin + used, sizeof spin - used, "%s%s", spin[0] ? ", " : "",
                 name(ctx, (unsigned)__builtin_ctzll(a)));
    }
    snprintf(out, cap, "the schedule did not end within %llu steps%s%s%s",
             (unsigned long long)max_steps, spin[0] ? " (yielding over and over: " : "", spin,
             spin[0] ? ")" : "");
}

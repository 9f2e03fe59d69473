/* signals.c - condition variables in the scheduling core: see signals.h. */
#include "signals.h"

void rl__signals_reset(rl__signals *s) {
    s->ntokens = 0;
    s->wait_seq = 0;
}

uint64_t rl__signals_wait(rl__signals *s) { return ++s->wait_seq; }

int rl__signals_token_for(const rl__signals *s, const void *cond, uint64_t seq) {
    int best = -1;
    for (uint32_t i = 0; i < s->ntokens; i++)
        if (s->tokens[i].cond == cond && s->tokens[i].seq >= seq &&
            (best < 0 || s->tokens[i].seq < s->tokens[best].seq))
            best = (int)i;
    return best;
}

bool rl__signals_take(rl__signals *s, const void *cond, uint64_t seq) {
    int k = rl__signals_token_for(s, cond, seq);
    if (k < 0)
        return false;
    s->tokens[k] = s->tokens[--s->ntokens];
    return true;
}

uint32_t rl__signals_pending(const rl__signals *s, const void *cond) {
    uint32_t n = 0;
    for (uint32_t i = 0; i < s->ntokens; i++)
        n += s->tokens[i].cond == cond;
    return n;
}

bool rl__signals_send(rl__signals *s, const void *cond, uint32_t waiting) {
    if (waiting <= rl__signals_pending(s, cond))
        return true; /* nobody left to wake: lost */
    if (s->ntokens == sizeof s->tokens / sizeof s->tokens[0])
        return false;
    s->tokens[s->ntokens++] = (rl__token){cond, s->wait_seq};
    return true;
}

void rl__signals_broadcast(rl__signals *s, const void *cond) {
    for (uint32_t i = s->ntokens; i-- > 0;)
        if (s->tokens[i].cond == cond)
            s->tokens[i] = s->tokens[--s->ntokens];
}

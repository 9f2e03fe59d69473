/* histogram.c - distinct final states and their counts (see
 * racelab/histogram.h). A linear search: the states of a run are few. */
#include "racelab/histogram.h"
#include "grow.h"

#include <stdlib.h>
#include <string.h>

void rl_histogram_init(rl_histogram *h) {
    if (h)
        memset(h, 0, sizeof *h);
}

rl_err rl_histogram_add(rl_histogram *h, const void *key, size_t len, bool held) {
    if (!h || (!key && len))
        return RL_EINVAL;
    for (size_t i = 0; i < h->n; i++) {
        rl_histogram_entry *e = &h->entries[i];
        if (e->len == len && (len == 0 || memcmp(e->key, key, len) == 0)) {
            e->count++;
            e->held &= held;
            h->total++;
            return RL_OK;
        }
    }
    if (h->n == h->cap) {
        rl_histogram_entry *bigger = rl__grow(h->entries, &h->cap, sizeof *bigger, 8);
        if (!bigger)
            return RL_ENOMEM;
        h->entries = bigger;
    }
    void *copy = malloc(len ? len : 1);
    if (!copy)
        return RL_ENOMEM;
    if (len)
        memcpy(copy, key, len);
    h->entries[h->n++] = (rl_histogram_entry){.key = copy, .len = len, .count = 1, .held = held};
    h->total++;
    return RL_OK;
}

static int by_count(const void *x, const void *y) {
    const rl_histogram_entry *a = x, *b = y;
    if (a->count != b->count)
        return (a->count < b->count) - (a->count > b->count);
    size_t common = a->len < b->len ? a->len : b->len;
    int c = common ? memcmp(a->key, b->key, common) : 0;
    return c ? c : (a->len > b->len) - (a->len < b->len);
}

void rl_histogram_sort(rl_histogram *h) {
    if (h && h->n > 1)
        qsort(h->entries, h->n, sizeof *h->entries, by_count);
}

void rl_histogram_free(rl_histogram *h) {
    if (!h)
        return;
    for (size_t i = 0; i < h->n; i++)
        free(h->entries[i].key);
    free(h->entries);
    memset(h, 0, sizeof *h);
}

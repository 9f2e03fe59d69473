/* schedule.c - schedule strings: the choices that differ from the default
 * order, as "STEP:THREAD" pairs (1-based steps) separated by commas; "-"
 * for none. Short enough to read, paste and replay. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../explore_impl.h"

size_t rl__schedule_deviations(const rl__decision *d, size_t n, rl__deviation *out) {
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (d[i].chosen != rl__default_choice(d[i].enabled, d[i].lazy, d[i].current)) {
            if (out)
                out[k] = (rl__deviation){.step = (uint32_t)i, .thread = d[i].chosen};
            k++;
        }
    return k;
}

char *rl__schedule_encode(const rl__decision *d, size_t n, unsigned *deviations) {
    size_t k = rl__schedule_deviations(d, n, NULL);
    rl__deviation *dev = malloc((k ? k : 1) * sizeof *dev);
    char *s = malloc(k ? k * 24 : 2); /* "4294967295:63," at most */
    if (!dev || !s) {
        free(dev);
        free(s);
        return NULL;
    }
    rl__schedule_deviations(d, n, dev);
    if (deviations)
        *deviations = (unsigned)k;
    strcpy(s, "-");
    for (size_t i = 0, len = 0; i < k; i++)
        len += (size_t)sprintf(s + len, "%s%u:%u", i ? "," : "", dev[i].step + 1,
                               (unsigned)dev[i].thread);
    free(dev);
    return s;
}

#define WHY(...) (why ? (void)snprintf(why, why_len, __VA_ARGS__) : (void)0)

rl_err rl__schedule_parse(const char *s, rl__deviation **out, size_t *n, char *why,
                          size_t why_len) {
    *out = NULL;
    *n = 0;
    if (!s) {
        WHY("no schedule given");
        return RL_EINVAL;
    }
    while (isspace((unsigned char)*s))
        s++;
    if (*s == '\0') { /* not "no choices": that is "-", as printed */
        WHY("schedule '': empty (the schedule of the default order, no choices of its own, "
            "is '-')");
        return RL_EINVAL;
    }
    if (strcmp(s, "-") == 0)
        return RL_OK;
    size_t cap = 1;
    for (const char *p = s; *p; p++)
        cap += *p == ',';
    rl__deviation *d = calloc(cap, sizeof *d);
    if (!d)
        return RL_ENOMEM;
    const char *p = s;
    size_t k = 0;
    for (;;) {
        char *end;
        errno = 0;
        unsigned long step = strtoul(p, &end, 10);
        if (end == p || *end != ':' || errno || step == 0 || step > UINT32_MAX) {
            WHY("schedule '%s': expected STEP:THREAD at '%s' (steps count from 1)", s, p);
            free(d);
            return RL_EINVAL;
        }
        p = end + 1;
        unsigned long thread = strtoul(p, &end, 10);
        if (end == p || errno || thread >= RL_EX_MAX_THREADS) {
            WHY("schedule '%s': expected a thread number below %d at '%s'", s, RL_EX_MAX_THREADS,
                p);
            free(d);
            return RL_EINVAL;
        }
        if (k > 0 && step - 1 <= d[k - 1].step) {
            WHY("schedule '%s': steps must increase (%lu after %u)", s, step, d[k - 1].step + 1);
            free(d);
            return RL_EINVAL;
        }
        d[k++] = (rl__deviation){.step = (uint32_t)(step - 1), .thread = (uint8_t)thread};
        p = end;
        while (isspace((unsigned char)*p))
            p++;
        if (*p == '\0')
            break;
        if (*p != ',') {
            WHY("schedule '%s': unexpected '%c'", s, *p);
            free(d);
            return RL_EINVAL;
        }
        p++;
    }
    *out = d;
    *n = k;
    return RL_OK;
}

/* pq.c - see pq.h. */
#include <dlfcn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#define RL_PQ_TABLE_ITSELF
#include "pq.h"

/* The table once made; never freed (the library stays open). */
static _Atomic(const rl__pq_api *) loaded;

rl_err rl__pq_load(char *why, size_t why_len) {
    /* acquire: pairs with the release of the exchange below, so the
     * table's entries are seen filled */
    if (atomic_load_explicit(&loaded, memory_order_acquire))
        return RL_OK;
    void *lib = dlopen("libpq.so.5", RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        if (why)
            snprintf(why, why_len,
                     "cannot load libpq, PostgreSQL's client library (Debian's "
                     "libpq5): %s",
                     dlerror());
        return RL_ESYS;
    }
    rl__pq_api *api = malloc(sizeof *api);
    if (!api)
        return RL_ENOMEM;
    const char *missing = NULL;
#define RL_PQ_SYM(name)                                                                            \
    if (!(*(void **)&api->name = dlsym(lib, #name)) && !missing)                                   \
        missing = #name;
    RL_PQ_FUNCTIONS(RL_PQ_SYM)
#undef RL_PQ_SYM
    if (missing) {
        free(api);
        if (why)
            snprintf(why, why_len, "libpq.so.5 has no %s: a libpq older than PostgreSQL 14's",
                     missing);
        return RL_ESYS;
    }
    /* release: publishes the filled table (see the acquire above); a thread
     * that lost the race keeps the winner's, and its own goes */
    const rl__pq_api *none = NULL;
    if (!atomic_compare_exchange_strong_explicit(&loaded, &none, api, memory_order_acq_rel,
                                                 memory_order_acquire))
        free(api);
    return RL_OK;
}

const rl__pq_api *rl__pq_api_get(void) {
    /* acquire: pairs with the publishing exchange in rl__pq_load */
    const rl__pq_api *api = atomic_load_explicit(&loaded, memory_order_acquire);
    if (!api)
        rl_fatal("a libpq call before rl__pq_load opened libpq");
    return api;
}

/* var.c - shared variables with visible, atomic accesses. */
#include "racelab/var.h"

static const char *var_name(const void *object, uint64_t key) {
    (void)key;
    return ((const rl_var *)object)->name;
}

static rl_access event(rl_var *v, rl_access_kind kind, const char *op) {
    return (rl_access){.kind = kind, .op = op, .object = v, .name_of = var_name,
                       .version_read = RL_ACCESS_NO_VERSION};
}

void rl_var_init(rl_var *v, const char *name, int64_t value) {
    if (!v)
        rl_fatal("rl_var_init: NULL argument");
    atomic_init(&v->value, value);
    v->name = name ? name : "var";
}

int64_t rl_var_load(rl_var *v) {
    if (!v)
        rl_fatal("rl_var_load: NULL argument");
    rl_access a = event(v, RL_ACCESS_READ, "load");
    rl_access_begin(&a);
    a.value = atomic_load(&v->value);
    rl_access_end(&a);
    return a.value;
}

void rl_var_store(rl_var *v, int64_t value) {
    if (!v)
        rl_fatal("rl_var_store: NULL argument");
    rl_access a = event(v, RL_ACCESS_WRITE, "store");
    rl_access_begin(&a);
    atomic_store(&v->value, value);
    a.value = value;
    rl_access_end(&a);
}

int64_t rl_var_exchange(rl_var *v, int64_t value) {
    if (!v)
        rl_fatal("rl_var_exchange: NULL argument");
    rl_access a = event(v, RL_ACCESS_RMW, "exchange");
    rl_access_begin(&a);
    int64_t old = atomic_exchange(&v->value, value);
    a.value = value;
    rl_access_end(&a);
    return old;
}

bool rl_var_compare_and_set(rl_var *v, int64_t *expected, int64_t desired) {
    if (!v || !expected)
        rl_fatal("rl_var_compare_and_set: NULL argument");
    rl_access a = event(v, RL_ACCESS_RMW, "cas");
    rl_access_begin(&a);
    bool ok = atomic_compare_exchange_strong(&v->value, expected, desired);
    a.value = ok ? desired : *expected;
    a.result = ok ? RL_OK : RL_ECONFLICT;
    rl_access_end(&a);
    return ok;
}

int64_t rl_var_add(rl_var *v, int64_t delta) {
    if (!v)
        rl_fatal("rl_var_add: NULL argument");
    rl_access a = event(v, RL_ACCESS_RMW, "add");
    rl_access_begin(&a);
    /* wrapping add: done in unsigned arithmetic, where overflow is defined */
    uint64_t old = (uint64_t)atomic_fetch_add(&v->value, delta);
    a.value = (int64_t)(old + (uint64_t)delta);
    rl_access_end(&a);
    return a.value;
}

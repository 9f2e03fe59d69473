/* bank.c - the generic half of the bank interface: argument checks and the
 * visible-access brackets, so every implementation is explorable. */
#include "racelab/bank.h"

#include <string.h>

rl_err rl_money_add(rl_money a, rl_money b, rl_money *out) {
    rl_money r;
    if (__builtin_add_overflow(a, b, &r))
        return RL_EOVERFLOW;
    if (out)
        *out = r;
    return RL_OK;
}

static bool valid_name(const char *name) {
    return name && name[0] != '\0' && strlen(name) <= RL_BANK_NAME_MAX;
}

static const char *name_of(const void *object, uint64_t key) {
    return rl_bank_name((rl_bank *)object, (rl_acct)key);
}

static rl_access event(rl_bank *b, rl_acct a, rl_access_kind kind, const char *op) {
    return (rl_access){.kind = kind, .op = op, .object = b, .key = a, .name_of = name_of};
}

void rl_bank_destroy(rl_bank *b) {
    if (b)
        b->ops->destroy(b);
}

rl_err rl_bank_open(rl_bank *b, const char *name, rl_money start, rl_acct *out) {
    if (!b || !valid_name(name))
        return RL_EINVAL;
    rl_acct tmp;
    return b->ops->open(b, name, start, out ? out : &tmp);
}

rl_err rl_bank_lookup(rl_bank *b, const char *name, rl_acct *out) {
    if (!b || !out || !valid_name(name))
        return RL_EINVAL;
    return b->ops->lookup(b, name, out);
}

const char *rl_bank_name(rl_bank *b, rl_acct a) { return b ? b->ops->name(b, a) : NULL; }

size_t rl_bank_count(rl_bank *b) { return b ? b->ops->count(b) : 0; }

rl_err rl_bank_get(rl_bank *b, rl_acct a, rl_money *balance, uint64_t *version) {
    if (!b || !balance)
        return RL_EINVAL;
    rl_access ev = event(b, a, RL_ACCESS_READ, "get");
    rl_access_begin(&ev);
    rl_err e = b->ops->get(b, a, &ev);
    rl_access_end(&ev);
    if (e == RL_OK) {
        *balance = ev.value;
        if (version)
            *version = ev.version_before;
    }
    return e;
}

rl_err rl_bank_set(rl_bank *b, rl_acct a, rl_money value, uint64_t read_version, bool *lost) {
    if (!b)
        return RL_EINVAL;
    rl_access ev = event(b, a, RL_ACCESS_WRITE, "set");
    ev.version_read = read_version;
    rl_access_begin(&ev);
    rl_err e = b->ops->set(b, a, value, read_version, &ev);
    rl_access_end(&ev);
    if (lost)
        *lost = e == RL_OK && ev.stale;
    return e;
}

rl_err rl_bank_add(rl_bank *b, rl_acct a, rl_money delta, rl_money *new_balance) {
    if (!b)
        return RL_EINVAL;
    rl_access ev = event(b, a, RL_ACCESS_RMW, "add");
    ev.version_read = RL_VERSION_BLIND;
    rl_access_begin(&ev);
    rl_err e = b->ops->add(b, a, delta, &ev);
    rl_access_end(&ev);
    if (e == RL_OK && new_balance)
        *new_balance = ev.value;
    return e;
}

rl_err rl_bank_compare_and_set(rl_bank *b, rl_acct a, rl_money expected, rl_money desired,
                               rl_money *observed) {
    if (!b)
        return RL_EINVAL;
    rl_access ev = event(b, a, RL_ACCESS_RMW, "cas");
    ev.version_read = RL_VERSION_BLIND;
    rl_access_begin(&ev);
    rl_err e = b->ops->compare_and_set(b, a, expected, desired, &ev);
    rl_access_end(&ev);
    if (e == RL_ECONFLICT && observed)
        *observed = ev.value;
    return e;
}

rl_err rl_bank_snapshot(rl_bank *b, rl_balance *out, size_t cap, size_t *n) {
    if (!b || !n || (cap > 0 && !out))
        return RL_EINVAL;
    size_t count = b->ops->count(b);
    *n = count;
    if (cap < count)
        return RL_EINVAL;
    for (size_t i = 0; i < count; i++) {
        /* a snapshot is not a visible step: it reads without the access
         * brackets so the explorer's trace holds only the scenario's work */
        rl_access ev = event(b, (rl_acct)i, RL_ACCESS_READ, "snapshot");
        rl_err e = b->ops->get(b, (rl_acct)i, &ev);
        if (e != RL_OK)
            return e;
        out[i] = (rl_balance){.name = b->ops->name(b, (rl_acct)i), .balance = ev.value,
                              .version = ev.version_before};
    }
    return RL_OK;
}

uint64_t rl_bank_lost_updates(rl_bank *b) { return b ? b->ops->lost_updates(b) : 0; }

size_t rl_bank_memory_bytes(rl_bank *b) { return b ? b->ops->memory_bytes(b) : 0; }

/* bank.c - the generic half of the bank interface: argument checks, the
 * visible-access brackets (so every implementation is explorable) and the
 * transaction state, so every backend ends a failed transaction the same
 * way. */
#include "racelab/bank.h"

#include <stdio.h>
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
    /* the object is the store: the same account through two connections
     * is the same object to the explorer and the trace */
    rl_bank *store = b->root ? b->root : b;
    return (rl_access){.kind = kind, .op = op, .object = store, .key = a, .name_of = name_of};
}

/* An error inside a transaction ends it (see bank.h). A conflict is an
 * answer, not a failure: a version-checked UPDATE that matched no row
 * leaves the transaction usable, in PostgreSQL as here. */
static rl_err after(rl_bank *b, rl_err e) {
    if (e != RL_OK && e != RL_ECONFLICT && b->in_txn) {
        b->ops->rollback(b);
        b->in_txn = false;
    }
    return e;
}

static void clear_errmsg(rl_bank *b) { b->errmsg[0] = '\0'; }

/* The plain operations may share one memory handle between threads (see
 * bank.h), so they clear the message only inside a transaction, where the
 * handle is its thread's own. Database backends write the message of
 * every call themselves. */
static void clear_errmsg_owned(rl_bank *b) {
    if (b->in_txn)
        clear_errmsg(b);
}

/* The bracket of every data call, in one place: the message cleared (see
 * clear_errmsg_owned), the access begun, the backend's call (evaluated
 * between the two, its result handed to the second), the transaction ended
 * on error, the access ended. VISIBLE(b, ev, call) is the call in it. */
static void visible_begin(rl_bank *b, rl_access *ev) {
    clear_errmsg_owned(b);
    rl_access_begin(ev);
}

static rl_err visible_end(rl_bank *b, rl_access *ev, rl_err e) {
    e = after(b, e);
    rl_access_end(ev);
    return e;
}

#define VISIBLE(b, ev, call) (visible_begin((b), (ev)), visible_end((b), (ev), (call)))

void rl_bank_destroy(rl_bank *b) {
    if (!b)
        return;
    if (b->in_txn) {
        b->ops->rollback(b);
        b->in_txn = false;
    }
    b->ops->destroy(b);
}

const char *rl_bank_kind(const rl_bank *b) { return b ? b->ops->kind : "?"; }

rl_err rl_bank_connect(rl_bank *b, const char *who, rl_bank **out) {
    if (!b || !out)
        return RL_EINVAL;
    clear_errmsg(b);
    return b->ops->connect(b, who, out);
}

rl_err rl_bank_connect_all(rl_bank *b, const char *const *who, size_t n, rl_bank **out) {
    if (!b || (n && (!who || !out)))
        return RL_EINVAL;
    clear_errmsg(b);
    if (b->ops->connect_all)
        return b->ops->connect_all(b, who, n, out);
    for (size_t i = 0; i < n; i++) {
        rl_err e = b->ops->connect(b, who[i], &out[i]);
        if (e != RL_OK) {
            while (i > 0)
                rl_bank_destroy(out[--i]);
            return e;
        }
    }
    return RL_OK;
}

rl_err rl_bank_open_all(rl_bank *b, const rl_customer *c, size_t n, rl_acct *out) {
    if (!b || (n && !c))
        return RL_EINVAL;
    for (size_t i = 0; i < n; i++)
        if (!valid_name(c[i].name))
            return RL_EINVAL;
    clear_errmsg(b);
    if (b->ops->open_all)
        return b->ops->open_all(b, c, n, out);
    for (size_t i = 0; i < n; i++) {
        rl_acct a;
        rl_err e = b->ops->open(b, c[i].name, c[i].start, &a);
        if (e != RL_OK)
            return e; /* only backends without open_all get here: the memory bank,
                         whose accounts are opened before anything else happens */
        if (out)
            out[i] = a;
    }
    return RL_OK;
}

rl_err rl_bank_begin(rl_bank *b, rl_isolation iso) {
    if (!b || b->in_txn || iso > RL_ISO_SERIALIZABLE)
        return RL_EINVAL;
    clear_errmsg(b);
    rl_err e = b->ops->begin(b, iso);
    if (e == RL_OK) {
        b->in_txn = true;
        b->iso = iso;
    }
    return e;
}

rl_err rl_bank_lock(rl_bank *b, rl_lock_kind kind, rl_acct a, bool wait) {
    if (!b || kind > RL_LOCK_ALL)
        return RL_EINVAL;
    if (!b->in_txn) {
        rl_err e = rl_bank_begin(b, RL_ISO_READ_COMMITTED);
        if (e != RL_OK)
            return e;
    }
    clear_errmsg(b);
    return after(b, b->ops->lock(b, kind, a, wait));
}

rl_err rl_bank_commit(rl_bank *b) {
    if (!b || !b->in_txn)
        return RL_EINVAL;
    clear_errmsg(b);
    rl_err e = b->ops->commit(b);
    if (e != RL_OK)
        b->ops->rollback(b);
    b->in_txn = false;
    return e;
}

void rl_bank_rollback(rl_bank *b) {
    if (!b || !b->in_txn)
        return;
    b->ops->rollback(b);
    b->in_txn = false;
}

bool rl_bank_in_txn(const rl_bank *b) { return b && b->in_txn; }

rl_err rl_bank_finish(rl_bank *b, rl_err e) {
    if (e == RL_OK)
        return rl_bank_commit(b);
    rl_bank_rollback(b);
    return e;
}

bool rl_bank_has_queue(const rl_bank *b) { return b && b->ops->queue_push; }

rl_err rl_bank_queue_push(rl_bank *b, uint64_t tag, rl_acct a, rl_money amount) {
    if (!b)
        return RL_EINVAL;
    if (!b->ops->queue_push)
        return RL_ENOTSUP;
    clear_errmsg(b);
    return after(b, b->ops->queue_push(b, tag, a, amount));
}

rl_err rl_bank_queue_take(rl_bank *b, rl_job *out) {
    if (!b || !out)
        return RL_EINVAL;
    if (!b->ops->queue_take)
        return RL_ENOTSUP;
    if (!b->in_txn) {
        rl_err e = rl_bank_begin(b, RL_ISO_READ_COMMITTED);
        if (e != RL_OK)
            return e;
    }
    clear_errmsg(b);
    rl_err e = b->ops->queue_take(b, out);
    return e == RL_EEMPTY ? e : after(b, e);
}

rl_err rl_bank_queue_drop(rl_bank *b, uint64_t id) {
    if (!b)
        return RL_EINVAL;
    if (!b->ops->queue_drop)
        return RL_ENOTSUP;
    clear_errmsg(b);
    return after(b, b->ops->queue_drop(b, id));
}

const char *rl_isolation_name(rl_isolation iso) {
    switch (iso) {
    case RL_ISO_READ_COMMITTED: return "read committed";
    case RL_ISO_REPEATABLE_READ: return "repeatable read";
    case RL_ISO_SERIALIZABLE: return "serializable";
    }
    return "?";
}

const char *rl_lock_kind_name(rl_lock_kind kind) {
    switch (kind) {
    case RL_LOCK_ROW: return "row";
    case RL_LOCK_ADVISORY: return "advisory";
    case RL_LOCK_ALL: return "all";
    }
    return "?";
}

const char *rl_bank_lock_note(rl_bank *b, rl_lock_kind kind) {
    return b && b->ops->lock_note ? b->ops->lock_note(b, kind) : NULL;
}

const char *rl_bank_errmsg(const rl_bank *b) { return b ? b->errmsg : ""; }

uint64_t rl_bank_session(rl_bank *b) { return b && b->ops->session ? b->ops->session(b) : 0; }

rl_err rl_bank_terminate(rl_bank *b) {
    if (!b)
        return RL_EINVAL;
    return b->ops->terminate ? b->ops->terminate(b) : RL_ENOTSUP;
}

bool rl_bank_waiting(rl_bank *b, uint64_t *holders, size_t *nholders) {
    size_t n = 0;
    bool w = b && b->ops->waiting && b->ops->waiting(b, holders, &n);
    if (nholders)
        *nholders = w ? n : 0;
    return w;
}

rl_err rl_bank_open(rl_bank *b, const char *name, rl_money start, rl_acct *out) {
    if (!b || !valid_name(name))
        return RL_EINVAL;
    rl_acct tmp;
    clear_errmsg(b);
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
    rl_err e = VISIBLE(b, &ev, b->ops->get(b, a, &ev));
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
    rl_err e = VISIBLE(b, &ev, b->ops->set(b, a, value, read_version, &ev));
    if (lost)
        *lost = e == RL_OK && ev.stale;
    return e;
}

rl_err rl_bank_add(rl_bank *b, rl_acct a, rl_money delta, rl_money *new_balance) {
    if (!b)
        return RL_EINVAL;
    rl_access ev = event(b, a, RL_ACCESS_RMW, "add");
    ev.version_read = RL_VERSION_BLIND;
    rl_err e = VISIBLE(b, &ev, b->ops->add(b, a, delta, &ev));
    if (e == RL_OK && new_balance)
        *new_balance = ev.value;
    return e;
}

bool rl_bank_has_ledger(const rl_bank *b) { return b && b->ops->apply_once; }

rl_err rl_bank_ledger_scan(rl_bank *b, void (*each)(void *ctx, const rl_ledger_row *r),
                           void *ctx) {
    if (!b || !each)
        return RL_EINVAL;
    if (!b->ops->ledger_scan)
        return RL_ENOTSUP;
    clear_errmsg_owned(b);
    return b->ops->ledger_scan(b, each, ctx);
}

bool rl_bank_meet_sees_waiters(const rl_bank *b) { return b && b->ops->meet_sees_waiters; }

rl_err rl_bank_meet(rl_bank *b, rl_bank *merchant, const rl_bill_key *k, size_t n,
                    uint64_t timeout_ns) {
    if (!b || !k || !k->merchant || !*k->merchant || n == 0 || b->in_txn)
        return RL_EINVAL;
    if (!b->ops->meet)
        return RL_ENOTSUP;
    if (!merchant)
        merchant = b;
    uint64_t session = merchant->ops->session ? merchant->ops->session(merchant) : 0;
    clear_errmsg_owned(b);
    uint64_t waited = 0;
    for (;;) {
        size_t met = 0;
        rl_err e = b->ops->meet(b, k, session, &met);
        if (e != RL_OK || met >= n)
            return e;
        if (waited >= timeout_ns)
            return RL_ETIMEDOUT;
        rl_sleep_ns(2000000);
        waited += 2000000;
    }
}

rl_err rl_bank_cycle_finish(rl_bank *b, const rl_bill_key *k) {
    if (!b || !k || !k->merchant || !*k->merchant)
        return RL_EINVAL;
    if (!b->ops->cycle_finish)
        return RL_ENOTSUP;
    clear_errmsg_owned(b);
    return b->ops->cycle_finish(b, k);
}

rl_err rl_bank_cycle_scan(rl_bank *b, void (*each)(void *ctx, const rl_bill_key *k), void *ctx) {
    if (!b || !each)
        return RL_EINVAL;
    if (!b->ops->cycle_scan)
        return RL_ENOTSUP;
    clear_errmsg_owned(b);
    return b->ops->cycle_scan(b, each, ctx);
}

rl_err rl_bank_apply_once(rl_bank *b, const rl_bill_key *k, rl_acct a, rl_money amount,
                          rl_money *new_balance, bool *applied) {
    if (!b || !k || !k->merchant || !*k->merchant)
        return RL_EINVAL;
    if (!b->ops->apply_once)
        return RL_ENOTSUP;
    rl_access ev = event(b, a, RL_ACCESS_RMW, "apply");
    ev.version_read = RL_VERSION_BLIND;
    bool done = false;
    rl_err e = VISIBLE(b, &ev, b->ops->apply_once(b, k, a, amount, &ev, &done));
    if (applied)
        *applied = e == RL_OK && done;
    if (e == RL_OK && done && new_balance)
        *new_balance = ev.value;
    return e;
}

rl_err rl_bank_ledger_record(rl_bank *b, const rl_bill_key *k, rl_acct a, rl_money amount,
                             bool *recorded) {
    if (!b || !k || !k->merchant || !*k->merchant || !recorded || !b->in_txn)
        return RL_EINVAL;
    if (!b->ops->ledger_record)
        return RL_ENOTSUP;
    clear_errmsg_owned(b);
    *recorded = false;
    return after(b, b->ops->ledger_record(b, k, a, amount, recorded));
}

rl_err rl_bank_add_batch(rl_bank *b, const rl_acct *a, const rl_money *delta, size_t n,
                         rl_err *results) {
    if (!b || (n && (!a || !delta || !results)) || b->in_txn)
        return RL_EINVAL;
    rl_err first = RL_OK;
    if (!b->ops->add_batch) {
        for (size_t i = 0; i < n; i++) {
            results[i] = rl_bank_add(b, a[i], delta[i], NULL);
            if (first == RL_OK)
                first = results[i];
        }
        return first;
    }
    rl_access ev = event(b, n ? a[0] : 0, RL_ACCESS_RMW, "add_batch");
    ev.version_read = RL_VERSION_BLIND;
    rl_access_begin(&ev);
    first = b->ops->add_batch(b, a, delta, n, results);
    ev.result = first;
    rl_access_end(&ev);
    for (size_t i = 0; first == RL_OK && i < n; i++)
        first = results[i];
    return first;
}

rl_err rl_bank_compare_and_set(rl_bank *b, rl_acct a, rl_money expected, rl_money desired,
                               rl_money *observed) {
    if (!b)
        return RL_EINVAL;
    rl_access ev = event(b, a, RL_ACCESS_RMW, "cas");
    ev.version_read = RL_VERSION_BLIND;
    rl_err e = VISIBLE(b, &ev, b->ops->compare_and_set(b, a, expected, desired, &ev));
    if (e == RL_ECONFLICT && observed)
        *observed = ev.value;
    return e;
}

rl_err rl_bank_set_if_version(rl_bank *b, rl_acct a, rl_money value, uint64_t version,
                              rl_money *now, uint64_t *now_version) {
    if (!b)
        return RL_EINVAL;
    rl_access ev = event(b, a, RL_ACCESS_RMW, "cas");
    ev.version_read = RL_VERSION_BLIND;
    rl_err e = VISIBLE(b, &ev, b->ops->set_if_version(b, a, value, version, &ev));
    if (e == RL_ECONFLICT) {
        if (now)
            *now = ev.value;
        if (now_version)
            *now_version = ev.version_before;
    }
    return e;
}

rl_err rl_bank_snapshot(rl_bank *b, rl_balance *out, size_t cap, size_t *n) {
    if (!b || !n || (cap > 0 && !out))
        return RL_EINVAL;
    size_t count = b->ops->count(b);
    *n = count;
    if (cap < count)
        return RL_EINVAL;
    if (b->ops->snapshot)
        return b->ops->snapshot(b, out, count);
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

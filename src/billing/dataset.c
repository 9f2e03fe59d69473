/* dataset.c - the exercise's data, its validation and the oracle. */
#include "racelab/dataset.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uthash.h>

#include "../util/rng.h"

/* Customer names to indices, so validation and the oracle stay linear in
 * the size of the data (a million customers, or a million bills). */
typedef struct {
    const char *name;
    size_t index;
    UT_hash_handle hh;
} name_entry;

typedef struct {
    name_entry *head;
    name_entry *entries;
} name_index;

/* RL_EEXIST with *dup set when two customers share a name. */
static rl_err index_build(const rl_dataset *d, name_index *ix, size_t *dup) {
    ix->head = NULL;
    ix->entries = calloc(d->ncustomers ? d->ncustomers : 1, sizeof *ix->entries);
    if (!ix->entries)
        return RL_ENOMEM;
    for (size_t i = 0; i < d->ncustomers; i++) {
        name_entry *found;
        const char *name = d->customers[i].name;
        HASH_FIND_STR(ix->head, name, found);
        if (found) {
            *dup = i;
            return RL_EEXIST;
        }
        ix->entries[i] = (name_entry){.name = name, .index = i};
        HASH_ADD_KEYPTR(hh, ix->head, name, strlen(name), &ix->entries[i]);
    }
    return RL_OK;
}

static size_t index_find(const name_index *ix, const char *name, size_t none) {
    name_entry *found = NULL;
    if (name)
        HASH_FIND_STR(ix->head, name, found);
    return found ? found->index : none;
}

static void index_free(name_index *ix) {
    HASH_CLEAR(hh, ix->head);
    free(ix->entries);
}

static const rl_customer default_customers[] = {
    {"Dave", 400}, {"Susan", 1200}, {"Mike", 1000}, {"Steve", 300}, {"James", -32},
};

/* Every merchant bills every customer the same amount, as the exercise
 * allows ("ok if this amount is the exact same for every merchant"). */
static const rl_bill default_bills[] = {
    {"Dave", -25}, {"Susan", 100}, {"Mike", -300}, {"Steve", 45}, {"James", -1000},
};

#define NBILLS (sizeof default_bills / sizeof default_bills[0])

static const rl_merchant_spec default_merchants[] = {
    {"Costco", default_bills, NBILLS},       {"Target", default_bills, NBILLS},
    {"CVS", default_bills, NBILLS},          {"GuitarCenter", default_bills, NBILLS},
    {"Starbucks", default_bills, NBILLS},
};

static const rl_dataset default_data = {
    .customers = default_customers,
    .ncustomers = sizeof default_customers / sizeof default_customers[0],
    .merchants = default_merchants,
    .nmerchants = sizeof default_merchants / sizeof default_merchants[0],
};

const rl_dataset *rl_dataset_default(void) { return &default_data; }

size_t rl_dataset_customer_index(const rl_dataset *d, const char *name) {
    if (!d)
        rl_fatal("rl_dataset_customer_index: NULL data set");
    for (size_t i = 0; i < d->ncustomers; i++)
        if (name && strcmp(d->customers[i].name, name) == 0)
            return i;
    return d->ncustomers;
}

static bool valid_name(const char *s) {
    return s && s[0] != '\0' && strlen(s) <= RL_BANK_NAME_MAX;
}

#define WHY(...) (why ? (void)snprintf(why, why_len, __VA_ARGS__) : (void)0)

rl_err rl_dataset_validate(const rl_dataset *d, char *why, size_t why_len) {
    if (!d || (d->ncustomers && !d->customers) || (d->nmerchants && !d->merchants)) {
        WHY("no data set");
        return RL_EINVAL;
    }
    if (d->ncustomers == 0) {
        WHY("the data set has no customers");
        return RL_EEMPTY;
    }
    if (d->nmerchants == 0) {
        WHY("the data set has no merchants");
        return RL_EEMPTY;
    }
    for (size_t i = 0; i < d->ncustomers; i++)
        if (!valid_name(d->customers[i].name)) {
            WHY("customer %zu has an empty or over-long name", i + 1);
            return RL_EINVAL;
        }
    name_index ix;
    size_t dup = 0;
    rl_err e = index_build(d, &ix, &dup);
    if (e == RL_EEXIST)
        WHY("customer '%s' appears twice", d->customers[dup].name);
    for (size_t m = 0; e == RL_OK && m < d->nmerchants; m++) {
        const rl_merchant_spec *ms = &d->merchants[m];
        if (!valid_name(ms->name)) {
            WHY("merchant %zu has an empty or over-long name", m + 1);
            e = RL_EINVAL;
        } else if (ms->nbills == 0 || !ms->bills) {
            WHY("merchant '%s' has no bills", ms->name);
            e = RL_EEMPTY;
        }
        for (size_t b = 0; e == RL_OK && b < ms->nbills; b++)
            if (index_find(&ix, ms->bills[b].customer, d->ncustomers) == d->ncustomers) {
                WHY("merchant '%s' bills unknown customer '%s'", ms->name,
                    ms->bills[b].customer ? ms->bills[b].customer : "(null)");
                e = RL_ENOENT;
            }
    }
    index_free(&ix);
    return e;
}

rl_err rl_dataset_expected(const rl_dataset *d, rl_money *out) {
    if (!d || !out)
        return RL_EINVAL;
    /* exact sums: an intermediate total may leave rl_money's range as long
     * as the final one is back inside it */
    __int128 *sum = calloc(d->ncustomers ? d->ncustomers : 1, sizeof *sum);
    name_index ix;
    size_t dup;
    rl_err e = sum ? index_build(d, &ix, &dup) : RL_ENOMEM;
    if (e != RL_OK) {
        if (e == RL_EEXIST)
            index_free(&ix);
        free(sum);
        return e == RL_EEXIST ? RL_EINVAL : e;
    }
    for (size_t c = 0; c < d->ncustomers; c++)
        sum[c] = d->customers[c].start;
    for (size_t m = 0; e == RL_OK && m < d->nmerchants; m++)
        for (size_t b = 0; b < d->merchants[m].nbills; b++) {
            const rl_bill *bill = &d->merchants[m].bills[b];
            size_t c = index_find(&ix, bill->customer, d->ncustomers);
            if (c == d->ncustomers) {
                e = RL_ENOENT;
                break;
            }
            sum[c] += bill->amount;
        }
    for (size_t c = 0; e == RL_OK && c < d->ncustomers; c++) {
        if (sum[c] > INT64_MAX || sum[c] < INT64_MIN)
            e = RL_EOVERFLOW;
        else
            out[c] = (rl_money)sum[c];
    }
    index_free(&ix);
    free(sum);
    return e;
}

/* One allocation: the dataset, then its merchants, then all bills. */
rl_err rl_dataset_subset(const rl_dataset *d, size_t merchants, size_t customers,
                         rl_dataset **out) {
    if (!d || !out || merchants == 0 || customers == 0 || merchants > d->nmerchants ||
        customers > d->ncustomers)
        return RL_EINVAL;
    size_t total_bills = 0;
    for (size_t m = 0; m < merchants; m++)
        total_bills += d->merchants[m].nbills;
    size_t size = sizeof(rl_dataset) + merchants * sizeof(rl_merchant_spec) +
                  total_bills * sizeof(rl_bill);
    rl_dataset *s = malloc(size);
    if (!s)
        return RL_ENOMEM;
    rl_merchant_spec *ms = (rl_merchant_spec *)(s + 1);
    rl_bill *bills = (rl_bill *)(ms + merchants);
    size_t nm = 0;
    for (size_t m = 0; m < merchants; m++) {
        const rl_merchant_spec *src = &d->merchants[m];
        size_t nb = 0;
        for (size_t b = 0; b < src->nbills; b++) {
            size_t c = rl_dataset_customer_index(d, src->bills[b].customer);
            if (c < customers)
                bills[nb++] = src->bills[b];
        }
        if (nb == 0)
            continue;
        ms[nm++] = (rl_merchant_spec){.name = src->name, .bills = bills, .nbills = nb};
        bills += nb;
    }
    *s = (rl_dataset){.customers = d->customers, .ncustomers = customers, .merchants = ms,
                      .nmerchants = nm};
    *out = s;
    return RL_OK;
}

/* One allocation: the data set, customers, merchants, bills, then names. */
rl_err rl_dataset_generate(size_t merchants, size_t customers, uint64_t seed, rl_dataset **out) {
    return rl_dataset_generate_some(merchants, customers, customers, seed, out);
}

rl_err rl_dataset_generate_some(size_t merchants, size_t customers, size_t per_merchant,
                                uint64_t seed, rl_dataset **out) {
    if (!out || merchants == 0 || customers == 0 || merchants > 1000000 || customers > 100000000 ||
        per_merchant == 0 || per_merchant > customers)
        return RL_EINVAL;
    size_t nbills = merchants * per_merchant;
    if (nbills / merchants != per_merchant || nbills > 200000000)
        return RL_EINVAL;
    /* "c" or "m", the number as an unsigned (10 digits at most, which the
     * compiler can check; the bounds above keep it under 9), NUL */
    size_t name_len = 12;
    size_t size = sizeof(rl_dataset) + customers * sizeof(rl_customer) +
                  merchants * sizeof(rl_merchant_spec) + nbills * sizeof(rl_bill) +
                  (customers + merchants) * name_len;
    rl_dataset *d = malloc(size);
    if (!d)
        return RL_ENOMEM;
    rl_customer *cs = (rl_customer *)(d + 1);
    rl_merchant_spec *ms = (rl_merchant_spec *)(cs + customers);
    rl_bill *bills = (rl_bill *)(ms + merchants);
    char *names = (char *)(bills + nbills);
    uint64_t rng = seed;
    for (size_t c = 0; c < customers; c++) {
        char *name = names + c * name_len;
        snprintf(name, name_len, "c%u", (unsigned)(c + 1));
        cs[c] = (rl_customer){.name = name, .start = (rl_money)rl__rng_below(&rng, 10000)};
    }
    for (size_t m = 0; m < merchants; m++) {
        char *name = names + (customers + m) * name_len;
        snprintf(name, name_len, "m%u", (unsigned)(m + 1));
        rl_bill *mine = bills + m * per_merchant;
        /* per_merchant customers in a row, the merchants' rows spread
         * evenly over the customers (overlapping when they must) */
        size_t first = (size_t)((uint64_t)m * customers / merchants);
        for (size_t j = 0; j < per_merchant; j++)
            mine[j] = (rl_bill){.customer = cs[(first + j) % customers].name,
                                .amount = (rl_money)rl__rng_below(&rng, 2001) - 1000};
        ms[m] = (rl_merchant_spec){.name = name, .bills = mine, .nbills = per_merchant};
    }
    *d = (rl_dataset){.customers = cs, .ncustomers = customers, .merchants = ms,
                      .nmerchants = merchants};
    *out = d;
    return RL_OK;
}

void rl_dataset_free(rl_dataset *d) { free(d); }

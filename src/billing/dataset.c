/* dataset.c - the exercise's data, its validation and the oracle. */
#include "racelab/dataset.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    for (size_t i = 0; i < d->ncustomers; i++) {
        if (!valid_name(d->customers[i].name)) {
            WHY("customer %zu has an empty or over-long name", i + 1);
            return RL_EINVAL;
        }
        for (size_t j = 0; j < i; j++)
            if (strcmp(d->customers[i].name, d->customers[j].name) == 0) {
                WHY("customer '%s' appears twice", d->customers[i].name);
                return RL_EEXIST;
            }
    }
    for (size_t m = 0; m < d->nmerchants; m++) {
        const rl_merchant_spec *ms = &d->merchants[m];
        if (!valid_name(ms->name)) {
            WHY("merchant %zu has an empty or over-long name", m + 1);
            return RL_EINVAL;
        }
        if (ms->nbills == 0 || !ms->bills) {
            WHY("merchant '%s' has no bills", ms->name);
            return RL_EEMPTY;
        }
        for (size_t b = 0; b < ms->nbills; b++)
            if (rl_dataset_customer_index(d, ms->bills[b].customer) == d->ncustomers) {
                WHY("merchant '%s' bills unknown customer '%s'", ms->name,
                    ms->bills[b].customer ? ms->bills[b].customer : "(null)");
                return RL_ENOENT;
            }
    }
    return RL_OK;
}

rl_err rl_dataset_expected(const rl_dataset *d, rl_money *out) {
    if (!d || !out)
        return RL_EINVAL;
    /* exact sums: an intermediate total may leave rl_money's range as long
     * as the final one is back inside it */
    for (size_t c = 0; c < d->ncustomers; c++) {
        __int128 sum = d->customers[c].start;
        for (size_t m = 0; m < d->nmerchants; m++)
            for (size_t b = 0; b < d->merchants[m].nbills; b++) {
                const rl_bill *bill = &d->merchants[m].bills[b];
                if (bill->customer && strcmp(bill->customer, d->customers[c].name) == 0)
                    sum += bill->amount;
            }
        if (sum > INT64_MAX || sum < INT64_MIN)
            return RL_EOVERFLOW;
        out[c] = (rl_money)sum;
    }
    return RL_OK;
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

void rl_dataset_free(rl_dataset *d) { free(d); }

/* report.c - see report.h. */
#include "report.h"

#include <inttypes.h>
#include <string.h>

#include "cli.h"

size_t rl_report_wrong(const rl_run_result *r) {
    size_t wrong = 0;
    for (size_t c = 0; c < r->ncustomers; c++)
        wrong += r->rows[c].final != r->rows[c].expected;
    return wrong;
}

#define COL 20

void rl_report_table(FILE *f, const rl_run_result *const *runs, const char *const *titles,
                     size_t nruns) {
    fprintf(f, "%s%-12s %8s %9s", rl_cli_bold(), "customer", "start", "expected");
    for (size_t r = 0; r < nruns; r++)
        fprintf(f, "   %*s", COL, titles[r]);
    fprintf(f, "%s\n", rl_cli_reset());
    for (size_t c = 0; c < runs[0]->ncustomers; c++) {
        const rl_run_row *row = &runs[0]->rows[c];
        fprintf(f, "%-12s %8" PRId64 " %9" PRId64, row->customer, row->start, row->expected);
        for (size_t r = 0; r < nruns; r++) {
            const rl_run_row *x = &runs[r]->rows[c];
            bool ok = x->final == x->expected;
            fprintf(f, "   %*" PRId64 " %s%s%s", COL - 2, x->final, ok ? rl_cli_green() : rl_cli_red(),
                    ok ? "\u2713" : "\u2717", rl_cli_reset());
        }
        fputc('\n', f);
    }
    fprintf(f, "%-31s", "lost updates");
    for (size_t r = 0; r < nruns; r++)
        fprintf(f, "   %*" PRIu64 "  ", COL - 2, runs[r]->lost_updates);
    fputc('\n', f);
    bool any_retries = false, any_failed = false;
    for (size_t r = 0; r < nruns; r++) {
        any_retries |= runs[r]->retries > 0;
        any_failed |= runs[r]->failed > 0;
    }
    bool any_aborts = false;
    for (size_t r = 0; r < nruns; r++)
        any_aborts |= runs[r]->aborts > 0;
    if (any_retries) {
        fprintf(f, "%-31s", "retries");
        for (size_t r = 0; r < nruns; r++)
            fprintf(f, "   %*" PRIu64 "  ", COL - 2, runs[r]->retries);
        fputc('\n', f);
    }
    if (any_aborts) {
        fprintf(f, "%-31s", "aborted by the engine");
        for (size_t r = 0; r < nruns; r++)
            fprintf(f, "   %*" PRIu64 "  ", COL - 2, runs[r]->aborts);
        fputc('\n', f);
    }
    if (any_failed) {
        fprintf(f, "%-31s", "refused bills");
        for (size_t r = 0; r < nruns; r++)
            fprintf(f, "   %*" PRIu64 "  ", COL - 2, runs[r]->failed);
        fputc('\n', f);
    }
    fprintf(f, "%-31s", "wall time");
    for (size_t r = 0; r < nruns; r++) {
        char buf[32];
        fprintf(f, "   %*s  ", COL - 2, rl_cli_format_duration(runs[r]->wall_ns, buf, sizeof buf));
    }
    fputc('\n', f);
}

void rl_report_json_run(rl__json *j, const rl_run_result *r) {
    rl__json_bool(j, "matches_expected", r->matches);
    rl__json_array(j, "customers");
    for (size_t c = 0; c < r->ncustomers; c++) {
        const rl_run_row *row = &r->rows[c];
        rl__json_object(j, NULL);
        rl__json_str(j, "name", row->customer);
        rl__json_int(j, "start", row->start);
        rl__json_int(j, "expected", row->expected);
        rl__json_int(j, "final", row->final);
        rl__json_bool(j, "ok", row->final == row->expected);
        rl__json_end(j, '}');
    }
    rl__json_end(j, ']');
    rl__json_uint(j, "lost_updates", r->lost_updates);
    rl__json_uint(j, "retries", r->retries);
    rl__json_uint(j, "aborts", r->aborts);
    rl__json_uint(j, "bills_applied", r->billed);
    rl__json_uint(j, "bills_refused", r->failed);
    if (r->failed) {
        rl__json_str(j, "first_error", rl_errname(r->first_error));
        rl__json_str(j, "first_error_merchant", r->error_merchant);
        rl__json_str(j, "first_error_customer", r->error_customer);
        if (r->error_detail[0])
            rl__json_str(j, "first_error_detail", r->error_detail);
        rl__json_uint(j, "bills_lost_connection", r->lost_connection);
        rl__json_bool(j, "consistent", r->consistent);
        rl__json_uint(j, "bills_unknown", r->unknown);
        rl__json_array(j, "bills_not_applied");
        for (size_t i = 0; i < r->nbills; i++) {
            const rl_run_bill *b = &r->bills[i];
            if (b->outcome == RL_OK)
                continue;
            rl__json_object(j, NULL);
            rl__json_str(j, "merchant", b->merchant);
            rl__json_str(j, "customer", b->customer);
            rl__json_int(j, "amount", b->amount);
            rl__json_str(j, "outcome", b->outcome == RL_EUNKNOWN ? "unknown" : "not applied");
            rl__json_str(j, "error", rl_errname(b->outcome));
            rl__json_end(j, '}');
        }
        rl__json_end(j, ']');
    }
    rl__json_uint(j, "wall_ns", r->wall_ns);
}

/* The customers of merchant m's bills with outcome class k: 0 applied,
 * 1 not applied, 2 unknown. */
static void list(FILE *f, const rl_run_result *r, const char *m, int k) {
    bool first = true;
    for (size_t i = 0; i < r->nbills; i++) {
        const rl_run_bill *b = &r->bills[i];
        int cls = b->outcome == RL_OK ? 0 : b->outcome == RL_EUNKNOWN ? 2 : 1;
        if (strcmp(b->merchant, m) != 0 || cls != k)
            continue;
        fprintf(f, "%s%s %+" PRId64, first ? "" : ", ", b->customer, b->amount);
        first = false;
    }
    if (first)
        fputs("none", f);
}

void rl_report_faults(FILE *f, const rl_run_result *r) {
    if (!r->lost_connection && !r->unknown)
        return;
    for (size_t i = 0; i < r->nbills; i++) {
        const rl_run_bill *b = &r->bills[i];
        bool hit = b->outcome == RL_ECONN || b->outcome == RL_EUNKNOWN;
        bool seen = false; /* report each merchant once, at its first bill */
        for (size_t k = 0; hit && k < i; k++)
            seen |= strcmp(r->bills[k].merchant, b->merchant) == 0 &&
                    (r->bills[k].outcome == RL_ECONN || r->bills[k].outcome == RL_EUNKNOWN);
        if (!hit || seen)
            continue;
        fprintf(f, "%s lost its database connection.\n  applied:     ", b->merchant);
        list(f, r, b->merchant, 0);
        fputs("\n  not applied: ", f);
        list(f, r, b->merchant, 1);
        fputs("\n  unknown:     ", f);
        list(f, r, b->merchant, 2);
        fputc('\n', f);
    }
    if (r->consistent)
        fprintf(f, "The database is consistent: every balance is its start plus exactly the "
                   "bills applied%s.\n",
                r->unknown ? " (and some of the unknown ones)" : "");
    else
        fprintf(f, "The database is NOT consistent with the bills reported applied.\n");
}

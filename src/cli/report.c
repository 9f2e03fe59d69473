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
    if (any_retries) {
        fprintf(f, "%-31s", "retries");
        for (size_t r = 0; r < nruns; r++)
            fprintf(f, "   %*" PRIu64 "  ", COL - 2, runs[r]->retries);
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

void rl_report_json_run(rl_json *j, const rl_run_result *r) {
    rl_json_bool(j, "matches_expected", r->matches);
    rl_json_array(j, "customers");
    for (size_t c = 0; c < r->ncustomers; c++) {
        const rl_run_row *row = &r->rows[c];
        rl_json_object(j, NULL);
        rl_json_str(j, "name", row->customer);
        rl_json_int(j, "start", row->start);
        rl_json_int(j, "expected", row->expected);
        rl_json_int(j, "final", row->final);
        rl_json_bool(j, "ok", row->final == row->expected);
        rl_json_end(j, '}');
    }
    rl_json_end(j, ']');
    rl_json_uint(j, "lost_updates", r->lost_updates);
    rl_json_uint(j, "retries", r->retries);
    rl_json_uint(j, "bills_applied", r->billed);
    rl_json_uint(j, "bills_refused", r->failed);
    if (r->failed) {
        rl_json_str(j, "first_error", rl_errname(r->first_error));
        rl_json_str(j, "first_error_merchant", r->error_merchant);
        rl_json_str(j, "first_error_customer", r->error_customer);
    }
    rl_json_uint(j, "wall_ns", r->wall_ns);
}

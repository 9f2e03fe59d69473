/* asserts.c - the test assertions that print what they compared (see
 * testing.h). */
#include <inttypes.h>

#include "racelab/error.h"
#include "testing.h"

void rl_test_fail_ints(const char *a_expr, const char *op, const char *b_expr, intmax_t a,
                       intmax_t b, const char *file, int line) {
    print_error("%s %s %s: %" PRIdMAX " %s %" PRIdMAX "\n", a_expr, op, b_expr, a,
                op[0] == '=' ? "!=" : "==", b);
    _fail(file, line);
}

void rl_test_fail_errs(const char *a_expr, const char *b_expr, int a, int b, const char *file,
                       int line) {
    print_error("%s == %s: got %s (%s), want %s (%s)\n", a_expr, b_expr, rl_errname((rl_err)a),
                rl_strerror((rl_err)a), rl_errname((rl_err)b), rl_strerror((rl_err)b));
    _fail(file, line);
}

/* testing.h - what every racelab test includes: cmocka and the helpers. */
#ifndef RACELAB_TESTING_H
#define RACELAB_TESTING_H

/* cmocka needs these first */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

/* cmocka prints the integers it compares in hex (a balance of -500
 * against 700 reads 0xfffffffffffffe0c != 0x2bc). These print them in
 * decimal, with the two expressions; assert_err_equal prints both error
 * names and sentences. (Unsigned values above INT64_MAX print as negative;
 * equality is exact either way.) */
#include <stdint.h>
void rl_test_fail_ints(const char *a_expr, const char *op, const char *b_expr, intmax_t a,
                       intmax_t b, const char *file, int line);
void rl_test_fail_errs(const char *a_expr, const char *b_expr, int a, int b, const char *file,
                       int line);
#undef assert_int_equal
#define assert_int_equal(a, b)                                                                     \
    do {                                                                                           \
        intmax_t a_ = (intmax_t)(a), b_ = (intmax_t)(b);                                           \
        if (a_ != b_)                                                                              \
            rl_test_fail_ints(#a, "==", #b, a_, b_, __FILE__, __LINE__);                           \
    } while (0)
#undef assert_int_not_equal
#define assert_int_not_equal(a, b)                                                                 \
    do {                                                                                           \
        intmax_t a_ = (intmax_t)(a), b_ = (intmax_t)(b);                                           \
        if (a_ == b_)                                                                              \
            rl_test_fail_ints(#a, "!=", #b, a_, b_, __FILE__, __LINE__);                           \
    } while (0)
#define assert_err_equal(a, b)                                                                     \
    do {                                                                                           \
        int a_ = (int)(a), b_ = (int)(b);                                                          \
        if (a_ != b_)                                                                              \
            rl_test_fail_errs(#a, #b, a_, b_, __FILE__, __LINE__);                                 \
    } while (0)

#include "racelab/explore.h"

#include <stdbool.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

/* The outcome of running this test executable again as a child. */
typedef struct rl_child {
    int exit_code; /* exit status, or -1 when killed by a signal */
    int signal;    /* the signal, or 0 */
    char *out;     /* everything it wrote to stdout, NUL-terminated */
    char *err;     /* and to stderr */
} rl_child;

/* Run /proc/self/exe with "--child" NAME as its arguments, wait for it and
 * capture its output. Fails the test if it cannot be started. */
void rl_test_child(const char *name, rl_child *out);
void rl_child_free(rl_child *c);
/* Run fn(arg) in a forked child (no exec: cheap under a sanitizer), its
 * stdout and stderr captured, its return value the exit code. */
void rl_test_fork(int (*fn)(void *arg), void *arg, rl_child *out);

/* In main(): if argv asks for a child, run the matching function and exit
 * with its return value. Children are listed as {name, fn} pairs. */
typedef struct rl_child_case {
    const char *name;
    int (*fn)(void);
} rl_child_case;
void rl_test_dispatch_child(int argc, char **argv, const rl_child_case *cases, size_t n);
/* Run child `name` and assert it died of racelab's fatal error (SIGABRT,
 * "racelab: fatal: " and message on stderr). */
void rl_test_expect_fatal(const char *name, const char *message);

#define RL_CHILDREN(...)                                                                           \
    static const rl_child_case rl_children_[] = {__VA_ARGS__};                                     \
    enum { rl_nchildren_ = sizeof rl_children_ / sizeof rl_children_[0] }

/* Run strategy s serially, concurrently, and concurrently under the
 * lockstep gate (delay_ns for the unforced runs), and assert each ends
 * with the exercise's expected table, hard-coded here as it asks:
 * Dave 275, Susan 1700, Mike -500, Steve 525, James -5032, no lost update. */
struct rl_strategy;
void rl_test_strategy_gives_the_table(const struct rl_strategy *s, uint64_t delay_ns);
/* The same on the bank `bank` names (NULL: memory); without forced, only
 * the serial and the free-running concurrent runs (for a caller that checks
 * the forced run with the same assertions itself). */
void rl_test_strategy_gives_the_table_on(const struct rl_strategy *s, uint64_t delay_ns,
                                         const char *bank, bool forced);

/* Explore t with o; fails the test, saying why, when the exploration
 * itself cannot run. Free the result with rl_explore_result_free. */
rl_explore_result rl_test_explore(const rl_target *t, rl_explore_opts o);
/* racelab's target spec of that size (0: the scenario's default); fails
 * the test when spec names none. */
rl_target rl_test_target(const char *spec, unsigned merchants, unsigned customers,
                         unsigned threads);

/* PostgreSQL, from the server CTest's fixture started. Each fails the
 * test, saying why, when there is no server: such a test never passes
 * without one. */
char *rl_test_pg_base(void);                 /* its connection string (malloc) */
char *rl_test_pg_fresh(const char *dbname);  /* a new, empty database (malloc) */
void rl_test_pg_sql(const char *conninfo, const char *sql); /* run a statement */

/* Assert that haystack contains needle, printing both when it does not. */
/* A test program that cannot run in this build (it needs another one)
 * returns this from main: CTest reports it "skipped", never "passed"
 * (SKIP_RETURN_CODE, set for every test in CMakeLists.txt). */
#define RL_TEST_SKIPPED 77

/* A cmocka unit test with a timeout of its own: if f has not returned
 * after RACELAB_TEST_TIMEOUT seconds (default 120), the program names it
 * on stderr and aborts, instead of hanging until CTest kills the whole
 * program without saying which test hung. f's state starts as its name. */
#define rl_unit_test(f)                                                                            \
    cmocka_unit_test_prestate_setup_teardown(f, rl_test_arm, rl_test_disarm, (void *)#f)
/* The same for a test of a group whose setup hands every test its state:
 * the timeout names no test (the last "[ RUN ]" line does). */
#define rl_group_test(f) cmocka_unit_test_setup_teardown(f, rl_test_arm_in_group, rl_test_disarm)
int rl_test_arm(void **state);
int rl_test_arm_in_group(void **state);
int rl_test_disarm(void **state);

#define assert_contains(haystack, needle)                                                          \
    do {                                                                                           \
        const char *h_ = (haystack), *n_ = (needle);                                               \
        if (!h_ || !strstr(h_, n_))                                                                \
            fail_msg("expected to find \"%s\" in:\n%s", n_, h_ ? h_ : "(null)");                   \
    } while (0)

#define assert_not_contains(haystack, needle)                                                      \
    do {                                                                                           \
        const char *h_ = (haystack), *n_ = (needle);                                               \
        if (h_ && strstr(h_, n_))                                                                  \
            fail_msg("did not expect \"%s\" in:\n%s", n_, h_);                                     \
    } while (0)

#endif

/* timeout.c - a timeout per cmocka test (see rl_unit_test in testing.h). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "testing.h"

static const char *running;     /* the test the alarm is armed for */
static struct timespec started; /* when it was armed, for RACELAB_TEST_TIMES */

static void timed_out(int sig) {
    (void)sig;
    /* async-signal-safe: write and abort only */
    static const char head[] = "\nracelab test: ", tail[] = " did not finish within its "
                                                            "timeout (RACELAB_TEST_TIMEOUT "
                                                            "seconds, default 120): a hang\n";
    ssize_t w = write(STDERR_FILENO, head, sizeof head - 1);
    if (running)
        w = write(STDERR_FILENO, running, strlen(running));
    w = write(STDERR_FILENO, tail, sizeof tail - 1);
    (void)w;
    abort();
}

static unsigned timeout_seconds(void) {
    const char *env = getenv("RACELAB_TEST_TIMEOUT");
    char *end;
    unsigned long v = env ? strtoul(env, &end, 10) : 0;
    return env && *env && !*end && v > 0 && v < 86400 ? (unsigned)v : 120;
}

static void arm(const char *name) {
    running = name;
    clock_gettime(CLOCK_MONOTONIC, &started);
    signal(SIGALRM, timed_out);
    alarm(timeout_seconds());
}

int rl_test_arm(void **state) {
    arm(*state); /* rl_unit_test passes the test's name as its first state */
    return 0;
}

int rl_test_arm_in_group(void **state) {
    (void)state; /* the group's, for the test */
    arm("the test of the last [ RUN ] line");
    return 0;
}

int rl_test_disarm(void **state) {
    (void)state;
    alarm(0);
    /* RACELAB_TEST_TIMES set: each test's wall time, to find the slow ones */
    if (getenv("RACELAB_TEST_TIMES") && running) {
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        double s = (double)(now.tv_sec - started.tv_sec) +
                   (double)(now.tv_nsec - started.tv_nsec) / 1e9;
        fprintf(stderr, "[  TIME    ] %s: %.2f s\n", running, s);
    }
    running = NULL;
    return 0;
}

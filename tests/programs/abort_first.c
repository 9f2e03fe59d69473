/* abort_first.c - a thread checks a flag another thread sets, with
 * assert (or, with the argument raise, by raising SIGABRT itself).
 * Natively either may go first: the check passes (exit 0) or the process
 * dies of SIGABRT. In racelab's default order the checker runs first and
 * dies before the setter has made any step; the assertion's abort is
 * inside libc, where racelab sees no call. Known answer: both ends are
 * reachable, and the reduced search (built by racelab cc) must reach
 * both: the step the process died in depends on every step, and what the
 * setter would have done next races with it; and a raised signal kills
 * as it would without racelab. */
#undef NDEBUG /* the assertion is the point, whatever the build type */
#include <assert.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

static int ready;
static int raising;

static void *checker(void *arg) {
    (void)arg;
    if (raising) {
        if (ready != 1)
            raise(SIGABRT); /* no assertion after it: the raise alone must kill */
        return NULL;
    }
    assert(ready == 1);
    return NULL;
}

static void *setter(void *arg) {
    (void)arg;
    ready = 1;
    return NULL;
}

int main(int argc, char **argv) {
    raising = argc > 1 && strcmp(argv[1], "raise") == 0;
    pthread_t c, s;
    pthread_create(&c, NULL, checker, NULL);
    pthread_create(&s, NULL, setter, NULL);
    pthread_join(c, NULL);
    pthread_join(s, NULL);
    printf("checked\n");
    return 0;
}

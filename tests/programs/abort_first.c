/* abort_first.c - a thread checks a flag another thread sets, with
 * assert. Natively either may go first: the check passes (exit 0) or the
 * assertion fails (SIGABRT). In racelab's default order the checker runs
 * first and dies before the setter has made any step; the assertion's
 * abort is inside libc, where racelab sees no call. Known answer: both
 * ends are reachable, and the reduced search (built by racelab cc) must
 * reach both: the step the process died in depends on every step, and
 * what the setter would have done next races with it. */
#undef NDEBUG /* the assertion is the point, whatever the build type */
#include <assert.h>
#include <pthread.h>
#include <stdio.h>

static int ready;

static void *checker(void *arg) {
    (void)arg;
    assert(ready == 1);
    return NULL;
}

static void *setter(void *arg) {
    (void)arg;
    ready = 1;
    return NULL;
}

int main(void) {
    pthread_t c, s;
    pthread_create(&c, NULL, checker, NULL);
    pthread_create(&s, NULL, setter, NULL);
    pthread_join(c, NULL);
    pthread_join(s, NULL);
    printf("checked\n");
    return 0;
}

/* trylock_held.c - one thread locks a mutex and unlocks it at once, with
 * nothing racelab sees in between; another try-locks it. Natively the
 * try-lock may come while the mutex is held and fail. Known answer: both
 * outcomes, "got 1" (taken) and "got 2" (busy), are reachable; racelab
 * once never tried the lock between the two calls (an unlock was not a
 * step of its own), so it reported "got 1" alone. */
#include <pthread.h>
#include <stdio.h>

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static volatile long inside; /* work under the lock, of no interest to racelab */
static long got;

static void *holder(void *arg) {
    pthread_mutex_lock(&m);
    inside++;
    pthread_mutex_unlock(&m);
    return arg;
}

static void *trier(void *arg) {
    if (pthread_mutex_trylock(&m) == 0) {
        got = 1;
        pthread_mutex_unlock(&m);
    } else {
        got = 2;
    }
    return arg;
}

int main(void) {
    pthread_t a, b;
    pthread_create(&a, NULL, holder, NULL);
    pthread_create(&b, NULL, trier, NULL);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    printf("got %ld\n", got);
    return 0;
}

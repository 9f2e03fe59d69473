/* trylock_held.c - one thread takes a lock and releases it at once, with
 * nothing racelab sees in between; another tries it. Natively the try may
 * come while the lock is held and fail. Known answer: both outcomes, "got
 * 1" (taken) and "got 2" (busy), are reachable; racelab once never tried
 * the lock between the two calls (a release was not a step of its own),
 * so it reported "got 1" alone.
 *
 * Usage: trylock_held [mutex|rwlock|spin]   (a mutex by default; rwlock:
 * a writer, and a reader's try; spin: a spin lock) */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
static pthread_spinlock_t spin;
static enum { MUTEX, RWLOCK, SPIN } kind = MUTEX;
static volatile long inside; /* work under the lock, of no interest to racelab */
static long got;

static void *holder(void *arg) {
    if (kind == MUTEX) {
        pthread_mutex_lock(&m);
        inside++;
        pthread_mutex_unlock(&m);
    } else if (kind == RWLOCK) {
        pthread_rwlock_wrlock(&rw);
        inside++;
        pthread_rwlock_unlock(&rw);
    } else {
        pthread_spin_lock(&spin);
        inside++;
        pthread_spin_unlock(&spin);
    }
    return arg;
}

static void *trier(void *arg) {
    int rc = kind == MUTEX    ? pthread_mutex_trylock(&m)
             : kind == RWLOCK ? pthread_rwlock_tryrdlock(&rw)
                              : pthread_spin_trylock(&spin);
    got = rc == 0 ? 1 : 2;
    if (rc == 0) {
        if (kind == MUTEX)
            pthread_mutex_unlock(&m);
        else if (kind == RWLOCK)
            pthread_rwlock_unlock(&rw);
        else
            pthread_spin_unlock(&spin);
    }
    return arg;
}

int main(int argc, char **argv) {
    if (argc > 1)
        kind = strcmp(argv[1], "rwlock") == 0 ? RWLOCK : strcmp(argv[1], "spin") == 0 ? SPIN : MUTEX;
    pthread_spin_init(&spin, PTHREAD_PROCESS_PRIVATE);
    pthread_t a, b;
    pthread_create(&a, NULL, holder, NULL);
    pthread_create(&b, NULL, trier, NULL);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    printf("got %ld\n", got);
    return 0;
}

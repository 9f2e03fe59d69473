/* sequential_threads.c - 100 threads, each created and joined before the
 * next: never more than two alive. Known answer: it passes; racelab's
 * limit counts the threads that may still be joined (64), not every thread
 * ever created, so it is explored (it was refused). */
#include <pthread.h>
#include <stdio.h>

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static int count;

static void *add(void *arg) {
    pthread_mutex_lock(&m);
    count++;
    pthread_mutex_unlock(&m);
    return arg;
}

int main(void) {
    for (int i = 0; i < 100; i++) {
        pthread_t t;
        pthread_create(&t, NULL, add, NULL);
        pthread_join(t, NULL);
    }
    printf("count %d\n", count);
    return count == 100 ? 0 : 1;
}

/* static_threads.c - two threads add under a lock; built with -static, so
 * no LD_PRELOAD library is ever loaded into it. Known answer: it passes
 * natively, and racelab refuses it (exit 3) rather than prove what it
 * never saw. */
#include <pthread.h>
#include <stdio.h>

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static int total;

static void *add(void *arg) {
    (void)arg;
    pthread_mutex_lock(&m);
    total++;
    pthread_mutex_unlock(&m);
    return NULL;
}

int main(void) {
    pthread_t a, b;
    pthread_create(&a, NULL, add, NULL);
    pthread_create(&b, NULL, add, NULL);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    printf("total %d\n", total);
    return total == 2 ? 0 : 1;
}

/* crash.c - a thread dereferences a pointer the other clears: one order
 * crashes with SIGSEGV. Known answer: racelab reports the crash. */
#include <pthread.h>
#include <stdio.h>

static int value = 7;
static int *volatile p = &value;
static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;

static void *reader(void *arg) {
    (void)arg;
    pthread_mutex_lock(&m);
    int *q = p;
    pthread_mutex_unlock(&m);
    printf("read %d\n", *q);
    return NULL;
}

static void *clearer(void *arg) {
    (void)arg;
    pthread_mutex_lock(&m);
    p = NULL;
    pthread_mutex_unlock(&m);
    return NULL;
}

int main(void) {
    pthread_t a, b;
    pthread_create(&a, NULL, reader, NULL);
    pthread_create(&b, NULL, clearer, NULL);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    return 0;
}

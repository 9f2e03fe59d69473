/* deadlock.c - two threads take two locks in opposite orders. Natively the
 * first usually finishes before the second starts. Known answer: racelab
 * finds the deadlock and names who waits for what. */
#include <pthread.h>
#include <stdio.h>

static pthread_mutex_t lock_a = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t lock_b = PTHREAD_MUTEX_INITIALIZER;
static int transfers;

static void *a_then_b(void *arg) {
    (void)arg;
    pthread_mutex_lock(&lock_a);
    pthread_mutex_lock(&lock_b);
    transfers++;
    pthread_mutex_unlock(&lock_b);
    pthread_mutex_unlock(&lock_a);
    return NULL;
}

static void *b_then_a(void *arg) {
    (void)arg;
    pthread_mutex_lock(&lock_b);
    pthread_mutex_lock(&lock_a);
    transfers++;
    pthread_mutex_unlock(&lock_a);
    pthread_mutex_unlock(&lock_b);
    return NULL;
}

int main(void) {
    pthread_t x, y;
    pthread_create(&x, NULL, a_then_b, NULL);
    pthread_create(&y, NULL, b_then_a, NULL);
    pthread_join(x, NULL);
    pthread_join(y, NULL);
    printf("%d transfers\n", transfers);
    return 0;
}

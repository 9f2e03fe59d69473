/* lost_wakeup.c - a condition wait with no predicate: the consumer waits
 * without first checking whether the producer already signalled. If the
 * producer signals first, nobody is waiting and the wake-up is lost.
 * Natively the consumer usually waits first. Known answer: racelab finds
 * the deadlock. */
#include <pthread.h>
#include <stdio.h>

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ready = PTHREAD_COND_INITIALIZER;
static int item;

static void *consumer(void *arg) {
    (void)arg;
    pthread_mutex_lock(&m);
    pthread_cond_wait(&ready, &m); /* should be: while (!item) wait */
    printf("consumed %d\n", item);
    pthread_mutex_unlock(&m);
    return NULL;
}

static void *producer(void *arg) {
    (void)arg;
    pthread_mutex_lock(&m);
    item = 42;
    pthread_cond_signal(&ready);
    pthread_mutex_unlock(&m);
    return NULL;
}

int main(void) {
    pthread_t c, p;
    pthread_create(&c, NULL, consumer, NULL);
    pthread_create(&p, NULL, producer, NULL);
    pthread_join(c, NULL);
    pthread_join(p, NULL);
    return 0;
}

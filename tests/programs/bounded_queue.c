/* bounded_queue.c - a correct bounded queue: one mutex, two conditions,
 * every wait in a loop on its predicate. Two producers and a consumer
 * pass 4 items through 2 slots. Known answer: correct in every schedule. */
#include <assert.h>
#include <pthread.h>
#include <stdio.h>

#define SLOTS 2
#define ITEMS 2 /* per producer */

static int buf[SLOTS], head, count, sum;
static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t not_full = PTHREAD_COND_INITIALIZER, not_empty = PTHREAD_COND_INITIALIZER;

static void put(int v) {
    pthread_mutex_lock(&m);
    while (count == SLOTS)
        pthread_cond_wait(&not_full, &m);
    buf[(head + count++) % SLOTS] = v;
    pthread_cond_signal(&not_empty);
    pthread_mutex_unlock(&m);
}

static int take(void) {
    pthread_mutex_lock(&m);
    while (count == 0)
        pthread_cond_wait(&not_empty, &m);
    int v = buf[head];
    head = (head + 1) % SLOTS;
    count--;
    pthread_cond_signal(&not_full);
    pthread_mutex_unlock(&m);
    return v;
}

static void *producer(void *arg) {
    for (int i = 1; i <= ITEMS; i++)
        put((int)(long)arg * i);
    return NULL;
}

static void *consumer(void *arg) {
    (void)arg;
    for (int i = 0; i < 2 * ITEMS; i++)
        sum += take();
    return NULL;
}

int main(void) {
    pthread_t p1, p2, c;
    pthread_create(&c, NULL, consumer, NULL);
    pthread_create(&p1, NULL, producer, (void *)1L);
    pthread_create(&p2, NULL, producer, (void *)10L);
    pthread_join(p1, NULL);
    pthread_join(p2, NULL);
    pthread_join(c, NULL);
    printf("sum %d\n", sum);
    assert(sum == 1 + 2 + 10 + 20);
    return 0;
}

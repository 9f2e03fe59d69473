/* fifo_signal.c - two customers wait on one condition for a turn; the
 * cashier waits until both wait, then gives one turn with a signal and
 * asserts that the customer who waited first was served first. pthreads
 * promise no such order: a signal wakes some waiter. Natively glibc
 * usually wakes the first. Known answer: racelab finds the assertion
 * failure, by waking the later waiter. */
#include <assert.h>
#include <pthread.h>
#include <stdio.h>

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t turn = PTHREAD_COND_INITIALIZER, arrived = PTHREAD_COND_INITIALIZER;
static int waiting, turns, served;
static long order_waited[2], order_served[2];

static void *customer(void *arg) {
    long me = (long)arg;
    pthread_mutex_lock(&m);
    order_waited[waiting++] = me;
    pthread_cond_signal(&arrived);
    while (turns == 0)
        pthread_cond_wait(&turn, &m);
    turns--;
    order_served[served++] = me;
    pthread_cond_signal(&arrived);
    pthread_mutex_unlock(&m);
    return NULL;
}

int main(void) {
    pthread_t a, b;
    pthread_create(&a, NULL, customer, (void *)1L);
    pthread_create(&b, NULL, customer, (void *)2L);
    pthread_mutex_lock(&m);
    while (waiting < 2)
        pthread_cond_wait(&arrived, &m);
    turns = 1;
    pthread_cond_signal(&turn);
    while (served < 1)
        pthread_cond_wait(&arrived, &m);
    printf("waited first: %ld, served first: %ld\n", order_waited[0], order_served[0]);
    assert(order_served[0] == order_waited[0]); /* the bug: FIFO assumed */
    turns = 1;
    pthread_cond_signal(&turn);
    pthread_mutex_unlock(&m);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    return 0;
}

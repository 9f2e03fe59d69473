/* billing_locked.c - the same billing with a lock per customer held across
 * read, wait and write. Known answer: correct in every schedule. */
#include <assert.h>
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

#define CUSTOMERS 2
static long balance[CUSTOMERS] = {400, 1200};
static pthread_mutex_t lock[CUSTOMERS] = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER};

static void *merchant(void *arg) {
    long bill = (long)arg;
    for (int c = 0; c < CUSTOMERS; c++) {
        pthread_mutex_lock(&lock[c]);
        long read = balance[c];
        usleep(1000);
        balance[c] = read + bill;
        pthread_mutex_unlock(&lock[c]);
    }
    return NULL;
}

int main(void) {
    pthread_t a, b;
    pthread_create(&a, NULL, merchant, (void *)-25L);
    pthread_create(&b, NULL, merchant, (void *)100L);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    printf("balances %ld %ld\n", balance[0], balance[1]);
    assert(balance[0] == 475 && balance[1] == 1275);
    return 0;
}

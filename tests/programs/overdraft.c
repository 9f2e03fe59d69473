/* overdraft.c - check-then-act under two different locks: the funds are
 * checked under one lock and taken under another, so two buyers can both
 * pass the check. Known answer: racelab finds the overdraft. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static long coins = 50;
static pthread_mutex_t check_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t take_lock = PTHREAD_MUTEX_INITIALIZER;

static void *buy(void *arg) {
    long price = (long)arg;
    pthread_mutex_lock(&check_lock);
    int enough = coins >= price;
    pthread_mutex_unlock(&check_lock);
    if (enough) {
        pthread_mutex_lock(&take_lock);
        coins -= price;
        pthread_mutex_unlock(&take_lock);
    }
    return NULL;
}

int main(void) {
    pthread_t a, b;
    pthread_create(&a, NULL, buy, (void *)40L);
    pthread_create(&b, NULL, buy, (void *)20L);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    printf("coins left: %ld\n", coins);
    if (coins < 0) {
        fprintf(stderr, "overdraft: %ld coins\n", coins);
        return 1;
    }
    return 0;
}

/* billing_locked.c - the same billing with a lock per customer held across
 * read, wait and write. Known answer: correct in every schedule.
 *
 *   billing_locked [MERCHANTS CUSTOMERS]   (default 2 2; at most 5 5)
 *
 * Merchant m bills every customer AMOUNT[m]; customer c starts at
 * START[c] (the exercise's data). */
#include <assert.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define MAX 5
static const long START[MAX] = {400, 1200, 1000, 300, -32};
static const long AMOUNT[MAX] = {-25, 100, -300, 45, -1000};
static long balance[MAX];
static pthread_mutex_t lock[MAX];
static int customers = 2;

static void *merchant(void *arg) {
    long bill = (long)arg;
    for (int c = 0; c < customers; c++) {
        pthread_mutex_lock(&lock[c]);
        long read = balance[c];
        usleep(1000);
        balance[c] = read + bill;
        pthread_mutex_unlock(&lock[c]);
    }
    return NULL;
}

int main(int argc, char **argv) {
    int merchants = argc > 2 ? atoi(argv[1]) : 2;
    customers = argc > 2 ? atoi(argv[2]) : 2;
    if (merchants < 1 || merchants > MAX || customers < 1 || customers > MAX) {
        fprintf(stderr, "usage: billing_locked [MERCHANTS CUSTOMERS] (1 to 5 each)\n");
        return 2;
    }
    for (int c = 0; c < customers; c++) {
        balance[c] = START[c];
        pthread_mutex_init(&lock[c], NULL);
    }
    pthread_t t[MAX];
    for (int m = 0; m < merchants; m++)
        pthread_create(&t[m], NULL, merchant, (void *)AMOUNT[m]);
    for (int m = 0; m < merchants; m++)
        pthread_join(t[m], NULL);
    long billed = 0;
    for (int m = 0; m < merchants; m++)
        billed += AMOUNT[m];
    printf("balances");
    for (int c = 0; c < customers; c++)
        printf(" %ld", balance[c]);
    printf("\n");
    for (int c = 0; c < customers; c++)
        assert(balance[c] == START[c] + billed);
    return 0;
}

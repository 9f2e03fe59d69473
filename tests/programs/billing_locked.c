/* billing_locked.c - the same billing with a lock per customer held across
 * read, wait and write. Known answer: correct in every schedule.
 *
 *   billing_locked [MERCHANTS CUSTOMERS [order]]   (default 2 2; 5 5 at most)
 *
 * Merchant m bills every customer AMOUNT[m]; customer c starts at
 * START[c] (the exercise's data). With `order` it prints, instead of the
 * balances, the order each customer's lock was taken in (a letter per
 * merchant): every order of each lock's sections is reachable,
 * (MERCHANTS!)^CUSTOMERS final states ("AB BA": A billed the first
 * customer first, B the second). The reduced search used to miss some of
 * them: a sleep inside a section was a step dependent on every other,
 * which put the other merchant's lock after this one's in every run it
 * analysed. */
#include <assert.h>
#include <stdbool.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX 5
static const long START[MAX] = {400, 1200, 1000, 300, -32};
static const long AMOUNT[MAX] = {-25, 100, -300, 45, -1000};
static long balance[MAX];
static char order[MAX][MAX + 1]; /* who took each lock, in turn */
static int taken[MAX];
static pthread_mutex_t lock[MAX];
static int customers = 2;

static void *merchant(void *arg) {
    long m = (long)arg;
    for (int c = 0; c < customers; c++) {
        pthread_mutex_lock(&lock[c]);
        long read = balance[c];
        usleep(1000);
        balance[c] = read + AMOUNT[m];
        order[c][taken[c]++] = (char)('A' + m);
        pthread_mutex_unlock(&lock[c]);
    }
    return NULL;
}

int main(int argc, char **argv) {
    int merchants = argc > 2 ? atoi(argv[1]) : 2;
    customers = argc > 2 ? atoi(argv[2]) : 2;
    bool show_order = argc > 3 && strcmp(argv[3], "order") == 0;
    if (merchants < 1 || merchants > MAX || customers < 1 || customers > MAX) {
        fprintf(stderr, "usage: billing_locked [MERCHANTS CUSTOMERS [order]] (1 to 5 each)\n");
        return 2;
    }
    for (int c = 0; c < customers; c++) {
        balance[c] = START[c];
        pthread_mutex_init(&lock[c], NULL);
    }
    pthread_t t[MAX];
    for (long m = 0; m < merchants; m++)
        pthread_create(&t[m], NULL, merchant, (void *)m);
    for (int m = 0; m < merchants; m++)
        pthread_join(t[m], NULL);
    long billed = 0;
    for (int m = 0; m < merchants; m++)
        billed += AMOUNT[m];
    printf("%s", show_order ? "order" : "balances");
    for (int c = 0; c < customers; c++)
        if (show_order)
            printf(" %s", order[c]);
        else
            printf(" %ld", balance[c]);
    printf("\n");
    for (int c = 0; c < customers; c++)
        assert(balance[c] == START[c] + billed);
    return 0;
}

/* lock_order.c - merchants take each customer's lock in turn and sleep
 * inside it, as the billing does; each section writes its merchant's
 * letter, so the final state is the order every lock was taken in.
 *
 *   lock_order [MERCHANTS CUSTOMERS]   (default 2 2; at most 5 5)
 *
 * Known answer, built by racelab cc: every order of each lock's sections
 * is reachable, (MERCHANTS!)^CUSTOMERS states ("AB BA" for two merchants
 * and two customers: A took the first lock first, B the second). The
 * reduced search used to miss some: a sleep inside a section was a step
 * dependent on every other, which put the other merchant's lock after
 * this one's in every run it analysed. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define MAX 5
static char order[MAX][MAX + 1];
static int taken[MAX];
static pthread_mutex_t lock[MAX];
static int customers = 2;

static void *merchant(void *arg) {
    long me = (long)arg;
    for (int c = 0; c < customers; c++) {
        pthread_mutex_lock(&lock[c]);
        int n = taken[c];
        usleep(1000);
        order[c][n] = (char)('A' + me);
        taken[c] = n + 1;
        pthread_mutex_unlock(&lock[c]);
    }
    return NULL;
}

int main(int argc, char **argv) {
    int merchants = argc > 2 ? atoi(argv[1]) : 2;
    customers = argc > 2 ? atoi(argv[2]) : 2;
    if (merchants < 1 || merchants > MAX || customers < 1 || customers > MAX) {
        fprintf(stderr, "usage: lock_order [MERCHANTS CUSTOMERS] (1 to 5 each)\n");
        return 2;
    }
    for (int c = 0; c < customers; c++)
        pthread_mutex_init(&lock[c], NULL);
    pthread_t t[MAX];
    for (long m = 0; m < merchants; m++)
        pthread_create(&t[m], NULL, merchant, (void *)m);
    for (int m = 0; m < merchants; m++)
        pthread_join(t[m], NULL);
    for (int c = 0; c < customers; c++)
        printf("%s%s", c ? " " : "", order[c]);
    printf("\n");
    return 0;
}

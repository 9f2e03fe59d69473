/* billing.c - two merchants bill one customer: read the balance, wait for
 * the card network, write balance + bill. Natively the wait lines them up
 * one way or the other and this usually prints 350; one interleaving
 * loses a bill. Known answer: racelab finds it (the assert fails). */
#include <assert.h>
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

static long balance = 400;

static void *merchant(void *arg) {
    long bill = (long)arg;
    long read = balance;   /* read */
    usleep(1000);          /* the card network */
    balance = read + bill; /* write */
    return NULL;
}

int main(void) {
    pthread_t a, b;
    pthread_create(&a, NULL, merchant, (void *)-25L);
    pthread_create(&b, NULL, merchant, (void *)-25L);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    printf("balance %ld\n", balance);
    assert(balance == 350);
    return 0;
}

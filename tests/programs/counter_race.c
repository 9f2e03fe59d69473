/* counter_race.c - two threads add one to a plain counter, without a lock:
 * each reads it and writes it back, and nothing between the two is a
 * thread call. Natively it nearly always ends at 2; once in a while one
 * addition is lost. Known answer: built plainly, racelab cannot see the
 * race (no scheduling point between the read and the write: "proved ...
 * plain memory not scheduled"); built with racelab cc (counter_race_mem),
 * every load and store is a step and the lost addition is found at one
 * preemption. */
#include <pthread.h>
#include <stdio.h>

static int counter;

static void *add_one(void *arg) {
    int seen = counter;
    counter = seen + 1;
    return arg;
}

int main(void) {
    pthread_t t;
    pthread_create(&t, NULL, add_one, NULL);
    add_one(NULL);
    pthread_join(t, NULL);
    printf("counter %d\n", counter);
    return counter == 2 ? 0 : 1;
}

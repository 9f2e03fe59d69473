/* start_order.c - the new thread sets a flag before its first pthread
 * call; main, right after creating it, reads the flag under a lock. Natively
 * main often gets there first (it fails most runs). Known answer: racelab
 * finds both outcomes, since a new thread runs nothing until the schedule
 * starts it: with no preemption at all, main goes on first and fails. */
#include <pthread.h>
#include <stdio.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int flag;

static void *child(void *arg) {
    flag = 1;
    pthread_mutex_lock(&lock);
    pthread_mutex_unlock(&lock);
    return arg;
}

int main(void) {
    pthread_t t;
    pthread_create(&t, NULL, child, NULL);
    pthread_mutex_lock(&lock);
    int seen = flag;
    pthread_mutex_unlock(&lock);
    pthread_join(t, NULL);
    printf("main saw the flag %s\n", seen ? "set" : "unset");
    return seen ? 0 : 1;
}

/* yield_spin.c - a thread yields until a flag nobody sets: a real livelock
 * (natively it spins forever). Known answer: racelab reports a livelock at
 * --max-steps naming the spinner, and its long trace is named quickly
 * (each source line looked up once). */
#include <pthread.h>
#include <sched.h>

static volatile int flag;

static void *spin(void *arg) {
    while (!flag)
        sched_yield();
    return arg;
}

int main(void) {
    pthread_t t;
    pthread_create(&t, NULL, spin, NULL);
    pthread_join(t, NULL);
    return 0;
}

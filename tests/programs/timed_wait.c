/* timed_wait.c - main waits for a signal with a 1 s deadline; the
 * signaller first sleeps 3 s. Natively the wait times out every run (exit
 * 1). Known answer: racelab takes no real time, but a time-out is one of
 * its choices, so it finds that run; by default (nothing forces the
 * time-out) the signal comes first. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ready = PTHREAD_COND_INITIALIZER;
static int done;

static void *signaller(void *arg) {
    sleep(3);
    pthread_mutex_lock(&m);
    done = 1;
    pthread_cond_signal(&ready);
    pthread_mutex_unlock(&m);
    return arg;
}

int main(void) {
    pthread_t t;
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += 1;
    pthread_mutex_lock(&m);
    pthread_create(&t, NULL, signaller, NULL);
    int rc = 0;
    while (!done && rc != ETIMEDOUT)
        rc = pthread_cond_timedwait(&ready, &m, &deadline);
    pthread_mutex_unlock(&m);
    pthread_join(t, NULL);
    puts(done && rc != ETIMEDOUT ? "signalled in time" : "timed out");
    return rc == ETIMEDOUT ? 1 : 0;
}

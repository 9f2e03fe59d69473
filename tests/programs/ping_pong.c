/* ping_pong.c - two threads hand a turn back and forth 600 times with two
 * semaphores, and the player takes 2 ms of real time on each turn (the
 * nanosleep system call made directly: a real sleep, no call racelab
 * schedules, as a thread computing would).
 * Correct, and every schedule takes at least 1.2 s of wall-clock time on
 * any machine, with a step every 2 ms or so. Known answer: exit 0 under
 * --schedule-timeout 1s: the limit counts time without a step, so a
 * schedule that keeps stepping is bounded by --max-steps alone (and a slow
 * or busy machine does not make it a failure). With an argument, that
 * many turns: 3000 make schedules of at least 6 s, which a search's
 * --time-limit must cut. */
#include <pthread.h>
#include <stdlib.h>
#include <semaphore.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static sem_t ping, pong;
static int turns;
static int nturns = 600; /* or the first argument */

static void *player(void *arg) {
    for (int i = 0; i < nturns; i++) {
        sem_wait(&pong);
        struct timespec two_ms = {.tv_sec = 0, .tv_nsec = 2000000};
        syscall(SYS_nanosleep, &two_ms, NULL);
        turns++;
        sem_post(&ping);
    }
    return arg;
}

int main(int argc, char **argv) {
    pthread_t t;
    if (argc > 1)
        nturns = atoi(argv[1]);
    sem_init(&ping, 0, 0);
    sem_init(&pong, 0, 0);
    pthread_create(&t, NULL, player, NULL);
    for (int i = 0; i < nturns; i++) {
        sem_post(&pong);
        sem_wait(&ping);
    }
    pthread_join(t, NULL);
    return turns != nturns;
}

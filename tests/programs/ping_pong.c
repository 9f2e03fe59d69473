/* ping_pong.c - two threads hand a turn back and forth 600 times with two
 * semaphores, and the player takes 2 ms of real time on each turn (a
 * select() with no descriptors: a real sleep, no call racelab schedules).
 * Correct, and every schedule takes at least 1.2 s of wall-clock time on
 * any machine, with a step every 2 ms or so. Known answer: exit 0 under
 * --schedule-timeout 1s: the limit counts time without a step, so a
 * schedule that keeps stepping is bounded by --max-steps alone (and a slow
 * or busy machine does not make it a failure). */
#include <pthread.h>
#include <semaphore.h>
#include <sys/select.h>

#define TURNS 600

static sem_t ping, pong;
static int turns;

static void *player(void *arg) {
    for (int i = 0; i < TURNS; i++) {
        sem_wait(&pong);
        struct timeval two_ms = {.tv_sec = 0, .tv_usec = 2000};
        select(0, NULL, NULL, NULL, &two_ms);
        turns++;
        sem_post(&ping);
    }
    return arg;
}

int main(void) {
    pthread_t t;
    sem_init(&ping, 0, 0);
    sem_init(&pong, 0, 0);
    pthread_create(&t, NULL, player, NULL);
    for (int i = 0; i < TURNS; i++) {
        sem_post(&pong);
        sem_wait(&ping);
    }
    pthread_join(t, NULL);
    return turns != TURNS;
}

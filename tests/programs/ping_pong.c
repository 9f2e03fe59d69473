/* ping_pong.c - two threads hand a turn back and forth 60,000 times with
 * two semaphores: correct, and every schedule a long one, each step a
 * switch of thread. Known answer: exit 0 under any --schedule-timeout
 * longer than a step: the limit counts time without a step, so a schedule
 * that keeps stepping is bounded by --max-steps alone and a slow (or busy)
 * machine does not make it a failure. */
#include <pthread.h>
#include <semaphore.h>

#define TURNS 60000

static sem_t ping, pong;
static int turns;

static void *player(void *arg) {
    for (int i = 0; i < TURNS; i++) {
        sem_wait(&pong);
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

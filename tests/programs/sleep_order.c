/* sleep_order.c - a sleep taken for an order. main lets the worker go,
 * then reads a value the worker writes after a short sleep, assuming the
 * sleep leaves it the time to read the old one. A sleep orders nothing:
 * main may be held up longer than the sleep (preempted, paged out), and
 * then it reads the new value. Natively that is rare; it is an ordinary
 * interleaving all the same. Known answer: racelab finds it, with one
 * preemption (main's, once it lets the worker go; the worker goes on
 * after its one sleep). It used to prove
 * this program: its fairness made a thread that slept once wait until
 * every other thread that could run had moved, so main always read first. */
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <unistd.h>

static sem_t go;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int value;

static void *worker(void *arg) {
    sem_wait(&go);
    usleep(1000);
    pthread_mutex_lock(&lock);
    value = 1;
    pthread_mutex_unlock(&lock);
    return arg;
}

int main(void) {
    pthread_t t;
    sem_init(&go, 0, 0);
    pthread_create(&t, NULL, worker, NULL);
    sem_post(&go);
    pthread_mutex_lock(&lock);
    int seen = value; /* "the worker is still asleep" */
    pthread_mutex_unlock(&lock);
    pthread_join(t, NULL);
    printf("main read %d\n", seen);
    if (seen != 0)
        printf("main read the worker's write: its sleep held nothing back\n");
    return seen != 0;
}

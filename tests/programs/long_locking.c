/* long_locking.c - two threads take and release one mutex 20,000 times
 * each: correct, and every schedule 80,000 steps long, with the other
 * thread able to go at nearly every step. Known answer: racelab's bounded
 * search keeps one copy of a schedule's choices for all the preemptions it
 * leaves along it, not one per preemption (which took 2.4 GB and most of a
 * minute per schedule for 100,000 steps). */
#include <pthread.h>

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static long count;

static void *work(void *arg) {
    for (int i = 0; i < 20000; i++) {
        pthread_mutex_lock(&m);
        count++;
        pthread_mutex_unlock(&m);
    }
    return arg;
}

int main(void) {
    pthread_t a, b;
    pthread_create(&a, NULL, work, NULL);
    pthread_create(&b, NULL, work, NULL);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    return count != 40000;
}

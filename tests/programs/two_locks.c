/* two_locks.c - two threads, each taking two locks twice: the benchmark
 * case of `racelab bench explore` for programs. Correct in every schedule. */
#include <pthread.h>

static pthread_mutex_t a = PTHREAD_MUTEX_INITIALIZER, b = PTHREAD_MUTEX_INITIALIZER;
static int counter;

static void *work(void *arg) {
    (void)arg;
    for (int i = 0; i < 2; i++) {
        pthread_mutex_lock(&a);
        pthread_mutex_lock(&b);
        counter++;
        pthread_mutex_unlock(&b);
        pthread_mutex_unlock(&a);
    }
    return NULL;
}

int main(void) {
    pthread_t x, y;
    pthread_create(&x, NULL, work, NULL);
    pthread_create(&y, NULL, work, NULL);
    pthread_join(x, NULL);
    pthread_join(y, NULL);
    return counter == 4 ? 0 : 1;
}

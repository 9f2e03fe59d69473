/* primitives.c - every other primitive the explorer models, used
 * correctly: a read-write lock, a spin lock, a semaphore, a barrier,
 * pthread_once, a recursive mutex, trylock with a fallback, and a timed
 * wait that times out. Known answer: correct in every schedule. */
#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <time.h>

static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
static pthread_spinlock_t spin;
static sem_t slots;
static pthread_barrier_t barrier;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static pthread_mutex_t rec;
static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t never = PTHREAD_COND_INITIALIZER;
static int shared, inits, spun, timeouts;

static void init(void) { inits++; }

static void *worker(void *arg) {
    (void)arg;
    pthread_once(&once, init);
    sem_wait(&slots);
    pthread_rwlock_wrlock(&rw);
    shared++;
    pthread_rwlock_unlock(&rw);
    sem_post(&slots);
    pthread_spin_lock(&spin);
    spun++;
    pthread_spin_unlock(&spin);
    pthread_mutex_lock(&rec);
    pthread_mutex_lock(&rec); /* recursive: fine */
    pthread_mutex_unlock(&rec);
    pthread_mutex_unlock(&rec);
    if (pthread_mutex_trylock(&m) != 0)
        pthread_mutex_lock(&m);
    struct timespec soon;
    clock_gettime(CLOCK_REALTIME, &soon);
    soon.tv_sec += 1;
    if (pthread_cond_timedwait(&never, &m, &soon) == ETIMEDOUT)
        timeouts++;
    pthread_mutex_unlock(&m);
    pthread_barrier_wait(&barrier);
    pthread_rwlock_rdlock(&rw);
    assert(shared == 2); /* both wrote before either passed the barrier */
    pthread_rwlock_unlock(&rw);
    return NULL;
}

int main(void) {
    pthread_spin_init(&spin, PTHREAD_PROCESS_PRIVATE);
    sem_init(&slots, 0, 1);
    pthread_barrier_init(&barrier, NULL, 2);
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
    pthread_mutex_init(&rec, &a);
    pthread_t x, y;
    pthread_create(&x, NULL, worker, NULL);
    pthread_create(&y, NULL, worker, NULL);
    pthread_join(x, NULL);
    pthread_join(y, NULL);
    printf("shared %d inits %d spun %d timeouts %d\n", shared, inits, spun, timeouts);
    assert(shared == 2 && inits == 1 && spun == 2 && timeouts == 2);
    return 0;
}

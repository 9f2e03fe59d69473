/* reduce_mix.c - small cases for partial-order reduction on programs: each
 * reaches its final states (the last line printed, the exit status) by
 * orders of steps that touch different things (output, another thread's
 * stack, a condition, a try-lock, thread starts, semaphores, a rwlock,
 * time-outs, atomics). Built by racelab cc (reduce_mix_mem), the reduced
 * search must reach every state the unreduced one does
 * (tests/soundness/test_reduction_agrees.py).
 *
 * Usage: reduce_mix CASE   (print, stack, cond, trylock, deadlock, spawn,
 *                           sem, rwlock, timed, atomic) */
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER, n = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
static sem_t sem;
static int ready, shared;
static atomic_int flag, count;

/* print: two threads that share nothing but the output (each prints
 * between two accesses of its own variable: steps of its own) */
static int own[2][16]; /* apart: not one memory word */
static void *say(void *arg) {
    const char *name = arg;
    int *mine = &own[name[0] & 1][0]; /* A, Y: 1; B, X: 0 */
    *mine = 1;
    printf("%s\n", name);
    *mine = 2;
    return NULL;
}

/* stack: a thread writes into main's stack while main writes there too (a
 * data race; main's own accesses there are steps once the thread has
 * written there, not before) */
static void *poke(void *arg) {
    *(int *)arg = 2;
    return NULL;
}

/* cond: two waiters, one signal then a broadcast; who woke first */
static void *waiter(void *arg) {
    pthread_mutex_lock(&m);
    while (!ready)
        pthread_cond_wait(&cv, &m);
    if (!shared)
        shared = (int)(long)arg;
    pthread_mutex_unlock(&m);
    return NULL;
}

/* trylock: taken or busy */
static void *trier(void *arg) {
    (void)arg;
    if (pthread_mutex_trylock(&m) == 0) {
        shared = 1;
        pthread_mutex_unlock(&m);
    }
    return NULL;
}

/* deadlock: two locks in opposite orders */
static void *ab(void *arg) {
    (void)arg;
    pthread_mutex_lock(&m);
    pthread_mutex_lock(&n);
    shared++;
    pthread_mutex_unlock(&n);
    pthread_mutex_unlock(&m);
    return NULL;
}
static void *ba(void *arg) {
    (void)arg;
    pthread_mutex_lock(&n);
    pthread_mutex_lock(&m);
    shared++;
    pthread_mutex_unlock(&m);
    pthread_mutex_unlock(&n);
    return NULL;
}

/* spawn: two threads each start one; the grandchildren print */
static void *parent(void *arg) {
    pthread_t t;
    pthread_create(&t, NULL, say, arg);
    pthread_join(t, NULL);
    return NULL;
}

/* sem: a post and a try-wait */
static void *poster(void *arg) {
    (void)arg;
    sem_post(&sem);
    return NULL;
}

/* rwlock: a reader and a writer */
static void *reader(void *arg) {
    (void)arg;
    pthread_rwlock_rdlock(&rw);
    int seen = shared;
    pthread_rwlock_unlock(&rw);
    atomic_store(&count, seen + 10);
    return NULL;
}
static void *writer(void *arg) {
    (void)arg;
    pthread_rwlock_wrlock(&rw);
    shared = 5;
    pthread_rwlock_unlock(&rw);
    return NULL;
}

/* timed: a timed wait that may time out before the signal */
static void *signaller(void *arg) {
    (void)arg;
    pthread_mutex_lock(&m);
    ready = 1;
    pthread_cond_signal(&cv);
    pthread_mutex_unlock(&m);
    return NULL;
}

/* atomic: a flag raised by one thread, read by another, and a counter */
static void *raiser(void *arg) {
    (void)arg;
    atomic_fetch_add(&count, 1);
    atomic_store_explicit(&flag, 1, memory_order_release);
    return NULL;
}
static void *looker(void *arg) {
    (void)arg;
    int f = atomic_load_explicit(&flag, memory_order_acquire);
    atomic_fetch_add(&count, f ? 10 : 100);
    return NULL;
}

static void two(void *(*f)(void *), void *fa, void *(*g)(void *), void *ga) {
    pthread_t x, y;
    pthread_create(&x, NULL, f, fa);
    pthread_create(&y, NULL, g, ga);
    pthread_join(x, NULL);
    pthread_join(y, NULL);
}

int main(int argc, char **argv) {
    const char *c = argc > 1 ? argv[1] : "";
    if (!strcmp(c, "print")) {
        two(say, "A", say, "B");
    } else if (!strcmp(c, "stack")) {
        int local = 0;
        pthread_t t;
        pthread_create(&t, NULL, poke, &local);
        local = 1;
        pthread_join(t, NULL);
        printf("local %d\n", local);
    } else if (!strcmp(c, "cond")) {
        pthread_t x, y;
        pthread_create(&x, NULL, waiter, (void *)1L);
        pthread_create(&y, NULL, waiter, (void *)2L);
        pthread_mutex_lock(&m);
        ready = 1;
        pthread_cond_signal(&cv);
        pthread_mutex_unlock(&m);
        pthread_mutex_lock(&m);
        pthread_cond_broadcast(&cv);
        pthread_mutex_unlock(&m);
        pthread_join(x, NULL);
        pthread_join(y, NULL);
        printf("first %d\n", shared);
    } else if (!strcmp(c, "trylock")) {
        pthread_t t;
        pthread_create(&t, NULL, trier, NULL);
        pthread_mutex_lock(&m);
        shared = shared ? 3 : 2;
        pthread_mutex_unlock(&m);
        pthread_join(t, NULL);
        printf("shared %d\n", shared);
    } else if (!strcmp(c, "deadlock")) {
        two(ab, NULL, ba, NULL);
        printf("shared %d\n", shared);
    } else if (!strcmp(c, "spawn")) {
        two(parent, "X", parent, "Y");
    } else if (!strcmp(c, "sem")) {
        sem_init(&sem, 0, 0);
        pthread_t t;
        pthread_create(&t, NULL, poster, NULL);
        int got = sem_trywait(&sem) == 0;
        pthread_join(t, NULL);
        printf("got %d\n", got);
    } else if (!strcmp(c, "rwlock")) {
        two(reader, NULL, writer, NULL);
        printf("seen %d\n", atomic_load(&count));
    } else if (!strcmp(c, "timed")) {
        pthread_t t;
        pthread_create(&t, NULL, signaller, NULL);
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += 1;
        pthread_mutex_lock(&m);
        int timed_out = 0;
        while (!ready && !timed_out)
            timed_out = pthread_cond_timedwait(&cv, &m, &ts) != 0;
        pthread_mutex_unlock(&m);
        pthread_join(t, NULL);
        printf("ready %d timed out %d\n", ready, timed_out);
    } else if (!strcmp(c, "atomic")) {
        two(raiser, NULL, looker, NULL);
        printf("count %d\n", atomic_load(&count));
    } else {
        fprintf(stderr, "usage: reduce_mix print|stack|cond|trylock|deadlock|spawn|sem|rwlock|"
                        "timed|atomic\n");
        return 2;
    }
    return 0;
}

/* peterson.c - Peterson's mutual exclusion for two threads, its flags and
 * turn sequentially consistent atomics, each thread adding to a plain
 * counter in its critical section. Correct. Known answer, built by racelab
 * cc (peterson_mem): every load and store is a step, and a thread spinning
 * on flags the other has not changed makes way for it (fairness), so the
 * search ends with no failure; it used to spin until --max-steps, a
 * livelock. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>

static atomic_int flag[2], turn;
static int counter;

static void *enter_twice(void *arg) {
    int me = (int)(long)arg, other = 1 - me;
    for (int i = 0; i < 2; i++) {
        atomic_store(&flag[me], 1);
        atomic_store(&turn, other);
        while (atomic_load(&flag[other]) && atomic_load(&turn) == other)
            ; /* spin */
        counter = counter + 1; /* the critical section */
        atomic_store(&flag[me], 0);
    }
    return NULL;
}

int main(void) {
    pthread_t t;
    pthread_create(&t, NULL, enter_twice, (void *)1L);
    enter_twice((void *)0L);
    pthread_join(t, NULL);
    printf("counter %d\n", counter);
    return counter == 4 ? 0 : 1;
}

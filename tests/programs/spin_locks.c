/* spin_locks.c - mutual exclusion by spinning on shared variables alone,
 * for two threads, each adding to a plain counter in its critical section
 * twice: Dekker's algorithm (`dekker`), Lamport's bakery (`bakery`), both
 * with sequentially consistent atomics, and a naive flag lock (`naive`:
 * wait until the other's flag is down, then raise one's own), which two
 * threads can pass at once. Known answer, built by racelab cc
 * (spin_locks_mem): every load and store is a step and a thread spinning
 * on variables the other has not changed makes way for it, so the first
 * two are explored to their end with no failure; the naive lock's two
 * critical sections race on the counter (a data race, both lines named),
 * and with races ignored an addition is lost. Natively the naive lock
 * nearly always works. `tas` is a test-and-set lock (swap in 1 until the
 * old value is 0) for three threads, entering once each: two may spin at once, each swapping
 * in the 1 that is already there, which changes nothing and so wakes
 * neither (they used to wake each other forever: a false livelock). */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

static atomic_int flag[2], turn, choosing[2], number[2], held;
static int counter;
static const char *how = "dekker";

static void lock(int me) {
    int other = 1 - me;
    if (strcmp(how, "dekker") == 0) {
        atomic_store(&flag[me], 1);
        while (atomic_load(&flag[other])) {
            if (atomic_load(&turn) != me) {
                atomic_store(&flag[me], 0);
                while (atomic_load(&turn) != me)
                    ; /* spin */
                atomic_store(&flag[me], 1);
            }
        }
    } else if (strcmp(how, "bakery") == 0) {
        atomic_store(&choosing[me], 1);
        int mine = 1 + (atomic_load(&number[0]) > atomic_load(&number[1])
                            ? atomic_load(&number[0])
                            : atomic_load(&number[1]));
        atomic_store(&number[me], mine);
        atomic_store(&choosing[me], 0);
        while (atomic_load(&choosing[other]))
            ; /* spin */
        for (;;) {
            int theirs = atomic_load(&number[other]);
            if (theirs == 0 || theirs > mine || (theirs == mine && me < other))
                break;
        }
    } else if (strcmp(how, "tas") == 0) {
        while (atomic_exchange(&held, 1))
            ; /* spin */
    } else { /* naive */
        while (atomic_load(&flag[other]))
            ; /* spin */
        atomic_store(&flag[me], 1);
    }
}

static void unlock(int me) {
    if (strcmp(how, "dekker") == 0) {
        atomic_store(&turn, 1 - me);
        atomic_store(&flag[me], 0);
    } else if (strcmp(how, "bakery") == 0) {
        atomic_store(&number[me], 0);
    } else if (strcmp(how, "tas") == 0) {
        atomic_store(&held, 0);
    } else {
        atomic_store(&flag[me], 0);
    }
}

static void *enter_twice(void *arg) {
    int me = (int)(long)arg;
    for (int i = 0; i < (strcmp(how, "tas") == 0 ? 1 : 2); i++) {
        lock(me);
        counter = counter + 1; /* the critical section */
        unlock(me);
    }
    return NULL;
}

int main(int argc, char **argv) {
    if (argc > 1)
        how = argv[1];
    int three = strcmp(how, "tas") == 0; /* a third thread: two spinners at once */
    pthread_t t, u;
    pthread_create(&t, NULL, enter_twice, (void *)1L);
    if (three)
        pthread_create(&u, NULL, enter_twice, (void *)1L);
    enter_twice((void *)0L);
    pthread_join(t, NULL);
    if (three)
        pthread_join(u, NULL);
    printf("%s: counter %d\n", how, counter);
    return counter == (three ? 3 : 4) ? 0 : 1;
}

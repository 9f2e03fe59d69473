/* spin_wait.c - spin-waits whose ends depend on the schedule, for the
 * reduced search against the unreduced one and native runs against the
 * explored states. All shared variables are sequentially consistent
 * atomics: no data race, only orders.
 *
 *   one    a waiter spins on one flag; the setter stores x = 1, raises the
 *          flag, stores x = 2; a third thread adds 10 to x. The waiter
 *          prints the x it sees once the flag is up: 1, 2, 11 or 12.
 *   two    the waiter spins until both of two flags are up (a loop that
 *          reads two words a turn), each raised by its own thread after a
 *          store to x; it prints the x it sees: 1 or 2.
 *   poll   the waiter checks the flag twice at most, then gives up, with
 *          a count of its own kept in memory (-O0): natively it gives up
 *          before the setter runs more often than not (saw -1).
 *   count  the same with three looks, and it prints which look saw the
 *          flag (100 x the looks that missed it, + 1 if it is up at the
 *          end): a write between two looks is not one before both.
 *   yield  as one, with a sched_yield after each look (a yield is a thread
 *          call: no look repeats another, so it is no spin racelab sees;
 *          fairness holds it back, and a reduced search then proves
 *          nothing, and ends saying so: 1, 2, 11 or 12).
 *
 * Built by racelab cc (spin_wait_mem): no failure, and the same final
 * states reduced or not. */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

static atomic_int flag, flag2, x;

static void *setter(void *arg) {
    atomic_store(&x, 1);
    atomic_store(&flag, 1);
    atomic_store(&x, 2);
    return arg;
}

static void *adder(void *arg) {
    atomic_fetch_add(&x, 10);
    return arg;
}

static void *second_setter(void *arg) {
    atomic_store(&x, 2);
    atomic_store(&flag2, 1);
    return arg;
}

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "one";
    pthread_t a, b;
    int seen;
    pthread_create(&a, NULL, setter, NULL);
    pthread_create(&b, NULL, strcmp(mode, "two") == 0 ? second_setter : adder, NULL);
    if (strcmp(mode, "two") == 0) {
        while (!(atomic_load(&flag) && atomic_load(&flag2)))
            ; /* spin on two words */
        seen = atomic_load(&x);
    } else if (strcmp(mode, "count") == 0) {
        int missed = 0;
        while (!atomic_load(&flag) && ++missed < 3)
            ; /* gives up after three looks */
        seen = missed * 100 + atomic_load(&flag);
    } else if (strcmp(mode, "poll") == 0) {
        int turns = 0;
        while (!atomic_load(&flag) && ++turns < 2)
            ; /* gives up after two looks */
        seen = atomic_load(&flag) ? atomic_load(&x) : -1;
    } else if (strcmp(mode, "yield") == 0) {
        while (!atomic_load(&flag))
            sched_yield();
        seen = atomic_load(&x);
    } else {
        while (!atomic_load(&flag))
            ; /* spin */
        seen = atomic_load(&x);
    }
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    printf("saw %d\n", seen);
    return 0;
}

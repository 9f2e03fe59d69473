/* seqlock.c - a sequence lock: the writer makes the sequence odd, writes
 * the two halves of a pair, and makes it even again; the reader spins
 * while the sequence is odd, reads the pair, and tries again if the
 * sequence moved meanwhile. A reader never keeps a torn pair (halves from
 * two different writes): it checks, and aborts if it did.
 *
 * With no argument the pair is read and written as relaxed atomics, the
 * sequence with acquire and release orders and an acquire fence before the
 * second look at it: correct, and free of data races. With the argument
 * "plain" the pair is plain memory: the reader's reads race with the
 * writer's writes (a data race by C11's rules, even though the sequence
 * check throws away what was torn). Known answer, built by racelab cc
 * (seqlock_mem): no race and no failure; with "plain", a data race on the
 * pair. */
#include <assert.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#define WRITES 2

static atomic_uint seq;
static atomic_int pair_a, pair_b; /* the pair, atomic */
static int plain_a, plain_b;      /* the pair, plain */
static int plain;

static void put(int v) {
    if (plain) {
        plain_a = v;
        plain_b = v;
    } else {
        atomic_store_explicit(&pair_a, v, memory_order_relaxed);
        atomic_store_explicit(&pair_b, v, memory_order_relaxed);
    }
}

static void get(int *a, int *b) {
    if (plain) {
        *a = plain_a;
        *b = plain_b;
    } else {
        *a = atomic_load_explicit(&pair_a, memory_order_relaxed);
        *b = atomic_load_explicit(&pair_b, memory_order_relaxed);
    }
}

static void *writer(void *arg) {
    (void)arg;
    for (int v = 1; v <= WRITES; v++) {
        unsigned s = atomic_load_explicit(&seq, memory_order_relaxed);
        atomic_store_explicit(&seq, s + 1, memory_order_relaxed); /* odd: writing */
        atomic_thread_fence(memory_order_release);
        put(v);
        atomic_store_explicit(&seq, s + 2, memory_order_release); /* even: done */
    }
    return NULL;
}

int main(int argc, char **argv) {
    plain = argc > 1 && strcmp(argv[1], "plain") == 0;
    pthread_t t;
    pthread_create(&t, NULL, writer, NULL);
    int a, b;
    unsigned s1, s2;
    do {
        while ((s1 = atomic_load_explicit(&seq, memory_order_acquire)) & 1u)
            ; /* a write under way: wait for it */
        get(&a, &b);
        atomic_thread_fence(memory_order_acquire);
        s2 = atomic_load_explicit(&seq, memory_order_relaxed);
    } while (s1 != s2);
    pthread_join(t, NULL);
    printf("read %d %d\n", a, b);
    assert(a == b); /* never torn */
    return 0;
}

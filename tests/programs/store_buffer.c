/* store_buffer.c - the store-buffering litmus test: each of two threads
 * stores 1 to its own flag, then loads the other's. In every interleaving
 * at least one load sees 1; with relaxed atomics (no argument) the C
 * memory model, and x86 hardware with its store buffers, also allow both
 * loads to see 0. racelab explores interleavings only: built by racelab cc
 * (store_buffer_mem), its verdict says the relaxed atomics were explored
 * as sequentially consistent. With the argument "seq_cst" every access is
 * sequentially consistent and the interleavings are the whole story. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

static atomic_int x, y;
static int r1, r2;
static memory_order order = memory_order_relaxed;

static void *left(void *arg) {
    atomic_store_explicit(&x, 1, order);
    r1 = atomic_load_explicit(&y, order);
    return arg;
}

static void *right(void *arg) {
    atomic_store_explicit(&y, 1, order);
    r2 = atomic_load_explicit(&x, order);
    return arg;
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "seq_cst") == 0)
        order = memory_order_seq_cst;
    pthread_t a, b;
    pthread_create(&a, NULL, left, NULL);
    pthread_create(&b, NULL, right, NULL);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    printf("r1=%d r2=%d\n", r1, r2);
    return 0;
}

/* lazy_init.c - double-checked initialisation: callers test a flag
 * without the lock, and only the first takes the lock to fill the value.
 * With no argument the flag is a plain int: its read outside the lock and
 * its write under it are a data race (natively it nearly always works).
 * With the argument "acquire" the flag is an atomic, stored with release
 * and loaded with acquire order: correct. Known answer, built by racelab cc
 * (lazy_init_mem): a data race, plain; none, acquire. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static int value, plain_ready;
static atomic_int ready;
static int ordered;

static int is_ready(void) {
    return ordered ? atomic_load_explicit(&ready, memory_order_acquire) : plain_ready;
}

static int get(void) {
    if (!is_ready()) {
        pthread_mutex_lock(&m);
        if (!is_ready()) {
            value = 42;
            if (ordered)
                atomic_store_explicit(&ready, 1, memory_order_release);
            else
                plain_ready = 1;
        }
        pthread_mutex_unlock(&m);
    }
    return value;
}

static void *user(void *arg) {
    *(int *)arg = get();
    return NULL;
}

int main(int argc, char **argv) {
    ordered = argc > 1 && strcmp(argv[1], "acquire") == 0;
    int a = 0, b = 0;
    pthread_t t;
    pthread_create(&t, NULL, user, &a);
    user(&b);
    pthread_join(t, NULL);
    printf("got %d %d\n", a, b);
    return a == 42 && b == 42 ? 0 : 1;
}

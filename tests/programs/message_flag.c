/* message_flag.c - a writer fills a message and raises an atomic flag; a
 * reader spins on the flag, then reads the message. With no argument the
 * flag is relaxed: it orders nothing, so the message's write and read are
 * a data race (natively on x86 the reader still sees 42 nearly always).
 * With the argument "acquire" the flag is stored with release and loaded
 * with acquire order: the hand-off is correct. Known answer, built by
 * racelab cc (message_flag_mem): a data race on message, relaxed; none,
 * release/acquire. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

static int message;
static atomic_int ready;
static memory_order put = memory_order_relaxed, get = memory_order_relaxed;

static void *reader(void *arg) {
    while (!atomic_load_explicit(&ready, get))
        ; /* spin */
    printf("read %d\n", message);
    return arg;
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "acquire") == 0) {
        put = memory_order_release;
        get = memory_order_acquire;
    }
    pthread_t t;
    pthread_create(&t, NULL, reader, NULL);
    message = 42;
    atomic_store_explicit(&ready, 1, put);
    pthread_join(t, NULL);
    return 0;
}

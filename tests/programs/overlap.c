/* overlap.c - two threads write one 8-byte word without synchronization,
 * through accesses that start at different addresses. Known answers, built
 * by racelab cc (overlap_mem):
 *
 *   overlap whole: main stores the whole word (8 bytes at w) while T1
 *     stores its second half (4 bytes at w + 4): they share bytes, a data
 *     race (ThreadSanitizer reports it too);
 *   overlap apart: main stores the first half, T1 the second: the same
 *     word, no byte shared, no race (and the word ends 0x0000000700000005).
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static union {
    uint64_t whole;
    uint32_t half[2];
} w;

static void *second_half(void *arg) {
    (void)arg;
    w.half[1] = 7;
    return NULL;
}

int main(int argc, char **argv) {
    int whole = argc > 1 && strcmp(argv[1], "whole") == 0;
    pthread_t t;
    pthread_create(&t, NULL, second_half, NULL);
    if (whole)
        w.whole = 5;
    else
        w.half[0] = 5;
    pthread_join(t, NULL);
    printf("word %#llx\n", (unsigned long long)w.whole);
    return 0;
}

/* no_threads.c - never creates a thread. Known answer: nothing to
 * interleave, so racelab gives no verdict: an exploration error (exit 3)
 * that says why and how the program ended (here status 3 with any
 * argument, 0 without). */
#include <stdio.h>

int main(int argc, char **argv) {
    (void)argv;
    printf("no threads, %d arguments\n", argc - 1);
    return argc > 1 ? 3 : 0;
}

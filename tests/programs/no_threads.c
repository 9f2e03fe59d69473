/* no_threads.c - never creates a thread: one schedule, the whole program.
 * Known answer: its exit status is the verdict (here 3, a failure). */
#include <stdio.h>

int main(int argc, char **argv) {
    printf("no threads, %d arguments\n", argc - 1);
    return argc > 1 ? 3 : 0;
    (void)argv;
}

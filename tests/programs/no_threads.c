/* no_threads.c - never creates a thread: one schedule, the whole program.
 * Known answer: its exit status is the verdict (here 3, a failure, with
 * any argument). With the argument "long" it first prints 100 numbered
 * lines, more than a report keeps. */
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "long") == 0)
        for (int i = 1; i <= 100; i++)
            printf("line %d of 100, printed before the exit status\n", i);
    printf("no threads, %d arguments\n", argc - 1);
    return argc > 1 ? 3 : 0;
}

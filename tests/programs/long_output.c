/* long_output.c - one thread, then 100 numbered lines, more than a report
 * keeps, and exit status 3. Known answer: a failure whose output is its
 * last whole lines after a line saying how much went before. */
#include <pthread.h>
#include <stdio.h>

static void *quiet(void *arg) { return arg; }

int main(void) {
    pthread_t t;
    pthread_create(&t, NULL, quiet, NULL);
    pthread_join(t, NULL);
    for (int i = 1; i <= 100; i++)
        printf("line %d of 100, printed before the exit status\n", i);
    puts("done");
    return 3;
}

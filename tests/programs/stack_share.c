/* stack_share.c - main lends a variable on its own stack to a thread and
 * both add to it with no lock. Known answers, built by racelab cc
 * (stack_share_mem): a data race between main's and T1's additions
 * (ThreadSanitizer reports one); with races ignored, an addition lost in
 * some schedules ("shared 1"). racelab sees main's accesses to the
 * variable once T1 has used it: before, they were on a stack no other
 * thread had used, and were not steps. */
#include <pthread.h>
#include <stdio.h>

static void *add_one(void *arg) {
    int *shared = arg;
    *shared = *shared + 1;
    return NULL;
}

int main(void) {
    int shared = 0;
    pthread_t t;
    pthread_create(&t, NULL, add_one, &shared);
    for (volatile int i = 0; i < 3; i++) /* a little work before main's own addition */
        ;
    shared = shared + 1;
    pthread_join(t, NULL);
    printf("shared %d\n", shared);
    return 0;
}

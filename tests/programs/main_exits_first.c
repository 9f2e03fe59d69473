/* main_exits_first.c - main starts a worker and ends with pthread_exit:
 * the process lives on until its last thread ends. The worker makes no
 * call of its own, so the schedule's last decision (the worker's start)
 * is made by main on its way out: a thread other than the one deciding
 * goes. Known answer: exit 0, "worker ran" printed after "main ends". */
#include <pthread.h>
#include <stdio.h>

static void *worker(void *arg) {
    puts("worker ran");
    return arg;
}

int main(void) {
    pthread_t t;
    pthread_create(&t, NULL, worker, NULL);
    puts("main ends");
    fflush(stdout);
    pthread_exit(NULL);
}

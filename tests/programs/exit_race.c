/* exit_race.c - main returns without joining its worker (or, with the
 * argument _exit, ends the process with _exit(0)). Natively the process
 * usually ends first; but until it has, the worker may still run, and if
 * it runs after main closed the account it aborts. Known answer: racelab
 * finds it, because the end of the process is a scheduling point. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static int closed;

static void *worker(void *arg) {
    (void)arg;
    pthread_mutex_lock(&m);
    if (closed) {
        fprintf(stderr, "billed a closed account\n");
        abort();
    }
    pthread_mutex_unlock(&m);
    return NULL;
}

int main(int argc, char **argv) {
    pthread_t w;
    pthread_create(&w, NULL, worker, NULL);
    pthread_mutex_lock(&m);
    closed = 1;
    pthread_mutex_unlock(&m);
    if (argc > 1 && strcmp(argv[1], "_exit") == 0)
        _exit(0); /* no join, no exit handlers */
    return 0; /* no join */
}

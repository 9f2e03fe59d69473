/* fork_after.c - with a thread running, main forks; the child takes and
 * releases a lock of its own and exits 7. Known answer: it passes (the child's
 * status is 7, the worker ran once), and the child's calls are no steps
 * of the explored process: they run natively, outside the schedule. With
 * any argument it exits 1 at the end, so that its trace is reported. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static int done;

static void *worker(void *arg) {
    pthread_mutex_lock(&m);
    done++;
    pthread_mutex_unlock(&m);
    return arg;
}

int main(int argc, char **argv) {
    (void)argv;
    pthread_t t;
    pthread_create(&t, NULL, worker, NULL);
    pid_t pid = fork();
    if (pid == 0) {
        pthread_mutex_t own = PTHREAD_MUTEX_INITIALIZER;
        pthread_mutex_lock(&own);
        pthread_mutex_unlock(&own);
        exit(7);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    pthread_join(t, NULL);
    printf("child %d, worker ran %d\n", WEXITSTATUS(st), done);
    return WIFEXITED(st) && WEXITSTATUS(st) == 7 && done == 1 && argc == 1 ? 0 : 1;
}

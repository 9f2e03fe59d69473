/* fork_before.c - forks before its first thread; both processes then make
 * a thread, and the parent always exits 5. Known answer: the explored
 * process is the parent (the child runs natively, outside the scheduler),
 * so every schedule fails with status 5. */
#include <pthread.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

static void *nothing(void *arg) { return arg; }

int main(void) {
    pid_t pid = fork();
    pthread_t t;
    pthread_create(&t, NULL, nothing, NULL);
    pthread_join(t, NULL);
    if (pid == 0)
        return 0;
    waitpid(pid, NULL, 0);
    puts("the parent exits 5");
    return 5;
}

/* pipe_reader.c - a reader thread blocks in read() on a pipe that main
 * fills, in two writes, and then closes. Natively correct every run.
 * Known answer: racelab lets the reader give the turn away while it would
 * be in the kernel and take it again when data is there, so every
 * schedule passes (it was reported as a livelock: the reader held the
 * turn inside read()). */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int fds[2];
static char got[64];

static void *reader(void *arg) {
    size_t n = 0;
    ssize_t r;
    while ((r = read(fds[0], got + n, sizeof got - 1 - n)) > 0)
        n += (size_t)r;
    got[n] = '\0';
    return arg;
}

int main(void) {
    if (pipe(fds) != 0)
        return 2;
    pthread_t t;
    pthread_create(&t, NULL, reader, NULL);
    const char *a = "hello ", *b = "pipe";
    if (write(fds[1], a, strlen(a)) < 0 || write(fds[1], b, strlen(b)) < 0)
        return 2;
    close(fds[1]);
    pthread_join(t, NULL);
    printf("read '%s'\n", got);
    return strcmp(got, "hello pipe") == 0 ? 0 : 1;
}

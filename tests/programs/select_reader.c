/* select_reader.c - two reader threads wait for pipes that main fills
 * and then closes: one in select(), one in epoll_wait(), each reading
 * what is ready until the end. Natively correct every run. Known answer:
 * racelab lets a thread waiting in select or epoll_wait give the turn away
 * until one of its descriptors is ready, so every schedule passes (they
 * held the turn inside the kernel: no step for --schedule-timeout, a
 * livelock). */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <unistd.h>

static int a[2], b[2];
static char got_a[32], got_b[32];

static void *selecting(void *arg) {
    size_t n = 0;
    for (;;) {
        fd_set r;
        FD_ZERO(&r);
        FD_SET(a[0], &r);
        if (select(a[0] + 1, &r, NULL, NULL, NULL) < 0)
            return NULL;
        ssize_t got = read(a[0], got_a + n, sizeof got_a - 1 - n);
        if (got <= 0)
            return arg;
        n += (size_t)got;
    }
}

static void *polling(void *arg) {
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = b[0]};
    if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, b[0], &ev) != 0)
        return NULL;
    size_t n = 0;
    for (;;) {
        struct epoll_event out;
        if (epoll_wait(ep, &out, 1, -1) != 1 || out.data.fd != b[0])
            return NULL;
        ssize_t got = read(b[0], got_b + n, sizeof got_b - 1 - n);
        if (got <= 0)
            break;
        n += (size_t)got;
    }
    close(ep);
    return arg;
}

int main(void) {
    if (pipe(a) != 0 || pipe(b) != 0)
        return 2;
    pthread_t s, p;
    pthread_create(&s, NULL, selecting, &s);
    pthread_create(&p, NULL, polling, &p);
    if (write(a[1], "sel", 3) != 3 || write(b[1], "ep", 2) != 2 ||
        write(a[1], "ect", 3) != 3 || write(b[1], "oll", 3) != 3)
        return 2;
    close(a[1]);
    close(b[1]);
    void *rs, *rp;
    pthread_join(s, &rs);
    pthread_join(p, &rp);
    printf("read '%s' '%s'\n", got_a, got_b);
    return rs == &s && rp == &p && strcmp(got_a, "select") == 0 && strcmp(got_b, "epoll") == 0
               ? 0
               : 1;
}

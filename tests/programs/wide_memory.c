/* wide_memory.c - main writes 70,000 different longs while another thread
 * exists: more 8-byte granules than racelab's race detector keeps
 * (65,536).
 * Correct. Known answer, built by racelab cc (wide_memory_mem) and
 * explored within 0 preemptions: no failure, and the verdict says that
 * data races were not checked for every access (they were not). */
#include <pthread.h>

#define N 70000

static long cells[N];

static void *idle(void *arg) { return arg; }

int main(void) {
    pthread_t t;
    pthread_create(&t, NULL, idle, NULL);
    for (int i = 0; i < N; i++)
        cells[i] = i;
    pthread_join(t, NULL);
    return cells[N - 1] == N - 1 ? 0 : 1;
}

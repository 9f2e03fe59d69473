/* many_threads.c - 80 threads: more than the explorer handles (64). Known
 * answer: an error of the exploration, never a verdict on the program. */
#include <pthread.h>

static void *nothing(void *arg) { return arg; }

int main(void) {
    pthread_t t[80];
    for (int i = 0; i < 80; i++)
        pthread_create(&t[i], NULL, nothing, NULL);
    for (int i = 0; i < 80; i++)
        pthread_join(t[i], NULL);
    return 0;
}

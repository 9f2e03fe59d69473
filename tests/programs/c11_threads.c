/* c11_threads.c - the lost update written with C11 <threads.h>: two
 * threads each read the counter under a mutex, yield, and write it back
 * plus one under the mutex again; main waits on a condition for both and
 * a once-flag sets the counter up. Natively it passes or fails by timing. Known
 * answer: racelab sees the C11 calls and finds the order that loses one
 * increment ("counter 1"). */
#include <stdio.h>
#include <threads.h>

static mtx_t lock;
static cnd_t finished;
static once_flag setup_once = ONCE_FLAG_INIT;
static int counter = -1, done;

static void setup(void) { counter = 0; }

static int add_one(void *arg) {
    (void)arg;
    call_once(&setup_once, setup);
    mtx_lock(&lock);
    int seen = counter;
    mtx_unlock(&lock);
    thrd_yield();
    mtx_lock(&lock);
    counter = seen + 1;
    done++;
    cnd_signal(&finished);
    mtx_unlock(&lock);
    return 0;
}

int main(void) {
    mtx_init(&lock, mtx_plain);
    cnd_init(&finished);
    thrd_t a, b;
    thrd_create(&a, add_one, NULL);
    thrd_create(&b, add_one, NULL);
    mtx_lock(&lock);
    while (done < 2)
        cnd_wait(&finished, &lock);
    mtx_unlock(&lock);
    int ra = -1, rb = -1;
    thrd_join(a, &ra);
    thrd_join(b, &rb);
    printf("counter %d\n", counter);
    return counter == 2 && ra == 0 && rb == 0 ? 0 : 1;
}

/* bank_race.c - an ordinary pthread program with a race condition, to
 * explore unmodified:
 *
 *     cc -g -pthread -o bank_race bank_race.c
 *     ./bank_race                        # usually prints: balance 350
 *     racelab explore -- ./bank_race     # finds the schedule that loses a bill
 *
 * Two merchants bill one account. Each locks the account to read it and
 * locks it again to write it, but the bill is computed in between, outside
 * the lock: the lock makes each access safe, not the bill. */
#include <pthread.h>
#include <stdio.h>

static pthread_mutex_t account_lock = PTHREAD_MUTEX_INITIALIZER;
static long balance = 400;

static void *merchant(void *arg) {
    long bill = (long)arg;
    pthread_mutex_lock(&account_lock);
    long read = balance;
    pthread_mutex_unlock(&account_lock);
    pthread_mutex_lock(&account_lock);
    balance = read + bill;
    pthread_mutex_unlock(&account_lock);
    return NULL;
}

int main(void) {
    pthread_t costco, target;
    pthread_create(&costco, NULL, merchant, (void *)-25L);
    pthread_create(&target, NULL, merchant, (void *)-25L);
    pthread_join(costco, NULL);
    pthread_join(target, NULL);
    printf("balance %ld\n", balance);
    if (balance != 350) {
        fprintf(stderr, "a bill was lost: balance %ld, expected 350\n", balance);
        return 1;
    }
    return 0;
}

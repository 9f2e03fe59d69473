// cxx_threads.cc - the lost update of bank_race.c in C++: std::thread,
// std::mutex and std::lock_guard. Built with -O2, as C++ usually is, so
// the library's lock wrappers are inlined into the user's function. Known
// answer: racelab finds the lost update (exit 1 natively now and then),
// names the threads after bill (not after a symbol of libstdc++) and gives
// each lock the user's line (not the wrapper's in gthr-default.h).
#include <cstdio>
#include <mutex>
#include <thread>

static std::mutex account_lock;
static int balance = 400;

static void bill(int amount) {
    int seen;
    {
        std::lock_guard<std::mutex> hold(account_lock);
        seen = balance;
    }
    {
        std::lock_guard<std::mutex> hold(account_lock);
        balance = seen - amount;
    }
}

int main() {
    std::thread costco(bill, 25), target(bill, 25);
    costco.join();
    target.join();
    std::printf("balance %d\n", balance);
    return balance == 350 ? 0 : 1;
}

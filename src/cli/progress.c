/* progress.c - the progress line of long work, and Ctrl-C that stops a
 * search cleanly (see cli.h). */
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

void rl_cli_progress_init(rl_cli_progress *p, bool wanted) {
    memset(p, 0, sizeof *p);
    p->on = wanted && isatty(STDOUT_FILENO);
}

void rl_cli_progress_show(rl_cli_progress *p, const char *fmt, ...) {
    if (!p->on)
        return;
    char line[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    printf("\r\033[K%s", line);
    fflush(stdout);
    p->shown = true;
}

void rl_cli_progress_clear(rl_cli_progress *p) {
    if (!p->on || !p->shown)
        return;
    printf("\r\033[K");
    fflush(stdout);
    p->shown = false;
}

bool rl_cli_progress_due(rl_cli_progress *p) {
    if (!p->on)
        return false;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    uint64_t now = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
    if (now < p->next_ns)
        return false;
    p->next_ns = now + 200000000u;
    return true;
}

static volatile sig_atomic_t interrupted;
static struct sigaction before;

/* The first Ctrl-C asks the work to stop; a second one ends the process
 * as Ctrl-C always does. */
static void on_interrupt(int sig) {
    if (interrupted) {
        sigaction(sig, &before, NULL);
        raise(sig);
        return;
    }
    interrupted = 1;
}

const volatile sig_atomic_t *rl_cli_catch_interrupt(void) {
    interrupted = 0;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_interrupt;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &before);
    return &interrupted;
}

void rl_cli_release_interrupt(void) { sigaction(SIGINT, &before, NULL); }

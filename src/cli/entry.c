/* entry.c - the racelab command's main(): everything is rl_cli_main's. */
#include <malloc.h>

#include "cli.h"

int main(int argc, char **argv) {
    /* freed memory at the top of the heap is kept, not given back: a
     * search's schedules each allocate and free their target's state, and
     * giving it back made every schedule grow the heap again (a page fault
     * a page, in every schedule) */
    mallopt(M_TRIM_THRESHOLD, 256 << 20);
    return rl_cli_main(argc, argv);
}

/* present.h - the pages of a table made present ahead of its writes, with
 * one system call for many. A schedule's copy of the program starts with
 * none of them mapped: a fork copies no page table of a shared mapping
 * (the region racelab reads), and the first write to each private page
 * (the race detector's tables) is a fault; on a virtual machine a fault is
 * a trap that costs more than the page. A table written from its start on
 * is made present in chunks that double as it grows (a page first, at most
 * a megabyte at a time): a schedule of twenty steps maps a page or two,
 * one of 100,000 steps makes a few dozen calls instead of 600 faults.
 * Where the kernel cannot (before Linux 5.14), the faults happen as
 * before. Internal to the interposer. */
#ifndef RACELAB_EXPLORE_PROGRAM_PRESENT_H
#define RACELAB_EXPLORE_PROGRAM_PRESENT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

/* [from, from + n) made present. */
static inline void rl__present_range(void *from, size_t n) {
    uintptr_t lo = (uintptr_t)from & ~(uintptr_t)4095, hi = (uintptr_t)from + n;
    if (hi > lo)
        (void)madvise((void *)lo, hi - lo, MADV_POPULATE_WRITE);
}

typedef struct {
    size_t upto; /* bytes from the table's start made present */
} rl__present;

/* Entry i (elem bytes each) of the table at base, `size` bytes in all, is
 * about to be written. */
static inline void rl__present_entry(rl__present *p, void *base, size_t elem, size_t size,
                                     size_t i) {
    size_t end = (i + 1) * elem;
    if (end <= p->upto || end > size)
        return;
    size_t grow = p->upto < 4096 ? 4096 : p->upto < (1u << 20) ? p->upto : (1u << 20);
    size_t to = p->upto + grow < end ? end : p->upto + grow;
    if (to > size)
        to = size;
    rl__present_range((char *)base + p->upto, to - p->upto);
    p->upto = to;
}

#endif

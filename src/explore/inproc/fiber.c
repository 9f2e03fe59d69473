/* fiber.c - see fiber.h. */
#include "fiber.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#if defined(__SANITIZE_THREAD__)
#define RL_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define RL_TSAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define RL_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define RL_ASAN 1
#endif
#endif

#if defined(RL_TSAN)
#include <sanitizer/tsan_interface.h>
#endif
#if defined(RL_ASAN)
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif

#if defined(RL_FIBER_ASM)
/* rl__ctx_switch(void **save_sp, void *load_sp): push the callee-saved
 * registers and the SSE and x87 control words, save rsp, load the other
 * stack and pop the same in reverse. A new stack is laid out so that the
 * final `ret` lands in rl__ctx_boot with the fiber in r12. */
void rl__ctx_switch(void **save_sp, void *load_sp);
void rl__ctx_boot(void);
__asm__(".text\n"
        ".globl rl__ctx_switch\n"
        ".type rl__ctx_switch,@function\n"
        "rl__ctx_switch:\n"
        "    pushq %rbp\n"
        "    pushq %rbx\n"
        "    pushq %r12\n"
        "    pushq %r13\n"
        "    pushq %r14\n"
        "    pushq %r15\n"
        "    subq $16, %rsp\n"
        "    stmxcsr 8(%rsp)\n"
        "    fnstcw (%rsp)\n"
        "    movq %rsp, (%rdi)\n"
        "    movq %rsi, %rsp\n"
        "    ldmxcsr 8(%rsp)\n"
        "    fldcw (%rsp)\n"
        "    addq $16, %rsp\n"
        "    popq %r15\n"
        "    popq %r14\n"
        "    popq %r13\n"
        "    popq %r12\n"
        "    popq %rbx\n"
        "    popq %rbp\n"
        "    ret\n"
        ".size rl__ctx_switch, .-rl__ctx_switch\n"
        ".globl rl__ctx_boot\n"
        ".type rl__ctx_boot,@function\n"
        "rl__ctx_boot:\n"
        "    movq %r12, %rdi\n"
        "    callq rl__fiber_boot\n"
        "    ud2\n"
        ".size rl__ctx_boot, .-rl__ctx_boot\n");
#endif

RL_FIBER_PLUMBING void rl__fiber_boot(rl__fiber *f);

/* The OS thread's own context, whose stack bounds AddressSanitizer tells
 * us on the first switch away from it. */
static rl__fiber *main_fiber;

RL_FIBER_PLUMBING void rl__fiber_boot(rl__fiber *f) {
#if defined(RL_ASAN)
    const void *from_bottom;
    size_t from_size;
    __sanitizer_finish_switch_fiber(NULL, &from_bottom, &from_size);
    if (main_fiber && main_fiber->asan_size == 0) {
        main_fiber->asan_bottom = from_bottom;
        main_fiber->asan_size = from_size;
    }
#endif
    f->entry(f->arg);
    abort(); /* an entry must switch away for good, never return */
}

static void uc_boot(unsigned hi, unsigned lo) {
    rl__fiber_boot((rl__fiber *)(((uintptr_t)hi << 32) | (uintptr_t)lo));
}

/* Which switch: the hand-written one where there is one, unless
 * RACELAB_FIBERS=ucontext asks for the portable one. Decided once: every
 * fiber of a process switches the same way. */
static bool use_asm(void) {
#if defined(RL_FIBER_ASM)
    static int chosen = -1; /* the explorer's fibers live on one OS thread */
    if (chosen < 0) {
        const char *env = getenv("RACELAB_FIBERS");
        chosen = !(env && strcmp(env, "ucontext") == 0);
    }
    return chosen;
#else
    return false;
#endif
}

void rl__fiber_main(rl__fiber *f) {
    memset(f, 0, sizeof *f);
    f->is_main = true;
    main_fiber = f;
#if defined(RL_TSAN)
    f->tsan = __tsan_get_current_fiber();
#endif
}

rl_err rl__fiber_alloc(rl__fiber *f, size_t stack_size) {
    memset(f, 0, sizeof *f);
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    stack_size = (stack_size + page - 1) / page * page;
    f->map_size = stack_size + page;
    f->map = mmap(NULL, f->map_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (f->map == MAP_FAILED) {
        f->map = NULL;
        return RL_ENOMEM;
    }
    /* a guard page below the stack turns an overflow into a clean fault */
    if (mprotect(f->map, page, PROT_NONE) != 0) {
        munmap(f->map, f->map_size);
        f->map = NULL;
        return RL_ESYS;
    }
    f->stack = (unsigned char *)f->map + page;
    f->stack_size = stack_size;
    f->asan_bottom = f->stack;
    f->asan_size = f->stack_size;
#if defined(RL_ASAN)
    /* a fresh mapping may lie where an old stack's poisoned frames were */
    __asan_unpoison_memory_region(f->stack, f->stack_size);
#endif
#if defined(RL_TSAN)
    f->tsan = __tsan_create_fiber(0);
#endif
    return RL_OK;
}

void rl__fiber_free(rl__fiber *f) {
#if defined(RL_TSAN)
    if (f->tsan && !f->is_main)
        __tsan_destroy_fiber(f->tsan);
#endif
    if (f->map)
        munmap(f->map, f->map_size);
    memset(f, 0, sizeof *f);
}

void rl__fiber_abandoned(rl__fiber *f) { f->abandoned = true; }

void *rl__fiber_restart_top(rl__fiber *f) {
#if defined(RL_ASAN)
    /* the frames left below are dead: their redzones must not trip the
     * code that runs here next */
    __asan_unpoison_memory_region(f->stack, f->stack_size);
#endif
    return (void *)(((uintptr_t)f->stack + f->stack_size - 64) & ~(uintptr_t)15);
}

void rl__fiber_prepare(rl__fiber *f, void (*entry)(void *arg), void *arg) {
    f->entry = entry;
    f->arg = arg;
    f->asan_fake = NULL;
#if defined(RL_TSAN)
    /* an abandoned fiber never returned from its frames: a fresh context
     * keeps ThreadSanitizer's shadow stack from holding them forever */
    if (f->abandoned && f->tsan) {
        __tsan_destroy_fiber(f->tsan);
        f->tsan = __tsan_create_fiber(0);
    }
#endif
    f->abandoned = false;
#if defined(RL_ASAN)
    /* The frames the last run never left (an abandoned run's, or a
     * finished run's last switch and its callers) keep their redzones
     * poisoned. They all lie above the point of its last switch away:
     * anything deeper had returned, and a return unpoisons its frame. Only
     * that part is cleared, not the whole stack (8 MiB by default, a
     * megabyte of shadow written for every thread of every schedule). */
    if (f->asan_low) {
        uintptr_t low = f->asan_low - 512, top = (uintptr_t)f->stack + f->stack_size;
        if (low < (uintptr_t)f->stack)
            low = (uintptr_t)f->stack;
        __asan_unpoison_memory_region((void *)low, top - low);
        f->asan_low = 0;
    }
#endif
#if defined(RL_FIBER_ASM)
    if (use_asm()) {
        uintptr_t top = ((uintptr_t)f->stack + f->stack_size) & ~(uintptr_t)15;
        uint64_t *sp = (uint64_t *)(top - 88); /* 16-byte aligned at rl__ctx_boot's call */
        memset(sp, 0, 88);
        uint16_t fpu_cw = 0x037f; /* the x87 default */
        uint32_t mxcsr = 0x1f80;  /* the SSE default */
        memcpy((unsigned char *)sp, &fpu_cw, sizeof fpu_cw);
        memcpy((unsigned char *)sp + 8, &mxcsr, sizeof mxcsr);
        sp[5] = (uint64_t)(uintptr_t)f;            /* r12 */
        sp[8] = (uint64_t)(uintptr_t)rl__ctx_boot; /* return address */
        f->sp = sp;
        return;
    }
#endif
    getcontext(&f->uc);
    f->uc.uc_stack.ss_sp = f->stack;
    f->uc.uc_stack.ss_size = f->stack_size;
    f->uc.uc_link = NULL;
    uintptr_t p = (uintptr_t)f;
    makecontext(&f->uc, (void (*)(void))uc_boot, 2, (unsigned)(p >> 32), (unsigned)p);
}

RL_FIBER_PLUMBING void rl__fiber_switch(rl__fiber *from, rl__fiber *to, bool exiting) {
#if defined(RL_ASAN)
    if (!from->is_main)
        from->asan_low = (uintptr_t)__builtin_frame_address(0);
    __sanitizer_start_switch_fiber(exiting ? NULL : &from->asan_fake, to->asan_bottom,
                                   to->asan_size);
#else
    (void)exiting;
#endif
#if defined(RL_TSAN)
    __tsan_switch_to_fiber(to->tsan, 0);
#endif
#if defined(RL_FIBER_ASM)
    if (use_asm())
        rl__ctx_switch(&from->sp, to->sp);
    else
#endif
        swapcontext(&from->uc, &to->uc);
#if defined(RL_ASAN)
    /* back in `from`: learn where we came from (the main context's stack
     * is only known this way) */
    const void *bottom;
    size_t size;
    __sanitizer_finish_switch_fiber(from->asan_fake, &bottom, &size);
    (void)bottom;
    (void)size;
#endif
}

/* tsan_hooks.c - the entry points a compiler's ThreadSanitizer
 * instrumentation calls (-fsanitize=thread, GCC and clang alike), as
 * racelab's runtime instead of libtsan. Built twice:
 *
 *   librlmem.so, linked into a program built by `racelab cc`: natively
 *   every hook does only what the instrumented code needs done (an atomic
 *   operation, a memcpy), so the program runs as it would uninstrumented;
 *
 *   inside the interposer (RL_MEM_SCHEDULE defined), whose definitions
 *   come first when it is preloaded: each access of memory and each
 *   atomic operation is then also a scheduling point (rl__mem_access, in
 *   preload.c), and the program counts as instrumented (rl__mem_seen).
 *
 * Atomic operations are done sequentially consistent whatever order the
 * program asked for: at least as strong as asked, so every outcome they
 * give is one the program allows. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define HOOK __attribute__((visibility("default")))

/* what an access does; an atomic one also its memory order (C11's
 * numbering: 0 relaxed, 1 consume, 2 acquire, 3 release, 4 acq_rel, 5
 * seq_cst), plain ones -1 */
enum { MEM_READ, MEM_WRITE, MEM_ATOMIC_LOAD, MEM_ATOMIC_STORE, MEM_ATOMIC_RMW, MEM_FENCE };

#ifdef RL_MEM_SCHEDULE
void rl__mem_access(const volatile void *addr, size_t size, int kind, int mo, uint64_t where);
void rl__mem_seen(void);
#define ACCESS_MO(addr, size, kind, mo)                                                            \
    rl__mem_access((addr), (size), (kind), (mo), (uint64_t)(uintptr_t)__builtin_return_address(0))
#define SEEN() rl__mem_seen()
#else
#define ACCESS_MO(addr, size, kind, mo) ((void)(addr), (void)(size), (void)(kind), (void)(mo))
#define SEEN() ((void)0)
#endif
#define ACCESS(addr, size, kind) ACCESS_MO(addr, size, kind, -1)

HOOK void __tsan_init(void) { SEEN(); }
HOOK void __tsan_func_entry(void *pc) { (void)pc; }
HOOK void __tsan_func_exit(void) {}
HOOK void __tsan_ignore_thread_begin(void) {}
HOOK void __tsan_ignore_thread_end(void) {}

/* plain loads and stores, aligned or not, volatile or not */
#define PLAIN(n)                                                                                   \
    HOOK void __tsan_read##n(void *a) { ACCESS(a, n, MEM_READ); }                                  \
    HOOK void __tsan_write##n(void *a) { ACCESS(a, n, MEM_WRITE); }                                \
    HOOK void __tsan_unaligned_read##n(void *a) { ACCESS(a, n, MEM_READ); }                        \
    HOOK void __tsan_unaligned_write##n(void *a) { ACCESS(a, n, MEM_WRITE); }                      \
    HOOK void __tsan_volatile_read##n(void *a) { ACCESS(a, n, MEM_READ); }                         \
    HOOK void __tsan_volatile_write##n(void *a) { ACCESS(a, n, MEM_WRITE); }                       \
    HOOK void __tsan_unaligned_volatile_read##n(void *a) { ACCESS(a, n, MEM_READ); }               \
    HOOK void __tsan_unaligned_volatile_write##n(void *a) { ACCESS(a, n, MEM_WRITE); }             \
    HOOK void __tsan_read##n##_pc(void *a, void *pc) {                                             \
        (void)pc;                                                                                  \
        ACCESS(a, n, MEM_READ);                                                                    \
    }                                                                                              \
    HOOK void __tsan_write##n##_pc(void *a, void *pc) {                                            \
        (void)pc;                                                                                  \
        ACCESS(a, n, MEM_WRITE);                                                                   \
    }
PLAIN(1)
PLAIN(2)
PLAIN(4)
PLAIN(8)
PLAIN(16)

HOOK void __tsan_read_range(void *a, unsigned long size) { ACCESS(a, size, MEM_READ); }
HOOK void __tsan_write_range(void *a, unsigned long size) { ACCESS(a, size, MEM_WRITE); }
HOOK void __tsan_vptr_read(void **vptr) { ACCESS(vptr, sizeof *vptr, MEM_READ); }
HOOK void __tsan_vptr_update(void **vptr, void *value) {
    (void)value;
    ACCESS(vptr, sizeof *vptr, MEM_WRITE);
}

/* calls clang makes in place of the library's */
HOOK void *__tsan_memcpy(void *d, const void *s, size_t n) {
    ACCESS(s, n, MEM_READ);
    ACCESS(d, n, MEM_WRITE);
    return memcpy(d, s, n);
}
HOOK void *__tsan_memmove(void *d, const void *s, size_t n) {
    ACCESS(s, n, MEM_READ);
    ACCESS(d, n, MEM_WRITE);
    return memmove(d, s, n);
}
HOOK void *__tsan_memset(void *d, int c, size_t n) {
    ACCESS(d, n, MEM_WRITE);
    return memset(d, c, n);
}

/* atomics: the operation itself, sequentially consistent */
#define SC __ATOMIC_SEQ_CST
#define ATOMICS(n, T)                                                                              \
    HOOK T __tsan_atomic##n##_load(const volatile T *a, int mo) {                                  \
        ACCESS_MO(a, sizeof(T), MEM_ATOMIC_LOAD, mo);                                              \
        return __atomic_load_n(a, SC);                                                             \
    }                                                                                              \
    HOOK void __tsan_atomic##n##_store(volatile T *a, T v, int mo) {                               \
        ACCESS_MO(a, sizeof(T), MEM_ATOMIC_STORE, mo);                                             \
        __atomic_store_n(a, v, SC);                                                                \
    }                                                                                              \
    HOOK T __tsan_atomic##n##_exchange(volatile T *a, T v, int mo) {                               \
        ACCESS_MO(a, sizeof(T), MEM_ATOMIC_RMW, mo);                                               \
        return __atomic_exchange_n(a, v, SC);                                                      \
    }                                                                                              \
    RMW(n, T, fetch_add)                                                                           \
    RMW(n, T, fetch_sub)                                                                           \
    RMW(n, T, fetch_and)                                                                           \
    RMW(n, T, fetch_or)                                                                            \
    RMW(n, T, fetch_xor)                                                                           \
    RMW(n, T, fetch_nand)                                                                          \
    HOOK int __tsan_atomic##n##_compare_exchange_strong(volatile T *a, T *c, T v, int mo,          \
                                                        int fmo) {                                 \
        (void)fmo;                                                                                 \
        ACCESS_MO(a, sizeof(T), MEM_ATOMIC_RMW, mo);                                               \
        return __atomic_compare_exchange_n(a, c, v, false, SC, SC);                                \
    }                                                                                              \
    HOOK int __tsan_atomic##n##_compare_exchange_weak(volatile T *a, T *c, T v, int mo, int fmo) { \
        (void)fmo;                                                                                 \
        ACCESS_MO(a, sizeof(T), MEM_ATOMIC_RMW, mo);                                               \
        return __atomic_compare_exchange_n(a, c, v, false, SC, SC); /* never fails spuriously */   \
    }                                                                                              \
    HOOK T __tsan_atomic##n##_compare_exchange_val(volatile T *a, T c, T v, int mo, int fmo) {     \
        (void)fmo;                                                                                 \
        ACCESS_MO(a, sizeof(T), MEM_ATOMIC_RMW, mo);                                               \
        __atomic_compare_exchange_n(a, &c, v, false, SC, SC);                                      \
        return c;                                                                                  \
    }
#define RMW(n, T, op)                                                                              \
    HOOK T __tsan_atomic##n##_##op(volatile T *a, T v, int mo) {                                   \
        ACCESS_MO(a, sizeof(T), MEM_ATOMIC_RMW, mo);                                               \
        return __atomic_##op(a, v, SC);                                                            \
    }
ATOMICS(8, uint8_t)
ATOMICS(16, uint16_t)
ATOMICS(32, uint32_t)
ATOMICS(64, uint64_t)
#if defined(__SIZEOF_INT128__)
/* 16 bytes are not lock-free here: libatomic does them under a lock, as it
 * does for the program natively */
#if defined(__clang__)
#pragma clang diagnostic ignored "-Watomic-alignment"
#endif
ATOMICS(128, unsigned __int128)
#endif

HOOK void __tsan_atomic_thread_fence(int mo) {
    ACCESS_MO(NULL, 0, MEM_FENCE, mo);
    __atomic_thread_fence(SC);
}
HOOK void __tsan_atomic_signal_fence(int mo) {
    (void)mo;
    __atomic_signal_fence(SC);
}

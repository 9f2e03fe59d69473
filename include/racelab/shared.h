/* racelab/shared.h - layer 2: shared data of any type, made visible.
 *
 * rl_var (racelab/var.h) covers integers. For anything else the threads
 * share (a struct, a pointer, a buffer), bracket each access: the explorer
 * then schedules right before it, may put another thread between a read
 * and the write that depends on it, and names the object in its trace.
 *
 *     rl_shared_read(&account, sizeof account, "account");   // copy out
 *     rl_shared_write(&account, &next, sizeof next, "account"); // copy in
 * or, around an access of your own:
 *     rl_shared a = rl_shared_begin(&list, "list", RL_ACCESS_WRITE);
 *     list.head = node;
 *     rl_shared_end(&a);
 *
 * This is visibility, not synchronization: on real threads these are
 * plain memory copies, and data shared without a lock is a data race
 * there as anywhere (ThreadSanitizer will say so). Under the explorer only
 * one thread runs at a time, so every access is whole.
 *
 * Concurrency contract: any thread may call these at any time; nothing
 * here blocks. name is kept, not copied (a string literal is fine).
 *
 * Arguments (as every layer-2 header): a NULL object, or a NULL buffer
 * with a size, is a programming error: fatal, naming the call.
 */
#ifndef RACELAB_SHARED_H
#define RACELAB_SHARED_H

#include <stddef.h>

#include "racelab/platform.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct rl_shared {
    rl_access access;
    const char *name;
} rl_shared;

/* A scheduling point before an access to object, then the access is the
 * caller's until rl_shared_end. kind: RL_ACCESS_READ, _WRITE or _RMW. */
rl_shared rl_shared_begin(const void *object, const char *name, rl_access_kind kind);
void rl_shared_end(rl_shared *s);

/* Copy size bytes out of object into out, as one visible read. */
void rl_shared_read(const void *object, void *out, size_t size, const char *name);
/* Copy size bytes of value into object, as one visible write. */
void rl_shared_write(void *object, const void *value, size_t size, const char *name);

#ifdef __cplusplus
}
#endif
#endif

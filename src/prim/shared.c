/* shared.c - visible accesses to shared data of any type (see
 * racelab/shared.h). */
#include "racelab/shared.h"

#include <string.h>

static const char *shared_name(const void *object, uint64_t key) {
    (void)object;
    return (const char *)(uintptr_t)key; /* the name travels in the key */
}

rl_shared rl_shared_begin(const void *object, const char *name, rl_access_kind kind) {
    static const char *const ops[] = {[RL_ACCESS_READ] = "read", [RL_ACCESS_WRITE] = "write",
                                      [RL_ACCESS_RMW] = "update"};
    if (!object)
        rl_fatal("rl_shared_begin: NULL object");
    rl_shared s = {.name = name ? name : "shared"};
    s.access = (rl_access){.kind = kind, .op = ops[kind <= RL_ACCESS_RMW ? kind : 0],
                           .object = object, .key = (uint64_t)(uintptr_t)s.name,
                           .name_of = shared_name, .version_read = RL_ACCESS_NO_VERSION,
                           .opaque = true};
    rl_access_begin(&s.access);
    return s;
}

void rl_shared_end(rl_shared *s) {
    if (!s)
        rl_fatal("rl_shared_end: NULL access");
    rl_access_end(&s->access);
}

void rl_shared_read(const void *object, void *out, size_t size, const char *name) {
    if (!object || (!out && size))
        rl_fatal("rl_shared_read: NULL object or destination");
    rl_shared s = rl_shared_begin(object, name, RL_ACCESS_READ);
    memcpy(out, object, size);
    rl_shared_end(&s);
}

void rl_shared_write(void *object, const void *value, size_t size, const char *name) {
    if (!object || (!value && size))
        rl_fatal("rl_shared_write: NULL object or value");
    rl_shared s = rl_shared_begin(object, name, RL_ACCESS_WRITE);
    memcpy(object, value, size);
    rl_shared_end(&s);
}

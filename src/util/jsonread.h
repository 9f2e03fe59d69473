/* jsonread.h - a small JSON reader: a document parsed whole into a tree,
 * for `racelab merge`, which reads back what `racelab explore --json`
 * wrote (json.h). Strict RFC 8259 syntax; numbers are kept as their text
 * too, so 64-bit counts come back exact. Nesting up to 64 levels.
 * Internal. */
#ifndef RACELAB_UTIL_JSONREAD_H
#define RACELAB_UTIL_JSONREAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum { RL_JV_NULL, RL_JV_BOOL, RL_JV_NUMBER, RL_JV_STRING, RL_JV_ARRAY, RL_JV_OBJECT } rl__jtype;

typedef struct rl__jv {
    rl__jtype type;
    bool b;
    char *s;     /* a string's value (NUL-terminated; an embedded NUL ends it); a number's text */
    size_t n;    /* an array's items or an object's members */
    struct rl__jv *items;
    char **keys; /* an object's: keys[i] names items[i] */
} rl__jv;

/* The document in text[0 .. len): a tree to free with rl__jv_free, or
 * NULL with why said ("line 3: a ',' or '}' expected"). */
rl__jv *rl__jv_parse(const char *text, size_t len, char *why, size_t why_len);
void rl__jv_free(rl__jv *v);

/* An object's member (the first of that name), or NULL: no such member,
 * or v is not an object. */
const rl__jv *rl__jv_get(const rl__jv *v, const char *key);
/* A member's value of the type asked for; false when it is missing or of
 * another type (a number that is not a whole number in range, for u64). */
bool rl__jv_u64(const rl__jv *obj, const char *key, uint64_t *out);
bool rl__jv_bool(const rl__jv *obj, const char *key, bool *out);
const char *rl__jv_str(const rl__jv *obj, const char *key); /* NULL: not a string */

#endif

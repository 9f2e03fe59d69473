/* json.h - a small streaming JSON writer: the command's --json output and the
 * explorer's JSON report.
 * Keys are NULL inside arrays. Nesting up to 32 levels. Internal. */
#ifndef RACELAB_UTIL_JSON_H
#define RACELAB_UTIL_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

typedef struct rl__json {
    FILE *f;
    int depth;
    bool need_comma[32];
} rl__json;

void rl__json_init(rl__json *j, FILE *f);
void rl__json_object(rl__json *j, const char *key);
void rl__json_array(rl__json *j, const char *key);
void rl__json_end(rl__json *j, char closer); /* '}' or ']'; a newline after the last */
void rl__json_str(rl__json *j, const char *key, const char *value); /* NULL writes null */
void rl__json_int(rl__json *j, const char *key, int64_t value);
void rl__json_uint(rl__json *j, const char *key, uint64_t value);
void rl__json_double(rl__json *j, const char *key, double value);
void rl__json_bool(rl__json *j, const char *key, bool value);

#endif

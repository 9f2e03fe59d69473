/* json.h - a small streaming JSON writer for the command's --json output.
 * Keys are NULL inside arrays. Nesting up to 32 levels. Internal. */
#ifndef RACELAB_CLI_JSON_H
#define RACELAB_CLI_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

typedef struct rl_json {
    FILE *f;
    int depth;
    bool need_comma[32];
} rl_json;

void rl_json_init(rl_json *j, FILE *f);
void rl_json_object(rl_json *j, const char *key);
void rl_json_array(rl_json *j, const char *key);
void rl_json_end(rl_json *j, char closer); /* '}' or ']'; a newline after the last */
void rl_json_str(rl_json *j, const char *key, const char *value); /* NULL writes null */
void rl_json_int(rl_json *j, const char *key, int64_t value);
void rl_json_uint(rl_json *j, const char *key, uint64_t value);
void rl_json_double(rl_json *j, const char *key, double value);
void rl_json_bool(rl_json *j, const char *key, bool value);

#endif

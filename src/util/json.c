/* json.c - see json.h. */
#include "json.h"

#include <inttypes.h>
#include <math.h>

void rl__json_init(rl__json *j, FILE *f) {
    j->f = f;
    j->depth = 0;
    j->need_comma[0] = false;
}

static void write_string(FILE *f, const char *s) {
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"': fputs("\\\"", f); break;
        case '\\': fputs("\\\\", f); break;
        case '\n': fputs("\\n", f); break;
        case '\r': fputs("\\r", f); break;
        case '\t': fputs("\\t", f); break;
        default:
            if (*p < 0x20)
                fprintf(f, "\\u%04x", *p);
            else
                fputc(*p, f);
        }
    }
    fputc('"', f);
}

static void key(rl__json *j, const char *k) {
    if (j->need_comma[j->depth])
        fputc(',', j->f);
    j->need_comma[j->depth] = true;
    if (j->depth > 0) {
        fputc('\n', j->f);
        for (int i = 0; i < j->depth; i++)
            fputs("  ", j->f);
    }
    if (k) {
        write_string(j->f, k);
        fputs(": ", j->f);
    }
}

static void begin_container(rl__json *j, const char *k, char opener) {
    key(j, k);
    fputc(opener, j->f);
    if (j->depth < 31)
        j->need_comma[++j->depth] = false;
}

void rl__json_object(rl__json *j, const char *k) { begin_container(j, k, '{'); }
void rl__json_array(rl__json *j, const char *k) { begin_container(j, k, '['); }

void rl__json_end(rl__json *j, char closer) {
    bool had_items = j->need_comma[j->depth];
    if (j->depth > 0)
        j->depth--;
    if (had_items) {
        fputc('\n', j->f);
        for (int i = 0; i < j->depth; i++)
            fputs("  ", j->f);
    }
    fputc(closer, j->f);
    if (j->depth == 0)
        fputc('\n', j->f);
}

void rl__json_str(rl__json *j, const char *k, const char *v) {
    key(j, k);
    if (v)
        write_string(j->f, v);
    else
        fputs("null", j->f);
}

void rl__json_int(rl__json *j, const char *k, int64_t v) {
    key(j, k);
    fprintf(j->f, "%" PRId64, v);
}

void rl__json_uint(rl__json *j, const char *k, uint64_t v) {
    key(j, k);
    fprintf(j->f, "%" PRIu64, v);
}

void rl__json_double(rl__json *j, const char *k, double v) {
    key(j, k);
    if (isfinite(v))
        fprintf(j->f, "%.6g", v);
    else
        fputs("null", j->f);
}

void rl__json_bool(rl__json *j, const char *k, bool v) {
    key(j, k);
    fputs(v ? "true" : "false", j->f);
}

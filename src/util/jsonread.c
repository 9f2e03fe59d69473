/* jsonread.c - a small JSON reader: see jsonread.h. */
#include "jsonread.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 64

typedef struct {
    const char *start, *p, *end;
    char *why;
    size_t why_len;
    bool failed;
} reader;

static unsigned line_of(const reader *r) {
    unsigned line = 1;
    for (const char *q = r->start; q < r->p; q++)
        line += *q == '\n';
    return line;
}

static bool fail(reader *r, const char *what) {
    if (!r->failed)
        snprintf(r->why, r->why_len, "line %u: %s", line_of(r), what);
    r->failed = true;
    return false;
}

static void skip_space(reader *r) {
    while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r'))
        r->p++;
}

static bool literal(reader *r, const char *word) {
    size_t n = strlen(word);
    if ((size_t)(r->end - r->p) < n || memcmp(r->p, word, n) != 0)
        return fail(r, "a value expected");
    r->p += n;
    return true;
}

static int hex4(const char *p) {
    int v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= c - '0';
        else if (c >= 'a' && c <= 'f')
            v |= c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            v |= c - 'A' + 10;
        else
            return -1;
    }
    return v;
}

/* Code point cp as UTF-8 at out; its length. */
static size_t utf8(unsigned long cp, char *out) {
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xc0 | cp >> 6);
        out[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xe0 | cp >> 12);
        out[1] = (char)(0x80 | (cp >> 6 & 0x3f));
        out[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    out[0] = (char)(0xf0 | cp >> 18);
    out[1] = (char)(0x80 | (cp >> 12 & 0x3f));
    out[2] = (char)(0x80 | (cp >> 6 & 0x3f));
    out[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

/* A string, the opening quote at r->p: its value, malloc'd. */
static char *string(reader *r) {
    r->p++;
    const char *from = r->p;
    while (r->p < r->end && *r->p != '"') /* its length, escapes at most as long */
        r->p += *r->p == '\\' && r->p + 1 < r->end ? 2 : 1;
    if (r->p >= r->end) {
        fail(r, "a string not ended");
        return NULL;
    }
    const char *to = r->p++;
    char *out = malloc((size_t)(to - from) + 1), *o = out;
    if (!out) {
        fail(r, "out of memory");
        return NULL;
    }
    for (const char *q = from; q < to; q++) {
        if ((unsigned char)*q < 0x20) {
            free(out);
            fail(r, "a control character inside a string");
            return NULL;
        }
        if (*q != '\\') {
            *o++ = *q;
            continue;
        }
        q++;
        switch (*q) {
        case '"': *o++ = '"'; break;
        case '\\': *o++ = '\\'; break;
        case '/': *o++ = '/'; break;
        case 'b': *o++ = '\b'; break;
        case 'f': *o++ = '\f'; break;
        case 'n': *o++ = '\n'; break;
        case 'r': *o++ = '\r'; break;
        case 't': *o++ = '\t'; break;
        case 'u': {
            int hi = to - q > 4 ? hex4(q + 1) : -1;
            if (hi < 0)
                goto bad;
            q += 4;
            unsigned long cp = (unsigned long)hi;
            if (hi >= 0xd800 && hi < 0xdc00) { /* a surrogate pair */
                int lo = to - q > 6 && q[1] == '\\' && q[2] == 'u' ? hex4(q + 3) : -1;
                if (lo < 0xdc00 || lo >= 0xe000)
                    goto bad;
                q += 6;
                cp = 0x10000 + ((unsigned long)(hi - 0xd800) << 10) + (unsigned long)(lo - 0xdc00);
            } else if (hi >= 0xdc00 && hi < 0xe000) {
                goto bad;
            }
            o += utf8(cp, o); /* never longer than its escape */
            break;
        }
        default: goto bad;
        }
    }
    *o = '\0';
    return out;
bad:
    free(out);
    fail(r, "a bad escape inside a string");
    return NULL;
}

static bool number(reader *r, rl__jv *v) {
    const char *from = r->p;
    if (r->p < r->end && *r->p == '-')
        r->p++;
    if (r->p >= r->end || *r->p < '0' || *r->p > '9')
        return fail(r, "a value expected");
    if (*r->p == '0')
        r->p++;
    else
        while (r->p < r->end && *r->p >= '0' && *r->p <= '9')
            r->p++;
    if (r->p < r->end && *r->p == '.') {
        r->p++;
        if (r->p >= r->end || *r->p < '0' || *r->p > '9')
            return fail(r, "a digit expected after '.'");
        while (r->p < r->end && *r->p >= '0' && *r->p <= '9')
            r->p++;
    }
    if (r->p < r->end && (*r->p == 'e' || *r->p == 'E')) {
        r->p++;
        if (r->p < r->end && (*r->p == '+' || *r->p == '-'))
            r->p++;
        if (r->p >= r->end || *r->p < '0' || *r->p > '9')
            return fail(r, "a digit expected in an exponent");
        while (r->p < r->end && *r->p >= '0' && *r->p <= '9')
            r->p++;
    }
    v->type = RL_JV_NUMBER;
    v->s = strndup(from, (size_t)(r->p - from));
    return v->s || fail(r, "out of memory");
}

static bool value(reader *r, rl__jv *v, int depth);

/* Room for one more item (and key) in v. */
static bool grow(reader *r, rl__jv *v, size_t *cap, bool keyed) {
    if (v->n < *cap)
        return true;
    size_t c = *cap ? 2 * *cap : 4;
    rl__jv *items = realloc(v->items, c * sizeof *items);
    if (items)
        v->items = items;
    char **keys = keyed ? realloc(v->keys, c * sizeof *keys) : NULL;
    if (keys)
        v->keys = keys;
    if (!items || (keyed && !keys))
        return fail(r, "out of memory");
    *cap = c;
    return true;
}

static bool array(reader *r, rl__jv *v, int depth) {
    r->p++;
    v->type = RL_JV_ARRAY;
    size_t cap = 0;
    skip_space(r);
    if (r->p < r->end && *r->p == ']') {
        r->p++;
        return true;
    }
    for (;;) {
        if (!grow(r, v, &cap, false))
            return false;
        v->items[v->n] = (rl__jv){0};
        v->n++;
        if (!value(r, &v->items[v->n - 1], depth + 1))
            return false;
        skip_space(r);
        if (r->p < r->end && *r->p == ',') {
            r->p++;
            continue;
        }
        if (r->p < r->end && *r->p == ']') {
            r->p++;
            return true;
        }
        return fail(r, "a ',' or ']' expected");
    }
}

static bool object(reader *r, rl__jv *v, int depth) {
    r->p++;
    v->type = RL_JV_OBJECT;
    size_t cap = 0;
    skip_space(r);
    if (r->p < r->end && *r->p == '}') {
        r->p++;
        return true;
    }
    for (;;) {
        skip_space(r);
        if (r->p >= r->end || *r->p != '"')
            return fail(r, "a member's name (a string) expected");
        if (!grow(r, v, &cap, true))
            return false;
        v->items[v->n] = (rl__jv){0};
        v->keys[v->n] = NULL;
        v->n++;
        if (!(v->keys[v->n - 1] = string(r)))
            return false;
        skip_space(r);
        if (r->p >= r->end || *r->p != ':')
            return fail(r, "a ':' expected");
        r->p++;
        if (!value(r, &v->items[v->n - 1], depth + 1))
            return false;
        skip_space(r);
        if (r->p < r->end && *r->p == ',') {
            r->p++;
            continue;
        }
        if (r->p < r->end && *r->p == '}') {
            r->p++;
            return true;
        }
        return fail(r, "a ',' or '}' expected");
    }
}

static bool value(reader *r, rl__jv *v, int depth) {
    if (depth > MAX_DEPTH)
        return fail(r, "nested too deeply");
    skip_space(r);
    if (r->p >= r->end)
        return fail(r, "a value expected, the text ended");
    switch (*r->p) {
    case '{': return object(r, v, depth);
    case '[': return array(r, v, depth);
    case '"':
        v->type = RL_JV_STRING;
        return (v->s = string(r)) != NULL;
    case 't': v->type = RL_JV_BOOL; v->b = true; return literal(r, "true");
    case 'f': v->type = RL_JV_BOOL; return literal(r, "false");
    case 'n': v->type = RL_JV_NULL; return literal(r, "null");
    default: return number(r, v);
    }
}

static void release(rl__jv *v) {
    free(v->s);
    for (size_t i = 0; i < v->n; i++) {
        release(&v->items[i]);
        if (v->keys)
            free(v->keys[i]);
    }
    free(v->items);
    free(v->keys);
}

void rl__jv_free(rl__jv *v) {
    if (v) {
        release(v);
        free(v);
    }
}

rl__jv *rl__jv_parse(const char *text, size_t len, char *why, size_t why_len) {
    reader r = {.start = text, .p = text, .end = text + len, .why = why, .why_len = why_len};
    rl__jv *v = calloc(1, sizeof *v);
    if (!v) {
        snprintf(why, why_len, "out of memory");
        return NULL;
    }
    if (value(&r, v, 0)) {
        skip_space(&r);
        if (r.p == r.end)
            return v;
        fail(&r, "more text after the document");
    }
    rl__jv_free(v);
    return NULL;
}

const rl__jv *rl__jv_get(const rl__jv *v, const char *key) {
    if (!v || v->type != RL_JV_OBJECT)
        return NULL;
    for (size_t i = 0; i < v->n; i++)
        if (strcmp(v->keys[i], key) == 0)
            return &v->items[i];
    return NULL;
}

bool rl__jv_u64(const rl__jv *obj, const char *key, uint64_t *out) {
    const rl__jv *v = rl__jv_get(obj, key);
    if (!v || v->type != RL_JV_NUMBER || v->s[0] == '-' || strpbrk(v->s, ".eE"))
        return false;
    errno = 0;
    char *end;
    unsigned long long x = strtoull(v->s, &end, 10);
    if (errno || *end)
        return false;
    *out = x;
    return true;
}

bool rl__jv_bool(const rl__jv *obj, const char *key, bool *out) {
    const rl__jv *v = rl__jv_get(obj, key);
    if (!v || v->type != RL_JV_BOOL)
        return false;
    *out = v->b;
    return true;
}

const char *rl__jv_str(const rl__jv *obj, const char *key) {
    const rl__jv *v = rl__jv_get(obj, key);
    return v && v->type == RL_JV_STRING ? v->s : NULL;
}

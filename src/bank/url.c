/* url.c - which bank a URL names, and making it (see racelab/dbbank.h). */
#include <stdio.h>
#include <string.h>

#include "racelab/dbbank.h"

#define WHY(...) (why ? (void)snprintf(why, why_len, __VA_ARGS__) : (void)0)

static bool starts(const char *s, const char *prefix) {
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

rl_err rl_bank_url_parse(const char *url, rl_bank_backend *backend, const char **rest, char *why,
                         size_t why_len) {
    if (!url || !*url) {
        WHY("no bank given: memory, sqlite:PATH, postgresql://... or a key=value string");
        return RL_EINVAL;
    }
    const char *r = url;
    rl_bank_backend b;
    if (strcmp(url, "memory") == 0) {
        b = RL_BACKEND_MEMORY;
    } else if (starts(url, "sqlite:")) {
        b = RL_BACKEND_SQLITE;
        r = url + strlen("sqlite:");
        if (starts(r, "//"))
            r += 2; /* sqlite:///tmp/x.db and sqlite:/tmp/x.db name the same file */
        if (!*r) {
            WHY("'%s' names no file: write sqlite:PATH, for example sqlite:/tmp/bank.db", url);
            return RL_EINVAL;
        }
    } else if (starts(url, "postgresql://") || starts(url, "postgres://")) {
        b = RL_BACKEND_POSTGRESQL;
    } else if (strchr(url, '=') && !strchr(url, ':')) {
        b = RL_BACKEND_POSTGRESQL; /* libpq key=value: host=/tmp dbname=bank */
    } else if (strchr(url, '=')) {
        /* key=value with a colon in it (host=10.0.0.1 options=-c a:b) is fine
         * too, as long as it does not look like some other scheme */
        const char *colon = strchr(url, ':'), *eq = strchr(url, '=');
        if (eq < colon) {
            b = RL_BACKEND_POSTGRESQL;
        } else {
            WHY("'%s' is no bank URL: memory, sqlite:PATH, postgresql://... or key=value", url);
            return RL_EINVAL;
        }
    } else {
        WHY("'%s' is no bank URL: memory, sqlite:PATH, postgresql://... or key=value", url);
        return RL_EINVAL;
    }
    if (backend)
        *backend = b;
    if (rest)
        *rest = r;
    return RL_OK;
}

rl_err rl_bank_create_url(const char *url, unsigned flags, size_t capacity, rl_bank **out,
                          char *why, size_t why_len) {
    rl_bank_backend b;
    const char *rest;
    rl_err e = rl_bank_url_parse(url ? url : "memory", &b, &rest, why, why_len);
    if (e != RL_OK)
        return e;
    if ((flags & RL_BANK_UNSYNCHRONIZED) && b != RL_BACKEND_MEMORY) {
        if (why)
            snprintf(why, why_len, "plain unsynchronized balances exist in memory only, not in a "
                                   "database (a database synchronizes every statement)");
        return RL_ENOTSUP;
    }
    switch (b) {
    case RL_BACKEND_MEMORY:
        return flags & RL_BANK_UNSYNCHRONIZED ? rl_membank_create_unsynchronized(capacity, out)
                                              : rl_membank_create(capacity, out);
    case RL_BACKEND_SQLITE:
        return rl_sqlitebank_create(rest, flags, out, why, why_len);
    case RL_BACKEND_POSTGRESQL:
        return rl_pgbank_create(rest, flags, out, why, why_len);
    }
    return RL_EINVAL;
}

void rl_bank_url_redact(const char *url, char *out, size_t len) {
    if (!out || len == 0)
        return;
    snprintf(out, len, "%s", url ? url : "");
    /* postgresql://user:secret@host -> postgresql://user:***@host */
    char *scheme = strstr(out, "://");
    if (scheme) {
        char *at = strchr(scheme + 3, '@');
        char *colon = strchr(scheme + 3, ':');
        if (at && colon && colon < at && (size_t)(colon - out) + 5 < len) {
            memmove(colon + 4, at, strlen(at) + 1);
            memcpy(colon + 1, "***", 3);
        }
    }
    /* password=secret -> password=*** */
    char *pw = strstr(out, "password=");
    if (pw) {
        char *v = pw + strlen("password="), *end = v;
        while (*end && *end != ' ')
            end++;
        if ((size_t)(v - out) + 4 < len) {
            memmove(v + 3, end, strlen(end) + 1);
            memcpy(v, "***", 3);
        }
    }
}

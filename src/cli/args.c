/* args.c - parsing and printing helpers of the command. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "racelab/dbbank.h"

const char *rl_cli_prog = "racelab";

int rl_cli_usage_error(const char *verb, const char *fmt, ...) {
    va_list ap;
    fprintf(stderr, "%s%s%s: ", rl_cli_prog, verb ? " " : "", verb ? verb : "");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, " (see '%s%s%s --help')\n", rl_cli_prog, verb ? " " : "", verb ? verb : "");
    return EXIT_USAGE;
}

bool rl_cli_parse_u64(const char *verb, const char *flag, const char *text, uint64_t min,
                      uint64_t max, uint64_t *out) {
    if (!text || !*text || strchr(text, '-') || strchr(text, ' ')) {
        rl_cli_usage_error(verb, "%s wants a whole number from %" PRIu64 " to %" PRIu64
                                 ", not '%s'", flag, min, max, text ? text : "");
        return false;
    }
    char *end;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (errno || *end || v < min || v > max) {
        rl_cli_usage_error(verb, "%s wants a whole number from %" PRIu64 " to %" PRIu64
                                 ", not '%s'", flag, min, max, text);
        return false;
    }
    *out = v;
    return true;
}

bool rl_cli_parse_duration(const char *verb, const char *flag, const char *text, uint64_t max_ns,
                           uint64_t *out_ns) {
    char maxbuf[32];
    rl_cli_format_duration(max_ns, maxbuf, sizeof maxbuf);
    if (!text || !*text || text[0] == '-' || text[0] == '+') {
        rl_cli_usage_error(verb, "%s wants a duration such as 5ms, 250us or 1.5s, not '%s'", flag,
                           text ? text : "");
        return false;
    }
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    static const struct {
        const char *unit;
        double ns;
    } units[] = {{"ns", 1}, {"us", 1e3}, {"ms", 1e6}, {"s", 1e9}, {"min", 60e9}, {"h", 3600e9}};
    double scale = -1;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (strcmp(end, units[i].unit) == 0)
            scale = units[i].ns;
    if (*end == '\0' && v == 0 && end != text)
        scale = 1; /* a bare 0 needs no unit */
    if (errno || end == text || scale < 0 || v != v) {
        rl_cli_usage_error(verb, "%s wants a duration such as 5ms, 250us or 1.5s, not '%s'", flag,
                           text);
        return false;
    }
    double ns = v * scale;
    if (ns > (double)max_ns) {
        rl_cli_usage_error(verb, "%s %s is too long: at most %s", flag, text, maxbuf);
        return false;
    }
    *out_ns = (uint64_t)(ns + 0.5);
    return true;
}

const char *rl_cli_format_duration(uint64_t ns, char *buf, size_t len) {
    if (ns >= 1000000000u)
        snprintf(buf, len, "%.3g s", (double)ns / 1e9);
    else if (ns >= 1000000u)
        snprintf(buf, len, "%.3g ms", (double)ns / 1e6);
    else if (ns >= 1000u)
        snprintf(buf, len, "%.3g us", (double)ns / 1e3);
    else
        snprintf(buf, len, "%" PRIu64 " ns", ns);
    return buf;
}

bool rl_cli_colour(void) {
    static int cached = -1;
    if (cached < 0) {
        const char *no = getenv("NO_COLOR");
        cached = isatty(STDOUT_FILENO) && !(no && *no);
    }
    return cached;
}

const char *rl_cli_green(void) { return rl_cli_colour() ? "\033[32m" : ""; }
const char *rl_cli_red(void) { return rl_cli_colour() ? "\033[31m" : ""; }
const char *rl_cli_bold(void) { return rl_cli_colour() ? "\033[1m" : ""; }
const char *rl_cli_reset(void) { return rl_cli_colour() ? "\033[0m" : ""; }

bool rl_cli_wants_help(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0)
            return false;
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
            return true;
    }
    return false;
}

const char rl_cli_bank_help[] =
    "  --bank URL        where the balances live (default memory):\n"
    "                    memory, sqlite:PATH, postgresql://USER@HOST/DB, or a libpq\n"
    "                    key=value string such as 'host=/tmp dbname=bank'; racelab\n"
    "                    makes a scratch bank (tables racelab_*) there for each run,\n"
    "                    replacing only the scratch bank of an earlier run: any other\n"
    "                    racelab_* table (a bank 'racelab bank init' made, with its\n"
    "                    ledger) is refused, named, and left alone\n"
    "  --force           replace whatever racelab_* tables --bank holds\n";

int rl_cli_bank_exists(const char *verb, const char *url, const char *why, const char *option) {
    char shown[512];
    rl_bank_url_redact(url, shown, sizeof shown);
    fprintf(stderr, "racelab %s: %s: %s; %s drops every racelab_* table there and makes the "
                    "bank anew\n",
            verb, shown, why, option);
    return EXIT_USAGE;
}

int rl_cli_bank_failed(const char *verb, const char *url, rl_err e, const char *why,
                       const char *option) {
    if (e == RL_EEXIST)
        return rl_cli_bank_exists(verb, url, why, option);
    fprintf(stderr, "racelab %s: %s%s%s\n", verb, rl_strerror(e), why && *why ? ": " : "",
            why ? why : "");
    return e == RL_EINVAL || e == RL_ENOTSUP ? EXIT_USAGE : EXIT_ERROR;
}

bool rl_cli_parse_bank(const char *verb, const char *text, const char **out) {
    char why[256];
    if (rl_bank_url_parse(text, NULL, NULL, why, sizeof why) != RL_OK) {
        rl_cli_usage_error(verb, "--bank: %s", why);
        return false;
    }
    *out = text;
    return true;
}

char *rl_cli_read_file(const char *path, size_t *len, char *why, size_t why_len) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(why, why_len, "cannot read %s: %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 65536, n = 0;
    char *text = malloc(cap);
    while (text) {
        n += fread(text + n, 1, cap - n, f);
        if (n < cap)
            break;
        char *bigger = realloc(text, cap * 2);
        if (!bigger) {
            free(text);
            text = NULL;
            break;
        }
        text = bigger;
        cap *= 2;
    }
    bool bad = ferror(f);
    fclose(f);
    if (!text || bad) {
        snprintf(why, why_len, "cannot read %s: %s", path, text ? "a read error" : "out of memory");
        free(text);
        return NULL;
    }
    text[n] = '\0'; /* the loop ends with room for it */
    *len = n;
    return text;
}

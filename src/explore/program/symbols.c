/* symbols.c - names for the addresses of a user's program: the source
 * line of a call (addr2line, from the debug information) and the variable
 * an object lives in (the symbol table, as nm prints it). Both tools come
 * with binutils; without them, or without debug information, the
 * addresses stay addresses. Only counterexamples are symbolized, so the
 * cost of running the tools is paid once per report, not per schedule. */
#include "symbols.h"
#include "../../util/grow.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* uthash, as the banks use it: a failed allocation leaves the entry out
 * (the address is then named again next time) rather than exiting */
#define HASH_NONFATAL_OOM 1
#define uthash_nonfatal_oom(elt) free_named(elt)
#include <uthash.h>

extern char **environ;

typedef struct mapping {
    uint64_t start, end, offset;
    char *path; /* NULL: anonymous */
    char label[16]; /* "[heap]", "[stack]", ... */
} mapping;

typedef struct datasym {
    uint64_t addr, size;
    char *name;
} datasym;

typedef struct image {
    char *path;
    uint64_t bias; /* runtime address - link-time address */
    bool loaded;   /* symbols read */
    datasym *syms;
    size_t nsyms;
} image;

/* A code address already named: addr2line runs once per distinct address,
 * however long the trace (a spin loop repeats a handful of them). */
typedef struct named {
    uint64_t addr;
    char *text;
    UT_hash_handle hh;
} named;

static void free_named(named *n) {
    free(n->text);
    free(n);
}

struct rl__symbols {
    mapping *maps;
    size_t nmaps;
    image *images;
    size_t nimages;
    named *names; /* uthash by address */
};

/* Run argv, return its standard output (heap) or NULL. */
static char *capture(char *const argv[]) {
    int fds[2];
    if (pipe(fds) != 0)
        return NULL;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addclose(&fa, fds[0]);
    pid_t pid;
    int rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    if (rc != 0) {
        close(fds[0]);
        return NULL;
    }
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    for (ssize_t n; buf && (n = read(fds[0], buf + len, cap - len - 1)) != 0;) {
        if (n < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        len += (size_t)n;
        if (cap - len < 2) {
            char *bigger = realloc(buf, cap *= 2);
            if (!bigger) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = bigger;
        }
    }
    close(fds[0]);
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (buf)
        buf[len] = '\0';
    return buf;
}

/* The ELF type: 2 executable at fixed addresses, 3 position independent. */
static int elf_type(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    unsigned char h[18];
    size_t n = fread(h, 1, sizeof h, f);
    fclose(f);
    if (n < sizeof h || memcmp(h, "\177ELF", 4) != 0)
        return 0;
    return h[5] == 1 ? h[16] | h[17] << 8 : h[17] | h[16] << 8;
}

rl_err rl__symbols_open(int pid, rl__symbols **out) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/maps", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return RL_ESYS;
    rl__symbols *s = calloc(1, sizeof *s);
    if (!s) {
        fclose(f);
        return RL_ENOMEM;
    }
    char line[4096];
    size_t cap = 0;
    while (fgets(line, sizeof line, f)) {
        unsigned long long start, end, offset;
        char perms[8];
        int consumed = 0;
        if (sscanf(line, "%llx-%llx %7s %llx %*s %*s%n", &start, &end, perms, &offset,
                   &consumed) != 4)
            continue;
        char *name = line + consumed;
        while (*name == ' ')
            name++;
        name[strcspn(name, "\n")] = '\0';
        if (s->nmaps == cap) {
            mapping *bigger = rl__grow(s->maps, &cap, sizeof *bigger, 64);
            if (!bigger)
                break;
            s->maps = bigger;
        }
        mapping *m = &s->maps[s->nmaps++];
        *m = (mapping){.start = start, .end = end, .offset = offset};
        if (name[0] == '/')
            m->path = strdup(name);
        else
            snprintf(m->label, sizeof m->label, "%s", name[0] ? name : "anonymous");
    }
    fclose(f);
    /* one image per file, its bias from its first mapping */
    for (size_t i = 0; i < s->nmaps; i++) {
        mapping *m = &s->maps[i];
        if (!m->path)
            continue;
        bool seen = false;
        for (size_t k = 0; k < s->nimages && !seen; k++)
            seen = strcmp(s->images[k].path, m->path) == 0;
        if (seen)
            continue;
        image *bigger = realloc(s->images, (s->nimages + 1) * sizeof *bigger);
        if (!bigger)
            break;
        s->images = bigger;
        image *im = &s->images[s->nimages++];
        *im = (image){.path = strdup(m->path)};
        im->bias = elf_type(m->path) == 3 ? m->start - m->offset : 0;
    }
    *out = s;
    return RL_OK;
}

void rl__symbols_close(rl__symbols *s) {
    if (!s)
        return;
    for (size_t i = 0; i < s->nmaps; i++)
        free(s->maps[i].path);
    for (size_t i = 0; i < s->nimages; i++) {
        for (size_t k = 0; k < s->images[i].nsyms; k++)
            free(s->images[i].syms[k].name);
        free(s->images[i].syms);
        free(s->images[i].path);
    }
    named *n, *next;
    HASH_ITER(hh, s->names, n, next) {
        HASH_DEL(s->names, n);
        free_named(n);
    }
    free(s->maps);
    free(s->images);
    free(s);
}

static const char *known_name(rl__symbols *s, uint64_t addr) {
    named *n;
    HASH_FIND(hh, s->names, &addr, sizeof addr, n);
    return n ? n->text : NULL;
}

/* Keep addr's name (without memory: it is named again next time). */
static void remember_name(rl__symbols *s, uint64_t addr, const char *text) {
    named *n = calloc(1, sizeof *n);
    if (!n || !(n->text = strdup(text))) {
        free(n);
        return;
    }
    n->addr = addr;
    HASH_ADD(hh, s->names, addr, sizeof n->addr, n);
}

static const mapping *mapping_of(const rl__symbols *s, uint64_t addr) {
    for (size_t i = 0; i < s->nmaps; i++)
        if (addr >= s->maps[i].start && addr < s->maps[i].end)
            return &s->maps[i];
    return NULL;
}

static image *image_of(rl__symbols *s, const char *path) {
    for (size_t i = 0; i < s->nimages; i++)
        if (strcmp(s->images[i].path, path) == 0)
            return &s->images[i];
    return NULL;
}

static const char *basename_of(const char *path) {
    const char *b = strrchr(path, '/');
    return b ? b + 1 : path;
}

void rl__symbols_code(rl__symbols *s, uint64_t addr, char *out, size_t len) {
    if (!addr) {
        snprintf(out, len, "%s", ""); /* no call to point at */
        return;
    }
    snprintf(out, len, "%#" PRIx64, addr);
    if (!s)
        return;
    const char *known = known_name(s, addr);
    if (known) {
        snprintf(out, len, "%s", known);
        return;
    }
    const mapping *m = mapping_of(s, addr);
    image *im = m && m->path ? image_of(s, m->path) : NULL;
    if (!im)
        return;
    /* a return address: the call is the instruction before it */
    char a[32];
    snprintf(a, sizeof a, "%#" PRIx64, addr - 1 - im->bias);
    char *argv[] = {"addr2line", "-f", "-i", "-C", "-e", im->path, a, NULL};
    char *text = capture(argv);
    if (!text)
        return;
    /* -i: the chain of functions inlined at the call, innermost first, a
     * pair of lines each (function, file:line). The line shown is the
     * innermost one outside the system's headers: a call inside an inlined
     * library wrapper (std::mutex::lock, std::lock_guard) is shown where
     * the program made it, as the user wrote it. */
    char *fn = text, *where = NULL;
    for (char *p = text; p && *p;) {
        char *f = p, *nl = strchr(p, '\n');
        char *w = nl ? nl + 1 : NULL;
        if (nl)
            *nl = '\0';
        char *next = w ? strchr(w, '\n') : NULL;
        if (next)
            *next++ = '\0';
        if (w)
            w[strcspn(w, " (")] = '\0';
        fn = f;
        where = w;
        if (!w || (strncmp(w, "/usr/include/", 13) != 0 && strncmp(w, "/usr/lib/", 9) != 0))
            break; /* the program's own frame (or the last there is) */
        p = next;
    }
    bool has_line = where && where[0] && where[0] != '?';
    if (has_line) {
        /* keep "file.c:42", drop the directories and a discriminator */
        snprintf(out, len, "%s in %s", basename_of(where), fn[0] && fn[0] != '?' ? fn : "?");
    } else if (fn[0] && fn[0] != '?') {
        snprintf(out, len, "%s+%s (%s)", fn, a, basename_of(im->path));
    } else {
        snprintf(out, len, "%s (%s)", a, basename_of(im->path));
    }
    free(text);
    remember_name(s, addr, out);
}

bool rl__symbols_is_user(const char *code) {
    const char *in = strstr(code, " in ");
    if (!in)
        return false; /* no source line */
    const char *fn = in + 4;
    /* names reserved to the implementation (C and C++ alike): a double
     * underscore, or an underscore and a capital; and the C++ library's */
    if ((fn[0] == '_' && (fn[1] == '_' || (fn[1] >= 'A' && fn[1] <= 'Z'))) ||
        strncmp(fn, "std::", 5) == 0 || strncmp(fn, "__gnu_cxx::", 11) == 0)
        return false;
    return true;
}

void rl__symbols_user_code(rl__symbols *s, const uint64_t *addrs, size_t n, char *out,
                           size_t len) {
    rl__symbols_code(s, n ? addrs[0] : 0, out, len);
    if (rl__symbols_is_user(out))
        return;
    for (size_t i = 1; i < n && addrs[i]; i++) {
        char at[256];
        rl__symbols_code(s, addrs[i], at, sizeof at);
        if (rl__symbols_is_user(at)) {
            snprintf(out, len, "%s", at);
            return;
        }
    }
}

static int cmp_sym(const void *x, const void *y) {
    const datasym *a = x, *b = y;
    return (a->addr > b->addr) - (a->addr < b->addr);
}

/* The data symbols of an image, from nm (defined, with sizes). */
static void load_symbols(image *im) {
    im->loaded = true;
    char *argv[] = {"nm", "-C", "--defined-only", "-S", im->path, NULL};
    char *text = capture(argv);
    if (!text)
        return;
    size_t cap = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        unsigned long long addr, size;
        char type;
        int consumed = 0;
        if (sscanf(line, "%llx %llx %c %n", &addr, &size, &type, &consumed) != 3)
            continue;
        if (!strchr("bBdDrRgGsSvV", type))
            continue; /* data, bss, read-only data: where variables live */
        if (im->nsyms == cap) {
            datasym *bigger = rl__grow(im->syms, &cap, sizeof *bigger, 256);
            if (!bigger)
                break;
            im->syms = bigger;
        }
        im->syms[im->nsyms++] = (datasym){addr, size, strdup(line + consumed)};
    }
    free(text);
    qsort(im->syms, im->nsyms, sizeof *im->syms, cmp_sym);
}

void rl__symbols_data(rl__symbols *s, uint64_t addr, char *out, size_t len) {
    snprintf(out, len, "%#" PRIx64, addr);
    if (!s || !addr)
        return;
    const mapping *m = mapping_of(s, addr);
    if (!m) {
        snprintf(out, len, "heap %#" PRIx64, addr); /* mapped after the server started */
        return;
    }
    if (!m->path) {
        if (strcmp(m->label, "[stack]") == 0)
            snprintf(out, len, "stack %#" PRIx64, addr);
        else
            snprintf(out, len, "heap %#" PRIx64, addr);
        return;
    }
    image *im = image_of(s, m->path);
    if (!im)
        return;
    if (!im->loaded)
        load_symbols(im);
    uint64_t link = addr - im->bias;
    /* the last symbol at or below link that covers it */
    size_t lo = 0, hi = im->nsyms;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (im->syms[mid].addr <= link)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo > 0) {
        const datasym *d = &im->syms[lo - 1];
        if (link < d->addr + (d->size ? d->size : 1)) {
            if (link == d->addr)
                snprintf(out, len, "%s", d->name);
            else
                snprintf(out, len, "%s+%" PRIu64, d->name, link - d->addr);
            return;
        }
    }
}

/* cmd_cc.c - racelab cc / racelab c++: the system's compiler, building a
 * program whose memory racelab explore can see.
 *
 * The mechanism is the compiler's own ThreadSanitizer instrumentation
 * (-fsanitize=thread, GCC and clang alike): every load, store and atomic
 * operation of the program's code becomes a call (__tsan_read4, ...). The
 * program is linked with racelab's runtime for those calls (librlmem.so)
 * instead of libtsan: natively the calls only do what the code needs
 * done, and under racelab explore the interposer's definitions come first
 * and make each one a scheduling point. GCC links libtsan whenever
 * -fsanitize=thread is on its link line, so each source is compiled on
 * its own with it, and the link is made without it. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"

static const char *const CFLAG = "-fsanitize=thread";

static void help(FILE *f, const char *verb) {
    bool c = strcmp(verb, "cc") == 0;
    fprintf(f,
            "usage: racelab %s [COMPILER ARGS...]\n"
            "       racelab %s --cflags | --libs\n\n"
            "Runs the system's %s compiler (%s, or $%s) with ThreadSanitizer's\n"
            "instrumentation, linking racelab's runtime (librlmem.so) instead of libtsan:\n"
            "racelab explore then schedules every load, store and atomic operation of the\n"
            "program, not only its thread calls. Natively the program runs as usual.\n\n"
            "  racelab %s -g -pthread -o prog prog.%s   one line, as with the compiler\n"
            "  make CC='racelab cc' CXX='racelab c++'   a make project\n"
            "  --cflags   the compile flags, for a build that compiles and links apart\n"
            "  --libs     the link flags (link without --cflags: GCC would add libtsan)\n\n"
            "Exit status: the compiler's; 2 for bad usage, 3 when racelab's runtime\n"
            "cannot be found.\n",
            verb, verb, c ? "C" : "C++", c ? "cc" : "c++", c ? "RACELAB_CC" : "RACELAB_CXX", verb,
            c ? "c" : "cc");
}

/* The directory of librlmem.so: beside this program (a build tree) or in
 * its ../lib/racelab (an installed racelab). */
static bool runtime_dir(char *out, size_t len) {
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return false;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (!slash)
        return false;
    *slash = '\0';
    const char *tails[] = {"", "/../lib/racelab"};
    for (size_t i = 0; i < 2; i++) {
        char lib[PATH_MAX + 32];
        snprintf(lib, sizeof lib, "%s%s/librlmem.so", exe, tails[i]);
        if (access(lib, R_OK) == 0) {
            char *real = realpath(lib, NULL);
            if (!real)
                return false;
            *strrchr(real, '/') = '\0';
            bool ok = snprintf(out, len, "%s", real) < (int)len;
            free(real);
            return ok;
        }
    }
    return false;
}

static bool has_ext(const char *a, const char *const *exts) {
    const char *dot = strrchr(a, '.');
    if (!dot || strchr(dot, '/'))
        return false;
    for (size_t i = 0; exts[i]; i++)
        if (strcmp(dot + 1, exts[i]) == 0)
            return true;
    return false;
}

static bool is_source(const char *a) {
    static const char *const exts[] = {"c",   "i",   "cc", "cp", "cxx", "cpp",
                                       "CPP", "c++", "C",  "ii", NULL};
    return a[0] != '-' && has_ext(a, exts);
}

/* Options whose value is the next argument. */
static bool takes_value(const char *a) {
    static const char *const opts[] = {
        "-o",       "-I",      "-D",         "-U",       "-include",    "-imacros",
        "-isystem", "-iquote", "-idirafter", "-x",       "-MF",         "-MT",
        "-MQ",      "-L",      "-l",         "-Xlinker", "-Xassembler", "-Xpreprocessor",
        "-T",       "-u",      "-z",         "-e",       "--param",     NULL};
    for (size_t i = 0; opts[i]; i++)
        if (strcmp(a, opts[i]) == 0)
            return true;
    return false;
}

/* For the link only: libraries, objects, linker options. */
static bool link_only(const char *a) {
    static const char *const exts[] = {"o", "a", "so", NULL};
    return strncmp(a, "-l", 2) == 0 || strncmp(a, "-L", 2) == 0 || strncmp(a, "-Wl,", 4) == 0 ||
           (a[0] != '-' && has_ext(a, exts));
}

int rl_cli_run(char *const *argv, bool quiet) {
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        int null = quiet ? open("/dev/null", O_WRONLY) : -1;
        if (null >= 0)
            dup2(null, STDOUT_FILENO);
        execvp(argv[0], argv);
        fprintf(stderr, "racelab: cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    int status;
    if (pid < 0 || waitpid(pid, &status, 0) < 0)
        return 127;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

const char *rl_cli_compiler(bool cxx) {
    const char *cc = getenv(cxx ? "RACELAB_CXX" : "RACELAB_CC");
    return cc && cc[0] ? cc : cxx ? "c++" : "cc";
}

static int compile(const char *verb, int argc, char **argv) {
    bool cxx = strcmp(verb, "c++") == 0;
    const char *cc = rl_cli_compiler(cxx);
    char dir[PATH_MAX];
    if (!runtime_dir(dir, sizeof dir)) {
        fprintf(stderr,
                "racelab %s: racelab's runtime librlmem.so was not found beside racelab "
                "or in its ../lib/racelab\n",
                verb);
        return EXIT_ERROR;
    }
    char libdir[PATH_MAX + 8], rpath[PATH_MAX + 16];
    snprintf(libdir, sizeof libdir, "-L%s", dir);
    snprintf(rpath, sizeof rpath, "-Wl,-rpath,%s", dir);
    bool compile_only = false;
    int nsources = 0;
    for (int i = 0; i < argc; i++) {
        if (takes_value(argv[i])) {
            i++;
            continue;
        }
        compile_only |=
            strcmp(argv[i], "-c") == 0 || strcmp(argv[i], "-S") == 0 || strcmp(argv[i], "-E") == 0;
        nsources += is_source(argv[i]);
    }
    char **cmd = calloc((size_t)argc + 12, sizeof *cmd);
    char tmp[] = "/tmp/racelab-cc.XXXXXX";
    char(*objs)[sizeof tmp + 32] = calloc((size_t)nsources + 1, sizeof *objs);
    if (!cmd || !objs) {
        free(cmd);
        free(objs);
        fprintf(stderr, "racelab %s: out of memory\n", verb);
        return EXIT_ERROR;
    }
    int rc = 0;
    if (compile_only || nsources == 0) {
        /* one call: compile only with the instrumentation, or link only
         * with the runtime */
        int n = 0;
        cmd[n++] = (char *)cc;
        if (compile_only)
            cmd[n++] = (char *)CFLAG;
        for (int i = 0; i < argc; i++)
            cmd[n++] = argv[i];
        if (!compile_only) {
            cmd[n++] = libdir;
            cmd[n++] = rpath;
            cmd[n++] = "-lrlmem";
        }
        rc = rl_cli_run(cmd, false);
    } else if (!mkdtemp(tmp)) {
        fprintf(stderr, "racelab %s: cannot make a temporary directory: %s\n", verb,
                strerror(errno));
        rc = EXIT_ERROR;
    } else {
        /* each source compiled with the instrumentation... */
        int k = 0;
        for (int s = 0; s < argc && rc == 0; s++) {
            if (takes_value(argv[s])) {
                s++;
                continue;
            }
            if (!is_source(argv[s]))
                continue;
            snprintf(objs[k], sizeof objs[k], "%s/%d.o", tmp, k);
            int n = 0;
            cmd[n++] = (char *)cc;
            cmd[n++] = (char *)CFLAG;
            for (int i = 0; i < argc; i++) {
                if (strcmp(argv[i], "-o") == 0) {
                    i++;
                    continue;
                }
                if (takes_value(argv[i]) && !link_only(argv[i])) {
                    cmd[n++] = argv[i++];
                    if (i < argc)
                        cmd[n++] = argv[i];
                    continue;
                }
                if (takes_value(argv[i])) { /* -l m, -L dir, -Xlinker x: the link's */
                    i++;
                    continue;
                }
                if (!is_source(argv[i]) && !link_only(argv[i]))
                    cmd[n++] = argv[i];
            }
            cmd[n++] = "-c";
            cmd[n++] = argv[s];
            cmd[n++] = "-o";
            cmd[n++] = objs[k];
            cmd[n] = NULL;
            rc = rl_cli_run(cmd, false);
            k++;
        }
        /* ...then linked without it, with the runtime */
        if (rc == 0) {
            int n = 0;
            k = 0;
            cmd[n++] = (char *)cc;
            for (int i = 0; i < argc; i++) {
                if (takes_value(argv[i])) {
                    cmd[n++] = argv[i++];
                    if (i < argc)
                        cmd[n++] = argv[i];
                } else {
                    cmd[n++] = is_source(argv[i]) ? objs[k++] : argv[i];
                }
            }
            cmd[n++] = libdir;
            cmd[n++] = rpath;
            cmd[n++] = "-lrlmem";
            cmd[n] = NULL;
            rc = rl_cli_run(cmd, false);
        }
        for (int i = 0; i < k; i++)
            unlink(objs[i]);
        rmdir(tmp);
    }
    free(cmd);
    free(objs);
    return rc;
}

static int cc_verb(const char *verb, int argc, char **argv) {
    if (argc == 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
        help(stdout, verb);
        return EXIT_HELD;
    }
    if (argc == 2 && strcmp(argv[1], "--cflags") == 0) {
        printf("%s\n", CFLAG);
        return EXIT_HELD;
    }
    if (argc == 2 && strcmp(argv[1], "--libs") == 0) {
        char dir[PATH_MAX];
        if (!runtime_dir(dir, sizeof dir)) {
            fprintf(stderr, "racelab %s: racelab's runtime librlmem.so was not found\n", verb);
            return EXIT_ERROR;
        }
        printf("-L%s -Wl,-rpath,%s -lrlmem\n", dir, dir);
        return EXIT_HELD;
    }
    if (argc < 2)
        return rl_cli_usage_error(verb,
                                  "give the compiler's arguments, e.g. racelab %s -g -o "
                                  "prog prog.c -pthread",
                                  verb);
    return compile(verb, argc - 1, argv + 1);
}

int rl_cmd_cc(int argc, char **argv) { return cc_verb("cc", argc, argv); }
int rl_cmd_cxx(int argc, char **argv) { return cc_verb("c++", argc, argv); }

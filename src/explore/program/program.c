/* program.c - a user's unmodified program as an explorer target (see
 * proto.h for the three processes and what they share, preload.c for the
 * program's side).
 *
 * racelab starts the program once, with the interposer preloaded, its
 * standard input from /dev/null and its output into a memory file. When
 * the program first creates a thread it becomes a fork server; from then
 * on every schedule is one fork, following the plan racelab writes: the
 * search's chooser states its schedule as a plan (a prefix, deviations or
 * PCT), the copy follows it on its own and logs its decisions, and
 * racelab feeds that log back through the chooser, so the searches run
 * unchanged. A program that never creates a thread is run once: its one
 * schedule is the whole program. */
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../explore_impl.h"
#include "proto.h"
#include "symbols.h"
#include "../../util/grow.h"
#include "../../util/words.h"

extern char **environ;

#define WHY(...) (why ? (void)snprintf(why, why_len, __VA_ARGS__) : (void)0)
#define TRACE_CAP 100000u
#define STEP_CAP 65536u /* footprints of one schedule (partial-order reduction) */
#define START_LIMIT_NS 30000000000ull /* to reach the first thread */

struct rl__program {
    pid_t server;
    int ctl, shmfd, outfd, prefixfd;
    rl__shm *shm;
    size_t shm_size;
    uint64_t time_limit_ns;
    uint64_t deadline_ns; /* the search's: an untraced schedule still going is ended */
    bool instrumented;    /* its memory accesses are steps (racelab cc) */
    uint64_t layout;      /* where the server's memory lies (proto.h) */
    bool races_ignored;   /* rl_program_opts */
    bool races_listed;
    bool every_access;
    rl_race *races;       /* listed since rl__program_races_reset */
    size_t nraces, races_cap;
    bool races_unlisted;
    bool races_incomplete; /* a schedule could not check every access for races */
    uint64_t stop_at; /* a debugger at this step (rl_program_opts) */
    void (*stopped)(void *ctx, long pid, long lwp, const char *thread);
    void *stopped_ctx;
    char exe[PATH_MAX];
    char *label; /* "prog arg1 ...", for the target's name */
    rl__decision *decisions;
    size_t decisions_cap;
    rl__step *steps; /* with footprints: what each step touched */
    uint64_t *contested;
    size_t steps_cap;
    rl__step pending[RL_EX_MAX_THREADS];
    rl_trace_step *trace;
    size_t trace_cap;
    rl__symbols *syms;
    char *out; /* the last schedule's output, prefix included */
    size_t out_len;
    bool pinned; /* the calling thread's CPUs, to give back */
    cpu_set_t cpus;
};

/* ---- starting ---- */

static bool executable(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

/* The program's path: as given when it has a slash, else found in PATH. */
static bool resolve(const char *name, char *out) {
    if (strchr(name, '/')) {
        if (!realpath(name, out) || !executable(out))
            return false;
        return true;
    }
    const char *path = getenv("PATH");
    if (!path)
        path = "/usr/bin:/bin";
    for (const char *p = path; *p;) {
        const char *colon = strchr(p, ':');
        size_t n = colon ? (size_t)(colon - p) : strlen(p);
        char cand[PATH_MAX];
        if (n + strlen(name) + 2 < sizeof cand) {
            snprintf(cand, sizeof cand, "%.*s/%s", (int)n, n ? p : ".", name);
            if (executable(cand) && realpath(cand, out))
                return true;
        }
        p = colon ? colon + 1 : p + n;
    }
    return false;
}

/* Whether path is an ELF executable with no program interpreter: linked
 * statically, so no LD_PRELOAD library is ever loaded into it. A script or
 * anything unreadable is not (what it runs is judged after the run). */
static bool statically_linked(const char *path) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    unsigned char ident[EI_NIDENT];
    bool is_static = false;
    if (pread(fd, ident, sizeof ident, 0) == (ssize_t)sizeof ident &&
        memcmp(ident, ELFMAG, SELFMAG) == 0 && ident[EI_CLASS] == ELFCLASS64) {
        Elf64_Ehdr eh;
        if (pread(fd, &eh, sizeof eh, 0) == (ssize_t)sizeof eh &&
            eh.e_phentsize == sizeof(Elf64_Phdr) && eh.e_phnum > 0) {
            is_static = true;
            for (unsigned i = 0; i < eh.e_phnum && is_static; i++) {
                Elf64_Phdr ph;
                off_t at = (off_t)(eh.e_phoff + (uint64_t)i * sizeof ph);
                if (pread(fd, &ph, sizeof ph, at) != (ssize_t)sizeof ph || ph.p_type == PT_INTERP)
                    is_static = false;
            }
        }
    }
    close(fd);
    return is_static;
}

/* Whether dir + tail names a readable file; out receives it. */
static bool try_place(const char *dir, const char *tail, char *out, size_t len) {
    if (strlen(dir) + strlen(tail) >= len)
        return false;
    strcpy(out, dir);
    strcat(out, tail);
    return access(out, R_OK) == 0;
}

/* The interposer: the one given, else RACELAB_PRELOAD, else beside the
 * shared library this code was loaded from (lib/racelab/ of an installed
 * tree), else beside the running program (the build tree) or in its
 * ../lib/racelab (an installed racelab command). */
static bool find_preload(const char *given, char *out, size_t len) {
    const char *env = given ? given : getenv("RACELAB_PRELOAD");
    if (env)
        return snprintf(out, len, "%s", env) < (int)len && access(out, R_OK) == 0;
    char dir[PATH_MAX];
    Dl_info info;
    if (dladdr((void *)find_preload, &info) && info.dli_fname &&
        snprintf(dir, sizeof dir, "%s", info.dli_fname) < (int)sizeof dir) {
        char *slash = strrchr(dir, '/');
        if (slash) {
            *slash = '\0';
            if (try_place(dir, "/racelab/librlpreload.so", out, len))
                return true;
        }
    }
    ssize_t n = readlink("/proc/self/exe", dir, sizeof dir - 1);
    if (n > 0) {
        dir[n] = '\0';
        char *slash = strrchr(dir, '/');
        if (slash) {
            *slash = '\0';
            if (try_place(dir, "/librlpreload.so", out, len) ||
                try_place(dir, "/../lib/racelab/librlpreload.so", out, len))
                return true;
        }
    }
    return false;
}

/* One byte from the server, waiting at most limit_ns. 0 on time-out, -1
 * when the server is gone. */
static int receive(rl__program *p, char *m, uint64_t limit_ns) {
    struct pollfd pf = {.fd = p->ctl, .events = POLLIN};
    int ms = limit_ns / 1000000u > INT_MAX ? INT_MAX : (int)(limit_ns / 1000000u);
    int r;
    while ((r = poll(&pf, 1, ms)) < 0 && errno == EINTR)
        ;
    if (r == 0)
        return 0;
    ssize_t n;
    while ((n = read(p->ctl, m, 1)) < 0 && errno == EINTR)
        ;
    return n == 1 ? 1 : -1;
}

static char *read_fd(int fd, size_t *len) {
    struct stat st;
    *len = 0;
    if (fstat(fd, &st) != 0)
        return NULL;
    char *buf = malloc((size_t)st.st_size + 1);
    if (!buf)
        return NULL;
    ssize_t n = pread(fd, buf, (size_t)st.st_size, 0);
    *len = n > 0 ? (size_t)n : 0;
    buf[*len] = '\0';
    return buf;
}

static char **child_env(const char *preload, int ctl, int shm, int out) {
    size_t n = 0;
    while (environ[n])
        n++;
    char **env = calloc(n + 5, sizeof *env);
    if (!env)
        return NULL;
    size_t k = 0;
    const char *old = NULL;
    for (size_t i = 0; i < n; i++) {
        if (strncmp(environ[i], "LD_PRELOAD=", 11) == 0)
            old = environ[i] + 11;
        else if (strncmp(environ[i], "RACELAB_EXPLORE_", 16) != 0)
            env[k++] = environ[i];
    }
    char *buf[4];
    size_t need = strlen(preload) + (old ? strlen(old) : 0) + 16;
    buf[0] = malloc(need);
    buf[1] = malloc(48);
    buf[2] = malloc(48);
    buf[3] = malloc(48);
    if (!buf[0] || !buf[1] || !buf[2] || !buf[3]) {
        for (int i = 0; i < 4; i++)
            free(buf[i]);
        free(env);
        return NULL;
    }
    snprintf(buf[0], need, "LD_PRELOAD=%s%s%s", preload, old && *old ? ":" : "", old ? old : "");
    /* of one width whatever the numbers: the environment's size sets where
     * the program's stack lies, which workers of one search must agree on
     * (their descriptors differ: rl__program_layout) */
    snprintf(buf[1], 48, "%s=%010d", RL_ENV_CTL, ctl);
    snprintf(buf[2], 48, "%s=%010d", RL_ENV_SHM, shm);
    snprintf(buf[3], 48, "%s=%010d", RL_ENV_OUT, out);
    for (int i = 0; i < 4; i++)
        env[k++] = buf[i];
    env[k] = NULL;
    return env;
}

static void free_env(char **env) {
    if (!env)
        return;
    size_t n = 0;
    while (env[n])
        n++;
    for (size_t i = n >= 4 ? n - 4 : 0; i < n; i++)
        free(env[i]); /* the four we made are last */
    free(env);
}

void rl__program_deadline(rl__program *p, uint64_t deadline_ns) { p->deadline_ns = deadline_ns; }

bool rl__program_instrumented(const rl__program *p) { return p->instrumented; }

uint64_t rl__program_layout(const rl__program *p) { return p->layout; }

void rl__program_races_reset(rl__program *p) {
    p->nraces = 0;
    p->races_unlisted = false;
}

bool rl__program_races_take(rl__program *p, rl_race **races, size_t *n, bool *unlisted) {
    *unlisted = p->races_unlisted;
    *n = p->nraces;
    *races = p->nraces ? p->races : NULL; /* handed over: the next search grows its own */
    if (p->nraces) {
        p->races = NULL;
        p->races_cap = 0;
    }
    rl__program_races_reset(p);
    return p->races_listed;
}

bool rl__program_plain_checked(const rl__program *p) {
    return p->instrumented && !p->races_ignored && !p->races_listed && !p->every_access;
}

bool rl__program_races_checked(const rl__program *p, bool *incomplete) {
    *incomplete = p->races_incomplete;
    return p->instrumented && !p->races_ignored;
}

void rl__program_free(rl__program *p) {
    if (!p)
        return;
    if (p->server > 0) {
        char q = RL_MSG_QUIT;
        if (p->ctl >= 0)
            (void)!write(p->ctl, &q, 1);
        kill(p->server, SIGKILL); /* it holds no state worth a clean end */
        int status;
        while (waitpid(p->server, &status, 0) < 0 && errno == EINTR)
            ;
    }
    if (p->shm)
        munmap(p->shm, p->shm_size);
    int fds[] = {p->ctl, p->shmfd, p->outfd, p->prefixfd};
    for (size_t i = 0; i < 4; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    if (p->pinned)
        (void)sched_setaffinity(0, sizeof p->cpus, &p->cpus);
    rl__symbols_close(p->syms);
    free(p->decisions);
    free(p->steps);
    free(p->contested);
    free(p->races);
    free(p->trace);
    free(p->out);
    free(p->label);
    free(p);
}

static void no_thread_seen(rl__program *p, const char *name, int status, char *why,
                           size_t why_len);

rl_err rl__program_start(char *const argv[], const rl_program_opts *o, rl__program **out,
                         char *why, size_t why_len) {
    if (!argv || !argv[0] || !out) {
        WHY("no program to explore");
        return RL_EINVAL;
    }
    rl__program *p = calloc(1, sizeof *p);
    if (!p)
        return RL_ENOMEM;
    p->ctl = p->shmfd = p->outfd = p->prefixfd = -1;
    p->time_limit_ns = o && o->time_limit_ns ? o->time_limit_ns : 10000000000ull;
    p->races_ignored = o && o->races_ignored;
    p->races_listed = o && o->races_listed && !p->races_ignored;
    p->every_access = o && o->every_access;
    if (o && o->stop_at_step && o->stopped) {
        p->stop_at = o->stop_at_step;
        p->stopped = o->stopped;
        p->stopped_ctx = o->stopped_ctx;
    }
    uint64_t max_steps = o && o->max_steps ? o->max_steps : 100000;
    char preload[PATH_MAX];
    if (!resolve(argv[0], p->exe)) {
        WHY("cannot run '%s': no such executable file", argv[0]);
        rl__program_free(p);
        return RL_ENOENT;
    }
    if (statically_linked(p->exe)) {
        WHY("'%s' is statically linked: racelab's interposer cannot be loaded into it, so "
            "none of its threads could be seen or scheduled (link it dynamically, without "
            "-static, to explore it)",
            argv[0]);
        rl__program_free(p);
        return RL_ENOTSUP;
    }
    if (!find_preload(o ? o->preload : NULL, preload, sizeof preload)) {
        WHY("racelab's interposer librlpreload.so was not found (set RACELAB_PRELOAD to it)");
        rl__program_free(p);
        return RL_ENOENT;
    }
    size_t label_len = 1;
    for (size_t i = 0; argv[i]; i++)
        label_len += strlen(argv[i]) + 1;
    p->label = malloc(label_len);
    if (p->label) {
        p->label[0] = '\0';
        for (size_t i = 0; argv[i]; i++)
            snprintf(p->label + strlen(p->label), label_len - strlen(p->label), "%s%s",
                     i ? " " : "", argv[i]);
    }
    int sv[2] = {-1, -1};
    rl_err e = RL_OK;
    uint64_t step_cap = max_steps < STEP_CAP ? max_steps : STEP_CAP;
    p->shm_size = rl__shm_size(max_steps, TRACE_CAP, step_cap);
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0 ||
        (p->shmfd = memfd_create("racelab-shm", 0)) < 0 ||
        (p->outfd = memfd_create("racelab-out", 0)) < 0 ||
        (p->prefixfd = memfd_create("racelab-prefix", 0)) < 0 ||
        ftruncate(p->shmfd, (off_t)p->shm_size) != 0) {
        WHY("cannot set up the exploration: %s", strerror(errno));
        e = RL_ESYS;
    }
    if (e == RL_OK) {
        p->shm = mmap(NULL, p->shm_size, PROT_READ | PROT_WRITE, MAP_SHARED, p->shmfd, 0);
        if (p->shm == MAP_FAILED) {
            p->shm = NULL;
            WHY("cannot map the shared region: %s", strerror(errno));
            e = RL_ESYS;
        }
    }
    /* One CPU for racelab's thread and the program: only one of them runs
     * at any moment, and a hand-off within one CPU is a plain context
     * switch where one across CPUs waits for an interrupt (twice as fast
     * measured on a 2-vCPU VM). The program inherits it; the calling
     * thread gets its CPUs back when the target is freed. */
    int cpu = sched_getcpu();
    if (e == RL_OK && cpu >= 0 && sched_getaffinity(0, sizeof p->cpus, &p->cpus) == 0) {
        cpu_set_t one;
        CPU_ZERO(&one);
        CPU_SET(cpu, &one);
        p->pinned = sched_setaffinity(0, sizeof one, &one) == 0;
    }
    if (e == RL_OK) {
        p->shm->version = RL_PROTO_VERSION;
        p->shm->decision_cap = max_steps;
        p->shm->trace_cap = TRACE_CAP;
        p->shm->step_cap = step_cap;
        p->shm->max_steps = max_steps;
        p->shm->time_limit_ns = p->time_limit_ns;
        p->ctl = sv[0];
        fcntl(p->ctl, F_SETFD, FD_CLOEXEC);
        char **env = child_env(preload, sv[1], p->shmfd, p->outfd);
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_adddup2(&fa, p->prefixfd, STDOUT_FILENO);
        posix_spawn_file_actions_adddup2(&fa, p->prefixfd, STDERR_FILENO);
        posix_spawn_file_actions_addclose(&fa, sv[0]);
        /* a process group of its own: Ctrl-C on the terminal stops the
         * search (racelab's SIGINT), not the program's schedule under way */
        posix_spawnattr_t at;
        posix_spawnattr_init(&at);
        posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP);
        posix_spawnattr_setpgroup(&at, 0);
        /* its address space laid out the same in every run of racelab
         * (as gdb runs a program): what a report names by address means
         * the same next time, and the servers of several workers agree
         * (rl__program_layout). Where the kernel refuses, the layout says so. */
        int was = personality(0xffffffff);
        if (was != -1)
            personality((unsigned long)was | ADDR_NO_RANDOMIZE);
        int rc = env ? posix_spawn(&p->server, p->exe, &fa, &at, argv, env) : ENOMEM;
        if (was != -1)
            personality((unsigned long)was);
        posix_spawnattr_destroy(&at);
        posix_spawn_file_actions_destroy(&fa);
        free_env(env);
        if (rc != 0) {
            p->server = 0;
            WHY("cannot run '%s': %s", p->exe, strerror(rc));
            e = RL_ESYS;
        }
    }
    if (sv[1] >= 0)
        close(sv[1]);
    if (e == RL_OK) {
        char m;
        int r = receive(p, &m, START_LIMIT_NS);
        if (r == 1 && m == RL_MSG_READY) {
            p->instrumented = p->shm->instrumented != 0; /* its hooks ran at load */
            p->layout = p->shm->layout;
            if (rl__symbols_open(p->server, &p->syms) != RL_OK)
                p->syms = NULL; /* traces keep their addresses */
        } else if (r < 0) {
            /* it ended (or died) before creating a thread that racelab saw:
             * nothing was scheduled, so there is no verdict to give */
            int status = 0;
            while (waitpid(p->server, &status, 0) < 0 && errno == EINTR)
                ;
            p->server = 0;
            no_thread_seen(p, argv[0], status, why, why_len);
            e = RL_ENOTSUP;
        } else {
            WHY("'%s' did not reach its first thread within %llu s", p->exe,
                (unsigned long long)(START_LIMIT_NS / 1000000000u));
            e = RL_ESYS;
        }
    }
    if (e != RL_OK) {
        rl__program_free(p);
        return e;
    }
    *out = p;
    return RL_OK;
}

const char *rl__program_label(const rl__program *p) { return p->label ? p->label : p->exe; }

/* ---- one schedule ---- */

static const char *signal_name(int sig) {
    switch (sig) {
    case SIGABRT: return "SIGABRT";
    case SIGSEGV: return "SIGSEGV";
    case SIGBUS: return "SIGBUS";
    case SIGFPE: return "SIGFPE";
    case SIGILL: return "SIGILL";
    case SIGKILL: return "SIGKILL";
    case SIGTERM: return "SIGTERM";
    default: return "a signal";
    }
}

/* The last non-empty line of text, into out. */
static void last_line(const char *text, size_t len, char *out, size_t cap) {
    out[0] = '\0';
    size_t end = len;
    while (end > 0 && (text[end - 1] == '\n' || text[end - 1] == '\r' || text[end - 1] == ' '))
        end--;
    size_t start = end;
    while (start > 0 && text[start - 1] != '\n')
        start--;
    size_t n = end - start < cap - 1 ? end - start : cap - 1;
    memcpy(out, text + start, n);
    out[n] = '\0';
}

/* The schedule's output: what the program printed before its first
 * thread, then what this copy printed. */
static void collect_output(rl__program *p) {
    size_t a = 0, b = 0;
    char *pre = read_fd(p->prefixfd, &a), *own = read_fd(p->outfd, &b);
    free(p->out);
    p->out = malloc(a + b + 1);
    p->out_len = 0;
    if (p->out) {
        if (pre)
            memcpy(p->out, pre, a);
        if (own)
            memcpy(p->out + a, own, b);
        p->out_len = a + b;
        p->out[p->out_len] = '\0';
    }
    free(pre);
    free(own);
}

const char *rl__program_output(const rl__program *p) { return p->out ? p->out : ""; }

/* Why a program that ended before racelab saw a thread gets no verdict,
 * into why: the likely reason, how it ended and the last thing it said. */
static void no_thread_seen(rl__program *p, const char *name, int status, char *why,
                           size_t why_len) {
    if (!why)
        return;
    collect_output(p);
    char tail[160], ended[224];
    last_line(p->out ? p->out : "", p->out_len, tail, sizeof tail);
    if (WIFEXITED(status))
        snprintf(ended, sizeof ended, "it exited with status %d%s%s", WEXITSTATUS(status),
                 tail[0] ? ": " : "", tail);
    else if (WIFSIGNALED(status))
        snprintf(ended, sizeof ended, "it was killed by %s%s%s", signal_name(WTERMSIG(status)),
                 tail[0] ? ": " : "", tail);
    else
        snprintf(ended, sizeof ended, "it ended with status %d", status);
    const rl__shm *s = p->shm;
    if (!s->loaded_pid) {
        snprintf(why, why_len,
                 "'%s' never loaded racelab's interposer (a statically linked program run by a "
                 "script, or LD_PRELOAD cleared): none of its threads could be seen, so there "
                 "is no verdict; %s",
                 name, ended);
    } else if (s->forks || s->others) {
        char what[96] = "";
        if (s->forks)
            snprintf(what, sizeof what, "forked %u time%s", s->forks, rl__plural(s->forks));
        if (s->others)
            snprintf(what + strlen(what), sizeof what - strlen(what), "%sran %u other program%s",
                     s->forks ? " and " : "", s->others, rl__plural(s->others));
        snprintf(why, why_len,
                 "'%s' created no thread itself: it %s, which racelab does not follow (explore "
                 "the program that creates the threads directly), so there is no verdict; %s",
                 name, what, ended);
    } else {
        snprintf(why, why_len,
                 "'%s' ended without creating a thread that racelab could see: there is no "
                 "interleaving to explore, so there is no verdict (threads are not seen where the "
                 "interposer is not loaded, as in a statically linked program it runs, nor "
                 "when made by clone()); %s",
                 name, ended);
    }
}

/* Judge the copy by how it ended. */
static void judge(rl__program *p, int status, bool timed_out, rl__run *out) {
    rl_outcome *oc = &out->outcome;
    char tail[160];
    last_line(p->out ? p->out : "", p->out_len, tail, sizeof tail);
    char status_text[64];
    if (timed_out) {
        out->fail = RL_FAIL_LIVELOCK;
        snprintf(out->message, sizeof out->message,
                 "the schedule made no step for %.3g s (--schedule-timeout) without ending: a "
                 "thread spins or waits where racelab sees no call",
                 (double)p->time_limit_ns / 1e9);
        snprintf(status_text, sizeof status_text, "time limit");
    } else if (WIFEXITED(status)) {
        snprintf(status_text, sizeof status_text, "exit %d", WEXITSTATUS(status));
        if (WEXITSTATUS(status) != 0)
            rl_outcome_verdict(oc, false, "the program exited with status %d%s%s",
                               WEXITSTATUS(status), tail[0] ? ": " : "", tail);
        else
            rl_outcome_verdict(oc, true, "the program exited with status 0");
    } else if (WIFSIGNALED(status)) {
        int sig = WTERMSIG(status);
        snprintf(status_text, sizeof status_text, "%s", signal_name(sig));
        if (sig == SIGABRT) /* abort() or a failed assert(): the program's own check */
            rl_outcome_verdict(oc, false, "the program aborted%s%s", tail[0] ? ": " : "", tail);
        else {
            out->fail = RL_FAIL_ERROR;
            snprintf(out->message, sizeof out->message, "the program was killed by %s%s%s",
                     signal_name(sig), tail[0] ? ": " : "", tail);
        }
    } else {
        snprintf(status_text, sizeof status_text, "status %d", status);
    }
    if (out->fail == RL_FAIL_NONE) {
        out->returned = true;
        /* the state: how it ended and the last thing it said */
        rl_outcome_state(oc, "%s%s%s", status_text, tail[0] ? ": " : "", tail);
    }
}

/* The end of what the schedule printed, into the outcome's story. Output
 * too long for it keeps its last whole lines, after a line saying how much
 * went before them. */
static void keep_output(const rl__program *p, rl_outcome *oc) {
    const char *text = p->out ? p->out : "";
    size_t len = p->out ? p->out_len : 0, cap = sizeof oc->story - 1, start = 0, at = 0;
    if (len > cap) {
        enum { NOTE_MAX = 64 }; /* "[... 18446744073709551615 earlier bytes not shown]\n" fits */
        start = len - (cap - NOTE_MAX);
        const char *nl = memchr(text + start - 1, '\n', len - start);
        if (nl && (size_t)(nl + 1 - text) < len) /* from a line's start, when one is kept */
            start = (size_t)(nl + 1 - text);
        at = (size_t)snprintf(oc->story, NOTE_MAX + 1, "[... %zu earlier bytes not shown]\n", start);
    }
    memcpy(oc->story + at, text + start, len - start);
    oc->story[at + len - start] = '\0';
}


/* A trace line's place: where the program made the call (through a
 * library's wrapper, the program's own frame beyond it). */
static void user_code(rl__program *p, const rl__ptrace *t, char *out, size_t len) {
    uint64_t addrs[1 + RL_CALLERS] = {t->where};
    memcpy(addrs + 1, t->callers, sizeof t->callers);
    rl__symbols_user_code(p->syms, addrs, 1 + RL_CALLERS, out, len);
}

/* A thread's name, by its serial (creation order): T1 (its start
 * routine's name), main for 0. */
static void thread_name(rl__program *p, unsigned serial, char *out, size_t len) {
    uint64_t start = serial < RL_SERIAL_MAX ? p->shm->serial_start[serial] : 0;
    if (serial == 0 || !start) {
        snprintf(out, len, serial == 0 ? "main" : "T%u", serial);
        return;
    }
    char fn[96];
    rl__symbols_code(p->syms, start + 1, fn, sizeof fn); /* +1: it is no return address */
    char *in = strstr(fn, " in ");
    if (!in) {
        /* a routine with no source line is a runtime's (a C++ std::thread
         * starts in libstdc++): the thread is named after the function of
         * its first call that has one, the user's code */
        rl__shm *s = p->shm;
        size_t n = s->ntrace < s->trace_cap ? s->ntrace : s->trace_cap;
        for (size_t i = 0; i < n; i++) {
            const rl__ptrace *t = &rl__shm_trace(s)[i];
            if (t->serial != serial || !t->where)
                continue;
            char at[96];
            user_code(p, t, at, sizeof at);
            if (rl__symbols_is_user(at)) {
                memcpy(fn, at, sizeof fn);
                in = strstr(fn, " in ");
                break;
            }
        }
    }
    const char *routine = in ? in + 4 : fn;
    int n = snprintf(out, len, "T%u ", serial);
    if (n > 0 && (size_t)n < len) { /* the routine's name, cut to fit */
        size_t room = len - (size_t)n - 1, rlen = strlen(routine);
        memcpy(out + n, routine, rlen < room ? rlen : room);
        out[(size_t)n + (rlen < room ? rlen : room)] = '\0';
    }
}

static rl_err convert_trace(rl__program *p, rl__run *out) {
    rl__shm *s = p->shm;
    size_t n = s->ntrace < s->trace_cap ? s->ntrace : s->trace_cap;
    if (n > p->trace_cap) {
        rl_trace_step *bigger = realloc(p->trace, n * sizeof *bigger);
        if (!bigger)
            return RL_ENOMEM;
        p->trace = bigger;
        p->trace_cap = n;
    }
    size_t nnames = s->nserials < RL_SERIAL_MAX ? s->nserials : RL_SERIAL_MAX;
    char (*names)[32] = calloc(nnames ? nnames : 1, sizeof *names);
    if (!names)
        return RL_ENOMEM;
    for (unsigned i = 0; i < nnames; i++)
        thread_name(p, i, names[i], sizeof names[i]);
    for (size_t i = 0; i < n; i++) {
        const rl__ptrace *t = &rl__shm_trace(s)[i];
        rl_trace_step *st = &p->trace[i];
        memset(st, 0, sizeof *st);
        st->index = t->step;
        st->thread = t->thread;
        snprintf(st->thread_name, sizeof st->thread_name, "%s",
                 t->serial < nnames ? names[t->serial] : "?");
        snprintf(st->op, sizeof st->op, "%s", rl__pop_name(t->op));
        if (t->op == RL_POP_SPAWN || t->op == RL_POP_JOIN || t->op == RL_POP_DETACH ||
            t->op == RL_POP_RESUME)
            snprintf(st->object, sizeof st->object, "%s", t->other < nnames ? names[t->other] : "?");
        else if (t->op == RL_POP_READ || t->op == RL_POP_WRITE || t->op == RL_POP_ACCEPT)
            snprintf(st->object, sizeof st->object, "fd %" PRId64, t->value);
        else if (t->op == RL_POP_WAITPID && t->value == -1)
            snprintf(st->object, sizeof st->object, "any child");
        else if (t->op == RL_POP_WAITPID)
            snprintf(st->object, sizeof st->object, "pid %" PRId64, t->value);
        else if (t->op == RL_POP_POLL || t->op == RL_POP_SELECT || t->op == RL_POP_EPOLL)
            snprintf(st->object, sizeof st->object, "%u fd%s", t->other, rl__plural(t->other));
        else if (t->obj)
            rl__symbols_data(p->syms, t->obj, st->object, sizeof st->object);
        st->has_value = t->has_value;
        st->value = t->value;
        st->marks = t->marks;
        user_code(p, t, st->where, sizeof st->where);
        if (t->op == RL_POP_START && !rl__symbols_is_user(st->where)) {
            /* started by a runtime (std::thread in libstdc++, whose symbols
             * would name a wrong function): the user's function it runs,
             * as in its name, or nothing */
            const char *fn = t->serial < nnames ? strchr(names[t->serial], ' ') : NULL;
            snprintf(st->where, sizeof st->where, "%s%s", fn ? "in" : "", fn ? fn : "");
        }
    }
    free(names);
    out->trace = p->trace;
    out->ntrace = n;
    return RL_OK;
}

/* Replace the addresses in a message ("lock 0x55...") by the variables
 * they are, where the symbol table knows them. */
static void name_addresses(rl__program *p, char *msg, size_t cap) {
    char out[sizeof ((rl__run *)0)->message];
    size_t n = 0;
    for (const char *c = msg; *c && n + 1 < sizeof out;) {
        if (c[0] == '0' && c[1] == 'x') {
            char *end;
            unsigned long long addr = strtoull(c, &end, 16);
            char name[64];
            rl__symbols_data(p->syms, addr, name, sizeof name);
            int w = snprintf(out + n, sizeof out - n, "%s", name);
            if (w < 0 || (size_t)w >= sizeof out - n)
                break;
            n += (size_t)w;
            c = end;
        } else {
            out[n++] = *c++;
        }
    }
    out[n] = '\0';
    snprintf(msg, cap, "%s", out);
}

/* Write c's schedule as a plan. */
static bool write_plan(rl__program *p, const rl__chooser *c, char *msg, size_t len) {
    rl__shm *s = p->shm;
    s->plan_kind = (uint32_t)c->plan;
    s->plan_n = 0;
    switch (c->plan) {
    case RL_PLAN_PREFIX:
        if (c->nprefix > RL_PLAN_MAX)
            break;
        if (c->nprefix)
            memcpy(s->prefix, c->prefix, c->nprefix);
        s->plan_n = (uint32_t)c->nprefix;
        return true;
    case RL_PLAN_DEVIATIONS:
        if (c->ndeviations > RL_PLAN_MAX)
            break;
        if (c->ndeviations)
            memcpy(s->deviations, c->deviations, c->ndeviations * sizeof *c->deviations);
        s->plan_n = (uint32_t)c->ndeviations;
        return true;
    case RL_PLAN_PCT:
        s->pct = *c->pct;
        return true;
    case RL_PLAN_DELAYS:
        s->delays = *c->delays;
        return true;
    default:
        snprintf(msg, len, "this search cannot drive a program");
        return false;
    }
    snprintf(msg, len, "the schedule is longer than %u choices", RL_PLAN_MAX);
    return false;
}

/* One side of a listed race: "T1 add_one's store at counter_race.c:16 in add_one". */
static void race_side(rl__program *p, const rl__prace *r, int i, char *out, size_t len) {
    char who[64], where[120];
    thread_name(p, r->serial[i], who, sizeof who);
    rl__symbols_code(p->syms, r->where[i], where, sizeof where);
    snprintf(out, len, "%s's %s at %s", who, r->write[i] ? "store" : "load", where);
}

bool rl__program_races_note(rl__program *p) {
    rl__shm *s = p->shm;
    if (!p->races_listed)
        return true;
    p->races_unlisted |= s->races_unlisted != 0;
    size_t n = s->nraces < RL_RACES_MAX ? s->nraces : RL_RACES_MAX;
    size_t before = p->nraces; /* a race seen twice in one schedule counts once */
    for (size_t i = 0; i < n; i++) {
        rl_race r = {0};
        rl__symbols_data(p->syms, s->race_list[i].addr, r.variable, sizeof r.variable);
        race_side(p, &s->race_list[i], 0, r.first, sizeof r.first);
        race_side(p, &s->race_list[i], 1, r.second, sizeof r.second);
        size_t k = 0;
        while (k < p->nraces &&
               (strcmp(p->races[k].variable, r.variable) || strcmp(p->races[k].first, r.first) ||
                strcmp(p->races[k].second, r.second)))
            k++;
        if (k < p->nraces) {
            if (k < before)
                p->races[k].schedules++;
            continue;
        }
        if (p->nraces == p->races_cap) {
            rl_race *bigger = rl__grow(p->races, &p->races_cap, sizeof *bigger, 8);
            if (!bigger)
                return false;
            p->races = bigger;
        }
        r.schedules = 1;
        p->races[p->nraces++] = r;
    }
    return true;
}

/* The footprints of a schedule's n steps (partial-order reduction), and at
 * a deadlock the steps its blocked threads waited to make. false: the
 * run cannot be used (out says why). */
static bool collect_steps(rl__program *p, size_t n, rl__run *out) {
    rl__shm *s = p->shm;
    if (s->footprints_full || n > s->step_cap) {
        out->target_error = RL_ENOTSUP;
        snprintf(out->message, sizeof out->message,
                 "a schedule of more than %llu steps: too long for partial-order reduction "
                 "(search it with a preemption bound instead)",
                 (unsigned long long)s->step_cap);
        return false;
    }
    if (n > p->steps_cap) {
        rl__step *st = realloc(p->steps, n * sizeof *st);
        if (st)
            p->steps = st;
        uint64_t *con = st ? realloc(p->contested, n * sizeof *con) : NULL;
        if (con)
            p->contested = con;
        if (!st || !con) {
            out->target_error = RL_ENOMEM;
            return false;
        }
        p->steps_cap = n;
    }
    const rl__pstep *ps = rl__shm_steps(s);
    for (size_t i = 0; i < n; i++) {
        p->steps[i] = ps[i].step;
        p->contested[i] = ps[i].contested;
    }
    out->steps = n ? p->steps : NULL;
    size_t np = s->npending < RL_EX_MAX_THREADS ? s->npending : RL_EX_MAX_THREADS;
    memcpy(p->pending, s->pending, np * sizeof *p->pending);
    out->pending = p->pending;
    out->npending = np;
    return true;
}

void rl__program_run(rl__program *p, rl__chooser *c, bool trace, rl__run *out) {
    memset(out, 0, sizeof *out);
    rl__shm *s = p->shm;
    if (!write_plan(p, c, out->message, sizeof out->message)) {
        out->target_error = RL_EINVAL;
        return;
    }
    s->trace_on = trace;
    s->stop_at = p->stop_at;
    s->stopped_pid = 0;
    s->status = 0;
    s->timed_out = 0;
    s->cut = 0;
    s->races = !p->races_ignored;
    s->races_listed = p->races_listed;
    s->plain_points = p->every_access;
    s->footprints = c->footprints ? (c->reduced ? 2u : 1u) : 0u; /* 2: reduced */
    s->footprints_full = 0;
    s->npending = 0;
    s->fail = RL_PFAIL_NONE;
    s->nsteps = 0;
    s->nruns = 0;
    s->ntrace = 0;
    s->no_fit = 0;
    char m = RL_MSG_GO;
    /* the server answers when the copy ended, or made no step for the
     * schedule's limit: while it makes steps, wait on */
    int r = -1;
    if (write(p->ctl, &m, 1) == 1) {
        uint64_t seen = __atomic_load_n(&s->nsteps, __ATOMIC_RELAXED);
        /* waiting for a stop at a step: looked at every 50 ms */
        uint64_t slice = p->stop_at ? 50000000u : p->time_limit_ns + 30000000000ull;
        uint64_t waited = 0;
        bool debugged = false, cutting = false;
        uint64_t deadline = trace ? 0 : p->deadline_ns;
        for (;;) {
            uint64_t wait = slice;
            if (deadline && !cutting) { /* wake at the search's deadline */
                uint64_t now = rl_platform_pthreads()->now_ns();
                if (now >= deadline) {
                    /* the server ends the copy (if it has not ended) */
                    char cut = RL_MSG_CUT;
                    cutting = true;
                    if (write(p->ctl, &cut, 1) != 1) {
                        /* the server is gone: receive says so */
                    }
                    continue;
                }
                wait = deadline - now < slice ? deadline - now + 1000000u : slice;
            }
            if ((r = receive(p, &m, wait)) != 0)
                break;
            pid_t stopped = __atomic_load_n(&s->stopped_pid, __ATOMIC_ACQUIRE);
            if (stopped && !debugged) {
                debugged = true;
                char name[RL_NAME_MAX + 32];
                thread_name(p, s->stopped_serial, name, sizeof name);
                p->stopped(p->stopped_ctx, (long)stopped, (long)s->stopped_tid, name);
                kill(stopped, SIGKILL); /* whatever the debugger left of it */
                p->stop_at = 0;         /* once: not in the replay's later runs */
                continue;
            }
            waited += wait;
            if (waited < p->time_limit_ns + 30000000000ull)
                continue;
            waited = 0;
            uint64_t now = __atomic_load_n(&s->nsteps, __ATOMIC_RELAXED);
            if (now == seen)
                break;
            seen = now;
        }
    }
    if (r != 1 || m != RL_MSG_DONE) {
        out->target_error = RL_ESYS;
        snprintf(out->message, sizeof out->message,
                 "the program's fork server stopped answering (%s)",
                 r == 0 ? "no answer in time" : "it ended");
        return;
    }
    p->instrumented |= s->instrumented != 0;
    p->races_incomplete |= s->races_incomplete != 0;
    if (s->cut) { /* ended at the search's deadline: it shows nothing */
        out->cut = true;
        return;
    }
    collect_output(p);
    size_t n = s->nsteps < s->decision_cap ? s->nsteps : s->decision_cap;
    if (n > p->decisions_cap) {
        rl__decision *bigger = realloc(p->decisions, n * sizeof *bigger);
        if (!bigger) {
            out->target_error = RL_ENOMEM;
            return;
        }
        p->decisions = bigger;
        p->decisions_cap = n;
    }
    /* the runs of equal decisions, one per step again */
    const rl__drun *runs = rl__shm_runs(s);
    size_t at = 0;
    for (uint64_t k = 0; k < s->nruns && k < s->decision_cap && at < n; k++)
        for (uint64_t again = 0; again <= runs[k].more && at < n; again++)
            p->decisions[at++] = runs[k].d;
    if (at < n) { /* cannot be: the copy counted more steps than it recorded */
        out->target_error = RL_ESYS;
        snprintf(out->message, sizeof out->message,
                 "internal: the program's copy recorded %zu of its %zu decisions", at, n);
        return;
    }
    out->decisions = p->decisions;
    out->nsteps = n;
    if (c->footprints && !collect_steps(p, n, out))
        return;
    out->preemptions = s->preemptions;
    out->outside_last = s->outside_last != 0;
    out->weak_order = s->weak_order != 0;
    out->spin_awaited = s->spin_awaited != 0;
    out->fair_yield = s->fair_yield != 0;
    if (s->fail == RL_PFAIL_TOO_MANY) {
        out->target_error = RL_ENOTSUP;
        snprintf(out->message, sizeof out->message, "%s", s->message);
        return;
    }
    if (s->no_fit) {
        out->no_fit = true;
        snprintf(out->message, sizeof out->message, "%s", s->message);
    }
    switch (s->fail) {
    case RL_PFAIL_DEADLOCK: out->fail = RL_FAIL_DEADLOCK; break;
    case RL_PFAIL_LIVELOCK: out->fail = RL_FAIL_LIVELOCK; break;
    case RL_PFAIL_MISUSE: out->fail = RL_FAIL_ERROR; break;
    case RL_PFAIL_RACE: out->fail = RL_FAIL_RACE; break;
    default: break;
    }
    if (out->fail != RL_FAIL_NONE)
        snprintf(out->message, sizeof out->message, "%s", s->message);
    else
        judge(p, s->status, s->timed_out, out);
    keep_output(p, &out->outcome);
    /* the search's own bookkeeping sees the same decisions, in order, and
     * with footprints what each step touched up to the one chosen */
    c->live = out;
    size_t same = 0; /* steps from i on that decided as step i (a run) */
    for (size_t i = 0, k = 0; i < n && !out->no_fit; i++, same--) {
        if (!same) /* the next run */
            same = k < s->nruns ? (size_t)runs[k++].more + 1 : 1;
        if (out->steps)
            out->contested = p->contested[i];
        c->made = p->decisions[i].chosen;
        if (same > 1 && c->repeat && !out->steps) {
            /* the chooser takes the rest of the run at once where it can */
            size_t left = same < n - i ? same : n - i;
            size_t took = c->repeat(c, i, left, &p->decisions[i]);
            if (took) {
                i += took - 1;
                same -= took - 1;
                continue;
            }
        }
        unsigned ch = c->choose(c, i, p->decisions[i].enabled, p->decisions[i].lazy,
                                p->decisions[i].current);
        if (ch != p->decisions[i].chosen) {
            out->target_error = RL_ESYS;
            snprintf(out->message, sizeof out->message,
                     "internal: the program's copy chose thread %u at step %zu, the search %u",
                     p->decisions[i].chosen, i + 1, ch);
            return;
        }
    }
    if (trace) {
        if (convert_trace(p, out) != RL_OK)
            out->ntrace = 0;
        name_addresses(p, out->message, sizeof out->message);
    }
}

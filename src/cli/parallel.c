/* parallel.c - `racelab explore -j N`: one search in N worker processes.
 *
 * Each worker is a fork of this process that makes its own target (a
 * program's own fork server; racelab's in-process targets are plain data)
 * and runs the search as one part of it (rl_explore_split): every worker
 * runs the schedules with no preemption, the first counts them, and the
 * first level's work items are handed out as workers ask for them (a
 * shared counter: the next item not yet taken), each item's schedules at
 * every level below it its taker's. A worker runs its schedules in the
 * order the whole search would, so its first failure is the first of its
 * own; it posts that failure's place at once, and a worker whose next
 * schedule comes after a posted failure stops (nothing it has left comes
 * earlier). Each worker writes its result as JSON down a pipe; this
 * process reads them back and merges them (rl_explore_merge), so the
 * failure reported is the one the search on one core reports, and the
 * states and counts of a complete search are its. */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "parallel.h"
#include "racelab/explore.h"
#include "racelab/platform.h"

#define MAX_ORDER 4096 /* numbers in a posted failure's place */

typedef struct {
    atomic_uint_fast64_t schedules, failing;
} worker_counts;

/* Shared by this process and the workers (an anonymous shared mapping). */
typedef struct {
    atomic_uint_fast64_t next_item; /* the first level's next item not taken */
    atomic_uint arrived; /* workers at the first level's items, or done */
    atomic_uint_fast64_t counted; /* schedules the workers counted: at most max_schedules */
    uint64_t max_schedules;
    atomic_flag lock;               /* over best: a few compares at a time */
    bool have_best;
    uint32_t nbest;
    uint32_t best[MAX_ORDER];
    worker_counts w[RL_CLI_MAX_JOBS];
} shared;

typedef struct {
    shared *sh;
    unsigned index, jobs;
    uint64_t taken; /* the item this worker took and has not yet been asked about */
    bool holding;
    bool arrived;
    /* a shard's workers (--shard K/N -j M): the shard's own split, whose
     * items the workers share out among them, counted apart */
    const rl_explore_split *outer;
    uint64_t outer_items;
    /* the reduced search: tasks come in on task_fd, results go out on
     * back_fd, each a length then its bytes */
    int task_fd, back_fd;
    void *task;
    size_t task_cap;
} worker;

/* This worker is at the first level's items (or done): the items are
 * taken only once every worker is there, so that one that started late
 * (each runs the schedules with no preemption first) still gets its
 * share. */
static void arrive(worker *w) {
    if (!w->arrived) {
        w->arrived = true;
        atomic_fetch_add_explicit(&w->sh->arrived, 1, memory_order_acq_rel);
    }
}

static void lock(shared *sh) {
    while (atomic_flag_test_and_set_explicit(&sh->lock, memory_order_acquire))
        sched_yield();
}

static void unlock(shared *sh) { atomic_flag_clear_explicit(&sh->lock, memory_order_release); }

/* Items are asked about in turn, 0, 1, 2, ...: the one taken is this
 * worker's when its turn comes; then the next one is taken. In a shard,
 * only the shard's items are shared out, numbered among themselves. */
static bool owns(void *ctx, uint64_t index) {
    worker *w = ctx;
    if (w->outer) {
        if (!w->outer->owns(w->outer->ctx, index))
            return false;
        index = w->outer_items++;
    }
    if (!w->arrived) {
        arrive(w);
        while (atomic_load_explicit(&w->sh->arrived, memory_order_acquire) < w->jobs)
            sched_yield();
    }
    if (!w->holding) {
        w->taken = atomic_fetch_add_explicit(&w->sh->next_item, 1, memory_order_relaxed);
        w->holding = true;
    }
    if (w->taken != index)
        return false;
    w->holding = false;
    return true;
}

static bool beaten(void *ctx, const uint32_t *order, size_t n) {
    worker *w = ctx;
    lock(w->sh);
    bool b = w->sh->have_best && rl_order_cmp(w->sh->best, w->sh->nbest, order, n) < 0;
    unlock(w->sh);
    return b;
}

static void found(void *ctx, const uint32_t *order, size_t n) {
    worker *w = ctx;
    if (n > MAX_ORDER)
        return; /* not posted: the others go on, the merge still picks the first */
    lock(w->sh);
    if (!w->sh->have_best || rl_order_cmp(order, n, w->sh->best, w->sh->nbest) < 0) {
        memcpy(w->sh->best, order, n * sizeof *order);
        w->sh->nbest = (uint32_t)n;
        w->sh->have_best = true;
    }
    unlock(w->sh);
}

/* --max-schedules holds for the workers together: a schedule is counted
 * only while the total is below it. */
static bool count(void *ctx) {
    worker *w = ctx;
    return atomic_fetch_add_explicit(&w->sh->counted, 1, memory_order_relaxed) <
           w->sh->max_schedules;
}

static void worker_progress(void *ctx, const rl_explore_progress *p) {
    worker *w = ctx;
    worker_counts *c = &w->sh->w[w->index];
    atomic_store_explicit(&c->schedules, p->schedules, memory_order_relaxed);
    atomic_store_explicit(&c->failing, p->failing, memory_order_relaxed);
}

/* All of len bytes, or false (an end, an error). */
static bool read_all(int fd, void *p, size_t len) {
    for (size_t got = 0; got < len;) {
        ssize_t n = read(fd, (char *)p + got, len - got);
        if (n > 0)
            got += (size_t)n;
        else if (n == 0 || errno != EINTR)
            return false;
    }
    return true;
}

static bool write_all(int fd, const void *p, size_t len) {
    for (size_t put = 0; put < len;) {
        ssize_t n = write(fd, (const char *)p + put, len - put);
        if (n > 0)
            put += (size_t)n;
        else if (n == 0 || errno != EINTR)
            return false;
    }
    return true;
}

/* A message: its length, then its bytes. */
static bool send_msg(int fd, const void *msg, size_t len) {
    uint64_t n = len;
    return write_all(fd, &n, sizeof n) && write_all(fd, msg, len);
}

/* The next message into *buf (grown): its length, or false. */
static bool recv_msg(int fd, void **buf, size_t *cap, size_t *len) {
    uint64_t n;
    if (!read_all(fd, &n, sizeof n) || n > ((uint64_t)1 << 34))
        return false;
    if (n > *cap) {
        void *bigger = realloc(*buf, n);
        if (!bigger)
            return false;
        *buf = bigger;
        *cap = n;
    }
    *len = n;
    return read_all(fd, *buf, n);
}

static bool task_back(void *ctx, const void *msg, size_t len) {
    worker *w = ctx;
    return send_msg(w->back_fd, msg, len);
}

static bool task_next(void *ctx, const void **msg, size_t *len) {
    worker *w = ctx;
    if (!recv_msg(w->task_fd, &w->task, &w->task_cap, len))
        return false;
    *msg = w->task;
    return true;
}

/* A worker: its target, its part of the search, its result as JSON down
 * fd. Never returns. */
static void work(shared *sh, unsigned index, unsigned jobs, int fd, int task_fd, int back_fd,
                 const rl_cli_target_maker *make, rl_explore_opts o) {
    worker w = {.sh = sh, .index = index, .jobs = jobs, .outer = o.split,
                .task_fd = task_fd, .back_fd = back_fd};
    rl_explore_split split = {.owns = owns,
                              .beaten = beaten,
                              .found = found,
                              .count = count,
                              .ctx = &w,
                              .first_part = index == 0 && (!o.split || o.split->first_part),
                              .whole_items = true};
    /* the reduced search's tasks; in a shard, its part of the tree */
    split.task_back = task_back;
    split.task_next = task_next;
    if (o.split) {
        split.part = o.split->part;
        split.parts = o.split->parts;
    }
    o.split = &split;
    o.progress = worker_progress;
    o.progress_ctx = &w;
    rl_target t;
    char why[512] = "";
    rl_err e = make->make(make->ctx, &t, why, sizeof why);
    if (e != RL_OK) { /* said once by this process, not by every worker */
        arrive(&w);
        dprintf(fd, "!%s", why[0] ? why : rl_strerror(e));
        _exit(EXIT_ERROR);
    }
    rl_explore_result r;
    e = rl_explore(&t, &o, &r, why, sizeof why);
    arrive(&w); /* never got to the items (a stop, a failure): none to wait for */
    rl_target_free(&t);
    if (e != RL_OK) {
        dprintf(fd, "!%s", why[0] ? why : rl_strerror(e));
        _exit(e == RL_EINVAL ? EXIT_USAGE : EXIT_ERROR);
    }
    FILE *f = fdopen(fd, "w");
    if (!f)
        _exit(EXIT_ERROR);
    rl_explore_write_json(f, "worker", &o, &r);
    rl_explore_result_free(&r);
    _exit(fclose(f) == 0 ? EXIT_HELD : EXIT_ERROR);
}

typedef struct {
    char *text;
    size_t len, cap;
    bool done;
} inbox;

static bool take(inbox *b, int fd) {
    if (b->len + 65536 > b->cap) {
        size_t cap = b->cap ? 2 * b->cap : 262144;
        char *bigger = realloc(b->text, cap);
        if (!bigger)
            return false;
        b->text = bigger;
        b->cap = cap;
    }
    ssize_t n = read(fd, b->text + b->len, b->cap - b->len - 1);
    if (n > 0)
        b->len += (size_t)n;
    else if (n == 0 || (errno != EINTR && errno != EAGAIN))
        b->done = true;
    return true;
}

/* ---- the reduced search's tasks (this process keeps its tree) ---- */

typedef struct {
    int to, from;  /* its tasks; its results */
    bool open;     /* from is open */
    bool waiting;  /* for its next task */
    bool has_task;
    uint64_t task;
} tasks_worker;

typedef struct {
    const rl_explore_opts *o;
    rl_explore_coord *coord; /* made at the first worker's hello */
    tasks_worker w[RL_CLI_MAX_JOBS];
    unsigned n;
    void *buf;
    size_t cap;
    /* a test of the coordinator's order (RACELAB_TEST_TASKS_REVERSED=1,
     * tests/cli/test_parallel.py): the workers' messages are held until
     * none is at work, then given to it last first */
    bool reverse;
    struct held {
        void *msg;
        size_t len;
        unsigned from;
    } held[RL_CLI_MAX_JOBS];
    unsigned nheld;
} tasks;

static rl_err coord_take(tasks *tk, unsigned i, const void *msg, size_t len, char *why,
                         size_t why_len);

/* The held messages, last first, once no worker is at work. */
static rl_err give_held(tasks *tk, char *why, size_t why_len) {
    for (unsigned i = 0; i < tk->n; i++)
        if (tk->w[i].open && !tk->w[i].waiting)
            return RL_OK;
    rl_err e = RL_OK;
    while (tk->nheld > 0) {
        struct held *h = &tk->held[--tk->nheld];
        if (e == RL_OK)
            e = coord_take(tk, h->from, h->msg, h->len, why, why_len);
        free(h->msg);
    }
    return e;
}

/* A message from worker i (or its end). */
static rl_err task_heard(tasks *tk, unsigned i, char *why, size_t why_len) {
    tasks_worker *w = &tk->w[i];
    size_t len = 0;
    if (!recv_msg(w->from, &tk->buf, &tk->cap, &len)) {
        /* it ended (its own message, if any, comes with its result) */
        close(w->from);
        w->open = w->waiting = false;
        if (w->has_task && tk->coord)
            rl_explore_coord_lost(tk->coord, w->task);
        w->has_task = false;
        return RL_OK;
    }
    if (tk->reverse && tk->nheld < RL_CLI_MAX_JOBS) {
        struct held *h = &tk->held[tk->nheld];
        if (!(h->msg = malloc(len ? len : 1))) {
            snprintf(why, why_len, "out of memory");
            return RL_ENOMEM;
        }
        memcpy(h->msg, tk->buf, len);
        h->len = len;
        h->from = i;
        tk->nheld++;
        w->has_task = false;
        w->waiting = true; /* as far as holding goes: no longer at work */
        return RL_OK;
    }
    return coord_take(tk, i, tk->buf, len, why, why_len);
}

/* A worker's message to the coordinator. */
static rl_err coord_take(tasks *tk, unsigned i, const void *msg, size_t len, char *why,
                         size_t why_len) {
    tasks_worker *w = &tk->w[i];
    if (!tk->coord && !(tk->coord = rl_explore_coord_new(tk->o->keep_going))) {
        snprintf(why, why_len, "out of memory keeping the reduced search's tree");
        return RL_ENOMEM;
    }
    bool waits = false;
    rl_err e = rl_explore_coord_back(tk->coord, msg, len, &waits);
    if (e == RL_ENOTSUP) {
        snprintf(why, why_len,
                 "the program's memory was laid out differently in two workers (address "
                 "space randomization could not be turned off): the reduced search cannot "
                 "be split among workers; run it with -j 1");
        return e;
    }
    if (e != RL_OK) {
        snprintf(why, why_len, "%s", e == RL_ENOMEM ? "out of memory keeping the reduced search's tree"
                                                     : "a worker sent what is not a result");
        return e == RL_ENOMEM ? RL_ENOMEM : RL_ESYS;
    }
    w->has_task = false;
    w->waiting = waits;
    return RL_OK;
}

/* A task (or the end) to each worker waiting for one. */
static rl_err tasks_hand_out(tasks *tk, char *why, size_t why_len) {
    if (tk->reverse) {
        rl_err e = give_held(tk, why, why_len);
        if (e != RL_OK)
            return e;
    }
    if (!tk->coord)
        return RL_OK;
    if (tk->o->interrupted && *tk->o->interrupted)
        rl_explore_coord_stop(tk->coord);
    for (unsigned i = 0; i < tk->n; i++) {
        tasks_worker *w = &tk->w[i];
        if (!w->waiting)
            continue;
        const void *msg;
        size_t len;
        uint64_t id = 0;
        int r = rl_explore_coord_next(tk->coord, &msg, &len, &id);
        if (r < 0) {
            snprintf(why, why_len, "out of memory keeping the reduced search's tree");
            return RL_ENOMEM;
        }
        if (r == 0)
            break; /* none now: the others' results first */
        w->waiting = false;
        w->has_task = r == 1;
        w->task = id;
        if (!send_msg(w->to, msg, len) && r == 1) { /* it is gone: its task with it */
            rl_explore_coord_lost(tk->coord, id);
            w->has_task = false;
        }
    }
    return RL_OK;
}

static void show(rl_cli_progress *line, const shared *sh, unsigned jobs, uint64_t t0) {
    if (!line || !line->on || !rl_cli_progress_due(line))
        return;
    uint64_t schedules = 0, failing = 0;
    for (unsigned i = 0; i < jobs; i++) {
        schedules += atomic_load_explicit(&sh->w[i].schedules, memory_order_relaxed);
        failing += atomic_load_explicit(&sh->w[i].failing, memory_order_relaxed);
    }
    double secs = (double)(rl_now_ns() - t0) / 1e9;
    rl_cli_progress_show(line,
                         "exploring: %" PRIu64 " schedules, %.0f/s, %" PRIu64
                         " failing, %.1f s, %u workers (Ctrl-C stops and reports)",
                         schedules, secs > 0 ? (double)schedules / secs : 0, failing, secs, jobs);
}

rl_err rl_cli_explore_parallel(unsigned jobs, const rl_cli_target_maker *make,
                               const rl_explore_opts *o, rl_cli_progress *line,
                               rl_explore_result *out, char *name, size_t name_len, char *why,
                               size_t why_len) {
    memset(out, 0, sizeof *out);
    if (jobs < 2 || jobs > RL_CLI_MAX_JOBS) {
        snprintf(why, why_len, "from 2 to %d workers", RL_CLI_MAX_JOBS);
        return RL_EINVAL;
    }
    shared *sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (sh == MAP_FAILED) {
        snprintf(why, why_len, "cannot share memory with the workers: %s", strerror(errno));
        return RL_ESYS;
    }
    atomic_flag_clear(&sh->lock);
    sh->max_schedules = o->max_schedules;
    pid_t pid[RL_CLI_MAX_JOBS];
    int fd[RL_CLI_MAX_JOBS];
    const char *rev = getenv("RACELAB_TEST_TASKS_REVERSED");
    tasks tk = {.o = o, .reverse = rev && strcmp(rev, "1") == 0};
    inbox in[RL_CLI_MAX_JOBS];
    memset(in, 0, sizeof in);
    unsigned started = 0;
    rl_err e = RL_OK;
    uint64_t t0 = rl_now_ns();
    fflush(NULL); /* nothing buffered here is written twice */
    for (; started < jobs; started++) {
        int p[2], tp[2] = {-1, -1}, bp[2] = {-1, -1};
        int made = pipe(p) == 0 ? 1 : 0;
        made += made == 1 && pipe(tp) == 0;
        made += made == 2 && pipe(bp) == 0;
        pid_t c = made == 3 ? fork() : -1;
        if (c < 0) {
            snprintf(why, why_len, "cannot %s: %s",
                     made == 3 ? "start a worker" : "make a pipe for a worker", strerror(errno));
            int *ends[3] = {p, tp, bp};
            for (int k = 0; k < made; k++) {
                close(ends[k][0]);
                close(ends[k][1]);
            }
            e = RL_ESYS;
            break;
        }
        if (c == 0) {
            close(p[0]);
            close(tp[1]);
            close(bp[0]);
            for (unsigned i = 0; i < started; i++) {
                close(fd[i]);
                close(tk.w[i].to);
                close(tk.w[i].from);
            }
            work(sh, started, jobs, p[1], tp[0], bp[1], make, *o);
        }
        close(p[1]);
        close(tp[0]);
        close(bp[1]);
        pid[started] = c;
        fd[started] = p[0];
        tk.w[started] = (tasks_worker){.to = tp[1], .from = bp[0], .open = true};
    }
    tk.n = started;
    void (*was_pipe)(int) = signal(SIGPIPE, SIG_IGN); /* a dead worker's pipe: an error */
    /* workers that could not be started are none to wait for */
    atomic_fetch_add_explicit(&sh->arrived, jobs - started, memory_order_acq_rel);
    /* read every worker's result to its end (a worker stopped by Ctrl-C
     * still writes its part) */
    for (unsigned left = started; left > 0;) {
        struct pollfd pf[RL_CLI_MAX_JOBS];
        unsigned map[RL_CLI_MAX_JOBS], n = 0;
        for (unsigned i = 0; i < started; i++)
            if (!in[i].done) {
                pf[n] = (struct pollfd){.fd = fd[i], .events = POLLIN};
                map[n++] = i;
            }
        unsigned nin = n;
        for (unsigned i = 0; i < started; i++)
            if (tk.w[i].open) {
                pf[n] = (struct pollfd){.fd = tk.w[i].from, .events = POLLIN};
                map[n++] = i;
            }
        int ready = poll(pf, n, 200);
        show(line, sh, started, t0);
        if (ready < 0 && errno != EINTR) {
            snprintf(why, why_len, "cannot wait for the workers: %s", strerror(errno));
            e = RL_ESYS;
            break;
        }
        for (unsigned k = nin; ready > 0 && k < n && e == RL_OK; k++)
            if (pf[k].revents)
                e = task_heard(&tk, map[k], why, why_len);
        if (e == RL_OK)
            e = tasks_hand_out(&tk, why, why_len);
        for (unsigned k = 0; ready > 0 && k < nin; k++)
            if (pf[k].revents) {
                inbox *b = &in[map[k]];
                if (!take(b, fd[map[k]])) {
                    snprintf(why, why_len, "out of memory reading a worker's result");
                    e = RL_ENOMEM;
                    b->done = true;
                }
                if (b->done) { /* its end: if it died before arriving, none wait for it */
                    left--;
                    atomic_fetch_add_explicit(&sh->arrived, 1, memory_order_acq_rel);
                }
            }
        if (e != RL_OK)
            break;
    }
    int worst = 0;
    signal(SIGPIPE, was_pipe);
    rl_explore_coord_free(tk.coord);
    free(tk.buf);
    while (tk.nheld > 0) /* an error left them held */
        free(tk.held[--tk.nheld].msg);
    for (unsigned i = 0; i < started; i++) {
        close(tk.w[i].to);
        if (tk.w[i].open)
            close(tk.w[i].from);
    }
    for (unsigned i = 0; i < started; i++) {
        close(fd[i]);
        int status = 0;
        if (e != RL_OK)
            kill(pid[i], SIGTERM);
        while (waitpid(pid[i], &status, 0) < 0 && errno == EINTR)
            ;
        int rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        if (rc != 0 && worst == 0)
            worst = rc;
    }
    munmap(sh, sizeof *sh);
    if (e == RL_OK && worst != 0) {
        /* the workers' messages ("!why" down their pipes), each said once:
         * the first as this call's error, any other on stderr */
        const char *first = NULL;
        for (unsigned i = 0; i < started; i++) {
            if (!in[i].text || in[i].len == 0 || in[i].text[0] != '!')
                continue;
            in[i].text[in[i].len] = '\0';
            bool said = false;
            for (unsigned k = 0; k < i && !said; k++)
                said = in[k].text && in[k].len && in[k].text[0] == '!' &&
                       strcmp(in[k].text, in[i].text) == 0;
            if (!first)
                first = in[i].text + 1;
            else if (!said)
                fprintf(stderr, "racelab explore: %s\n", in[i].text + 1);
        }
        if (first)
            snprintf(why, why_len, "%s", first);
        else
            snprintf(why, why_len, "a worker failed (status %d)", worst);
        e = worst == EXIT_USAGE ? RL_EINVAL : RL_ESYS;
    }
    rl_explore_result *parts = e == RL_OK ? calloc(started ? started : 1, sizeof *parts) : NULL;
    if (e == RL_OK && !parts) {
        snprintf(why, why_len, "out of memory reading the workers' results");
        e = RL_ENOMEM;
    }
    unsigned nparts = 0;
    for (unsigned i = 0; i < started && e == RL_OK; i++) {
        rl_explore_opts po;
        unsigned part, of;
        char wname[8];
        e = rl_explore_read_json(in[i].text, in[i].len, wname, sizeof wname, &po, &parts[nparts],
                                 &part, &of, why, why_len);
        if (e == RL_OK) {
            nparts++;
        } else { /* what a worker writes is this program's own JSON: cut short */
            char said[256];
            snprintf(said, sizeof said, "%s", why);
            snprintf(why, why_len, "worker %u's result could not be read back: %s", i + 1, said);
            e = RL_ESYS;
        }
    }
    for (unsigned i = 0; i < started; i++)
        free(in[i].text);
    if (e != RL_OK) {
        for (unsigned i = 0; i < nparts; i++)
            rl_explore_result_free(&parts[i]);
        free(parts);
        return e;
    }
    e = rl_explore_merge(parts, nparts, out);
    free(parts);
    if (e == RL_OK) {
        out->elapsed_ns = rl_now_ns() - t0 - out->minimize_ns;
        snprintf(name, name_len, "%s", make->name);
    } else {
        snprintf(why, why_len, "out of memory merging the workers' results");
    }
    return e;
}

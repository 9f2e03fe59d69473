/* targets.c - naming what to explore: every scenario variant, plus the
 * explorer's own deadlock targets, which only make sense under a scheduler
 * that can detect a deadlock (on real threads they would just hang). */
#include <stdio.h>
#include <string.h>

#include "../explore_impl.h"

static rl_err run_scenario(const rl_target *t, rl_outcome *out) {
    return rl_scenario_run(t->scenario, t->scenario->variants[t->variant].name, &t->opts, out);
}

/* Two threads take two locks; in opposite orders they can deadlock. */
typedef struct {
    rl_mutex first, second;
} two_locks;

static void forward(void *arg) {
    two_locks *l = arg;
    rl_mutex_lock(&l->first);
    rl_mutex_lock(&l->second);
    rl_mutex_unlock(&l->second);
    rl_mutex_unlock(&l->first);
}

static void backward(void *arg) {
    two_locks *l = arg;
    rl_mutex_lock(&l->second);
    rl_mutex_lock(&l->first);
    rl_mutex_unlock(&l->first);
    rl_mutex_unlock(&l->second);
}

static rl_err run_deadlock(const rl_target *t, rl_outcome *out) {
    bool opposite = t->ctx != NULL;
    two_locks l;
    rl_err e = rl_mutex_init(&l.first, "accounts");
    if (e != RL_OK)
        return e;
    if ((e = rl_mutex_init(&l.second, "audit")) != RL_OK) {
        rl_mutex_destroy(&l.first);
        return e;
    }
    rl_thread a, b;
    memset(out, 0, sizeof *out);
    e = rl_thread_create(&a, "transfer", forward, &l);
    if (e == RL_OK) {
        e = rl_thread_create(&b, "report", opposite ? backward : forward, &l);
        if (e == RL_OK)
            rl_thread_join(&b);
        rl_thread_join(&a);
    }
    rl_mutex_destroy(&l.second);
    rl_mutex_destroy(&l.first);
    rl_outcome_state(out, "both finished");
    rl_outcome_verdict(out, true, "both threads took and released both locks");
    return e;
}

/* ---- startup: one thread of many must be late for the bug to show ----
 * Thread 1 starts a service (under a lock); threads 2..N use it, each
 * noting whether it had started. The bug: when every user comes before the
 * service has started, nobody notices that it was never used started
 * (the verdict breaks). One delay of thread 1, at its first step, shows it
 * with any number of threads; a preemption-bounded search first walks
 * through the orders of the users. --threads N counts all of them. */
typedef struct {
    rl_mutex lock;
    bool started;
    unsigned early, users;
} service;

static void start_service(void *arg) {
    service *s = arg;
    rl_mutex_lock(&s->lock);
    s->started = true;
    rl_mutex_unlock(&s->lock);
}

static void use_service(void *arg) {
    service *s = arg;
    rl_mutex_lock(&s->lock);
    s->early += !s->started;
    rl_mutex_unlock(&s->lock);
}

#define STARTUP_MAX 256

static rl_err run_startup(const rl_target *t, rl_outcome *out) {
    unsigned n = t->opts.threads < 2 ? 2 : t->opts.threads;
    if (n > STARTUP_MAX)
        return RL_EINVAL;
    service s = {.users = n - 1};
    rl_err e = rl_mutex_init(&s.lock, "service");
    if (e != RL_OK)
        return e;
    /* on the stack, not the heap: a schedule the explorer abandons (too
     * many threads) leaks nothing */
    rl_thread th[STARTUP_MAX];
    char names[STARTUP_MAX][16];
    unsigned started = 0;
    for (; started < n; started++) {
        if (started == 0)
            snprintf(names[started], sizeof names[started], "starter");
        else
            snprintf(names[started], sizeof names[started], "user%u", started);
        e = rl_thread_create(&th[started], names[started],
                             started == 0 ? start_service : use_service, &s);
        if (e != RL_OK)
            break;
    }
    for (unsigned i = 0; i < started; i++)
        rl_thread_join(&th[i]);
    rl_mutex_destroy(&s.lock);
    if (e != RL_OK)
        return e;
    rl_outcome_state(out, "early=%u of %u", s.early, s.users);
    if (s.early == s.users)
        rl_outcome_verdict(out, false, "all %u users came before the service started", s.users);
    else
        rl_outcome_verdict(out, true, "some user found the service started");
    return RL_OK;
}

/* ---- signal: which waiter wakes ----
 * Two customers wait on one condition for a turn; the cashier waits until
 * both wait, then gives out one turn at a time with a signal. The fifo
 * variant assumes the customer who waited first is served first: pthreads
 * promise no such order (a signal wakes some waiter), so it breaks only
 * when the signal picks the later waiter. The ticket variant gives each
 * customer its own number and wakes them all (broadcast). */
typedef struct {
    rl_mutex lock;
    rl_cond turn, arrived;
    bool tickets;
    unsigned waiting, turns, next_served, next_ticket, now_serving;
    unsigned order_waited[2], order_served[2];
} queue;

typedef struct {
    queue *q;
    unsigned who;
} customer;

static void wait_turn(void *arg) {
    customer *c = arg;
    queue *q = c->q;
    rl_mutex_lock(&q->lock);
    unsigned ticket = q->next_ticket++;
    q->order_waited[q->waiting++] = c->who;
    rl_cond_signal(&q->arrived);
    if (q->tickets)
        while (q->now_serving != ticket)
            rl_cond_wait(&q->turn, &q->lock);
    else
        while (q->turns == 0)
            rl_cond_wait(&q->turn, &q->lock);
    if (!q->tickets)
        q->turns--;
    q->order_served[q->next_served++] = c->who;
    rl_cond_signal(&q->arrived); /* the cashier waits for it before the next turn */
    rl_mutex_unlock(&q->lock);
}

static rl_err run_signal(const rl_target *t, rl_outcome *out) {
    queue q = {.tickets = t->ctx != NULL};
    rl_err e = rl_mutex_init(&q.lock, "queue");
    if (e != RL_OK)
        return e;
    if ((e = rl_cond_init(&q.turn, "turn")) != RL_OK) {
        rl_mutex_destroy(&q.lock);
        return e;
    }
    if ((e = rl_cond_init(&q.arrived, "arrived")) != RL_OK) {
        rl_cond_destroy(&q.turn);
        rl_mutex_destroy(&q.lock);
        return e;
    }
    customer c[2] = {{&q, 1}, {&q, 2}};
    rl_thread th[2];
    static const char *const names[2] = {"ann", "bob"};
    unsigned started = 0;
    for (; started < 2; started++)
        if ((e = rl_thread_create(&th[started], names[started], wait_turn, &c[started])) != RL_OK)
            break;
    rl_mutex_lock(&q.lock);
    while (q.waiting < started)
        rl_cond_wait(&q.arrived, &q.lock);
    for (unsigned k = 0; k < started; k++) {
        /* one turn at a time: the next only once the last was taken */
        while (q.next_served < k)
            rl_cond_wait(&q.arrived, &q.lock);
        if (q.tickets) {
            q.now_serving = k;
            rl_cond_broadcast(&q.turn);
        } else {
            q.turns++;
            rl_cond_signal(&q.turn);
        }
    }
    rl_mutex_unlock(&q.lock);
    for (unsigned i = 0; i < started; i++)
        rl_thread_join(&th[i]);
    rl_cond_destroy(&q.arrived);
    rl_cond_destroy(&q.turn);
    rl_mutex_destroy(&q.lock);
    if (e != RL_OK)
        return e;
    rl_outcome_state(out, "waited %s,%s served %s,%s", names[q.order_waited[0] - 1],
                     names[q.order_waited[1] - 1], names[q.order_served[0] - 1],
                     names[q.order_served[1] - 1]);
    if (q.order_served[0] != q.order_waited[0])
        rl_outcome_verdict(out, false, "%s waited first but %s was served first",
                           names[q.order_waited[0] - 1], names[q.order_served[0] - 1]);
    else
        rl_outcome_verdict(out, true, "served in the order they waited");
    return RL_OK;
}

/* ---- stack: a thread with deep recursion ----
 * About 1 MiB of stack in 1 KiB frames (each frame touches its own, so the
 * guard page below the stack is met, not skipped): fine with the default
 * stack, an overflow with --stack-size 256K. Each call reads its caller's
 * frame, so every frame stays alive until the deepest call returns: an
 * optimizer cannot turn the recursion into a loop (clang -O3 did, with an
 * accumulator, when the frames were independent). */
static unsigned descend(unsigned depth, const volatile unsigned char *above) {
    volatile unsigned char frame[1024];
    frame[0] = (unsigned char)depth;
    frame[sizeof frame - 1] = (unsigned char)depth;
    if (depth == 0)
        return (unsigned)above[0] - 1; /* the caller's depth, 1 */
    return descend(depth - 1, frame) + frame[sizeof frame - 1] - (unsigned char)depth;
}

static void deep(void *arg) {
    static const volatile unsigned char top[1] = {1};
    unsigned *result = arg;
    rl_yield();
    *result = descend(1024, top);
}

static rl_err run_stack(const rl_target *t, rl_outcome *out) {
    (void)t;
    unsigned result = 1;
    rl_thread th;
    rl_err e = rl_thread_create(&th, "deep", deep, &result);
    if (e != RL_OK)
        return e;
    rl_thread_join(&th);
    rl_outcome_state(out, "descended");
    rl_outcome_verdict(out, result == 0, "the recursion came back");
    return RL_OK;
}

static const struct {
    const char *name, *summary;
    bool correct;
    rl_err (*run)(const rl_target *t, rl_outcome *out);
    void *ctx;
} own[] = {
    {"deadlock:opposite-order", "two threads take the same two locks in opposite orders", false,
     run_deadlock, (void *)1},
    {"deadlock:same-order", "two threads take the same two locks in the same order", true,
     run_deadlock, NULL},
    {"startup:unordered", "users of a service may all come before it starts (--threads N)",
     false, run_startup, NULL},
    {"signal:fifo-assumed", "assumes a signal wakes the waiter who waited first", false,
     run_signal, NULL},
    {"signal:tickets", "each waiter waits for its own ticket, woken by broadcast", true,
     run_signal, (void *)1},
    {"stack:deep", "a thread recursing through about 1 MiB of stack (try --stack-size 256K)",
     true, run_stack, NULL},
};

#define NOWN (sizeof own / sizeof own[0])

#define WHY(...) (why ? (void)snprintf(why, why_len, __VA_ARGS__) : (void)0)

rl_err rl_target_parse(const char *spec, const rl_scenario_opts *opts, rl_target *out, char *why,
                       size_t why_len) {
    if (!spec || !out) {
        WHY("no target given");
        return RL_EINVAL;
    }
    memset(out, 0, sizeof *out);
    snprintf(out->name, sizeof out->name, "%s", spec);
    for (size_t i = 0; i < NOWN; i++)
        if (strcmp(spec, own[i].name) == 0) {
            unsigned knobs = own[i].run == run_startup ? RL_KNOB_THREADS : RL_KNOB_NONE;
            if (rl_scenario_check_knobs(spec, knobs, opts, why, why_len) != RL_OK)
                return RL_EINVAL;
            out->run = own[i].run;
            out->ctx = own[i].ctx;
            out->opts.threads = opts && opts->threads ? opts->threads : 2;
            return RL_OK;
        }
    const char *colon = strchr(spec, ':');
    char scenario[64];
    size_t len = colon ? (size_t)(colon - spec) : strlen(spec);
    if (!colon || len == 0 || len >= sizeof scenario || colon[1] == '\0') {
        WHY("a target is SCENARIO:VARIANT, such as bill:racy or overdraft:cas, not '%s' "
            "('racelab explore --list' names them)",
            spec);
        return RL_ENOENT;
    }
    memcpy(scenario, spec, len);
    scenario[len] = '\0';
    const rl_scenario *s = rl_scenario_find(scenario);
    if (s && s->needs_database) {
        WHY("scenario '%s' runs against a database server, whose threads the explorer cannot "
            "schedule: try 'racelab scenario run %s'",
            scenario, scenario);
        return RL_EINVAL;
    }
    if (!s) {
        WHY("no scenario '%s' ('racelab explore --list' names the targets)", scenario);
        return RL_ENOENT;
    }
    size_t v = rl_scenario_variant(s, colon + 1);
    if (v == s->nvariants) {
        WHY("scenario '%s' has no variant '%s' ('racelab explore --list' names the targets)",
            scenario, colon + 1);
        return RL_ENOENT;
    }
    if (rl_scenario_check_knobs(spec, s->knobs, opts, why, why_len) != RL_OK)
        return RL_EINVAL;
    /* small cases by default: exhaustive search grows fast with size */
    rl_scenario_opts o = {.merchants = 2, .customers = 2, .threads = 2, .items = 2};
    if (opts) {
        if (opts->delay_ns)
            o.delay_ns = opts->delay_ns;
        if (opts->retries)
            o.retries = opts->retries;
        if (opts->threads)
            o.threads = opts->threads;
        if (opts->items)
            o.items = opts->items;
        if (opts->merchants)
            o.merchants = opts->merchants;
        if (opts->customers)
            o.customers = opts->customers;
    }
    if (s->knobs) { /* only what it reads: the run refuses the rest */
        if (!(s->knobs & RL_KNOB_MERCHANTS))
            o.merchants = 0;
        if (!(s->knobs & RL_KNOB_CUSTOMERS))
            o.customers = 0;
        if (!(s->knobs & RL_KNOB_THREADS))
            o.threads = 0;
        if (!(s->knobs & RL_KNOB_ITEMS))
            o.items = 0;
    }
    o.force = false; /* the explorer chooses the interleaving */
    out->run = run_scenario;
    out->scenario = s;
    out->variant = v;
    out->opts = o;
    return RL_OK;
}

void rl_target_list(void (*each)(void *ctx, const char *name, const char *summary, bool correct),
                    void *ctx) {
    if (!each)
        rl_fatal("rl_target_list: NULL function");
    char name[96];
    for (size_t i = 0; i < rl_scenario_count(); i++) {
        const rl_scenario *s = rl_scenario_at(i);
        for (size_t v = 0; !s->needs_database && v < s->nvariants; v++) {
            snprintf(name, sizeof name, "%s:%s", s->name, s->variants[v].name);
            each(ctx, name, s->variants[v].summary, s->variants[v].correct);
        }
    }
    for (size_t i = 0; i < NOWN; i++)
        each(ctx, own[i].name, own[i].summary, own[i].correct);
}

/* ---- a user's program ---- */

static rl_err run_program_directly(const rl_target *t, rl_outcome *out) {
    (void)t;
    (void)out;
    return RL_ENOTSUP; /* programs are run by the search itself (search.c) */
}

rl_err rl_program_target(char *const argv[], const rl_program_opts *o, rl_target *out, char *why,
                         size_t why_len) {
    if (!out)
        return RL_EINVAL;
    memset(out, 0, sizeof *out);
    rl__program *p;
    rl_err e = rl__program_start(argv, o, &p, why, why_len);
    if (e != RL_OK)
        return e;
    out->program = p;
    out->run = run_program_directly;
    snprintf(out->name, sizeof out->name, "%s", rl__program_label(p));
    return RL_OK;
}

void rl_target_free(rl_target *t) {
    if (t && t->program) {
        rl__program_free(t->program);
        t->program = NULL;
    }
}

const char *rl_target_output(const rl_target *t) {
    return t && t->program ? rl__program_output(t->program) : "";
}

void rl_target_custom(rl_target *t, const char *name,
                      rl_err (*run)(const rl_target *t, rl_outcome *out), void *ctx) {
    if (!t || !run)
        rl_fatal("rl_target_custom: NULL target or run function");
    memset(t, 0, sizeof *t);
    snprintf(t->name, sizeof t->name, "%s", name ? name : "custom");
    t->run = run;
    t->ctx = ctx;
}

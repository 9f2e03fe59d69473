/* test_channel.c - the bounded, closable channel. Blocking is forced with a
 * spy platform table (a thread is known to be waiting, not hoped to be),
 * and the trickiest cases are checked over every schedule by the explorer. */
#include "racelab/channel.h"
#include "racelab/explore.h"
#include "testing.h"

/* ---- single thread ---- */

static void buffered_fifo_and_close(void **state) {
    (void)state;
    rl_chan *ch;
    assert_err_equal(rl_chan_create(sizeof(int), 3, "box", &ch), RL_OK);
    assert_string_equal(rl_chan_name(ch), "box");
    int x;
    assert_err_equal(rl_chan_try_recv(ch, &x), RL_EBUSY);
    for (int i = 1; i <= 3; i++)
        assert_err_equal(rl_chan_send(ch, &i), RL_OK);
    assert_int_equal(rl_chan_len(ch), 3);
    assert_err_equal(rl_chan_recv(ch, &x), RL_OK);
    assert_int_equal(x, 1);
    assert_false(rl_chan_closed(ch));
    assert_err_equal(rl_chan_close(ch), RL_OK);
    assert_true(rl_chan_closed(ch));
    assert_err_equal(rl_chan_close(ch), RL_ECLOSED); /* twice: an error, not a crash */
    int y = 9;
    assert_err_equal(rl_chan_send(ch, &y), RL_ECLOSED);
    /* what was sent before close is still delivered, in order */
    assert_err_equal(rl_chan_recv(ch, &x), RL_OK);
    assert_int_equal(x, 2);
    assert_err_equal(rl_chan_try_recv(ch, &x), RL_OK);
    assert_int_equal(x, 3);
    assert_err_equal(rl_chan_recv(ch, &x), RL_ECLOSED);
    assert_err_equal(rl_chan_try_recv(ch, &x), RL_ECLOSED);
    rl_chan_destroy(ch);
}

static void invalid_arguments(void **state) {
    (void)state;
    rl_chan *ch;
    int x = 0;
    assert_err_equal(rl_chan_create(0, 1, "x", &ch), RL_EINVAL);
    assert_err_equal(rl_chan_create(4, 1, "x", NULL), RL_EINVAL);
    assert_err_equal(rl_chan_send(NULL, &x), RL_EINVAL);
    assert_err_equal(rl_chan_recv(NULL, &x), RL_EINVAL);
    assert_err_equal(rl_chan_try_recv(NULL, &x), RL_EINVAL);
    assert_err_equal(rl_chan_close(NULL), RL_EINVAL);
    assert_err_equal(rl_chan_create(sizeof x, 0, NULL, &ch), RL_OK);
    assert_string_equal(rl_chan_name(ch), "chan");
    assert_err_equal(rl_chan_send(ch, NULL), RL_EINVAL);
    assert_err_equal(rl_chan_recv(ch, NULL), RL_EINVAL);
    rl_chan_destroy(ch);
    rl_chan_destroy(NULL);
    /* undelivered elements are dropped with the channel (ASan checks the leak) */
    assert_err_equal(rl_chan_create(sizeof x, 4, "drop", &ch), RL_OK);
    assert_err_equal(rl_chan_send(ch, &x), RL_OK);
    rl_chan_destroy(ch);
}

/* ---- forced blocking on real threads ---- */

/* A spy table: counts threads waiting on conditions named `watched`, and
 * wakes whoever waits for that count through the pthreads table directly. */
static struct {
    rl_mutex mu;
    rl_cond changed;
    const char *watched;
    int waiting;
} spy;

static void spy_wait(rl_cond *c, rl_mutex *m) {
    const rl_platform *in = rl_platform_pthreads();
    bool watched = spy.watched && strcmp(c->name, spy.watched) == 0;
    if (watched) {
        in->mutex_lock(&spy.mu);
        spy.waiting++;
        in->cond_broadcast(&spy.changed);
        in->mutex_unlock(&spy.mu);
    }
    in->cond_wait(c, m);
    if (watched) {
        in->mutex_lock(&spy.mu);
        spy.waiting--;
        in->mutex_unlock(&spy.mu);
    }
}

static rl_platform spy_table;

static void spy_begin(const char *watched) {
    assert_err_equal(rl_mutex_init(&spy.mu, "spy"), RL_OK);
    assert_err_equal(rl_cond_init(&spy.changed, "spy"), RL_OK);
    spy.watched = watched;
    spy.waiting = 0;
    spy_table = *rl_platform_pthreads();
    spy_table.name = "spy";
    spy_table.layout = rl_platform_pthreads();
    spy_table.cond_wait = spy_wait;
    rl_platform_install(&spy_table);
}

/* Block until `n` threads wait on the watched channel. */
static void spy_until_waiting(int n) {
    const rl_platform *in = rl_platform_pthreads();
    in->mutex_lock(&spy.mu);
    while (spy.waiting < n)
        in->cond_wait(&spy.changed, &spy.mu);
    in->mutex_unlock(&spy.mu);
}

static void spy_end(void) {
    rl_platform_install(NULL);
    rl_cond_destroy(&spy.changed);
    rl_mutex_destroy(&spy.mu);
}

typedef struct {
    rl_chan *ch;
    int value;
    rl_err result;
    rl_thread thread;
} caller;

static void sender(void *arg) {
    caller *c = arg;
    c->result = rl_chan_send(c->ch, &c->value);
}

static void receiver(void *arg) {
    caller *c = arg;
    c->result = rl_chan_recv(c->ch, &c->value);
}

static void rendezvous_waits_for_the_receiver(void **state) {
    (void)state;
    spy_begin("meet");
    rl_chan *ch;
    assert_err_equal(rl_chan_create(sizeof(int), 0, "meet", &ch), RL_OK);
    caller s = {.ch = ch, .value = 42, .result = RL_EBUSY};
    assert_err_equal(rl_thread_create(&s.thread, "sender", sender, &s), RL_OK);
    spy_until_waiting(1); /* the sender is blocked inside send */
    assert_err_equal(s.result, RL_EBUSY); /* so it has not returned */
    assert_int_equal(rl_chan_len(ch), 1); /* its element is offered */
    int x = 0;
    assert_err_equal(rl_chan_recv(ch, &x), RL_OK);
    assert_int_equal(x, 42);
    rl_thread_join(&s.thread);
    assert_err_equal(s.result, RL_OK);
    rl_chan_destroy(ch);
    spy_end();
}

static void close_wakes_blocked_senders_and_receivers(void **state) {
    (void)state;
    /* receivers blocked on an empty channel */
    spy_begin("empty");
    rl_chan *empty;
    assert_err_equal(rl_chan_create(sizeof(int), 2, "empty", &empty), RL_OK);
    caller r[3];
    for (int i = 0; i < 3; i++) {
        r[i] = (caller){.ch = empty, .result = RL_EBUSY};
        assert_err_equal(rl_thread_create(&r[i].thread, "receiver", receiver, &r[i]), RL_OK);
    }
    spy_until_waiting(3);
    assert_err_equal(rl_chan_close(empty), RL_OK);
    for (int i = 0; i < 3; i++) {
        rl_thread_join(&r[i].thread);
        assert_err_equal(r[i].result, RL_ECLOSED);
    }
    rl_chan_destroy(empty);
    spy_end();

    /* senders blocked on a full buffered channel, and on a rendezvous */
    static const size_t caps[] = {1, 0};
    for (size_t k = 0; k < 2; k++) {
        spy_begin("full");
        rl_chan *full;
        assert_err_equal(rl_chan_create(sizeof(int), caps[k], "full", &full), RL_OK);
        int first = 7;
        if (caps[k] == 1)
            assert_err_equal(rl_chan_send(full, &first), RL_OK);
        caller s[2];
        for (int i = 0; i < 2; i++) {
            s[i] = (caller){.ch = full, .value = 100 + i, .result = RL_EBUSY};
            assert_err_equal(rl_thread_create(&s[i].thread, "sender", sender, &s[i]), RL_OK);
        }
        spy_until_waiting(2);
        assert_err_equal(rl_chan_close(full), RL_OK);
        for (int i = 0; i < 2; i++) {
            rl_thread_join(&s[i].thread);
            assert_err_equal(s[i].result, RL_ECLOSED); /* not delivered */
        }
        int x;
        if (caps[k] == 1) {
            assert_err_equal(rl_chan_recv(full, &x), RL_OK); /* sent before close: kept */
            assert_int_equal(x, 7);
        }
        assert_err_equal(rl_chan_recv(full, &x), RL_ECLOSED); /* the withdrawn ones are gone */
        rl_chan_destroy(full);
        spy_end();
    }
}

/* ---- many producers and consumers ---- */

#define PRODUCERS 4
#define CONSUMERS 4
#define EACH 2000

typedef struct {
    rl_chan *ch;
    int id;
    rl_thread thread;
    int got[PRODUCERS * EACH];
    int n;
    bool in_order;
} party;

static void produce(void *arg) {
    party *p = arg;
    for (int i = 0; i < EACH; i++) {
        int msg = p->id * EACH + i;
        if (rl_chan_send(p->ch, &msg) != RL_OK)
            return;
    }
}

static void consume(void *arg) {
    party *p = arg;
    int last[PRODUCERS];
    for (int i = 0; i < PRODUCERS; i++)
        last[i] = -1;
    p->in_order = true;
    int msg;
    while (rl_chan_recv(p->ch, &msg) == RL_OK) {
        p->got[p->n++] = msg;
        /* each sender's messages arrive in the order it sent them */
        if (msg % EACH <= last[msg / EACH])
            p->in_order = false;
        last[msg / EACH] = msg % EACH;
    }
}

static void many_producers_and_consumers(void **state) {
    (void)state;
    static const size_t caps[] = {0, 1, 16};
    for (size_t k = 0; k < 3; k++) {
        rl_chan *ch;
        assert_err_equal(rl_chan_create(sizeof(int), caps[k], "work", &ch), RL_OK);
        static party prod[PRODUCERS], cons[CONSUMERS];
        for (int i = 0; i < CONSUMERS; i++) {
            cons[i] = (party){.ch = ch, .id = i};
            assert_err_equal(rl_thread_create(&cons[i].thread, "consumer", consume, &cons[i]),
                             RL_OK);
        }
        for (int i = 0; i < PRODUCERS; i++) {
            prod[i] = (party){.ch = ch, .id = i};
            assert_err_equal(rl_thread_create(&prod[i].thread, "producer", produce, &prod[i]),
                             RL_OK);
        }
        for (int i = 0; i < PRODUCERS; i++)
            rl_thread_join(&prod[i].thread);
        assert_err_equal(rl_chan_close(ch), RL_OK);
        static int seen[PRODUCERS * EACH];
        memset(seen, 0, sizeof seen);
        for (int i = 0; i < CONSUMERS; i++) {
            rl_thread_join(&cons[i].thread);
            assert_true(cons[i].in_order);
            for (int j = 0; j < cons[i].n; j++)
                seen[cons[i].got[j]]++;
        }
        for (int m = 0; m < PRODUCERS * EACH; m++)
            if (seen[m] != 1)
                fail_msg("capacity %zu: message %d received %d times", caps[k], m, seen[m]);
        rl_chan_destroy(ch);
    }
}

/* ---- every schedule ---- */

/* Two senders, one receiver taking both: over every interleaving each
 * element arrives exactly once and both sends succeed. */
typedef struct {
    rl_chan *ch;
    int value;
    rl_err result;
} send_arg;

static void send_one(void *arg) {
    send_arg *a = arg;
    a->result = rl_chan_send(a->ch, &a->value);
}

static rl_err two_senders(const rl_target *t, rl_outcome *out) {
    rl_chan *ch;
    rl_err e = rl_chan_create(sizeof(int), (size_t)(uintptr_t)t->ctx, "meet", &ch);
    if (e != RL_OK)
        return e;
    send_arg a[2] = {{ch, 1, RL_EBUSY}, {ch, 2, RL_EBUSY}};
    rl_thread th[2];
    rl_thread_create(&th[0], "s1", send_one, &a[0]);
    rl_thread_create(&th[1], "s2", send_one, &a[1]);
    int x = 0, y = 0;
    rl_err r1 = rl_chan_recv(ch, &x), r2 = rl_chan_recv(ch, &y);
    rl_thread_join(&th[0]);
    rl_thread_join(&th[1]);
    rl_chan_destroy(ch);
    bool ok = r1 == RL_OK && r2 == RL_OK && x + y == 3 && x != y && a[0].result == RL_OK &&
              a[1].result == RL_OK;
    rl_outcome_state(out, "received %d,%d", x, y);
    rl_outcome_verdict(out, ok, "both elements exactly once");
    return RL_OK;
}

/* A send racing a close: either it is delivered and the send says so, or
 * it is not and the send says closed. Never one without the other. */
static void close_it(void *arg) { rl_chan_close(arg); }

static rl_err send_vs_close(const rl_target *t, rl_outcome *out) {
    rl_chan *ch;
    rl_err e = rl_chan_create(sizeof(int), (size_t)(uintptr_t)t->ctx, "meet", &ch);
    if (e != RL_OK)
        return e;
    send_arg a = {ch, 5, RL_EBUSY};
    rl_thread s, c;
    rl_thread_create(&s, "sender", send_one, &a);
    rl_thread_create(&c, "closer", close_it, ch);
    int got = 0, n = 0, x;
    while (rl_chan_recv(ch, &x) == RL_OK) {
        got = x;
        n++;
    }
    rl_thread_join(&s);
    rl_thread_join(&c);
    rl_chan_destroy(ch);
    bool delivered = n == 1 && got == 5;
    bool ok = (a.result == RL_OK && delivered) || (a.result == RL_ECLOSED && n == 0);
    rl_outcome_state(out, "send=%s received=%d", rl_errname(a.result), n);
    rl_outcome_verdict(out, ok, "the send's answer matches what the receiver got");
    return RL_OK;
}

/* A rendezvous send returns only once its element was taken: right after
 * the (only) send returns, nothing is left offered. */
typedef struct {
    rl_chan *ch;
    size_t left_after_send;
} lone_sender;

static void send_then_look(void *arg) {
    lone_sender *l = arg;
    int v = 1;
    if (rl_chan_send(l->ch, &v) == RL_OK)
        l->left_after_send = rl_chan_len(l->ch);
}

static rl_err send_completes_on_take(const rl_target *t, rl_outcome *out) {
    (void)t;
    lone_sender l = {0};
    rl_err e = rl_chan_create(sizeof(int), 0, "meet", &l.ch);
    if (e != RL_OK)
        return e;
    rl_thread s;
    rl_thread_create(&s, "sender", send_then_look, &l);
    int x;
    rl_err r = rl_chan_recv(l.ch, &x);
    rl_thread_join(&s);
    rl_chan_destroy(l.ch);
    rl_outcome_state(out, "left=%zu", l.left_after_send);
    rl_outcome_verdict(out, r == RL_OK && l.left_after_send == 0,
                       "the send returned with %zu element(s) still offered", l.left_after_send);
    return RL_OK;
}

/* close wakes a receiver blocked on an empty channel: if it did not, the
 * explorer would find every thread stuck, a deadlock. */
static void recv_one(void *arg) {
    int x;
    *(rl_err *)((void **)arg)[1] = rl_chan_recv(((void **)arg)[0], &x);
}

static rl_err close_wakes_receiver(const rl_target *t, rl_outcome *out) {
    rl_chan *ch;
    rl_err e = rl_chan_create(sizeof(int), (size_t)(uintptr_t)t->ctx, "empty", &ch);
    if (e != RL_OK)
        return e;
    rl_err got = RL_EBUSY;
    void *arg[2] = {ch, &got};
    rl_thread r, c;
    rl_thread_create(&r, "receiver", recv_one, arg);
    rl_thread_create(&c, "closer", close_it, ch);
    rl_thread_join(&r);
    rl_thread_join(&c);
    rl_chan_destroy(ch);
    rl_outcome_state(out, "recv=%s", rl_errname(got));
    rl_outcome_verdict(out, got == RL_ECLOSED, "the receiver got %s", rl_errname(got));
    return RL_OK;
}

static void every_schedule(void **state) {
    (void)state;
    struct {
        const char *name;
        rl_err (*run)(const rl_target *, rl_outcome *);
        size_t cap;
        size_t min_states;
    } cases[] = {
        {"two senders, rendezvous", two_senders, 0, 2},
        {"two senders, capacity 1", two_senders, 1, 2},
        {"send vs close, rendezvous", send_vs_close, 0, 2},
        {"send vs close, capacity 1", send_vs_close, 1, 2},
        {"rendezvous send completes on take", send_completes_on_take, 0, 1},
        {"close wakes a receiver, rendezvous", close_wakes_receiver, 0, 1},
        {"close wakes a receiver, capacity 2", close_wakes_receiver, 2, 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        rl_target t = {.run = cases[i].run, .ctx = (void *)(uintptr_t)cases[i].cap};
        snprintf(t.name, sizeof t.name, "%s", cases[i].name);
        rl_explore_opts o = rl_explore_opts_default();
        o.preemptions = 3;
        o.keep_going = true;
        rl_explore_result r;
        char why[256];
        assert_err_equal(rl_explore(&t, &o, &r, why, sizeof why), RL_OK);
        if (r.failed)
            fail_msg("%s: %s (schedule %s, state %s)", cases[i].name, r.first.message,
                     r.first.schedule, r.first.outcome.state);
        assert_true(r.exhaustive);
        /* both outcomes of each race are reached: the search saw the race */
        assert_true(r.nstates >= cases[i].min_states);
        rl_explore_result_free(&r);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        rl_unit_test(buffered_fifo_and_close),
        rl_unit_test(invalid_arguments),
        rl_unit_test(rendezvous_waits_for_the_receiver),
        rl_unit_test(close_wakes_blocked_senders_and_receivers),
        rl_unit_test(many_producers_and_consumers),
        rl_unit_test(every_schedule),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

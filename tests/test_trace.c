/* test_trace.c - timelines: a recorded run and an explorer schedule become
 * the same picture, with every lost update marked and linked. */
#include "racelab/timeline.h"
#include "testing.h"

static size_t count(const char *hay, const char *needle) {
    size_t n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p++)
        n++;
    return n;
}

static char *svg_of(const rl_timeline *t, const char *title) {
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    assert_err_equal(rl_timeline_svg(t, title, f), RL_OK);
    fclose(f);
    return buf;
}

static void recorded_run(void **state) {
    (void)state;
    rl_run_config cfg = rl_run_config_default(rl_strategy_find("racy"));
    cfg.mode = RL_MODE_CONCURRENT;
    cfg.lockstep = true; /* forced: 20 lost updates, every time */
    cfg.opts.delay_ns = 0;
    rl_timeline t;
    rl_run_result r;
    assert_err_equal(rl_timeline_record(&cfg, &t, &r, NULL, 0), RL_OK);
    assert_int_equal(r.lost_updates, 20);
    assert_int_equal(t.n, 50); /* 25 reads, 25 writes */
    assert_false(t.in_steps);
    assert_int_equal(t.dropped, 0);
    size_t lost = 0;
    for (size_t i = 0; i < t.n; i++) {
        const rl_tl_event *e = &t.events[i];
        if (i)
            assert_true(e->t0 >= t.events[i - 1].t0);
        if (!e->lost)
            continue;
        lost++;
        assert_true(e->write);
        assert_true(e->replaced >= 0); /* linked to the write it replaced */
        const rl_tl_event *o = &t.events[e->replaced];
        assert_true(o->write);
        assert_string_equal(o->object, e->object);
        assert_int_equal(o->version_after, e->version_before);
    }
    assert_int_equal(lost, 20);
    char *svg = svg_of(&t, "racy, forced: 20 lost updates");
    assert_contains(svg, "<svg");
    assert_contains(svg, "</svg>");
    /* drawn by the one drawer (src/trace/picture.h): each lost write a
     * failing mark that says so, with an arrow from the write it replaced */
    assert_int_equal(count(svg, "<g class=\"mark failing\""), 20);
    assert_int_equal(count(svg, "<text class=\"why\""), 20); /* the word, or a cross */
    assert_int_equal(count(svg, "lost update: it replaced a value"), 20); /* tooltips */
    assert_int_equal(count(svg, "<g class=\"arrow\">"), 20);
    assert_contains(svg, "Costco");
    free(svg);
    rl_timeline_free(&t);
    rl_run_result_free(&r);
}

static void explorer_schedule(void **state) {
    (void)state;
    rl_scenario_opts so = {.merchants = 2, .customers = 1};
    rl_target target;
    assert_err_equal(rl_target_parse("bill:racy", &so, &target, NULL, 0), RL_OK);
    rl_explore_result r;
    rl_explore_opts o = rl_explore_opts_default();
    assert_err_equal(rl_explore(&target, &o, &r, NULL, 0), RL_OK);
    assert_true(r.failed);
    rl_timeline t;
    assert_err_equal(rl_timeline_from_trace(&r.first, &t), RL_OK);
    assert_true(t.in_steps);
    assert_int_equal(t.n, 4); /* two reads, two writes */
    size_t lost = 0;
    for (size_t i = 0; i < t.n; i++)
        if (t.events[i].lost) {
            lost++;
            assert_true(t.events[i].replaced >= 0);
            assert_string_equal(t.events[t.events[i].replaced].object, "Dave");
            assert_string_not_equal(t.events[t.events[i].replaced].lane, t.events[i].lane);
        }
    assert_int_equal(lost, 1);
    char *svg = svg_of(&t, "bill:racy: lost");
    assert_contains(svg, "step ");
    free(svg);
    rl_timeline_free(&t);
    rl_explore_result_free(&r);

    /* a replay that does not fail still has its trace when asked */
    o.search = RL_SEARCH_REPLAY;
    o.replay = "-";
    o.record = true;
    assert_err_equal(rl_explore(&target, &o, &r, NULL, 0), RL_OK);
    assert_false(r.failed);
    assert_true(r.first.nsteps > 0);
    assert_err_equal(rl_timeline_from_trace(&r.first, &t), RL_OK);
    for (size_t i = 0; i < t.n; i++)
        assert_false(t.events[i].lost);
    rl_timeline_free(&t);
    rl_explore_result_free(&r);
}

static void empty_and_invalid(void **state) {
    (void)state;
    rl_timeline t = {0};
    char *svg = svg_of(&t, NULL);
    assert_contains(svg, "</svg>");
    free(svg);
    assert_err_equal(rl_timeline_svg(NULL, "x", stdout), RL_EINVAL);
    assert_err_equal(rl_timeline_from_trace(NULL, &t), RL_EINVAL);
    rl_run_result r;
    assert_err_equal(rl_timeline_record(NULL, &t, &r, NULL, 0), RL_EINVAL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        rl_unit_test(recorded_run),
        rl_unit_test(explorer_schedule),
        rl_unit_test(empty_and_invalid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

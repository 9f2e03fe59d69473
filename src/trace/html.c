/* html.c - an exploration as one self-contained HTML page: see
 * rl_draw_html in racelab/draw.h.
 *
 * Everything the page shows is plain HTML and inline SVG; the one script
 * only adds the replay command's copy button, so the page reads the same
 * with scripts off. Nothing is fetched: no link, image, font or script
 * source points anywhere. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "picture.h"
#include "racelab/draw.h"

#define STATES_DRAWN 20 /* bars in the chart of each kind, failing and passing */
#define CHART_W 760
#define BAR_X 10
#define BAR_W 520
#define ROW_H 38

/* text escaped for HTML, its lines kept (for <pre>) */
static void esc(FILE *f, const char *s) { pic_lines(f, s); }

static const char style[] =
    "body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#1f1f1f;"
    "background:#fff;margin:0 auto;max-width:1100px;padding:0 20px 40px;line-height:1.45}"
    "h1{font-size:1.5rem;margin:24px 0 8px;word-break:break-all}"
    "h2{font-size:1.15rem;margin:28px 0 8px;border-bottom:1px solid #d0d0d0;padding-bottom:4px}"
    ".verdict{font-size:1.1rem;padding:10px 14px;border-radius:6px;border:2px solid}"
    ".verdict.failed{color:#a8201a;background:#fde7e5;border-color:#a8201a}"
    ".verdict.proved{color:#1b5e20;background:#e8f5e9;border-color:#1b5e20}"
    ".verdict.open{color:#6b4e00;background:#fff4d6;border-color:#6b4e00}"
    ".verdict .word{font-weight:bold;margin-right:.4em}"
    "table.facts{border-collapse:collapse}"
    "table.facts th{text-align:left;padding:3px 16px 3px 0;font-weight:600;vertical-align:top}"
    "table.facts td{padding:3px 0}"
    "table.races td{padding:3px 16px 3px 0;vertical-align:top}"
    ".picture{overflow-x:auto;border:1px solid #d0d0d0;border-radius:6px}"
    "pre{background:#f5f5f5;border:1px solid #d0d0d0;border-radius:6px;padding:10px;"
    "overflow-x:auto;font-size:.85rem}"
    "code.replay{display:inline-block;background:#f5f5f5;border:1px solid #d0d0d0;"
    "border-radius:4px;padding:4px 8px;word-break:break-all}"
    "button{font:inherit;margin-left:8px;padding:3px 12px;border:1px solid #3f5f8a;"
    "border-radius:4px;background:#e8eef7;color:#1f1f1f;cursor:pointer}"
    ".note{color:#4d4d4d}"
    "footer{margin-top:32px;color:#4d4d4d;font-size:.85rem}";

/* The copy button: shown only when scripts run (it is hidden in the
 * markup), it copies the replay command and says so. */
static const char script[] =
    "(function(){var b=document.getElementById('copy'),c=document.getElementById('replay');"
    "if(!b||!c)return;b.hidden=false;b.addEventListener('click',function(){"
    "var t=c.textContent,done=function(){b.textContent='Copied';"
    "setTimeout(function(){b.textContent='Copy';},1500);};"
    "if(navigator.clipboard&&navigator.clipboard.writeText){"
    "navigator.clipboard.writeText(t).then(done,function(){pick();});}else{pick();}"
    "function pick(){var r=document.createRange();r.selectNodeContents(c);"
    "var s=window.getSelection();s.removeAllRanges();s.addRange(r);"
    "try{if(document.execCommand('copy'))done();}catch(e){}}});})();";

static const char *unit_of(const rl_explore_opts *o, unsigned n) {
    return o->search == RL_SEARCH_DELAYS ? (n == 1 ? "delay" : "delays")
                                         : (n == 1 ? "preemption" : "preemptions");
}

/* The verdict, as its class and words. */
static void verdict(FILE *f, const rl_explore_opts *o, const rl_explore_result *r) {
    unsigned bound = o->search == RL_SEARCH_DELAYS ? o->delays : o->preemptions;
    const char *cls = r->failed ? "failed" : r->exhaustive ? "proved" : "open";
    fprintf(f, "<p class=\"verdict %s\" id=\"verdict\" data-verdict=\"%s\">", cls,
            rl_explore_verdict(r));
    if (r->failed) {
        const rl_counterexample *c = r->minimized.schedule ? &r->minimized : &r->first;
        fprintf(f, "<span class=\"word\">&#x2717; FAILURE found:</span>%s: ",
                rl_failure_kind_name(c->kind));
        esc(f, c->message);
    } else if (o->search == RL_SEARCH_REPLAY) {
        fputs("<span class=\"word\">no failure in this schedule</span>", f);
    } else if (r->complete) {
        fputs("<span class=\"word\">&#x2713; proved: complete</span>every schedule of this "
              "case was explored",
              f);
    } else if (r->exhaustive) {
        fprintf(f, "<span class=\"word\">&#x2713; proved within %u %s:</span>no schedule with at "
                   "most %u fails; %" PRIu64 " %s beyond the bound were not taken",
                bound, unit_of(o, bound), bound, r->pruned, unit_of(o, 2));
    } else {
        fputs("<span class=\"word\">no failure found, not exhaustive:</span>", f);
        fputs(o->search == RL_SEARCH_PCT && r->stopped == RL_STOP_NONE
                  ? "random schedules (PCT samples) prove nothing"
                  : "the search stopped before it covered every schedule",
              f);
    }
    fputs("</p>\n", f);
}

static void row(FILE *f, const char *what, const char *value) {
    fprintf(f, "<tr><th scope=\"row\">%s</th><td>", what);
    esc(f, value);
    fputs("</td></tr>\n", f);
}

/* What the verdict covers. */
static void facts(FILE *f, const rl_explore_opts *o, const rl_explore_result *r) {
    char v[256];
    fputs("<h2 id=\"covers\">What was explored</h2>\n<table class=\"facts\">\n", f);
    switch (o->search) {
    case RL_SEARCH_BOUNDED:
        if (o->preemptions == RL_PREEMPTIONS_ALL)
            snprintf(v, sizeof v, "every schedule%s",
                     r->reduced ? ", one per class of orders of independent steps "
                                  "(partial-order reduction)"
                                : " (unreduced)");
        else
            snprintf(v, sizeof v, "bounded: at most %u %s", o->preemptions,
                     unit_of(o, o->preemptions));
        break;
    case RL_SEARCH_DELAYS:
        snprintf(v, sizeof v, "round robin with at most %u %s", o->delays,
                 unit_of(o, o->delays));
        break;
    case RL_SEARCH_PCT:
        snprintf(v, sizeof v, "PCT, depth %u, seed %" PRIu64 ", %" PRIu64 " iterations", o->depth,
                 o->seed, o->iterations);
        break;
    default: snprintf(v, sizeof v, "one schedule replayed"); break;
    }
    row(f, "Search", v);
    snprintf(v, sizeof v, "%" PRIu64 "%s", r->schedules,
             r->redundant ? "" : (r->reduced ? " (one per class)" : ""));
    if (r->redundant) {
        size_t n = strlen(v);
        snprintf(v + n, sizeof v - n, ", and %" PRIu64 " abandoned as equivalent to one explored",
                 r->redundant);
    }
    row(f, "Schedules", v);
    if (r->failing) {
        snprintf(v, sizeof v, "%" PRIu64, r->failing);
        row(f, "Failing schedules", v);
    }
    row(f, "Complete",
        r->complete     ? "yes: every schedule of the target (a proof for this case)"
        : r->exhaustive ? "within the bound only: schedules that need more are not covered"
                        : "no");
    snprintf(v, sizeof v, "%s",
             r->stopped == RL_STOP_SCHEDULES   ? "the schedule limit"
             : r->stopped == RL_STOP_TIME      ? "the time limit"
             : r->stopped == RL_STOP_INTERRUPT ? "Ctrl-C"
             : r->failed && !o->keep_going     ? "the first failure (--all explores on)"
                                               : "nothing: it ran to its end");
    row(f, "Stopped by", v);
    snprintf(v, sizeof v, "%" PRIu64 " steps", r->longest);
    row(f, "Longest schedule", v);
    snprintf(v, sizeof v, "%.3g s", (double)r->elapsed_ns / 1e9);
    row(f, "Time searching", v);
    char covers[1024];
    rl_explore_coverage(r, covers, sizeof covers); /* as the verdict line says it */
    row(f, "Covers", covers);
    fputs("</table>\n", f);
}

/* The reachable final states as bars: failing first, then passing, at
 * most STATES_DRAWN of each kind (those with most schedules), each bar as
 * long as its share of the schedules; a failing bar is hatched and says
 * BROKEN, a passing one is solid and says held. */
static void states(FILE *f, const rl_explore_opts *o, const rl_explore_result *r) {
    fputs("<h2 id=\"states\">Reachable final states</h2>\n", f);
    if (r->failed && !o->keep_going) {
        fputs("<p class=\"note\">The search stopped at its first failure, so the final states "
              "were not all counted: run with <code>--all</code> for every reachable "
              "state.</p>\n",
              f);
        return;
    }
    if (r->nstates == 0) {
        fputs("<p class=\"note\">No schedule ended with a final state.</p>\n", f);
        return;
    }
    uint64_t most = 1, total = 0;
    size_t of_kind[2] = {0, 0}; /* [held] */
    for (size_t i = 0; i < r->nstates; i++) {
        most = r->states[i].schedules > most ? r->states[i].schedules : most;
        total += r->states[i].schedules;
        of_kind[r->states[i].held]++;
    }
    size_t drawn[2] = {of_kind[0] < STATES_DRAWN ? of_kind[0] : STATES_DRAWN,
                       of_kind[1] < STATES_DRAWN ? of_kind[1] : STATES_DRAWN};
    int height = (int)(drawn[0] + drawn[1]) * ROW_H + 8;
    fprintf(f, "<svg class=\"states\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
               "height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\" "
               "aria-label=\"reachable final states\" font-family=\"sans-serif\">\n"
               "<defs><pattern id=\"hatch\" width=\"8\" height=\"8\" "
               "patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\">"
               "<rect width=\"8\" height=\"8\" fill=\"#a8201a\"/>"
               "<rect width=\"3\" height=\"8\" fill=\"#fde7e5\"/></pattern></defs>\n",
            CHART_W, height, CHART_W, height);
    size_t k = 0;
    for (int held = 0; held <= 1; held++)
        for (size_t i = 0, n = 0; i < r->nstates && n < drawn[held]; i++) {
            const rl_state_count *s = &r->states[i]; /* most schedules first */
            if (s->held != (held == 1))
                continue;
            n++;
            int y = (int)k++ * ROW_H + 4;
            double w = (double)BAR_W * (double)s->schedules / (double)most;
            fprintf(f, "<g class=\"state %s\" data-schedules=\"%" PRIu64 "\"><title>",
                    s->held ? "held" : "broken", s->schedules);
            fprintf(f, "%s, %" PRIu64 " schedule%s: ", s->held ? "held" : "BROKEN", s->schedules,
                    s->schedules == 1 ? "" : "s");
            esc(f, s->state);
            fputs("</title>", f);
            fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"12\" fill=\"#1f1f1f\">"
                       "<tspan font-weight=\"bold\" fill=\"%s\">%s</tspan> %" PRIu64 " &#xb7; ",
                    BAR_X, y + 12, s->held ? "#1b5e20" : "#a8201a", s->held ? "held" : "BROKEN",
                    s->schedules);
            pic_text(f, s->state, 96);
            fputs("</text>", f);
            fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"14\" fill=\"%s\" "
                       "stroke=\"%s\"/></g>\n",
                    BAR_X, y + 17, w < 2 ? 2 : w, s->held ? "#2e7d32" : "url(#hatch)",
                    s->held ? "#1b5e20" : "#a8201a");
        }
    fputs("</svg>\n", f);
    fprintf(f, "<p class=\"note\">%zu failing and %zu passing state%s over %" PRIu64
               " schedule%s.",
            of_kind[0], of_kind[1], of_kind[1] == 1 ? "" : "s", total, total == 1 ? "" : "s");
    if (drawn[0] < of_kind[0] || drawn[1] < of_kind[1])
        fprintf(f, " Drawn: the %d of each kind with most schedules; every state is in the "
                   "text report below.",
                STATES_DRAWN);
    fputs("</p>\n", f);
}

/* The failure: its picture, the command that replays it, what it printed. */
static rl_err failure(FILE *f, const char *name, const rl_explore_result *r,
                      const char *replay_cmd) {
    const rl_counterexample *c = r->minimized.schedule ? &r->minimized : &r->first;
    fputs("<h2 id=\"failure\">The failing schedule</h2>\n", f);
    fprintf(f, "<p>%s%s, %u preemption%s, %u choice%s off the default order, %zu trace "
               "lines.</p>\n",
            rl_failure_kind_name(c->kind), c == &r->minimized ? " (minimized)" : "",
            c->preemptions, c->preemptions == 1 ? "" : "s", c->deviations,
            c->deviations == 1 ? "" : "s", c->nsteps);
    if (c->schedule) {
        char cmd[2048], plain[400];
        if (!replay_cmd) { /* as racelab explore NAME replays it */
            snprintf(plain, sizeof plain, "racelab explore %s", name);
            replay_cmd = plain;
        }
        rl_explore_replay_command(replay_cmd, c->schedule, cmd, sizeof cmd);
        fputs("<p>Replay it: <code class=\"replay\" id=\"replay\">", f);
        esc(f, cmd);
        fputs("</code><button type=\"button\" id=\"copy\" hidden>Copy</button></p>\n", f);
    }
    if (c->nsteps) {
        /* the picture, inline: rl_draw_failure_svg's document without its
         * XML declaration */
        char *svg = NULL;
        size_t len = 0;
        FILE *m = open_memstream(&svg, &len);
        if (!m)
            return RL_ENOMEM;
        rl_err e = rl_draw_failure_svg(m, name, r);
        if (fclose(m) != 0 && e == RL_OK)
            e = RL_ENOMEM;
        if (e != RL_OK) {
            free(svg);
            return e;
        }
        const char *body = strstr(svg, "<svg");
        fputs("<div class=\"picture\">\n", f);
        fputs(body ? body : svg, f);
        fputs("</div>\n<p class=\"note\">Each thread a lane, each step a mark (its source line "
              "on hover); the steps that make the failure are outlined and say why, joined by "
              "arrows.</p>\n",
              f);
        free(svg);
    }
    if (c->outcome.state[0]) {
        fputs("<p>Final state: <code>", f);
        esc(f, c->outcome.state);
        fputs("</code></p>\n", f);
    }
    if (c->outcome.story[0]) {
        fprintf(f, "<h3>%s</h3>\n<pre class=\"output\">",
                c->program ? "What the program printed in this schedule"
                           : "What the target said in this schedule");
        esc(f, c->outcome.story);
        fputs("</pre>\n", f);
    }
    return RL_OK;
}

/* --races list: every data race seen, each a failure of no schedule. */
static void races(FILE *f, const rl_explore_result *r) {
    fprintf(f, "<h2 id=\"races\">Data races seen</h2>\n<p>%zu data race%s, listed (not failing "
               "a schedule)%s.</p>\n",
            r->nraces, r->nraces == 1 ? "" : "s",
            r->races_unlisted ? "; a schedule made more than could be listed" : "");
    if (r->nraces == 0)
        return;
    fputs("<table class=\"facts races\">\n<tr><th scope=\"col\">Variable</th>"
          "<th scope=\"col\">One access</th><th scope=\"col\">The other</th>"
          "<th scope=\"col\">Runs</th></tr>\n",
          f);
    for (size_t i = 0; i < r->nraces; i++) {
        fputs("<tr class=\"race\"><td>", f);
        esc(f, r->races[i].variable);
        fputs("</td><td>", f);
        esc(f, r->races[i].first);
        fputs("</td><td>", f);
        esc(f, r->races[i].second);
        fprintf(f, "</td><td>%" PRIu64 "</td></tr>\n", r->races[i].schedules);
    }
    fputs("</table>\n", f);
}

rl_err rl_draw_html(FILE *f, const char *name, const rl_explore_opts *o,
                    const rl_explore_result *r, const char *replay_cmd) {
    if (!f || !name || !o || !r)
        return RL_EINVAL;
    /* the text report first, to embed at the end */
    char *text = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&text, &len);
    if (!m)
        return RL_ENOMEM;
    rl_explore_print(m, name, o, r, replay_cmd, false);
    if (fclose(m) != 0) {
        free(text);
        return RL_ENOMEM;
    }
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
          "<title>racelab explore ",
          f);
    esc(f, name);
    fprintf(f, ": %s</title>\n<style>%s</style>\n</head>\n<body>\n<h1>racelab explore ",
            r->failed                         ? "failure found"
            : o->search == RL_SEARCH_REPLAY   ? "no failure in this schedule"
            : r->complete                     ? "proved, complete"
            : r->exhaustive                   ? "proved within the bound"
                                              : "no failure found, not exhaustive",
            style);
    esc(f, name);
    fputs("</h1>\n", f);
    verdict(f, o, r);
    facts(f, o, r);
    rl_err e = RL_OK;
    if (r->failed)
        e = failure(f, name, r, replay_cmd);
    if (e == RL_OK) {
        states(f, o, r);
        if (r->races_listed)
            races(f, r);
        fputs("<h2 id=\"text\">The text report</h2>\n<pre class=\"report\">", f);
        esc(f, text);
        fprintf(f, "</pre>\n<footer>Written by racelab: one file, nothing "
                   "fetched; it reads the same with scripts off.</footer>\n"
                   "<script>%s</script>\n</body>\n</html>\n",
                script);
    }
    free(text);
    if (e != RL_OK)
        return e;
    return ferror(f) ? RL_ESYS : RL_OK;
}

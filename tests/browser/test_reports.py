#!/usr/bin/env python3
"""test_reports.py - racelab's pictures and web pages, checked in a real
browser (Debian's headless Chromium, driven by browser.py).

For a deadlock, a lost update, a failing assertion and a data race in
programs, and a proof, one `racelab explore --json --svg --html` run gives
the result, its picture and its page. Then:

  - the page racelab draw makes from the --json is byte for byte the one
    explore --html made, and the same again when drawn twice;
  - rendered, the picture and the page's picture have a lane for every
    thread of the JSON's trace, and the marks drawn as failing are the
    trace lines the JSON marks (or the run's end, when it marks none);
  - the page's verdict is the JSON's, its replay command replays the
    JSON's schedule and its copy button copies exactly that; its chart has
    one bar per final state of the JSON, failing ones told apart by word;
  - with scripts off the page still shows all of it, the copy button aside;
  - no console error is logged and nothing but the file itself is fetched;
  - every text drawn has at least 4.5:1 contrast with what it is drawn on
    (WCAG AA).

Then benchmark tables as charts (racelab draw TABLE.csv --html): a real
`bench makespan --csv` and two tables in bench's formats (one with a row
that ended wrong, one of measures in several units): a chart for each of
the table's measures (one per unit), a bar for each row, hatched and saying
WRONG exactly where the table says correct=0, the whole table below; no
console error, nothing fetched, no script, the same contrast.

A screenshot of each page (its picture in it) is written to OUTDIR and
named in the log.

Usage: test_reports.py PATH/TO/racelab PROGRAMS_DIR OUTDIR
Exit 0 passed, 1 failed, 77 no Chromium (skipped).
"""
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import browser  # noqa: E402

RL, PROGRAMS, OUTDIR = sys.argv[1], sys.argv[2], sys.argv[3]
FAILING_MARKS = ("lost_update", "data_race", "stuck", "error")

# name, explore's arguments before the program (if any), the program
CASES = [
    ("deadlock", ["deadlock:opposite-order"], None),
    ("lost-update", ["bill:racy"], None),
    ("assertion", [], [os.path.join(PROGRAMS, "billing")]),
    ("data-race", [], [os.path.join(PROGRAMS, "counter_race_mem")]),
    ("proof", ["bill:mutex", "--all"], None),
    ("races-listed", ["--preemptions", "1", "--all", "--races", "list"],
     [os.path.join(PROGRAMS, "seqlock_mem"), "plain"]),
]

# In the page: every text node's colour against the colour it is drawn on,
# as WCAG 2 contrast ratios; the lowest, with what it was.
CONTRAST_JS = r"""
(() => {
  const rgb = s => { const m = s.match(/rgba?\(([^)]+)\)/); if (!m) return null;
    const v = m[1].split(',').map(x => parseFloat(x)); return v.length > 3 && v[3] === 0 ? null : v; };
  const hex = s => { if (!s || s[0] !== '#') return null; const h = s.length === 4 ?
    s.slice(1).split('').map(c => c + c) : [s.slice(1, 3), s.slice(3, 5), s.slice(5, 7)];
    return h.map(x => parseInt(x, 16)); };
  const colour = s => rgb(s) || hex(s);
  const lum = c => { const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]); };
  const ratio = (a, b) => { const x = lum(a), y = lum(b); return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05); };
  const results = [];
  // SVG text: on its mark's box when inside it, else on the lane (either shade)
  for (const t of document.querySelectorAll('svg text')) {
    if (!t.textContent.trim()) continue;
    const fg = colour(getComputedStyle(t).fill);
    const backs = [];
    const g = t.closest('g.mark');
    const box = g && g.querySelector('rect');
    const tb = t.getBBox();
    if (box) { const b = box.getBBox();
      if (tb.y >= b.y && tb.y + tb.height <= b.y + b.height + 1) backs.push(box.getAttribute('fill')); }
    if (!backs.length) backs.push('#ffffff', '#f7f7f7');
    for (const b of backs) results.push([ratio(fg, colour(b)), 'svg "' + t.textContent.slice(0, 30) + '" on ' + b]);
  }
  // HTML text: on the nearest background that is painted
  const walker = document.body && document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker && walker.nextNode(); n; n = walker.nextNode()) {
    const e = n.parentElement;
    if (!n.textContent.trim() || e.closest('svg') || e.closest('script,style') || !e.offsetParent && e !== document.body) continue;
    const fg = colour(getComputedStyle(e).color);
    let bg = null;
    for (let a = e; a && !bg; a = a.parentElement) bg = rgb(getComputedStyle(a).backgroundColor);
    results.push([ratio(fg, bg || [255, 255, 255]), 'html "' + n.textContent.trim().slice(0, 30) + '"']);
  }
  results.sort((a, b) => a[0] - b[0]);
  return results.length ? results[0] : [99, 'no text'];
})()
"""

PICTURE_JS = r"""
(() => ({
  lanes: [...document.querySelectorAll('g.lane')].map(g => g.getAttribute('data-thread')),
  failing: [...document.querySelectorAll('g.mark.failing')].filter(g => g.hasAttribute('data-line'))
             .map(g => +g.getAttribute('data-line')),
  ends: document.querySelectorAll('g.mark.failing.end').length,
  words: [...document.querySelectorAll('g.mark.failing text.why')].map(t => t.textContent),
}))()
"""

PAGE_JS = r"""
(() => {
  const v = document.getElementById('verdict'), r = document.getElementById('replay'),
        b = document.getElementById('copy');
  return {
    verdict: v && v.getAttribute('data-verdict'), verdictText: v && v.textContent,
    replay: r && r.textContent,
    copyShown: !!b && !b.hidden && b.offsetParent !== null,
    states: [...document.querySelectorAll('g.state')].map(g =>
      [g.classList.contains('held'), +g.getAttribute('data-schedules'), g.textContent]),
    covers: !!document.getElementById('covers'), text: !!document.querySelector('pre.report'),
    races: document.querySelectorAll('tr.race').length,
  };
})()
"""

# tables in bench's formats, one with a row that ended wrong
THROUGHPUT_CSV = """name,threads,reference,promises,correct,complete,bills,elapsed_ns,per_second,\
x_plain,x_serial,x_pgbench,wrong_accounts,lost_updates,refused,accounts,skew,bank
plain,2,1,0,0,1,43200512,200283888,215696392,1.0000,0.4655,nan,322,0,0,1000000,uniform,memory
racy,2,0,0,0,1,2772992,200494646,13830753,0.0641,0.0298,nan,2,2,0,1000000,uniform,memory
mutex,2,0,1,1,1,1069056,200782509,5324448,0.0247,0.0115,nan,0,0,0,1000000,uniform,memory
"""
MEASURES_CSV = """measure,value,unit
racy_2x2_schedules_per_second,202366,1/s
racy_5x5_first_failure_median,2743418,ns
mutex_3x3_reduced_schedules,5184,1
mutex_3x3_unreduced_schedules,1000000,lower bound
"""

CHARTS_JS = r"""
(() => [...document.querySelectorAll('svg.chart')].map(c => ({
  column: c.getAttribute('data-column'),
  bars: [...c.querySelectorAll('g.bar')].map(g => [+g.getAttribute('data-row'),
          g.classList.contains('wrong'), g.textContent.includes('WRONG')]),
})).concat([{rows: document.querySelectorAll('table tr').length - 1,
             scripts: document.querySelectorAll('script').length}]))()
"""

failures = 0


def fail(msg):
    global failures
    failures += 1
    print("FAIL: " + msg, flush=True)


def explore(args, program, out):
    cmd = [RL, "explore"] + args + ["--json", "--html", out["html"]]
    if "--all" not in args:
        cmd += ["--svg", out["svg"]]
    if program:
        cmd += ["--"] + program
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


def check_page_clean(what, page):
    if page.console_errors:
        fail("%s: console errors: %s" % (what, page.console_errors))
    if page.external_requests():
        fail("%s: fetched %s" % (what, page.external_requests()))
    low, where = page.eval(CONTRAST_JS)
    if low < 4.5:
        fail("%s: contrast %.2f:1 for %s (WCAG AA needs 4.5:1)" % (what, low, where))


def check_picture(what, page, doc):
    if not doc["failed"]:
        return
    trace = doc.get("minimized", doc["failure"])["trace"]
    got = page.eval(PICTURE_JS)
    threads = sorted({str(s["thread"]) for s in trace})
    if sorted(got["lanes"]) != threads:
        fail("%s: lanes %s, the JSON's threads %s" % (what, sorted(got["lanes"]), threads))
    marked = [i + 1 for i, s in enumerate(trace) if any(s.get(m) for m in FAILING_MARKS)]
    if sorted(got["failing"]) != marked:
        fail("%s: failing marks on lines %s, the JSON marks %s" % (what, got["failing"], marked))
    if bool(got["ends"]) == bool(marked):
        fail("%s: %d end marks with lines %s marked" % (what, got["ends"], marked))
    if len(got["words"]) != len(marked) + got["ends"] or not all(got["words"]):
        fail("%s: failing marks without their word: %s" % (what, got["words"]))


def check_page(what, page, doc, scripts):
    got = page.eval(PAGE_JS)
    if got["verdict"] != doc["verdict"]:
        fail("%s: the page's verdict %s, the JSON's %s" % (what, got["verdict"], doc["verdict"]))
    if not got["covers"] or not got["text"]:
        fail("%s: what was explored or the text report is missing" % what)
    if doc["failed"]:
        schedule = doc.get("minimized", doc["failure"])["schedule"]
        if not got["replay"] or "--replay " + schedule not in got["replay"]:
            fail("%s: replay command %r, not of schedule %s" % (what, got["replay"], schedule))
        if got["copyShown"] != scripts:
            fail("%s: copy button %s with scripts %s" % (
                what, "shown" if got["copyShown"] else "hidden", "on" if scripts else "off"))
        if scripts:  # the button copies the command, exactly
            # a page copies only while it has the focus: a headless one has
            # it only when emulated (else the copy may be refused, by timing)
            page.send("Emulation.setFocusEmulationEnabled", {"enabled": True})
            page.eval("document.getElementById('copy').click()")
            # the copy is written when its promise settles: the clipboard
            # is read until it holds the command (up to 5 s), then compared
            copied = page.eval("new Promise(done => { let n = 0; const want = "
                               "document.getElementById('replay').textContent; const look = () "
                               "=> navigator.clipboard.readText().then(t => t === want || "
                               "++n > 250 ? done(t) : setTimeout(look, 20)); look(); })")
            if copied != got["replay"]:
                fail("%s: the copy button copied %r, not %r" % (what, copied, got["replay"]))
    if len(doc.get("data_races", [])) != got["races"]:
        fail("%s: %d data races in the page's table, %d in the JSON" % (
            what, got["races"], len(doc.get("data_races", []))))
    states = doc.get("final_states", [])
    if doc["failed"] and not doc["keep_going"]:
        if got["states"]:
            fail("%s: a chart of states a search stopped at its first failure" % what)
    else:
        want = sorted((s["held"], s["schedules"]) for s in states)
        have = sorted((h, n) for h, n, _ in got["states"])
        if want != have:
            fail("%s: chart bars %s, the JSON's states %s" % (what, have, want))
        for held, _, text in got["states"]:
            if ("held" if held else "BROKEN") not in text:
                fail("%s: a bar that does not say held or BROKEN: %r" % (what, text))


def check_tables(b, tmp):
    """Benchmark tables drawn as charts, checked against their CSV."""
    real = subprocess.run([RL, "bench", "makespan", "--delay", "1ms", "--merchants", "2",
                           "--customers", "2", "--csv"], capture_output=True, text=True,
                          timeout=60)
    if real.returncode not in (0, 1) or not real.stdout.startswith("strategy,"):
        fail("bench makespan --csv exits %d: %s" % (real.returncode, real.stderr.strip()))
        return
    # name, the table, the charts it must have (a unit table: one per unit)
    for name, text, charts in (("makespan", real.stdout, ["wall_ns", "x_own_bound"]),
                               ("throughput", THROUGHPUT_CSV, ["per_second", "x_plain"]),
                               ("measures", MEASURES_CSV, ["value"] * 4)):
        csv_path, html = os.path.join(tmp, name + ".csv"), os.path.join(tmp, name + "-t.html")
        with open(csv_path, "w") as f:
            f.write(text)
        d = subprocess.run([RL, "draw", csv_path, "--html", html], capture_output=True,
                           text=True)
        if d.returncode != 0:
            fail("%s table: draw --html exits %d: %s" % (name, d.returncode, d.stderr.strip()))
            continue
        lines = [l.split(",") for l in text.strip().split("\n")]
        head, rows = lines[0], lines[1:]
        wrong = [r[head.index("correct")] == "0" if "correct" in head else False for r in rows]
        page = tab(b, html, True)
        check_page_clean(name + " table", page)
        got = page.eval(CHARTS_JS)
        tail = got.pop()
        if [c["column"] for c in got] != charts:
            fail("%s table: charts of %s, wanted %s" % (name, [c["column"] for c in got],
                                                        charts))
        bars = [bar for c in got for bar in c["bars"]]
        per_chart = len(rows) if name != "measures" else 1
        if any(len(c["bars"]) != per_chart for c in got):
            fail("%s table: bars per chart %s, rows %d" % (
                name, [len(c["bars"]) for c in got], len(rows)))
        for row, hatched, says in bars:
            if hatched != wrong[row - 1] or says != wrong[row - 1]:
                fail("%s table: row %d drawn %s, its correct column says %s" % (
                    name, row, "wrong" if hatched else "right",
                    "wrong" if wrong[row - 1] else "right"))
        if tail["rows"] != len(rows) or tail["scripts"]:
            fail("%s table: %d table rows for %d, %d scripts" % (
                name, tail["rows"], len(rows), tail["scripts"]))
        shot = os.path.join(OUTDIR, name + "-table.png")
        page.screenshot(shot)
        print("ok: %s table: %d charts, %d bars (%d wrong); screenshot %s" % (
            name, len(got), len(bars), sum(h for _, h, _ in bars), shot), flush=True)


_tab = []


def tab(b, path, scripts):
    """path in the one tab, opened on first use."""
    if not _tab:
        _tab.append(b.open(path, javascript=scripts))
        return _tab[0]
    return _tab[0].goto(path, javascript=scripts)


def main():
    if not browser.find_chromium():
        print("SKIP: no Chromium (make test installs Debian's chromium)")
        return 77
    os.makedirs(OUTDIR, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp, browser.Browser() as b:
        b.send("Browser.grantPermissions",
               {"permissions": ["clipboardReadWrite", "clipboardSanitizedWrite"]})
        print("%s started in %.2f s" % (b.version.get("product", "chromium"), b.start_seconds))
        for name, args, program in CASES:
            out = {k: os.path.join(tmp, "%s.%s" % (name, k)) for k in ("svg", "html", "json")}
            p = explore(args, program, out)
            doc = json.loads(p.stdout) if p.stdout.startswith("{") else None
            if p.returncode != (0 if name in ("proof", "races-listed") else 1) or doc is None:
                fail("%s: explore exits %d: %s" % (name, p.returncode, p.stderr.strip()))
                continue
            with open(out["json"], "w") as f:
                f.write(p.stdout)
            made = open(out["html"], "rb").read()
            again = []
            for k in (1, 2):
                redrawn = os.path.join(tmp, "%s-%d.html" % (name, k))
                d = subprocess.run([RL, "draw", out["json"], "--html", redrawn],
                                   capture_output=True, text=True)
                if d.returncode != 0:
                    fail("%s: draw --html exits %d: %s" % (name, d.returncode, d.stderr.strip()))
                again.append(open(redrawn, "rb").read() if os.path.exists(redrawn) else b"")
            if again[0] != made:
                fail("%s: racelab draw's page is not explore --html's" % name)
            if again[1] != again[0]:
                fail("%s: drawn twice, two different pages" % name)
            # one tab for every file (a new tab costs a renderer's start)
            if doc["failed"]:
                page = tab(b, out["svg"], True)
                check_page_clean(name + " picture", page)
                check_picture(name + " picture", page, doc)
            # scripts off: for one failure and the proof (the page is the
            # same static markup for every result)
            for scripts in (True, False) if name in ("deadlock", "proof") else (True,):
                what = "%s page, scripts %s" % (name, "on" if scripts else "off")
                page = tab(b, out["html"], scripts)
                check_page_clean(what, page)
                check_picture(what, page, doc)
                check_page(what, page, doc, scripts)
                if scripts:
                    shown = os.path.join(OUTDIR, name + ".png")
                    page.screenshot(shown)
            print("ok: %s (%s): screenshot %s" % (name, doc["verdict"], shown), flush=True)
        check_tables(b, tmp)
    if failures:
        print("%d browser check(s) failed" % failures)
        return 1
    print("all browser checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())

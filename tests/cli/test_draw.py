#!/usr/bin/env python3
"""test_draw.py - a failure as a picture: racelab explore --svg and
racelab draw FILE.json --svg.

For a deadlock, a lost update, a data race in a program and a failing
assertion in a program: the picture racelab draw makes from the --json is
byte for byte the one explore --svg made, and the same again when drawn
twice; it has one lane per thread of the trace; every mark has its
tooltip; the marks drawn as failing are exactly the trace lines the JSON
marks (or, where none is, the run's end), each with its word; and the
arrows join what makes the failure. A proof has nothing to draw, said.

Usage: test_draw.py PATH/TO/racelab PROGRAMS_DIR
"""
import json
import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

RL, PROGRAMS = sys.argv[1], sys.argv[2]
SVG = "{http://www.w3.org/2000/svg}"
FAILING_MARKS = ("lost_update", "data_race", "stuck", "error")

# what, explore's arguments, the arrow label the failure needs (and how many)
CASES = [
    ("a deadlock", ["deadlock:opposite-order"], "waits for"),
    ("a lost update", ["bill:racy"], "overwritten"),
    ("a lost update, long runs folded", ["bill:racy", "--merchants", "3", "--customers", "3"],
     "overwritten"),
    ("a data race in a program", ["--", os.path.join(PROGRAMS, "counter_race_mem")],
     "races with"),
    ("a failing assertion in a program", ["--", os.path.join(PROGRAMS, "billing")], None),
]

failures = 0


def fail(msg):
    global failures
    failures += 1
    print("FAIL: " + msg)


def explore(args, extra):
    before = [a for a in args if a != "--"] if "--" not in args else args[:args.index("--")]
    after = args[args.index("--"):] if "--" in args else []
    return subprocess.run([RL, "explore"] + before + extra + after, capture_output=True,
                          text=True, timeout=120)


with tempfile.TemporaryDirectory() as tmp:
    for what, args, arrow in CASES:
        saved, drawn = os.path.join(tmp, "r.json"), os.path.join(tmp, "explore.svg")
        p = explore(args, ["--json"])
        if p.returncode != 1:
            fail("%s: explore exits %d: %s" % (what, p.returncode, p.stderr.strip()))
            continue
        with open(saved, "w") as f:
            f.write(p.stdout)
        doc = json.loads(p.stdout)
        trace = doc.get("minimized", doc["failure"])["trace"]
        p = explore(args, ["--svg", drawn])
        if p.returncode != 1:
            fail("%s: explore --svg exits %d: %s" % (what, p.returncode, p.stderr.strip()))
            continue
        again = []
        for k in (1, 2):
            out = os.path.join(tmp, "draw%d.svg" % k)
            d = subprocess.run([RL, "draw", saved, "--svg", out], capture_output=True, text=True)
            if d.returncode != 0:
                fail("%s: draw exits %d: %s" % (what, d.returncode, d.stderr.strip()))
            again.append(open(out, "rb").read() if os.path.exists(out) else b"")
        picture = open(drawn, "rb").read()
        if again[0] != picture:
            fail("%s: racelab draw's picture is not explore --svg's" % what)
        if again[1] != again[0]:
            fail("%s: drawn twice, two different pictures" % what)
        root = ET.fromstring(picture)
        lanes = {g.get("data-thread") for g in root.iter(SVG + "g") if g.get("class") == "lane"}
        threads = {str(s["thread"]) for s in trace}
        if lanes != threads:
            fail("%s: lanes %s, the trace's threads %s" % (what, sorted(lanes), sorted(threads)))
        marks = [g for g in root.iter(SVG + "g") if "mark" in (g.get("class") or "").split()]
        if any(g.find(SVG + "title") is None or not g.find(SVG + "title").text for g in marks):
            fail("%s: a mark without its tooltip" % what)
        drawn_failing = sorted(int(g.get("data-line")) for g in marks
                               if "failing" in g.get("class").split() and g.get("data-line"))
        marked = [i + 1 for i, s in enumerate(trace) if any(s.get(m) for m in FAILING_MARKS)]
        if drawn_failing != marked:
            fail("%s: failing marks on lines %s, the JSON marks lines %s" % (
                what, drawn_failing, marked))
        # every line of the trace is in one mark: its own, or a folded run of
        # one thread's lines with nothing to show, which says how many
        covered = []
        for g in marks:
            if not g.get("data-line"):
                continue
            first = int(g.get("data-line"))
            n = 1
            if "folded" in g.get("class").split():
                label = [t.text for t in g.iter(SVG + "text") if t.text and "lines" in t.text]
                n = int(label[0].split()[0]) if label else 0
                run = trace[first - 1:first - 1 + n]
                if n < 7 or len({s["thread"] for s in run}) != 1 or \
                        any(s.get(m) for s in run for m in FAILING_MARKS + ("preempts",)):
                    fail("%s: a folded mark of %d lines that should not be folded" % (what, n))
            covered += range(first, first + n)
        if covered != list(range(1, len(trace) + 1)):
            fail("%s: the marks cover lines %s, not each of the %d once" % (
                what, covered, len(trace)))
        folded = sum("folded" in g.get("class").split() for g in marks)
        ends = [g for g in marks if "end" in g.get("class").split()]
        if bool(ends) == bool(marked):
            fail("%s: %d end marks with %d marked lines" % (what, len(ends), len(marked)))
        words = [t.text for g in marks if "failing" in g.get("class").split()
                 for t in g.iter(SVG + "text") if t.get("class") == "why"]
        if len(words) != len(marked) + len(ends) or not all(words):
            fail("%s: failing marks without their word: %s" % (what, words))
        labels = [t.text for g in root.iter(SVG + "g") if g.get("class") == "arrow"
                  for t in g.iter(SVG + "text")]
        if arrow and arrow not in labels:
            fail("%s: no '%s' arrow (arrows: %s)" % (what, arrow, labels))
        if arrow == "waits for" and labels.count(arrow) != len(marked):
            fail("%s: %d stuck threads, %d 'waits for' arrows" % (
                what, len(marked), labels.count(arrow)))
        print("ok: %s: %d lanes, %d marks (%d folded), failing lines %s, arrows %s" % (
            what, len(lanes), len(marks), folded, marked or "(the end)", labels))

    # a proof has nothing to draw: said, and no file made
    proof = os.path.join(tmp, "proof.json")
    with open(proof, "w") as f:
        subprocess.run([RL, "explore", "bill:mutex", "--json"], stdout=f, check=False)
    d = subprocess.run([RL, "draw", proof, "--svg", os.path.join(tmp, "p.svg")],
                       capture_output=True, text=True)
    if d.returncode != 1 or "holds no failure" not in d.stderr or \
            os.path.exists(os.path.join(tmp, "p.svg")):
        fail("draw of a proof: exit %d: %s" % (d.returncode, d.stderr.strip()))
    p = subprocess.run([RL, "explore", "bill:mutex", "--svg", os.path.join(tmp, "q.svg")],
                       capture_output=True, text=True)
    if p.returncode != 0 or "nothing drawn" not in p.stderr or \
            os.path.exists(os.path.join(tmp, "q.svg")):
        fail("explore --svg of a proof: exit %d: %s" % (p.returncode, p.stderr.strip()))
    for args, status, says in ((["draw", proof], 2, "racelab draw FILE.json [--svg OUT] [--html OUT]"),
                               (["draw", os.path.join(tmp, "none.json"), "--svg", "-"], 3,
                                "cannot read"),
                               (["draw", proof, "--svg", "-", "--bogus"], 2, "unknown option")):
        d = subprocess.run([RL] + args, capture_output=True, text=True)
        if d.returncode != status or says not in d.stderr:
            fail("racelab %s: exit %d (%s), wanted %d" % (" ".join(args), d.returncode,
                                                         d.stderr.strip(), status))
    # a benchmark's table draws as charts (checked in tests/browser); what is
    # neither a result nor a table is refused, and no page is left
    ragged = os.path.join(tmp, "ragged.csv")
    with open(ragged, "w") as f:
        f.write("strategy,wall_ns\nmutex,12\nracy\n")
    table = os.path.join(tmp, "table.csv")
    with open(table, "w") as f:
        f.write("strategy,wall_ns\nmutex,12\nracy,7\n")
    page = os.path.join(tmp, "t.html")
    for args, status, says in ((["draw", ragged, "--html", page], 2, "line 3 has 1 fields"),
                               (["draw", table, "--svg", page], 2, "a table, not a result"),
                               (["draw", table, "--html", page], 0, "")):
        d = subprocess.run([RL] + args, capture_output=True, text=True)
        left = os.path.exists(page)
        if d.returncode != status or says not in d.stderr or left != (status == 0):
            fail("racelab %s: exit %d (%s), a page %s; wanted %d" % (
                " ".join(args), d.returncode, d.stderr.strip(), "left" if left else "not left",
                status))
    # a file already there is left as it was by what cannot be drawn
    with open(page, "w") as f:
        f.write("keep me")
    d = subprocess.run([RL, "draw", ragged, "--html", page], capture_output=True, text=True)
    kept = open(page).read() if os.path.exists(page) else None
    if d.returncode != 2 or kept != "keep me":
        fail("racelab draw ragged.csv --html onto a file: exit %d, the file now %r" % (
            d.returncode, kept and kept[:40]))
    print("ok: proofs and bad input")

if failures:
    print("%d drawing check(s) failed" % failures)
    sys.exit(1)
print("all drawing checks passed")

#!/usr/bin/env python3
"""test_docs.py - the commands of the README and the guides, run as written.

The commands are read from the Markdown itself, so the text and the test
cannot drift apart. The convention (docs/testing.md says it for writers):

  * A fenced block whose lines start with "$ " is a session: each "$ " line
    is a command ("> " lines continue it, as the shell's second prompt
    does); the lines after it, up to the next "$ ", are what it prints.
  * A fenced block tagged sh is a script: each line is a command (a line
    ending in a backslash continues on the next); nothing is printed.
  * Any other block (text, c, sql, an output listing) is never run.
  * An HTML comment on the line before a block's fence changes that:
      <!-- skip: REASON -->           not run (a server, an install, a long
                                       benchmark, a package manager...)
      <!-- output varies: REASON -->  run and exit statuses checked, the
                                       output shown not compared (a real race)
      <!-- install test -->           run by tests/install/test_install.sh
                                       only, not here
    A skip or an output-varies comment must give its reason.

Each command must exit 0, or N when its line says so in a comment ("# exits
N" or "# exit N"). Each output line shown must be a line of what the command
printed (stdout and stderr together; the order is not checked), with runs of
spaces counted as one, "..." standing for any text, and durations ("338 us",
"1.2 s") and rates ("182 schedules/s") for any duration and rate: they are
the only figures that change from run to run.

Every file's commands run in one bash, in order (so a variable or a file
one command makes is there for the next), in a fresh directory that holds a
copy of examples/, the source's docs, scripts, tests and bench (linked), and
build/plain (linked to the build under test); the built racelab comes first
on PATH; HOME is a directory of the test's own.

Usage: test_docs.py [--marker MARK] [--prelude FILE] SOURCE_DIR RACELAB|- FILE...
  FILE            Markdown files, relative to SOURCE_DIR (default README.md
                  and docs/*.md)
  --marker MARK   run only the blocks whose comment is <!-- MARK --> (the
                  install test: --marker "install test")
  --prelude FILE  a bash file sourced before the first command
  RACELAB         the racelab to put first on PATH, or - for none
Exit status 0 when every command did what the Markdown says, 1 otherwise.
"""
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile

MARKER = re.compile(r"^\s*<!--\s*(skip|output varies|install test)\s*(?::\s*(.*?))?\s*-->\s*$")
FENCE = re.compile(r"^(\s*)```\s*([A-Za-z0-9_+-]*)")
EXPECT_STATUS = re.compile(r"#.*\bexits? (\d+)\b")
DURATION = re.compile(r"\d+(?:\.\d+)? (?:ns|us|µs|ms|s)\b")
RATE = re.compile(r"\d+ schedules/s")
ANSI = re.compile(r"\x1b\[[0-9;]*m")
FILE_TIMEOUT = 120  # seconds for one file's commands, all together


class Command:
    def __init__(self, path, line, text, kind):
        self.path, self.line, self.text = path, line, text
        self.output = []  # the lines the Markdown shows it printing
        self.check_output = True
        m = EXPECT_STATUS.search(text.splitlines()[-1])
        self.status = int(m.group(1)) if m else 0
        self.kind = kind
        self.seconds = 0.0


def parse(path, rel):
    """The runnable blocks of one Markdown file: (marker, reason, [Command])."""
    blocks = []
    lines = open(path, encoding="utf-8").read().split("\n")
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        indent, info = len(m.group(1)), m.group(2)
        start = i
        body = []
        i += 1
        while i < len(lines) and not re.match(r"^\s*```\s*$", lines[i]):
            body.append(lines[i][indent:] if lines[i][:indent].strip() == "" else lines[i])
            i += 1
        i += 1  # the closing fence
        prev = start - 1
        while prev >= 0 and lines[prev].strip() == "":
            prev -= 1
        marker, reason = None, None
        mm = MARKER.match(lines[prev]) if prev >= 0 else None
        if mm:
            marker, reason = mm.group(1), mm.group(2)
            if marker in ("skip", "output varies") and not reason:
                sys.exit(f"{rel}:{prev + 1}: '<!-- {marker}: REASON -->' needs its reason")
        commands = []
        if any(b.startswith("$ ") for b in body):
            cur = None
            for n, b in enumerate(body):
                lineno = start + 2 + n
                if b.startswith("$ "):
                    cur = Command(rel, lineno, b[2:], "session")
                    commands.append(cur)
                elif b.startswith("> ") and cur is not None and not cur.output:
                    cur.text += "\n" + b[2:]
                    m2 = EXPECT_STATUS.search(b)
                    if m2:
                        cur.status = int(m2.group(1))
                elif cur is not None:
                    cur.output.append(b)
        elif info in ("sh", "bash", "shell"):
            pending = None
            for n, b in enumerate(body):
                lineno = start + 2 + n
                if pending is not None:
                    pending.text += "\n" + b
                elif b.strip() and not b.strip().startswith("#"):
                    pending = Command(rel, lineno, b, "script")
                    commands.append(pending)
                if pending is not None and not b.rstrip().endswith("\\"):
                    m2 = EXPECT_STATUS.search(pending.text.splitlines()[-1])
                    pending.status = int(m2.group(1)) if m2 else 0
                    pending = None
        if commands:
            if marker == "output varies":
                for c in commands:
                    c.check_output = False
            blocks.append((marker, reason, commands))
    return blocks


def pattern(shown):
    """The regular expression a line of output shown in the Markdown stands for."""
    text = " ".join(shown.split())
    parts = []
    for piece in text.split("..."):
        out, pos = [], 0
        for m in sorted(list(DURATION.finditer(piece)) + list(RATE.finditer(piece)),
                        key=lambda m: m.start()):
            if m.start() < pos:
                continue
            out.append(re.escape(piece[pos:m.start()]))
            out.append(r"[0-9.]+ schedules/s" if m.group().endswith("schedules/s")
                       else r"[0-9.]+ (?:ns|us|µs|ms|s)")
            pos = m.end()
        out.append(re.escape(piece[pos:]))
        parts.append("".join(out))
    return re.compile(".*".join(parts))


def workdir(src, racelab):
    work = tempfile.mkdtemp(prefix="racelab-docs.")
    shutil.copytree(os.path.join(src, "examples"), os.path.join(work, "examples"))
    for d in ("docs", "scripts", "tests", "bench", "include"):
        os.symlink(os.path.join(src, d), os.path.join(work, d))
    if racelab != "-":
        os.makedirs(os.path.join(work, "build"))
        os.symlink(os.path.dirname(os.path.abspath(racelab)), os.path.join(work, "build", "plain"))
    os.makedirs(os.path.join(work, "home"))
    return work


def run_file(src, rel, commands, racelab, prelude, timed):
    work = workdir(src, racelab)
    results = os.path.join(work, ".results")
    os.makedirs(results)
    script = ["set +e"]
    if prelude:
        script.append(f". '{os.path.abspath(prelude)}'")
    for n, c in enumerate(commands):
        script.append(f"echo {n} >'{results}/last'; date +%s.%N >'{results}/{n}.start'")
        script.append("{\n" + c.text + "\n} >'%s/%d.out' 2>&1 </dev/null" % (results, n))
        script.append(f"echo $? >'{results}/{n}.status'; date +%s.%N >'{results}/{n}.end'")
    env = dict(os.environ)
    env["HOME"] = os.path.join(work, "home")
    env.pop("LD_LIBRARY_PATH", None)
    env.pop("NO_COLOR", None)
    # the sessions shown are of one process: with a worker per CPU, a
    # search that stops at its first failure may count schedules the
    # workers ran past it, and the summary says how many workers ran it
    env["RACELAB_JOBS"] = "1"
    if racelab != "-":
        env["PATH"] = os.path.dirname(os.path.abspath(racelab)) + os.pathsep + env["PATH"]
    failures = 0
    try:
        proc = subprocess.run(["bash", "--noprofile", "--norc"], input="\n".join(script) + "\n",
                              text=True, cwd=work, env=env, timeout=FILE_TIMEOUT,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    except subprocess.TimeoutExpired:
        last = open(os.path.join(results, "last")).read().strip()
        c = commands[int(last)]
        print(f"FAIL: {c.path}:{c.line}: still running after {FILE_TIMEOUT} s: {c.text}")
        shutil.rmtree(work, ignore_errors=True)
        return 1
    for n, c in enumerate(commands):
        try:
            status = int(open(os.path.join(results, f"{n}.status")).read())
            c.seconds = (float(open(os.path.join(results, f"{n}.end")).read())
                         - float(open(os.path.join(results, f"{n}.start")).read()))
            printed = open(os.path.join(results, f"{n}.out"), encoding="utf-8",
                           errors="replace").read()
        except FileNotFoundError:
            print(f"FAIL: {c.path}:{c.line}: never ran (the shell stopped before it): {c.text}")
            print("  shell: " + proc.stdout[-400:])
            failures += 1
            continue
        lines = [" ".join(ANSI.sub("", l).split()) for l in printed.split("\n")]
        missing = []
        if c.check_output:
            for shown in c.output:
                if not shown.strip() or shown.strip() == "...":
                    continue
                p = pattern(shown)
                if not any(p.fullmatch(l) for l in lines):
                    missing.append(shown.strip())
        if status != c.status or missing:
            failures += 1
            why = f"exit {status}, want {c.status}" if status != c.status else "output differs"
            print(f"FAIL: {c.path}:{c.line}: {why}: {c.text}")
            for s in missing:
                print(f"  not printed: {s}")
            for l in printed.rstrip("\n").split("\n")[:25]:
                print(f"  | {l}")
    shutil.rmtree(work, ignore_errors=True)
    timed += commands
    return failures


def main(argv):
    marker, prelude = None, None
    while argv and argv[0].startswith("--"):
        if argv[0] == "--marker" and len(argv) > 1:
            marker, argv = argv[1], argv[2:]
        elif argv[0] == "--prelude" and len(argv) > 1:
            prelude, argv = argv[1], argv[2:]
        else:
            sys.exit(__doc__)
    if len(argv) < 2:
        sys.exit(__doc__)
    src, racelab, files = os.path.abspath(argv[0]), argv[1], argv[2:]
    if not files:
        files = ["README.md"] + sorted(os.path.relpath(f, src)
                                       for f in glob.glob(os.path.join(src, "docs", "*.md")))
    failures = ran = skipped = 0
    timed = []
    for rel in files:
        commands = []
        for mark, reason, cmds in parse(os.path.join(src, rel), rel):
            wanted = (mark == marker) if marker else mark in (None, "output varies")
            if wanted:
                commands += cmds
            else:
                skipped += len(cmds)
        if not commands:
            continue
        ran += len(commands)
        failures += run_file(src, rel, commands, racelab, prelude, timed)
    if marker and ran == 0:
        print(f"FAIL: no block is marked <!-- {marker} --> in {' '.join(files)}")
        return 1
    slow = sorted(timed, key=lambda c: -c.seconds)[:3]
    print(f"{sum(c.seconds for c in timed):.1f} s in the commands; the slowest: " +
          "; ".join(f"{c.seconds:.2f} s {c.path}:{c.line}" for c in slow))
    if failures:
        print(f"{failures} of {ran} documented commands failed")
        return 1
    print(f"all {ran} documented commands did what the text says ({skipped} in blocks not run here)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

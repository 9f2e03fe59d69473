#!/usr/bin/env python3
"""Self-test of browser.py: it drives Chromium, and its checks can fail.

Exit status: 0 all checks passed, 1 a check failed (FAIL: ... printed),
77 no /usr/bin/chromium (skipped).
"""

import os
import pathlib
import socket
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import browser  # noqa: E402

SVG = """<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="240" height="120"
     viewBox="0 0 240 120">
  <rect x="10" y="10" width="220" height="100" fill="#3a7"/>
  <g class="lane"><text x="20" y="60">lane</text></g>
</svg>
"""

BOOM = """<!doctype html><html><head><meta charset="utf-8">
<title>boom</title></head><body><p>boom</p>
<script>console.error('boom');</script></body></html>
"""

EXTERNAL = """<!doctype html><html><head><meta charset="utf-8">
<title>external</title></head><body>
<img src="http://example.invalid/x.png" alt="x">
<script>fetch('http://127.0.0.1:9/').catch(function () {});</script>
</body></html>
"""

TITLE = """<!doctype html><html><head><meta charset="utf-8">
<title>static</title></head><body><p id="p">text</p>
<script>document.title = 'scripted';</script></body></html>
"""

THROW = """<!doctype html><html><head><meta charset="utf-8">
<title>throw</title></head><body><img src="missing.png" alt="missing">
<script>throw new TypeError('thrown');</script></body></html>
"""

HANG = """<!doctype html><html><head><meta charset="utf-8">
<title>hang</title></head><body>
<img src="http://127.0.0.1:%d/never.png" alt="never"></body></html>
"""

failures = []


def check(condition, what):
    if condition:
        print("ok: " + what)
    else:
        print("FAIL: " + what)
        failures.append(what)


def silent_server():
    """A TCP port that accepts connections and never answers, so a page
    loading an image from it never fires its load event."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    held = []

    def accept():
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            held.append(conn)

    threading.Thread(target=accept, daemon=True).start()
    return server, held


def timed_open(b, path, **kw):
    page = b.open(path, **kw)
    print("  load %-22s %6.3fs (javascript=%s)" % (
        os.path.basename(path), page.load_seconds, kw.get("javascript", True)))
    return page


def main():
    if not os.access("/usr/bin/chromium", os.X_OK):
        print("SKIP: /usr/bin/chromium is missing")
        return 77
    with tempfile.TemporaryDirectory(prefix="browser-selftest-") as tmp:
        tmp = pathlib.Path(tmp)
        files = {"plain.svg": SVG, "boom.html": BOOM,
                 "external.html": EXTERNAL, "title.html": TITLE,
                 "throw.html": THROW}
        for name, text in files.items():
            (tmp / name).write_text(text)

        started = time.monotonic()
        with browser.Browser(timeout=30) as b:
            print("  browser start %.3fs (%s)" % (
                time.monotonic() - started, b.version.get("product")))

            # (1) a plain SVG: no errors, no requests but itself.
            svg = timed_open(b, tmp / "plain.svg")
            check(svg.console_errors == [],
                  "plain SVG has no console errors: %r" % svg.console_errors)
            check(svg.requests == [svg.url],
                  "plain SVG requests only itself: %r" % svg.requests)
            check(svg.external_requests() == [],
                  "plain SVG has no external requests")
            check(svg.eval("document.querySelectorAll('g.lane').length") == 1,
                  "eval counts the SVG's g.lane elements")
            check(svg.eval("document.documentElement.tagName") == "svg",
                  "the SVG document's root is <svg>")
            png = tmp / "plain.png"
            svg.screenshot(png)
            data = png.read_bytes() if png.exists() else b""
            check(len(data) > 0 and data[:8] == b"\x89PNG\r\n\x1a\n",
                  "screenshot is a nonempty PNG (%d bytes)" % len(data))
            try:
                svg.eval("undefinedFunction()")
                check(False, "eval of a throwing expression raises")
            except browser.BrowserError as e:
                check("undefinedFunction" in str(e),
                      "eval of a throwing expression raises: %s"
                      % str(e).splitlines()[0])
            check(svg.eval("Promise.resolve(6 * 7)") == 42,
                  "eval awaits promises")
            svg.close()

            # (2) console.error is caught.
            boom = timed_open(b, tmp / "boom.html")
            check(any("boom" in e for e in boom.console_errors),
                  "console.error('boom') is collected: %r" % boom.console_errors)
            boom.close()

            # Uncaught exceptions and a missing local file are caught too.
            throw = timed_open(b, tmp / "throw.html")
            check(any("uncaught" in e and "thrown" in e
                      for e in throw.console_errors),
                  "an uncaught exception is collected")
            check(any("ERR_FILE_NOT_FOUND" in e for e in throw.console_errors),
                  "a missing file is collected: %r" % throw.console_errors)
            throw.close()

            # (3) external requests are listed (and their failures logged).
            ext = timed_open(b, tmp / "external.html")
            externals = ext.external_requests()
            check("http://example.invalid/x.png" in externals,
                  "the <img> request is external: %r" % externals)
            check("http://127.0.0.1:9/" in externals,
                  "the fetch request is external: %r" % externals)
            check(ext.url in ext.requests and ext.url not in externals,
                  "the page's own URL is a request but not external")
            check(len(ext.console_errors) > 0,
                  "failed loads are console errors: %r" % ext.console_errors)
            ext.close()

            # (4) scripts on and off.
            on = timed_open(b, tmp / "title.html", javascript=True)
            off = timed_open(b, tmp / "title.html", javascript=False)
            check(on.eval("document.title") == "scripted",
                  "with javascript the inline script sets the title")
            check(off.eval("document.title") == "static",
                  "without javascript the inline script does not run")
            check(off.eval("document.getElementById('p').textContent")
                  == "text", "without javascript eval still reads the DOM")
            check(on.eval("document.title") == "scripted",
                  "the two pages of one browser stay apart")
            on.close()
            off.close()

        # A load that never ends times out with an error naming the wait.
        server, held = silent_server()
        hang = tmp / "hang.html"
        hang.write_text(HANG % server.getsockname()[1])
        try:
            with browser.Browser(timeout=2) as b:
                try:
                    b.open(hang)
                    check(False, "a page that never loads times out")
                except browser.BrowserError as e:
                    check("timed out" in str(e)
                          and "Page.loadEventFired" in str(e),
                          "a page that never loads times out: %s" % e)
        finally:
            server.close()
            for conn in held:
                conn.close()

    if failures:
        print("%d check(s) failed" % len(failures))
        return 1
    print("all checks passed")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except browser.BrowserError as e:
        print("FAIL: %s" % e)
        sys.exit(1)

"""Drive headless Chromium over the DevTools protocol, standard library only.

Chromium is started with --remote-debugging-pipe: it reads NUL-terminated
JSON commands on its fd 3 and writes NUL-terminated JSON replies and events
on its fd 4.  One browser serves several pages: each page is a target
attached with flatten=true, so its commands and events carry a sessionId.

    with Browser() as b:
        page = b.open("picture.svg")
        assert not page.console_errors
        assert not page.external_requests()
        print(page.eval("document.querySelectorAll('g.lane').length"))
        page.screenshot("picture.png")

Page scripts off (open(path, javascript=False), which sends
Emulation.setScriptExecutionDisabled before navigating): the page's own
<script>s, inline handlers (onclick=...), javascript: URLs and scripts
inserted later do not run, so nothing they would add, change, request or
log happens.  Page.eval still works: Runtime.evaluate from DevTools is not
page script.  eval can read and change the DOM, call element methods (an
element's click() runs no handler), use eval()/new Function inside its
expression and await promises it settles itself; but timers and animation
frames never fire in that mode, so an expression awaiting setTimeout or
requestAnimationFrame hangs until the timeout.

external_requests() is every request but the page's own URL and data:
URLs, so another local file (an <img src="x.png"> beside the page) counts.

Every wait has a timeout and raises BrowserError naming what it waited for;
if Chromium exits, the error carries the tail of its stderr.
"""

import base64
import collections
import fcntl
import json
import math
import os
import pathlib
import queue
import shutil
import signal
import subprocess
import tempfile
import threading
import time

__all__ = ["Browser", "Page", "BrowserError", "find_chromium"]

CANDIDATES = ("/usr/lib/chromium/chromium", "/usr/bin/chromium")

FLAGS = [
    "--headless=new",
    "--no-sandbox",                 # we run as root
    "--disable-gpu",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-extensions",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--metrics-recording-only",
    "--mute-audio",
    "--disable-default-apps",
    "--disable-dev-shm-usage",
    "--disable-breakpad",
    "--disable-crash-reporter",
    "--disable-domain-reliability",
    "--disable-client-side-phishing-detection",
    "--disable-hang-monitor",
    "--disable-popup-blocking",
    "--disable-prompt-on-repost",
    "--disable-renderer-backgrounding",
    "--disable-background-timer-throttling",
    "--disable-backgrounding-occluded-windows",
    "--disable-features=Translate,MediaRouter,OptimizationHints,"
    "AutofillServerCommunication,CertificateTransparencyComponentUpdater,"
    "DialMediaRouteProvider,InterestFeedContentSuggestions",
    "--no-pings",
    "--password-store=basic",
    "--use-mock-keychain",
    "--hide-scrollbars",
    "--window-size=1280,800",
    "--force-color-profile=srgb",
    "--log-level=2",
    "--remote-debugging-pipe",
]


class BrowserError(Exception):
    """Chromium failed, died, refused a command or a wait timed out."""


def find_chromium():
    """The Chromium binary: Debian's real one (not its shell wrapper, which
    sources /etc/chromium.d and adds flags) if present, else the wrapper."""
    for path in CANDIDATES:
        if os.access(path, os.X_OK):
            return path
    return None


class Browser:
    """Headless Chromium; a context manager.  Starts on construction, exits
    (and its profile directory is removed) on close() or leaving the with."""

    def __init__(self, timeout=30, executable=None, extra_flags=()):
        self.timeout = timeout
        self.executable = executable or find_chromium()
        if not self.executable:
            raise BrowserError("no chromium in %s" % ", ".join(CANDIDATES))
        self.profile = tempfile.mkdtemp(prefix="racelab-chromium-")
        self.proc = None
        self._events = queue.Queue()       # messages read from fd 4
        self._stderr = collections.deque(maxlen=60)
        self._next_id = 0
        self._pages = {}                   # sessionId -> Page
        self._closed = False
        self.version = None
        started = time.monotonic()
        try:
            self._start(list(extra_flags))
            self.version = self.send("Browser.getVersion")
        except BaseException:
            self.close()
            raise
        self.start_seconds = time.monotonic() - started

    # -- process and pipe ------------------------------------------------

    def _start(self, extra):
        cmd_r, cmd_w = os.pipe()    # we write commands, child reads on fd 3
        ev_r, ev_w = os.pipe()      # child writes on fd 4, we read events

        def child_fds():
            # Move both ends above the low numbers first so that dup2 onto
            # 3 and 4 cannot clobber one with the other.
            a = fcntl.fcntl(cmd_r, fcntl.F_DUPFD, 10)
            b = fcntl.fcntl(ev_w, fcntl.F_DUPFD, 10)
            os.dup2(a, 3)           # dup2 leaves the new fd inheritable
            os.dup2(b, 4)
            os.close(a)
            os.close(b)

        args = [self.executable, *FLAGS, *extra,
                "--user-data-dir=" + self.profile, "about:blank"]
        try:
            # close_fds=False: Popen's closing runs after preexec_fn and
            # would close the new 3 and 4 unless pass_fds names them, and
            # pass_fds=(3, 4) fails (EBADF) whenever this process has no
            # fd 3 or 4 at that moment.  Python opens every fd close-on-exec,
            # so the child still inherits only 0, 1, 2, 3 and 4.
            self.proc = subprocess.Popen(
                args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE, close_fds=False,
                preexec_fn=child_fds, start_new_session=True)
        except BaseException:
            os.close(cmd_w)
            os.close(ev_r)
            raise
        finally:
            os.close(cmd_r)
            os.close(ev_w)
        self._cmd_w = cmd_w
        self._ev_r = ev_r
        # Each reader closes its own fd at end of stream, so no fd number
        # is closed (and maybe reused) under a thread still reading it.
        self._readers = [
            threading.Thread(target=self._read_events, daemon=True,
                             name="chromium-fd4"),
            threading.Thread(target=self._read_stderr, daemon=True,
                             name="chromium-stderr")]
        for thread in self._readers:
            thread.start()

    def _read_events(self):
        buf = b""
        try:
            while True:
                chunk = os.read(self._ev_r, 1 << 16)
                if not chunk:
                    break
                buf += chunk
                while True:
                    end = buf.find(b"\0")
                    if end < 0:
                        break
                    raw, buf = buf[:end], buf[end + 1:]
                    try:
                        self._events.put(json.loads(raw))
                    except ValueError:
                        self._stderr.append("unreadable message: %r" % raw[:200])
        except OSError as e:
            self._stderr.append("reading fd 4: %s" % e)
        os.close(self._ev_r)
        self._events.put(None)             # end of stream

    def _read_stderr(self):
        with self.proc.stderr:
            for line in self.proc.stderr:
                line = line.decode("utf-8", "replace").rstrip()
                # Without a D-Bus (a container) every start logs a dozen
                # dbus errors; they would push anything useful out.
                if ":ERROR:dbus/" not in line:
                    self._stderr.append(line)

    def stderr_tail(self, lines=20):
        return "\n".join(list(self._stderr)[-lines:])

    def _died(self, what):
        try:
            code = self.proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            code = None
        time.sleep(0.05)                   # let the stderr reader catch up
        raise BrowserError(
            "chromium exited (status %s) while %s; stderr tail:\n%s"
            % (code, what, self.stderr_tail() or "(empty)"))

    # -- messages ----------------------------------------------------------

    def _write(self, message):
        data = json.dumps(message).encode() + b"\0"
        try:
            while data:
                data = data[os.write(self._cmd_w, data):]
        except (BrokenPipeError, OSError):
            self._died("sending %s" % message.get("method"))

    def _dispatch(self, message):
        session = self._pages.get(message.get("sessionId"))
        if session is not None:
            session._event(message)

    def _pump(self, deadline, what, until, quietly=False):
        """Read messages until until(message) is true; events go to their
        pages.  Raises BrowserError at the deadline (or returns None there
        if quietly) or if chromium exits."""
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                if self.proc.poll() is not None:
                    self._died("waiting for " + what)
                if quietly:
                    return None
                raise BrowserError("timed out after %.1fs waiting for %s"
                                   % (self.timeout, what))
            try:
                message = self._events.get(timeout=min(left, 0.25))
            except queue.Empty:
                if self.proc.poll() is not None and self._events.empty():
                    self._died("waiting for " + what)
                continue
            if message is None:
                self._events.put(None)     # stay at end of stream
                self._died("waiting for " + what)
            if "method" in message:
                self._dispatch(message)
            if until(message):
                return message

    def drain(self):
        """Hand every message already read to its page; never blocks."""
        while True:
            try:
                message = self._events.get_nowait()
            except queue.Empty:
                return
            if message is None:
                self._events.put(None)
                return
            if "method" in message:
                self._dispatch(message)

    def send(self, method, params=None, session=None, timeout=None):
        """Send one command and return its result; events read meanwhile
        are dispatched.  Raises BrowserError on an error reply."""
        if self._closed:
            raise BrowserError("browser is closed")
        self._next_id += 1
        mid = self._next_id
        message = {"id": mid, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        self._write(message)
        deadline = time.monotonic() + (timeout or self.timeout)
        reply = self._pump(deadline, "the reply to " + method,
                           lambda m: m.get("id") == mid)
        if "error" in reply:
            err = reply["error"]
            raise BrowserError("%s failed: %s (%s)%s" % (
                method, err.get("message"), err.get("code"),
                ": " + err["data"] if err.get("data") else ""))
        return reply.get("result", {})

    def wait_event(self, method, session=None, timeout=None, where=None):
        """Wait for an event, after any already dispatched; returns it."""
        deadline = time.monotonic() + (timeout or self.timeout)
        return self._pump(
            deadline, method + (" on " + where if where else ""),
            lambda m: m.get("method") == method
            and (session is None or m.get("sessionId") == session))

    # -- pages -------------------------------------------------------------

    def open(self, path, javascript=True, settle=0.2):
        """Open a local file in a new page and wait for its load event, then
        for the network to be idle (no request in flight) for `settle`
        seconds, so late console errors and requests are collected."""
        path = pathlib.Path(path).resolve()
        if not path.exists():
            raise BrowserError("no such file: %s" % path)
        page = Page(self, path.as_uri())
        try:
            page._navigate(javascript, settle)
        except BaseException:
            page.close()
            raise
        return page

    def close(self):
        if self._closed:
            return
        self._closed = True
        if self.proc is not None:
            if self.proc.poll() is None:
                try:
                    self._next_id += 1
                    self._write({"id": self._next_id, "method": "Browser.close",
                                 "params": {}})
                except BrowserError:
                    pass
                try:
                    self.proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    pass
            # The whole session: the browser and its helper processes.
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
            try:
                os.close(self._cmd_w)
            except OSError:
                pass
            # The readers see end of stream now that chromium is gone.
            for thread in getattr(self, "_readers", ()):
                thread.join(timeout=5)
        shutil.rmtree(self.profile, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


class Page:
    """One tab.  Collected from navigation on: console_errors (console.error,
    uncaught exceptions, Log entries of level error such as failed resource
    loads) and requests (every URL requested, the page's own included)."""

    def __init__(self, browser, url):
        self.browser = browser
        self.url = url
        self.console_errors = []
        self.requests = []
        self.javascript = True
        self.load_seconds = None
        self._inflight = set()
        self._loaded = False
        self._last_event = time.monotonic()
        self.session = None
        self.target = browser.send(
            "Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = browser.send(
            "Target.attachToTarget",
            {"targetId": self.target, "flatten": True})["sessionId"]
        browser._pages[self.session] = self

    def send(self, method, params=None, timeout=None):
        if self.session is None:
            raise BrowserError("page %s is closed" % self.url)
        return self.browser.send(method, params, self.session, timeout)

    def _event(self, message):
        method = message["method"]
        params = message.get("params", {})
        self._last_event = time.monotonic()
        if method == "Runtime.consoleAPICalled":
            if params.get("type") in ("error", "assert"):
                self.console_errors.append(
                    "console.%s: %s" % (params["type"], " ".join(
                        _remote_text(a) for a in params.get("args", []))))
        elif method == "Runtime.exceptionThrown":
            self.console_errors.append(
                "uncaught: " + _exception_text(params["exceptionDetails"]))
        elif method == "Log.entryAdded":
            entry = params.get("entry", {})
            if entry.get("level") == "error":
                text = entry.get("text", "")
                if entry.get("url") and entry["url"] not in text:
                    text += " (%s)" % entry["url"]
                self.console_errors.append(
                    "%s: %s" % (entry.get("source", "log"), text))
        elif method == "Network.requestWillBeSent":
            self.requests.append(params["request"]["url"])
            self._inflight.add(params["requestId"])
        elif method in ("Network.loadingFinished", "Network.loadingFailed"):
            self._inflight.discard(params.get("requestId"))
        elif method == "Page.loadEventFired":
            self._loaded = True
        elif method == "Inspector.targetCrashed":
            self.console_errors.append("renderer crashed")

    def _navigate(self, javascript, settle):
        b = self.browser
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.send(domain + ".enable")
        self.javascript = javascript
        if not javascript:
            self.send("Emulation.setScriptExecutionDisabled", {"value": True})
        b.drain()
        self.console_errors.clear()
        self.requests.clear()
        self._inflight.clear()
        self._loaded = False
        started = time.monotonic()
        result = self.send("Page.navigate", {"url": self.url})
        if result.get("errorText"):
            raise BrowserError("navigating to %s failed: %s"
                               % (self.url, result["errorText"]))
        if not self._loaded:
            b._pump(time.monotonic() + b.timeout,
                    "Page.loadEventFired of " + self.url,
                    lambda m: m.get("method") == "Page.loadEventFired"
                    and m.get("sessionId") == self.session)
        self.load_seconds = time.monotonic() - started
        if settle:
            self.settle(settle)

    def goto(self, path, javascript=True, settle=0.2):
        """Open another local file in this page (its renderer reused, which
        costs a new page's start less), as Browser.open does."""
        path = pathlib.Path(path).resolve()
        if not path.exists():
            raise BrowserError("no such file: %s" % path)
        self.url = path.as_uri()
        if self.javascript and not javascript:
            self.send("Emulation.setScriptExecutionDisabled", {"value": True})
        elif not self.javascript and javascript:
            self.send("Emulation.setScriptExecutionDisabled", {"value": False})
        self._navigate(javascript, settle)
        return self

    def settle(self, quiet=0.2, timeout=None):
        """Pump events until no request is in flight and nothing has
        happened for `quiet` seconds."""
        b = self.browser
        deadline = time.monotonic() + (timeout or b.timeout)
        self._last_event = time.monotonic()
        while True:
            b.drain()
            now = time.monotonic()
            if not self._inflight and now - self._last_event >= quiet:
                return
            if now >= deadline:
                raise BrowserError(
                    "timed out after %.1fs waiting for %s to settle "
                    "(%d requests in flight)" % (timeout or b.timeout,
                                                 self.url, len(self._inflight)))
            b._pump(min(deadline, now + 0.05), "events of " + self.url,
                    lambda m: False, quietly=True)

    def external_requests(self):
        """Requests other than the page's own URL and data: URLs."""
        own = self.url.split("#")[0]
        return [u for u in self.requests
                if u.split("#")[0] != own and not u.startswith("data:")]

    def eval(self, expression, timeout=None):
        """Evaluate a JavaScript expression in the page and return its value
        (JSON-able values; promises are awaited).  Works with page scripts
        disabled too.  Raises BrowserError with the exception text if the
        expression throws."""
        result = self.send("Runtime.evaluate", {
            "expression": expression, "returnByValue": True,
            "awaitPromise": True, "userGesture": True}, timeout)
        self.browser.drain()
        if "exceptionDetails" in result:
            raise BrowserError("eval of %r threw: %s" % (
                expression, _exception_text(result["exceptionDetails"])))
        value = result.get("result", {})
        if "value" in value:
            return value["value"]
        if value.get("type") == "undefined":
            return None
        return value.get("unserializableValue", value.get("description"))

    def screenshot(self, path):
        """Write a PNG of the whole document (not just the viewport)."""
        # An HTML page: its content size.  A bare SVG document: its root's
        # box (the content size of an SVG document is never smaller than
        # the viewport, which would leave a blank band below the picture).
        # Runtime.evaluate works with page scripts disabled too.
        box = self.eval(
            "(() => { const r = document.documentElement;"
            " if (!(r instanceof SVGSVGElement)) return null;"
            " const b = r.getBoundingClientRect();"
            " return [b.right + scrollX, b.bottom + scrollY]; })()")
        if box:
            size = {"width": box[0], "height": box[1]}
        else:
            metrics = self.send("Page.getLayoutMetrics")
            size = metrics.get("cssContentSize") or metrics["contentSize"]
        width = max(1, math.ceil(size["width"]))
        height = max(1, math.ceil(size["height"]))
        shot = self.send("Page.captureScreenshot", {
            "format": "png", "captureBeyondViewport": True,
            "fromSurface": True,
            "clip": {"x": 0, "y": 0, "width": width, "height": height,
                     "scale": 1}})
        data = base64.b64decode(shot["data"])
        pathlib.Path(path).write_bytes(data)
        return len(data)

    def close(self):
        if self.session is None:
            return
        b = self.browser
        b._pages.pop(self.session, None)
        self.session = None
        if not b._closed and b.proc.poll() is None:
            try:
                b.send("Target.closeTarget", {"targetId": self.target})
            except BrowserError:
                pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


def _remote_text(obj):
    """Text of a Runtime.RemoteObject as console.log would show it."""
    if "value" in obj:
        v = obj["value"]
        return v if isinstance(v, str) else json.dumps(v)
    if "unserializableValue" in obj:
        return obj["unserializableValue"]
    if obj.get("type") == "undefined":
        return "undefined"
    return obj.get("description", obj.get("type", "?"))


def _exception_text(details):
    exc = details.get("exception") or {}
    text = exc.get("description") or _remote_text(exc) if exc else ""
    if not text:
        text = details.get("text", "exception")
    where = details.get("url")
    if where and where not in text:
        text += " (%s:%s)" % (where, details.get("lineNumber", 0) + 1)
    return text

#!/usr/bin/env python3
"""hold_stdout.py DIR GATE NAME... -- COMMAND [ARG...]

For each NAME, run COMMAND (every argument "{}" replaced by NAME) with its
standard output a pipe that is already full, so that its first write blocks
until this script reads: a process stopped at a known point of its own
(after whatever it does before writing), not at a moment chosen by a timer.
Its stderr goes to DIR/NAME.err; its pid to DIR/NAME.pid once it runs. Once
the file GATE exists every pipe is drained, what each process wrote goes to
DIR/NAME.out, and its exit status (128 + N for a signal N) to DIR/NAME.rc.
One interpreter for all of them: starting Python is slow on a busy machine.
"""
import fcntl
import os
import selectors
import subprocess
import sys
import time

args = sys.argv[1:]
split = args.index("--")
folder, gate, names, command = args[0], args[1], args[2:split], args[split + 1:]


def full_pipe():
    r, w = os.pipe()
    fcntl.fcntl(w, fcntl.F_SETFL, os.O_NONBLOCK)
    filled = 0
    for size in (4096, 1):  # whole pages, then the last bytes
        try:
            while True:
                filled += os.write(w, b"\0" * size)
        except BlockingIOError:
            pass
    fcntl.fcntl(w, fcntl.F_SETFL, 0)
    return r, w, filled


held = {}
for name in names:
    r, w, filled = full_pipe()
    with open(os.path.join(folder, name + ".err"), "wb") as err:
        child = subprocess.Popen([a.replace("{}", name) for a in command], stdout=w, stderr=err)
    os.close(w)
    held[name] = (child, r, filled)
    pidfile = os.path.join(folder, name + ".pid")
    with open(pidfile + ".tmp", "w") as f:
        f.write(str(child.pid))
    os.rename(pidfile + ".tmp", pidfile)
while not os.path.exists(gate):
    time.sleep(0.02)
# drain all at once: a process blocked on its pipe must not wait for another's
data = {name: bytearray() for name in names}
sel = selectors.DefaultSelector()
for name, (_, r, _) in held.items():
    sel.register(r, selectors.EVENT_READ, name)
while sel.get_map():
    for key, _ in sel.select():
        chunk = os.read(key.fd, 65536)
        if chunk:
            data[key.data] += chunk
        else:
            sel.unregister(key.fd)
            os.close(key.fd)
for name, (child, _, filled) in held.items():
    with open(os.path.join(folder, name + ".out"), "wb") as f:
        f.write(data[name][filled:])
    status = child.wait()
    with open(os.path.join(folder, name + ".rc"), "w") as f:
        f.write("%d\n" % (128 - status if status < 0 else status))
